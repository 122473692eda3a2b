"use client";
// The fleet table: chosen columns, sortable headers, group header rows, row checkboxes (shift-click
// selects a range). Rows have a fixed height so live refreshes never move the page.
import Link from "next/link";
import { useEffect, useRef } from "react";
import { cx, formatDate } from "@/components/format.ts";
import { Badge, PowerState, StateBadge } from "@/components/StateBadge.tsx";
import {
  COLUMNS, FIELD_LABELS, isRedacted, sortState, valueLabel, type ColumnKey,
} from "@/lib/client/fleet.ts";
import type { ApiFleetNode, ApiFleetPage, FleetGroupKey } from "@/lib/shared/fleet.ts";

const ROW = "h-11";
const CELL = "px-2 py-0 align-middle whitespace-nowrap";
// The name and the last error share the width the other columns leave (truncated, in full on
// hover), so the table fits its box whatever their length instead of scrolling sideways (max-w-0 +
// a percentage: a share of the remaining width). Every other column is bounded.
const SHARED_CELL: Partial<Record<ColumnKey, string>> = { name: "w-[35%] max-w-0 min-w-20", last_error: "w-[65%] max-w-0 min-w-16" };

function Muted({ children = "—" }: { children?: React.ReactNode }) {
  return <span className="text-slate-500 dark:text-slate-400">{children}</span>;
}

function groupValue(n: ApiFleetNode, g: FleetGroupKey): string | null {
  const v = n[g];
  return v === null || v === undefined || v === "" ? null : String(v);
}

export function FleetTable({ data, projects, cols, sort, group, loading, pageSize, isSelected, onToggle, onTogglePage, onSort }: {
  data: ApiFleetPage | undefined;
  projects: Record<string, string>;
  cols: ColumnKey[];
  sort: string;
  group: FleetGroupKey | null;
  loading: boolean;
  pageSize: number;
  isSelected: (uuid: string) => boolean;
  onToggle: (uuid: string, shift: boolean) => void;
  onTogglePage: (on: boolean) => void;
  onSort: (sort: string) => void;
}) {
  const shown = COLUMNS.filter((c) => cols.includes(c.key));
  const nodes = data?.nodes ?? [];
  const selectedOnPage = nodes.filter((n) => isSelected(n.uuid)).length;
  const all = nodes.length > 0 && selectedOnPage === nodes.length;
  const some = selectedOnPage > 0 && !all;
  const headerBox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (headerBox.current) headerBox.current.indeterminate = some;
  }, [some]);
  const { key: sortKey, dir } = sortState(sort);
  const project = (id: string | null) => (id ? <span title={id} className="block max-w-28 truncate">{projects[id] ?? id}</span> : <Muted />);

  const cell = (c: ColumnKey, n: ApiFleetNode): React.ReactNode => {
    switch (c) {
      case "name":
        return (
          // No prefetch: a page of rows would otherwise ask the server for 50 node pages at once.
          <Link href={`/nodes/${n.uuid}`} prefetch={false} title={n.name ?? n.uuid} className="block truncate font-medium text-slate-900 hover:text-amber-700 dark:text-slate-100 dark:hover:text-amber-400">
            {n.name ?? <span className="font-mono text-xs">{n.uuid}</span>}
          </Link>
        );
      case "provision_state":
        return (
          // Bounded: a long state and its target truncate the target (in full on hover).
          <span className="inline-flex max-w-40 items-center gap-1">
            <StateBadge state={n.provision_state} />
            {n.target_provision_state && <span className="min-w-0 truncate text-xs text-amber-700 dark:text-amber-400" title={`→ ${n.target_provision_state}`}>→ {n.target_provision_state}</span>}
          </span>
        );
      case "power_state":
        return <PowerState power={n.power_state} target={n.target_power_state} />;
      case "owner":
        return project(n.owner);
      case "lessee":
        return project(n.lessee);
      case "resource_class":
        return n.resource_class ? <span title={n.resource_class} className="block max-w-28 truncate">{n.resource_class}</span> : <Muted />;
      case "traits":
        // One trait and a count (all of them on hover): long trait names must not widen the table.
        return n.traits.length ? (
          <span className="inline-flex items-center gap-1" title={n.traits.join("\n")}>
            <Badge tone="gray" className="max-w-24"><span className="truncate">{n.traits[0]}</span></Badge>
            {n.traits.length > 1 && <span className="shrink-0 text-xs text-slate-500 dark:text-slate-400">+{n.traits.length - 1}</span>}
          </span>
        ) : <Muted />;
      case "maintenance":
        return n.maintenance ? <Badge tone="amber" title={n.maintenance_reason ?? undefined}>maintenance</Badge> : <Muted>no</Muted>;
      case "fault":
        return n.fault ? <Badge tone="red">{n.fault}</Badge> : <Muted />;
      case "last_error":
        if (isRedacted(n.last_error)) return <Muted>hidden</Muted>;
        return n.last_error ? <span className="block truncate text-xs text-rose-600 dark:text-rose-400" title={n.last_error}>{n.last_error}</span> : <Muted />;
      case "conductor":
        return n.conductor ?? <Muted />;
      case "driver":
        return n.driver;
      case "conductor_group":
        return n.conductor_group || <Muted />;
      case "instance_uuid":
        return n.instance_uuid ? <span className="font-mono text-xs">{n.instance_uuid}</span> : <Muted />;
      case "provision_updated_at":
        return n.provision_updated_at ? formatDate(new Date(n.provision_updated_at)) : <Muted />;
    }
  };

  const rows: React.ReactNode[] = [];
  let lastGroup: string | null | undefined;
  for (const [i, n] of nodes.entries()) {
    if (group) {
      const g = groupValue(n, group);
      if (i === 0 || g !== lastGroup) {
        const count = data?.groups?.find((x) => (x.key ?? null) === g)?.count ?? 0;
        rows.push(
          // Keyed by the group's first row: unique even if a group's rows were not together.
          <tr key={`group-${n.uuid}`} className={cx(ROW, "bg-slate-50 dark:bg-slate-800/50")} data-testid="group-row">
            <th colSpan={shown.length + 1} scope="colgroup" className={cx(CELL, "text-left text-xs font-semibold text-slate-600 dark:text-slate-300")}>
              {FIELD_LABELS[group]}: {valueLabel(group, g ?? "", projects)} <span className="font-normal text-slate-500 dark:text-slate-400">({count})</span>
            </th>
          </tr>,
        );
      }
      lastGroup = g;
    }
    const sel = isSelected(n.uuid);
    rows.push(
      <tr key={n.uuid} data-uuid={n.uuid} className={cx(ROW, sel ? "bg-amber-50/70 dark:bg-amber-500/10" : "hover:bg-slate-50 dark:hover:bg-slate-800/40")}>
        <td className={cx(CELL, "w-10")}>
          <input
            type="checkbox"
            checked={sel}
            onChange={() => undefined}
            onClick={(e) => onToggle(n.uuid, e.shiftKey)}
            aria-label={`Select ${n.name ?? n.uuid}`}
            className="h-4 w-4 accent-amber-600"
          />
        </td>
        {shown.map((c) => <td key={c.key} className={cx(CELL, SHARED_CELL[c.key])}>{cell(c.key, n)}</td>)}
      </tr>,
    );
  }
  if (!data && loading) {
    for (let i = 0; i < Math.min(pageSize, 25); i++) {
      rows.push(
        <tr key={`skeleton-${i}`} className={ROW} aria-hidden>
          <td colSpan={shown.length + 1} className={CELL}><div className="h-3 w-full animate-pulse rounded bg-slate-100 dark:bg-slate-800" /></td>
        </tr>,
      );
    }
  } else if (nodes.length === 0) {
    rows.push(
      <tr key="empty">
        <td colSpan={shown.length + 1} className="px-4 py-12 text-center text-slate-500 dark:text-slate-400">No nodes match this view.</td>
      </tr>,
    );
  }

  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="fleet-table" aria-busy={loading}>
        <thead className="border-b border-slate-200 bg-slate-50/80 text-xs uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400">
          <tr className="h-10">
            <th scope="col" className={cx(CELL, "w-10")}>
              <input
                ref={headerBox}
                type="checkbox"
                checked={all}
                onChange={() => onTogglePage(!all)}
                disabled={nodes.length === 0}
                aria-label="Select every node on this page"
                className="h-4 w-4 accent-amber-600"
              />
            </th>
            {shown.map((c) => {
              const active = c.sort !== null && sortKey === c.sort;
              return (
                <th
                  key={c.key}
                  scope="col"
                  className={cx(CELL, "font-medium")}
                  aria-sort={active ? (dir === "asc" ? "ascending" : "descending") : c.sort ? "none" : undefined}
                >
                  {c.sort ? (
                    <button
                      type="button"
                      onClick={() => onSort(active && dir === "asc" ? `-${c.sort}` : c.sort!)}
                      className="inline-flex items-center gap-1 uppercase hover:text-slate-900 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-amber-500/60 dark:hover:text-slate-100"
                    >
                      {c.label}
                      <span aria-hidden className={cx("w-3", active ? "text-amber-700" : "text-transparent")}>{dir === "desc" && active ? "▼" : "▲"}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">{rows}</tbody>
      </table>
    </div>
  );
}
