// Allocations (reference §2.8, API 1.52; PATCH 1.57; backfill `node` 1.58; owner 1.60).
// Writes below their version answer 405. Matching lives in lib/core/allocations.ts.
import {
  backfillAllocation, destroyAllocation, getAllocation, insertAllocation, rowToAllocation, scheduleAllocation,
  type AllocationRecord,
} from "../../core/allocations.ts";
import { findNode, type NodeRecord } from "../../core/db/nodes.ts";
import { sql, type Sql, type SqlValue } from "../../core/db/sql.ts";
import { Conflict, Forbidden, Invalid, MethodNotAllowed, NotAcceptable, NotFound } from "../../core/errors.ts";
import { authorize, isSystemScoped } from "../../core/policy.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isUuidLike, isValidLogicalName, TRAITS_SCHEMA, validateUuid } from "../validators.ts";
import {
  authorizeOrConceal, listProject, pageRows, parseResourceFields, parseResourceList, patchDocument, patchedSchemaCheck, renderFields,
  requirePolicy, resourceNext, schemaCheck, type FieldDef,
} from "./resource_common.ts";

type Row = AllocationRecord & { nodeUuid: string | null; _base: string };

const FIELDS: FieldDef<Row>[] = [
  ["uuid", 52, (a) => a.uuid],
  ["created_at", 52, (a) => ts(a.createdAt)],
  ["updated_at", 52, (a) => ts(a.updatedAt)],
  ["candidate_nodes", 52, (a) => [...a.candidateNodes]],
  ["extra", 52, (a) => a.extra],
  ["last_error", 52, (a) => a.lastError],
  ["name", 52, (a) => a.name],
  ["owner", 60, (a) => a.owner],
  ["resource_class", 52, (a) => a.resourceClass],
  ["state", 52, (a) => a.state],
  ["traits", 52, (a) => [...a.traits]],
  ["links", 52, (a) => links(a._base, `allocations/${a.uuid}`)],
  ["node_uuid", 52, (a) => a.nodeUuid],
];

export const ALLOCATION_FIELD_VERSIONS: Record<string, number> = Object.fromEntries(
  FIELDS.map(([n, v]) => [n, v]),
);

const SELECT = `SELECT a.*, n."uuid" AS "nodeUuid" FROM "Allocation" a LEFT JOIN "Node" n ON n."id" = a."nodeId"`;

/** One allocation as Ironic shows it; `nodeUuid` is the allocated node's uuid (or null). */
export function allocationView(a: AllocationRecord & { nodeUuid: string | null }, v: { base: string; minor: number }, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(FIELDS, { ...a, _base: v.base }, v.minor, fields);
}

/** The node's allocation (by the node's allocation id, else by the allocation's node). */
export async function loadNodeAllocation(db: Sql, node: { id: number; allocationId: number | null }) {
  return node.allocationId != null ? loadRow(db, `a."id" = ?`, [node.allocationId]) : loadRow(db, `a."nodeId" = ?`, [node.id]);
}

async function loadRow(db: Sql, where: string, params: SqlValue[]): Promise<(AllocationRecord & { nodeUuid: string | null }) | null> {
  const row = await db.get(`${SELECT} WHERE ${where}`, params);
  return row ? { ...rowToAllocation(row), nodeUuid: (row.nodeUuid as string | null) ?? null } : null;
}

async function loadAllocation(db: Sql, ident: string) {
  const row = isUuidLike(ident) ? await loadRow(db, `a."uuid" = ?`, [ident.toLowerCase()]) : await loadRow(db, `a."name" = ?`, [ident]);
  if (!row) throw new NotFound(`Allocation ${ident} could not be found.`);
  return row;
}

function visible(ctx: ApiContext, a: AllocationRecord, ident: string): void {
  authorizeOrConceal("baremetal:allocation:get", ctx.principal, { owner: a.owner }, () => new NotFound(`Allocation ${ident} could not be found.`));
}

const SORT_COLUMNS = {
  id: "id", uuid: "uuid", name: "name", state: "state", resource_class: "resourceClass", owner: "owner",
  created_at: "createdAt", updated_at: "updatedAt", last_error: "lastError",
};

async function listAllocations(ctx: ApiContext): Promise<Response> {
  const db = await sql();
  const project = listProject(ctx.principal, "baremetal:allocation:list", "baremetal:allocation:list_all");
  const p = parseResourceList(ctx, {
    sortColumns: SORT_COLUMNS, unsortable: ["traits", "candidate_nodes", "extra"], fieldVersions: ALLOCATION_FIELD_VERSIONS,
  });
  const q = ctx.url.searchParams;
  const where: string[] = [];
  const params: SqlValue[] = [];
  const nodeIdent = q.get("node");
  if (nodeIdent !== null) {
    const node = await findNode(db, nodeIdent, true);
    if (!node) throw new Invalid(`Node ${nodeIdent} could not be found.`);
    where.push(`a."nodeId" = ?`);
    params.push(node.id);
  }
  for (const [param, col] of [["resource_class", "resourceClass"], ["state", "state"]] as const) {
    const v = q.get(param);
    if (v !== null) {
      where.push(`a."${col}" = ?`);
      params.push(v);
    }
  }
  const owner = q.get("owner");
  if (owner !== null) {
    if (ctx.minor < 60) throw new NotAcceptable("Request not acceptable.");
    if (project !== null && owner !== project) throw new Forbidden();
    where.push(`a."owner" = ?`);
    params.push(owner);
  }
  if (project !== null) {
    where.push(`a."owner" = ?`);
    params.push(project);
  }
  let marker: Record<string, unknown> | undefined;
  if (p.marker !== null) {
    marker = await db.get(`SELECT * FROM "Allocation" WHERE "uuid" = ?`, [validateUuid(p.marker, "marker")]);
    if (!marker) throw new NotFound(`Allocation ${p.marker} could not be found.`);
  }
  const rows = await pageRows(db, {
    select: SELECT, alias: "a", where, params, sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit, marker,
  });
  const list = rows.map((r) => ({ ...rowToAllocation(r), nodeUuid: (r.nodeUuid as string | null) ?? null }));
  const body: Record<string, unknown> = { allocations: list.map((a) => allocationView(a, ctx, p.detail ? null : p.fields)) };
  const next = resourceNext(ctx, "allocations", list.length, p, list.at(-1)?.uuid, null);
  if (next) body.next = next;
  return json(ctx, body);
}

// Ironic's ALLOCATION_SCHEMA (key order decides which error is reported).
const ALLOCATION_SCHEMA: Schema = {
  type: "object",
  properties: {
    candidate_nodes: { type: ["array", "null"], items: { type: "string" } },
    extra: { type: ["object", "null"] },
    name: { type: ["string", "null"] },
    node: { type: ["string", "null"] },
    owner: { type: ["string", "null"] },
    resource_class: { type: ["string", "null"], maxLength: 80 },
    traits: { type: ["array", "null"], items: TRAITS_SCHEMA },
    uuid: { type: ["string", "null"] },
  },
  additionalProperties: false,
};

function checkName(name: unknown, verb: "create" | "update", ident?: string): string | null {
  if (name === null || name === undefined) return null;
  if (typeof name !== "string" || !isValidLogicalName(name, 82)) {
    throw new Invalid(
      verb === "create"
        ? `Cannot create allocation with invalid name '${String(name)}'`
        : `Allocation ${ident} can not be updated with invalid name '${String(name)}'`,
    );
  }
  return name;
}

async function createAllocation(ctx: ApiContext): Promise<Response> {
  schemaCheck("allocation", ALLOCATION_SCHEMA, ctx.body ?? {});
  const b = (ctx.body ?? {}) as Record<string, unknown>;
  if (b.owner !== undefined && ctx.minor < 60) throw new NotAcceptable("Request not acceptable.");
  if (b.node !== undefined && b.node !== null && ctx.minor < 58) {
    throw new Invalid("Cannot set node when creating an allocation in this API version");
  }
  const who = ctx.principal;
  let owner = (b.owner as string | null | undefined) ?? null;
  if (!authorize("baremetal:allocation:create", who)) throw new Forbidden();
  if (!authorize("baremetal:allocation:create_restricted", who)) {
    // Project members allocate for their own project only.
    if (!isSystemScoped(who)) {
      if (owner !== null && owner !== who.projectId) throw new Forbidden();
      owner = who.projectId;
    }
  }
  const traits = (b.traits as string[] | null | undefined) ?? [];
  const name = checkName(b.name, "create");
  const uuid = b.uuid !== undefined && b.uuid !== null ? validateUuid(b.uuid, "uuid") : undefined;
  const db = await sql();

  let backfillNode: NodeRecord | null = null;
  if (b.node !== undefined && b.node !== null) {
    backfillNode = await findNode(db, b.node as string, true);
    if (!backfillNode) throw new Invalid(`Node ${String(b.node)} could not be found.`);
  }
  let resourceClass = (b.resource_class as string | null | undefined) ?? null;
  if (!resourceClass) {
    if (!backfillNode) throw new Invalid("The resource_class field is mandatory when not backfilling");
    resourceClass = backfillNode.resourceClass;
  }
  const candidates: string[] = [];
  const missing: string[] = [];
  for (const ident of (b.candidate_nodes as string[] | undefined) ?? []) {
    const node = await findNode(db, ident, true);
    if (!node || !authorize("baremetal:node:get", who, node)) missing.push(ident);
    else if (!candidates.includes(node.uuid)) candidates.push(node.uuid);
  }
  if (missing.length) throw new Invalid(`Nodes cannot be found: ${missing.join(", ")}`);

  const allocUuid = uuid ?? (backfillNode?.instanceUuid ?? undefined);
  const alloc = await insertAllocation(db, {
    uuid: allocUuid, name, resourceClass, traits, candidateNodes: candidates, extra: (b.extra as Record<string, unknown> | null) ?? {}, owner,
  });
  const headers = { Location: `${ctx.base}/v1/allocations/${alloc.uuid}` };
  if (backfillNode) {
    const problem = await backfillAllocation(db, alloc, backfillNode);
    // Ironic answers a failed backfill with an error (the allocation stays, in `error`).
    if (problem) throw new Invalid(problem);
    const row = (await loadRow(db, `a."id" = ?`, [alloc.id]))!;
    return json(ctx, allocationView(row, ctx), 201, headers);
  }
  const shown = allocationView({ ...alloc, nodeUuid: null }, ctx);
  void scheduleAllocation(db, alloc.id);
  return json(ctx, shown, 201, headers);
}

async function getOne(ctx: ApiContext): Promise<Response> {
  const db = await sql();
  const a = await loadAllocation(db, ctx.params.allocation);
  visible(ctx, a, ctx.params.allocation);
  return json(ctx, allocationView(a, ctx, parseResourceFields(ctx, ALLOCATION_FIELD_VERSIONS)));
}

async function patchOne(ctx: ApiContext): Promise<Response> {
  const db = await sql();
  const ident = ctx.params.allocation;
  const a = await loadAllocation(db, ident);
  visible(ctx, a, ident);
  requirePolicy("baremetal:allocation:update", ctx.principal, { owner: a.owner });
  const current = { name: a.name, extra: a.extra };
  const { patched } = patchDocument(ctx.body, current, ["name", "extra"]);
  const name = checkName(patched.name ?? null, "update", ident);
  patchedSchemaCheck(ALLOCATION_SCHEMA, patched);
  const extra = patched.extra ?? {};
  if (name !== null && name !== a.name) {
    const other = await getAllocation(db, "name", name);
    if (other && other.id !== a.id) throw new Conflict(`An allocation with name ${name} already exists.`);
  }
  await db.run(`UPDATE "Allocation" SET "name" = ?, "extra" = ?, "updatedAt" = ? WHERE "id" = ?`, [name, JSON.stringify(extra), new Date(), a.id]);
  return json(ctx, allocationView((await loadRow(db, `a."id" = ?`, [a.id]))!, ctx));
}

async function deleteOne(ctx: ApiContext): Promise<Response> {
  const db = await sql();
  const ident = ctx.params.allocation;
  const a = await loadAllocation(db, ident);
  visible(ctx, a, ident);
  requirePolicy("baremetal:allocation:delete", ctx.principal, { owner: a.owner });
  await destroyAllocation(db, a);
  return empty(ctx, 204);
}

const V = { minVersion: 52, belowVersionStatus: 405 } as const;

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/allocations", ...V, handler: listAllocations },
  { method: "POST", path: "/v1/allocations", ...V, handler: createAllocation },
  { method: "GET", path: "/v1/allocations/:allocation", ...V, handler: getOne },
  {
    method: "PATCH", path: "/v1/allocations/:allocation", ...V,
    handler: async (ctx) => {
      if (ctx.minor < 57) throw new MethodNotAllowed("The API version does not allow updating allocations");
      return patchOne(ctx);
    },
  },
  { method: "DELETE", path: "/v1/allocations/:allocation", ...V, handler: deleteOne },
];
