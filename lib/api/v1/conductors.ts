// Conductors (reference §2.9, API 1.49): list (default hostname, conductor_group, alive),
// /detail semantics via ?detail=, single by hostname. alive = online and heartbeat < timeout.
import { sql } from "../../core/db/sql.ts";
import { NotFound } from "../../core/errors.ts";
import { rowToConductor, type ConductorInfo } from "../../core/hashring.ts";
import { json, links, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import { pageRows, parseResourceFields, parseResourceList, resourceNext, type FieldDef, renderFields } from "./resource_common.ts";

const FIELDS: FieldDef<ConductorInfo & { _base: string }>[] = [
  ["created_at", 1, (c) => ts(c.createdAt)],
  ["updated_at", 1, (c) => ts(c.updatedAt)],
  ["hostname", 1, (c) => c.hostname],
  ["conductor_group", 1, (c) => c.conductorGroup],
  ["drivers", 1, (c) => [...c.drivers]],
  ["links", 1, (c) => links(c._base, `conductors/${c.hostname}`)],
  ["alive", 1, (c) => c.alive],
];

export const CONDUCTOR_FIELD_VERSIONS: Record<string, number> = Object.fromEntries(
  FIELDS.map(([n]) => [n, 49]),
);
export const CONDUCTOR_DEFAULT_FIELDS = ["hostname", "conductor_group", "alive"] as const;

export function conductorView(c: ConductorInfo, v: { base: string; minor: number }, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(FIELDS, { ...c, _base: v.base }, v.minor, fields);
}

const SORT_COLUMNS = { id: "id", hostname: "hostname", conductor_group: "conductorGroup", created_at: "createdAt", updated_at: "updatedAt" };

async function listConductorsApi(ctx: ApiContext): Promise<Response> {
  const db = await sql();
  const p = parseResourceList(ctx, { sortColumns: SORT_COLUMNS, unsortable: ["drivers", "alive"], fieldVersions: CONDUCTOR_FIELD_VERSIONS });
  let marker: Record<string, unknown> | undefined;
  if (p.marker !== null) {
    marker = await db.get(`SELECT * FROM "Conductor" WHERE "hostname" = ?`, [p.marker]);
    if (!marker) throw new NotFound(`Conductor ${p.marker} could not be found.`);
  }
  const rows = await pageRows(db, {
    select: `SELECT c.* FROM "Conductor" c`, alias: "c", where: [], params: [], sortColumn: p.sortColumn,
    sortDir: p.sortDir as "asc" | "desc", limit: p.limit, marker,
  });
  const now = Date.now();
  const list = rows.map((r) => rowToConductor(r, now));
  const fields = p.detail ? null : (p.fields ?? [...CONDUCTOR_DEFAULT_FIELDS]);
  const body: Record<string, unknown> = { conductors: list.map((c) => conductorView(c, ctx, fields)) };
  const next = resourceNext(ctx, "conductors", list.length, p, list.at(-1)?.hostname, CONDUCTOR_DEFAULT_FIELDS);
  if (next) body.next = next;
  return json(ctx, body);
}

async function getConductor(ctx: ApiContext): Promise<Response> {
  const db = await sql();
  const row = await db.get(`SELECT * FROM "Conductor" WHERE "hostname" = ?`, [ctx.params.hostname]);
  if (!row) throw new NotFound(`Conductor ${ctx.params.hostname} could not be found.`);
  const fields = parseResourceFields(ctx, CONDUCTOR_FIELD_VERSIONS);
  return json(ctx, conductorView(rowToConductor(row), ctx, fields));
}

const V = { minVersion: 49, policy: "baremetal:conductor:get" } as const;

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/conductors", ...V, handler: listConductorsApi },
  { method: "GET", path: "/v1/conductors/:hostname", ...V, handler: getConductor },
];
