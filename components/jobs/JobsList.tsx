"use client";
// The jobs list: the viewer's bulk-action jobs (everyone's for system admins), newest first, with
// live counts. Query key ["jobs", "list"]: job events invalidate it; polled while any job runs.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useApi } from "@/components/Providers.tsx";
import { Badge } from "@/components/StateBadge.tsx";
import { Banner, Spinner } from "@/components/ui.tsx";
import { ApiError } from "@/lib/client/api.ts";
import { actionName, jobDone } from "@/lib/client/jobs.ts";
import type { ApiJob } from "@/lib/shared/jobs.ts";

export function JobsList() {
  const api = useApi();
  const { data, error, isLoading } = useQuery({
    queryKey: ["jobs", "list"],
    queryFn: ({ signal }) => api.get<{ jobs: ApiJob[]; next?: string }>("/jobs", { query: { limit: 200 }, signal }),
    refetchInterval: (q) => (q.state.data?.jobs.some((j) => !jobDone(j)) ? 3000 : false),
  });
  if (isLoading) return <div className="flex h-24 items-center justify-center"><Spinner label="Loading jobs" /></div>;
  if (error) return <Banner tone="error">{error instanceof ApiError ? error.faultstring : String(error)}</Banner>;
  const jobs = data?.jobs ?? [];
  if (!jobs.length) {
    return <p className="text-sm text-slate-500 dark:text-slate-400">No jobs yet. Select nodes on the <Link href="/" className="underline">fleet page</Link> and pick a bulk action.</p>;
  }
  return (
    <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white shadow-sm dark:border-slate-800 dark:bg-slate-900/60">
      <table className="w-full text-left text-sm" data-testid="jobs-table">
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500 dark:bg-slate-900 dark:text-slate-400">
          <tr>
            <th scope="col" className="px-3 py-2 font-medium">Action</th>
            <th scope="col" className="px-3 py-2 font-medium">State</th>
            <th scope="col" className="px-3 py-2 font-medium">Nodes</th>
            <th scope="col" className="px-3 py-2 font-medium">Succeeded</th>
            <th scope="col" className="px-3 py-2 font-medium">Failed</th>
            <th scope="col" className="px-3 py-2 font-medium">Skipped</th>
            <th scope="col" className="px-3 py-2 font-medium">By</th>
            <th scope="col" className="px-3 py-2 font-medium">Started</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
          {jobs.map((j) => {
            const done = jobDone(j);
            const label = done ? j.state : j.state === "cancelled" ? "cancelling" : "running";
            const tone = !done ? "amber" : j.state === "cancelled" ? "gray" : j.counts.failed ? "red" : "green";
            return (
              <tr key={j.id} className="h-10">
                <td className="px-3 py-2"><Link href={`/jobs/${j.id}`} className="font-medium hover:underline">{actionName(j.action)}</Link></td>
                <td className="px-3 py-2"><Badge tone={tone} dot>{label}</Badge></td>
                <td className="px-3 py-2 tabular-nums">{j.counts.total}</td>
                <td className="px-3 py-2 tabular-nums">{j.counts.succeeded}</td>
                <td className="px-3 py-2 tabular-nums">{j.counts.failed}</td>
                <td className="px-3 py-2 tabular-nums">{j.counts.skipped}</td>
                <td className="px-3 py-2">{j.created_by.username}</td>
                <td className="px-3 py-2 text-slate-500 dark:text-slate-400"><time dateTime={j.created_at}>{new Date(j.created_at).toLocaleString()}</time></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
