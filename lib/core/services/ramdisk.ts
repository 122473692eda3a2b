// The node lookups and writes behind the ramdisk endpoints (lib/api/v1/ramdisk.ts): which node
// an agent runs on, its agent token, and the agent data a heartbeat records.
import { driverInfoInState, findNode, getNodeById, updateNode, type NodeRecord } from "../db/nodes.ts";
import { nodeIdsWithAddresses } from "../db/ports.ts";
import { sql } from "../db/sql.ts";
import { NodeNotFound } from "../errors.ts";
import { ProvisionState as PS } from "../states.ts";

/** The node with this uuid (or name when `allowName`), or null. */
export async function agentNode(ident: string, allowName: boolean): Promise<NodeRecord | null> {
  return findNode(await sql(), ident, allowName);
}

export async function agentNodeById(id: number): Promise<NodeRecord | null> {
  return getNodeById(await sql(), id);
}

/** The one node with a port on one of these MACs, or null. */
export async function nodeWithAddresses(addresses: string[]): Promise<NodeRecord | null> {
  if (!addresses.length) return null;
  const db = await sql();
  const ids = await nodeIdsWithAddresses(db, addresses);
  // Several nodes share none of a machine's MACs: ambiguity means we cannot tell which it is.
  if (ids.length !== 1) return null;
  return getNodeById(db, ids[0]);
}

/** Writes the node's driver_internal_info; the updated node, or null when it is gone. */
export async function writeDriverInternalInfo(node: NodeRecord, driverInternalInfo: Record<string, unknown>): Promise<NodeRecord | null> {
  return updateNode(await sql(), node.id, { driverInternalInfo });
}

export interface AgentHeartbeat {
  callbackUrl: string;
  agentVersion: string | null;
  status: string | null;
  statusMessage: string | null;
}

/**
 * Records the agent's data in driver_internal_info (agent_url, agent_version,
 * agent_last_heartbeat, agent_status, agent_status_message) — only while nobody holds the node's
 * lock and nobody changed the node in between: a conductor at work writes driver_internal_info
 * from its own copy, and a blind write here could undo its step bookkeeping. Returns false when
 * the node is locked.
 */
export async function recordHeartbeat(node: NodeRecord, hb: AgentHeartbeat): Promise<NodeRecord | false> {
  const db = await sql();
  let current: NodeRecord | null = node;
  for (let attempt = 0; attempt < 5 && current; attempt++) {
    if (current.reservation) return false;
    const dii: Record<string, unknown> = { ...current.driverInternalInfo, agent_url: hb.callbackUrl, agent_last_heartbeat: new Date().toISOString() };
    if (hb.agentVersion !== null) dii.agent_version = hb.agentVersion;
    if (hb.status) dii.agent_status = hb.status;
    if (hb.statusMessage) dii.agent_status_message = hb.statusMessage;
    const updated = await updateNode(db, current.id, { driverInternalInfo: dii }, { expectVersion: current.version, expectReservation: null });
    if (updated) return updated;
    current = await getNodeById(db, current.id); // changed or locked meanwhile: look again
  }
  if (!current) throw new NodeNotFound(node.uuid);
  return false;
}

/** driver_info keys that hold a BMC address, per hardware type. */
const BMC_ADDRESS_KEYS = ["ipmi_address", "redfish_address", "bmc_address"];

/** The host part of a BMC address as given in driver_info or an inventory, or null. */
export function bmcHost(value: unknown): string | null {
  if (typeof value !== "string" || value === "") return null;
  try {
    return new URL(value.includes("://") ? value : `http://${value}`).hostname.replace(/^\[|\]$/g, "");
  } catch {
    return value;
  }
}

/** The one node in "inspect wait" that owns these MACs or BMC addresses, or null. */
export async function lookupInspectingNode(macs: string[], bmcAddresses: string[], nodeUuid: string | null): Promise<NodeRecord | null> {
  const db = await sql();
  const candidates = new Map<number, NodeRecord>();
  if (nodeUuid) {
    const n = await findNode(db, nodeUuid, false);
    if (n) candidates.set(n.id, n);
  } else {
    if (macs.length) {
      for (const id of await nodeIdsWithAddresses(db, macs)) {
        const n = await getNodeById(db, id);
        if (n) candidates.set(n.id, n);
      }
    }
    if (bmcAddresses.length) {
      for (const row of await driverInfoInState(db, PS.INSPECTWAIT)) {
        const info = JSON.parse(row.driverInfo || "{}") as Record<string, unknown>;
        if (BMC_ADDRESS_KEYS.some((k) => { const h = bmcHost(info[k]); return h !== null && bmcAddresses.includes(h); })) {
          const n = await getNodeById(db, Number(row.id));
          if (n) candidates.set(n.id, n);
        }
      }
    }
  }
  const waiting = [...candidates.values()].filter((n) => n.provisionState === PS.INSPECTWAIT);
  return waiting.length === 1 ? waiting[0] : null;
}
