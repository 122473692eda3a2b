// JSON patches for the node overview's editors (PATCH /v1/nodes/{n}). Pure: unit-tested.
// Secrets come back from the API as "******"; an unchanged secret is never sent back, so saving
// a form can't overwrite a password with the mask.

export const MASK = "******";

export interface PatchOp {
  op: "add" | "replace" | "remove";
  path: string;
  value?: unknown;
}

/** JSON pointer segment (RFC 6901). */
export function pointer(...segments: string[]): string {
  return segments.map((s) => "/" + s.replace(/~/g, "~0").replace(/\//g, "~1")).join("");
}

/** A dict entry as the editor holds it: the key and the value as typed. */
export interface DictRow {
  key: string;
  text: string;
  /** The value was a masked secret when loaded; empty text means "keep it". */
  secret?: boolean;
}

/** How a value is shown for editing: strings raw, everything else as JSON. */
export function valueToText(v: unknown): string {
  if (typeof v === "string") return v;
  return JSON.stringify(v ?? null);
}

/**
 * What typed text means: valid JSON other than a bare string (numbers, true/false, null, objects,
 * arrays, "quoted strings") is stored as that value; anything else as the text itself.
 */
export function textToValue(text: string): unknown {
  const t = text.trim();
  if (t === "") return "";
  if (/^(-?\d|true$|false$|null$|[[{"])/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return text;
    }
  }
  return text;
}

export function dictToRows(dict: Record<string, unknown> | null | undefined): DictRow[] {
  return Object.keys(dict ?? {})
    .sort()
    .map((key) => {
      const v = (dict ?? {})[key];
      return v === MASK ? { key, text: "", secret: true } : { key, text: valueToText(v) };
    });
}

/** Problems in the rows (index → message): empty or repeated keys. */
export function rowErrors(rows: DictRow[]): Record<number, string> {
  const out: Record<number, string> = {};
  const seen = new Set<string>();
  rows.forEach((r, i) => {
    const k = r.key.trim();
    if (!k) out[i] = "needs a key";
    else if (seen.has(k)) out[i] = `key "${k}" is given twice`;
    seen.add(k);
  });
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The patch turning `original` into what `rows` say, under `field` (e.g. "properties"). */
export function dictPatch(field: string, original: Record<string, unknown> | null | undefined, rows: DictRow[]): PatchOp[] {
  const before = original ?? {};
  const ops: PatchOp[] = [];
  const kept = new Set<string>();
  for (const r of rows) {
    const key = r.key.trim();
    kept.add(key);
    if (r.secret && r.text === "" && before[key] === MASK) continue; // secret left as it is
    const value = r.secret ? r.text : textToValue(r.text);
    if (value === MASK) continue; // never write the mask back
    if (key in before && same(before[key], value)) continue;
    ops.push({ op: "add", path: pointer(field, key), value });
  }
  for (const key of Object.keys(before)) if (!kept.has(key)) ops.push({ op: "remove", path: pointer(field, key) });
  return ops;
}

/** A top-level scalar field: replace, or remove when cleared (null). */
export function fieldPatch(field: string, before: unknown, after: string | null): PatchOp[] {
  const value = after === null || after.trim() === "" ? null : after;
  if ((before ?? null) === value) return [];
  return value === null ? [{ op: "remove", path: pointer(field) }] : [{ op: "replace", path: pointer(field), value }];
}
