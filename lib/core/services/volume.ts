// Volume connectors and targets for the API's volume module (lib/api/v1/volume.ts), which keeps
// Ironic's order of checks and calls these at each step; the SQL is lib/core/db/volume.ts.
import { findNode, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
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
