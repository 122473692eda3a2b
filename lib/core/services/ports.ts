// Port use cases for the API's port module (lib/api/v1/ports.ts), which parses in Ironic's order
// and calls these at each step: they check policy (concealing what the caller may not see) and
// the node's state; the SQL is lib/core/db/ports.ts.
import { findNode, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { findPortgroupLite, type PortgroupLite } from "../db/portgroups.ts";
import {
  deletePortRow, insertPort, pagePorts, portAddressTaken, portById, portByName, portByUuid, portIdByName, updatePort,
  type NewPort, type PortChanges, type PortFilter, type PortRow,
} from "../db/ports.ts";
import { sql } from "../db/sql.ts";
import { parseJson, toBool } from "../db/values.ts";
import { Conflict, NotFound } from "../errors.ts";
import type { Principal } from "../policy.ts";
import { inStates, PORT_MOVE_ALLOWED_STATES, ProvisionState as PS } from "../states.ts";
import { allow, allowOrConceal, listScope, nodeToAttachTo } from "./access.ts";

export type { PortRow, PortgroupLite };

export async function portNamed(ident: string, byName: boolean): Promise<PortRow | undefined> {
  return byName ? portByName(await sql(), ident) : portByUuid(await sql(), ident);
}

export async function listPortPage(filter: PortFilter, page: PageRequest, marker?: PortRow): Promise<PortRow[]> {
  return pagePorts(await sql(), filter, page, marker);
}

/** A node named by uuid (or by name when `byName`), without visibility checks (the caller decides). */
export async function nodeNamed(ident: string, byName: boolean): Promise<NodeRecord | null> {
  return findNode(await sql(), ident, byName);
}

export async function portgroupNamed(ident: string): Promise<PortgroupLite | undefined> {
  return findPortgroupLite(await sql(), ident);
}

export async function addressTaken(address: string, exceptId?: number): Promise<boolean> {
  return portAddressTaken(await sql(), address, exceptId);
}

export async function portNameOwner(name: string): Promise<number | null> {
  return portIdByName(await sql(), name);
}

/** Inserts the port and returns it as the API shows it. */
export async function createPortRow(port: NewPort): Promise<PortRow> {
  const db = await sql();
  await insertPort(db, port);
  return (await portByUuid(db, port.uuid))!;
}

export async function changePort(id: number, changes: PortChanges): Promise<PortRow> {
  const db = await sql();
  await updatePort(db, id, changes);
  return (await portById(db, id))!;
}

export async function removePort(id: number): Promise<void> {
  await deletePortRow(await sql(), id);
}

/** The project whose ports the caller may list (null: all), checked before the list's parameters. */
export function portListProject(principal: Principal): string | null {
  return listScope(principal, "baremetal:port:list", "baremetal:port:list_all");
}

/**
 * The port `ident` (by name when `byName`) if the caller may see it, and, when `rule` is given, may
 * act on it (403); a project-scoped caller who may not see it gets 404.
 */
export async function visiblePort(principal: Principal, ident: string, byName: boolean, rule?: string): Promise<PortRow> {
  const row = await portNamed(ident, byName);
  if (!row) throw new NotFound(`Port ${ident} could not be found.`);
  const target = { owner: row.nodeOwner, lessee: row.nodeLessee };
  allowOrConceal("baremetal:port:get", principal, target, () => new NotFound(`Port ${row.uuid} could not be found.`));
  if (rule) allow(rule, principal, target);
  return row;
}

/**
 * The node a port or port group (`what` `uuid`) moves to: the caller passes `rule` on it, and it is
 * being set up or in maintenance.
 */
export async function nodeToMoveTo(principal: Principal, nodeUuid: string, rule: string, what: "Port" | "Portgroup", uuid: string): Promise<NodeRecord> {
  const node = await nodeToAttachTo(principal, nodeUuid, false, rule);
  requireNodeAcceptsMembers(what, uuid, node);
  return node;
}

/** Ironic refuses to re-home a port/portgroup onto a node that is not being set up (409). */
function requireNodeAcceptsMembers(what: "Port" | "Portgroup", uuid: string, node: NodeRecord): void {
  if (node.maintenance || inStates(node.provisionState, PORT_MOVE_ALLOWED_STATES)) return;
  throw new Conflict(
    `${what} ${uuid} can not be associated to node ${node.uuid} unless the node is in a ${PORT_MOVE_ALLOWED_STATES.join(", ")} state or in maintenance mode.`,
  );
}

/** A VIF is attached to the port (Ironic keeps it in internal_info, legacy in extra). */
export function portHasVif(row: Pick<PortRow, "internalInfo" | "extra">): boolean {
  const ii = parseJson<Record<string, unknown>>(row.internalInfo, {});
  const ex = parseJson<Record<string, unknown>>(row.extra, {});
  return Boolean(ii.tenant_vif_port_id || ex.vif_port_id);
}

/** Deletes the port `ident`, unless its node is deployed (not in maintenance) and the port carries a VIF. */
export async function deletePort(principal: Principal, ident: string, byName: boolean): Promise<void> {
  const row = await visiblePort(principal, ident, byName, "baremetal:port:delete");
  if (row.nodeProvisionState === PS.ACTIVE && !toBool(row.nodeMaintenance) && portHasVif(row)) {
    throw new Conflict(
      `Cannot delete port ${row.uuid} because node ${row.nodeUuid} is active and the port has a VIF attached. Detach the VIF or put the node in maintenance first.`,
    );
  }
  await removePort(row.id);
}
