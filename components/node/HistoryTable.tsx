"use client";
// History tab: every history row of the node (all pages), newest first, with a text filter.
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { Card, Empty, Mono } from "@/components/Card.tsx";
import { cx } from "@/components/format.ts";
import { useApi } from "@/components/Providers.tsx";
import { Badge } from "@/components/StateBadge.tsx";
import { TextInput } from "@/components/ui.tsx";
import { errorText, nodeHistory, nodeKeys } from "@/lib/client/node.ts";
import type { ApiHistoryEvent, ApiNode } from "@/lib/shared/wire.ts";
import { authorize, type Principal } from "@/lib/shared/policy.ts";

export function useNodeHistory(uuid: string, enabled: boolean) {
  const api = useApi();
  return useQuery({ queryKey: nodeKeys.history(uuid), queryFn: () => nodeHistory(api, uuid), enabled });
}

/** Who a history row names: "admin (you)", another user's name, or what the row records (a service's name, an id). */
export function historyUser(h: ApiHistoryEvent, principal: Principal): string | null {
  if (!h.user) return null;
  if (h.user === principal.userId) return `${principal.username} (you)`;
  return h.structured?.user_name ?? h.user;
}

export function historyDenied(node: ApiNode, principal: Principal): string | null {
  return authorize("baremetal:node:history:get", principal, node)
    ? null
    : "The history is visible to system readers and readers of the owner project (policy baremetal:node:history:get).";
}

export function HistoryTable({ node, principal }: { node: ApiNode; principal: Principal }) {
  const denied = historyDenied(node, principal);
  const history = useNodeHistory(node.uuid, !denied);
  const [filter, setFilter] = useState("");
  const rows = useMemo(() => {
    const q = filter.trim().toLowerCase();
    const all = [...(history.data ?? [])].reverse();
    return q ? all.filter((h) => `${h.event} ${h.event_type ?? ""} ${historyUser(h, principal) ?? ""} ${h.severity}`.toLowerCase().includes(q)) : all;
  }, [history.data, filter, principal]);
  if (denied) return <p className="text-sm text-slate-500 dark:text-slate-400">{denied}</p>;
  return (
    <Card
      title={`History${history.data ? ` (${history.data.length})` : ""}`}
      actions={
        <div className="w-64">
          <label htmlFor="history-filter" className="sr-only">Filter history</label>
          <TextInput id="history-filter" type="search" placeholder="Filter…" value={filter} onChange={(e) => setFilter(e.target.value)} />
        </div>
      }
    >
      {history.isPending ? (
        <div className="h-40 animate-pulse" />
      ) : history.isError ? (
        <p className="px-4 py-3 text-sm text-rose-600">{errorText(history.error)}</p>
      ) : rows.length ? (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="history">
            <thead className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <tr className="border-b border-slate-200 dark:border-slate-800">
                <th className="px-4 py-2 font-medium">Time</th>
                <th className="px-4 py-2 font-medium">Event</th>
                <th className="px-4 py-2 font-medium">Type</th>
                <th className="px-4 py-2 font-medium">Severity</th>
                <th className="px-4 py-2 font-medium">User</th>
                <th className="px-4 py-2 font-medium">Conductor</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {rows.map((h) => (
                <tr key={h.uuid} className={cx(h.severity === "ERROR" && "bg-rose-50/60 dark:bg-rose-950/20")}>
                  <td className="whitespace-nowrap px-4 py-2 text-slate-500 dark:text-slate-400"><Mono>{h.created_at.replace("T", " ").slice(0, 23)}</Mono></td>
                  <td className="px-4 py-2 break-words">{h.event}</td>
                  <td className="whitespace-nowrap px-4 py-2 text-slate-600 dark:text-slate-300">{h.event_type}</td>
                  <td className="px-4 py-2"><Badge tone={h.severity === "ERROR" ? "red" : h.severity === "WARNING" ? "amber" : "gray"}>{h.severity}</Badge></td>
                  <td className="px-4 py-2 text-slate-600 dark:text-slate-300" title={h.user ?? undefined}>{historyUser(h, principal) ?? <Empty />}</td>
                  <td className="px-4 py-2 text-slate-600 dark:text-slate-300">{h.conductor ?? <Empty />}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="px-4 py-3 text-sm text-slate-500 dark:text-slate-400">{filter ? "nothing matches" : "no events yet"}</p>
      )}
    </Card>
  );
}
