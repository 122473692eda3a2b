// Ports (reference §2.7): /v1/ports CRUD, /v1/ports/detail, and the list used by
// /v1/portgroups/{p}/ports and /v1/nodes/{n}/ports. Fields up to API 1.96: name (1.88, also a
// lookup key), OVN VTEP local_link_connection keys (1.90), create with node_ident (1.94).
import { randomUUID } from "node:crypto";
import type { NodeRecord } from "../../core/db/nodes.ts";
import type { PortChanges, PortFilter } from "../../core/db/ports.ts";
import { parseJson, toBool, toDate } from "../../core/db/values.ts";
import { Conflict, Invalid, NodeNotFound, NotAcceptable, NotFound } from "../../core/errors.ts";
import type { Principal } from "../../core/policy.ts";
import {
  addressTaken, changePort, createPortRow, deletePort, listPortPage, nodeNamed, portgroupNamed, portListProject, portNamed,
  nodeToMoveTo, portNameOwner, visiblePort, type PortgroupLite, type PortRow,
} from "../../core/services/ports.ts";
import { nodeToAttachTo } from "../../core/services/access.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import type { ApiPort } from "../../shared/wire.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isUuidLike, isValidLogicalName, normalizeMac, validateUuid } from "../validators.ts";
import {
  bodyBool, changed, isUniqueViolation, parseResourceFields, parseResourceList,
  patchDocument, patchedSchemaCheck, renderFields, resourceNext, schemaCheck, uniqueViolationMentions, type FieldDef,
} from "./resource_common.ts";

export type { PortRow };

type View = { base: string; minor: number };

// Field order as real Ironic 21.4 emits a port.
const PORT_FIELDS: FieldDef<PortRow & { _base: string }, ApiPort>[] = [
  ["uuid", 1, (r) => r.uuid],
  ["created_at", 1, (r) => ts(toDate(r.createdAt))],
  ["updated_at", 1, (r) => ts(toDate(r.updatedAt))],
  ["address", 1, (r) => r.address],
  ["extra", 1, (r) => parseJson(r.extra, {})],
  ["internal_info", 18, (r) => parseJson(r.internalInfo, {})],
  ["is_smartnic", 53, (r) => toBool(r.isSmartnic)],
  ["local_link_connection", 19, (r) => parseJson(r.localLinkConnection, {})],
  ["name", 88, (r) => r.name ?? null],
  ["physical_network", 34, (r) => r.physicalNetwork ?? null],
  ["pxe_enabled", 19, (r) => toBool(r.pxeEnabled)],
  ["node_uuid", 1, (r) => r.nodeUuid],
  ["links", 1, (r) => links(r._base, `ports/${r.uuid}`)],
  ["portgroup_uuid", 24, (r) => r.portgroupUuid ?? null],
];

export const PORT_FIELD_VERSIONS: Record<string, number> = Object.fromEntries(
  PORT_FIELDS.map(([n, v]) => [n, v]),
);
export const PORT_DEFAULT_FIELDS = ["uuid", "address"] as const;

/** One port as Ironic shows it at `v.minor`; `fields` limits it (links always kept). */
export function portView(row: PortRow, v: View, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(PORT_FIELDS, { ...row, _base: v.base }, v.minor, fields);
}

/** Whether the path's port ident is a name (names address ports from 1.88 on). */
function portByName(ident: string, minor: number): boolean {
  if (isUuidLike(ident)) return false;
  if (minor < 88) throw new Invalid(`Expected UUID for port_uuid: ${ident}`);
  return true;
}

const SORT_COLUMNS: Record<string, string> = {
  id: "id", uuid: "uuid", address: "address", created_at: "createdAt", updated_at: "updatedAt",
  pxe_enabled: "pxeEnabled", physical_network: "physicalNetwork", is_smartnic: "isSmartnic",
  node_uuid: "nodeId", name: "name",
};
const UNSORTABLE = ["extra", "internal_info", "local_link_connection"];

export interface PortScope {
  /** Restrict to a node (sub-collection /nodes/{n}/ports). */
  nodeId?: number;
  /** Restrict to a portgroup (/portgroups/{p}/ports). */
  portgroupId?: number;
  /** Path used in next links, e.g. "ports" or "portgroups/<uuid>/ports". */
  resource: string;
  /** The /detail variant of the path. */
  detailPath?: boolean;
  /** Accept the top-level filters (node, node_uuid, address, portgroup, shard). */
  filters?: boolean;
}

/** Lists ports for a scope with Ironic's paging, fields, detail and visibility rules. */
export async function listPorts(ctx: ApiContext, scope: PortScope): Promise<Response> {
  const project = portListProject(ctx.principal);
  const p = parseResourceList(ctx, {
    sortColumns: SORT_COLUMNS, unsortable: UNSORTABLE, fieldVersions: PORT_FIELD_VERSIONS, detailPath: scope.detailPath,
  });
  const filter: PortFilter = { nodeId: scope.nodeId, portgroupId: scope.portgroupId, project };
  if (scope.filters) {
    const q = ctx.url.searchParams;
    const nodeUuid = q.get("node_uuid");
    const nodeIdent = q.get("node");
    if (nodeUuid !== null) {
      const uuid = validateUuid(nodeUuid, "node_uuid");
      const node = await nodeNamed(uuid, false);
      if (!node) throw new NodeNotFound(nodeUuid);
      filter.nodeId = node.id;
    } else if (nodeIdent !== null) {
      const node = await nodeNamed(nodeIdent, true);
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
    const pg = q.get("portgroup");
    if (pg !== null) {
      const row = await portgroupNamed(pg);
      if (!row) throw new NotFound(`Portgroup ${pg} could not be found.`);
      filter.portgroupId = row.id;
    }
    const shard = q.get("shard");
    if (shard !== null) {
      if (ctx.minor < 82) throw new NotAcceptable("Request not acceptable. The minimal required API version should be 1.82");
      const shards = shard.split(",").map((s) => s.trim()).filter(Boolean);
      if (shards.length) filter.shards = shards;
    }
  }
  let marker: PortRow | undefined;
  if (p.marker !== null) {
    const m = validateUuid(p.marker, "marker");
    marker = await portNamed(m, false);
    if (!marker) throw new NotFound(`Port ${p.marker} could not be found.`);
  }
  const rows = await listPortPage(filter, { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit }, marker);
  const fields = p.detail ? null : (p.fields ?? [...PORT_DEFAULT_FIELDS]);
  const v = { base: ctx.base, minor: ctx.minor };
  const body: Record<string, unknown> = { ports: rows.map((r) => portView(r, v, fields)) };
  const next = resourceNext(ctx, scope.detailPath ? `${scope.resource}/detail` : scope.resource, rows.length, p, rows.at(-1)?.uuid, PORT_DEFAULT_FIELDS);
  if (next) body.next = next;
  return json(ctx, body);
}

// ---- validation ----

const DATAPATH_ID = /^(0x)?[0-9a-f]{16}$/i;
const LLC_KEYS = ["switch_id", "port_id", "switch_info", "hostname", "network_type", "vtep-logical-switch", "vtep-physical-switch"];
/** OVN VTEP switch keys (1.90): both together, with port_id. */
const VTEP_KEYS = ["vtep-logical-switch", "vtep-physical-switch"];

function llcError(value: unknown, reason: string): Invalid {
  return new Invalid(
    `Schema error for local_link_connection: ${pyRepr(value)} is not valid under any of the given schemas. Possible root cause: ${reason}`,
  );
}

/**
 * local_link_connection: {} | {switch_id, port_id, switch_info?} | {port_id, hostname} |
 * network_type (1.64) | {vtep-logical-switch, vtep-physical-switch, port_id} (1.90).
 */
export function validateLocalLinkConnection(value: unknown, minor: number): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw new Invalid(`Schema error for port: ${pyRepr(value)} is not of type 'null', 'object'`);
  const llc = value as Record<string, unknown>;
  const keys = Object.keys(llc);
  if (keys.length === 0) return {};
  const extra = keys.filter((k) => !LLC_KEYS.includes(k));
  if (extra.length) throw llcError(value, `Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(", ")} was unexpected)`);
  for (const k of keys) {
    if (typeof llc[k] !== "string") throw llcError(value, `${JSON.stringify(llc[k])} is not of type 'string'`);
  }
  const vtep = VTEP_KEYS.filter((k) => k in llc);
  if (vtep.length) {
    if (minor < 90) throw new NotAcceptable("Request not acceptable. The minimal required API version should be 1.90");
    for (const k of [...VTEP_KEYS, "port_id"]) if (!(k in llc)) throw llcError(value, `'${k}' is a required property`);
    const other = keys.filter((k) => ![...VTEP_KEYS, "port_id", "switch_info", "network_type"].includes(k));
    if (other.length) throw llcError(value, `Additional properties are not allowed (${other.map((k) => `'${k}'`).join(", ")} was unexpected)`);
    if ("network_type" in llc && !["managed", "unmanaged"].includes(llc.network_type as string)) {
      throw llcError(value, `'${String(llc.network_type)}' is not one of ['managed', 'unmanaged']`);
    }
    return { ...llc };
  }
  if ("network_type" in llc) {
    if (minor < 64) throw new NotAcceptable("Request not acceptable.");
    if (!["managed", "unmanaged"].includes(llc.network_type as string)) {
      throw llcError(value, `'${String(llc.network_type)}' is not one of ['managed', 'unmanaged']`);
    }
    if (llc.network_type === "unmanaged") return { ...llc };
  }
  if (!("port_id" in llc)) throw llcError(value, "'port_id' is a required property");
  if ("hostname" in llc && !("switch_id" in llc)) return { ...llc };
  if (!("switch_id" in llc)) throw llcError(value, "'switch_id' is a required property");
  const sw = llc.switch_id as string;
  let okSwitch = DATAPATH_ID.test(sw);
  if (!okSwitch) {
    try {
      normalizeMac(sw);
      okSwitch = true;
    } catch {
      okSwitch = false;
    }
  }
  if (!okSwitch) {
    throw new Invalid(`Expected a MAC address or OpenFlow datapath ID but received ${sw}.`);
  }
  return { ...llc };
}

function portMac(value: unknown): string {
  if (typeof value !== "string") throw new Invalid(`Schema error for port: ${pyRepr(value)} is not of type 'string'`);
  try {
    return normalizeMac(value);
  } catch {
    throw new Invalid(`Expected valid MAC address for address: ${value}`);
  }
}

// Ironic's PORT_SCHEMA with the fields Ingot supports, in Ironic's key order (it decides which
// error is reported). Ironic 21.4 requires node_uuid; from 1.94 node_ident may replace it.
const PORT_SCHEMA: Schema = {
  type: "object",
  properties: {
    address: { type: "string" },
    extra: { type: ["object", "null"] },
    is_smartnic: { type: ["string", "boolean", "null"] },
    local_link_connection: { type: ["null", "object"] },
    node_ident: { type: "string" },
    node_uuid: { type: "string" },
    physical_network: { type: ["string", "null"], maxLength: 64 },
    portgroup_uuid: { type: ["string", "null"] },
    pxe_enabled: { type: ["string", "boolean", "null"] },
    uuid: { type: ["string", "null"] },
    name: { type: ["string", "null"] },
  },
  required: ["address", "node_uuid"],
  additionalProperties: false,
};
const PORT_SCHEMA_NODE_IDENT: Schema = { ...PORT_SCHEMA, required: ["address"] };

/** Body fields and the version they appear at (newer → 406). */
const CREATE_GATES: Record<string, number> = {
  pxe_enabled: 19, local_link_connection: 19, portgroup_uuid: 24, physical_network: 34, is_smartnic: 53, name: 88, node_ident: 94,
};

/** A port name (1.88): a logical name (RFC 3986 unreserved characters, not UUID-like). */
function portName(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") throw new Invalid(`Schema error for port: ${pyRepr(value)} is not of type 'string', 'null'`);
  if (!isValidLogicalName(value, 96)) throw new Invalid(`Cannot use invalid port name '${value}'`);
  return value;
}

async function checkPortNameFree(name: string, exceptId?: number): Promise<void> {
  const other = await portNameOwner(name);
  if (other !== null && other !== exceptId) throw new Conflict(`A port with name ${name} already exists.`);
}

/** The node a body names by node_uuid (or node_ident, 1.94, when `byName`), if the caller passes `rule` on it. */
async function bodyNode(value: unknown, principal: Principal, rule: string, byName = false): Promise<NodeRecord> {
  let ident: string;
  if (byName) {
    if (typeof value !== "string" || value === "") throw new Invalid(`Expected a UUID or name for node_ident: ${JSON.stringify(value)}`);
    ident = value;
  } else ident = validateUuid(value, "node_uuid");
  return nodeToAttachTo(principal, ident, byName, rule);
}

async function portgroupForPort(value: unknown, nodeId: number): Promise<PortgroupLite> {
  const uuid = validateUuid(value, "portgroup_uuid");
  const pg = await portgroupNamed(uuid);
  if (!pg) throw new Invalid(`Portgroup ${uuid} could not be found.`);
  if (Number(pg.nodeId) !== Number(nodeId)) {
    throw new Invalid("Port can not be added to a portgroup belonging to a different node.");
  }
  return pg;
}

function duplicateError(err: unknown, address: string, uuid: string, name: string | null = null): Error {
  if (isUniqueViolation(err)) {
    if (uniqueViolationMentions(err, "uuid")) return new Conflict(`A port with UUID ${uuid} already exists.`);
    if (name !== null && uniqueViolationMentions(err, "name")) return new Conflict(`A port with name ${name} already exists.`);
    return new Conflict(`A port with MAC address ${address} already exists.`);
  }
  return err as Error;
}

// ---- handlers ----

async function createPort(ctx: ApiContext): Promise<Response> {
  const body = ctx.body;
  // node_ident below 1.94 is then refused as too new (406), as newer Ironic does.
  const byIdent = ctx.minor >= 94 || (body !== null && typeof body === "object" && Object.hasOwn(body, "node_ident"));
  schemaCheck("port", byIdent ? PORT_SCHEMA_NODE_IDENT : PORT_SCHEMA, body ?? {});
  const b = body as Record<string, unknown>;
  for (const [k, v] of Object.entries(CREATE_GATES)) if (k in b && ctx.minor < v) throw new NotAcceptable("Request not acceptable.");
  const uuid = b.uuid !== undefined && b.uuid !== null ? validateUuid(b.uuid, "uuid") : randomUUID();
  const address = portMac(b.address);
  const hasUuid = b.node_uuid !== undefined;
  const hasIdent = b.node_ident !== undefined;
  if (hasUuid && hasIdent) throw new Invalid("Schema error for port: only one of 'node_uuid' and 'node_ident' may be given.");
  if (!hasUuid && !hasIdent) {
    throw new Invalid(ctx.minor >= 94 ? "Schema error for port: one of 'node_uuid' and 'node_ident' is required." : "Schema error for port: 'node_uuid' is a required property");
  }
  const node = hasIdent
    ? await bodyNode(b.node_ident, ctx.principal, "baremetal:port:create", true)
    : await bodyNode(b.node_uuid, ctx.principal, "baremetal:port:create");
  const name = portName(b.name);
  if (name !== null) await checkPortNameFree(name);
  const pxeEnabled = b.pxe_enabled === undefined || b.pxe_enabled === null ? true : bodyBool("pxe_enabled", b.pxe_enabled);
  const isSmartnic = b.is_smartnic === undefined || b.is_smartnic === null ? false : bodyBool("is_smartnic", b.is_smartnic);
  const llc = validateLocalLinkConnection(b.local_link_connection, ctx.minor);
  const extra = (b.extra as Record<string, unknown> | null) ?? {};
  let portgroupId: number | null = null;
  if (b.portgroup_uuid !== undefined && b.portgroup_uuid !== null) {
    portgroupId = (await portgroupForPort(b.portgroup_uuid, node.id)).id;
  }
  if (await addressTaken(address)) throw new Conflict(`A port with MAC address ${address} already exists.`);
  let row: PortRow;
  try {
    row = await createPortRow({
      uuid, address, nodeId: node.id, portgroupId, extra, pxeEnabled, localLinkConnection: llc,
      physicalNetwork: (b.physical_network as string | null) ?? null, isSmartnic, name,
    });
  } catch (err) {
    throw duplicateError(err, address, uuid, name);
  }
  return json(ctx, portView(row, ctx), 201, { Location: `${ctx.base}/v1/ports/${uuid}` });
}

async function getPort(ctx: ApiContext): Promise<Response> {
  const ident = ctx.params.port;
  const row = await visiblePort(ctx.principal, ident, portByName(ident, ctx.minor));
  const fields = parseResourceFields(ctx, PORT_FIELD_VERSIONS);
  return json(ctx, portView(row, ctx, fields));
}

const PATCHABLE = ["address", "extra", "is_smartnic", "local_link_connection", "name", "node_uuid", "physical_network", "portgroup_uuid", "pxe_enabled"];

async function patchPort(ctx: ApiContext): Promise<Response> {
  const ident = ctx.params.port;
  const row = await visiblePort(ctx.principal, ident, portByName(ident, ctx.minor), "baremetal:port:update");
  const current = portView(row, { base: ctx.base, minor: 88 });
  delete current.links;
  const { patched, ops } = patchDocument(ctx.body, current, PATCHABLE);
  for (const op of ops) {
    const root = op.path.slice(1).split("/")[0];
    if (root in CREATE_GATES && ctx.minor < CREATE_GATES[root]) throw new NotAcceptable("Request not acceptable.");
  }
  patchedSchemaCheck(PORT_SCHEMA, patched);
  const sets: PortChanges = {};
  let address = row.address;
  if (changed(patched.address, current.address)) {
    address = portMac(patched.address);
    if (address !== row.address) {
      if (await addressTaken(address, row.id)) throw new Conflict(`A port with MAC address ${address} already exists.`);
      sets.address = address;
    }
  }
  let nodeId = Number(row.nodeId);
  if (changed(patched.node_uuid, current.node_uuid)) {
    const node = await nodeToMoveTo(ctx.principal, validateUuid(patched.node_uuid, "node_uuid"), "baremetal:port:update", "Port", row.uuid);
    nodeId = node.id;
    sets.nodeId = node.id;
  }
  const extra = (patched.extra ?? {}) as Record<string, unknown>;
  if (changed(patched.extra, current.extra)) sets.extra = extra;
  const pxeEnabled = patched.pxe_enabled === undefined || patched.pxe_enabled === null ? true : bodyBool("pxe_enabled", patched.pxe_enabled);
  if (pxeEnabled !== toBool(row.pxeEnabled)) sets.pxeEnabled = pxeEnabled;
  const smart = patched.is_smartnic === undefined || patched.is_smartnic === null ? false : bodyBool("is_smartnic", patched.is_smartnic);
  if (smart !== toBool(row.isSmartnic)) sets.isSmartnic = smart;
  if (changed(patched.local_link_connection, current.local_link_connection)) {
    sets.localLinkConnection = validateLocalLinkConnection(patched.local_link_connection, ctx.minor);
  }
  if (changed(patched.physical_network, current.physical_network)) {
    sets.physicalNetwork = (patched.physical_network as string | null) ?? null;
  }
  const pgValue = patched.portgroup_uuid ?? null;
  if (changed(pgValue, current.portgroup_uuid) || (sets.nodeId !== undefined && pgValue !== null)) {
    if (pgValue === null) sets.portgroupId = null;
    else {
      sets.portgroupId = (await portgroupForPort(pgValue, nodeId)).id;
    }
  }
  let newName: string | null = row.name ?? null;
  if (changed(patched.name ?? null, current.name)) {
    newName = portName(patched.name ?? null);
    if (newName !== null) await checkPortNameFree(newName, row.id);
    sets.name = newName;
  }
  let fresh: PortRow;
  try {
    fresh = await changePort(row.id, sets);
  } catch (err) {
    throw duplicateError(err, address, row.uuid, newName);
  }
  return json(ctx, portView(fresh, ctx));
}

async function deletePortHandler(ctx: ApiContext): Promise<Response> {
  const ident = ctx.params.port;
  await deletePort(ctx.principal, ident, portByName(ident, ctx.minor));
  return empty(ctx, 204);
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/ports", handler: (ctx) => listPorts(ctx, { resource: "ports", filters: true }) },
  { method: "GET", path: "/v1/ports/detail", handler: (ctx) => listPorts(ctx, { resource: "ports", filters: true, detailPath: true }) },
  { method: "POST", path: "/v1/ports", handler: createPort },
  { method: "GET", path: "/v1/ports/:port", handler: getPort },
  { method: "PATCH", path: "/v1/ports/:port", handler: patchPort },
  { method: "DELETE", path: "/v1/ports/:port", handler: deletePortHandler },
];
