// Chassis (reference §2.7): CRUD, /v1/chassis/detail and /v1/chassis/{uuid}/nodes[/detail].
import { randomUUID } from "node:crypto";
import { getNodeByUuid, listNodes } from "../../core/db/nodes.ts";
import { parseJson, sql, toDate, type Sql } from "../../core/db/sql.ts";
import { Conflict, Invalid, NodeNotFound, NotFound } from "../../core/errors.ts";
import { parseLimit } from "../collection.ts";
import { empty, json, links, parseBool, ts, type ApiContext } from "../http.ts";
import { DEFAULT_LIST_FIELDS, parseNodeFields, renderNodes } from "../node_view.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isUuidLike, validateUuid } from "../validators.ts";
import { parseNodeSort } from "./nodes.ts";
import {
  changed, isUniqueViolation, pageRows, parseResourceFields, parseResourceList, patchDocument, renderFields, requirePolicy,
  resourceNext, schemaCheck, type FieldDef,
} from "./resource_common.ts";

export interface ChassisRow {
  id: number;
  uuid: string;
  description: string | null;
  extra: unknown;
  createdAt: unknown;
  updatedAt: unknown;
  [k: string]: unknown;
}

const FIELDS: FieldDef<ChassisRow & { _base: string }>[] = [
  ["uuid", 1, (r) => r.uuid],
  ["created_at", 1, (r) => ts(toDate(r.createdAt))],
  ["updated_at", 1, (r) => ts(toDate(r.updatedAt))],
  ["description", 1, (r) => r.description ?? null],
  ["extra", 1, (r) => parseJson(r.extra, {})],
  ["links", 1, (r) => links(r._base, `chassis/${r.uuid}`)],
  // Ironic 21.x wraps the nodes link pair in an extra list; clients see exactly this.
  ["nodes", 1, (r) => [links(r._base, `chassis/${r.uuid}/nodes`)]],
];

export const CHASSIS_FIELD_VERSIONS: Record<string, number> = Object.fromEntries(
  FIELDS.map(([n, v]) => [n, v]),
);
export const CHASSIS_DEFAULT_FIELDS = ["uuid", "description"] as const;

export function chassisView(row: ChassisRow, v: { base: string; minor: number }, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(FIELDS, { ...row, _base: v.base }, v.minor, fields);
}

async function loadChassis(db: Sql, ident: string): Promise<ChassisRow> {
  if (!isUuidLike(ident)) throw new Invalid(`Expected UUID for chassis_uuid: ${ident}`);
  const row = await db.get<ChassisRow>(`SELECT * FROM "Chassis" WHERE "uuid" = ?`, [ident.toLowerCase()]);
  if (!row) throw new NotFound(`Chassis ${ident} could not be found.`);
  return row;
}

const SORT_COLUMNS = { id: "id", uuid: "uuid", description: "description", created_at: "createdAt", updated_at: "updatedAt" };

async function listChassis(ctx: ApiContext, detailPath: boolean): Promise<Response> {
  requirePolicy("baremetal:chassis:get", ctx.principal);
  const db = await sql();
  const p = parseResourceList(ctx, { sortColumns: SORT_COLUMNS, unsortable: ["extra"], fieldVersions: CHASSIS_FIELD_VERSIONS, detailPath });
  let marker: ChassisRow | undefined;
  if (p.marker !== null) {
    marker = await db.get<ChassisRow>(`SELECT * FROM "Chassis" WHERE "uuid" = ?`, [validateUuid(p.marker, "marker")]);
    if (!marker) throw new NotFound(`Chassis ${p.marker} could not be found.`);
  }
  const rows = await pageRows<ChassisRow>(db, {
    select: `SELECT c.* FROM "Chassis" c`, alias: "c", where: [], params: [], sortColumn: p.sortColumn,
    sortDir: p.sortDir as "asc" | "desc", limit: p.limit, marker,
  });
  const fields = p.detail ? null : (p.fields ?? [...CHASSIS_DEFAULT_FIELDS]);
  const body: Record<string, unknown> = { chassis: rows.map((r) => chassisView(r, ctx, fields)) };
  const next = resourceNext(ctx, detailPath ? "chassis/detail" : "chassis", rows.length, p, rows.at(-1)?.uuid, CHASSIS_DEFAULT_FIELDS);
  if (next) body.next = next;
  return json(ctx, body);
}

const CREATE_SCHEMA: Schema = {
  type: "object",
  additionalProperties: false,
  properties: {
    uuid: { type: "string" },
    description: { type: "string", nullable: true, maxLength: 255 },
    extra: { type: "object", nullable: true },
  },
};

async function createChassis(ctx: ApiContext): Promise<Response> {
  requirePolicy("baremetal:chassis:create", ctx.principal);
  schemaCheck("chassis", CREATE_SCHEMA, ctx.body ?? {});
  const b = (ctx.body ?? {}) as Record<string, unknown>;
  const uuid = b.uuid !== undefined ? validateUuid(b.uuid, "uuid") : randomUUID();
  const db = await sql();
  try {
    await db.run(`INSERT INTO "Chassis" ("uuid", "description", "extra", "createdAt") VALUES (?, ?, ?, ?)`, [
      uuid, (b.description as string | null) ?? null, JSON.stringify(b.extra ?? {}), new Date(),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`Chassis with UUID ${uuid} already exists.`);
    throw err;
  }
  const row = (await db.get<ChassisRow>(`SELECT * FROM "Chassis" WHERE "uuid" = ?`, [uuid]))!;
  return json(ctx, chassisView(row, ctx), 201, { Location: `${ctx.base}/v1/chassis/${uuid}` });
}

async function getChassis(ctx: ApiContext): Promise<Response> {
  requirePolicy("baremetal:chassis:get", ctx.principal);
  const db = await sql();
  const row = await loadChassis(db, ctx.params.chassis);
  return json(ctx, chassisView(row, ctx, parseResourceFields(ctx, CHASSIS_FIELD_VERSIONS)));
}

const PATCHABLE = ["description", "extra"];

async function patchChassis(ctx: ApiContext): Promise<Response> {
  requirePolicy("baremetal:chassis:update", ctx.principal);
  const db = await sql();
  const row = await loadChassis(db, ctx.params.chassis);
  const current = chassisView(row, { base: ctx.base, minor: 82 });
  delete current.links;
  delete current.nodes;
  const { patched } = patchDocument(ctx.body, current, PATCHABLE);
  const sets: Record<string, string | null> = {};
  if (changed(patched.description ?? null, current.description)) {
    const d = patched.description ?? null;
    if (d !== null && (typeof d !== "string" || d.length > 255)) {
      throw new Invalid(`Schema error for chassis: ${JSON.stringify(d)} is not of type 'string', 'null'`);
    }
    sets.description = d as string | null;
  }
  if (changed(patched.extra, current.extra)) {
    const e = patched.extra ?? {};
    if (typeof e !== "object" || Array.isArray(e)) throw new Invalid(`Schema error for chassis: ${JSON.stringify(e)} is not of type 'object', 'null'`);
    sets.extra = JSON.stringify(e);
  }
  const keys = Object.keys(sets);
  if (keys.length) {
    await db.run(`UPDATE "Chassis" SET ${keys.map((k) => `"${k}" = ?`).join(", ")}, "updatedAt" = ? WHERE "id" = ?`, [
      ...keys.map((k) => sets[k]), new Date(), row.id,
    ]);
  }
  const fresh = (await db.get<ChassisRow>(`SELECT * FROM "Chassis" WHERE "id" = ?`, [row.id]))!;
  return json(ctx, chassisView(fresh, ctx));
}

async function deleteChassis(ctx: ApiContext): Promise<Response> {
  requirePolicy("baremetal:chassis:delete", ctx.principal);
  const db = await sql();
  const row = await loadChassis(db, ctx.params.chassis);
  const n = await db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "Node" WHERE "chassisId" = ?`, [row.id]);
  if (Number(n?.n ?? 0) > 0) throw new Invalid(`Cannot complete the requested action because chassis ${row.uuid} contains nodes.`);
  await db.run(`DELETE FROM "Chassis" WHERE "id" = ?`, [row.id]);
  return empty(ctx, 204);
}

/** GET /v1/chassis/{uuid}/nodes[/detail]: the chassis' nodes with the node list conventions. */
async function chassisNodes(ctx: ApiContext, detailPath: boolean): Promise<Response> {
  const db = await sql();
  const row = await loadChassis(db, ctx.params.chassis);
  requirePolicy("baremetal:chassis:get", ctx.principal);
  requirePolicy("baremetal:node:list", ctx.principal);
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
  let marker;
  const m = q.get("marker");
  if (m !== null) {
    marker = await getNodeByUuid(db, validateUuid(m, "marker"));
    if (!marker) throw new NodeNotFound(m);
  }
  const nodes = await listNodes(db, {
    filter: { chassisId: row.id, includeChildren: true }, sortKey, sortDir, limit, marker: marker ?? undefined,
  });
  const shown = detail ? null : (fields ?? DEFAULT_LIST_FIELDS);
  const body: Record<string, unknown> = {
    nodes: await renderNodes(db, nodes, { base: ctx.base, minor: ctx.minor, principal: ctx.principal, fields: shown }),
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
