// Port lookups and writes for the API's port module (lib/api/v1/ports.ts), which keeps Ironic's
// order of checks and calls these at each step; the SQL is lib/core/db/ports.ts.
import { findNode, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { findPortgroupLite, type PortgroupLite } from "../db/portgroups.ts";
import {
  deletePortRow, insertPort, pagePorts, portAddressTaken, portById, portByName, portByUuid, portIdByName, updatePort,
  type NewPort, type PortChanges, type PortFilter, type PortRow,
} from "../db/ports.ts";
import { sql } from "../db/sql.ts";

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
