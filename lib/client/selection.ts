// What the fleet page has selected: nodes picked by hand (checkboxes, shift-click ranges, whole
// pages), or every node matching the current query except some. Bulk actions take a NodeSelection.

export type NodeSelection =
  | { kind: "nodes"; uuids: string[] }
  | { kind: "filter"; query: string /* the fleet query string without paging */; except: string[]; count: number };

export type SelectionState =
  | { mode: "nodes"; uuids: ReadonlySet<string> }
  | { mode: "filter"; query: string; except: ReadonlySet<string> };

export const EMPTY_SELECTION: SelectionState = { mode: "nodes", uuids: new Set() };

export function isSelected(s: SelectionState, uuid: string): boolean {
  return s.mode === "nodes" ? s.uuids.has(uuid) : !s.except.has(uuid);
}

/** Selects (on) or deselects the given nodes, in either mode. */
export function setSelected(s: SelectionState, uuids: readonly string[], on: boolean): SelectionState {
  if (s.mode === "nodes") {
    const next = new Set(s.uuids);
    for (const u of uuids) {
      if (on) next.add(u);
      else next.delete(u);
    }
    return { mode: "nodes", uuids: next };
  }
  const except = new Set(s.except);
  for (const u of uuids) {
    if (on) except.delete(u);
    else except.add(u);
  }
  return { mode: "filter", query: s.query, except };
}

export function toggle(s: SelectionState, uuid: string): SelectionState {
  return setSelected(s, [uuid], !isSelected(s, uuid));
}

/**
 * Shift-click: everything between the last clicked row and this one (in page order) takes the
 * state the clicked row is getting.
 */
export function selectRange(s: SelectionState, pageUuids: readonly string[], anchor: string | null, target: string): SelectionState {
  const on = !isSelected(s, target);
  const a = anchor === null ? -1 : pageUuids.indexOf(anchor);
  const b = pageUuids.indexOf(target);
  if (a < 0 || b < 0) return setSelected(s, [target], on);
  const [from, to] = a < b ? [a, b] : [b, a];
  return setSelected(s, pageUuids.slice(from, to + 1), on);
}

export function selectAllMatching(query: string): SelectionState {
  return { mode: "filter", query, except: new Set() };
}

export function selectedCount(s: SelectionState, total: number): number {
  return s.mode === "nodes" ? s.uuids.size : Math.max(0, total - s.except.size);
}

/** What bulk actions receive, or null when nothing is selected. */
export function toNodeSelection(s: SelectionState, total: number): NodeSelection | null {
  if (selectedCount(s, total) === 0) return null;
  if (s.mode === "nodes") return { kind: "nodes", uuids: [...s.uuids] };
  return { kind: "filter", query: s.query, except: [...s.except], count: selectedCount(s, total) };
}
