// Port table. Reads come joined with what the API shows and decides on (the node's uuid, owner,
// lessee, state, maintenance; the port group's uuid); values as stored (the API renders them).
import { pageRows, type PageRequest } from "./page.ts";
import { toBool, type Sql, type SqlValue } from "./sql.ts";
import { visibleTo } from "./visibility.ts";

/** A Port row joined with its node's uuid/owner/lessee/state and its portgroup's uuid. */
export interface PortRow {
  id: number;
  uuid: string;
  address: string;
  nodeId: number;
  portgroupId: number | null;
  extra: unknown;
  internalInfo: unknown;
  pxeEnabled: unknown;
  localLinkConnection: unknown;
  physicalNetwork: string | null;
  isSmartnic: unknown;
  name: string | null;
  createdAt: unknown;
  updatedAt: unknown;
  nodeUuid: string;
  nodeOwner: string | null;
  nodeLessee: string | null;
  nodeProvisionState: string;
  nodeMaintenance: unknown;
  portgroupUuid: string | null;
  [k: string]: unknown;
}

const PORT_SELECT =
  `SELECT p.*, n."uuid" AS "nodeUuid", n."owner" AS "nodeOwner", n."lessee" AS "nodeLessee", ` +
  `n."provisionState" AS "nodeProvisionState", n."maintenance" AS "nodeMaintenance", pg."uuid" AS "portgroupUuid" ` +
  `FROM "Port" p JOIN "Node" n ON n."id" = p."nodeId" LEFT JOIN "Portgroup" pg ON pg."id" = p."portgroupId"`;

export async function portByUuid(db: Sql, uuid: string): Promise<PortRow | undefined> {
  return db.get<PortRow>(`${PORT_SELECT} WHERE p."uuid" = ?`, [uuid.toLowerCase()]);
}

export async function portByName(db: Sql, name: string): Promise<PortRow | undefined> {
  return db.get<PortRow>(`${PORT_SELECT} WHERE p."name" = ?`, [name]);
}

export async function portById(db: Sql, id: number): Promise<PortRow | undefined> {
  return db.get<PortRow>(`${PORT_SELECT} WHERE p."id" = ?`, [id]);
}

export interface PortFilter {
  nodeId?: number;
  portgroupId?: number;
  address?: string;
  shards?: string[];
  /** Only ports of nodes this project owns or leases. */
  project?: string | null;
}

/** One page of ports matching `f` after `marker` (a row of this table). */
export async function pagePorts(db: Sql, f: PortFilter, page: PageRequest, marker?: PortRow): Promise<PortRow[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const eq = (column: string, value: SqlValue) => {
    where.push(`${column} = ?`);
    params.push(value);
  };
  if (f.nodeId !== undefined) eq(`p."nodeId"`, f.nodeId);
  if (f.portgroupId !== undefined) eq(`p."portgroupId"`, f.portgroupId);
  if (f.address !== undefined) eq(`p."address"`, f.address);
  if (f.shards?.length) {
    where.push(`n."shard" IN (${f.shards.map(() => "?").join(",")})`);
    params.push(...f.shards);
  }
  if (f.project) {
    const visible = visibleTo(f.project, "n");
    where.push(visible.text);
    params.push(...visible.params);
  }
  return pageRows<PortRow>(db, { select: PORT_SELECT, alias: "p", where, params, ...page, marker });
}

/** Whether another port (not `exceptId`) has this MAC address. */
export async function portAddressTaken(db: Sql, address: string, exceptId?: number): Promise<boolean> {
  const row = exceptId === undefined
    ? await db.get(`SELECT 1 AS x FROM "Port" WHERE "address" = ?`, [address])
    : await db.get(`SELECT 1 AS x FROM "Port" WHERE "address" = ? AND "id" <> ?`, [address, exceptId]);
  return !!row;
}

/** The id of the port with this name, if any. */
export async function portIdByName(db: Sql, name: string): Promise<number | null> {
  const row = await db.get<{ id: number }>(`SELECT "id" FROM "Port" WHERE "name" = ?`, [name]);
  return row ? Number(row.id) : null;
}

export interface NewPort {
  uuid: string;
  address: string;
  nodeId: number;
  portgroupId?: number | null;
  extra?: Record<string, unknown>;
  internalInfo?: Record<string, unknown>;
  pxeEnabled?: boolean;
  localLinkConnection?: Record<string, unknown>;
  physicalNetwork?: string | null;
  isSmartnic?: boolean;
  name?: string | null;
}

/** Inserts a port; a duplicate uuid, address or name throws the driver's unique violation. */
export async function insertPort(db: Sql, p: NewPort): Promise<void> {
  await db.run(
    `INSERT INTO "Port" ("uuid", "address", "nodeId", "portgroupId", "extra", "internalInfo", "pxeEnabled", "localLinkConnection", "physicalNetwork", "isSmartnic", "name", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      p.uuid, p.address, p.nodeId, p.portgroupId ?? null, JSON.stringify(p.extra ?? {}), JSON.stringify(p.internalInfo ?? {}), p.pxeEnabled ?? true,
      JSON.stringify(p.localLinkConnection ?? {}), p.physicalNetwork ?? null, p.isSmartnic ?? false, p.name ?? null, new Date(),
    ],
  );
}

/** Column values to write (JSON columns as objects); sets updatedAt. */
export interface PortChanges extends Partial<Omit<NewPort, "uuid">> {
  category?: string | null;
  description?: string | null;
  vendor?: string | null;
}

const JSON_COLUMNS = new Set(["extra", "internalInfo", "localLinkConnection"]);

export async function updatePort(db: Sql, id: number, changes: PortChanges): Promise<void> {
  const keys = Object.keys(changes).filter((k) => changes[k as keyof PortChanges] !== undefined) as (keyof PortChanges)[];
  if (!keys.length) return;
  const values = keys.map((k) => (JSON_COLUMNS.has(k) && changes[k] !== null ? JSON.stringify(changes[k]) : changes[k]) as SqlValue);
  await db.run(`UPDATE "Port" SET ${keys.map((k) => `"${k}" = ?`).join(", ")}, "updatedAt" = ? WHERE "id" = ?`, [...values, new Date(), id]);
}

export async function deletePortRow(db: Sql, id: number): Promise<void> {
  await db.run(`DELETE FROM "Port" WHERE "id" = ?`, [id]);
}

export async function deleteNodePorts(db: Sql, nodeId: number): Promise<void> {
  await db.run(`DELETE FROM "Port" WHERE "nodeId" = ?`, [nodeId]);
}

export async function countPortgroupPorts(db: Sql, portgroupId: number): Promise<number> {
  const r = await db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "Port" WHERE "portgroupId" = ?`, [portgroupId]);
  return Number(r?.n ?? 0);
}

/** The ids of the nodes that have a port with one of these MAC addresses. */
export async function nodeIdsWithAddresses(db: Sql, addresses: string[]): Promise<number[]> {
  if (!addresses.length) return [];
  const rows = await db.all<{ nodeId: number }>(`SELECT DISTINCT "nodeId" FROM "Port" WHERE "address" IN (${addresses.map(() => "?").join(",")})`, addresses);
  return rows.map((r) => Number(r.nodeId));
}

/** MAC addresses of the node's ports that network-boot (pxe_enabled), in creation order. */
export async function nodePxeMacs(db: Sql, nodeId: number): Promise<string[]> {
  const rows = await db.all<{ address: string; pxeEnabled: unknown }>(`SELECT "address", "pxeEnabled" FROM "Port" WHERE "nodeId" = ? ORDER BY "id"`, [nodeId]);
  return rows.filter((r) => toBool(r.pxeEnabled)).map((r) => r.address.toLowerCase());
}
