// Chassis (reference §2.7): CRUD, /v1/chassis/detail and /v1/chassis/{uuid}/nodes[/detail].
import { Invalid } from "../../core/errors.ts";
import {
  changeChassis, chassisForNodeList, chassisNodes as listChassisNodes, createChassis as insertChassis, deleteChassis as removeChassis,
  getChassis as loadChassis, listChassis as pageChassis, type ChassisRecord,
} from "../../core/services/chassis.ts";
import { parseLimit } from "../collection.ts";
import { empty, json, links, parseBool, ts, type ApiContext } from "../http.ts";
import { DEFAULT_LIST_FIELDS, parseNodeFields, renderNodes } from "../node_view.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { validateUuid } from "../validators.ts";
import { parseNodeSort } from "./nodes.ts";
import {
  changed, parseResourceFields, parseResourceList, patchDocument, patchedSchemaCheck, renderFields,
  requirePolicy, resourceNext, schemaCheck, type FieldDef,
} from "./resource_common.ts";

export type { ChassisRecord };

const FIELDS: FieldDef<ChassisRecord & { _base: string }>[] = [
  ["uuid", 1, (r) => r.uuid],
  ["created_at", 1, (r) => ts(r.createdAt)],
  ["updated_at", 1, (r) => ts(r.updatedAt)],
  ["description", 1, (r) => r.description ?? null],
  ["extra", 1, (r) => r.extra],
  ["links", 1, (r) => links(r._base, `chassis/${r.uuid}`)],
  // Ironic 21.x wraps the nodes link pair in an extra list; clients see exactly this.
  ["nodes", 1, (r) => [links(r._base, `chassis/${r.uuid}/nodes`)]],
];

export const CHASSIS_FIELD_VERSIONS: Record<string, number> = Object.fromEntries(
  FIELDS.map(([n, v]) => [n, v]),
);
export const CHASSIS_DEFAULT_FIELDS = ["uuid", "description"] as const;

export function chassisView(row: ChassisRecord, v: { base: string; minor: number }, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(FIELDS, { ...row, _base: v.base }, v.minor, fields);
}

const SORT_COLUMNS = { id: "id", uuid: "uuid", description: "description", created_at: "createdAt", updated_at: "updatedAt" };

async function listChassis(ctx: ApiContext, detailPath: boolean): Promise<Response> {
  requirePolicy("baremetal:chassis:get", ctx.principal);
  const p = parseResourceList(ctx, { sortColumns: SORT_COLUMNS, unsortable: ["extra"], fieldVersions: CHASSIS_FIELD_VERSIONS, detailPath });
  if (p.marker !== null) validateUuid(p.marker, "marker");
  const marker = p.marker;
  const rows = await pageChassis(ctx.principal, { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit }, marker);
  const fields = p.detail ? null : (p.fields ?? [...CHASSIS_DEFAULT_FIELDS]);
  const body: Record<string, unknown> = { chassis: rows.map((r) => chassisView(r, ctx, fields)) };
  const next = resourceNext(ctx, detailPath ? "chassis/detail" : "chassis", rows.length, p, rows.at(-1)?.uuid, CHASSIS_DEFAULT_FIELDS);
  if (next) body.next = next;
  return json(ctx, body);
}

// Ironic's CHASSIS_SCHEMA (key order matters: it decides which error is reported).
const CHASSIS_SCHEMA: Schema = {
  type: "object",
  properties: {
    uuid: { type: ["string", "null"] },
    extra: { type: ["object", "null"] },
    description: { type: ["string", "null"], maxLength: 255 },
  },
  additionalProperties: false,
};

async function createChassis(ctx: ApiContext): Promise<Response> {
  requirePolicy("baremetal:chassis:create", ctx.principal);
  schemaCheck("chassis", CHASSIS_SCHEMA, ctx.body ?? {});
  const b = (ctx.body ?? {}) as Record<string, unknown>;
  const uuid = b.uuid !== undefined && b.uuid !== null ? validateUuid(b.uuid, "uuid") : undefined;
  const row = await insertChassis(ctx.principal, { uuid, description: (b.description as string | null) ?? null, extra: b.extra ?? {} });
  return json(ctx, chassisView(row, ctx), 201, { Location: `${ctx.base}/v1/chassis/${row.uuid}` });
}

async function getChassis(ctx: ApiContext): Promise<Response> {
  const row = await loadChassis(ctx.principal, ctx.params.chassis);
  return json(ctx, chassisView(row, ctx, parseResourceFields(ctx, CHASSIS_FIELD_VERSIONS)));
}

const PATCHABLE = ["description", "extra"];

async function patchChassis(ctx: ApiContext): Promise<Response> {
  const row = await loadChassis(ctx.principal, ctx.params.chassis, "baremetal:chassis:update");
  const current = chassisView(row, { base: ctx.base, minor: 82 });
  delete current.links;
  delete current.nodes;
  const { patched } = patchDocument(ctx.body, current, PATCHABLE);
  patchedSchemaCheck(CHASSIS_SCHEMA, patched);
  const sets: { description?: string | null; extra?: unknown } = {};
  if (changed(patched.description ?? null, current.description)) sets.description = (patched.description as string | null) ?? null;
  if (changed(patched.extra, current.extra)) sets.extra = patched.extra ?? {};
  const fresh = await changeChassis(ctx.principal, row, sets);
  return json(ctx, chassisView(fresh, ctx));
}

async function deleteChassis(ctx: ApiContext): Promise<Response> {
  const row = await loadChassis(ctx.principal, ctx.params.chassis, "baremetal:chassis:delete");
  await removeChassis(ctx.principal, row);
  return empty(ctx, 204);
}

/** GET /v1/chassis/{uuid}/nodes[/detail]: the chassis' nodes with the node list conventions. */
async function chassisNodes(ctx: ApiContext, detailPath: boolean): Promise<Response> {
  const row = await chassisForNodeList(ctx.principal, ctx.params.chassis);
  const q = ctx.url.searchParams;
  const limit = parseLimit(q.get("limit"));
  const { sortKey, sortDir } = parseNodeSort(q, ctx.minor);
  let detail = detailPath;
  if (q.get("detail") !== null) {
    if (detailPath) throw new Invalid("Unexpected arguments: detail");
    detail = parseBool("detail", q.get("detail")!);
  }
  if (detailPath && q.get("fields") !== null) throw new Invalid("Unexpected arguments: fields");
  const fields = parseNodeFields(q.get("fields"), ctx.minor);
  if (fields && detail) throw new Invalid("Can not specify ?detail=True and fields in the same request.");
  const m = q.get("marker");
  const nodes = await listChassisNodes(ctx.principal, row, { sortKey, sortDir, limit }, m !== null && validateUuid(m, "marker") ? m : null);
  const shown = detail ? null : (fields ?? DEFAULT_LIST_FIELDS);
  const body: Record<string, unknown> = {
    nodes: await renderNodes(nodes, { base: ctx.base, minor: ctx.minor, principal: ctx.principal, fields: shown }),
  };
  if (nodes.length === limit && nodes.length > 0) {
    const params = new URLSearchParams();
    params.set("sort_key", sortKey);
    params.set("sort_dir", sortDir);
    if (fields) params.set("fields", fields.join(","));
    params.set("limit", String(limit));
    params.set("marker", nodes[nodes.length - 1].uuid);
    body.next = `${ctx.base}/v1/chassis/${row.uuid}/nodes${detailPath ? "/detail" : ""}?${params.toString().replace(/%2C/g, ",")}`;
  }
  return json(ctx, body);
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/chassis", handler: (ctx) => listChassis(ctx, false) },
  { method: "GET", path: "/v1/chassis/detail", handler: (ctx) => listChassis(ctx, true) },
  { method: "POST", path: "/v1/chassis", handler: createChassis },
  { method: "GET", path: "/v1/chassis/:chassis", handler: getChassis },
  { method: "PATCH", path: "/v1/chassis/:chassis", handler: patchChassis },
  { method: "DELETE", path: "/v1/chassis/:chassis", handler: deleteChassis },
  { method: "GET", path: "/v1/chassis/:chassis/nodes", handler: (ctx) => chassisNodes(ctx, false) },
  { method: "GET", path: "/v1/chassis/:chassis/nodes/detail", handler: (ctx) => chassisNodes(ctx, true) },
];
