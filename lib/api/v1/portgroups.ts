// Portgroups (reference §2.7, API 1.23; mode/properties 1.26; /portgroups/{p}/ports 1.24).
import { randomUUID } from "node:crypto";
import { parseJson, toBool, toDate } from "../../core/db/values.ts";
import { Conflict, Invalid, NodeNotFound, NotAcceptable, NotFound } from "../../core/errors.ts";
import {
  addressTaken, changePortgroup, createPortgroupRow, deletePortgroup, listPortgroupPage, nameTaken, portgroupListProject, portgroupNode,
  portgroupWithUuid, requireNoPorts, visiblePortgroup, type PortgroupChanges, type PortgroupRow,
} from "../../core/services/portgroups.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isValidLogicalName, normalizeMac, validateUuid } from "../validators.ts";
import { nodeToAttachTo } from "../../core/services/access.ts";
import { nodeToMoveTo } from "../../core/services/ports.ts";
import { listPorts } from "./ports.ts";
import {
  bodyBool, changed, isUniqueViolation, parseResourceFields, parseResourceList,
  patchDocument, patchedSchemaCheck, renderFields, resourceNext, schemaCheck, uniqueViolationMentions, type FieldDef,
} from "./resource_common.ts";

export type { PortgroupRow };

/** Ironic's default bonding mode for new portgroups ([DEFAULT]default_portgroup_mode). */
export const DEFAULT_PORTGROUP_MODE = "active-backup";

type View = { base: string; minor: number };

const PG_FIELDS: FieldDef<PortgroupRow & { _base: string }>[] = [
  ["uuid", 1, (r) => r.uuid],
  ["created_at", 1, (r) => ts(toDate(r.createdAt))],
  ["updated_at", 1, (r) => ts(toDate(r.updatedAt))],
  ["address", 1, (r) => r.address ?? null],
  ["extra", 1, (r) => parseJson(r.extra, {})],
  ["internal_info", 1, (r) => parseJson(r.internalInfo, {})],
  ["mode", 26, (r) => r.mode ?? null],
  ["name", 1, (r) => r.name ?? null],
  ["properties", 26, (r) => parseJson(r.properties, {})],
  ["standalone_ports_supported", 1, (r) => toBool(r.standalonePortsSupported)],
  ["node_uuid", 1, (r) => r.nodeUuid],
  ["links", 1, (r) => links(r._base, `portgroups/${r.uuid}`)],
  ["ports", 24, (r) => links(r._base, `portgroups/${r.uuid}/ports`)],
];

export const PORTGROUP_FIELD_VERSIONS: Record<string, number> = Object.fromEntries(
  PG_FIELDS.map(([n, v]) => [n, v]),
);
export const PORTGROUP_DEFAULT_FIELDS = ["uuid", "address", "name"] as const;

/** One portgroup as Ironic shows it (`fields` limits it; links always kept). */
export function portgroupView(row: PortgroupRow, v: View, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(PG_FIELDS, { ...row, _base: v.base }, v.minor, fields);
}

const SORT_COLUMNS: Record<string, string> = {
  id: "id", uuid: "uuid", name: "name", address: "address", created_at: "createdAt", updated_at: "updatedAt",
  mode: "mode", standalone_ports_supported: "standalonePortsSupported", node_uuid: "nodeId",
};
const UNSORTABLE = ["extra", "internal_info", "properties"];

export interface PortgroupScope {
  nodeId?: number;
  resource: string;
  detailPath?: boolean;
  filters?: boolean;
}

/** Lists portgroups for a scope (top level, or /nodes/{n}/portgroups). */
export async function listPortgroups(ctx: ApiContext, scope: PortgroupScope): Promise<Response> {
  const project = portgroupListProject(ctx.principal);
  const p = parseResourceList(ctx, {
    sortColumns: SORT_COLUMNS, unsortable: UNSORTABLE, fieldVersions: PORTGROUP_FIELD_VERSIONS, detailPath: scope.detailPath,
  });
  const filter: { nodeId?: number; address?: string; project: string | null } = { nodeId: scope.nodeId, project };
  if (scope.filters) {
    const q = ctx.url.searchParams;
    const nodeIdent = q.get("node");
    if (nodeIdent !== null) {
      const node = await portgroupNode(nodeIdent, true);
      if (!node) throw new NodeNotFound(nodeIdent);
      filter.nodeId = node.id;
    }
    const address = q.get("address");
    if (address !== null) {
      let mac: string;
      try {
        mac = normalizeMac(address);
      } catch {
        throw new Invalid(`Expected valid MAC address for address: ${address}`);
      }
      filter.address = mac;
    }
  }
  let marker: PortgroupRow | undefined;
  if (p.marker !== null) {
    const m = validateUuid(p.marker, "marker");
    marker = await portgroupWithUuid(m);
    if (!marker) throw new NotFound(`Portgroup ${p.marker} could not be found.`);
  }
  const rows = await listPortgroupPage(filter, { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit }, marker);
  const fields = p.detail ? null : (p.fields ?? [...PORTGROUP_DEFAULT_FIELDS]);
  const body: Record<string, unknown> = { portgroups: rows.map((r) => portgroupView(r, ctx, fields)) };
  const next = resourceNext(ctx, scope.detailPath ? `${scope.resource}/detail` : scope.resource, rows.length, p, rows.at(-1)?.uuid, PORTGROUP_DEFAULT_FIELDS);
  if (next) body.next = next;
  return json(ctx, body);
}

// ---- validation ----

// Ironic's PORTGROUP_SCHEMA, also for PATCH (key order decides which error is reported).
const PORTGROUP_SCHEMA: Schema = {
  type: "object",
  properties: {
    address: { type: ["string", "null"] },
    extra: { type: ["object", "null"] },
    mode: { type: ["string", "null"] },
    name: { type: ["string", "null"] },
    node_uuid: { type: "string" },
    properties: { type: ["object", "null"] },
    standalone_ports_supported: { type: ["string", "boolean", "null"] },
    uuid: { type: ["string", "null"] },
  },
  required: ["node_uuid"],
  additionalProperties: false,
};
const GATES: Record<string, number> = { mode: 26, properties: 26 };

function checkName(name: unknown, verb: "create" | "update", ident?: string): string | null {
  if (name === null || name === undefined) return null;
  if (typeof name !== "string" || !isValidLogicalName(name, 82)) {
    throw new Invalid(
      verb === "create"
        ? `Cannot create portgroup with invalid name '${String(name)}'`
        : `Portgroup ${ident} can not be updated with invalid name '${String(name)}'`,
    );
  }
  return name;
}

function pgMac(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  try {
    return normalizeMac(value);
  } catch {
    throw new Invalid(`Expected valid MAC address for address: ${String(value)}`);
  }
}

function duplicate(err: unknown, name: string | null, address: string | null, uuid: string): Error {
  if (!isUniqueViolation(err)) return err as Error;
  if (uniqueViolationMentions(err, "name")) return new Conflict(`A portgroup with name ${name} already exists.`);
  if (uniqueViolationMentions(err, "address")) return new Conflict(`A portgroup with MAC address ${address} already exists.`);
  return new Conflict(`A portgroup with UUID ${uuid} already exists.`);
}

async function checkUnique(name: string | null, address: string | null, selfId: number | null): Promise<void> {
  if (name !== null) {
    if (await nameTaken(name, selfId)) throw new Conflict(`A portgroup with name ${name} already exists.`);
  }
  if (address !== null) {
    if (await addressTaken(address, selfId)) throw new Conflict(`A portgroup with MAC address ${address} already exists.`);
  }
}

// ---- handlers ----

async function createPortgroup(ctx: ApiContext): Promise<Response> {
  schemaCheck("portgroup", PORTGROUP_SCHEMA, ctx.body ?? {});
  const b = ctx.body as Record<string, unknown>;
  for (const [k, v] of Object.entries(GATES)) if (k in b && ctx.minor < v) throw new NotAcceptable("Request not acceptable.");
  const uuid = b.uuid !== undefined && b.uuid !== null ? validateUuid(b.uuid, "uuid") : randomUUID();
  const name = checkName(b.name, "create");
  const address = pgMac(b.address);
  const node = await nodeToAttachTo(ctx.principal, validateUuid(b.node_uuid, "node_uuid"), false, "baremetal:portgroup:create");
  const standalone = b.standalone_ports_supported === undefined || b.standalone_ports_supported === null
    ? true : bodyBool("standalone_ports_supported", b.standalone_ports_supported);
  const mode = (b.mode as string | null | undefined) ?? DEFAULT_PORTGROUP_MODE;
  await checkUnique(name, address, null);
  let row: PortgroupRow;
  try {
    row = await createPortgroupRow(uuid, {
      name, address, nodeId: node.id, extra: b.extra ?? {}, standalonePortsSupported: standalone, mode, properties: b.properties ?? {},
    });
  } catch (err) {
    throw duplicate(err, name, address, uuid);
  }
  return json(ctx, portgroupView(row, ctx), 201, { Location: `${ctx.base}/v1/portgroups/${uuid}` });
}

async function getPortgroup(ctx: ApiContext): Promise<Response> {
  const row = await visiblePortgroup(ctx.principal, ctx.params.portgroup);
  const fields = parseResourceFields(ctx, PORTGROUP_FIELD_VERSIONS);
  return json(ctx, portgroupView(row, ctx, fields));
}

const PATCHABLE = ["address", "extra", "mode", "name", "node_uuid", "properties", "standalone_ports_supported"];

async function patchPortgroup(ctx: ApiContext): Promise<Response> {
  const ident = ctx.params.portgroup;
  const row = await visiblePortgroup(ctx.principal, ident, "baremetal:portgroup:update");
  const current = portgroupView(row, { base: ctx.base, minor: 82 });
  delete current.links;
  delete current.ports;
  const { patched, ops } = patchDocument(ctx.body, current, PATCHABLE);
  for (const op of ops) {
    const root = op.path.slice(1).split("/")[0];
    if (root in GATES && ctx.minor < GATES[root]) throw new NotAcceptable("Request not acceptable.");
  }
  patchedSchemaCheck(PORTGROUP_SCHEMA, patched);
  const sets: PortgroupChanges = {};
  let name = row.name;
  if (changed(patched.name ?? null, current.name)) {
    name = checkName(patched.name, "update", ident);
    sets.name = name;
  }
  let address = row.address;
  if (changed(patched.address ?? null, current.address)) {
    address = pgMac(patched.address);
    sets.address = address;
  }
  await checkUnique(sets.name !== undefined ? name : null, sets.address !== undefined ? address : null, row.id);
  if (changed(patched.node_uuid, current.node_uuid)) {
    const node = await nodeToMoveTo(ctx.principal, validateUuid(patched.node_uuid, "node_uuid"), "baremetal:portgroup:update", "Portgroup", row.uuid);
    await requireNoPorts(row);
    sets.nodeId = node.id;
  }
  for (const [api, col] of [["extra", "extra"], ["properties", "properties"]] as const) {
    if (changed(patched[api], current[api])) {
      sets[col] = patched[api] ?? {};
    }
  }
  if (changed(patched.mode ?? null, current.mode)) {
    sets.mode = (patched.mode as string | null) ?? DEFAULT_PORTGROUP_MODE;
  }
  if (changed(patched.standalone_ports_supported, current.standalone_ports_supported)) {
    const s = patched.standalone_ports_supported === undefined || patched.standalone_ports_supported === null
      ? true : bodyBool("standalone_ports_supported", patched.standalone_ports_supported);
    sets.standalonePortsSupported = s;
  }
  let fresh: PortgroupRow;
  try {
    fresh = await changePortgroup(row.id, sets);
  } catch (err) {
    throw duplicate(err, name, address, row.uuid);
  }
  return json(ctx, portgroupView(fresh, ctx));
}

async function deletePortgroupHandler(ctx: ApiContext): Promise<Response> {
  await deletePortgroup(ctx.principal, ctx.params.portgroup);
  return empty(ctx, 204);
}

async function portgroupPorts(ctx: ApiContext, detail: boolean): Promise<Response> {
  const ident = ctx.params.portgroup;
  // Below 1.24 the sub-resource does not exist: Ironic answers as if the portgroup were unknown.
  if (ctx.minor < 24) throw new NotFound(`Portgroup ${ident} could not be found.`);
  const row = await visiblePortgroup(ctx.principal, ident);
  return listPorts(ctx, { portgroupId: row.id, resource: `portgroups/${ident}/ports`, detailPath: detail });
}

const V = { minVersion: 23 } as const;

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/portgroups", ...V, handler: (ctx) => listPortgroups(ctx, { resource: "portgroups", filters: true }) },
  { method: "GET", path: "/v1/portgroups/detail", ...V, handler: (ctx) => listPortgroups(ctx, { resource: "portgroups", filters: true, detailPath: true }) },
  { method: "POST", path: "/v1/portgroups", ...V, handler: createPortgroup },
  { method: "GET", path: "/v1/portgroups/:portgroup", ...V, handler: getPortgroup },
  { method: "PATCH", path: "/v1/portgroups/:portgroup", ...V, handler: patchPortgroup },
  { method: "DELETE", path: "/v1/portgroups/:portgroup", ...V, handler: deletePortgroupHandler },
  { method: "GET", path: "/v1/portgroups/:portgroup/ports", ...V, handler: (ctx) => portgroupPorts(ctx, false) },
  { method: "GET", path: "/v1/portgroups/:portgroup/ports/detail", ...V, handler: (ctx) => portgroupPorts(ctx, true) },
];
