// Node sub-resources: traits, vifs, maintenance, management (boot device, NMI, indicators),
// validate, history, bios, inventory, ports/portgroups/volume sub-collections, vendor passthru,
// allocation (reference §2.3, §2.10, §2.12, §5.5).
import type { BiosCacheRow } from "../../core/bios.ts";
import { historyStructure, type HistoryRow } from "../../core/history.ts";
import { toDate } from "../../core/db/values.ts";
import { Invalid, NotAcceptable, NotFound } from "../../core/errors.ts";
import {
  addTrait, attachVif, biosSetting, biosSettings, bootDevice, clearMaintenance, deleteNodeAllocation, detachVif, indicatorState,
  injectNmi, listIndicators, listVifs, getNodeAllocation, nodeHistory, nodeHistoryRecord, nodeInventory, nodeTraits, removeAllTraits,
  removeTrait, replaceTraits, setBootDevice, setIndicatorState, setMaintenance, supportedBootDevices, validateNode, vendorMethods as listVendorMethods,
  vendorPassthru,
} from "../../core/services/node_subresources.ts";
import { userNamesOf } from "../../core/services/users.ts";
import type { ApiBiosSetting, ApiHistoryEvent, ApiValidation } from "../../shared/wire.ts";
import { parseLimit } from "../collection.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import type { Method, NodeContext, RouteDef } from "../router.ts";
import { isUuidLike, TRAITS_SCHEMA, validateTrait, validateTraits } from "../validators.ts";
import { schemaCheck, type Schema } from "../schema.ts";
import { queryBool, unexpectedArgs } from "./nodes.ts";
import { ALLOCATION_FIELD_VERSIONS, allocationView } from "./allocations.ts";
import { listPortgroups } from "./portgroups.ts";
import { parseResourceFields } from "./resource_common.ts";
import { listPorts } from "./ports.ts";
import { listVolume, volumeDocument } from "./volume.ts";

function gate(ctx: ApiContext, minor: number, status: 404 | 406 = 406): void {
  if (ctx.minor >= minor) return;
  if (status === 406) throw new NotAcceptable("Request not acceptable.");
  throw new NotFound("The resource could not be found.");
}

function bodyObject(ctx: NodeContext, what = "body"): Record<string, unknown> {
  const b = ctx.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== "object" || Array.isArray(b)) throw new Invalid(`Schema error for ${what}: ${pyRepr(b)} is not of type 'object'`);
  return b as Record<string, unknown>;
}

function onlyKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  const bad = Object.keys(body).filter((k) => !allowed.includes(k));
  if (bad.length) throw new Invalid(`Unexpected arguments: ${bad.join(", ")}`);
}

function identPath(ctx: NodeContext): string {
  return encodeURIComponent(ctx.params.node);
}

/** What the services need to know of the request beyond its arguments. */
function callOptions(ctx: NodeContext): { requestId: string; named: string } {
  return { requestId: ctx.requestId, named: ctx.params.node };
}

// ---- traits (1.37) ----

const TRAITS_USAGE =
  "A single node trait may be added via PUT /v1/nodes/<node identifier>/traits/<trait> with no body, or all node traits may be replaced via PUT /v1/nodes/<node identifier>/traits with the list of traits specified in the request body.";

async function getTraits(ctx: NodeContext): Promise<Response> {
  gate(ctx, 37);
  return json(ctx, { traits: await nodeTraits(ctx.principal, ctx.node) });
}

/** Ironic's TRAITS_SCHEMA for the PUT /traits body. */
const TRAITS_BODY_SCHEMA: Schema = {
  type: "object",
  properties: { traits: { type: "array", items: TRAITS_SCHEMA } },
  additionalProperties: false,
};

async function putTraits(ctx: NodeContext): Promise<Response> {
  gate(ctx, 37);
  const b = ctx.body;
  // As Ironic: the body's schema first, then whether it says what to do.
  if (b !== undefined && b !== null) schemaCheck("body", TRAITS_BODY_SCHEMA, b);
  if (b === undefined || b === null || !Object.hasOwn(b as object, "traits")) throw new Invalid(TRAITS_USAGE);
  const traits = validateTraits((b as Record<string, unknown>).traits, "body");
  await replaceTraits(ctx.principal, ctx.node, traits);
  return empty(ctx, 204);
}

async function putTrait(ctx: NodeContext): Promise<Response> {
  gate(ctx, 37);
  if (ctx.body !== undefined) throw new Invalid(TRAITS_USAGE);
  const trait = validateTrait(ctx.params.trait, "trait");
  await addTrait(ctx.principal, ctx.node, trait);
  return empty(ctx, 204, { Location: `${ctx.base}/v1/nodes/${identPath(ctx)}/traits/${encodeURIComponent(trait)}` });
}

async function deleteTraits(ctx: NodeContext): Promise<Response> {
  gate(ctx, 37);
  await removeAllTraits(ctx.principal, ctx.node);
  return empty(ctx, 204);
}

async function deleteTrait(ctx: NodeContext): Promise<Response> {
  gate(ctx, 37);
  await removeTrait(ctx.principal, ctx.node, ctx.params.trait);
  return empty(ctx, 204);
}

// ---- vifs (1.28) ----

async function getVifs(ctx: NodeContext): Promise<Response> {
  const vifs = await listVifs(ctx.principal, ctx.node);
  return json(ctx, { vifs: vifs.map((v) => ({ id: v.id })) });
}

async function postVif(ctx: NodeContext): Promise<Response> {
  const body = bodyObject(ctx, "vif");
  const allowed = ctx.minor >= 67 ? ["id", "port_uuid", "portgroup_uuid"] : ["id"];
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) {
    throw new Invalid(`Schema error for vif: Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`);
  }
  if (!("id" in body)) throw new Invalid("Schema error for vif: 'id' is a required property");
  if (typeof body.id !== "string") throw new Invalid(`Schema error for vif: ${pyRepr(body.id)} is not of type 'string'`);
  if (body.port_uuid !== undefined && body.portgroup_uuid !== undefined) {
    throw new Invalid("Cannot specify both port_uuid and portgroup_uuid.");
  }
  for (const k of ["port_uuid", "portgroup_uuid"] as const) {
    if (body[k] !== undefined && !isUuidLike(body[k])) throw new Invalid(`Expected UUID for ${k}: ${String(body[k])}`);
  }
  const vif: { id: string; port_uuid?: string; portgroup_uuid?: string } = { id: body.id };
  if (typeof body.port_uuid === "string") vif.port_uuid = body.port_uuid.toLowerCase();
  if (typeof body.portgroup_uuid === "string") vif.portgroup_uuid = body.portgroup_uuid.toLowerCase();
  await attachVif(ctx.principal, ctx.node, vif, callOptions(ctx));
  return empty(ctx, 204);
}

async function deleteVif(ctx: NodeContext): Promise<Response> {
  await detachVif(ctx.principal, ctx.node, ctx.params.vif, callOptions(ctx));
  return empty(ctx, 204);
}

// ---- maintenance ----

async function putMaintenance(ctx: NodeContext): Promise<Response> {
  const body = bodyObject(ctx);
  onlyKeys(body, ["reason"]);
  const reason = body.reason;
  if (reason !== undefined && reason !== null && typeof reason !== "string") {
    throw new Invalid(`Expected string for reason: ${typeof reason === "object" ? pyRepr(reason) : String(reason)}`);
  }
  await setMaintenance(ctx.principal, ctx.node, (reason as string | null | undefined) ?? null, callOptions(ctx));
  return empty(ctx, 202);
}

async function deleteMaintenance(ctx: NodeContext): Promise<Response> {
  await clearMaintenance(ctx.principal, ctx.node, callOptions(ctx));
  return empty(ctx, 202);
}

// ---- management ----

async function getBootDevice(ctx: NodeContext): Promise<Response> {
  const d = await bootDevice(ctx.principal, ctx.node);
  return json(ctx, { boot_device: d.boot_device, persistent: d.persistent });
}

async function getSupportedBootDevices(ctx: NodeContext): Promise<Response> {
  const list = await supportedBootDevices(ctx.principal, ctx.node);
  return json(ctx, { supported_boot_devices: list });
}

async function putBootDevice(ctx: NodeContext): Promise<Response> {
  const body = bodyObject(ctx);
  onlyKeys(body, ["boot_device", "persistent"]);
  if (body.boot_device === undefined || body.boot_device === null) throw new Invalid("Missing mandatory parameter: boot_device");
  if (typeof body.boot_device !== "string") throw new Invalid(`Expected string for boot_device: ${pyRepr(body.boot_device)}`);
  let persistent = false;
  if (body.persistent !== undefined && body.persistent !== null) {
    const p = body.persistent;
    if (typeof p === "boolean") persistent = p;
    else if (typeof p === "string") persistent = queryBool("persistent", p);
    else throw new Invalid(`Invalid persistent: Unrecognized value '${String(p)}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`);
  }
  await setBootDevice(ctx.principal, ctx.node, body.boot_device, persistent, callOptions(ctx));
  return empty(ctx, 204);
}

async function putInjectNmi(ctx: NodeContext): Promise<Response> {
  gate(ctx, 29, 404);
  const body = bodyObject(ctx);
  onlyKeys(body, []);
  await injectNmi(ctx.principal, ctx.node, callOptions(ctx));
  return empty(ctx, 204);
}

function splitIndicator(raw: string): [string, string] {
  const at = raw.lastIndexOf("@");
  if (at <= 0 || at === raw.length - 1) throw new Invalid(`Malformed indicator name "${raw}"`);
  return [raw.slice(0, at), raw.slice(at + 1)];
}

async function getIndicators(ctx: NodeContext): Promise<Response> {
  const list = await listIndicators(ctx.principal, ctx.node);
  const base = `nodes/${identPath(ctx)}/management/indicators`;
  return json(ctx, {
    indicators: list.map((i) => {
      const name = `${i.name}@${i.component}`;
      return { name, component: i.component, readonly: i.readonly, states: i.states, links: links(ctx.base, `${base}/${name}`) };
    }),
  });
}

async function getIndicator(ctx: NodeContext): Promise<Response> {
  const [indicator, component] = splitIndicator(ctx.params.indicator);
  const state = await indicatorState(ctx.principal, ctx.node, indicator, component);
  return json(ctx, { state });
}

async function putIndicator(ctx: NodeContext): Promise<Response> {
  const [indicator, component] = splitIndicator(ctx.params.indicator);
  const body = bodyObject(ctx);
  onlyKeys(body, ["state"]);
  if (body.state === undefined || body.state === null) throw new Invalid("Missing mandatory parameter: state");
  if (typeof body.state !== "string") throw new Invalid(`Expected string for state: ${pyRepr(body.state)}`);
  await setIndicatorState(ctx.principal, ctx.node, indicator, component, body.state, callOptions(ctx));
  return empty(ctx, 204);
}

// ---- validate ----

async function getValidate(ctx: NodeContext): Promise<Response> {
  const result = await validateNode(ctx.principal, ctx.node);
  const out: ApiValidation = {};
  for (const [k, v] of Object.entries(result)) {
    if (k === "firmware" && ctx.minor < 86) continue;
    out[k] = v.result === true || v.reason === undefined ? { result: v.result } : { result: v.result, reason: v.reason };
    if (v.result !== true && v.reason !== undefined) out[k] = { result: v.result, reason: v.reason };
  }
  return json(ctx, out);
}

// ---- history (1.78) ----

/**
 * One history row. `structured` (Ingot's `structured=True`, docs/api-extensions.md) adds the row's
 * structured fields last, with the user name behind `user` (`names`: user id → name); without it
 * the answer is Ironic's, byte for byte.
 */
function historyView(r: HistoryRow, detail: boolean, minor: number, names: Record<string, string> | null): ApiHistoryEvent {
  const out: ApiHistoryEvent = {
    uuid: r.uuid,
    created_at: ts(toDate(r.createdAt)),
    severity: r.severity,
    event: detail ? r.event : r.event.length > 255 ? `${r.event.slice(0, 252)}...` : r.event,
  };
  if (detail) {
    out.event_type = r.eventType;
    out.conductor = r.conductor;
    out.user = r.user;
    if (minor >= 113) out.project = r.project;
  }
  if (names) out.structured = { ...historyStructure(r), user_name: (r.user && names[r.user]) || null };
  return out;
}

/** Ingot's `structured` query parameter (any microversion the history answers at). */
function wantsStructure(q: URLSearchParams): boolean {
  const raw = q.get("structured");
  return raw !== null && queryBool("structured", raw);
}

async function listHistory(ctx: NodeContext, detailPath = false): Promise<Response> {
  unexpectedArgs(ctx, detailPath ? ["marker", "limit", "structured"] : ["detail", "marker", "limit", "structured"]);
  const q = ctx.url.searchParams;
  const detail = detailPath || (q.has("detail") ? queryBool("detail", q.get("detail")!) : false);
  const structured = wantsStructure(q);
  const limit = parseLimit(q.get("limit"));
  const marker = q.get("marker");
  if (marker !== null && !isUuidLike(marker)) throw new Invalid(`Expected UUID for marker: ${marker}`);
  const rows = await nodeHistory(ctx.principal, ctx.node, { limit, marker });
  const names = structured ? await userNamesOf(rows.map((r) => r.user)) : null;
  const body: Record<string, unknown> = { history: rows.map((r) => historyView(r, detail, ctx.minor, names)) };
  if (rows.length === limit && rows.length > 0) {
    const p = new URLSearchParams();
    if (q.has("detail")) p.set("detail", detail ? "True" : "False");
    p.set("limit", String(limit));
    p.set("marker", rows[rows.length - 1].uuid);
    if (structured) p.set("structured", "True");
    body.next = `${ctx.base}/v1/nodes/${identPath(ctx)}/history${detailPath ? "/detail" : ""}?${p.toString()}`;
  }
  return json(ctx, body);
}

async function getHistoryEvent(ctx: NodeContext): Promise<Response> {
  const row = await nodeHistoryRecord(ctx.principal, ctx.node, ctx.params.event);
  const names = wantsStructure(ctx.url.searchParams) ? await userNamesOf([row.user]) : null;
  return json(ctx, historyView(row, true, ctx.minor, names));
}

// ---- bios (1.40) ----

const BIOS_REGISTRY = [
  "attribute_type", "allowable_values", "lower_bound", "max_length", "min_length", "read_only", "reset_required", "unique", "upper_bound",
] as const;
const BIOS_FIELDS: readonly (keyof ApiBiosSetting & string)[] = ["created_at", "updated_at", "name", "value", ...BIOS_REGISTRY, "links"];

/**
 * One BIOS setting as Ironic shows it: created_at, updated_at, name, value (+ registry fields
 * with detail or ≥1.74 on a single setting), links. With ?fields= Ironic 21.4 still always
 * answers created_at, updated_at and links beside the requested fields; an unknown registry
 * list shows as [] (verified against Ironic 21.4).
 */
function biosView(ctx: NodeContext, r: BiosCacheRow, detail: boolean, fields: string[] | null): Record<string, unknown> {
  const full: Partial<ApiBiosSetting> = {
    created_at: ts(r.createdAt),
    updated_at: ts(r.updatedAt),
    name: r.name,
    value: r.value,
  };
  if (detail || fields) {
    full.attribute_type = r.attributeType;
    full.allowable_values = r.allowableValues ?? [];
    full.lower_bound = r.lowerBound;
    full.max_length = r.maxLength;
    full.min_length = r.minLength;
    full.read_only = r.readOnly;
    full.reset_required = r.resetRequired;
    full.unique = r.unique;
    full.upper_bound = r.upperBound;
  }
  full.links = links(ctx.base, `nodes/${ctx.node.uuid}/bios/${encodeURIComponent(r.name)}`);
  if (!fields) return full;
  const out: Record<string, unknown> = {};
  for (const f of BIOS_FIELDS) {
    if ((f === "created_at" || f === "updated_at" || f === "links" || fields.includes(f)) && f in full) out[f] = full[f];
  }
  return out;
}

async function listBios(ctx: NodeContext): Promise<Response> {
  const q = ctx.url.searchParams;
  unexpectedArgs(ctx, ["detail", "fields"]);
  let detail = false;
  if (q.has("detail")) {
    if (ctx.minor < 74) throw new Invalid(`Invalid query parameter ?detail=${q.get("detail")} received.`);
    detail = queryBool("detail", q.get("detail")!);
  }
  let fields: string[] | null = null;
  if (q.has("fields")) {
    if (ctx.minor < 74) throw new NotAcceptable("Request not acceptable.");
    fields = q.get("fields")!.split(",").map((f) => f.trim()).filter(Boolean);
    for (const f of fields) if (!(BIOS_FIELDS as readonly string[]).includes(f) || f === "links") throw new Invalid(`Field ${f} is not a valid field.`);
    if (detail) throw new Invalid("Can not specify ?detail=True and fields in the same request.");
  }
  const rows = await biosSettings(ctx.principal, ctx.node);
  return json(ctx, { bios: rows.map((r) => biosView(ctx, r, detail, fields)) });
}

async function getBios(ctx: NodeContext): Promise<Response> {
  const name = ctx.params.setting;
  const row = await biosSetting(ctx.principal, ctx.node, name);
  return json(ctx, { [name]: biosView(ctx, row, ctx.minor >= 74, null) });
}

// ---- inventory (1.81) ----

async function getInventory(ctx: NodeContext): Promise<Response> {
  const stored = await nodeInventory(ctx.principal, ctx.node);
  return json(ctx, { inventory: stored.inventory, plugin_data: stored.pluginData });
}

// ---- allocation (1.52) ----

async function getAllocation(ctx: NodeContext): Promise<Response> {
  unexpectedArgs(ctx, ["fields"]);
  const a = await getNodeAllocation(ctx.principal, ctx.node, callOptions(ctx));
  return json(ctx, allocationView(a, ctx, parseResourceFields(ctx, ALLOCATION_FIELD_VERSIONS)));
}

async function deleteAllocation(ctx: NodeContext): Promise<Response> {
  await deleteNodeAllocation(ctx.principal, ctx.node, callOptions(ctx));
  return empty(ctx, 204);
}

// ---- vendor passthru ----

async function vendorMethods(ctx: NodeContext): Promise<Response> {
  return json(ctx, await listVendorMethods(ctx.principal, ctx.node));
}

async function vendorCall(ctx: NodeContext): Promise<Response> {
  const method = ctx.url.searchParams.get("method");
  if (!method) throw new Invalid("Missing mandatory parameter: method");
  const r = await vendorPassthru(ctx.principal, ctx.node, method, ctx.method, ctx.body ?? {}, callOptions(ctx));
  if (r.async) return empty(ctx, 202);
  return json(ctx, r.result ?? null, 200);
}

// ---- sub-collections ----

function subPath(ctx: NodeContext, sub: string): string {
  return `nodes/${identPath(ctx)}/${sub}`;
}

async function nodePorts(ctx: NodeContext, detail: boolean): Promise<Response> {
  return listPorts(ctx, { nodeId: ctx.node.id, resource: subPath(ctx, "ports"), detailPath: detail });
}

async function nodePortgroups(ctx: NodeContext, detail: boolean): Promise<Response> {
  return listPortgroups(ctx, { nodeId: ctx.node.id, resource: subPath(ctx, "portgroups"), detailPath: detail });
}

const VENDOR_METHODS: Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

export const routes: RouteDef[] = [
  // traits: below 1.37 Ironic answers 406 (the handlers gate)
  { method: "GET", path: "/v1/nodes/:node/traits", policy: "baremetal:node:traits:list", handler: getTraits },
  { method: "PUT", path: "/v1/nodes/:node/traits", policy: "baremetal:node:traits:set", handler: putTraits },
  { method: "DELETE", path: "/v1/nodes/:node/traits", policy: "baremetal:node:traits:delete", handler: deleteTraits },
  { method: "PUT", path: "/v1/nodes/:node/traits/:trait", policy: "baremetal:node:traits:set", handler: putTrait },
  { method: "DELETE", path: "/v1/nodes/:node/traits/:trait", policy: "baremetal:node:traits:delete", handler: deleteTrait },
  // vifs
  { method: "GET", path: "/v1/nodes/:node/vifs", minVersion: 28, policy: "baremetal:node:vif:list", handler: getVifs },
  { method: "POST", path: "/v1/nodes/:node/vifs", minVersion: 28, policy: "baremetal:node:vif:attach", handler: postVif },
  { method: "DELETE", path: "/v1/nodes/:node/vifs/:vif", minVersion: 28, policy: "baremetal:node:vif:detach", handler: deleteVif },
  // maintenance
  { method: "PUT", path: "/v1/nodes/:node/maintenance", policy: "baremetal:node:set_maintenance", handler: putMaintenance },
  { method: "DELETE", path: "/v1/nodes/:node/maintenance", policy: "baremetal:node:clear_maintenance", handler: deleteMaintenance },
  // management
  { method: "GET", path: "/v1/nodes/:node/management/boot_device", policy: "baremetal:node:get_boot_device", handler: getBootDevice },
  { method: "PUT", path: "/v1/nodes/:node/management/boot_device", policy: "baremetal:node:set_boot_device", handler: putBootDevice },
  { method: "GET", path: "/v1/nodes/:node/management/boot_device/supported", policy: "baremetal:node:get_boot_device", handler: getSupportedBootDevices },
  { method: "PUT", path: "/v1/nodes/:node/management/inject_nmi", policy: "baremetal:node:inject_nmi", handler: putInjectNmi },
  { method: "GET", path: "/v1/nodes/:node/management/indicators", minVersion: 63, policy: "baremetal:node:get_indicator_state", handler: getIndicators },
  { method: "GET", path: "/v1/nodes/:node/management/indicators/:indicator", minVersion: 63, policy: "baremetal:node:get_indicator_state", handler: getIndicator },
  { method: "PUT", path: "/v1/nodes/:node/management/indicators/:indicator", minVersion: 63, policy: "baremetal:node:set_indicator_state", handler: putIndicator },
  // validate
  { method: "GET", path: "/v1/nodes/:node/validate", policy: "baremetal:node:validate", handler: getValidate },
  // history, bios, inventory
  { method: "GET", path: "/v1/nodes/:node/history", minVersion: 78, policy: "baremetal:node:history:get", handler: (ctx) => listHistory(ctx) },
  // python-ironicclient's `history list --long` asks for /history/detail; Ironic 21.4 answers 404
  // there (it looks up an event named "detail"). Ingot serves the detailed list instead.
  { method: "GET", path: "/v1/nodes/:node/history/detail", minVersion: 78, policy: "baremetal:node:history:get", handler: (ctx) => listHistory(ctx, true) },
  { method: "GET", path: "/v1/nodes/:node/history/:event", minVersion: 78, policy: "baremetal:node:history:get", handler: getHistoryEvent },
  { method: "GET", path: "/v1/nodes/:node/bios", minVersion: 40, policy: "baremetal:node:bios:get", handler: listBios },
  { method: "GET", path: "/v1/nodes/:node/bios/:setting", minVersion: 40, policy: "baremetal:node:bios:get", handler: getBios },
  { method: "GET", path: "/v1/nodes/:node/inventory", minVersion: 81, policy: "baremetal:node:inventory:get", handler: getInventory },
  // allocation
  { method: "GET", path: "/v1/nodes/:node/allocation", minVersion: 52, policy: "baremetal:allocation:get", handler: getAllocation },
  { method: "DELETE", path: "/v1/nodes/:node/allocation", minVersion: 52, policy: "baremetal:allocation:delete", handler: deleteAllocation },
  // sub-collections
  { method: "GET", path: "/v1/nodes/:node/ports", handler: (ctx) => nodePorts(ctx, false) },
  { method: "GET", path: "/v1/nodes/:node/ports/detail", handler: (ctx) => nodePorts(ctx, true) },
  { method: "GET", path: "/v1/nodes/:node/portgroups", minVersion: 24, handler: (ctx) => nodePortgroups(ctx, false) },
  { method: "GET", path: "/v1/nodes/:node/portgroups/detail", minVersion: 24, handler: (ctx) => nodePortgroups(ctx, true) },
  { method: "GET", path: "/v1/nodes/:node/volume", minVersion: 32, policy: "baremetal:volume:get", handler: async (ctx) => json(ctx, volumeDocument(ctx, subPath(ctx, "volume"))) },
  { method: "GET", path: "/v1/nodes/:node/volume/connectors", minVersion: 32, handler: (ctx) => listVolume(ctx, "connector", { nodeId: ctx.node.id, resource: subPath(ctx, "volume/connectors") }) },
  { method: "GET", path: "/v1/nodes/:node/volume/targets", minVersion: 32, handler: (ctx) => listVolume(ctx, "target", { nodeId: ctx.node.id, resource: subPath(ctx, "volume/targets") }) },
  // vendor passthru
  { method: "GET", path: "/v1/nodes/:node/vendor_passthru/methods", policy: "baremetal:node:vendor_passthru", handler: vendorMethods },
  ...VENDOR_METHODS.map((m): RouteDef => ({
    method: m, path: "/v1/nodes/:node/vendor_passthru", policy: "baremetal:node:vendor_passthru", handler: vendorCall,
  })),
];
