// Volume connector and target use cases for the API's volume module (lib/api/v1/volume.ts), which
// parses in Ironic's order and calls these at each step: they check policy (concealing what the
// caller may not see) and the node's power state; the SQL is lib/core/db/volume.ts.
import { findNode, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
import { Invalid, NotFound } from "../errors.ts";
import { authorize, type Principal } from "../policy.ts";
import { isUuidLike, validateUuid } from "../uuid.ts";
import { allow, allowOrConceal, listScope, nodeToAttachTo } from "./access.ts";
import {
  bootIndexTaken, connectorTaken, deleteVolumeRow, findVolumeRow, insertConnector, insertTarget, pageVolume, updateConnector, updateTarget,
  type ConnectorRow, type ConnectorValues, type TargetRow, type TargetValues, type VolumeKind,
} from "../db/volume.ts";

export type { ConnectorRow, ConnectorValues, TargetRow, TargetValues, VolumeKind };

export async function volumeRow(kind: VolumeKind, uuid: string): Promise<ConnectorRow | TargetRow | undefined> {
  return findVolumeRow(await sql(), kind, uuid);
}

export async function volumePage(
  kind: VolumeKind, filter: { nodeId?: number; project?: string | null }, page: PageRequest, marker?: string,
): Promise<(ConnectorRow | TargetRow)[] | null> {
  return pageVolume(await sql(), kind, filter, page, marker);
}

/** A node by uuid (or name when `byName`), before the caller's rights are looked at. */
export async function volumeNode(ident: string, byName: boolean): Promise<NodeRecord | null> {
  return findNode(await sql(), ident, byName);
}

export async function connectorExists(type: string, connectorId: string, exceptId?: number): Promise<boolean> {
  return connectorTaken(await sql(), type, connectorId, exceptId);
}

export async function bootIndexExists(nodeId: number, bootIndex: number, exceptId?: number): Promise<boolean> {
  return bootIndexTaken(await sql(), nodeId, bootIndex, exceptId);
}

export async function saveConnector(id: number | null, uuid: string, values: ConnectorValues): Promise<void> {
  if (id === null) await insertConnector(await sql(), uuid, values);
  else await updateConnector(await sql(), id, values);
}

export async function saveTarget(id: number | null, uuid: string, values: TargetValues): Promise<void> {
  if (id === null) await insertTarget(await sql(), uuid, values);
  else await updateTarget(await sql(), id, values);
}

export async function removeVolumeRow(kind: VolumeKind, id: number): Promise<void> {
  await deleteVolumeRow(await sql(), kind, id);
}

const LABEL: Record<VolumeKind, string> = { connector: "Volume connector", target: "Volume target" };

/** The project whose volume objects the caller may list (null: all), checked before the list's parameters. */
export function volumeListProject(principal: Principal): string | null {
  return listScope(principal, "baremetal:volume:list", "baremetal:volume:list_all");
}

/**
 * The connector or target `uuid` if the caller may see it, and, when `rule` is given, may act on it
 * (403); a project-scoped caller who may not see it gets 404.
 */
export async function visibleVolumeRow(principal: Principal, kind: VolumeKind, uuid: string, rule?: string): Promise<ConnectorRow | TargetRow> {
  if (!isUuidLike(uuid)) throw new Invalid(`Expected UUID for ${kind}_uuid: ${uuid}`);
  const row = await volumeRow(kind, uuid);
  if (!row) throw new NotFound(`${LABEL[kind]} ${uuid} could not be found.`);
  const target = { owner: row.nodeOwner, lessee: row.nodeLessee };
  allowOrConceal("baremetal:volume:get", principal, target, () => new NotFound(`${LABEL[kind]} ${row.uuid} could not be found.`));
  if (rule) allow(rule, principal, target);
  return row;
}

/** Whether the caller sees a target's properties (otherwise they are redacted). */
export function mayViewTargetProperties(principal: Principal, row: TargetRow): boolean {
  return authorize("baremetal:volume:view_target_properties", principal, { owner: row.nodeOwner, lessee: row.nodeLessee });
}

/** Ironic changes or removes volume objects only while the node is powered off. */
function requirePoweredOff(action: string, node: { uuid: string; powerState: string | null }): void {
  if (node.powerState !== "power off") {
    throw new Invalid(
      `The requested action "${action}" can not be performed on node "${node.uuid}" while it is in state "${node.powerState ?? "None"}".`,
    );
  }
}

/**
 * The id of the node a changed connector or target belongs to: its node (powered off), or the node
 * `moveTo` names (the caller may update volumes there, and it is powered off too).
 */
export async function volumeUpdateNode(principal: Principal, kind: VolumeKind, row: ConnectorRow | TargetRow, moveTo: { nodeUuid: unknown } | null): Promise<number> {
  const action = `volume ${kind} update`;
  requirePoweredOff(action, { uuid: row.nodeUuid, powerState: row.nodePowerState });
  if (!moveTo) return Number(row.nodeId);
  const node = await nodeToAttachTo(principal, validateUuid(moveTo.nodeUuid, "node_uuid"), false, "baremetal:volume:update");
  requirePoweredOff(action, node);
  return node.id;
}

/** Deletes the connector or target `uuid` while its node is powered off. */
export async function deleteVolumeObject(principal: Principal, kind: VolumeKind, uuid: string): Promise<void> {
  const row = await visibleVolumeRow(principal, kind, uuid, "baremetal:volume:delete");
  requirePoweredOff(`volume ${kind} deletion`, { uuid: row.nodeUuid, powerState: row.nodePowerState });
  await removeVolumeRow(kind, row.id);
}
