// Node use cases other than state changes (lib/core/services/node_states.ts) and consoles
// (console.ts): listing, creating, patching and deleting nodes (reference §2.3–2.6), what the
// API's node sub-resources and the dashboard read and write, and the lookups the node views need.
import { pyRepr } from "../../shared/pyrepr.ts";
import { conductorApi } from "../conductor/rpc.ts";
import { chassisIdOf } from "../db/chassis.ts";
import { deleteAllocationRow } from "../db/deployments.ts";
import { listFirmware, type FirmwareRow } from "../db/firmware.ts";
import {
  findNode, getNodeById, getNodesByIds, insertNode, INTERFACE_NAMES, listNodeHeads, listNodes, nodeIdNamed, nodeWithInstance,
  updateNode, uuidsById, waitUnlocked,
  type InterfaceName, type NewNode, type NodeChanges, type NodeFilter, type NodeHead, type NodeRecord,
} from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { isUniqueViolation } from "../db/unique.ts";
import { checkInterfaceValue, getHardwareType, resolveInterfaces } from "../drivers/registry.ts";
import { Conflict, Forbidden, Invalid, NodeLocked, NodeNotFound, NotAcceptable, PreconditionFailed } from "../errors.ts";
import { ifMatchPasses, nodeEtag } from "../etag.ts";
import { publishNodeChange } from "../events.ts";
import { aliveConductors, conductorFor, listConductors, ringLookup, type ConductorInfo } from "../hashring.ts";
import { applyPatch, patchValues, rootOf, type PatchOperation } from "../jsonpatch.ts";
import { KeyedQueue } from "../keyed_queue.ts";
import { isValidLogicalName, RESERVED_NODE_NAMES, validateConductorGroup } from "../node_names.ts";
import { nodePatchView } from "../node_redaction.ts";
import { authorize, isSystemScoped, type Principal } from "../policy.ts";
import {
  inStates, INTERFACE_UPDATE_ALLOWED_STATES, ProvisionState as PS, UPDATE_ALLOWED_STATES, type StepKind,
} from "../states.ts";
import { readStepCache, refreshStepCache, type StepCache } from "../steps.ts";
import { isUuidLike } from "../uuid.ts";
import { actorOf, allow, visibleNode } from "./access.ts";

/**
 * Tells open dashboards about a write the API made itself (PATCH, traits, VIFs, …), as the
 * conductor does for its own changes.
 */
export async function publishNodeWrite(nodeId: number): Promise<void> {
  const fresh = await getNodeById(await sql(), nodeId);
  if (fresh) publishNodeChange(fresh);
}

/** The node's children the caller may see (traits loaded only when `withTraits`). */
export async function childNodes(principal: Principal, node: NodeRecord, withTraits: boolean): Promise<NodeRecord[]> {
  const children = await listNodes(await sql(), { filter: { parentNode: node.uuid }, withoutTraits: !withTraits });
  return children.filter((n) => authorize("baremetal:node:get", principal, n));
}

export async function firmwareComponents(principal: Principal, node: NodeRecord): Promise<FirmwareRow[]> {
  allow("baremetal:node:get", principal, node);
  return listFirmware(await sql(), node.id);
}

/** The node's available steps of one kind: as cached, or recomputed now (`refresh`). */
export async function availableSteps(principal: Principal, node: NodeRecord, kind: StepKind, refresh: boolean): Promise<StepCache> {
  if (!refresh) {
    allow("baremetal:node:get", principal, node);
    return readStepCache(await sql(), node, kind);
  }
  allow("baremetal:node:set_provision_state", principal, node);
  return refreshStepCache(await sql(), node, kind);
}

// ---------------------------------------------------------------------------------------------
// What serializing nodes needs beyond their rows (lib/api/node_view.ts)

/** The lookups a page of nodes' views need: conductor, allocation_uuid and chassis_uuid. */
export interface NodeViewLookups {
  conductor: (n: NodeRecord) => string | null;
  allocationUuid: Map<number, string>;
  chassisUuid: Map<number, string>;
}

/** Resolves, in batches, the computed fields `want` asks for (the others stay empty). */
export async function nodeViewLookups(
  nodes: NodeRecord[], want: { conductor: boolean; allocation: boolean; chassis: boolean },
): Promise<NodeViewLookups> {
  const db = await sql();
  let conductor: (n: NodeRecord) => string | null = () => null;
  if (want.conductor && nodes.length) {
    if (nodes.length === 1) {
      const host = await conductorFor(db, { uuid: nodes[0].uuid, driver: nodes[0].driver, conductorGroup: nodes[0].conductorGroup });
      conductor = () => host;
    } else {
      const lookup = ringLookup(await listConductors(db));
      conductor = (n) => lookup({ uuid: n.uuid, driver: n.driver, conductorGroup: n.conductorGroup });
    }
  }
  const allocIds = want.allocation ? nodes.map((n) => n.allocationId).filter((x): x is number => x !== null && x !== undefined) : [];
  const chassisIds = want.chassis ? nodes.map((n) => n.chassisId).filter((x): x is number => x !== null && x !== undefined) : [];
  return {
    conductor,
    allocationUuid: allocIds.length ? await uuidsById(db, "Allocation", allocIds) : new Map(),
    chassisUuid: chassisIds.length ? await uuidsById(db, "Chassis", chassisIds) : new Map(),
  };
}

/** The conductor the hash ring gives the node now (null when none is alive for its driver and group). */
export async function nodeConductor(node: NodeRecord): Promise<string | null> {
  return conductorFor(await sql(), node);
}

/** The registered conductors (alive or not), from which the hash ring places nodes. */
export async function ringConductors(): Promise<ConductorInfo[]> {
  return listConductors(await sql());
}

/** Full records for the given ids, in the given order (deleted ones skipped). */
export async function nodesByIds(ids: number[]): Promise<NodeRecord[]> {
  return getNodesByIds(await sql(), ids);
}

// ---------------------------------------------------------------------------------------------
// Listing (GET /v1/nodes[/detail])

/** A parsed node list request: the filters as given, paging, and the lookups still to make. */
export interface NodeListQuery {
  filter: NodeFilter;
  /** chassis_uuid: nodes of this chassis (none when it does not exist). */
  chassisUuid?: string;
  /** parent_node: a UUID or a name (an unknown parent matches nothing). */
  parentNode?: string;
  /** project: nodes this project owns or leases. */
  project?: string;
  /** conductor: nodes the hash ring gives this conductor. */
  conductor?: string;
  sortKey: string;
  sortDir: "asc" | "desc";
  limit: number;
  marker?: NodeRecord;
}

/** The node a list page continues after (its UUID; any node, visible or not, as Ironic). */
export async function nodeListMarker(uuid: string): Promise<NodeRecord> {
  const marker = await findNode(await sql(), uuid, false);
  if (!marker) throw new NodeNotFound(uuid);
  return marker;
}

/** One page of the nodes the caller may list (project-scoped callers: the ones they own or lease). */
export async function listNodesFor(principal: Principal, q: NodeListQuery): Promise<NodeHead[]> {
  allow("baremetal:node:list", principal);
  const filter: NodeFilter = { ...q.filter };
  let project = q.project;
  if (!authorize("baremetal:node:list_all", principal)) {
    if (!principal.projectId) throw new Forbidden();
    if (project !== undefined && project !== principal.projectId) throw new Forbidden();
    if (filter.owner !== undefined && filter.owner !== principal.projectId) throw new Forbidden();
    project = principal.projectId;
  }
  if (project !== undefined) filter.project = project;
  const db = await sql();
  if (q.chassisUuid !== undefined) filter.chassisId = (await chassisIdOf(db, q.chassisUuid)) ?? -1;
  if (q.parentNode !== undefined) {
    // The column holds the parent's UUID.
    const raw = q.parentNode;
    filter.parentNode = isUuidLike(raw) ? raw.toLowerCase() : ((await findNode(db, raw, true))?.uuid ?? raw);
  }
  const { sortKey, sortDir, limit, marker } = q;
  if (q.conductor === undefined) return listNodeHeads(db, { filter, sortKey, sortDir, limit, marker });

  // The conductor filter is applied after the query (hash ring), so page in chunks.
  const lookup = ringLookup(await listConductors(db));
  const matching: NodeRecord[] = [];
  let after = marker;
  for (;;) {
    const chunk = await listNodes(db, { filter, sortKey, sortDir, limit: 500, marker: after, withoutTraits: true });
    for (const n of chunk) {
      if (lookup({ uuid: n.uuid, driver: n.driver, conductorGroup: n.conductorGroup }) === q.conductor) matching.push(n);
      if (matching.length >= limit) break;
    }
    if (matching.length >= limit || chunk.length < 500) break;
    after = chunk[chunk.length - 1];
  }
  return matching;
}

// ---------------------------------------------------------------------------------------------
// The writable fields, shared by create and PATCH

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
  const id = await chassisIdOf(await sql(), uuid);
  if (id === null) throw new Invalid(`Chassis ${uuid} could not be found.`);
  return Number(id);
}

async function checkNameFree(name: string, exceptId?: number): Promise<void> {
  const other = await nodeIdNamed(await sql(), name);
  if (other !== null && other !== exceptId) throw new Conflict(`A node with name ${name} already exists.`);
}

function checkNameNotReserved(name: string): void {
  if (RESERVED_NODE_NAMES.includes(name)) {
    throw new Invalid(`The word "${name}" is reserved and can not be used as a node name. Reserved words are: ${RESERVED_NODE_NAMES.join(", ")}.`);
  }
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

// ---------------------------------------------------------------------------------------------
// Create (POST /v1/nodes)

/**
 * Enrolls a node from the fields of a create request (`input`: the request's object, as sent),
 * read at microversion `minor`: Ironic's schema, version gates and checks in Ironic's order.
 */
export async function createNode(principal: Principal, input: Record<string, unknown>, minor: number): Promise<NodeRecord> {
  allow("baremetal:node:create", principal);
  const extra = Object.keys(input).filter((k) => !(k in CREATE_FIELDS));
  if (extra.length) {
    throw new Invalid(`Schema error for node: Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`);
  }
  if (!("driver" in input)) throw new Invalid("Schema error for node: 'driver' is a required property");
  for (const k of Object.keys(input)) if (minor < CREATE_FIELDS[k].minor) throw new NotAcceptable("Request not acceptable.");
  const v: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(input)) v[k] = coerceField(k, CREATE_FIELDS[k], raw, "node");
  if (typeof v.driver !== "string") throw new Invalid(`Schema error for node: ${pyRepr(v.driver)} is not of type 'string'`);

  if (!isSystemScoped(principal)) {
    if (v.owner !== undefined && v.owner !== null && v.owner !== principal.projectId) {
      throw new Invalid("Cannot create a node as a project scoped admin with an owner other than your own project.");
    }
    v.owner = principal.projectId;
  }

  const db = await sql();
  if (typeof v.name === "string") {
    checkNameNotReserved(v.name);
    if (!isValidLogicalName(v.name, minor)) throw new Invalid(`Cannot create node with invalid name '${v.name}'`);
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
  if (typeof v.instance_uuid === "string" && (await nodeWithInstance(db, v.instance_uuid)) !== null) {
    throw new Conflict(`Instance ${v.instance_uuid} is already associated with a node, it cannot be associated with this other node ${v.uuid ?? ""}`.trim());
  }
  if (v.boot_mode !== undefined && v.boot_mode !== null && v.boot_mode !== "uefi" && v.boot_mode !== "bios") {
    throw new Invalid(`Schema error for node: ${pyRepr(v.boot_mode)} is not one of ['uefi', 'bios']`);
  }

  if (typeof v.parent_node === "string") v.parent_node = await resolveParentNode(v.parent_node, { uuid: typeof v.uuid === "string" ? v.uuid : undefined });

  const data: NewNode = {
    driver: v.driver,
    provisionState: minor >= 11 ? PS.ENROLL : PS.AVAILABLE,
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
  return node;
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

/** The policy rules the operations need, each checked against the node's owner and lessee. */
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
      doc[f] = node.chassisId != null ? ((await uuidsById(await sql(), "Chassis", [node.chassisId])).get(node.chassisId) ?? null) : null;
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

/** How a PATCH is read and when it may be written. */
export interface PatchNodeOptions {
  /** The microversion the operations are read at (fields available, ~0/~1 escapes, name rules). */
  minor: number;
  /** If-Match: the node ETags (etag.ts) the caller last saw; a write over any other version is a 412. */
  ifMatch?: string | null;
  /** reset_interfaces (1.45): with a driver change, interfaces not given fall back to the new driver's defaults. */
  resetInterfaces?: boolean | null;
  /** The node as the caller already looked it up for this principal (the API's boundary does); else found by `ident`. */
  node?: NodeRecord;
}

/**
 * Attempts of a PATCH without If-Match that keeps losing the race for the row to other writers
 * (each loss means another write went through), and the cap of the jittered pause between two.
 */
const PATCH_MAX_ATTEMPTS = 200;
const PATCH_MAX_BACKOFF_MS = 50;
const patchQueue = new KeyedQueue<number>();

/**
 * Applies JSON-patch operations (already checked against the patch schema) to node `ident` for
 * `principal`: field whitelist, version gates, per-field policy, then the state rules and the
 * write, retried while other writers get in first. Returns the node as written. Publishing the
 * change to live views is the caller's (the API's boundary does it for every write).
 */
export async function patchNode(principal: Principal, ident: string, ops: PatchOperation[], opts: PatchNodeOptions): Promise<NodeRecord> {
  const node = opts.node ?? (await visibleNode(principal, ident, opts.minor >= 5));
  // Whitelist, then version gates, then policies.
  for (const op of ops) {
    const root = rootOf(op.path);
    if (!PATCHABLE.includes(root)) {
      throw new Invalid(`Cannot patch ${op.path}. Only the following can be updated: ${PATCHABLE.join(", ")}`);
    }
  }
  for (const op of ops) if (opts.minor < WRITABLE[rootOf(op.path)].minor) throw new NotAcceptable("Request not acceptable.");
  authorizePatch(ops, principal, node);
  const resetInterfaces = opts.resetInterfaces ?? null;
  if (resetInterfaces !== null && patchValues(ops, "/driver").length === 0) {
    throw new Invalid("The reset_interfaces parameter can only be used when changing the node's driver.");
  }

  // PATCHes of one node in this process run one after another: together they would mostly lose
  // the race for the row to each other and retry (work growing with the square of their number).
  // Writers in other processes can still get in between: that is what the retries are for.
  // One that waited behind another starts from the node as that one left it.
  const waited = patchQueue.busy(node.id);
  return patchQueue.run(node.id, () => writePatch(principal, ident, node, ops, { ...opts, resetInterfaces }, waited));
}

/** Applies validated patch operations to the node (retrying when another writer got in first). */
async function writePatch(
  principal: Principal, ident: string, loaded: NodeRecord, ops: PatchOperation[], opts: PatchNodeOptions, reread: boolean,
): Promise<NodeRecord> {
  const ifMatch = opts.ifMatch ?? null;
  const db = await sql();
  let node = loaded;
  if (reread) {
    const fresh = await getNodeById(db, node.id);
    if (!fresh) throw new NodeNotFound(ident);
    authorizePatch(ops, principal, fresh);
    node = fresh;
  }
  for (let attempt = 1; ; attempt++) {
    if (!ifMatchPasses(ifMatch, nodeEtag(node))) {
      throw new PreconditionFailed(`The node ${node.uuid} has changed: If-Match ${ifMatch} does not match its current ETag ${nodeEtag(node)}.`);
    }
    if (node.reservation) {
      // A flow may be writing its last state: wait briefly, then check everything again.
      const fresh = await waitUnlocked(db, node.id);
      if (!fresh) throw new NodeNotFound(ident);
      if (fresh.reservation) throw new NodeLocked(fresh.uuid, fresh.reservation);
      node = fresh;
      continue;
    }
    const changes = await computePatch(principal, ident, node, ops, opts);
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
        await deleteAllocationRow(db, node.allocationId);
        updated = (await updateNode(db, node.id, { allocationId: null }, { quiet: true })) ?? updated;
      }
      return updated;
    }
    // Another writer changed the row since it was read. With If-Match that is a 412 (the check at
    // the top of the loop); without, the patch applies to the fresh node: re-read, re-check, retry.
    if (attempt >= PATCH_MAX_ATTEMPTS) throw new Conflict(`Node ${node.uuid} was modified concurrently, please retry.`);
    if (!ifMatch) await new Promise((r) => setTimeout(r, Math.random() * Math.min(PATCH_MAX_BACKOFF_MS, 2 ** attempt)));
    const fresh = await getNodeById(db, node.id);
    if (!fresh) throw new NodeNotFound(ident);
    // Owner or lessee may have changed: the caller's rights are checked against the fresh node.
    authorizePatch(ops, principal, fresh);
    node = fresh;
  }
}

/** The column changes the operations make to `node`, after every state and consistency rule. */
async function computePatch(principal: Principal, ident: string, node: NodeRecord, ops: PatchOperation[], opts: PatchNodeOptions): Promise<NodeChanges> {
  const { minor } = opts;
  const resetInterfaces = opts.resetInterfaces ?? null;
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
  const after = applyPatch(before, ops, { noNewRootKeys: true, escapes: minor >= 98, view: nodePatchView(node, principal) });
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
  const db = await sql();

  // name
  if ("name" in changed && changed.name !== null) {
    const name = changed.name as string;
    checkNameNotReserved(name);
    if (!isValidLogicalName(name, minor)) throw new Invalid(`Node ${ident}: Cannot change name to invalid name '${name}'`);
    await checkNameFree(name, node.id);
  }
  // instance_uuid
  if ("instance_uuid" in changed && changed.instance_uuid !== null && node.instanceUuid) {
    throw new Conflict(`Node ${node.uuid} is associated with instance ${node.instanceUuid}.`);
  }
  if ("instance_uuid" in changed && changed.instance_uuid !== null && (await nodeWithInstance(db, changed.instance_uuid as string, node.id)) !== null) {
    throw new Conflict(`Instance ${changed.instance_uuid} is already associated with a node, it cannot be associated with this other node ${node.uuid}`);
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
  if ("owner" in changed && node.provisionState === PS.ACTIVE && !authorize("baremetal:node:update_owner_provisioned", principal, node)) {
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

// ---------------------------------------------------------------------------------------------
// Delete (DELETE /v1/nodes/{ident})

/** Deletes the node through its conductor (which refuses protected nodes and busy states). */
export async function deleteNode(principal: Principal, node: NodeRecord, requestId?: string): Promise<void> {
  allow("baremetal:node:delete", principal, node);
  await conductorApi().destroyNode(node.id, actorOf(principal, requestId));
}
