import Link from "next/link";
import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell.tsx";
import { Card, DictFields, Empty, Fields, Mono } from "@/components/Card.tsx";
import { cx, formatDate, formatDuration, formatMemory } from "@/components/format.ts";
import { GRAPHICAL_CONSOLES, SERIAL_CONSOLES } from "@/components/consoleKinds.ts";
import { NodeConsoles } from "@/components/NodeConsoles.tsx";
import { Badge, PowerState, StateBadge } from "@/components/StateBadge.tsx";
import { authorize } from "@/lib/core/policy.ts";
import { INTERFACE_NAMES } from "@/lib/core/db/nodes.ts";
import { maskInstanceInfo, maskSecrets, nodeView } from "@/lib/web/fleet.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { consoleWebsocketsAvailable } from "./console/support.ts";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

export async function generateMetadata({ params }: { params: Params }) {
  const { id } = await params;
  return { title: decodeURIComponent(id) };
}

export default async function NodePage({ params }: { params: Params }) {
  const viewer = await requireViewer();
  const { id } = await params;
  const view = await nodeView(viewer.principal, decodeURIComponent(id));
  if (!view) notFound();
  const { node, ports, history, projects } = view;
  const project = (pid: string | null) => (pid ? <span title={pid}>{projects.get(pid) ?? <Mono>{pid}</Mono>}</span> : <Empty />);
  const props = node.properties as Record<string, unknown>;
  const REDACTED = <Empty>hidden — requires the owner&apos;s reader role</Empty>;
  // The console panel: for console interfaces the browser can show, when this server serves the
  // console websockets. Everyone who sees the node may watch its serial console (read-only without
  // baremetal:node:get_console, as the websocket's hello says); the graphical console needs that right.
  const consoleIface = node.consoleInterface ?? "";
  const canType = authorize("baremetal:node:get_console", viewer.principal, node);
  const showConsoles =
    (SERIAL_CONSOLES.includes(consoleIface) || (GRAPHICAL_CONSOLES.includes(consoleIface) && canType)) &&
    (await consoleWebsocketsAvailable((await headers()).get("host")));

  return (
    <AppShell viewer={viewer} projects={projects}>
      <nav className="mb-3 text-sm text-slate-500 dark:text-slate-400">
        <Link href="/" className="hover:text-slate-800 dark:hover:text-slate-200">Fleet</Link>
        <span className="mx-2">/</span>
        <span className="text-slate-800 dark:text-slate-200">{node.name ?? node.uuid}</span>
      </nav>

      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight" data-testid="node-name">{node.name ?? node.uuid}</h1>
          <p className="mt-1 font-mono text-xs text-slate-500 dark:text-slate-400" data-testid="node-uuid">{node.uuid}</p>
          {node.description && <p className="mt-2 text-sm text-slate-600 dark:text-slate-300">{node.description}</p>}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <StateBadge state={node.provisionState} />
          {node.targetProvisionState && <Badge tone="amber">→ {node.targetProvisionState}</Badge>}
          {node.maintenance && <Badge tone="amber" title={node.maintenanceReason ?? undefined}>maintenance</Badge>}
          {node.protected && <Badge tone="violet">protected</Badge>}
          {node.retired && <Badge tone="gray">retired</Badge>}
          {node.reservation && <Badge tone="amber">locked by {node.reservation}</Badge>}
        </div>
      </div>

      {node.lastError && (
        <div className="mb-6 rounded-xl border border-rose-200 bg-rose-50 px-4 py-3 text-sm text-rose-800 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200" data-testid="last-error">
          <div className="font-semibold">Last error</div>
          <div className="mt-1">{view.canSeeLastError ? node.lastError : "** Value redacted: requires the owner's reader role. **"}</div>
        </div>
      )}

      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="State">
          <Fields
            items={[
              ["Provision state", <StateBadge key="p" state={node.provisionState} />],
              ["Target provision state", node.targetProvisionState],
              ["Provision updated", formatDate(node.provisionUpdatedAt)],
              ["Power state", <PowerState key="w" power={node.powerState} target={node.targetPowerState} />],
              ["Maintenance", node.maintenance ? <span key="m">yes{node.maintenanceReason ? ` — ${node.maintenanceReason}` : ""}</span> : "no"],
              ["Fault", node.fault],
              ["Console", node.consoleEnabled ? "enabled" : "disabled"],
              ["Boot mode", node.bootMode],
              ["Created", formatDate(node.createdAt)],
              ["Updated", formatDate(node.updatedAt)],
            ]}
          />
        </Card>

        <Card title="Hardware">
          <Fields
            items={[
              ["Driver", <Mono key="d">{node.driver}</Mono>],
              ["Resource class", node.resourceClass],
              ["CPUs", props.cpus !== undefined ? `${String(props.cpus)} × ${String(props.cpu_arch ?? "?")}` : null],
              ["Memory", props.memory_mb !== undefined ? formatMemory(props.memory_mb) : null],
              ["Local disk", props.local_gb !== undefined ? `${String(props.local_gb)} GB` : null],
              ["Owner", project(node.owner)],
              ["Lessee", project(node.lessee)],
              ["Conductor group", node.conductorGroup || <Empty key="c">default</Empty>],
              ["Instance", node.instanceUuid ? <span key="i"><Mono>{node.instanceUuid}</Mono>{node.instanceName && <div className="text-xs text-slate-500">{node.instanceName}</div>}</span> : null],
            ]}
          />
        </Card>

        <Card title="Interfaces">
          <div className="grid grid-cols-2 gap-x-4 px-4 py-2 text-sm sm:grid-cols-3">
            {INTERFACE_NAMES.map((i) => {
              const v = (node as unknown as Record<string, string | null>)[`${i}Interface`];
              return (
                <div key={i} className="flex justify-between gap-2 border-b border-slate-100 py-1.5 dark:border-slate-800">
                  <span className="text-slate-500 dark:text-slate-400">{i}</span>
                  {v ? <Mono>{v}</Mono> : <Empty />}
                </div>
              );
            })}
          </div>
        </Card>

        <Card title="Traits">
          <div className="flex flex-wrap gap-2 px-4 py-3" data-testid="traits">
            {node.traits.length ? node.traits.map((t) => <Badge key={t} tone="gray"><Mono>{t}</Mono></Badge>) : <Empty>no traits</Empty>}
          </div>
        </Card>

        <Card title="Properties">
          <DictFields dict={props} />
        </Card>

        <Card title="Driver info">
          {view.canSeeDriverInfo ? <DictFields dict={maskSecrets(node.driverInfo)} /> : <p className="px-4 py-3 text-sm">{REDACTED}</p>}
        </Card>

        <Card title="Instance info" className="lg:col-span-2">
          <DictFields dict={maskInstanceInfo(node.instanceInfo)} emptyText="no instance" />
        </Card>
      </div>

      {showConsoles && (
        <NodeConsoles
          node={node.uuid}
          consoleInterface={consoleIface}
          enabled={node.consoleEnabled}
          canSet={authorize("baremetal:node:set_console_state", viewer.principal, node)}
          canType={canType}
        />
      )}

      <Card title={`Ports (${ports.length})`} className="mt-6">
        {ports.length ? (
          <table className="w-full text-left text-sm" data-testid="ports">
            <thead className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
              <tr className="border-b border-slate-200 dark:border-slate-800">
                <th className="px-4 py-2 font-medium">MAC address</th>
                <th className="px-4 py-2 font-medium">UUID</th>
                <th className="px-4 py-2 font-medium">PXE</th>
                <th className="px-4 py-2 font-medium">Physical network</th>
                <th className="px-4 py-2 font-medium">Switch port</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {ports.map((p) => (
                <tr key={p.uuid}>
                  <td className="px-4 py-2"><Mono>{p.address}</Mono></td>
                  <td className="px-4 py-2"><Mono className="text-slate-500">{p.uuid}</Mono></td>
                  <td className="px-4 py-2">{p.pxeEnabled ? "yes" : "no"}</td>
                  <td className="px-4 py-2">{p.physicalNetwork ?? <Empty />}</td>
                  <td className="px-4 py-2">
                    {p.localLinkConnection.port_id ? (
                      <Mono>{String(p.localLinkConnection.switch_info ?? p.localLinkConnection.switch_id ?? "")} {String(p.localLinkConnection.port_id)}</Mono>
                    ) : <Empty />}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="px-4 py-3 text-sm text-slate-400">no ports</p>
        )}
      </Card>

      <Card title="History" className="mt-6" id="history">
        {history === null ? (
          <p className="px-4 py-3 text-sm">{REDACTED}</p>
        ) : history.length ? (
          <div className="overflow-x-auto">
            <table className="w-full text-left text-sm" data-testid="history">
              <thead className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
                <tr className="border-b border-slate-200 dark:border-slate-800">
                  <th className="px-4 py-2 font-medium">Time</th>
                  <th className="px-4 py-2 font-medium">Event</th>
                  <th className="px-4 py-2 font-medium">Type</th>
                  <th className="px-4 py-2 font-medium">Severity</th>
                  <th className="px-4 py-2 font-medium">User</th>
                  <th className="px-4 py-2 font-medium">State</th>
                  <th className="px-4 py-2 font-medium">Duration</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
                {history.map((h) => (
                  <tr key={h.uuid} className={cx(h.severity === "ERROR" && "bg-rose-50/60 dark:bg-rose-950/20")}>
                    <td className="whitespace-nowrap px-4 py-2 text-slate-500 dark:text-slate-400"><Mono>{formatDate(h.createdAt)}</Mono></td>
                    <td className="px-4 py-2">{h.event}</td>
                    <td className="whitespace-nowrap px-4 py-2 text-slate-600 dark:text-slate-300">{h.eventType}</td>
                    <td className="px-4 py-2"><Badge tone={h.severity === "ERROR" ? "red" : h.severity === "WARNING" ? "amber" : "gray"}>{h.severity}</Badge></td>
                    <td className="px-4 py-2 text-slate-600 dark:text-slate-300">{h.user ?? <Empty />}</td>
                    <td className="whitespace-nowrap px-4 py-2">{h.state ? <StateBadge state={h.state} /> : <Empty />}</td>
                    <td className="whitespace-nowrap px-4 py-2 text-slate-600 dark:text-slate-300">{formatDuration(h.durationSeconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p className="px-4 py-3 text-sm text-slate-400">no events yet</p>
        )}
      </Card>
    </AppShell>
  );
}
