// The statements of single-request deployments (lib/api/v1/deployments.ts): a deployment is an
// Allocation row marked in `extra`, attached to its node (see lib/core/services/deployments.ts).
import type { AllocationRecord } from "../allocations.ts";
import type { Dict } from "./nodes.ts";
import { pageRows, type PageRequest } from "./page.ts";
import { parseJson, type Sql, type SqlValue } from "./sql.ts";
import { visibleTo } from "./visibility.ts";

export interface DeploymentFilter {
  nodeId?: number;
  provisionState?: string;
  owner?: string;
  resourceClass?: string;
  /** Only deployments on nodes this project may see. */
  project?: string;
}

/** One page of deployment allocations (raw rows) whose `extra` holds `markerKey`, on a node. */
export async function pageDeploymentRows(
  db: Sql, markerKey: string, f: DeploymentFilter, page: PageRequest, marker?: Record<string, unknown>,
): Promise<Record<string, unknown>[]> {
  const where = [`a."nodeId" IS NOT NULL`, `a."extra" LIKE ?`];
  const params: SqlValue[] = [`%"${markerKey}"%`];
  if (f.nodeId !== undefined) {
    where.push(`a."nodeId" = ?`);
    params.push(f.nodeId);
  }
  if (f.provisionState !== undefined) {
    where.push(`n."provisionState" = ?`);
    params.push(f.provisionState);
  }
  if (f.owner !== undefined) {
    where.push(`a."owner" = ?`);
    params.push(f.owner);
  }
  if (f.resourceClass !== undefined) {
    where.push(`a."resourceClass" = ?`);
    params.push(f.resourceClass);
  }
  if (f.project !== undefined) {
    const visible = visibleTo(f.project, "n");
    where.push(visible.text);
    params.push(...visible.params);
  }
  return pageRows<Record<string, unknown>>(db, {
    select: `SELECT a.* FROM "Allocation" a JOIN "Node" n ON n."id" = a."nodeId"`, alias: "a", where, params, ...page, marker,
  });
}

export async function allocationRowByUuid(db: Sql, uuid: string): Promise<Record<string, unknown> | undefined> {
  return db.get(`SELECT * FROM "Allocation" WHERE "uuid" = ?`, [uuid.toLowerCase()]);
}

/** VIF ids recorded on the ports/portgroups of these nodes (one query each, for list pages). */
export async function vifsByNode(db: Sql, nodeIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (!nodeIds.length) return out;
  const marks = nodeIds.map(() => "?").join(",");
  for (const table of ["Portgroup", "Port"]) {
    const rows = await db.all<{ nodeId: number; internalInfo: unknown }>(
      `SELECT "nodeId", "internalInfo" FROM "${table}" WHERE "nodeId" IN (${marks}) ORDER BY "id"`,
      nodeIds,
    );
    for (const r of rows) {
      const vif = parseJson<Dict>(r.internalInfo, {}).tenant_vif_port_id;
      if (typeof vif !== "string") continue;
      const list = out.get(Number(r.nodeId)) ?? [];
      list.push(vif);
      out.set(Number(r.nodeId), list);
    }
  }
  return out;
}

export async function instanceUuidTaken(db: Sql, uuid: string): Promise<boolean> {
  return !!(await db.get(`SELECT 1 AS x FROM "Node" WHERE "instanceUuid" = ?`, [uuid]));
}

/** Points the allocation at a node (and, with `state`, sets its state and clears its error). */
export async function setAllocationNode(db: Sql, allocId: number, nodeId: number | null, state?: string): Promise<void> {
  const sets = [`"nodeId" = ?`, `"updatedAt" = ?`];
  const params: SqlValue[] = [nodeId, new Date()];
  if (state) {
    sets.push(`"state" = ?`, `"lastError" = ?`);
    params.push(state, null);
  }
  params.push(allocId);
  await db.run(`UPDATE "Allocation" SET ${sets.join(", ")} WHERE "id" = ?`, params);
}

/** Puts the allocation back on a node without marking it updated (undoing a move). */
export async function restoreAllocationNode(db: Sql, allocId: number, nodeId: number): Promise<void> {
  await db.run(`UPDATE "Allocation" SET "nodeId" = ? WHERE "id" = ?`, [nodeId, allocId]);
}

export async function deleteAllocationRow(db: Sql, id: number): Promise<void> {
  await db.run(`DELETE FROM "Allocation" WHERE "id" = ?`, [id]);
}

/** Undoes an allocation made for a deployment that could not proceed. */
export async function releaseAllocation(db: Sql, alloc: AllocationRecord, node: { id: number } | null): Promise<void> {
  await db.tx(async (tx) => {
    if (node) await tx.run(`UPDATE "Node" SET "instanceUuid" = NULL, "allocationId" = NULL, "version" = "version" + 1 WHERE "id" = ? AND "allocationId" = ?`, [node.id, alloc.id]);
    await tx.run(`DELETE FROM "Allocation" WHERE "id" = ?`, [alloc.id]);
  });
}

export async function volumeTargetCount(db: Sql, nodeId: number): Promise<number> {
  const row = await db.get<{ n: number }>(`SELECT COUNT(*) AS "n" FROM "VolumeTarget" WHERE "nodeId" = ?`, [nodeId]);
  return Number(row?.n ?? 0);
}

/** Moves the volume targets and connectors of node `from` to node `to`; `touch` marks them updated. */
export async function moveVolumes(db: Sql, from: number, to: number, touch: boolean): Promise<void> {
  if (touch) {
    await db.run(`UPDATE "VolumeTarget" SET "nodeId" = ?, "updatedAt" = ? WHERE "nodeId" = ?`, [to, new Date(), from]);
    await db.run(`UPDATE "VolumeConnector" SET "nodeId" = ?, "updatedAt" = ? WHERE "nodeId" = ?`, [to, new Date(), from]);
  } else {
    await db.run(`UPDATE "VolumeTarget" SET "nodeId" = ? WHERE "nodeId" = ?`, [to, from]);
    await db.run(`UPDATE "VolumeConnector" SET "nodeId" = ? WHERE "nodeId" = ?`, [to, from]);
  }
}
