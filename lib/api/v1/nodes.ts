// /v1/nodes: list (+detail), create, show, JSON-Patch update, delete (reference §2.3–2.6, §7).
import { publishNodeChange } from "../../core/events.ts";
import { conductorApi as routedConductorApi } from "../../core/conductor/rpc.ts";
import type { ConductorApi, Actor } from "../../core/conductor/types.ts";
import {
  findNode, getNodeById, INTERFACE_NAMES, insertNode, listNodeHeads, listNodes, SORTABLE_NODE_COLUMNS, updateNode, waitUnlocked,
  type InterfaceName, type NodeChanges, type NodeFilter, type NodeHead, type NodeRecord,
} from "../../core/db/nodes.ts";
import { sql } from "../../core/db/sql.ts";
import { checkInterfaceValue, getHardwareType, hardwareTypeNames, resolveInterfaces } from "../../core/drivers/registry.ts";
import {
  Conflict, Forbidden, Invalid, NodeLocked, NodeNotFound, NotAcceptable, NotFound, PreconditionFailed,
} from "../../core/errors.ts";
import { aliveConductors } from "../../core/hashring.ts";
import { KeyedQueue } from "../../core/keyed_queue.ts";
import { authorize, isSystemScoped, type Principal } from "../../core/policy.ts";
import {
  FAULTS, inStates, INTERFACE_UPDATE_ALLOWED_STATES, isProvisionState, ProvisionState as PS, UPDATE_ALLOWED_STATES,
} from "../../core/states.ts";
import { MAX_LIMIT, parseSortDir, parseSortKey } from "../collection.ts";
import { type ApiContext, empty, ifMatchPasses, json, jsonParts } from "../http.ts";
import { applyPatch, patchValues, pyRepr, rootOf, validatePatch, type PatchOperation } from "../jsonpatch.ts";
import {
  DEFAULT_LIST_FIELDS, NODE_FIELD_VERSIONS, nodeEtag, nodePatchView, parseNodeFields, renderNode,
  renderNodePageJson,
} from "../node_view.ts";
import type { NodeContext, RouteDef } from "../router.ts";
import { isUuidLike, RESERVED_NODE_NAMES, isValidLogicalName, validateConductorGroup } from "../validators.ts";

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

function parseLimit(raw: string | null): number {
  if (raw === null || raw === "") return MAX_LIMIT;
  if (!/^\s*-?\d+\s*$/.test(raw)) throw new Invalid(`Expected an integer for limit: ${raw}`);
  const n = Number(raw);
  if (n <= 0) throw new Invalid("Limit must be positive");
  return Math.min(n, MAX_LIMIT);
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
  const db = await sql();
  let marker: NodeRecord | undefined;
  const markerRaw = q.get("marker");
  if (markerRaw !== null) {
    if (!isUuidLike(markerRaw)) throw new Invalid(`Expected UUID for marker: ${markerRaw}`);
    const m = await findNode(db, markerRaw, false);
    if (!m) throw new NodeNotFound(markerRaw);
    marker = m;
  }

  // filters
  const filter: NodeFilter = {};
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
    const row = await db.get<{ id: number }>(`SELECT "id" FROM "Chassis" WHERE "uuid" = ?`, [chassisUuid.toLowerCase()]);
    filter.chassisId = row ? Number(row.id) : -1;
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
  if (q.has("parent_node")) {
    // A name is accepted too (the column holds the parent's UUID); an unknown parent matches nothing.
    const raw = str("parent_node")!;
    filter.parentNode = isUuidLike(raw) ? raw.toLowerCase() : ((await findNode(db, raw, true))?.uuid ?? raw);
  }
  if (q.has("include_children")) filter.includeChildren = queryBool("include_children", q.get("include_children")!);
  if (q.has("instance_name")) filter.instanceName = str("instance_name");
  let project = str("project");

  // Project-scoped callers see only nodes they own or lease.
  const who = ctx.principal;
  if (!authorize("baremetal:node:list_all", who)) {
    if (!authorize("baremetal:node:list", who) || !who.projectId) throw new Forbidden();
    if (project !== undefined && project !== who.projectId) throw new Forbidden();
    if (filter.owner !== undefined && filter.owner !== who.projectId) throw new Forbidden();
    project = who.projectId;
  }
  if (project !== undefined) filter.project = project;

  // The conductor filter is applied after the query (hash ring), so page in chunks.
  const conductorWanted = str("conductor");
  let nodes: NodeHead[];
  if (conductorWanted === undefined) {
    nodes = await listNodeHeads(db, { filter, sortKey, sortDir, limit, marker });
  } else {
    const { ringLookup, listConductors } = await import("../../core/hashring.ts");
    const lookup = ringLookup(await listConductors(db));
    const matching: NodeRecord[] = [];
    let after = marker;
    for (;;) {
      const chunk = await listNodes(db, { filter, sortKey, sortDir, limit: 500, marker: after, withoutTraits: true });
      for (const n of chunk) {
        if (lookup({ uuid: n.uuid, driver: n.driver, conductorGroup: n.conductorGroup }) === conductorWanted) matching.push(n);
        if (matching.length >= limit) break;
      }
      if (matching.length >= limit || chunk.length < 500) break;
      after = chunk[chunk.length - 1];
    }
    nodes = matching;
  }

  const items = await renderNodePageJson(db, nodes, { base: ctx.base, minor, principal: who, fields: detail ? null : fields });
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
// Create / update validation shared by POST and PATCH

type Kind = "dict" | "str" | "bool" | "nbool" | "uuid" | "iface";
interface FieldSpec {
  kind: Kind;
  max?: number;
  minor: number;
}

const IFACE_MINOR: Record<InterfaceName, number> = {
  bios: 40, boot: 31, console: 31, deploy: 31, firmware: 86, inspect: 31, management: 31, network: 20,
  power: 31, raid: 31, rescue: 38, storage: 33, vendor: 31,
};

const WRITABLE: Record<string, FieldSpec> = {
  automated_clean: { kind: "nbool", minor: 47 },
  chassis_uuid: { kind: "uuid", minor: 1 },
  conductor_group: { kind: "str", max: 255, minor: 46 },
  description: { kind: "str", max: 4096, minor: 51 },
  disable_power_off: { kind: "bool", minor: 95 },
  driver: { kind: "str", max: 255, minor: 1 },
  driver_info: { kind: "dict", minor: 1 },
  extra: { kind: "dict", minor: 1 },
  instance_info: { kind: "dict", minor: 1 },
  instance_uuid: { kind: "uuid", minor: 1 },
  lessee: { kind: "str", max: 255, minor: 65 },
  maintenance: { kind: "bool", minor: 1 },
  name: { kind: "str", max: 255, minor: 5 },
  network_data: { kind: "dict", minor: 66 },
  owner: { kind: "str", max: 255, minor: 50 },
  parent_node: { kind: "str", max: 255, minor: 83 },
  properties: { kind: "dict", minor: 1 },
  protected: { kind: "bool", minor: 48 },
  protected_reason: { kind: "str", max: 255, minor: 48 },
  resource_class: { kind: "str", max: 80, minor: 21 },
  retired: { kind: "bool", minor: 61 },
  retired_reason: { kind: "str", max: 255, minor: 61 },
  shard: { kind: "str", max: 255, minor: 82 },
  ...Object.fromEntries(INTERFACE_NAMES.map((k) => [`${k}_interface`, { kind: "iface" as Kind, max: 255, minor: IFACE_MINOR[k] }])),
};

/** What POST accepts (PATCH's set minus protected*, plus uuid, console_enabled, boot_mode, secure_boot). */
const CREATE_FIELDS: Record<string, FieldSpec> = (() => {
  const out: Record<string, FieldSpec> = { ...WRITABLE, uuid: { kind: "uuid", minor: 1 } };
  delete out.protected;
  delete out.protected_reason;
  out.console_enabled = { kind: "bool", minor: 1 };
  out.boot_mode = { kind: "str", max: 255, minor: 75 };
  out.secure_boot = { kind: "nbool", minor: 75 };
  return out;
})();

/**
 * Patchable root fields, in the order Ironic lists them in "Cannot patch": its sorted list with
 * the later additions (disable_power_off, 1.95) appended.
 */
const PATCHABLE = [...Object.keys(WRITABLE).filter((f) => f !== "disable_power_off").sort(), "disable_power_off"];

const API_TO_RECORD: Record<string, keyof NodeRecord> = {
  automated_clean: "automatedClean", conductor_group: "conductorGroup", description: "description", driver: "driver",
  driver_info: "driverInfo", extra: "extra", instance_info: "instanceInfo", instance_uuid: "instanceUuid",
  lessee: "lessee", maintenance: "maintenance", name: "name", network_data: "networkData", owner: "owner",
  properties: "properties", protected: "protected", protected_reason: "protectedReason", resource_class: "resourceClass",
  retired: "retired", retired_reason: "retiredReason", shard: "shard", console_enabled: "consoleEnabled",
  boot_mode: "bootMode", secure_boot: "secureBoot", uuid: "uuid", parent_node: "parentNode", disable_power_off: "disablePowerOff",
  ...Object.fromEntries(INTERFACE_NAMES.map((k) => [`${k}_interface`, `${k}Interface`])),
};

function typeWords(kind: Kind): string {
  switch (kind) {
    case "dict":
      return "'object', 'null'";
    case "bool":
      return "'boolean'";
    case "nbool":
      return "'boolean', 'null'";
    default:
      return "'string', 'null'";
  }
}

/** Coerces/validates one field value like Ironic's schema ("Schema error for <what>: ..."). */
function coerceField(name: string, spec: FieldSpec, value: unknown, what: "node" | "patch"): unknown {
  const err = (msg: string) => new Invalid(`Schema error for ${what}: ${msg}`);
  switch (spec.kind) {
    case "dict":
      if (value === null) return {};
      if (typeof value !== "object" || Array.isArray(value)) throw err(`${pyRepr(value)} is not of type ${typeWords(spec.kind)}`);
      return value;
    case "bool":
    case "nbool": {
      if (value === null && spec.kind === "nbool") return null;
      if (typeof value === "boolean") return value;
      if (typeof value === "string") {
        const v = value.trim().toLowerCase();
        if (["1", "t", "true", "on", "y", "yes"].includes(v)) return true;
        if (["0", "f", "false", "off", "n", "no"].includes(v)) return false;
      }
      if (value === null) throw new Invalid(`Field \`${name}' cannot be None`);
      throw err(`${pyRepr(value)} is not of type ${typeWords(spec.kind)}`);
    }
    case "uuid":
      if (value === null) return null;
      if (typeof value !== "string" || !isUuidLike(value)) throw new Invalid(`Expected UUID for ${name}: ${typeof value === "string" ? value : pyRepr(value)}`);
      return value.toLowerCase();
    case "str":
    case "iface":
      if (value === null) return null;
      if (typeof value !== "string") throw err(`${pyRepr(value)} is not of type ${typeWords(spec.kind)}`);
      if (spec.max !== undefined && value.length > spec.max) throw err(`${pyRepr(value)} is too long`);
      return value;
  }
}

function noValidHost(driver: string, group: string): Invalid {
  return new Invalid(`No valid host was found. Reason: No conductor service registered which supports driver ${driver} for conductor group "${group}".`);
}

/** The driver must be an enabled hardware type, and a non-default group must have a conductor. */
async function checkDriverAndGroup(driver: string, group: string): Promise<void> {
  if (!getHardwareType(driver)) throw noValidHost(driver, group);
  if (group !== "") {
    const alive = await aliveConductors(await sql());
    if (!alive.some((c) => c.conductorGroup.toLowerCase() === group.toLowerCase() && c.drivers.includes(driver))) {
      throw noValidHost(driver, group);
    }
  }
}

async function chassisIdFor(uuid: string): Promise<number> {
  const row = await (await sql()).get<{ id: number }>(`SELECT "id" FROM "Chassis" WHERE "uuid" = ?`, [uuid]);
  if (!row) throw new Invalid(`Chassis ${uuid} could not be found.`);
  return Number(row.id);
}

async function checkNameFree(name: string, exceptId?: number): Promise<void> {
  const other = await (await sql()).get<{ id: number }>(`SELECT "id" FROM "Node" WHERE "name" = ?`, [name]);
  if (other && Number(other.id) !== exceptId) throw new Conflict(`A node with name ${name} already exists.`);
}

/**
 * parent_node (1.83): a UUID or name of an existing node other than the node itself; stored as
 * the parent's UUID. 400 otherwise.
 */
async function resolveParentNode(value: string, self: { id?: number; uuid?: string }): Promise<string> {
  const parent = await findNode(await sql(), value, true);
  if (!parent) throw new Invalid(`Cannot set parent_node: node ${value} could not be found.`);
  if ((self.id !== undefined && parent.id === self.id) || (self.uuid !== undefined && parent.uuid === self.uuid?.toLowerCase())) {
    throw new Invalid(`Cannot set parent_node: a node can not be its own parent.`);
  }
  return parent.uuid;
}

function isUniqueViolation(err: unknown): boolean {
  const msg = String((err as Error)?.message ?? "");
  return /UNIQUE constraint failed|duplicate key value/i.test(msg);
}

// ---------------------------------------------------------------------------------------------
// POST /v1/nodes

async function createHandler(ctx: ApiContext): Promise<Response> {
  const body = ctx.body;
  if (body === undefined || body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new Invalid(`Schema error for node: ${pyRepr(body ?? null)} is not of type 'object'`);
  }
  const input = body as Record<string, unknown>;
  const extra = Object.keys(input).filter((k) => !(k in CREATE_FIELDS));
  if (extra.length) {
    throw new Invalid(`Schema error for node: Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`);
  }
  if (!("driver" in input)) throw new Invalid("Schema error for node: 'driver' is a required property");
  for (const k of Object.keys(input)) if (ctx.minor < CREATE_FIELDS[k].minor) throw new NotAcceptable("Request not acceptable.");
  const v: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(input)) v[k] = coerceField(k, CREATE_FIELDS[k], raw, "node");
  if (typeof v.driver !== "string") throw new Invalid(`Schema error for node: ${pyRepr(v.driver)} is not of type 'string'`);

  const who = ctx.principal;
  if (!isSystemScoped(who)) {
    if (v.owner !== undefined && v.owner !== null && v.owner !== who.projectId) {
      throw new Invalid("Cannot create a node as a project scoped admin with an owner other than your own project.");
    }
    v.owner = who.projectId;
  }

  const db = await sql();
  if (typeof v.name === "string") {
    if (RESERVED_NODE_NAMES.includes(v.name)) {
      throw new Invalid(`The word "${v.name}" is reserved and can not be used as a node name. Reserved words are: ${RESERVED_NODE_NAMES.join(", ")}.`);
    }
    if (!isValidLogicalName(v.name, ctx.minor)) throw new Invalid(`Cannot create node with invalid name '${v.name}'`);
  }
  const group = typeof v.conductor_group === "string" ? v.conductor_group : "";
  await checkDriverAndGroup(v.driver, group);
  const conductorGroup = validateConductorGroup(group);

  const ifaceGiven: Partial<Record<`${InterfaceName}Interface`, string | null>> = {};
  for (const kind of INTERFACE_NAMES) {
    const val = v[`${kind}_interface`];
    if (typeof val === "string") {
      checkInterfaceValue(v.driver, kind, val);
      ifaceGiven[`${kind}Interface`] = val;
    }
  }
  const resolved = resolveInterfaces({ driver: v.driver, ...ifaceGiven });

  let chassisId: number | null = null;
  if (typeof v.chassis_uuid === "string") chassisId = await chassisIdFor(v.chassis_uuid);
  if (typeof v.uuid === "string" && (await findNode(db, v.uuid, false))) throw new Conflict(`A node with UUID ${v.uuid} already exists.`);
  if (typeof v.name === "string") await checkNameFree(v.name);
  if (typeof v.instance_uuid === "string") {
    const other = await db.get(`SELECT "uuid" FROM "Node" WHERE "instanceUuid" = ?`, [v.instance_uuid]);
    if (other) throw new Conflict(`Instance ${v.instance_uuid} is already associated with a node, it cannot be associated with this other node ${v.uuid ?? ""}`.trim());
  }
  if (v.boot_mode !== undefined && v.boot_mode !== null && v.boot_mode !== "uefi" && v.boot_mode !== "bios") {
    throw new Invalid(`Schema error for node: ${pyRepr(v.boot_mode)} is not one of ['uefi', 'bios']`);
  }

  if (typeof v.parent_node === "string") v.parent_node = await resolveParentNode(v.parent_node, { uuid: typeof v.uuid === "string" ? v.uuid : undefined });

  const data: Parameters<typeof insertNode>[1] = {
    driver: v.driver,
    provisionState: ctx.minor >= 11 ? PS.ENROLL : PS.AVAILABLE,
    conductorGroup,
    chassisId,
    resourceClass: v.resource_class !== undefined ? (v.resource_class as string | null) : (process.env.INGOT_DEFAULT_RESOURCE_CLASS?.trim() || null),
    ...Object.fromEntries(INTERFACE_NAMES.map((k) => [`${k}Interface`, resolved[k]])),
  };
  for (const k of ["uuid", "name", "driver_info", "extra", "instance_info", "instance_uuid", "lessee", "maintenance", "network_data",
    "owner", "properties", "retired", "retired_reason", "shard", "description", "automated_clean", "console_enabled", "boot_mode", "secure_boot", "parent_node", "disable_power_off"]) {
    if (v[k] !== undefined) (data as unknown as Record<string, unknown>)[API_TO_RECORD[k]] = v[k];
  }
  let node: NodeRecord;
  try {
    node = await insertNode(db, data);
  } catch (err) {
    if (isUniqueViolation(err)) {
      if (typeof v.name === "string" && /name/i.test(String((err as Error).message))) throw new Conflict(`A node with name ${v.name} already exists.`);
      throw new Conflict(`A node with UUID ${v.uuid ?? ""} already exists.`);
    }
    throw err;
  }
  publishNodeChange(node);
  const view = await renderNode(db, node, { base: ctx.base, minor: ctx.minor, principal: who });
  return json(ctx, view, 201, { Location: `${ctx.base}/v1/nodes/${node.uuid}`, ...etagHeaders(node) });
}

// ---------------------------------------------------------------------------------------------
// GET /v1/nodes/{ident}

async function showHandler(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, ["fields"]);
  const fields = parseNodeFields(ctx.url.searchParams.get("fields"), ctx.minor);
  const view = await renderNode(await sql(), ctx.node, { base: ctx.base, minor: ctx.minor, principal: ctx.principal, fields });
  return json(ctx, view, 200, etagHeaders(ctx.node));
}

// ---------------------------------------------------------------------------------------------
// PATCH /v1/nodes/{ident}

const FIELD_POLICY: Record<string, string> = {
  instance_info: "baremetal:node:update_instance_info",
  extra: "baremetal:node:update_extra",
  driver_info: "baremetal:node:update:driver_info",
  properties: "baremetal:node:update:properties",
  chassis_uuid: "baremetal:node:update:chassis_uuid",
  instance_uuid: "baremetal:node:update:instance_uuid",
  lessee: "baremetal:node:update:lessee",
  owner: "baremetal:node:update:owner",
  driver: "baremetal:node:update:driver_interfaces",
  network_data: "baremetal:node:update:network_data",
  conductor_group: "baremetal:node:update:conductor_group",
  name: "baremetal:node:update:name",
  retired: "baremetal:node:update:retired",
  retired_reason: "baremetal:node:update:retired",
  shard: "baremetal:node:update:shard",
  parent_node: "baremetal:node:update:parent_node",
  disable_power_off: "baremetal:node:update:disable_power_off",
  ...Object.fromEntries(INTERFACE_NAMES.map((k) => [`${k}_interface`, "baremetal:node:update:driver_interfaces"])),
};

function authorizePatch(ops: PatchOperation[], who: Principal, node: NodeRecord): void {
  const rules = new Set<string>();
  let generic = false;
  for (const op of ops) {
    const root = rootOf(op.path);
    if (root === "automated_clean") {
      const v = op.value;
      const off = v === false || (typeof v === "string" && ["0", "f", "false", "off", "n", "no"].includes(v.toLowerCase()));
      if (off && op.op !== "remove") rules.add("baremetal:node:disable_cleaning");
      else generic = true;
    } else if (FIELD_POLICY[root]) rules.add(FIELD_POLICY[root]);
    else generic = true;
  }
  if (generic || rules.size === 0) rules.add("baremetal:node:update");
  const target = { owner: node.owner, lessee: node.lessee };
  for (const r of rules) if (!authorize(r, who, target)) throw new Forbidden();
}

function stateRefusal(node: NodeRecord, field: string): Conflict {
  return new Conflict(
    `Node ${node.uuid} can not have ${field} updated unless it is in one of allowed (${INTERFACE_UPDATE_ALLOWED_STATES.join(", ")}) states or in maintenance mode.`,
  );
}

/** The document PATCH operates on: every patchable field with its raw (unmasked) value. */
async function patchDocument(node: NodeRecord): Promise<Record<string, unknown>> {
  const doc: Record<string, unknown> = {};
  for (const f of Object.keys(WRITABLE)) {
    if (f === "chassis_uuid") {
      doc[f] = node.chassisId != null
        ? ((await (await sql()).get<{ uuid: string }>(`SELECT "uuid" FROM "Chassis" WHERE "id" = ?`, [node.chassisId]))?.uuid ?? null)
        : null;
      continue;
    }
    const v = (node as unknown as Record<string, unknown>)[API_TO_RECORD[f]];
    doc[f] = v === undefined ? null : JSON.parse(JSON.stringify(v));
  }
  return doc;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

async function computePatch(ctx: NodeContext, node: NodeRecord, ops: PatchOperation[], resetInterfaces: boolean | null): Promise<NodeChanges> {
  const minor = ctx.minor;
  // Refuse writes while a transition is running (conductor rule), except a lone instance_uuid
  // removal in maintenance.
  const loneInstanceRemoval = ops.length === 1 && ops[0].op === "remove" && ops[0].path === "/instance_uuid" && node.maintenance;
  if (node.provisionState === PS.INSPECTING && minor >= 39 && !loneInstanceRemoval) {
    throw new Conflict(`Cannot update node "${node.uuid}" while it is in state "${node.provisionState}".`);
  }
  if (node.targetProvisionState && !UPDATE_ALLOWED_STATES.includes(node.provisionState) && !loneInstanceRemoval) {
    throw new Conflict(`Node ${node.uuid} can not be updated while a state transition is in progress.`);
  }

  const before = await patchDocument(node);
  const after = applyPatch(before, ops, { noNewRootKeys: true, escapes: minor >= 98, view: nodePatchView(node, ctx.principal) });
  const changed: Record<string, unknown> = {};
  for (const f of Object.keys(WRITABLE)) {
    let val = after[f];
    if (val === undefined) {
      if (f === "driver") throw new Invalid("Schema error for patch: 'driver' is a required property");
      val = null;
    }
    val = coerceField(f, WRITABLE[f], val, "patch");
    if (!sameValue(val, before[f])) changed[f] = val;
  }

  const changes: NodeChanges = {};
  const rec = changes as unknown as Record<string, unknown>;
  const driver = (changed.driver ?? node.driver) as string;

  // name
  if ("name" in changed && changed.name !== null) {
    const name = changed.name as string;
    if (RESERVED_NODE_NAMES.includes(name)) {
      throw new Invalid(`The word "${name}" is reserved and can not be used as a node name. Reserved words are: ${RESERVED_NODE_NAMES.join(", ")}.`);
    }
    if (!isValidLogicalName(name, minor)) throw new Invalid(`Node ${ctx.params.node}: Cannot change name to invalid name '${name}'`);
    await checkNameFree(name, node.id);
  }
  // instance_uuid
  if ("instance_uuid" in changed && changed.instance_uuid !== null && node.instanceUuid) {
    throw new Conflict(`Node ${node.uuid} is associated with instance ${node.instanceUuid}.`);
  }
  if ("instance_uuid" in changed && changed.instance_uuid !== null) {
    const other = await (await sql()).get<{ uuid: string }>(`SELECT "uuid" FROM "Node" WHERE "instanceUuid" = ? AND "id" <> ?`, [changed.instance_uuid as string, node.id]);
    if (other) throw new Conflict(`Instance ${changed.instance_uuid} is already associated with a node, it cannot be associated with this other node ${node.uuid}`);
  }
  // chassis
  if ("chassis_uuid" in changed) {
    if (changed.chassis_uuid === null) {
      if (minor < 25) throw new Invalid("Removing chassis_uuid is not supported in this version.");
      rec.chassisId = null;
    } else rec.chassisId = await chassisIdFor(changed.chassis_uuid as string);
  }
  // driver / conductor group
  const group = ("conductor_group" in changed ? ((changed.conductor_group as string | null) ?? "") : node.conductorGroup) ?? "";
  if ("driver" in changed || "conductor_group" in changed) {
    await checkDriverAndGroup(driver, group);
    if ("conductor_group" in changed) rec.conductorGroup = validateConductorGroup(group);
  }
  if ("driver" in changed && node.consoleEnabled) {
    throw new Conflict(`Node ${node.uuid} can not update the driver while the console is enabled. Please stop the console first.`);
  }
  // interfaces
  const ifaceChanges: Partial<Record<InterfaceName, string | null>> = {};
  for (const kind of INTERFACE_NAMES) {
    const f = `${kind}_interface`;
    if (f in changed) ifaceChanges[kind] = changed[f] as string | null;
  }
  if (Object.keys(ifaceChanges).length && !(inStates(node.provisionState, INTERFACE_UPDATE_ALLOWED_STATES) || node.maintenance)) {
    throw stateRefusal(node, `${Object.keys(ifaceChanges)[0]}_interface`);
  }
  if ("driver" in changed || Object.keys(ifaceChanges).length) {
    const current: Partial<Record<`${InterfaceName}Interface`, string | null>> = {};
    for (const kind of INTERFACE_NAMES) {
      let value: string | null = (node as unknown as Record<string, string | null>)[`${kind}Interface`] ?? null;
      if ("driver" in changed && resetInterfaces) value = null;
      if (kind in ifaceChanges) value = ifaceChanges[kind] ?? null;
      if (value !== null) checkInterfaceValue(driver, kind, value);
      current[`${kind}Interface`] = value;
    }
    const resolved = resolveInterfaces({ driver, ...current });
    for (const kind of INTERFACE_NAMES) {
      const old = (node as unknown as Record<string, string | null>)[`${kind}Interface`];
      if (resolved[kind] !== old) rec[`${kind}Interface`] = resolved[kind];
    }
    if ("driver" in changed) rec.driver = driver;
  }
  // owner
  if ("owner" in changed && node.provisionState === PS.ACTIVE && !authorize("baremetal:node:update_owner_provisioned", ctx.principal, node)) {
    throw new Conflict(`Node ${node.uuid} is in state active and its owner can not be changed.`);
  }
  // protected
  const protectedAfter = ("protected" in changed ? changed.protected : node.protected) as boolean;
  if ("protected" in changed && changed.protected === true && !inStates(node.provisionState, [PS.ACTIVE, PS.RESCUE])) {
    throw new Conflict(
      `Node ${node.uuid} can only be made protected in provision states '${PS.ACTIVE}' or '${PS.RESCUE}', the current state is '${node.provisionState}'`,
    );
  }
  if ("protected_reason" in changed && changed.protected_reason && !protectedAfter) {
    throw new Invalid("The protected_reason field can only be set when protected is True");
  }
  if ("protected" in changed && changed.protected === false) rec.protectedReason = null;
  // retired
  if ("retired" in changed && changed.retired === true && node.provisionState === PS.AVAILABLE) {
    throw new Conflict(
      `Node ${node.uuid} can not have 'retired' set in provision state '${PS.AVAILABLE}', the current state is '${PS.AVAILABLE}'`,
    );
  }
  if ("retired_reason" in changed && changed.retired_reason && !("retired" in changed ? changed.retired : node.retired)) {
    throw new Invalid("The retired_reason field can only be set when retired is True");
  }
  if ("retired" in changed && changed.retired === false && !("retired_reason" in changed)) rec.retiredReason = null;
  // resource class
  if ("resource_class" in changed && node.resourceClass && !(inStates(node.provisionState, INTERFACE_UPDATE_ALLOWED_STATES) || node.maintenance)) {
    throw stateRefusal(node, "resource_class");
  }
  // parent node (1.83)
  if ("parent_node" in changed && changed.parent_node !== null) {
    changed.parent_node = await resolveParentNode(changed.parent_node as string, node);
    if (changed.parent_node === node.parentNode) delete changed.parent_node;
  }
  // maintenance off clears reason and fault
  if ("maintenance" in changed && changed.maintenance === false) {
    rec.maintenanceReason = null;
    rec.fault = null;
  }

  const simple = [
    "automated_clean", "description", "driver_info", "extra", "instance_info", "instance_uuid", "lessee", "maintenance",
    "name", "network_data", "owner", "properties", "protected", "protected_reason", "resource_class", "retired",
    "retired_reason", "shard", "parent_node", "disable_power_off",
  ];
  for (const f of simple) if (f in changed) rec[API_TO_RECORD[f]] = changed[f];
  return changes;
}

/**
 * Attempts of a PATCH without If-Match that keeps losing the race for the row to other writers
 * (each loss means another write went through), and the cap of the jittered pause between two.
 */
const PATCH_MAX_ATTEMPTS = 200;
const PATCH_MAX_BACKOFF_MS = 50;
const patchQueue = new KeyedQueue<number>();

async function patchHandler(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, ["reset_interfaces"]);
  const ops = validatePatch(ctx.body, { escapes: ctx.minor >= 98 });
  let resetInterfaces: boolean | null = null;
  const rawReset = ctx.url.searchParams.get("reset_interfaces");
  if (rawReset !== null) {
    if (ctx.minor < 45) throw new NotAcceptable("Request not acceptable.");
    resetInterfaces = queryBool("reset_interfaces", rawReset);
  }
  // Whitelist, then version gates, then policies.
  for (const op of ops) {
    const root = rootOf(op.path);
    if (!PATCHABLE.includes(root)) {
      throw new Invalid(`Cannot patch ${op.path}. Only the following can be updated: ${PATCHABLE.join(", ")}`);
    }
  }
  for (const op of ops) if (ctx.minor < WRITABLE[rootOf(op.path)].minor) throw new NotAcceptable("Request not acceptable.");
  authorizePatch(ops, ctx.principal, ctx.node);
  if (resetInterfaces !== null && patchValues(ops, "/driver").length === 0) {
    throw new Invalid("The reset_interfaces parameter can only be used when changing the node's driver.");
  }

  // PATCHes of one node in this process run one after another: together they would mostly lose
  // the race for the row to each other and retry (work growing with the square of their number).
  // Writers in other processes can still get in between: that is what the retries are for.
  // One that waited behind another starts from the node as that one left it.
  const waited = patchQueue.busy(ctx.node.id);
  return patchQueue.run(ctx.node.id, () => writePatch(ctx, ops, resetInterfaces, waited));
}

/** Applies validated patch operations to the node (retrying when another writer got in first). */
async function writePatch(ctx: NodeContext, ops: PatchOperation[], resetInterfaces: boolean | null, reread: boolean): Promise<Response> {
  const ifMatch = ctx.request.headers.get("if-match");
  const db = await sql();
  let node = ctx.node;
  if (reread) {
    const fresh = await getNodeById(db, node.id);
    if (!fresh) throw new NodeNotFound(ctx.params.node);
    authorizePatch(ops, ctx.principal, fresh);
    node = fresh;
  }
  for (let attempt = 1; ; attempt++) {
    if (!ifMatchPasses(ifMatch, nodeEtag(node))) {
      throw new PreconditionFailed(`The node ${node.uuid} has changed: If-Match ${ifMatch} does not match its current ETag ${nodeEtag(node)}.`);
    }
    if (node.reservation) {
      // A flow may be writing its last state: wait briefly, then check everything again.
      const fresh = await waitUnlocked(db, node.id);
      if (!fresh) throw new NodeNotFound(ctx.params.node);
      if (fresh.reservation) throw new NodeLocked(fresh.uuid, fresh.reservation);
      node = fresh;
      continue;
    }
    const changes = await computePatch(ctx, node, ops, resetInterfaces);
    let updated: NodeRecord | null;
    try {
      updated = await updateNode(db, node.id, changes, { expectReservation: null, expectVersion: node.version });
    } catch (err) {
      if (isUniqueViolation(err)) {
        if (changes.name) throw new Conflict(`A node with name ${changes.name} already exists.`);
        throw new Conflict(`Instance ${changes.instanceUuid ?? ""} is already associated with a node, it cannot be associated with this other node ${node.uuid}`);
      }
      throw err;
    }
    if (updated) {
      if (changes.instanceUuid === null && node.instanceUuid && node.allocationId != null) {
        // Removing instance_uuid deletes the node's allocation (reference §2.8).
        await db.run(`DELETE FROM "Allocation" WHERE "id" = ?`, [node.allocationId]);
        updated = (await updateNode(db, node.id, { allocationId: null }, { quiet: true })) ?? updated;
      }
      const view = await renderNode(db, updated, { base: ctx.base, minor: ctx.minor, principal: ctx.principal });
      return json(ctx, view, 200, etagHeaders(updated));
    }
    // Another writer changed the row since it was read. With If-Match that is a 412 (the check at
    // the top of the loop); without, the patch applies to the fresh node: re-read, re-check, retry.
    if (attempt >= PATCH_MAX_ATTEMPTS) throw new Conflict(`Node ${node.uuid} was modified concurrently, please retry.`);
    if (!ifMatch) await new Promise((r) => setTimeout(r, Math.random() * Math.min(PATCH_MAX_BACKOFF_MS, 2 ** attempt)));
    const fresh = await getNodeById(db, node.id);
    if (!fresh) throw new NodeNotFound(ctx.params.node);
    // Owner or lessee may have changed: the caller's rights are checked against the fresh node.
    authorizePatch(ops, ctx.principal, fresh);
    node = fresh;
  }
}

// ---------------------------------------------------------------------------------------------
// DELETE /v1/nodes/{ident}

async function deleteHandler(ctx: NodeContext): Promise<Response> {
  await (await conductorApi()).destroyNode(ctx.node.id, actorOf(ctx));
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
