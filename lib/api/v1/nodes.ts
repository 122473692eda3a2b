// /v1/nodes: list (+detail), create, show, JSON-Patch update, delete (reference §2.3–2.6, §7).
import { conductorApi as routedConductorApi } from "../../core/conductor/rpc.ts";
import type { ConductorApi, Actor } from "../../core/conductor/types.ts";
import { SORTABLE_NODE_COLUMNS, type NodeFilter, type NodeRecord } from "../../core/db/nodes.ts";
import { hardwareTypeNames } from "../../core/drivers/registry.ts";
import { Invalid, NotAcceptable, NotFound } from "../../core/errors.ts";
import { createNode, deleteNode, listNodesFor, nodeListMarker, patchNode, type NodeListQuery } from "../../core/services/nodes.ts";
import { FAULTS, isProvisionState } from "../../core/states.ts";
import { parseLimit, parseSortDir, parseSortKey } from "../collection.ts";
import { type ApiContext, empty, json, jsonParts } from "../http.ts";
import { pyRepr, validatePatch } from "../jsonpatch.ts";
import { DEFAULT_LIST_FIELDS, NODE_FIELD_VERSIONS, nodeEtag, parseNodeFields, renderNode, renderNodePageJson } from "../node_view.ts";
import type { NodeContext, RouteDef } from "../router.ts";
import { isUuidLike } from "../validators.ts";

// ---------------------------------------------------------------------------------------------
// Conductor access: each call routed to the node's conductor (lib/core/conductor/rpc.ts: in this
// process or over RPC), or a conductor injected by tests.

let conductorOverride: ConductorApi | null = null;

/** Tests may inject a conductor; otherwise the routing conductorApi() of lib/core/conductor/rpc.ts. */
export function setConductorForApi(c: ConductorApi | null): void {
  conductorOverride = c;
}

export async function conductorApi(): Promise<ConductorApi> {
  return conductorOverride ?? routedConductorApi();
}

export function actorOf(ctx: ApiContext): Actor {
  return { user: ctx.principal.userId ?? ctx.principal.username, project: ctx.principal.projectId, requestId: ctx.requestId };
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the node modules.

const BOOL_WORDS = "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'";

/** Ironic's query boolean: strict set of words, error "Invalid <name>: Unrecognized value ...". */
export function queryBool(name: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["1", "t", "true", "on", "y", "yes"].includes(v)) return true;
  if (["0", "f", "false", "off", "n", "no"].includes(v)) return false;
  throw new Invalid(`Invalid ${name}: Unrecognized value '${raw}', acceptable values are: ${BOOL_WORDS}`);
}

/** 406 with Ironic's "minimal required API version" wording. */
export function tooNew(minVersion: number): NotAcceptable {
  return new NotAcceptable(`Request not acceptable. The minimal required API version should be 1.${minVersion}`);
}

export function unexpectedArgs(ctx: ApiContext, allowed: readonly string[]): void {
  const bad = [...new Set([...ctx.url.searchParams.keys()])].filter((k) => !allowed.includes(k));
  if (bad.length) throw new Invalid(`Unexpected arguments: ${bad.join(", ")}`);
}

export function etagHeaders(node: NodeRecord): Record<string, string> {
  return { ETag: nodeEtag(node) };
}

// ---------------------------------------------------------------------------------------------
// Listing

const LIST_FILTERS: [string, number][] = [
  ["instance_uuid", 1], ["associated", 1], ["maintenance", 1], ["chassis_uuid", 1], ["provision_state", 9],
  ["driver", 16], ["resource_class", 21], ["fault", 42], ["conductor_group", 46], ["conductor", 49],
  ["owner", 50], ["lessee", 65], ["project", 1], ["description_contains", 1], ["retired", 1],
  ["shard", 82], ["sharded", 82], ["parent_node", 83], ["include_children", 83], ["instance_name", 104],
];
const PAGING = ["limit", "marker", "sort_key", "sort_dir"];

/** JSON columns: Ironic refuses to sort on them (without quoting the key). */
const UNSORTABLE = [
  "properties", "driver_info", "extra", "instance_info", "driver_internal_info", "clean_step", "deploy_step",
  "service_step", "raid_config", "target_raid_config", "traits", "network_data",
];
const SORT_KEYS: Record<string, string> = (() => {
  const out: Record<string, string> = { ...SORTABLE_NODE_COLUMNS };
  delete out.chassis_uuid; // Ironic sorts on DB columns: chassis_id, not chassis_uuid
  return out;
})();

/** sort_key / sort_dir of a node list (also a chassis' nodes). */
export function parseNodeSort(q: URLSearchParams, minor: number): { sortKey: string; sortDir: "asc" | "desc" } {
  const sortDir = parseSortDir(q.get("sort_dir"));
  const { sortKey } = parseSortKey(q.get("sort_key"), SORT_KEYS, UNSORTABLE, (k) => (NODE_FIELD_VERSIONS[k] ?? 1) <= minor);
  return { sortKey, sortDir };
}

function pyBool(b: boolean): string {
  return b ? "True" : "False";
}

const OPEN_NODES = Buffer.from(`{"nodes":[`);
const COMMA = Buffer.from(",");

async function listHandler(ctx: ApiContext, detailPath: boolean): Promise<Response> {
  const q = ctx.url.searchParams;
  const minor = ctx.minor;
  const allowed = [...LIST_FILTERS.map(([k]) => k), ...PAGING, ...(detailPath ? [] : ["fields", "detail"])];
  unexpectedArgs(ctx, allowed);
  for (const [k, v] of LIST_FILTERS) {
    if (q.has(k) && minor < v) {
      // provision_state (1.9) answers the bare message in Ironic.
      throw k === "provision_state" ? new NotAcceptable("Request not acceptable.") : tooNew(v);
    }
  }

  // detail / fields
  let detail = detailPath;
  const detailRaw = q.get("detail");
  if (detailRaw !== null) {
    if (minor < 43) throw new Invalid(`Invalid query parameter ?detail=${detailRaw} received.`);
    detail = queryBool("detail", detailRaw);
  }
  let fields = parseNodeFields(q.get("fields"), minor);
  if (fields && detail) throw new Invalid("Can not specify ?detail=True and fields in the same request.");
  const explicitFields = fields !== null;
  if (!fields && !detail) fields = DEFAULT_LIST_FIELDS;

  // paging
  const limit = parseLimit(q.get("limit"));
  const { sortKey, sortDir } = parseNodeSort(q, minor);
  let marker: NodeRecord | undefined;
  const markerRaw = q.get("marker");
  if (markerRaw !== null) {
    if (!isUuidLike(markerRaw)) throw new Invalid(`Expected UUID for marker: ${markerRaw}`);
    marker = await nodeListMarker(markerRaw);
  }

  // filters
  const filter: NodeFilter = {};
  const query: NodeListQuery = { filter, sortKey, sortDir, limit, marker };
  const str = (k: string) => q.get(k) ?? undefined;
  const instanceUuid = str("instance_uuid");
  if (instanceUuid !== undefined) {
    if (!isUuidLike(instanceUuid)) throw new Invalid(`Expected UUID for instance_uuid: ${instanceUuid}`);
    filter.instanceUuid = instanceUuid.toLowerCase();
  }
  let associated: boolean | undefined;
  let maintenance: boolean | undefined;
  let retired: boolean | undefined;
  if (q.has("associated")) filter.associated = associated = queryBool("associated", q.get("associated")!);
  if (q.has("maintenance")) filter.maintenance = maintenance = queryBool("maintenance", q.get("maintenance")!);
  if (q.has("retired")) filter.retired = retired = queryBool("retired", q.get("retired")!);
  const chassisUuid = str("chassis_uuid");
  if (chassisUuid !== undefined) {
    if (!isUuidLike(chassisUuid)) throw new Invalid(`Expected UUID for chassis_uuid: ${chassisUuid}`);
    query.chassisUuid = chassisUuid;
  }
  const ps = str("provision_state");
  if (ps !== undefined) {
    if (!isProvisionState(ps)) throw new Invalid(`Provision state "${ps}" is not valid`);
    filter.provisionState = [ps];
  }
  if (q.has("driver")) filter.driver = str("driver");
  if (q.has("resource_class")) filter.resourceClass = str("resource_class");
  const fault = str("fault");
  if (fault !== undefined) {
    if (!(FAULTS as readonly string[]).includes(fault)) {
      throw new Invalid(`Unrecognized fault "${fault}" is specified, allowed faults are ${pyRepr(FAULTS).replace(/^\[/, "(").replace(/\]$/, ")")}`);
    }
    filter.fault = fault;
  }
  if (q.has("conductor_group")) filter.conductorGroup = str("conductor_group")!.toLowerCase();
  if (q.has("owner")) filter.owner = str("owner");
  if (q.has("lessee")) filter.lessee = str("lessee");
  if (q.has("description_contains")) filter.descriptionContains = str("description_contains");
  if (q.has("shard")) filter.shard = str("shard")!.split(",").map((s) => s.trim()).filter(Boolean);
  if (q.has("sharded")) filter.sharded = queryBool("sharded", q.get("sharded")!);
  if (q.has("parent_node")) query.parentNode = str("parent_node")!;
  if (q.has("include_children")) filter.includeChildren = queryBool("include_children", q.get("include_children")!);
  if (q.has("instance_name")) filter.instanceName = str("instance_name");
  query.project = str("project");
  query.conductor = str("conductor");

  const who = ctx.principal;
  const nodes = await listNodesFor(who, query);

  const items = await renderNodePageJson(nodes, { base: ctx.base, minor, principal: who, fields: detail ? null : fields });
  let next = "";
  if (nodes.length > 0 && nodes.length >= limit && instanceUuid === undefined) {
    const p = new URLSearchParams();
    p.set("sort_key", sortKey);
    p.set("sort_dir", sortDir);
    if (associated) p.set("associated", pyBool(associated));
    if (maintenance) p.set("maintenance", pyBool(maintenance));
    if (retired) p.set("retired", pyBool(retired));
    if (!detailPath && detailRaw !== null) p.set("detail", pyBool(detail));
    if (!detail && fields) p.set("fields", (explicitFields ? q.get("fields")!.split(",").map((f) => f.trim()).filter(Boolean) : fields).join(","));
    p.set("limit", String(limit));
    p.set("marker", nodes[nodes.length - 1].uuid);
    next = `,"next":${JSON.stringify(`${ctx.base}/v1/nodes${detailPath ? "/detail" : ""}?${p.toString().replace(/%2C/g, ",")}`)}`;
  }
  const parts: Buffer[] = [OPEN_NODES];
  for (let i = 0; i < items.length; i++) {
    if (i) parts.push(COMMA);
    parts.push(items[i]);
  }
  parts.push(Buffer.from(`]${next}}`));
  return jsonParts(ctx, parts);
}

// ---------------------------------------------------------------------------------------------
// POST /v1/nodes

async function createHandler(ctx: ApiContext): Promise<Response> {
  const body = ctx.body;
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new Invalid(`Schema error for node: ${pyRepr(body ?? null)} is not of type 'object'`);
  }
  const node = await createNode(ctx.principal, body as Record<string, unknown>, ctx.minor);
  const view = await renderNode(node, { base: ctx.base, minor: ctx.minor, principal: ctx.principal });
  return json(ctx, view, 201, { Location: `${ctx.base}/v1/nodes/${node.uuid}`, ...etagHeaders(node) });
}

// ---------------------------------------------------------------------------------------------
// GET /v1/nodes/{ident}

async function showHandler(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, ["fields"]);
  const fields = parseNodeFields(ctx.url.searchParams.get("fields"), ctx.minor);
  const view = await renderNode(ctx.node, { base: ctx.base, minor: ctx.minor, principal: ctx.principal, fields });
  return json(ctx, view, 200, etagHeaders(ctx.node));
}

// ---------------------------------------------------------------------------------------------
// PATCH /v1/nodes/{ident}

async function patchHandler(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, ["reset_interfaces"]);
  const ops = validatePatch(ctx.body, { escapes: ctx.minor >= 98 });
  let resetInterfaces: boolean | null = null;
  const rawReset = ctx.url.searchParams.get("reset_interfaces");
  if (rawReset !== null) {
    if (ctx.minor < 45) throw new NotAcceptable("Request not acceptable.");
    resetInterfaces = queryBool("reset_interfaces", rawReset);
  }
  const updated = await patchNode(ctx.principal, ctx.params.node, ops, {
    minor: ctx.minor, ifMatch: ctx.request.headers.get("if-match"), resetInterfaces, node: ctx.node,
  });
  const view = await renderNode(updated, { base: ctx.base, minor: ctx.minor, principal: ctx.principal });
  return json(ctx, view, 200, etagHeaders(updated));
}

// ---------------------------------------------------------------------------------------------
// DELETE /v1/nodes/{ident}

async function deleteHandler(ctx: NodeContext): Promise<Response> {
  await deleteNode(ctx.principal, ctx.node, ctx.requestId);
  return empty(ctx, 204);
}

/** A catch for /v1/nodes/{ident}/{unknown}: keeps 404 wording for sub-paths. */
export function unknownNodeSub(): never {
  throw new NotFound("The resource could not be found.");
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/nodes", policy: "baremetal:node:list", handler: (ctx) => listHandler(ctx, false) },
  { method: "GET", path: "/v1/nodes/detail", policy: "baremetal:node:list", handler: (ctx) => listHandler(ctx, true) },
  { method: "POST", path: "/v1/nodes", policy: "baremetal:node:create", handler: createHandler },
  { method: "GET", path: "/v1/nodes/:node", policy: "baremetal:node:get", handler: showHandler },
  { method: "PATCH", path: "/v1/nodes/:node", handler: patchHandler },
  { method: "DELETE", path: "/v1/nodes/:node", policy: "baremetal:node:delete", handler: deleteHandler },
];

export { hardwareTypeNames };
