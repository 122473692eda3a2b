"use client";
// One job's live progress (bar and counts) and, as nodes finish, the per-node result list that
// says why each failure failed. The query key is ["jobs", id]: live job events invalidate it;
// while the job runs it is also polled, in case the websocket is down.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { useApi } from "@/components/Providers.tsx";
import { Badge } from "@/components/StateBadge.tsx";
import { Banner, Button, Spinner } from "@/components/ui.tsx";
import { cx } from "@/components/format.ts";
import { ApiError } from "@/lib/client/api.ts";
import { actionName, cancelJob, createJob, jobDone } from "@/lib/client/jobs.ts";
import type { ApiJob, ApiJobItem, JobItemState } from "@/lib/shared/jobs.ts";
import { queryKeys } from "@/lib/client/keys.ts";

const POLL_MS = 2000;
/** Rows rendered at first; the rest on request (a 10,000-node job stays responsive). */
const FIRST_ROWS = 500;

const ITEM_TONE: Record<JobItemState, "green" | "red" | "gray" | "amber" | "blue"> = {
  succeeded: "green", failed: "red", skipped: "gray", pending: "gray", running: "amber", waiting: "blue",
};

/** Above this many nodes a running job's poll brings only the failed and skipped rows (the rest at the end). */
const LIVE_ROWS_LIMIT = 1000;

export function useJob(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useQuery({
    queryKey: queryKeys.job(id),
    queryFn: async ({ signal }) => {
      const path = `/jobs/${encodeURIComponent(id)}`;
      const known = qc.getQueryData<ApiJob>(queryKeys.job(id));
      if (known && !jobDone(known) && known.counts.total > LIVE_ROWS_LIMIT) {
        const partial = await api.get<ApiJob>(path, { signal, query: { item_state: "failed,skipped" } });
        if (!jobDone(partial)) return partial;
      }
      return api.get<ApiJob>(path, { signal });
    },
    refetchInterval: (q) => (q.state.data && jobDone(q.state.data) ? false : POLL_MS),
  });
}

function errorText(err: unknown): string {
  return err instanceof ApiError ? err.faultstring : err instanceof Error ? err.message : String(err);
}

export function JobProgress({ id, showTitle = false }: { id: string; showTitle?: boolean }) {
  const api = useApi();
  const router = useRouter();
  const qc = useQueryClient();
  const { data: job, error, isLoading } = useJob(id);
  const cancel = useMutation({
    mutationFn: () => cancelJob(api, id),
    onSuccess: (j) => qc.setQueryData(queryKeys.job(id), (old: ApiJob | undefined) => ({ ...j, items: old?.items })),
    onSettled: () => qc.invalidateQueries({ queryKey: queryKeys.jobs }),
  });
  const retry = useMutation({
    mutationFn: (j: ApiJob) => {
      const failed = (j.items ?? []).filter((i) => i.state === "failed").map((i) => i.node_uuid);
      return createJob(api, j.action, j.args, { kind: "nodes", uuids: failed });
    },
    onSuccess: (j) => {
      void qc.invalidateQueries({ queryKey: queryKeys.jobs });
      router.push(`/jobs/${j.id}`);
    },
  });

  if (isLoading) return <div className="flex h-24 items-center justify-center"><Spinner label="Loading the job" /></div>;
  if (error || !job) return <Banner tone="error">{error ? errorText(error) : "The job could not be loaded."}</Banner>;

  const c = job.counts;
  const done = c.succeeded + c.failed + c.skipped;
  const pct = c.total ? Math.round((done / c.total) * 100) : 100;
  const finished = jobDone(job);
  const status = finished ? (job.state === "cancelled" ? "Cancelled" : "Finished") : job.state === "cancelled" ? "Cancelling…" : "Running…";

  return (
    <div className="space-y-4" data-testid="job-progress" data-job-id={job.id}>
      {showTitle && (
        <h1 className="text-2xl font-semibold tracking-tight">
          {actionName(job.action)} · {c.total} {c.total === 1 ? "node" : "nodes"}
        </h1>
      )}
      <div>
        <div className="mb-1 flex items-center justify-between text-sm">
          <span className="font-medium" data-testid="job-status">{status}</span>
          <span className="tabular-nums text-slate-500 dark:text-slate-400">{done} / {c.total} done</span>
        </div>
        <div
          role="progressbar"
          aria-label="Job progress"
          aria-valuemin={0}
          aria-valuemax={c.total}
          aria-valuenow={done}
          className="flex h-3 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
        >
          <div className="h-full bg-emerald-500 transition-[width]" style={{ width: `${c.total ? (c.succeeded / c.total) * 100 : 0}%` }} />
          <div className="h-full bg-rose-500 transition-[width]" style={{ width: `${c.total ? (c.failed / c.total) * 100 : 0}%` }} />
          <div className="h-full bg-slate-400 transition-[width]" style={{ width: `${c.total ? (c.skipped / c.total) * 100 : 0}%` }} />
        </div>
        <dl className="mt-2 grid grid-cols-3 gap-x-4 gap-y-1 text-sm sm:grid-cols-6" data-testid="job-counts">
          {(["succeeded", "failed", "skipped", "waiting", "running", "pending"] as const).map((k) => (
            <div key={k} className="flex items-baseline gap-1.5">
              <dt className="text-slate-500 dark:text-slate-400">{k}</dt>
              <dd className="font-semibold tabular-nums" data-testid={`count-${k}`}>{c[k]}</dd>
            </div>
          ))}
        </dl>
        <p className="sr-only" aria-live="polite">{finished ? `${status}: ${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped.` : ""}</p>
      </div>

      <div className="flex flex-wrap items-center gap-2">
        {!finished && job.state !== "cancelled" && (
          <Button size="sm" variant="secondary" onClick={() => cancel.mutate()} disabled={cancel.isPending}>Cancel the rest</Button>
        )}
        {finished && c.failed > 0 && (
          <Button size="sm" variant="primary" onClick={() => retry.mutate(job)} disabled={retry.isPending}>
            Retry {c.failed} failed
          </Button>
        )}
        {!showTitle && <Link href={`/jobs/${job.id}`} className="text-sm text-amber-700 underline dark:text-amber-400">Open the job page</Link>}
        <span className="text-xs text-slate-500 dark:text-slate-400">
          {pct}% · by {job.created_by.username}{job.expected_state ? ` · each node must reach “${job.expected_state}”` : ""}
        </span>
      </div>
      {cancel.error && <Banner tone="error">{errorText(cancel.error)}</Banner>}
      {retry.error && <Banner tone="error">{errorText(retry.error)}</Banner>}

      {!finished && c.total > LIVE_ROWS_LIMIT && (
        <p className="text-xs text-slate-500 dark:text-slate-400">While this large job runs only its failed and skipped nodes are listed; every node is listed when it ends.</p>
      )}
      <JobResults items={job.items ?? []} />
    </div>
  );
}

/** The per-node result list, filterable to failures. */
export function JobResults({ items }: { items: ApiJobItem[] }) {
  const [onlyFailures, setOnlyFailures] = useState(false);
  const [showAll, setShowAll] = useState(false);
  const shown = useMemo(() => (onlyFailures ? items.filter((i) => i.state === "failed") : items), [items, onlyFailures]);
  const rows = showAll ? shown : shown.slice(0, FIRST_ROWS);
  const failures = items.filter((i) => i.state === "failed").length;
  return (
    <section aria-label="Results per node">
      <div className="mb-2 flex items-center justify-between">
        <h2 className="text-sm font-semibold">Results per node</h2>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" className="accent-amber-600" checked={onlyFailures} onChange={(e) => setOnlyFailures(e.target.checked)} />
          Only failures ({failures})
        </label>
      </div>
      <div className="max-h-[28rem] overflow-y-auto rounded-lg border border-slate-200 dark:border-slate-800">
        <table className="w-full table-fixed text-left text-sm" data-testid="job-results">
          <thead className="sticky top-0 bg-slate-50 text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900 dark:text-slate-400">
            <tr>
              <th scope="col" className="w-2/5 px-3 py-2 font-medium">Node</th>
              <th scope="col" className="w-28 px-3 py-2 font-medium">Result</th>
              <th scope="col" className="px-3 py-2 font-medium">Why</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {rows.map((i) => (
              <tr key={i.node_uuid} className="h-10 align-top" data-testid="job-result-row" data-state={i.state}>
                <td className="truncate px-3 py-2" title={i.node_name ?? i.node_uuid}>
                  {i.node_name ? (
                    <Link href={`/nodes/${i.node_uuid}`} className="font-medium text-slate-900 hover:underline dark:text-slate-100">{i.node_name}</Link>
                  ) : (
                    <span className="font-mono text-xs">{i.node_uuid}</span>
                  )}
                </td>
                <td className="px-3 py-2"><Badge tone={ITEM_TONE[i.state]} dot>{i.state}</Badge></td>
                <td className={cx("px-3 py-2 break-words", i.state === "failed" ? "text-rose-700 dark:text-rose-300" : "text-slate-500 dark:text-slate-400")}>
                  {i.message ?? ""}
                </td>
              </tr>
            ))}
            {rows.length === 0 && (
              <tr><td colSpan={3} className="px-3 py-6 text-center text-slate-500 dark:text-slate-400">{onlyFailures ? "No failures." : "No nodes."}</td></tr>
            )}
          </tbody>
        </table>
      </div>
      {!showAll && shown.length > FIRST_ROWS && (
        <Button size="sm" variant="ghost" className="mt-2" onClick={() => setShowAll(true)}>Show all {shown.length}</Button>
      )}
    </section>
  );
}
