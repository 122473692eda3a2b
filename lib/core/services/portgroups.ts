// Port groups for the API's portgroup module (lib/api/v1/portgroups.ts), which keeps Ironic's
// order of checks and calls these at each step; the SQL is lib/core/db/portgroups.ts.
import { findNode, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import {
  deletePortgroupRow, insertPortgroup, pagePortgroups, portgroupAddressTaken, portgroupById, portgroupByName, portgroupByUuid,
  portgroupNameTaken, updatePortgroup, type PortgroupChanges, type PortgroupRow,
} from "../db/portgroups.ts";
import { countPortgroupPorts } from "../db/ports.ts";
import { sql } from "../db/sql.ts";
import { isUuidLike } from "../uuid.ts";

export type { PortgroupChanges, PortgroupRow };

/** The port group with this uuid or name. */
export async function portgroupNamed(ident: string): Promise<PortgroupRow | undefined> {
  const db = await sql();
  return isUuidLike(ident) ? portgroupByUuid(db, ident) : portgroupByName(db, ident);
}

export async function portgroupWithUuid(uuid: string): Promise<PortgroupRow | undefined> {
  return portgroupByUuid(await sql(), uuid);
}

export async function listPortgroupPage(
  filter: { nodeId?: number; address?: string; project?: string | null }, page: PageRequest, marker?: PortgroupRow,
): Promise<PortgroupRow[]> {
  return pagePortgroups(await sql(), filter, page, marker);
}

/** A node by uuid (or name when `byName`), before the caller's rights are looked at. */
export async function portgroupNode(ident: string, byName: boolean): Promise<NodeRecord | null> {
  return findNode(await sql(), ident, byName);
}

export async function nameTaken(name: string, exceptId: number | null): Promise<boolean> {
  return portgroupNameTaken(await sql(), name, exceptId);
}

export async function addressTaken(address: string, exceptId: number | null): Promise<boolean> {
  return portgroupAddressTaken(await sql(), address, exceptId);
}

export async function portsInPortgroup(id: number): Promise<number> {
  return countPortgroupPorts(await sql(), id);
}

export async function createPortgroupRow(uuid: string, values: PortgroupChanges & { nodeId: number }): Promise<PortgroupRow> {
  const db = await sql();
  await insertPortgroup(db, uuid, values);
  return (await portgroupByUuid(db, uuid))!;
}

export async function changePortgroup(id: number, changes: PortgroupChanges): Promise<PortgroupRow> {
  const db = await sql();
  await updatePortgroup(db, id, changes);
  return (await portgroupById(db, id))!;
}

export async function removePortgroup(id: number): Promise<void> {
  await deletePortgroupRow(await sql(), id);
}
