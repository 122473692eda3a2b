// Portgroup table (API 1.23+). Reads come joined with the node's uuid, owner and lessee.
import { isUuidLike } from "../uuid.ts";
import { pageRows, type PageRequest } from "./page.ts";
import type { Sql, SqlValue } from "./sql.ts";
import { visibleTo } from "./visibility.ts";

export interface PortgroupLite {
  id: number;
  uuid: string;
  nodeId: number;
  standalonePortsSupported: unknown;
}

/** The port group with this uuid or name. */
export async function findPortgroupLite(db: Sql, ident: string): Promise<PortgroupLite | undefined> {
  const col = isUuidLike(ident) ? "uuid" : "name";
  return db.get<PortgroupLite>(
    `SELECT "id", "uuid", "nodeId", "standalonePortsSupported" FROM "Portgroup" WHERE "${col}" = ?`,
    [col === "uuid" ? ident.toLowerCase() : ident],
  );
}

/** A Portgroup row joined with its node's uuid, owner and lessee; values as stored. */
export interface PortgroupRow {
  id: number;
  uuid: string;
  name: string | null;
  address: string | null;
  nodeId: number;
  extra: unknown;
  internalInfo: unknown;
  standalonePortsSupported: unknown;
  mode: string | null;
  properties: unknown;
  createdAt: unknown;
  updatedAt: unknown;
  nodeUuid: string;
  nodeOwner: string | null;
  nodeLessee: string | null;
  [k: string]: unknown;
}

const PORTGROUP_SELECT =
  `SELECT g.*, n."uuid" AS "nodeUuid", n."owner" AS "nodeOwner", n."lessee" AS "nodeLessee" ` +
  `FROM "Portgroup" g JOIN "Node" n ON n."id" = g."nodeId"`;

export async function portgroupByUuid(db: Sql, uuid: string): Promise<PortgroupRow | undefined> {
  return db.get<PortgroupRow>(`${PORTGROUP_SELECT} WHERE g."uuid" = ?`, [uuid.toLowerCase()]);
}

export async function portgroupByName(db: Sql, name: string): Promise<PortgroupRow | undefined> {
  return db.get<PortgroupRow>(`${PORTGROUP_SELECT} WHERE g."name" = ?`, [name]);
}

export async function portgroupById(db: Sql, id: number): Promise<PortgroupRow | undefined> {
  return db.get<PortgroupRow>(`${PORTGROUP_SELECT} WHERE g."id" = ?`, [id]);
}

/** One page of port groups (of a node, with a MAC, of nodes `project` may see) after `marker` (a row). */
export async function pagePortgroups(
  db: Sql, f: { nodeId?: number; address?: string; project?: string | null }, page: PageRequest, marker?: PortgroupRow,
): Promise<PortgroupRow[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (f.nodeId !== undefined) {
    where.push(`g."nodeId" = ?`);
    params.push(f.nodeId);
  }
  if (f.address !== undefined) {
    where.push(`g."address" = ?`);
    params.push(f.address);
  }
  if (f.project) {
    const visible = visibleTo(f.project, "n");
    where.push(visible.text);
    params.push(...visible.params);
  }
  return pageRows<PortgroupRow>(db, { select: PORTGROUP_SELECT, alias: "g", where, params, ...page, marker });
}

/** Whether another port group (not `exceptId`) has this name / this MAC address. */
export async function portgroupNameTaken(db: Sql, name: string, exceptId: number | null): Promise<boolean> {
  return !!(await db.get(`SELECT 1 AS x FROM "Portgroup" WHERE "name" = ? AND "id" <> ?`, [name, exceptId ?? -1]));
}

export async function portgroupAddressTaken(db: Sql, address: string, exceptId: number | null): Promise<boolean> {
  return !!(await db.get(`SELECT 1 AS x FROM "Portgroup" WHERE "address" = ? AND "id" <> ?`, [address, exceptId ?? -1]));
}

export interface PortgroupChanges {
  name?: string | null;
  address?: string | null;
  nodeId?: number;
  extra?: unknown;
  internalInfo?: unknown;
  standalonePortsSupported?: boolean;
  mode?: string | null;
  properties?: unknown;
}

const JSON_COLUMNS = new Set(["extra", "internalInfo", "properties"]);

export async function insertPortgroup(db: Sql, uuid: string, g: PortgroupChanges & { nodeId: number }): Promise<void> {
  await db.run(
    `INSERT INTO "Portgroup" ("uuid", "name", "address", "nodeId", "extra", "internalInfo", "standalonePortsSupported", "mode", "properties", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      uuid, g.name ?? null, g.address ?? null, g.nodeId, JSON.stringify(g.extra ?? {}), JSON.stringify(g.internalInfo ?? {}), g.standalonePortsSupported ?? true,
      g.mode ?? null, JSON.stringify(g.properties ?? {}), new Date(),
    ],
  );
}

/** Writes the given columns (JSON columns as values) and updatedAt. */
export async function updatePortgroup(db: Sql, id: number, changes: PortgroupChanges): Promise<void> {
  const keys = Object.keys(changes).filter((k) => changes[k as keyof PortgroupChanges] !== undefined) as (keyof PortgroupChanges)[];
  if (!keys.length) return;
  const values = keys.map((k) => (JSON_COLUMNS.has(k) ? JSON.stringify(changes[k] ?? {}) : changes[k]) as SqlValue);
  await db.run(`UPDATE "Portgroup" SET ${keys.map((k) => `"${k}" = ?`).join(", ")}, "updatedAt" = ? WHERE "id" = ?`, [...values, new Date(), id]);
}

export async function deletePortgroupRow(db: Sql, id: number): Promise<void> {
  await db.run(`DELETE FROM "Portgroup" WHERE "id" = ?`, [id]);
}

export async function deleteNodePortgroups(db: Sql, nodeId: number): Promise<void> {
  await db.run(`DELETE FROM "Portgroup" WHERE "nodeId" = ?`, [nodeId]);
}
