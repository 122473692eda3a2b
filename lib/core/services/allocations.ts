// Allocations for the API's module (lib/api/v1/allocations.ts), which keeps Ironic's order of
// checks; matching and backfill are lib/core/allocations.ts, the SQL lib/core/db/allocations.ts.
import {
  backfillAllocation, destroyAllocation, getAllocation, insertAllocation, scheduleAllocation, type AllocationRecord, type NewAllocation,
} from "../allocations.ts";
import { allocationWhere, pageAllocations, renameAllocation, type AllocationFilter, type AllocationWithNode } from "../db/allocations.ts";
import { findNode, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
import { Conflict, Invalid } from "../errors.ts";
import { isUuidLike } from "../uuid.ts";

export type { AllocationFilter, AllocationWithNode };

/** The allocation with this uuid or name. */
export async function allocationNamed(ident: string): Promise<AllocationWithNode | null> {
  const db = await sql();
  return isUuidLike(ident) ? allocationWhere(db, "uuid", ident.toLowerCase()) : allocationWhere(db, "name", ident);
}

/** The node's allocation (by the node's allocation id, else by the allocation's node). */
export async function nodeAllocation(node: { id: number; allocationId: number | null }): Promise<AllocationWithNode | null> {
  const db = await sql();
  return node.allocationId != null ? allocationWhere(db, "id", node.allocationId) : allocationWhere(db, "nodeId", node.id);
}

export async function listAllocationPage(filter: AllocationFilter, page: PageRequest, marker?: string): Promise<AllocationWithNode[] | null> {
  return pageAllocations(await sql(), filter, page, marker);
}

/** A node by uuid or name, before the caller's rights are looked at. */
export async function allocationNode(ident: string): Promise<NodeRecord | null> {
  return findNode(await sql(), ident, true);
}

/**
 * Creates the allocation: backfilled onto `backfill` at once (a failed backfill is a 400, the
 * allocation stays in `error`), otherwise scheduled in the background.
 */
export async function startAllocation(a: NewAllocation, backfill: NodeRecord | null): Promise<AllocationWithNode> {
  const db = await sql();
  const alloc = await insertAllocation(db, a);
  if (backfill) {
    const problem = await backfillAllocation(db, alloc, backfill);
    if (problem) throw new Invalid(problem);
    return (await allocationWhere(db, "id", alloc.id))!;
  }
  const shown = { ...alloc, nodeUuid: null };
  void scheduleAllocation(db, alloc.id);
  return shown;
}

/** Renames and re-describes an allocation; names are unique. */
export async function changeAllocation(a: AllocationRecord, name: string | null, extra: unknown): Promise<AllocationWithNode> {
  const db = await sql();
  if (name !== null && name !== a.name) {
    const other = await getAllocation(db, "name", name);
    if (other && other.id !== a.id) throw new Conflict(`An allocation with name ${name} already exists.`);
  }
  await renameAllocation(db, a.id, name, extra);
  return (await allocationWhere(db, "id", a.id))!;
}

export async function removeAllocation(a: AllocationRecord): Promise<void> {
  await destroyAllocation(await sql(), a);
}
