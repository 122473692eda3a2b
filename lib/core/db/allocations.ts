// Allocation table reads for the API (with the allocated node's uuid) and its simple writes; the
// matching, backfill and removal rules are lib/core/allocations.ts.
import { rowToAllocation, type AllocationRecord } from "../allocations.ts";
import { updateNode, type NodeChanges, type NodeRecord } from "./nodes.ts";
import { pageRows, type PageRequest } from "./page.ts";
import type { Sql, SqlValue } from "./sql.ts";

/** An allocation with the uuid of its node (null while it has none). */
export type AllocationWithNode = AllocationRecord & { nodeUuid: string | null };

const SELECT = `SELECT a.*, n."uuid" AS "nodeUuid" FROM "Allocation" a LEFT JOIN "Node" n ON n."id" = a."nodeId"`;

function withNode(row: Record<string, unknown>): AllocationWithNode {
  return { ...rowToAllocation(row), nodeUuid: (row.nodeUuid as string | null) ?? null };
}

export async function allocationWhere(db: Sql, column: "id" | "uuid" | "name" | "nodeId", value: string | number): Promise<AllocationWithNode | null> {
  const row = await db.get(`${SELECT} WHERE a."${column}" = ?`, [value]);
  return row ? withNode(row) : null;
}

export interface AllocationFilter {
  nodeId?: number;
  resourceClass?: string;
  state?: string;
  /** Allocations of this owner (each given owner narrows further). */
  owners?: string[];
}

/** One page after the allocation with uuid `marker`; null when there is no such allocation. */
export async function pageAllocations(db: Sql, f: AllocationFilter, page: PageRequest, marker?: string): Promise<AllocationWithNode[] | null> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const eq = (column: string, value: SqlValue) => {
    where.push(`a."${column}" = ?`);
    params.push(value);
  };
  if (f.nodeId !== undefined) eq("nodeId", f.nodeId);
  if (f.resourceClass !== undefined) eq("resourceClass", f.resourceClass);
  if (f.state !== undefined) eq("state", f.state);
  for (const owner of f.owners ?? []) eq("owner", owner);
  let markerRow: Record<string, unknown> | undefined;
  if (marker !== undefined) {
    markerRow = await db.get(`SELECT * FROM "Allocation" WHERE "uuid" = ?`, [marker]);
    if (!markerRow) return null;
  }
  return (await pageRows(db, { select: SELECT, alias: "a", where, params, ...page, marker: markerRow })).map(withNode);
}

export async function renameAllocation(db: Sql, id: number, name: string | null, extra: unknown): Promise<void> {
  await db.run(`UPDATE "Allocation" SET "name" = ?, "extra" = ?, "updatedAt" = ? WHERE "id" = ?`, [name, JSON.stringify(extra), new Date(), id]);
}

/**
 * Deletes the node's allocation (DELETE /v1/nodes/{node}/allocation) and unlinks the node; its
 * instance_uuid goes too when it was the allocation's.
 */
export async function deleteNodeAllocationRow(
  db: Sql, alloc: Pick<AllocationRecord, "id" | "uuid">, node: Pick<NodeRecord, "id" | "instanceUuid">,
): Promise<void> {
  await db.tx(async (tx) => {
    await tx.run(`DELETE FROM "Allocation" WHERE "id" = ?`, [alloc.id]);
    const changes: NodeChanges = { allocationId: null };
    if (node.instanceUuid === alloc.uuid) changes.instanceUuid = null;
    await updateNode(tx, node.id, changes);
  });
}
