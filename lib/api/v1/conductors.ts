// Conductors (reference §2.9, API 1.49): list (default hostname, conductor_group, alive),
// /detail semantics via ?detail=, single by hostname. alive = online and heartbeat < timeout.
import type { ConductorInfo } from "../../core/hashring.ts";
import { getConductor as findConductor, listConductorPage } from "../../core/services/conductors.ts";
import { json, links, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import { parseResourceFields, parseResourceList, resourceNext, type FieldDef, renderFields } from "./resource_common.ts";

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
  const p = parseResourceList(ctx, { sortColumns: SORT_COLUMNS, unsortable: ["drivers", "alive"], fieldVersions: CONDUCTOR_FIELD_VERSIONS });
  const list = await listConductorPage({ sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit }, p.marker);
  const fields = p.detail ? null : (p.fields ?? [...CONDUCTOR_DEFAULT_FIELDS]);
  const body: Record<string, unknown> = { conductors: list.map((c) => conductorView(c, ctx, fields)) };
  const next = resourceNext(ctx, "conductors", list.length, p, list.at(-1)?.hostname, CONDUCTOR_DEFAULT_FIELDS);
  if (next) body.next = next;
  return json(ctx, body);
}

async function getConductor(ctx: ApiContext): Promise<Response> {
  const conductor = await findConductor(ctx.params.hostname);
  const fields = parseResourceFields(ctx, CONDUCTOR_FIELD_VERSIONS);
  return json(ctx, conductorView(conductor, ctx, fields));
}

const V = { minVersion: 49, policy: "baremetal:conductor:get" } as const;

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/conductors", ...V, handler: listConductorsApi },
  { method: "GET", path: "/v1/conductors/:hostname", ...V, handler: getConductor },
];
