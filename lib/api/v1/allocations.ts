// Allocations (reference §2.8, API 1.52; PATCH 1.57; backfill `node` 1.58; owner 1.60).
// Writes below their version answer 405. Matching lives in lib/core/allocations.ts.
import type { AllocationRecord } from "../../core/allocations.ts";
import type { NodeRecord } from "../../core/db/nodes.ts";
import {
  allocationListProject, allocationNode, allocationOwnerFor, candidateNodeUuids, changeAllocation, checkOwnerFilter, deleteAllocation,
  listAllocationPage, startAllocation, visibleAllocation, type AllocationFilter,
} from "../../core/services/allocations.ts";
import { Invalid, MethodNotAllowed, NotAcceptable, NotFound } from "../../core/errors.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isValidLogicalName, TRAITS_SCHEMA, validateUuid } from "../validators.ts";
import {
  parseResourceFields, parseResourceList, patchDocument, patchedSchemaCheck, renderFields, resourceNext, schemaCheck, type FieldDef,
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

/** One allocation as Ironic shows it; `nodeUuid` is the allocated node's uuid (or null). */
export function allocationView(a: AllocationRecord & { nodeUuid: string | null }, v: { base: string; minor: number }, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(FIELDS, { ...a, _base: v.base }, v.minor, fields);
}

const SORT_COLUMNS = {
  id: "id", uuid: "uuid", name: "name", state: "state", resource_class: "resourceClass", owner: "owner",
  created_at: "createdAt", updated_at: "updatedAt", last_error: "lastError",
};

async function listAllocations(ctx: ApiContext): Promise<Response> {
  const project = allocationListProject(ctx.principal);
  const p = parseResourceList(ctx, {
    sortColumns: SORT_COLUMNS, unsortable: ["traits", "candidate_nodes", "extra"], fieldVersions: ALLOCATION_FIELD_VERSIONS,
  });
  const q = ctx.url.searchParams;
  const filter: AllocationFilter = { owners: [] };
  const nodeIdent = q.get("node");
  if (nodeIdent !== null) {
    const node = await allocationNode(nodeIdent);
    if (!node) throw new Invalid(`Node ${nodeIdent} could not be found.`);
    filter.nodeId = node.id;
  }
  const resourceClass = q.get("resource_class");
  if (resourceClass !== null) filter.resourceClass = resourceClass;
  const state = q.get("state");
  if (state !== null) filter.state = state;
  const owner = q.get("owner");
  if (owner !== null) {
    if (ctx.minor < 60) throw new NotAcceptable("Request not acceptable.");
    checkOwnerFilter(project, owner);
    filter.owners!.push(owner);
  }
  if (project !== null) filter.owners!.push(project);
  const marker = p.marker === null ? undefined : validateUuid(p.marker, "marker");
  const list = await listAllocationPage(filter, { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit }, marker);
  if (!list) throw new NotFound(`Allocation ${p.marker} could not be found.`);
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
  const owner = allocationOwnerFor(ctx.principal, (b.owner as string | null | undefined) ?? null);
  const traits = (b.traits as string[] | null | undefined) ?? [];
  const name = checkName(b.name, "create");
  const uuid = b.uuid !== undefined && b.uuid !== null ? validateUuid(b.uuid, "uuid") : undefined;

  let backfillNode: NodeRecord | null = null;
  if (b.node !== undefined && b.node !== null) {
    backfillNode = await allocationNode(b.node as string);
    if (!backfillNode) throw new Invalid(`Node ${String(b.node)} could not be found.`);
  }
  let resourceClass = (b.resource_class as string | null | undefined) ?? null;
  if (!resourceClass) {
    if (!backfillNode) throw new Invalid("The resource_class field is mandatory when not backfilling");
    resourceClass = backfillNode.resourceClass;
  }
  const candidates = await candidateNodeUuids(ctx.principal, (b.candidate_nodes as string[] | undefined) ?? []);

  const allocUuid = uuid ?? (backfillNode?.instanceUuid ?? undefined);
  // A failed backfill is an error, as in Ironic (the allocation stays, in `error`).
  const alloc = await startAllocation({
    uuid: allocUuid, name, resourceClass, traits, candidateNodes: candidates, extra: (b.extra as Record<string, unknown> | null) ?? {}, owner,
  }, backfillNode);
  return json(ctx, allocationView(alloc, ctx), 201, { Location: `${ctx.base}/v1/allocations/${alloc.uuid}` });
}

async function getOne(ctx: ApiContext): Promise<Response> {
  const a = await visibleAllocation(ctx.principal, ctx.params.allocation);
  return json(ctx, allocationView(a, ctx, parseResourceFields(ctx, ALLOCATION_FIELD_VERSIONS)));
}

async function patchOne(ctx: ApiContext): Promise<Response> {
  const ident = ctx.params.allocation;
  const a = await visibleAllocation(ctx.principal, ident, "baremetal:allocation:update");
  const current = { name: a.name, extra: a.extra };
  const { patched } = patchDocument(ctx.body, current, ["name", "extra"]);
  const name = checkName(patched.name ?? null, "update", ident);
  patchedSchemaCheck(ALLOCATION_SCHEMA, patched);
  const extra = patched.extra ?? {};
  return json(ctx, allocationView(await changeAllocation(a, name, extra), ctx));
}

async function deleteOne(ctx: ApiContext): Promise<Response> {
  await deleteAllocation(ctx.principal, ctx.params.allocation);
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
