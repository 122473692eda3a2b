// VolumeConnector and VolumeTarget tables (API 1.32). Reads come joined with the node's uuid,
// owner, lessee and power state (what the API shows and decides on); values as stored.
import { pageRows, type PageRequest } from "./page.ts";
import type { Sql, SqlValue } from "./sql.ts";
import { visibleTo } from "./visibility.ts";

interface NodeJoined {
  nodeUuid: string;
  nodeOwner: string | null;
  nodeLessee: string | null;
  nodePowerState: string | null;
}

export interface ConnectorRow extends NodeJoined {
  id: number;
  uuid: string;
  nodeId: number;
  type: string;
  connectorId: string;
  extra: unknown;
  createdAt: unknown;
  updatedAt: unknown;
  [k: string]: unknown;
}

export interface TargetRow extends NodeJoined {
  id: number;
  uuid: string;
  nodeId: number;
  volumeType: string;
  volumeId: string;
  bootIndex: number;
  properties: unknown;
  extra: unknown;
  createdAt: unknown;
  updatedAt: unknown;
  [k: string]: unknown;
}

export type VolumeKind = "connector" | "target";

const NODE_COLS = `n."uuid" AS "nodeUuid", n."owner" AS "nodeOwner", n."lessee" AS "nodeLessee", n."powerState" AS "nodePowerState"`;
const TABLE = { connector: "VolumeConnector", target: "VolumeTarget" } as const;
const select = (kind: VolumeKind) => `SELECT v.*, ${NODE_COLS} FROM "${TABLE[kind]}" v JOIN "Node" n ON n."id" = v."nodeId"`;

export async function findVolumeRow(db: Sql, kind: VolumeKind, uuid: string): Promise<ConnectorRow | TargetRow | undefined> {
  return db.get<ConnectorRow | TargetRow>(`${select(kind)} WHERE v."uuid" = ?`, [uuid.toLowerCase()]);
}

/** One page of connectors or targets (of one node, and of nodes `project` may see) after the row with uuid `marker`; null: no such marker. */
export async function pageVolume(
  db: Sql, kind: VolumeKind, f: { nodeId?: number; project?: string | null }, page: PageRequest, marker?: string,
): Promise<(ConnectorRow | TargetRow)[] | null> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (f.nodeId !== undefined) {
    where.push(`v."nodeId" = ?`);
    params.push(f.nodeId);
  }
  if (f.project) {
    const visible = visibleTo(f.project, "n");
    where.push(visible.text);
    params.push(...visible.params);
  }
  let markerRow: Record<string, unknown> | undefined;
  if (marker !== undefined) {
    markerRow = await db.get(`SELECT * FROM "${TABLE[kind]}" WHERE "uuid" = ?`, [marker]);
    if (!markerRow) return null;
  }
  return pageRows<ConnectorRow | TargetRow>(db, { select: select(kind), alias: "v", where, params, ...page, marker: markerRow });
}

/** Whether another connector (not `exceptId`) has this type and connector id. */
export async function connectorTaken(db: Sql, type: string, connectorId: string, exceptId?: number): Promise<boolean> {
  return !!(await db.get(`SELECT 1 AS x FROM "VolumeConnector" WHERE "type" = ? AND "connectorId" = ? AND "id" <> ?`, [type, connectorId, exceptId ?? -1]));
}

/** Whether another target (not `exceptId`) of the node has this boot index. */
export async function bootIndexTaken(db: Sql, nodeId: number, bootIndex: number, exceptId?: number): Promise<boolean> {
  return !!(await db.get(`SELECT 1 AS x FROM "VolumeTarget" WHERE "nodeId" = ? AND "bootIndex" = ? AND "id" <> ?`, [nodeId, bootIndex, exceptId ?? -1]));
}

export interface ConnectorValues {
  nodeId: number;
  type: string;
  connectorId: string;
  extra: unknown;
}

export type TargetValues = Pick<TargetRow, "nodeId" | "volumeType" | "volumeId" | "bootIndex" | "properties" | "extra">;

export async function insertConnector(db: Sql, uuid: string, c: ConnectorValues): Promise<void> {
  await db.run(`INSERT INTO "VolumeConnector" ("uuid", "nodeId", "type", "connectorId", "extra", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`, [
    uuid, c.nodeId, c.type, c.connectorId, JSON.stringify(c.extra ?? {}), new Date(),
  ]);
}

export async function insertTarget(db: Sql, uuid: string, t: TargetValues): Promise<void> {
  await db.run(
    `INSERT INTO "VolumeTarget" ("uuid", "nodeId", "volumeType", "volumeId", "bootIndex", "properties", "extra", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [uuid, t.nodeId, t.volumeType, t.volumeId, t.bootIndex, JSON.stringify(t.properties ?? {}), JSON.stringify(t.extra ?? {}), new Date()],
  );
}

export async function updateConnector(db: Sql, id: number, c: ConnectorValues): Promise<void> {
  await db.run(`UPDATE "VolumeConnector" SET "nodeId" = ?, "type" = ?, "connectorId" = ?, "extra" = ?, "updatedAt" = ? WHERE "id" = ?`, [
    c.nodeId, c.type, c.connectorId, JSON.stringify(c.extra), new Date(), id,
  ]);
}

export async function updateTarget(db: Sql, id: number, t: TargetValues): Promise<void> {
  await db.run(
    `UPDATE "VolumeTarget" SET "nodeId" = ?, "volumeType" = ?, "volumeId" = ?, "bootIndex" = ?, "properties" = ?, "extra" = ?, "updatedAt" = ? WHERE "id" = ?`,
    [t.nodeId, t.volumeType, t.volumeId, t.bootIndex, JSON.stringify(t.properties), JSON.stringify(t.extra), new Date(), id],
  );
}

export async function deleteVolumeRow(db: Sql, kind: VolumeKind, id: number): Promise<void> {
  await db.run(`DELETE FROM "${TABLE[kind]}" WHERE "id" = ?`, [id]);
}
