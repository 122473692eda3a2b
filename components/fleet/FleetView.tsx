"use client";
// The fleet page: the whole view (filters, search, sort, group, page, page size, columns) lives in
// the URL, so reloading or sharing the address shows the same view. The URL is updated with
// history.replaceState, which Next's router follows without a server round trip. Data comes from
// GET /v1/fleet; the query key starts with "nodes", so live node events refresh it in place
// (previous rows stay until the new ones arrive; rows have fixed heights).
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useApi } from "@/components/Providers.tsx";
import { Banner, Button, Spinner } from "@/components/ui.tsx";
import { BulkActions } from "@/components/jobs/BulkActions.tsx";
import { ApiError } from "@/lib/client/api.ts";
import {
  COLUMNS, FIELD_LABELS, PAGE_SIZES, queryString, viewFromParams, viewToSearch, type FleetView as View,
} from "@/lib/client/fleet.ts";
import { FLEET_GROUP_KEYS, type ApiFleetPage } from "@/lib/shared/fleet.ts";
import {
  EMPTY_SELECTION, isSelected, selectAllMatching, selectedCount, selectRange, setSelected, toggle, toNodeSelection, type SelectionState,
} from "@/lib/client/selection.ts";
import type { Principal } from "@/lib/shared/policy.ts";
import { EnrollButton } from "./EnrollDialog.tsx";
import { FilterBar } from "./FilterBar.tsx";
import { FleetTable } from "./FleetTable.tsx";
import { Popover } from "./Popover.tsx";

const SEARCH_DEBOUNCE_MS = 150;

/** A fleet answer with the grouping its rows were ordered by. */
type GroupedPage = ApiFleetPage & { group: View["group"] };

/** One spelling per view, so the URL and the state compare equal ("!" not "%21", and so on). */
function canonical(search: string): string {
  return viewToSearch(viewFromParams(new URLSearchParams(search)));
}

/** `scopeLabel` follows "nodes" ("of your project" for project users, or empty). */
export function FleetView({ scopeLabel, principal }: { scopeLabel: string; principal: Principal }) {
  const api = useApi();
  // The view is React state (so a click re-renders and fetches at once) mirrored into the URL;
  // a URL change from elsewhere (the Fleet link, back/forward) is adopted.
  const searchParams = useSearchParams();
  const [search, setSearch] = useState(() => canonical(searchParams.toString()));
  const view = useMemo(() => viewFromParams(new URLSearchParams(search)), [search]);
  const setView = useCallback((patch: Partial<View>) => {
    setSearch((prev) => viewToSearch({ ...viewFromParams(new URLSearchParams(prev)), ...patch }));
  }, []);
  // Our URL writes not yet seen back from the router, oldest first.
  const pendingWrites = useRef<string[]>([]);
  useEffect(() => {
    if (canonical(window.location.search) === search) return;
    pendingWrites.current.push(search);
    window.history.replaceState(null, "", search ? `?${search}` : window.location.pathname);
  }, [search]);
  const urlSearch = canonical(searchParams.toString());
  useEffect(() => {
    const at = pendingWrites.current.indexOf(urlSearch);
    if (at >= 0) {
      pendingWrites.current.splice(0, at + 1); // the router caught up with one of ours
      return;
    }
    pendingWrites.current = [];
    setSearch(urlSearch); // a navigation from elsewhere: the Fleet link, back/forward
  }, [urlSearch]);

  // Search box: typed text reaches the URL after a short pause (or at once on Enter).
  const [text, setText] = useState(view.q);
  const lastSent = useRef(view.q);
  useEffect(() => {
    if (view.q !== lastSent.current) {
      lastSent.current = view.q;
      setText(view.q);
    }
  }, [view.q]);
  const sendSearch = useCallback((value: string) => {
    lastSent.current = value;
    setView({ q: value, page: 1 });
  }, [setView]);
  useEffect(() => {
    if (text === lastSent.current) return;
    const t = setTimeout(() => sendSearch(text), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(t);
  }, [text, sendSearch]);

  const query = queryString(view);
  const offset = (view.page - 1) * view.size;
  // Rows and facet counts are two requests: the rows (the answer to a click) never wait for the
  // counts, and paging or sorting does not ask for the counts again. The counts are asked for
  // once the rows are in, so the two never compete for the server.
  // While a new view loads, the previous answer stays on screen (placeholderData): each answer
  // carries the grouping it was asked with, so the table groups the rows it shows, never the rows
  // of one view by the groups of another.
  const group = view.group;
  const result = useQuery({
    queryKey: ["nodes", "fleet", query, offset, view.size],
    queryFn: ({ signal }): Promise<GroupedPage> =>
      api.get<ApiFleetPage>(`/fleet?${query ? `${query}&` : ""}offset=${offset}&limit=${view.size}&facets=false`, { signal })
        .then((page) => ({ ...page, group })),
    placeholderData: keepPreviousData,
  });
  const matchKey = queryString({ ...view, sort: "name", group: null });
  const facetResult = useQuery({
    queryKey: ["nodes", "fleet-facets", matchKey],
    queryFn: ({ signal }) => api.get<ApiFleetPage>(`/fleet?${matchKey ? `${matchKey}&` : ""}limit=0`, { signal }),
    placeholderData: keepPreviousData,
    enabled: !result.isFetching,
  });
  const projects = useMemo(() => ({ ...facetResult.data?.projects, ...result.data?.projects }), [facetResult.data, result.data]);
  const data = result.data;
  const total = data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / view.size));
  // A shared URL or a live change can leave the page past the end: go to the last one.
  useEffect(() => {
    if (data && !result.isPlaceholderData && view.page > pages) setView({ page: pages });
  }, [data, result.isPlaceholderData, view.page, pages, setView]);

  // Selection. "Everything matching" belongs to one filter: changing the filter or search drops it.
  const [selection, setSelection] = useState<SelectionState>(EMPTY_SELECTION);
  const anchor = useRef<string | null>(null);
  useEffect(() => {
    setSelection((s) => (s.mode === "filter" && s.query !== matchKey ? EMPTY_SELECTION : s));
  }, [matchKey]);
  const pageUuids = useMemo(() => (data?.nodes ?? []).map((n) => n.uuid), [data]);
  const count = selectedCount(selection, total);
  const nodeSelection = toNodeSelection(selection, total);
  const pageAllSelected = pageUuids.length > 0 && pageUuids.every((u) => isSelected(selection, u));

  const error = result.error instanceof ApiError ? result.error.faultstring : result.error ? String(result.error) : null;

  return (
    <div>
      <div className="mb-4 flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Fleet</h1>
          <p className="mt-1 flex h-5 items-center gap-2 text-sm text-slate-500 dark:text-slate-400">
            <span><span data-testid="match-count">{data ? total : "…"}</span> {[total === 1 ? "node" : "nodes", scopeLabel, total === 1 ? "matches" : "match"].filter(Boolean).join(" ")} this view</span>
            <span className="inline-flex w-4">{result.isFetching && <Spinner label="Refreshing" />}</span>
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-3">
          <EnrollButton principal={principal} />
          <form
            role="search"
            onSubmit={(e) => {
              e.preventDefault();
              sendSearch(text);
            }}
          >
            <label htmlFor="fleet-search" className="sr-only">Search nodes</label>
            <input
              id="fleet-search"
              type="search"
              value={text}
              onChange={(e) => setText(e.target.value)}
              placeholder="Search name, UUID, MAC or BMC address"
              className="w-80 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm placeholder:text-slate-400 focus:border-amber-500 focus:outline-none focus:ring-2 focus:ring-amber-500/30 dark:border-slate-700 dark:bg-slate-900"
            />
          </form>
        </div>
      </div>

      <div className="mb-3">
        <FilterBar filters={view.filters} facets={facetResult.data?.facets ?? undefined} projects={projects} onChange={(filters) => setView({ filters, page: 1 })} />
      </div>

      <div className="mb-3 flex flex-wrap items-center gap-3 text-sm">
        <label className="flex items-center gap-1.5">
          <span className="text-slate-600 dark:text-slate-300">Group by</span>
          <select
            value={view.group ?? ""}
            onChange={(e) => setView({ group: (e.target.value || null) as View["group"], page: 1 })}
            className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
          >
            <option value="">nothing</option>
            {FLEET_GROUP_KEYS.map((g) => <option key={g} value={g}>{FIELD_LABELS[g]}</option>)}
          </select>
        </label>
        <Popover label="Columns" testId="column-chooser">
          {() => (
            <fieldset>
              <legend className="sr-only">Columns shown</legend>
              {COLUMNS.map((c) => (
                <label key={c.key} className="flex items-center gap-2 rounded px-1.5 py-1 hover:bg-slate-50 dark:hover:bg-slate-800/60">
                  <input
                    type="checkbox"
                    className="accent-amber-600"
                    checked={view.cols.includes(c.key)}
                    disabled={"always" in c && c.always}
                    onChange={(e) => {
                      const next = e.target.checked ? COLUMNS.map((x) => x.key).filter((k) => k === c.key || view.cols.includes(k)) : view.cols.filter((k) => k !== c.key);
                      setView({ cols: next });
                    }}
                  />
                  {c.label}
                </label>
              ))}
            </fieldset>
          )}
        </Popover>
        {(view.filters.length > 0 || view.q || view.group || view.sort !== "name") && (
          <button type="button" onClick={() => { setText(""); lastSent.current = ""; setView({ filters: [], q: "", group: null, sort: "name", page: 1 }); }}
            className="text-xs text-slate-500 underline hover:text-slate-800 dark:text-slate-400 dark:hover:text-slate-200">
            Reset view
          </button>
        )}
      </div>

      {error && <Banner tone="error" className="mb-3" data-testid="fleet-error">{error}</Banner>}

      <div className="mb-2 flex min-h-10 flex-wrap items-center gap-3 rounded-lg border border-slate-200 bg-white px-3 py-1.5 text-sm dark:border-slate-800 dark:bg-slate-900/60" data-testid="selection-bar">
        {count === 0 ? (
          <span className="text-slate-500 dark:text-slate-400">Select nodes for bulk actions (shift-click selects a range).</span>
        ) : (
          <>
            <span data-testid="selection-count">
              {selection.mode === "filter"
                ? <>All <b>{count}</b> matching this filter selected{selection.except.size > 0 && <> (except {selection.except.size})</>}</>
                : <><b>{count}</b> selected</>}
            </span>
            {selection.mode === "nodes" && pageAllSelected && total > pageUuids.length && (
              <Button size="sm" variant="ghost" onClick={() => setSelection(selectAllMatching(matchKey))}>
                Select all {total} matching this filter
              </Button>
            )}
            <Button size="sm" variant="ghost" onClick={() => setSelection(EMPTY_SELECTION)}>Clear selection</Button>
            {nodeSelection && <div className="ml-auto"><BulkActions selection={nodeSelection} principal={principal} onClear={() => setSelection(EMPTY_SELECTION)} /></div>}
          </>
        )}
      </div>

      <div className="rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900/60">
        <FleetTable
          data={data}
          projects={projects}
          cols={view.cols}
          sort={view.sort}
          group={data?.group ?? null}
          loading={result.isFetching}
          pageSize={view.size}
          isSelected={(u) => isSelected(selection, u)}
          onToggle={(uuid, shift) => {
            // Read the anchor now: the updater runs later, after it has moved.
            const from = anchor.current;
            setSelection((s) => (shift ? selectRange(s, pageUuids, from, uuid) : toggle(s, uuid)));
            anchor.current = uuid;
          }}
          onTogglePage={(on) => setSelection((s) => setSelected(s, pageUuids, on))}
          onSort={(sort) => setView({ sort, page: 1 })}
        />
        <nav className="flex flex-wrap items-center justify-between gap-3 border-t border-slate-200 px-4 py-2.5 text-sm dark:border-slate-800" aria-label="Pagination">
          <p className="text-slate-500 dark:text-slate-400" data-testid="page-summary">
            {total === 0 ? "No nodes" : <>Showing {Math.min(total, offset + 1)}–{Math.min(total, offset + view.size)} of {total}</>}
          </p>
          <div className="flex items-center gap-2">
            <label className="flex items-center gap-1.5 text-slate-600 dark:text-slate-300">
              Per page
              <select
                value={view.size}
                onChange={(e) => setView({ size: Number(e.target.value), page: 1 })}
                className="rounded-md border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-700 dark:bg-slate-900"
              >
                {PAGE_SIZES.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </label>
            <span className="text-slate-500 dark:text-slate-400">Page {Math.min(view.page, pages)} of {pages}</span>
            <Button size="sm" onClick={() => setView({ page: view.page - 1 })} disabled={view.page <= 1}>Previous</Button>
            <Button size="sm" onClick={() => setView({ page: view.page + 1 })} disabled={view.page >= pages}>Next</Button>
          </div>
        </nav>
      </div>
    </div>
  );
}
