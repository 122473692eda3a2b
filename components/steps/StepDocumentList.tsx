"use client";
// The list of deploy templates or runbooks: name, steps, and how many visible nodes carry the
// name as a trait (the nodes the template / runbook applies to).
import Link from "next/link";
import { Banner, Spinner } from "@/components/ui.tsx";
import { DOCS, type DocKind } from "./documents.ts";
import { useDocumentList, useTraitCounts } from "./useSteps.ts";

export function StepDocumentList({ kind, canCreate, createReason }: { kind: DocKind; canCreate: boolean; createReason?: string }) {
  const cfg = DOCS[kind];
  const list = useDocumentList(kind);
  const traitCounts = useTraitCounts();

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">{cfg.plural}</h1>
          <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">
            {kind === "template"
              ? "Deploy steps added to a deployment when its instance traits include the template's name."
              : "Named step lists run as manual cleaning or servicing on nodes that carry the runbook's name as a trait."}
          </p>
        </div>
        {canCreate ? (
          <Link href={`${cfg.base}/new`} className="rounded-md bg-amber-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-amber-600 dark:bg-amber-500 dark:text-slate-950">
            New {cfg.title.toLowerCase()}
          </Link>
        ) : (
          <span className="text-xs text-slate-500 dark:text-slate-400" title={createReason}>{createReason}</span>
        )}
      </div>
      {list.isError && <Banner tone="error">Could not list {cfg.plural.toLowerCase()}: {(list.error as Error).message}</Banner>}
      <div className="overflow-x-auto rounded-xl border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900/60">
        <table className="w-full text-sm" data-testid={`${kind}-table`}>
          <thead className="border-b border-slate-200 text-left text-xs uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:text-slate-400">
            <tr>
              <th scope="col" className="px-4 py-2">Name</th>
              <th scope="col" className="px-4 py-2">Steps</th>
              <th scope="col" className="px-4 py-2">Matching nodes</th>
              {kind === "runbook" && <th scope="col" className="px-4 py-2">Visibility</th>}
              <th scope="col" className="px-4 py-2">Updated</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
            {list.isPending && (
              <tr><td colSpan={5} className="h-20 px-4 text-center"><Spinner /></td></tr>
            )}
            {list.data?.length === 0 && (
              <tr><td colSpan={5} className="px-4 py-6 text-center text-slate-500 dark:text-slate-400">No {cfg.plural.toLowerCase()} yet.</td></tr>
            )}
            {list.data?.map((r) => (
              <tr key={r.uuid} data-testid={`${kind}-row`} data-name={r.name}>
                <td className="px-4 py-2">
                  <Link href={`${cfg.base}/${encodeURIComponent(r.name)}`} className="font-mono text-amber-700 hover:underline dark:text-amber-400">{r.name}</Link>
                </td>
                <td className="px-4 py-2" data-testid="steps-count" title={r.steps.map((s) => `${s.interface}.${s.step}`).join(", ")}>{r.steps.length}</td>
                <td className="w-36 px-4 py-2 tabular-nums" data-testid="matching-count">{traitCounts.data ? traitCounts.data.get(r.name) ?? 0 : "…"}</td>
                {kind === "runbook" && <td className="px-4 py-2 text-xs">{r.public ? "public" : r.owner ? `project ${r.owner}` : "private"}</td>}
                <td className="px-4 py-2 text-xs text-slate-500 dark:text-slate-400">{(r.updated_at ?? r.created_at).slice(0, 19).replace("T", " ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
