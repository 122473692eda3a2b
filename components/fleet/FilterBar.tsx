"use client";
// Filter chips: one menu per field listing its values with counts (each can be required — "is" —
// or excluded — "is not"), and the active filters as removable chips whose sense can be flipped.
import { cx } from "@/components/format.ts";
import { FIELD_LABELS, toggleFilterValue, valueLabel, type ViewFilter } from "@/lib/client/fleet.ts";
import { FLEET_BOOLEAN_FIELDS, FLEET_FILTER_FIELDS, type FacetValue, type FleetFilterField } from "@/lib/shared/fleet.ts";
import { Popover } from "./Popover.tsx";

const FIXED_VALUES: Partial<Record<FleetFilterField, string[]>> = Object.fromEntries(FLEET_BOOLEAN_FIELDS.map((f) => [f, ["true", "false"]]));

export function FilterBar({ filters, facets, projects, onChange }: {
  filters: ViewFilter[];
  facets: Record<FleetFilterField, FacetValue[]> | undefined;
  projects: Record<string, string>;
  onChange: (filters: ViewFilter[]) => void;
}) {
  const flip = (f: ViewFilter) => {
    // Move the values to the opposite sense, merging with a filter already there.
    let next = filters.filter((x) => x !== f);
    for (const v of f.values) {
      const other = next.find((x) => x.field === f.field && x.negate === !f.negate);
      if (!other?.values.includes(v)) next = toggleFilterValue(next, f.field, v, !f.negate);
    }
    onChange(next);
  };
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-1.5" role="group" aria-label="Filter by field">
        {FLEET_FILTER_FIELDS.map((field) => {
          const active = filters.filter((f) => f.field === field).reduce((n, f) => n + f.values.length, 0);
          const listed = facets?.[field] ?? [];
          const values = [...new Set([...(FIXED_VALUES[field] ?? []), ...listed.map((v) => v.value), ...filters.filter((f) => f.field === field).flatMap((f) => f.values)])];
          const count = (v: string) => listed.find((x) => x.value === v)?.count ?? 0;
          return (
            <Popover
              key={field}
              testId={`filter-${field}`}
              label={<>{FIELD_LABELS[field]}{active > 0 && <span className="rounded bg-amber-100 px-1 text-amber-800 dark:bg-amber-500/20 dark:text-amber-200">{active}</span>}</>}
              buttonClassName={active ? "border-amber-400 dark:border-amber-500/60" : undefined}
            >
              {() => (
                <div role="group" aria-label={`${FIELD_LABELS[field]} values`}>
                  {values.length === 0 && <p className="px-2 py-1 text-xs text-slate-500 dark:text-slate-400">{facets ? "No values in this view." : "Loading values…"}</p>}
                  <ul className="space-y-0.5">
                    {values.map((v) => {
                      const label = valueLabel(field, v, projects);
                      const isOn = filters.some((f) => f.field === field && !f.negate && f.values.includes(v));
                      const isNot = filters.some((f) => f.field === field && f.negate && f.values.includes(v));
                      return (
                        <li key={v} className="flex items-center gap-2 rounded px-1.5 py-1 hover:bg-slate-50 dark:hover:bg-slate-800/60">
                          <span className="min-w-0 flex-1 truncate" title={label}>{label}</span>
                          <span className="tabular-nums text-xs text-slate-500 dark:text-slate-400">{count(v)}</span>
                          <button
                            type="button"
                            aria-pressed={isOn}
                            aria-label={`${FIELD_LABELS[field]} is ${label}`}
                            onClick={() => onChange(toggleFilterValue(filters, field, v, false))}
                            className={cx("rounded px-1.5 py-0.5 text-xs", isOn ? "bg-emerald-600 text-white" : "border border-slate-300 text-slate-600 hover:bg-white dark:border-slate-600 dark:text-slate-300")}
                          >
                            is
                          </button>
                          <button
                            type="button"
                            aria-pressed={isNot}
                            aria-label={`${FIELD_LABELS[field]} is not ${label}`}
                            onClick={() => onChange(toggleFilterValue(filters, field, v, true))}
                            className={cx("rounded px-1.5 py-0.5 text-xs", isNot ? "bg-rose-600 text-white" : "border border-slate-300 text-slate-600 hover:bg-white dark:border-slate-600 dark:text-slate-300")}
                          >
                            is not
                          </button>
                        </li>
                      );
                    })}
                  </ul>
                </div>
              )}
            </Popover>
          );
        })}
      </div>
      <div className="flex min-h-7 flex-wrap items-center gap-1.5" aria-label="Active filters" role="list">
        {filters.map((f) => (
          <span
            key={`${f.negate ? "!" : ""}${f.field}`}
            role="listitem"
            data-testid="filter-chip"
            className={cx(
              "inline-flex items-center gap-1 rounded-full py-0.5 pl-2.5 pr-1 text-xs ring-1 ring-inset",
              f.negate ? "bg-rose-50 text-rose-800 ring-rose-300 dark:bg-rose-500/10 dark:text-rose-200 dark:ring-rose-500/40" : "bg-emerald-50 text-emerald-800 ring-emerald-300 dark:bg-emerald-500/10 dark:text-emerald-200 dark:ring-emerald-500/40",
            )}
          >
            <span>
              {FIELD_LABELS[f.field]} <b>{f.negate ? "is not" : "is"}</b> {f.values.map((v) => valueLabel(f.field, v, projects)).join(", ")}
            </span>
            <button
              type="button"
              onClick={() => flip(f)}
              aria-label={`Change ${FIELD_LABELS[f.field]} filter to "${f.negate ? "is" : "is not"}"`}
              title={f.negate ? "Make it “is”" : "Make it “is not”"}
              className="rounded-full px-1 hover:bg-black/5 dark:hover:bg-white/10"
            >
              ⇄
            </button>
            <button
              type="button"
              onClick={() => onChange(filters.filter((x) => x !== f))}
              aria-label={`Remove ${FIELD_LABELS[f.field]} filter`}
              className="rounded-full px-1 hover:bg-black/5 dark:hover:bg-white/10"
            >
              ✕
            </button>
          </span>
        ))}
        {filters.length > 0 && (
          <button type="button" onClick={() => onChange([])} className="text-xs text-slate-500 underline hover:text-slate-800 dark:text-slate-400 dark:hover:text-slate-200">
            Clear filters
          </button>
        )}
      </div>
    </div>
  );
}
