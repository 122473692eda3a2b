import Link from "next/link";
import { AppShell } from "@/components/AppShell.tsx";
import { Card, Empty, Mono } from "@/components/Card.tsx";
import { cx, formatDate } from "@/components/format.ts";
import { Pagination } from "@/components/Pagination.tsx";
import { Badge, PowerState, StateBadge, stateTone } from "@/components/StateBadge.tsx";
import { fleetPage } from "@/lib/web/fleet.ts";
import { requireViewer } from "@/lib/web/session.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Fleet" };

type Search = Promise<Record<string, string | string[] | undefined>>;

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export default async function FleetPage({ searchParams }: { searchParams: Search }) {
  const viewer = await requireViewer();
  const sp = await searchParams;
  const state = one(sp.state) || undefined;
  const q = one(sp.q)?.trim() || undefined;
  const fleet = await fleetPage(viewer.principal, { page: Number(one(sp.page) ?? 1) || 1, state, q });

  const link = (over: { page?: number; state?: string | null; q?: string | null }) => {
    const u = new URLSearchParams();
    const s = over.state === undefined ? state : over.state;
    const qq = over.q === undefined ? q : over.q;
    if (s) u.set("state", s);
    if (qq) u.set("q", qq);
    if (over.page && over.page > 1) u.set("page", String(over.page));
    const str = u.toString();
    return str ? `/?${str}` : "/";
  };
  const name = (id: string | null) => (id ? fleet.projects.get(id) ?? id : null);
  const failed = fleet.stateCounts.filter((s) => stateTone(s.state) === "red").reduce((a, s) => a + s.count, 0);
  const active = fleet.stateCounts.find((s) => s.state === "active")?.count ?? 0;
  const available = fleet.stateCounts.find((s) => s.state === "available")?.count ?? 0;

  return (
    <AppShell viewer={viewer} projects={fleet.projects}>
      <div className="mb-5 flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Fleet</h1>
          <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">
            <span data-testid="node-count">{fleet.visible}</span> {fleet.visible === 1 ? "node" : "nodes"}
            {viewer.principal.systemRole ? "" : " in your project"}
          </p>
        </div>
        <form action="/" method="get" className="flex items-center gap-2">
          {state && <input type="hidden" name="state" value={state} />}
          <input
            type="search"
            name="q"
            defaultValue={q}
            placeholder="Search name, UUID or instance"
            className="w-72 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm placeholder:text-slate-400 focus:border-amber-500 focus:outline-none focus:ring-2 focus:ring-amber-500/30 dark:border-slate-700 dark:bg-slate-900"
          />
          <button type="submit" className="rounded-md bg-slate-900 px-3 py-1.5 text-sm font-medium text-white hover:bg-slate-700 dark:bg-slate-100 dark:text-slate-900 dark:hover:bg-white">
            Search
          </button>
        </form>
      </div>

      <div className="mb-5 grid grid-cols-2 gap-3 sm:grid-cols-4">
        {[
          { label: "Nodes", value: fleet.visible, tone: "text-slate-900 dark:text-slate-100" },
          { label: "Active", value: active, tone: "text-emerald-600 dark:text-emerald-400" },
          { label: "Available", value: available, tone: "text-sky-600 dark:text-sky-400" },
          { label: "Failed", value: failed, tone: failed ? "text-rose-600 dark:text-rose-400" : "text-slate-900 dark:text-slate-100" },
        ].map((s) => (
          <div key={s.label} className="rounded-xl border border-slate-200 bg-white px-4 py-3 shadow-sm dark:border-slate-800 dark:bg-slate-900/60">
            <div className="text-xs font-medium uppercase tracking-wide text-slate-500 dark:text-slate-400">{s.label}</div>
            <div className={cx("mt-1 text-2xl font-semibold", s.tone)}>{s.value}</div>
          </div>
        ))}
      </div>

      <div className="mb-3 flex flex-wrap items-center gap-2 text-sm">
        <Link
          href={link({ state: null, page: 1 })}
          className={cx("rounded-full border px-3 py-1", !state ? "border-slate-900 bg-slate-900 text-white dark:border-slate-100 dark:bg-slate-100 dark:text-slate-900" : "border-slate-300 text-slate-600 hover:bg-white dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-900")}
        >
          All <span className="opacity-60">{fleet.visible}</span>
        </Link>
        {fleet.stateCounts.map((s) => (
          <Link
            key={s.state}
            href={link({ state: s.state, page: 1 })}
            className={cx("rounded-full border px-3 py-1", state === s.state ? "border-slate-900 bg-slate-900 text-white dark:border-slate-100 dark:bg-slate-100 dark:text-slate-900" : "border-slate-300 text-slate-600 hover:bg-white dark:border-slate-700 dark:text-slate-300 dark:hover:bg-slate-900")}
          >
            {s.state} <span className="opacity-60">{s.count}</span>
          </Link>
        ))}
      </div>

      <Card>
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="fleet-table">
            <thead className="border-b border-slate-200 bg-slate-50/80 text-xs uppercase tracking-wide text-slate-500 dark:border-slate-800 dark:bg-slate-900 dark:text-slate-400">
              <tr>
                <th className="px-4 py-2.5 font-medium">Name</th>
                <th className="px-4 py-2.5 font-medium">Provision state</th>
                <th className="px-4 py-2.5 font-medium">Target</th>
                <th className="px-4 py-2.5 font-medium">Power</th>
                <th className="px-4 py-2.5 font-medium">Maintenance</th>
                <th className="px-4 py-2.5 font-medium">Resource class</th>
                <th className="px-4 py-2.5 font-medium">Owner</th>
                <th className="px-4 py-2.5 font-medium">Last error</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {fleet.rows.map((n) => (
                <tr key={n.uuid} className="hover:bg-slate-50 dark:hover:bg-slate-800/40">
                  <td className="px-4 py-2.5">
                    <Link href={`/nodes/${n.uuid}`} className="font-medium text-slate-900 hover:text-amber-600 dark:text-slate-100 dark:hover:text-amber-400">
                      {n.name ?? <Mono>{n.uuid.slice(0, 8)}</Mono>}
                    </Link>
                    <div className="font-mono text-[0.7rem] text-slate-400 dark:text-slate-500">{n.uuid.slice(0, 8)}</div>
                  </td>
                  <td className="px-4 py-2.5"><StateBadge state={n.provisionState} /></td>
                  <td className="px-4 py-2.5 text-slate-600 dark:text-slate-300">{n.targetProvisionState ?? <Empty />}</td>
                  <td className="px-4 py-2.5"><PowerState power={n.powerState} target={n.targetPowerState} /></td>
                  <td className="px-4 py-2.5">
                    {n.maintenance ? <Badge tone="amber" title={n.maintenanceReason ?? undefined}>maintenance</Badge> : <Empty>no</Empty>}
                  </td>
                  <td className="px-4 py-2.5 text-slate-600 dark:text-slate-300">{n.resourceClass ?? <Empty />}</td>
                  <td className="px-4 py-2.5 text-slate-600 dark:text-slate-300">
                    {name(n.owner) ?? <Empty />}
                    {n.lessee && <div className="text-xs text-slate-400">leased to {name(n.lessee)}</div>}
                  </td>
                  <td className="max-w-xs px-4 py-2.5">
                    {n.lastError ? <span className="line-clamp-2 text-xs text-rose-600 dark:text-rose-400" title={n.lastError}>{n.lastError}</span> : <Empty />}
                  </td>
                </tr>
              ))}
              {fleet.rows.length === 0 && (
                <tr>
                  <td colSpan={8} className="px-4 py-12 text-center text-slate-500 dark:text-slate-400">
                    {fleet.visible === 0 ? "No nodes yet. Enroll one with the API or `ingot seed`." : "No nodes match this filter."}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
        <div className="border-t border-slate-200 dark:border-slate-800">
          <Pagination page={fleet.page} pages={fleet.pages} total={fleet.total} pageSize={fleet.pageSize} href={(p) => link({ page: p })} />
        </div>
      </Card>
      <p className="mt-3 text-xs text-slate-400 dark:text-slate-500">Updated {formatDate(new Date())}</p>
    </AppShell>
  );
}
