// The node lookups and writes behind the ramdisk endpoints (lib/api/v1/ramdisk.ts): which node
// an agent runs on, its agent token, and the agent data a heartbeat records.
import { driverInfoInState, findNode, getNodeById, updateNode, type NodeRecord } from "../db/nodes.ts";
import { nodeIdsWithAddresses } from "../db/ports.ts";
import { sql } from "../db/sql.ts";
import { randomBytes } from "node:crypto";
import { AGENT_TOKEN_KEY } from "../agent/internal_info.ts";
import { NodeLocked, NodeNotFound } from "../errors.ts";
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

/**
 * The node with a new agent token in driver_internal_info (minted once per agent boot, as
 * Ironic's get_node_with_token), or null when the node already has one. Written only while nobody
 * holds the node's lock and nobody changed it in between (a conductor at work writes
 * driver_internal_info from its own copy): NodeLocked otherwise; the agent looks up again.
 */
export async function mintAgentToken(node: NodeRecord): Promise<{ node: NodeRecord; token: string } | null> {
  const existing = node.driverInternalInfo[AGENT_TOKEN_KEY];
  if (typeof existing === "string" && existing) return null;
  if (node.reservation) throw new NodeLocked(node.uuid, node.reservation);
  const token = randomBytes(32).toString("base64url");
  const driverInternalInfo = { ...node.driverInternalInfo, [AGENT_TOKEN_KEY]: token };
  const updated = await updateNode(await sql(), node.id, { driverInternalInfo }, { expectVersion: node.version, expectReservation: null });
  if (!updated) throw new NodeLocked(node.uuid, node.reservation ?? "another conductor");
  return { node: updated, token };
}

export interface AgentHeartbeat {
  callbackUrl: string;
  agentVersion: string | null;
  status: string | null;
  statusMessage: string | null;
  /** The agent's own CA certificate (PEM) the conductor must trust when calling it over HTTPS. */
  verifyCa: string | null;
}

/**
 * Records the agent's data in driver_internal_info (agent_url, agent_version,
 * agent_last_heartbeat, agent_status, agent_status_message, agent_verify_ca) — only while nobody holds the node's
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
    if (hb.verifyCa) dii.agent_verify_ca = hb.verifyCa;
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
