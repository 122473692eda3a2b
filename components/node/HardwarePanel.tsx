"use client";
// The Hardware tab: the inventory recorded by the last inspection (GET /v1/nodes/{n}/inventory,
// 1.81) — system, CPU, memory, disks, NICs with their MACs, BMC address — and, when there is none,
// how to get one. The query is under ["node", uuid], so an inspection finishing refreshes it.
import { useQuery } from "@tanstack/react-query";
import { Card, Empty, Fields, Mono } from "@/components/Card.tsx";
import { formatMemory } from "@/components/format.ts";
import { useApi } from "@/components/Providers.tsx";
import { Badge } from "@/components/StateBadge.tsx";
import { Banner, Spinner } from "@/components/ui.tsx";
import { ApiError } from "@/lib/client/api.ts";
import { enrollKeys, INVENTORY_MIN_MINOR, nodeInventory } from "@/lib/client/enroll.ts";
import { errorText } from "@/lib/client/node.ts";
import type { ApiNode } from "@/lib/shared/wire.ts";
import { authorize, type Principal } from "@/lib/shared/policy.ts";
import { isProvisionState, ProvisionState, verbAllowedFrom } from "@/lib/shared/states.ts";
import { formatBytes, formatMhz, summarizeInventory } from "./inventory.ts";

export function HardwarePanel({ node, principal, minor }: { node: ApiNode; principal: Principal; minor: number }) {
  const api = useApi();
  const allowed = authorize("baremetal:node:inventory:get", principal, node);
  const supported = minor === 0 || minor >= INVENTORY_MIN_MINOR;
  const q = useQuery({
    queryKey: enrollKeys.inventory(node.uuid),
    queryFn: () => nodeInventory(api, node.uuid),
    enabled: allowed && supported,
    retry: false,
  });

  if (!allowed) return <Note>The inventory of this node needs baremetal:node:inventory:get.</Note>;
  if (!supported) return <Note>This server speaks API 1.{minor}; the inventory needs 1.{INVENTORY_MIN_MINOR}.</Note>;
  if (q.isPending) return <Note><Spinner label="Loading the inventory" /> Loading the inventory…</Note>;
  if (q.isError) {
    if (q.error instanceof ApiError && q.error.status === 404) {
      return (
        <div className="rounded-xl border border-dashed border-slate-300 px-4 py-6 text-sm dark:border-slate-700" data-testid="inventory-empty">
          <p className="font-medium">No hardware inventory recorded for this node yet.</p>
          <p className="mt-1 text-slate-600 dark:text-slate-300">
            {inspectAdvice(node.provision_state, minor || Number.MAX_SAFE_INTEGER, <Mono>openstack baremetal node inspect {node.name ?? node.uuid}</Mono>)}
            {node.inspect_interface === "no-inspect" && <> Its inspect interface is <Mono>no-inspect</Mono>: choose another one first, if its hardware type offers one.</>}
          </p>
        </div>
      );
    }
    return <Banner tone="error" data-testid="inventory-error">The inventory could not be read: {errorText(q.error)}</Banner>;
  }

  const inv = summarizeInventory(q.data.inventory);
  return (
    <div className="space-y-6" data-testid="inventory">
      <div className="grid gap-6 lg:grid-cols-2">
        <Card title="System">
          <Fields
            items={[
              ["Manufacturer", inv.system.manufacturer],
              ["Product", inv.system.product],
              ["Serial number", inv.system.serial && <Mono key="s">{inv.system.serial}</Mono>],
              ["Firmware", inv.system.firmware],
              ["BMC address", inv.bmc.v4 || inv.bmc.v6 ? <Mono key="b">{[inv.bmc.v4, inv.bmc.v6].filter(Boolean).join(", ")}</Mono> : null],
              ["Boot mode", inv.bootMode],
              ["Host name", inv.hostname],
            ]}
          />
        </Card>
        <Card title="CPU and memory">
          <Fields
            items={[
              ["CPU model", inv.cpu?.model ?? null],
              ["CPUs", inv.cpu?.count != null ? `${inv.cpu.count}${inv.cpu.sockets ? ` (${inv.cpu.sockets} socket${inv.cpu.sockets === 1 ? "" : "s"})` : ""}` : null],
              ["Architecture", inv.cpu?.architecture ?? null],
              ["Frequency", inv.cpu?.frequencyMhz != null ? formatMhz(inv.cpu.frequencyMhz) : null],
              ["Memory (installed)", inv.memory?.physicalMb != null ? formatMemory(inv.memory.physicalMb) : null],
              ["Memory (usable)", inv.memory?.totalBytes != null ? formatBytes(inv.memory.totalBytes) : null],
            ]}
          />
        </Card>
      </div>

      <Card title={`Disks (${inv.disks.length})`}>
        {inv.disks.length === 0 ? <Note>No disks reported.</Note> : (
          <Table caption="Disks" head={["Device", "Size", "Type", "Model", "Serial", "WWN"]}>
            {inv.disks.map((d) => (
              <tr key={d.name}>
                <th scope="row" className="py-1.5 pr-3 font-medium"><Mono>{d.name}</Mono></th>
                <td className="py-1.5 pr-3 whitespace-nowrap">{formatBytes(d.sizeBytes, true)}</td>
                <td className="py-1.5 pr-3">{d.rotational === null ? <Empty /> : d.rotational ? "HDD" : "SSD"}</td>
                <td className="py-1.5 pr-3">{[d.vendor, d.model].filter(Boolean).join(" ") || <Empty />}</td>
                <td className="py-1.5 pr-3">{d.serial ? <Mono>{d.serial}</Mono> : <Empty />}</td>
                <td className="py-1.5">{d.wwn ? <Mono>{d.wwn}</Mono> : <Empty />}</td>
              </tr>
            ))}
          </Table>
        )}
      </Card>

      <Card title={`Network interfaces (${inv.nics.length})`}>
        {inv.nics.length === 0 ? <Note>No network interfaces reported.</Note> : (
          <Table caption="Network interfaces" head={["Name", "MAC address", "IPv4", "IPv6", "Link", "Speed"]}>
            {inv.nics.map((n) => (
              <tr key={`${n.name}-${n.mac}`} data-testid="inventory-nic">
                <th scope="row" className="py-1.5 pr-3 font-medium">
                  <span className="inline-flex items-center gap-2"><Mono>{n.name}</Mono>{n.pxe && <Badge tone="blue">PXE</Badge>}</span>
                </th>
                <td className="py-1.5 pr-3">{n.mac ? <Mono>{n.mac}</Mono> : <Empty />}</td>
                <td className="py-1.5 pr-3">{n.ipv4 ? <Mono>{n.ipv4}</Mono> : <Empty />}</td>
                <td className="py-1.5 pr-3">{n.ipv6 ? <Mono>{n.ipv6}</Mono> : <Empty />}</td>
                <td className="py-1.5 pr-3">{n.carrier === null ? <Empty /> : n.carrier ? "up" : "down"}</td>
                <td className="py-1.5">{n.speedMbps != null ? (n.speedMbps >= 1000 ? `${n.speedMbps / 1000} Gb/s` : `${n.speedMbps} Mb/s`) : <Empty />}</td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </div>
  );
}

function Note({ children }: { children: React.ReactNode }) {
  return <p className="px-4 py-3 text-sm text-slate-500 dark:text-slate-400">{children}</p>;
}

function Table({ caption, head, children }: { caption: string; head: string[]; children: React.ReactNode }) {
  return (
    <div className="overflow-x-auto px-4 pb-3">
      <table className="mt-2 w-full text-left text-sm">
        <caption className="sr-only">{caption}</caption>
        <thead className="text-xs uppercase tracking-wide text-slate-500 dark:text-slate-400">
          <tr>{head.map((h) => <th key={h} scope="col" className="py-1.5 pr-3 font-medium">{h}</th>)}</tr>
        </thead>
        <tbody className="divide-y divide-slate-100 dark:divide-slate-800">{children}</tbody>
      </table>
    </div>
  );
}

/** How this node gets an inventory from the state it is in (inspection runs on manageable nodes). */
function inspectAdvice(state: string, minor: number, cli: React.ReactNode): React.ReactNode {
  const can = (verb: "inspect" | "manage") => isProvisionState(state) && verbAllowedFrom(verb, state, minor);
  if (can("inspect")) return <>Inspect the node to collect one: choose <b>Inspect</b> above (or {cli}).</>;
  if (can("manage")) return <>Inspect the node to collect one: move it to <b>manageable</b> (Manage), then choose <b>Inspect</b> above (or {cli}).</>;
  if (state === ProvisionState.ACTIVE) {
    return <>Inspection needs the node <b>manageable</b>. It is <b>active</b> (deployed): it would first have to be undeployed, which ends its instance and cleans its disks, then managed.</>;
  }
  return <>Inspection needs the node <b>manageable</b>. It is <b>{state}</b> now: it can be inspected once it gets there.</>;
}
