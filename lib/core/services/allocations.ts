// Allocation use cases for the API's module (lib/api/v1/allocations.ts), which parses in Ironic's
// order and calls these at each step: they check policy (concealing what the caller may not see);
// matching and backfill are lib/core/allocations.ts, the SQL lib/core/db/allocations.ts.
import {
  backfillAllocation, destroyAllocation, getAllocation, insertAllocation, scheduleAllocation, type AllocationRecord, type NewAllocation,
} from "../allocations.ts";
import { allocationWhere, pageAllocations, renameAllocation, type AllocationFilter, type AllocationWithNode } from "../db/allocations.ts";
import { findNode, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
import { Conflict, Forbidden, Invalid, NotFound } from "../errors.ts";
import { authorize, isSystemScoped, type Principal } from "../policy.ts";
import { isUuidLike } from "../uuid.ts";
import { allow, allowOrConceal, listScope } from "./access.ts";

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

/** The project whose allocations the caller may list (null: all), checked before the list's parameters. */
export function allocationListProject(principal: Principal): string | null {
  return listScope(principal, "baremetal:allocation:list", "baremetal:allocation:list_all");
}

/** A caller limited to its project's allocations may not ask for another owner's. */
export function checkOwnerFilter(project: string | null, owner: string): void {
  if (project !== null && owner !== project) throw new Forbidden();
}

/**
 * The allocation `ident` (uuid or name) if the caller may see it, and, when `rule` is given, may
 * act on it (403); a project-scoped caller who may not see it gets 404.
 */
export async function visibleAllocation(principal: Principal, ident: string, rule?: string): Promise<AllocationWithNode> {
  const row = await allocationNamed(ident);
  if (!row) throw new NotFound(`Allocation ${ident} could not be found.`);
  allowOrConceal("baremetal:allocation:get", principal, { owner: row.owner }, () => new NotFound(`Allocation ${ident} could not be found.`));
  if (rule) allow(rule, principal, { owner: row.owner });
  return row;
}

/**
 * Who owns an allocation the caller creates: as asked, except that callers without
 * create_restricted who are project members allocate for their own project only.
 */
export function allocationOwnerFor(principal: Principal, requested: string | null): string | null {
  allow("baremetal:allocation:create", principal);
  if (authorize("baremetal:allocation:create_restricted", principal) || isSystemScoped(principal)) return requested;
  if (requested !== null && requested !== principal.projectId) throw new Forbidden();
  return principal.projectId;
}

/** The uuids of the candidate nodes `idents` names (each once); nodes the caller cannot see count as missing. */
export async function candidateNodeUuids(principal: Principal, idents: string[]): Promise<string[]> {
  const candidates: string[] = [];
  const missing: string[] = [];
  for (const ident of idents) {
    const node = await allocationNode(ident);
    if (!node || !authorize("baremetal:node:get", principal, node)) missing.push(ident);
    else if (!candidates.includes(node.uuid)) candidates.push(node.uuid);
  }
  if (missing.length) throw new Invalid(`Nodes cannot be found: ${missing.join(", ")}`);
  return candidates;
}

/** Deletes the allocation `ident` (lib/core/allocations.ts says when it may go). */
export async function deleteAllocation(principal: Principal, ident: string): Promise<void> {
  const row = await visibleAllocation(principal, ident, "baremetal:allocation:delete");
  await removeAllocation(row);
}
