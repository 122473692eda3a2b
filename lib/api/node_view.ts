// Node serialization for the Bare Metal API (reference §2.4, §7.3): NodeRecord → Ironic's JSON,
// with version gating, field order as real Ironic sends it, secret masking and lessee redaction.
// List pages resolve conductor / allocation_uuid / chassis_uuid in batches (no per-node queries).
import type { NodeHead, NodeRecord } from "../core/db/nodes.ts";
import { Invalid, NotAcceptable } from "../core/errors.ts";
import { nodeEtag } from "../core/etag.ts";
import { ringFingerprint, ringLookup } from "../core/hashring.ts";
import {
  aboveThreshold, lastErrorSeenBy, mayReadDriverInfo, REDACTED_DII, REDACTED_DRIVER_INFO, REDACTED_LAST_ERROR, REDACTED_RESERVATION,
} from "../core/node_redaction.ts";
import { authorize, type Principal } from "../core/policy.ts";
import { maskInstanceInfo, maskSecrets } from "../core/secrets.ts";
import { nodesByIds, nodeViewLookups, ringConductors } from "../core/services/nodes.ts";
import { provisionStateAtVersion } from "../shared/states.ts";
import type { ApiNode } from "../shared/wire.ts";
import { links } from "./http.ts";
import type { FieldDef } from "./v1/resource_common.ts";

export { nodeEtag, REDACTED_DII, REDACTED_DRIVER_INFO, REDACTED_LAST_ERROR, REDACTED_RESERVATION };

type Getter = (n: NodeRecord) => unknown;

/** ts() of http.ts without the regex (hot in 1,000-node pages): 2026-11-25T15:21:02.422000+00:00 */
function ts(d: Date): string;
function ts(d: Date | null | undefined): string | null;
function ts(d: Date | null | undefined): string | null {
  if (!d) return null;
  const iso = d.toISOString();
  return iso.length === 24 ? `${iso.slice(0, 23)}000+00:00` : iso.replace(/\.(\d{3})Z$/, ".$1000+00:00");
}

function isEmpty(d: object): boolean {
  for (const _ in d) return false;
  return true;
}
type Dict = Record<string, unknown>;
/** maskSecrets without the deep copy for the (common) empty dict. */
const masked = (d: Dict | null | undefined): Dict => (d && !isEmpty(d) ? maskSecrets(d) : {});
const maskedInstance = (d: Dict | null | undefined): Dict => (d && !isEmpty(d) ? maskInstanceInfo(d) : {});

/** API field → [min minor, getter]. Order = the order real Ironic emits a full node in. */
const FIELDS: FieldDef<NodeRecord, ApiNode>[] = [
  ["uuid", 1, (n) => n.uuid],
  ["created_at", 1, (n) => ts(n.createdAt)],
  ["updated_at", 1, (n) => ts(n.updatedAt)],
  ["automated_clean", 47, (n) => n.automatedClean],
  ["bios_interface", 40, (n) => n.biosInterface],
  ["boot_interface", 31, (n) => n.bootInterface],
  ["boot_mode", 75, (n) => n.bootMode],
  ["clean_step", 7, (n) => n.cleanStep ?? {}],
  ["conductor_group", 46, (n) => n.conductorGroup ?? ""],
  ["console_enabled", 1, (n) => n.consoleEnabled],
  ["console_interface", 31, (n) => n.consoleInterface],
  ["deploy_interface", 31, (n) => n.deployInterface],
  ["deploy_step", 44, (n) => n.deployStep ?? {}],
  ["description", 51, (n) => n.description],
  ["disable_power_off", 95, (n) => n.disablePowerOff],
  ["driver", 1, (n) => n.driver],
  ["driver_info", 1, (n) => masked(n.driverInfo)],
  ["driver_internal_info", 3, (n) => masked(n.driverInternalInfo)],
  ["extra", 1, (n) => n.extra ?? {}],
  ["fault", 42, (n) => n.fault],
  ["firmware_interface", 86, (n) => n.firmwareInterface],
  ["inspection_finished_at", 6, (n) => ts(n.inspectionFinishedAt)],
  ["inspection_started_at", 6, (n) => ts(n.inspectionStartedAt)],
  ["inspect_interface", 31, (n) => n.inspectInterface],
  ["instance_info", 1, (n) => maskedInstance(n.instanceInfo)],
  ["instance_name", 104, (n) => n.instanceName],
  ["instance_uuid", 1, (n) => n.instanceUuid],
  ["last_error", 1, (n) => n.lastError],
  ["lessee", 65, (n) => n.lessee],
  ["maintenance", 1, (n) => n.maintenance],
  ["maintenance_reason", 1, (n) => n.maintenanceReason],
  ["management_interface", 31, (n) => n.managementInterface],
  ["name", 5, (n) => n.name],
  ["network_data", 66, (n) => n.networkData ?? {}],
  ["network_interface", 20, (n) => n.networkInterface],
  ["owner", 50, (n) => n.owner],
  ["parent_node", 83, (n) => n.parentNode],
  ["power_interface", 31, (n) => n.powerInterface],
  ["power_state", 1, (n) => n.powerState],
  ["properties", 1, (n) => n.properties ?? {}],
  ["protected", 48, (n) => n.protected],
  ["protected_reason", 48, (n) => n.protectedReason],
  ["provision_state", 1, (n) => n.provisionState],
  ["provision_updated_at", 1, (n) => ts(n.provisionUpdatedAt)],
  ["raid_config", 12, (n) => n.raidConfig ?? {}],
  ["raid_interface", 31, (n) => n.raidInterface],
  ["rescue_interface", 38, (n) => n.rescueInterface],
  ["reservation", 1, (n) => n.reservation],
  ["resource_class", 21, (n) => n.resourceClass],
  ["retired", 61, (n) => n.retired],
  ["retired_reason", 61, (n) => n.retiredReason],
  ["secure_boot", 75, (n) => n.secureBoot],
  ["service_step", 87, (n) => n.serviceStep ?? {}],
  ["shard", 82, (n) => n.shard],
  ["storage_interface", 33, (n) => n.storageInterface],
  ["target_power_state", 1, (n) => n.targetPowerState],
  ["target_provision_state", 1, (n) => n.targetProvisionState],
  ["target_raid_config", 12, (n) => n.targetRaidConfig ?? {}],
  ["traits", 37, (n) => [...(n.traits ?? [])]],
  ["vendor_interface", 31, (n) => n.vendorInterface],
];

/** Computed fields, emitted after `links` in this order. */
const COMPUTED: [keyof ApiNode, number][] = [
  ["conductor", 49],
  ["allocation_uuid", 52],
  ["chassis_uuid", 1],
];

/** Link lists emitted last, only when `fields` is not given. */
const SUB_LINKS: [keyof ApiNode, number][] = [
  ["ports", 1],
  ["states", 14],
  ["portgroups", 24],
  ["volume", 32],
];

/** Minimum minor version of every node field (for fields=, filters, PATCH gates). */
export const NODE_FIELD_VERSIONS: Readonly<Record<string, number>> = Object.fromEntries([
  ...FIELDS.map(([k, v]) => [k, v] as const),
  ...COMPUTED,
]);

/** Fields `?fields=` accepts (Ironic refuses created_at/updated_at there). */
const SELECTABLE = new Set(Object.keys(NODE_FIELD_VERSIONS).filter((f) => f !== "created_at" && f !== "updated_at"));

export const DEFAULT_LIST_FIELDS = ["instance_uuid", "maintenance", "power_state", "provision_state", "uuid", "name"];

/** Node fields the client may name in ?fields= at this version; throws 400/406 like Ironic. */
export function parseNodeFields(raw: string | null, minor: number): string[] | null {
  if (raw === null) return null;
  if (minor < 8) throw new NotAcceptable("Request not acceptable.");
  const fields = raw.split(",").map((f) => f.trim()).filter(Boolean);
  for (const f of fields) {
    if (!SELECTABLE.has(f)) throw new Invalid(`Field ${f} is not a valid field.`);
  }
  for (const f of fields) {
    if (minor < NODE_FIELD_VERSIONS[f]) throw new NotAcceptable("Request not acceptable.");
  }
  return [...new Set(fields)];
}

/** The lookups a page of nodes needs beyond the rows themselves. */
export interface NodeViewContext {
  base: string;
  minor: number;
  principal: Principal;
  conductor: (n: NodeRecord) => string | null;
  allocationUuid: Map<number, string>;
  chassisUuid: Map<number, string>;
}

/**
 * Prepares the batch lookups for serializing `nodes`. `need` limits work to the fields that
 * will be shown (null = all).
 */
export async function buildViewContext(
  nodes: NodeRecord[],
  opts: { base: string; minor: number; principal: Principal; fields?: string[] | null },
): Promise<NodeViewContext> {
  const want = (f: string) => (!opts.fields || opts.fields.includes(f)) && opts.minor >= NODE_FIELD_VERSIONS[f];
  const lookups = await nodeViewLookups(nodes, { conductor: want("conductor"), allocation: want("allocation_uuid"), chassis: want("chassis_uuid") });
  return { base: opts.base, minor: opts.minor, principal: opts.principal, ...lookups };
}

/** The node link pair: [{self}, {bookmark}] for nodes/<uuid>. Other resources use it for node links. */
export function nodeLinks(base: string, uuid: string) {
  return links(base, `nodes/${uuid}`);
}

/** Link pair for a node sub-resource (ports, states, portgroups, volume, ...). */
export function nodeSubLinks(base: string, uuid: string, sub: string) {
  return links(base, `nodes/${uuid}/${sub}`);
}

function fieldValue(n: NodeRecord, name: string, get: Getter, vc: NodeViewContext): unknown {
  if (name === "provision_state") return provisionStateAtVersion(n.provisionState, vc.minor);
  return get(n);
}

function redact(out: Record<string, unknown>, n: NodeRecord, p: Principal): void {
  if (aboveThreshold(p)) return;
  const target = { owner: n.owner, lessee: n.lessee };
  if ("last_error" in out) out.last_error = lastErrorSeenBy(n, p);
  if ("reservation" in out && !authorize("baremetal:node:get:reservation", p, target)) out.reservation = REDACTED_RESERVATION;
  if ("driver_internal_info" in out && !authorize("baremetal:node:get:driver_internal_info", p, target)) {
    out.driver_internal_info = { ...REDACTED_DII };
  }
  if ("driver_info" in out && !mayReadDriverInfo(n, p)) out.driver_info = { ...REDACTED_DRIVER_INFO };
}

function computedValue(n: NodeRecord, name: string, vc: NodeViewContext): unknown {
  switch (name) {
    case "conductor":
      return vc.conductor(n);
    case "allocation_uuid":
      return n.allocationId != null ? (vc.allocationUuid.get(n.allocationId) ?? null) : null;
    case "chassis_uuid":
      return n.chassisId != null ? (vc.chassisUuid.get(n.chassisId) ?? null) : null;
  }
  return null;
}

/**
 * One node as Ironic shows it. With `fields`: uuid first (if asked), the rest in the order asked,
 * then links and the asked computed fields — exactly as real Ironic orders them.
 */
export function nodeView(n: NodeRecord, vc: NodeViewContext, fields: string[] | null = null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const minor = vc.minor;
  if (fields) {
    if (fields.includes("uuid")) out.uuid = n.uuid;
    for (const f of fields) {
      if (f === "uuid" || COMPUTED.some(([c]) => c === f)) continue;
      const def = FIELD_INDEX.get(f);
      if (!def || minor < def[1]) continue;
      out[f] = fieldValue(n, f, def[2], vc);
    }
    out.links = nodeLinks(vc.base, n.uuid);
    for (const [c, v] of COMPUTED) if (fields.includes(c) && minor >= v) out[c] = computedValue(n, c, vc);
  } else {
    for (const [name, get] of fieldsFor(minor)) out[name] = name === "provision_state" ? provisionStateAtVersion(n.provisionState, minor) : get(n);
    out.links = nodeLinks(vc.base, n.uuid);
    for (const [c, v] of COMPUTED) if (minor >= v) out[c] = computedValue(n, c, vc);
    for (const [s, v] of SUB_LINKS) if (minor >= v) out[s] = nodeSubLinks(vc.base, n.uuid, s);
  }
  redact(out, n, vc.principal);
  return out;
}

const FIELD_INDEX = new Map<string, FieldDef<NodeRecord, ApiNode>>(FIELDS.map((f) => [f[0], f]));

const FIELDS_BY_MINOR = new Map<number, [string, Getter][]>();
function fieldsFor(minor: number): [string, Getter][] {
  let list = FIELDS_BY_MINOR.get(minor);
  if (!list) {
    list = FIELDS.filter(([, v]) => minor >= v).map(([name, , get]) => [name, get] as [string, Getter]);
    FIELDS_BY_MINOR.set(minor, list);
  }
  return list;
}

/** Serializes one node with its lookups (single GET/PATCH/POST). */
export async function renderNode(
  n: NodeRecord,
  opts: { base: string; minor: number; principal: Principal; fields?: string[] | null },
): Promise<Record<string, unknown>> {
  const vc = await buildViewContext([n], opts);
  return nodeView(n, vc, opts.fields ?? null);
}

/** Serializes a page of nodes with batched lookups. */
export async function renderNodes(
  nodes: NodeRecord[],
  opts: { base: string; minor: number; principal: Principal; fields?: string[] | null },
): Promise<Record<string, unknown>[]> {
  const vc = await buildViewContext(nodes, opts);
  const fields = opts.fields ?? null;
  return nodes.map((n) => nodeView(n, vc, fields));
}


// ---- rendering cache for list pages ----
// A node's JSON only changes when its row does (every write bumps `version`), so list pages reuse
// the text rendered for the same node, version, microversion, field set, caller (redaction),
// conductors and base URL. This keeps a 1,000-node detail page to a light query plus joins.

/**
 * Node id → rendering variant (the page's key: microversion, fields, caller, conductors, base) →
 * the bytes of one version. By id first: a page looks its nodes up by number with one variant
 * string, instead of building and hashing a long key per node.
 */
const RENDER_CACHE = new Map<number, Map<string, { version: number; json: Buffer }>>();
const RENDER_CACHE_LIMIT = Math.max(0, Number(process.env.INGOT_NODE_RENDER_CACHE ?? 20000) || 0);
let renderCacheEntries = 0;

function cacheRendering(id: number, variant: string, entry: { version: number; json: Buffer }): void {
  let variants = RENDER_CACHE.get(id);
  if (!variants) RENDER_CACHE.set(id, (variants = new Map()));
  if (!variants.has(variant)) renderCacheEntries++;
  variants.set(variant, entry);
}

/** Drops the nodes cached first (at least a tenth of the limit) once there are too many renderings. */
function evictRenderCache(): void {
  const excess = renderCacheEntries - RENDER_CACHE_LIMIT;
  if (excess <= 0) return;
  let drop = Math.max(excess, Math.floor(RENDER_CACHE_LIMIT / 10));
  for (const [id, variants] of RENDER_CACHE) {
    RENDER_CACHE.delete(id);
    renderCacheEntries -= variants.size;
    drop -= variants.size;
    if (drop <= 0) break;
  }
}

/**
 * The UTF-8 bytes of `text` in a buffer of their own: Buffer.from() carves small buffers out of
 * shared 8 KiB slabs, and a cached 3-4 KiB node would keep a whole slab alive (measured: twice
 * the memory).
 */
function exactBuffer(text: string): Buffer {
  const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
  buf.write(text);
  return buf;
}

/**
 * What the redactions depend on besides the node ("" = nothing is redacted for this caller): the
 * policy's inputs from the principal. With the node's owner and lessee, which a new version
 * covers, they decide every redaction.
 */
function redactionKey(p: Principal): string {
  if (aboveThreshold(p)) return "";
  return JSON.stringify([p.systemRole, p.projectId, p.projectRole]);
}

/**
 * The JSON of each node of a page as UTF-8 bytes, in order: cached renderings where the node's
 * version is unchanged, fresh ones (loaded and rendered in one batch) for the rest. Bytes, so a
 * page is assembled with one copy instead of re-encoding half a megabyte of text.
 */
export async function renderNodePageJson(
  heads: NodeHead[],
  opts: { base: string; minor: number; principal: Principal; fields?: string[] | null },
): Promise<Buffer[]> {
  const fields = opts.fields ?? null;
  const fieldsKey = fields ? fields.join(",") : "*";
  const wantConductor = (!fields || fields.includes("conductor")) && opts.minor >= NODE_FIELD_VERSIONS.conductor;
  const conductors = wantConductor && heads.length ? await ringConductors() : null;
  // A node's conductor follows from its uuid, driver and group (covered by its version) and the
  // alive conductors (the ring key): hits need no hashing.
  const ringKey = conductors ? ringFingerprint(conductors) : "";
  // JSON: no client-chosen part (the base URL) can run into another.
  const variant = JSON.stringify([opts.minor, fieldsKey, redactionKey(opts.principal), ringKey, opts.base]);
  const out: Buffer[] = new Array(heads.length);
  const missing: number[] = [];
  for (let i = 0; i < heads.length; i++) {
    const h = heads[i];
    const hit = RENDER_CACHE.get(h.id)?.get(variant);
    if (hit && hit.version === h.version) out[i] = hit.json;
    else missing.push(i);
  }
  if (missing.length) {
    const nodes = await nodesByIds(missing.map((i) => heads[i].id));
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const vc = await buildViewContext(nodes, { ...opts, fields });
    if (conductors) {
      const lookup = ringLookup(conductors);
      vc.conductor = (n) => lookup({ uuid: n.uuid, driver: n.driver, conductorGroup: n.conductorGroup });
    }
    for (const i of missing) {
      const n = byId.get(heads[i].id);
      if (!n) continue; // deleted between the two queries
      const json = exactBuffer(JSON.stringify(nodeView(n, vc, fields)));
      out[i] = json;
      // Cache under the version actually rendered (the row may have moved on since the head query).
      if (RENDER_CACHE_LIMIT > 0) cacheRendering(n.id, variant, { version: n.version, json });
    }
    evictRenderCache();
  }
  return out.filter((b) => b !== undefined);
}
