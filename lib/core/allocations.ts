// Allocations (reference §2.8): a request for a node of a resource class (+ traits, candidates,
// owner). Created in `allocating`, then matched: on success the node gets instance_uuid = the
// allocation's uuid and allocation_id, the allocation goes `active`; otherwise `error` with
// last_error. Backfill attaches an allocation to an already deployed node. No React/Next here.
import { randomUUID } from "node:crypto";
import { config } from "./config.ts";
import { getNodeById, listNodes, releaseNode, reserveNode, updateNode, type NodeRecord } from "./db/nodes.ts";
import { parseJson, toDate, type Sql } from "./db/sql.ts";
import { Conflict } from "./errors.ts";
import { inStates, ProvisionState as S, UNSTABLE_STATES } from "./states.ts";

export type AllocationState = "allocating" | "active" | "error";

export interface AllocationRecord {
  id: number;
  uuid: string;
  name: string | null;
  nodeId: number | null;
  state: AllocationState;
  lastError: string | null;
  resourceClass: string | null;
  traits: string[];
  /** Node UUIDs. */
  candidateNodes: string[];
  extra: Record<string, unknown>;
  owner: string | null;
  createdAt: Date;
  updatedAt: Date | null;
}

export function rowToAllocation(row: Record<string, unknown>): AllocationRecord {
  return {
    id: Number(row.id),
    uuid: String(row.uuid),
    name: (row.name as string | null) ?? null,
    nodeId: row.nodeId === null || row.nodeId === undefined ? null : Number(row.nodeId),
    state: row.state as AllocationState,
    lastError: (row.lastError as string | null) ?? null,
    resourceClass: (row.resourceClass as string | null) ?? null,
    traits: parseJson<string[]>(row.traits, []),
    candidateNodes: parseJson<string[]>(row.candidateNodes, []),
    extra: parseJson(row.extra, {}),
    owner: (row.owner as string | null) ?? null,
    createdAt: toDate(row.createdAt) ?? new Date(0),
    updatedAt: toDate(row.updatedAt),
  };
}

export async function getAllocation(sql: Sql, where: "id" | "uuid" | "name" | "nodeId", value: string | number): Promise<AllocationRecord | null> {
  const row = await sql.get(`SELECT * FROM "Allocation" WHERE "${where}" = ?`, [value]);
  return row ? rowToAllocation(row) : null;
}

export interface NewAllocation {
  uuid?: string;
  name?: string | null;
  resourceClass: string | null;
  traits?: string[];
  candidateNodes?: string[];
  extra?: Record<string, unknown>;
  owner?: string | null;
}

/** Inserts an allocation in `allocating` (uniqueness of uuid/name is reported as 409). */
export async function insertAllocation(sql: Sql, a: NewAllocation): Promise<AllocationRecord> {
  const uuid = (a.uuid ?? randomUUID()).toLowerCase();
  if (await getAllocation(sql, "uuid", uuid)) throw new Conflict(`An allocation with UUID ${uuid} already exists.`);
  if (a.name && (await getAllocation(sql, "name", a.name))) throw new Conflict(`An allocation with name ${a.name} already exists.`);
  await sql.run(
    `INSERT INTO "Allocation" ("uuid", "name", "state", "resourceClass", "traits", "candidateNodes", "extra", "owner", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [uuid, a.name ?? null, "allocating", a.resourceClass, JSON.stringify(a.traits ?? []), JSON.stringify(a.candidateNodes ?? []), JSON.stringify(a.extra ?? {}), a.owner ?? null, new Date()],
  );
  return (await getAllocation(sql, "uuid", uuid))!;
}

async function setAllocation(sql: Sql, id: number, changes: { state?: AllocationState; lastError?: string | null; nodeId?: number | null }): Promise<void> {
  const keys = Object.keys(changes) as (keyof typeof changes)[];
  await sql.run(
    `UPDATE "Allocation" SET ${keys.map((k) => `"${k}" = ?`).join(", ")}, "updatedAt" = ? WHERE "id" = ?`,
    [...keys.map((k) => changes[k] ?? null), new Date(), id],
  );
}

/** Allocation failure text: "Failed to process allocation <uuid>: <reason>." */
export function allocationFailed(uuid: string, reason: string): string {
  return `Failed to process allocation ${uuid}: ${reason}.`;
}

/** Whether `node` could take `alloc` right now (the filter Ironic applies before locking). */
export function nodeMatches(node: NodeRecord, alloc: AllocationRecord): boolean {
  if (node.resourceClass !== alloc.resourceClass) return false;
  if (node.provisionState !== S.AVAILABLE || node.instanceUuid !== null || node.allocationId !== null) return false;
  if (node.powerState === null || node.maintenance || node.reservation !== null) return false;
  if (alloc.candidateNodes.length && !alloc.candidateNodes.includes(node.uuid)) return false;
  if (alloc.owner && node.owner !== alloc.owner && node.lessee !== alloc.owner) return false;
  return alloc.traits.every((t) => node.traits.includes(t));
}

function shuffle<T>(list: T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Matches a pending allocation to a node. Safe to call more than once; does nothing unless the
 * allocation is still `allocating`. Never throws for matching problems (they become `error`).
 */
export async function processAllocation(sql: Sql, allocationId: number): Promise<AllocationRecord | null> {
  const alloc = await getAllocation(sql, "id", allocationId);
  if (!alloc || alloc.state !== "allocating") return alloc;
  const fail = async (reason: string) => {
    await setAllocation(sql, alloc.id, { state: "error", lastError: allocationFailed(alloc.uuid, reason) });
    return getAllocation(sql, "id", alloc.id);
  };
  const base = await listNodes(sql, {
    filter: {
      resourceClass: alloc.resourceClass ?? undefined, provisionState: [S.AVAILABLE], associated: false, maintenance: false,
      project: alloc.owner ?? undefined, includeChildren: true,
    },
  });
  let nodes = base.filter((n) => n.powerState !== null && n.allocationId === null);
  if (alloc.candidateNodes.length) nodes = nodes.filter((n) => alloc.candidateNodes.includes(n.uuid));
  if (nodes.length === 0) {
    return fail(
      alloc.candidateNodes.length
        ? `none of the requested nodes are available and match the resource class ${alloc.resourceClass}`
        : `no available nodes match the resource class ${alloc.resourceClass}`,
    );
  }
  if (alloc.traits.length) {
    nodes = nodes.filter((n) => alloc.traits.every((t) => n.traits.includes(t)));
    if (nodes.length === 0) return fail(`no suitable nodes have the requested traits ${alloc.traits.join(", ")}`);
  }
  nodes = shuffle(nodes);
  // A node named like the allocation goes first (API 1.79 behaviour; harmless before).
  if (alloc.name) {
    const i = nodes.findIndex((n) => n.name === alloc.name);
    if (i > 0) nodes.unshift(...nodes.splice(i, 1));
  }
  const host = config().conductorHostname;
  for (const candidate of nodes) {
    if (!(await reserveNode(sql, candidate.id, host))) continue;
    try {
      const fresh = await getNodeById(sql, candidate.id);
      if (!fresh || !nodeMatches({ ...fresh, reservation: null }, alloc)) continue;
      // The allocation may have been deleted meanwhile.
      const still = await getAllocation(sql, "id", alloc.id);
      if (!still || still.state !== "allocating") return still;
      try {
        const updated = await updateNode(sql, fresh.id, { instanceUuid: alloc.uuid, allocationId: alloc.id }, { expectReservation: host });
        if (!updated) continue;
      } catch {
        continue; // instance_uuid taken by someone else: try the next node
      }
      // Unlocked before the allocation says active: whoever sees it active may act on the node.
      await releaseNode(sql, candidate.id, host);
      await setAllocation(sql, alloc.id, { state: "active", nodeId: fresh.id, lastError: null });
      return getAllocation(sql, "id", alloc.id);
    } finally {
      await releaseNode(sql, candidate.id, host);
    }
  }
  return fail("all nodes were filtered out during reservation process. The next attempt may succeed");
}

/**
 * Starts processAllocation right after the caller's current step, off the request path (errors
 * are logged, not thrown). A microtask rather than a timer, so a busy in-process caller that never
 * yields to the event loop cannot starve it.
 */
export function scheduleAllocation(sql: Sql, allocationId: number): Promise<void> {
  return Promise.resolve()
    .then(() => processAllocation(sql, allocationId))
    .then(
      () => undefined,
      (err) => console.error(`[allocations] processing allocation ${allocationId} failed:`, err),
    );
}

/**
 * Backfill: records an allocation for a node that is already deployed. On mismatch the allocation
 * ends in `error` and the reason is returned (null on success).
 */
export async function backfillAllocation(sql: Sql, alloc: AllocationRecord, node: NodeRecord): Promise<string | null> {
  const problems: string[] = [];
  if (node.provisionState !== S.ACTIVE) {
    problems.push(`Node must be in the "${S.ACTIVE}" state, but the current state is "${node.provisionState}"`);
  }
  if (alloc.resourceClass && node.resourceClass !== alloc.resourceClass) {
    problems.push(`Resource class ${node.resourceClass} does not match the requested resource class ${alloc.resourceClass}`);
  }
  const missing = alloc.traits.filter((t) => !node.traits.includes(t));
  if (missing.length) problems.push(`Traits ${missing.join(", ")} are required by the allocation but not set on the node`);
  if (alloc.candidateNodes.length && !alloc.candidateNodes.includes(node.uuid)) {
    problems.push("Node is not in the list of candidate nodes");
  }
  if (node.allocationId !== null && node.allocationId !== alloc.id) {
    problems.push(`Node already has an allocation`);
  }
  if (node.instanceUuid !== null && node.instanceUuid !== alloc.uuid) {
    problems.push(`Node has instance UUID ${node.instanceUuid} which does not match the allocation UUID ${alloc.uuid}`);
  }
  if (problems.length) {
    const message = allocationFailed(alloc.uuid, `Cannot backfill an allocation for node ${node.uuid}: ${problems.join("; ")}`);
    await setAllocation(sql, alloc.id, { state: "error", lastError: message });
    return message;
  }
  await sql.tx(async (tx) => {
    await updateNode(tx, node.id, { instanceUuid: alloc.uuid, allocationId: alloc.id });
    await setAllocation(tx, alloc.id, { state: "active", nodeId: node.id, lastError: null });
  });
  return null;
}

/** A node's allocation may go unless it is deployed or mid-transition (maintenance overrides). */
export function allocationRemovable(node: Pick<NodeRecord, "maintenance" | "provisionState">): boolean {
  if (node.maintenance) return true;
  return node.provisionState !== S.ACTIVE && !inStates(node.provisionState, UNSTABLE_STATES);
}

/**
 * Deletes an allocation; if it holds a node, the node's instance_uuid and allocation_id are
 * cleared (refused with 409 while the node is deployed or busy, unless in maintenance).
 */
export async function destroyAllocation(sql: Sql, alloc: AllocationRecord, opts: { force?: boolean } = {}): Promise<void> {
  const node = alloc.nodeId !== null ? await getNodeById(sql, alloc.nodeId) : null;
  if (node && !opts.force && !allocationRemovable(node)) {
    throw new Conflict(
      `Cannot remove allocation ${alloc.uuid} since it's associated with node ${node.uuid} in state ${node.provisionState}, please unprovision the node first or put it into maintenance mode.`,
    );
  }
  if (node && node.reservation !== null && !opts.force) {
    throw new Conflict(`Node ${node.uuid} is locked by host ${node.reservation}, please retry after the current operation is completed.`);
  }
  await sql.tx(async (tx) => {
    if (node) {
      const changes: { allocationId: null; instanceUuid?: null } = { allocationId: null };
      if (node.instanceUuid === alloc.uuid || node.allocationId === alloc.id) changes.instanceUuid = null;
      await updateNode(tx, node.id, changes);
    }
    await tx.run(`DELETE FROM "Allocation" WHERE "id" = ?`, [alloc.id]);
  });
}

/**
 * For node code paths (instance_uuid removed, tear-down): drops the node's allocation record, if
 * any, without touching the node row (the caller updates it).
 */
export async function dropNodeAllocation(sql: Sql, node: Pick<NodeRecord, "id" | "allocationId">): Promise<void> {
  if (node.allocationId !== null) await sql.run(`DELETE FROM "Allocation" WHERE "id" = ?`, [node.allocationId]);
  await sql.run(`DELETE FROM "Allocation" WHERE "nodeId" = ?`, [node.id]);
}
