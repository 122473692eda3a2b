// Node rows: reading, listing, creating and updating, with the reservation lock taken atomically.
import { randomUUID } from "node:crypto";
import type { Sql, SqlValue } from "./sql.ts";
import { parseJson, toBool, toBoolOrNull, toDate } from "./sql.ts";
import { visibleTo } from "./visibility.ts";

export type Dict = Record<string, unknown>;

import { INTERFACE_NAMES } from "../../shared/interfaces.ts";

export { INTERFACE_NAMES, type InterfaceName } from "../../shared/interfaces.ts";

export interface NodeRecord {
  id: number;
  uuid: string;
  name: string | null;
  driver: string;
  driverInfo: Dict;
  driverInternalInfo: Dict;
  properties: Dict;
  instanceInfo: Dict;
  instanceUuid: string | null;
  instanceName: string | null;
  chassisId: number | null;
  powerState: string | null;
  targetPowerState: string | null;
  provisionState: string;
  targetProvisionState: string | null;
  provisionUpdatedAt: Date | null;
  maintenance: boolean;
  maintenanceReason: string | null;
  fault: string | null;
  consoleEnabled: boolean;
  lastError: string | null;
  reservation: string | null;
  cleanStep: Dict;
  deployStep: Dict;
  serviceStep: Dict;
  raidConfig: Dict;
  targetRaidConfig: Dict;
  inspectionStartedAt: Date | null;
  inspectionFinishedAt: Date | null;
  extra: Dict;
  resourceClass: string | null;
  biosInterface: string | null;
  bootInterface: string | null;
  consoleInterface: string | null;
  deployInterface: string | null;
  firmwareInterface: string | null;
  inspectInterface: string | null;
  managementInterface: string | null;
  networkInterface: string | null;
  powerInterface: string | null;
  raidInterface: string | null;
  rescueInterface: string | null;
  storageInterface: string | null;
  vendorInterface: string | null;
  conductorGroup: string;
  conductorAffinity: string | null;
  automatedClean: boolean | null;
  protected: boolean;
  protectedReason: string | null;
  owner: string | null;
  lessee: string | null;
  description: string | null;
  allocationId: number | null;
  retired: boolean;
  retiredReason: string | null;
  networkData: Dict;
  bootMode: string | null;
  secureBoot: boolean | null;
  shard: string | null;
  parentNode: string | null;
  disablePowerOff: boolean;
  health: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date | null;
  /** Loaded from NodeTrait; sorted. */
  traits: string[];
}

/** Columns holding JSON dicts. */
export const JSON_COLUMNS = [
  "driverInfo", "driverInternalInfo", "properties", "instanceInfo", "cleanStep", "deployStep", "serviceStep",
  "raidConfig", "targetRaidConfig", "extra", "networkData",
] as const;
const JSON_SET = new Set<string>(JSON_COLUMNS);
const BOOL_COLUMNS = new Set(["maintenance", "consoleEnabled", "protected", "retired", "disablePowerOff"]);
const NULLABLE_BOOL_COLUMNS = new Set(["automatedClean", "secureBoot"]);
const DATE_COLUMNS = new Set(["provisionUpdatedAt", "inspectionStartedAt", "inspectionFinishedAt", "createdAt", "updatedAt"]);

export type NodeColumn = Exclude<keyof NodeRecord, "traits">;
export type NodeChanges = Partial<Omit<NodeRecord, "id" | "traits" | "version" | "createdAt">>;

type Converter = (v: unknown) => unknown;
const toJsonDict: Converter = (v) => parseJson(v, {});
const CONVERTERS: Record<string, Converter> = Object.create(null);
for (const c of JSON_COLUMNS) CONVERTERS[c] = toJsonDict;
for (const c of BOOL_COLUMNS) CONVERTERS[c] = toBool;
for (const c of NULLABLE_BOOL_COLUMNS) CONVERTERS[c] = toBoolOrNull;
for (const c of DATE_COLUMNS) CONVERTERS[c] = toDate;

export function rowToNode(row: Record<string, unknown>, traits: string[] = []): NodeRecord {
  const out: Record<string, unknown> = {};
  for (const key in row) {
    const convert = CONVERTERS[key];
    out[key] = convert ? convert(row[key]) : row[key];
  }
  out.traits = traits;
  return out as unknown as NodeRecord;
}

function columnValue(key: string, value: unknown): SqlValue {
  if (JSON_SET.has(key)) return JSON.stringify(value ?? {});
  return value as SqlValue;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}

async function traitsFor(sql: Sql, nodeIds: number[]): Promise<Map<number, string[]>> {
  const map = new Map<number, string[]>();
  if (nodeIds.length === 0) return map;
  // Chunked to stay under SQLite's bound-parameter limit.
  for (let i = 0; i < nodeIds.length; i += 900) {
    const chunk = nodeIds.slice(i, i + 900);
    const rows = await sql.all<{ nodeId: number; trait: string }>(
      `SELECT "nodeId", "trait" FROM "NodeTrait" WHERE "nodeId" IN (${chunk.map(() => "?").join(",")}) ORDER BY "trait"`,
      chunk,
    );
    for (const r of rows) {
      const list = map.get(Number(r.nodeId));
      if (list) list.push(r.trait);
      else map.set(Number(r.nodeId), [r.trait]);
    }
  }
  return map;
}

export async function withTraits(sql: Sql, rows: Record<string, unknown>[]): Promise<NodeRecord[]> {
  const traits = await traitsFor(sql, rows.map((r) => Number(r.id)));
  return rows.map((r) => rowToNode(r, traits.get(Number(r.id)) ?? []));
}

export async function getNodeById(sql: Sql, id: number): Promise<NodeRecord | null> {
  const row = await sql.get(`SELECT * FROM "Node" WHERE "id" = ?`, [id]);
  return row ? (await withTraits(sql, [row]))[0] : null;
}

export async function getNodeByUuid(sql: Sql, uuid: string): Promise<NodeRecord | null> {
  const row = await sql.get(`SELECT * FROM "Node" WHERE "uuid" = ?`, [uuid.toLowerCase()]);
  return row ? (await withTraits(sql, [row]))[0] : null;
}

export async function getNodeByName(sql: Sql, name: string): Promise<NodeRecord | null> {
  const row = await sql.get(`SELECT * FROM "Node" WHERE "name" = ?`, [name]);
  return row ? (await withTraits(sql, [row]))[0] : null;
}

/** A node by UUID or (when allowed) name; null when there is none. */
export async function findNode(sql: Sql, ident: string, allowName = true): Promise<NodeRecord | null> {
  if (isUuid(ident)) return getNodeByUuid(sql, ident);
  return allowName ? getNodeByName(sql, ident) : null;
}

export interface NewNode extends NodeChanges {
  uuid?: string;
  driver: string;
  provisionState: string;
}

export async function insertNode(sql: Sql, data: NewNode, traits: string[] = []): Promise<NodeRecord> {
  const now = new Date();
  const record: Record<string, unknown> = { ...data, uuid: (data.uuid ?? randomUUID()).toLowerCase(), createdAt: now };
  const keys = Object.keys(record).filter((k) => record[k] !== undefined);
  // RETURNING: the stored row (defaults included) in the same round trip.
  const row = await sql.get(
    `INSERT INTO "Node" (${keys.map((k) => `"${k}"`).join(", ")}) VALUES (${keys.map(() => "?").join(", ")}) RETURNING *`,
    keys.map((k) => columnValue(k, record[k])),
  );
  if (!row) throw new Error("node insert returned no row");
  // A new id has no traits yet: ids are never reused (AUTOINCREMENT / SERIAL) and traits cascade on delete.
  const node = rowToNode(row);
  if (traits.length) {
    await setTraits(sql, node.id, traits);
    node.traits = [...traits].sort();
  }
  return node;
}

export interface UpdateOptions {
  /** Only update when the row still has this version (optimistic concurrency); else returns null. */
  expectVersion?: number;
  /** Only update when the reservation is this value (null = unlocked). */
  expectReservation?: string | null;
  /** Do not bump updated_at (e.g. lock bookkeeping). */
  quiet?: boolean;
}

/** Writes the changed columns and bumps version; returns the fresh row, or null if a guard failed. */
export async function updateNode(
  sql: Sql,
  id: number,
  changes: NodeChanges,
  opts: UpdateOptions = {},
): Promise<NodeRecord | null> {
  const keys = Object.keys(changes).filter((k) => (changes as Record<string, unknown>)[k] !== undefined);
  const sets = keys.map((k) => `"${k}" = ?`);
  const params: SqlValue[] = keys.map((k) => columnValue(k, (changes as Record<string, unknown>)[k]));
  sets.push(`"version" = "version" + 1`);
  if (!opts.quiet) {
    sets.push(`"updatedAt" = ?`);
    params.push(new Date());
  }
  let where = `"id" = ?`;
  params.push(id);
  if (opts.expectVersion !== undefined) {
    where += ` AND "version" = ?`;
    params.push(opts.expectVersion);
  }
  if (opts.expectReservation !== undefined) {
    if (opts.expectReservation === null) where += ` AND "reservation" IS NULL`;
    else {
      where += ` AND "reservation" = ?`;
      params.push(opts.expectReservation);
    }
  }
  // RETURNING: the fresh row in the same round trip (a conductor updates a node dozens of times a deployment).
  const row = await sql.get(`UPDATE "Node" SET ${sets.join(", ")} WHERE ${where} RETURNING *`, params);
  return row ? (await withTraits(sql, [row]))[0] : null;
}

/** Takes the node's lock for `host` if nobody holds it. True when taken. */
/**
 * Takes the node's lock. With `affinity` (a conductor's task) the locking conductor also becomes
 * the one handling the node (Node.conductorAffinity, for take-over when it dies).
 */
export async function reserveNode(sql: Sql, id: number, host: string, opts: { affinity?: boolean } = {}): Promise<boolean> {
  if (opts.affinity) {
    return (await sql.run(`UPDATE "Node" SET "reservation" = ?, "conductorAffinity" = ?, "version" = "version" + 1 WHERE "id" = ? AND "reservation" IS NULL`, [host, host, id])) === 1;
  }
  return (await sql.run(`UPDATE "Node" SET "reservation" = ?, "version" = "version" + 1 WHERE "id" = ? AND "reservation" IS NULL`, [host, id])) === 1;
}

export async function releaseNode(sql: Sql, id: number, host: string): Promise<boolean> {
  return (await sql.run(`UPDATE "Node" SET "reservation" = NULL, "version" = "version" + 1 WHERE "id" = ? AND "reservation" = ?`, [id, host])) === 1;
}

/**
 * The node once nobody holds its lock, re-read every `intervalMs` for up to `maxMs`; the last
 * read (possibly still locked) when time runs out. Writers that need the node unlocked use it to
 * ride over a lock that is just being released.
 */
export async function waitUnlocked(sql: Sql, id: number, maxMs = 500, intervalMs = 5): Promise<NodeRecord | null> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const node = await getNodeById(sql, id);
    if (!node || !node.reservation || Date.now() >= deadline) return node;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function deleteNodeRow(sql: Sql, id: number): Promise<void> {
  await sql.run(`DELETE FROM "Node" WHERE "id" = ?`, [id]);
}

export async function setTraits(sql: Sql, nodeId: number, traits: string[]): Promise<void> {
  await sql.tx(async (tx) => {
    await tx.run(`DELETE FROM "NodeTrait" WHERE "nodeId" = ?`, [nodeId]);
    const now = new Date();
    for (const t of new Set(traits)) {
      await tx.run(`INSERT INTO "NodeTrait" ("nodeId", "trait", "createdAt") VALUES (?, ?, ?)`, [nodeId, t, now]);
    }
    await tx.run(`UPDATE "Node" SET "version" = "version" + 1, "updatedAt" = ? WHERE "id" = ?`, [now, nodeId]);
  });
}

export async function addTrait(sql: Sql, nodeId: number, trait: string): Promise<void> {
  const now = new Date();
  await sql.tx(async (tx) => {
    const exists = await tx.get(`SELECT 1 AS x FROM "NodeTrait" WHERE "nodeId" = ? AND "trait" = ?`, [nodeId, trait]);
    if (!exists) await tx.run(`INSERT INTO "NodeTrait" ("nodeId", "trait", "createdAt") VALUES (?, ?, ?)`, [nodeId, trait, now]);
    await tx.run(`UPDATE "Node" SET "version" = "version" + 1, "updatedAt" = ? WHERE "id" = ?`, [now, nodeId]);
  });
}

/** Removes one trait; false when the node did not have it. */
export async function removeTrait(sql: Sql, nodeId: number, trait: string): Promise<boolean> {
  const n = await sql.run(`DELETE FROM "NodeTrait" WHERE "nodeId" = ? AND "trait" = ?`, [nodeId, trait]);
  if (n) await sql.run(`UPDATE "Node" SET "version" = "version" + 1, "updatedAt" = ? WHERE "id" = ?`, [new Date(), nodeId]);
  return n > 0;
}

// ---- listing ----

export interface NodeFilter {
  instanceUuid?: string;
  associated?: boolean;
  maintenance?: boolean;
  retired?: boolean;
  chassisId?: number;
  provisionState?: string[];
  driver?: string;
  resourceClass?: string;
  fault?: string;
  conductorGroup?: string;
  owner?: string;
  lessee?: string;
  /** owner == P or lessee == P (project-scoped visibility). */
  project?: string;
  descriptionContains?: string;
  shard?: string[];
  sharded?: boolean;
  parentNode?: string;
  includeChildren?: boolean;
  instanceName?: string;
  reserved?: boolean;
  /** Free-text search over name, uuid and instance uuid (dashboard). */
  search?: string;
  /** Restrict to these node ids (e.g. hash-ring membership). */
  ids?: number[];
}

export const SORTABLE_NODE_COLUMNS: Record<string, string> = {
  id: "id", uuid: "uuid", name: "name", driver: "driver", created_at: "createdAt", updated_at: "updatedAt",
  provision_state: "provisionState", target_provision_state: "targetProvisionState",
  provision_updated_at: "provisionUpdatedAt", power_state: "powerState", target_power_state: "targetPowerState",
  maintenance: "maintenance", maintenance_reason: "maintenanceReason", fault: "fault",
  console_enabled: "consoleEnabled", last_error: "lastError", reservation: "reservation",
  instance_uuid: "instanceUuid", instance_name: "instanceName", chassis_uuid: "chassisId",
  resource_class: "resourceClass", conductor_group: "conductorGroup", owner: "owner", lessee: "lessee",
  description: "description", retired: "retired", retired_reason: "retiredReason", protected: "protected",
  protected_reason: "protectedReason", automated_clean: "automatedClean", shard: "shard",
  parent_node: "parentNode", inspection_started_at: "inspectionStartedAt",
  inspection_finished_at: "inspectionFinishedAt", boot_mode: "bootMode", secure_boot: "secureBoot",
  conductor_affinity: "conductorAffinity", allocation_id: "allocationId",
  ...Object.fromEntries(
    INTERFACE_NAMES.map((i) => [`${i}_interface`, `${i}Interface`]),
  ),
};

function whereClause(f: NodeFilter): { where: string; params: SqlValue[] } {
  const conds: string[] = [];
  const params: SqlValue[] = [];
  const eq = (col: string, v: SqlValue) => {
    conds.push(`"${col}" = ?`);
    params.push(v);
  };
  if (f.instanceUuid !== undefined) eq("instanceUuid", f.instanceUuid);
  if (f.associated !== undefined) conds.push(f.associated ? `"instanceUuid" IS NOT NULL` : `"instanceUuid" IS NULL`);
  if (f.maintenance !== undefined) eq("maintenance", f.maintenance);
  if (f.retired !== undefined) eq("retired", f.retired);
  if (f.chassisId !== undefined) eq("chassisId", f.chassisId);
  if (f.provisionState?.length) {
    conds.push(`"provisionState" IN (${f.provisionState.map(() => "?").join(",")})`);
    params.push(...f.provisionState);
  }
  if (f.driver !== undefined) eq("driver", f.driver);
  if (f.resourceClass !== undefined) eq("resourceClass", f.resourceClass);
  if (f.fault !== undefined) eq("fault", f.fault);
  if (f.conductorGroup !== undefined) eq("conductorGroup", f.conductorGroup.toLowerCase());
  if (f.owner !== undefined) eq("owner", f.owner);
  if (f.lessee !== undefined) eq("lessee", f.lessee);
  if (f.project !== undefined) {
    const visible = visibleTo(f.project);
    conds.push(visible.text);
    params.push(...visible.params);
  }
  if (f.descriptionContains !== undefined) {
    conds.push(`"description" LIKE ?`);
    params.push(`%${f.descriptionContains}%`);
  }
  if (f.shard?.length) {
    conds.push(`"shard" IN (${f.shard.map(() => "?").join(",")})`);
    params.push(...f.shard);
  }
  if (f.sharded !== undefined) conds.push(f.sharded ? `"shard" IS NOT NULL` : `"shard" IS NULL`);
  if (f.parentNode !== undefined) eq("parentNode", f.parentNode);
  else if (!f.includeChildren) conds.push(`"parentNode" IS NULL`);
  if (f.instanceName !== undefined) eq("instanceName", f.instanceName);
  if (f.reserved !== undefined) conds.push(f.reserved ? `"reservation" IS NOT NULL` : `"reservation" IS NULL`);
  if (f.search) {
    conds.push(`("name" LIKE ? OR "uuid" LIKE ? OR "instanceUuid" LIKE ?)`);
    const like = `%${f.search}%`;
    params.push(like, like, like);
  }
  if (f.ids) {
    conds.push(f.ids.length ? `"id" IN (${f.ids.map(() => "?").join(",")})` : "1 = 0");
    params.push(...f.ids);
  }
  return { where: conds.length ? `WHERE ${conds.join(" AND ")}` : "", params };
}

export interface ListOptions {
  filter?: NodeFilter;
  /** A column of SORTABLE_NODE_COLUMNS (API name). */
  sortKey?: string;
  sortDir?: "asc" | "desc";
  limit?: number;
  /** The node to continue after (keyset pagination by sort key, then id). */
  marker?: NodeRecord;
  /** Skip loading traits (for callers that do not show them). */
  withoutTraits?: boolean;
}

function listQuery(select: string, opts: ListOptions): { text: string; params: SqlValue[] } {
  const { where, params } = whereClause(opts.filter ?? {});
  const key = opts.sortKey ?? "id";
  const col = Object.hasOwn(SORTABLE_NODE_COLUMNS, key) ? SORTABLE_NODE_COLUMNS[key] : "id";
  const dir = opts.sortDir === "desc" ? "DESC" : "ASC";
  const op = dir === "DESC" ? "<" : ">";
  let cond = where;
  if (opts.marker) {
    const m = opts.marker as unknown as Record<string, unknown>;
    const mv = columnValue(col, m[col]);
    const clause =
      col === "id"
        ? `"id" ${op} ?`
        : mv === null || mv === undefined
          ? `("${col}" IS NULL AND "id" ${op} ?)${dir === "ASC" ? ` OR "${col}" IS NOT NULL` : ""}`
          : `("${col}" ${op} ? OR ("${col}" = ? AND "id" ${op} ?)${dir === "DESC" ? ` OR "${col}" IS NULL` : ""})`;
    const markerParams: SqlValue[] =
      col === "id" ? [opts.marker.id] : mv === null || mv === undefined ? [opts.marker.id] : [mv, mv, opts.marker.id];
    cond = cond ? `${cond} AND (${clause})` : `WHERE (${clause})`;
    params.push(...markerParams);
  }
  // NULLs sort first ascending in both dialects when asked explicitly.
  const nulls = col === "id" ? "" : dir === "ASC" ? " NULLS FIRST" : " NULLS LAST";
  const order = col === "id" ? `"id" ${dir}` : `"${col}" ${dir}${nulls}, "id" ${dir}`;
  const limit = opts.limit ? ` LIMIT ${Math.floor(opts.limit)}` : "";
  return { text: `SELECT ${select} FROM "Node" ${cond} ORDER BY ${order}${limit}`, params };
}

export async function listNodes(sql: Sql, opts: ListOptions = {}): Promise<NodeRecord[]> {
  const { text, params } = listQuery("*", opts);
  const rows = await sql.all(text, params);
  if (opts.withoutTraits) return rows.map((r) => rowToNode(r));
  return withTraits(sql, rows);
}

/**
 * What a list page needs to decide whether a cached rendering of a node is still current (every
 * write bumps the version), and the uuid for its next-page marker. Each column more costs the
 * 1,000-node page about 0.2 ms here.
 */
export interface NodeHead {
  id: number;
  uuid: string;
  version: number;
}

/** The same page listNodes would return, reading only the columns of NodeHead. */
export async function listNodeHeads(sql: Sql, opts: ListOptions = {}): Promise<NodeHead[]> {
  const { text, params } = listQuery(`"id", "uuid", "version"`, opts);
  const rows = await sql.all<NodeHead>(text, params);
  for (const r of rows) {
    r.id = Number(r.id);
    r.version = Number(r.version);
  }
  return rows;
}

/** Full records for the given ids, in the given order (missing ids are skipped). */
export async function getNodesByIds(sql: Sql, ids: number[]): Promise<NodeRecord[]> {
  const byId = new Map<number, NodeRecord>();
  for (let i = 0; i < ids.length; i += 900) {
    const chunk = ids.slice(i, i + 900);
    const rows = await sql.all(`SELECT * FROM "Node" WHERE "id" IN (${chunk.map(() => "?").join(",")})`, chunk);
    for (const n of await withTraits(sql, rows)) byId.set(n.id, n);
  }
  return ids.map((id) => byId.get(id)).filter((n): n is NodeRecord => n !== undefined);
}

export async function countNodes(sql: Sql, filter: NodeFilter = {}): Promise<number> {
  const { where, params } = whereClause(filter);
  const row = await sql.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "Node" ${where}`, params);
  return Number(row?.n ?? 0);
}

/** Node counts per shard (nodes without a shard are not counted). */
export async function shardCounts(sql: Sql): Promise<{ name: string; count: number }[]> {
  const rows = await sql.all<{ shard: string; n: number | string }>(`SELECT "shard", COUNT(*) AS n FROM "Node" WHERE "shard" IS NOT NULL GROUP BY "shard"`);
  return rows.map((r) => ({ name: r.shard, count: Number(r.n) }));
}

/** Id and raw driver_info (JSON text) of the nodes in this provision state. */
export async function driverInfoInState(sql: Sql, provisionState: string): Promise<{ id: number; driverInfo: string }[]> {
  return sql.all<{ id: number; driverInfo: string }>(`SELECT "id", "driverInfo" FROM "Node" WHERE "provisionState" = ?`, [provisionState]);
}

// ---- lookups of the node API's checks and views ----

/** uuid by id for rows of `table` (a page of nodes' chassis or allocations), batched. */
export async function uuidsById(sql: Sql, table: "Allocation" | "Chassis" | "Node", ids: number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 900) {
    const chunk = unique.slice(i, i + 900);
    const rows = await sql.all<{ id: number; uuid: string }>(
      `SELECT "id", "uuid" FROM "${table}" WHERE "id" IN (${chunk.map(() => "?").join(",")})`,
      chunk,
    );
    for (const r of rows) out.set(Number(r.id), r.uuid);
  }
  return out;
}

/** The id of the node with this name, if there is one. */
export async function nodeIdNamed(sql: Sql, name: string): Promise<number | null> {
  const row = await sql.get<{ id: number }>(`SELECT "id" FROM "Node" WHERE "name" = ?`, [name]);
  return row ? Number(row.id) : null;
}

/** The uuid of the node (other than `exceptId`) associated with this instance, if there is one. */
export async function nodeWithInstance(sql: Sql, instanceUuid: string, exceptId?: number): Promise<string | null> {
  const row = exceptId === undefined
    ? await sql.get<{ uuid: string }>(`SELECT "uuid" FROM "Node" WHERE "instanceUuid" = ?`, [instanceUuid])
    : await sql.get<{ uuid: string }>(`SELECT "uuid" FROM "Node" WHERE "instanceUuid" = ? AND "id" <> ?`, [instanceUuid, exceptId]);
  return row?.uuid ?? null;
}
