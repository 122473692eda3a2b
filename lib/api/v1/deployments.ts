// Single-request deployments (Ingot extension, docs/api-extensions.md): one call does what takes
// four in Ironic (allocate or lock a node, attach VIFs, set instance_info, request `active`).
//
// Where a deployment lives (no table of its own): an Allocation row whose uuid is the deployment's
// uuid and whose `extra` carries the DEPLOYMENT_KEY marker, attached to the node, whose
// instance_uuid is that same uuid and whose instance_info holds the image, configdrive and traits.
// The node's tear-down deletes the allocation, so an undeployed deployment disappears by itself.
// Available at every microversion, like the available-steps API.
import { randomUUID } from "node:crypto";
import type { AllocationRecord } from "../../core/allocations.ts";
import type { Actor, ConductorApi } from "../../core/conductor/types.ts";
import type { Dict, NodeRecord } from "../../core/db/nodes.ts";
import {
  Conflict, Forbidden, Invalid, InvalidStateRequested, IronicError, NodeInMaintenance, NodeLocked, NodeNotFound, NodeProtected, NotFound,
} from "../../core/errors.ts";
import { authorize, isSystemScoped } from "../../core/policy.ts";
import { maskInstanceInfo } from "../../core/secrets.ts";
import {
  CLEANING_STATES, inStates, isProvisionState, ProvisionState as PS, SERVICING_STATES, verbAllowedFrom, type ProvisionState,
} from "../../core/states.ts";
import {
  allocateNow, checkDeploymentFree, DEPLOYMENT_KEY, deploymentNamed, deploymentNode, deploymentNodeById, dropAllocation, listDeploymentPage,
  newDeploymentAllocation, placeAllocation, recordedVifs, releaseDeploymentAllocation, reloadDeployment, transferDeployment, undoTransfer,
  volumeTargetsOn, writeDeploymentNode, type Deployment, type DeploymentFilter,
} from "../../core/services/deployments.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import { REDACTED_LAST_ERROR } from "../node_view.ts";
import type { RouteDef } from "../router.ts";
import { isUuidLike, isValidLogicalName, validateTraits } from "../validators.ts";
import { MAX_MINOR } from "../version.ts";
import { actorOf, conductorApi } from "./nodes.ts";
import { listProject, parseResourceList, resourceNext } from "./resource_common.ts";

const IMAGE_KEYS = ["image_source", "image_checksum", "image_os_hash_algo", "image_os_hash_value"] as const;
const CONFIGDRIVE_KEYS = ["meta_data", "network_data", "user_data", "vendor_data"];
/** instance_info keys the deployment manages itself (not accepted in `instance_info`). */
const MANAGED_INSTANCE_KEYS = [...IMAGE_KEYS, "configdrive", "traits", "display_name", "project_id"];

interface Vif {
  id: string;
  port_uuid?: string;
  portgroup_uuid?: string;
}

// ---------------------------------------------------------------------------------------------
// Input checks

function bodyOf(ctx: ApiContext): Record<string, unknown> {
  const b = ctx.body;
  if (b === undefined || b === null || typeof b !== "object" || Array.isArray(b)) {
    throw new Invalid(`Schema error for deployment: ${pyRepr(b ?? null)} is not of type 'object'`);
  }
  return b as Record<string, unknown>;
}

function onlyKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) {
    throw new Invalid(
      `Schema error for deployment: Additional properties are not allowed (${extra.map((k) => pyRepr(k)).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`,
    );
  }
}

function optString(body: Record<string, unknown>, key: string, max = 255): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new Invalid(`Schema error for deployment: ${key}: ${pyRepr(v)} is not of type 'string'`);
  if (v.length > max) throw new Invalid(`Schema error for deployment: ${key}: ${pyRepr(v)} is too long`);
  return v;
}

/** image_source (required on create) and its checksum fields. */
function imageFields(body: Record<string, unknown>, required: boolean): Partial<Record<(typeof IMAGE_KEYS)[number], string>> {
  const out: Partial<Record<(typeof IMAGE_KEYS)[number], string>> = {};
  for (const k of IMAGE_KEYS) {
    const v = optString(body, k, 4096);
    if (v !== undefined) out[k] = v;
  }
  if (required && !out.image_source) throw new Invalid("Schema error for deployment: 'image_source' is a required property");
  if (out.image_source !== undefined && out.image_source.trim() === "") throw new Invalid("Schema error for deployment: image_source must not be empty");
  if ((out.image_os_hash_algo === undefined) !== (out.image_os_hash_value === undefined)) {
    throw new Invalid("Schema error for deployment: image_os_hash_algo and image_os_hash_value must be given together");
  }
  return out;
}

function configdriveField(body: Record<string, unknown>): unknown {
  const cd = body.configdrive;
  if (cd === undefined || cd === null) return undefined;
  if (typeof cd === "string") return cd;
  if (typeof cd !== "object" || Array.isArray(cd)) {
    throw new Invalid(`Schema error for deployment: configdrive: ${pyRepr(cd)} is not of type 'string', 'object'`);
  }
  for (const k of Object.keys(cd)) {
    if (!CONFIGDRIVE_KEYS.includes(k)) throw new Invalid(`Invalid configdrive format: Additional properties are not allowed ('${k}' was unexpected)`);
  }
  for (const k of ["meta_data", "network_data", "vendor_data"]) {
    const v = (cd as Record<string, unknown>)[k];
    if (v !== undefined && (v === null || typeof v !== "object" || Array.isArray(v))) {
      throw new Invalid(`Invalid configdrive format: ${pyRepr(v)} is not of type 'object'`);
    }
  }
  return cd;
}

function vifsField(body: Record<string, unknown>): Vif[] {
  const raw = body.vifs;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Invalid(`Schema error for deployment: vifs: ${pyRepr(raw)} is not of type 'array'`);
  const out: Vif[] = [];
  for (const item of raw) {
    let vif: Vif;
    if (typeof item === "string") vif = { id: item };
    else if (item && typeof item === "object" && !Array.isArray(item)) {
      const o = item as Record<string, unknown>;
      const extra = Object.keys(o).filter((k) => !["id", "port_uuid", "portgroup_uuid"].includes(k));
      if (extra.length) throw new Invalid(`Schema error for deployment: vifs: unexpected key(s) ${extra.map((k) => pyRepr(k)).join(", ")}`);
      if (typeof o.id !== "string") throw new Invalid(`Schema error for deployment: vifs: ${pyRepr(o.id ?? null)} is not of type 'string'`);
      if (o.port_uuid !== undefined && o.portgroup_uuid !== undefined) throw new Invalid("Cannot specify both port_uuid and portgroup_uuid.");
      vif = { id: o.id };
      for (const k of ["port_uuid", "portgroup_uuid"] as const) {
        if (o[k] === undefined) continue;
        if (!isUuidLike(o[k])) throw new Invalid(`Expected UUID for ${k}: ${String(o[k])}`);
        vif[k] = (o[k] as string).toLowerCase();
      }
    } else throw new Invalid(`Schema error for deployment: vifs: ${pyRepr(item)} is not of type 'string', 'object'`);
    if (vif.id.trim() === "" || vif.id.length > 255) throw new Invalid(`Schema error for deployment: vifs: invalid VIF id ${pyRepr(vif.id)}`);
    if (out.some((v) => v.id === vif.id)) throw new Invalid(`Schema error for deployment: vifs: VIF ${vif.id} is listed twice`);
    out.push(vif);
  }
  return out;
}

function instanceInfoField(body: Record<string, unknown>): Dict {
  const v = body.instance_info;
  if (v === undefined || v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) throw new Invalid(`Schema error for deployment: instance_info: ${pyRepr(v)} is not of type 'object'`);
  const managed = Object.keys(v).filter((k) => MANAGED_INSTANCE_KEYS.includes(k));
  if (managed.length) throw new Invalid(`Schema error for deployment: instance_info may not set ${managed.join(", ")}; use the deployment's own fields`);
  return { ...(v as Dict) };
}

// ---------------------------------------------------------------------------------------------
// Loading and visibility

function notFound(ident: string): NotFound {
  return new NotFound(`Deployment ${ident} could not be found.`);
}

/** The deployment by uuid or name, visible to the caller (404 for project callers who can't see it, 403 system). */
async function loadDeployment(ctx: ApiContext, ident: string, rule: string): Promise<Deployment> {
  const found = await deploymentNamed(ident);
  if (!found) throw notFound(ident);
  const { alloc, node } = found;
  if (!authorize("baremetal:deployment:get", ctx.principal, node)) {
    if (isSystemScoped(ctx.principal)) throw new Forbidden();
    throw notFound(ident);
  }
  if (rule !== "baremetal:deployment:get" && !authorize(rule, ctx.principal, node)) throw new Forbidden();
  return { alloc, node };
}

/** A node named in a request (uuid or name) the caller may deploy onto; concealed like Ironic. */
async function targetNode(ctx: ApiContext, ident: unknown, rule: string): Promise<NodeRecord> {
  if (typeof ident !== "string" || ident === "") throw new Invalid(`Schema error for deployment: node: ${pyRepr(ident ?? null)} is not of type 'string'`);
  const node = await deploymentNode(ident);
  if (!node) throw new NodeNotFound(ident);
  if (!authorize("baremetal:node:get", ctx.principal, node)) {
    if (isSystemScoped(ctx.principal)) throw new Forbidden();
    throw new NodeNotFound(ident);
  }
  if (!authorize(rule, ctx.principal, node)) throw new Forbidden();
  return node;
}

/** A node may take a new deployment: available, unassociated, not in maintenance, unlocked, has the traits. */
function checkDeployable(node: NodeRecord, traits: string[]): void {
  if (node.maintenance) throw new NodeInMaintenance("active", node.uuid);
  if (node.reservation) throw new NodeLocked(node.uuid, node.reservation);
  if (node.provisionState !== PS.AVAILABLE) {
    throw new Conflict(`Node ${node.uuid} can not be deployed to: it is in provision state "${node.provisionState}", not "${PS.AVAILABLE}".`);
  }
  if (node.instanceUuid !== null || node.allocationId !== null) {
    throw new Conflict(`Node ${node.uuid} is already associated with instance ${node.instanceUuid ?? "(allocation)"}.`);
  }
  const missing = traits.filter((t) => !node.traits.includes(t));
  if (missing.length) throw new Invalid(`Node ${node.uuid} does not have the requested trait(s) ${missing.join(", ")}.`);
}

// ---------------------------------------------------------------------------------------------
// The view

interface ViewExtras {
  vifs: Map<number, string[]>;
}

/** The step of the operation the node is in now (deploy step while deploying, etc.). */
function progressOf(node: NodeRecord): Dict {
  const s = node.provisionState;
  if (inStates(s, CLEANING_STATES) || s === PS.DELETING) return node.cleanStep ?? {};
  if (inStates(s, SERVICING_STATES)) return node.serviceStep ?? {};
  return node.deployStep ?? {};
}

function deploymentView(d: Deployment, ctx: ApiContext, extras: ViewExtras): Record<string, unknown> {
  const { alloc, node } = d;
  const info = maskInstanceInfo(node.instanceInfo ?? {});
  const mayLastError = authorize("baremetal:node:get:last_error", ctx.principal, node);
  return {
    uuid: alloc.uuid,
    name: alloc.name,
    node_uuid: node.uuid,
    state: node.provisionState,
    target_state: node.targetProvisionState,
    progress: progressOf(node),
    last_error: node.lastError !== null && !mayLastError ? REDACTED_LAST_ERROR : node.lastError,
    image_source: info.image_source ?? null,
    image_checksum: info.image_checksum ?? null,
    image_os_hash_algo: info.image_os_hash_algo ?? null,
    image_os_hash_value: info.image_os_hash_value ?? null,
    traits: Array.isArray(info.traits) ? info.traits : [],
    vifs: extras.vifs.get(node.id) ?? [],
    resource_class: alloc.resourceClass,
    owner: alloc.owner,
    created_at: ts(alloc.createdAt),
    updated_at: ts(latest(alloc.updatedAt, node.updatedAt)),
    links: links(ctx.base, `deployments/${alloc.uuid}`),
    node_links: links(ctx.base, `nodes/${node.uuid}`),
  };
}

function latest(a: Date | null, b: Date | null): Date | null {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}

async function renderOne(ctx: ApiContext, d: Deployment): Promise<Record<string, unknown>> {
  const vifs = new Map<number, string[]>();
  try {
    // The network interface is the authority (ports record them for flat/neutron networks).
    vifs.set(d.node.id, (await (await conductorApi()).vifList(d.node.id)).map((v) => v.id));
  } catch {
    vifs.set(d.node.id, (await recordedVifs([d.node.id])).get(d.node.id) ?? []);
  }
  return deploymentView(d, ctx, { vifs });
}

// ---------------------------------------------------------------------------------------------
// Conductor helpers with rollback

async function attachAll(c: ConductorApi, nodeId: number, vifs: Vif[], actor: Actor): Promise<string[]> {
  const done: string[] = [];
  try {
    for (const v of vifs) {
      await c.vifAttach(nodeId, v, actor);
      done.push(v.id);
    }
  } catch (err) {
    await detachQuietly(c, nodeId, done, actor);
    throw err;
  }
  return done;
}

async function detachQuietly(c: ConductorApi, nodeId: number, ids: string[], actor: Actor): Promise<void> {
  for (const id of ids) await c.vifDetach(nodeId, id, actor).catch(() => undefined);
}

function isUnique(err: unknown): boolean {
  return /UNIQUE constraint failed|duplicate key value/i.test(String((err as Error)?.message ?? ""));
}

// ---------------------------------------------------------------------------------------------
// POST /v1/deployments

const CREATE_KEYS = [
  "uuid", "name", "node", "resource_class", "traits", "candidate_nodes", "owner", ...IMAGE_KEYS, "configdrive", "vifs", "instance_info",
];

async function createDeployment(ctx: ApiContext): Promise<Response> {
  const body = bodyOf(ctx);
  onlyKeys(body, CREATE_KEYS);
  const who = ctx.principal;

  const image = imageFields(body, true);
  const configdrive = configdriveField(body);
  const vifs = vifsField(body);
  const extraInfo = instanceInfoField(body);
  const traits = body.traits === undefined || body.traits === null ? [] : validateTraits(body.traits, "deployment");
  const name = optString(body, "name");
  if (name !== undefined && !isValidLogicalName(name, MAX_MINOR)) throw new Invalid(`Cannot create deployment with invalid name '${name}'`);
  let uuid: string = randomUUID();
  if (body.uuid !== undefined && body.uuid !== null) {
    if (!isUuidLike(body.uuid)) throw new Invalid(`Expected UUID for uuid: ${pyRepr(body.uuid)}`);
    uuid = (body.uuid as string).toLowerCase();
  }
  const byNode = body.node !== undefined && body.node !== null;
  const allocationKeys = ["resource_class", "candidate_nodes", "owner"].filter((k) => body[k] !== undefined && body[k] !== null);
  if (byNode && allocationKeys.length) {
    throw new Invalid(`Give either "node" or an allocation request (resource_class, candidate_nodes, owner), not both (got ${allocationKeys.join(", ")}).`);
  }
  if (!byNode && body.resource_class === undefined) {
    throw new Invalid(`Either "node" or "resource_class" (an allocation request) is required.`);
  }
  await checkDeploymentFree(uuid, name);

  const marker: Dict = { created_by: who.userId ?? who.username, project: who.projectId };
  let alloc: AllocationRecord;
  let node: NodeRecord;
  if (byNode) {
    node = await targetNode(ctx, body.node, "baremetal:deployment:create");
    checkDeployable(node, traits);
    alloc = await newDeploymentAllocation({
      uuid, name: name ?? null, resourceClass: node.resourceClass, traits, extra: { [DEPLOYMENT_KEY]: marker },
      owner: isSystemScoped(who) ? null : who.projectId,
    });
  } else {
    // Allocation request: project callers may only get nodes their project owns or leases.
    const rc = optString(body, "resource_class", 80);
    if (!rc) throw new Invalid("Schema error for deployment: resource_class must be a non-empty string");
    let owner = optString(body, "owner") ?? null;
    if (!isSystemScoped(who)) {
      if (!who.projectId || !authorize("baremetal:deployment:create", who, { owner: who.projectId })) throw new Forbidden();
      if (owner !== null && owner !== who.projectId) throw new Forbidden();
      owner = who.projectId;
    } else if (!authorize("baremetal:deployment:create", who)) throw new Forbidden();
    const candidates: string[] = [];
    if (body.candidate_nodes !== undefined && body.candidate_nodes !== null) {
      if (!Array.isArray(body.candidate_nodes)) throw new Invalid(`Schema error for deployment: candidate_nodes: ${pyRepr(body.candidate_nodes)} is not of type 'array'`);
      for (const c of body.candidate_nodes) {
        if (typeof c !== "string") throw new Invalid(`Schema error for deployment: candidate_nodes: ${pyRepr(c)} is not of type 'string'`);
        const n = await deploymentNode(c);
        if (!n || !authorize("baremetal:node:get", who, n)) throw new Invalid(`Candidate node ${c} could not be found.`);
        candidates.push(n.uuid);
      }
    }
    alloc = await newDeploymentAllocation({
      uuid, name: name ?? null, resourceClass: rc, traits, candidateNodes: candidates, owner, extra: { [DEPLOYMENT_KEY]: marker },
    });
    const done = await allocateNow(alloc.id);
    if (!done || done.state !== "active" || done.nodeId === null) {
      await dropAllocation(alloc.id);
      throw new Conflict(done?.lastError ?? `No node could be allocated for deployment ${uuid}.`);
    }
    alloc = done;
    node = (await deploymentNodeById(done.nodeId))!;
    if (!authorize("baremetal:deployment:create", who, node)) {
      await releaseDeploymentAllocation(alloc, node);
      throw new Forbidden();
    }
  }

  // Claim the node: instance_uuid = the deployment's uuid, instance_info from the request.
  const instanceInfo: Dict = { ...extraInfo, ...image, traits };
  if (configdrive !== undefined) instanceInfo.configdrive = configdrive;
  if (name !== undefined) instanceInfo.display_name = name;
  if (who.projectId) instanceInfo.project_id = who.projectId;
  // What the node goes back to if anything below fails (it was unassociated: checkDeployable / the allocation's match).
  const previous = { instanceInfo: node.instanceInfo, instanceUuid: null, allocationId: null, instanceName: node.instanceName };
  let claimed: NodeRecord | null;
  try {
    claimed = await writeDeploymentNode(node.id, {
      instanceUuid: uuid, allocationId: alloc.id, instanceInfo, ...(name !== undefined ? { instanceName: name } : {}),
    }, { expectReservation: null, ...(byNode ? { expectVersion: node.version } : {}) });
  } catch (err) {
    await dropAllocation(alloc.id);
    if (isUnique(err)) throw new Conflict(`Instance ${uuid} is already associated with a node.`);
    throw err;
  }
  if (!claimed) {
    await releaseDeploymentAllocation(alloc, byNode ? null : node);
    const fresh = await deploymentNodeById(node.id);
    if (fresh?.reservation) throw new NodeLocked(fresh.uuid, fresh.reservation);
    throw new Conflict(`Node ${node.uuid} was modified concurrently, please retry.`);
  }
  await placeAllocation(alloc.id, node.id, "active");

  const c = await conductorApi();
  const actor = actorOf(ctx);
  let attached: string[] = [];
  try {
    attached = await attachAll(c, node.id, vifs, actor);
    await c.provision(node.id, "active", configdrive !== undefined ? { configdrive } : {}, actor, MAX_MINOR);
  } catch (err) {
    // Give the node back as it was.
    await detachQuietly(c, node.id, attached, actor);
    await writeDeploymentNode(node.id, { ...previous }).catch(() => undefined);
    await dropAllocation(alloc.id).catch(() => undefined);
    throw err;
  }
  const d = await reloadDeployment(alloc, node.id);
  return json(ctx, await renderOne(ctx, d), 201, { Location: `${ctx.base}/v1/deployments/${uuid}` });
}

// ---------------------------------------------------------------------------------------------
// GET /v1/deployments, GET /v1/deployments/{d}

const SORT_COLUMNS: Record<string, string> = { id: "id", uuid: "uuid", name: "name", created_at: "createdAt", updated_at: "updatedAt" };
const LIST_FILTERS = ["node", "state", "owner", "resource_class", "limit", "marker", "sort_key", "sort_dir"];

async function listDeployments(ctx: ApiContext): Promise<Response> {
  const q = ctx.url.searchParams;
  const bad = [...new Set(q.keys())].filter((k) => !LIST_FILTERS.includes(k));
  if (bad.length) throw new Invalid(`Unexpected arguments: ${bad.join(", ")}`);
  const project = listProject(ctx.principal, "baremetal:deployment:list", "baremetal:deployment:list_all");
  const p = parseResourceList(ctx, { sortColumns: SORT_COLUMNS, fieldVersions: {} });
  const filter: DeploymentFilter = {};
  const nodeIdent = q.get("node");
  if (nodeIdent !== null) {
    const n = await deploymentNode(nodeIdent);
    if (!n) throw new NodeNotFound(nodeIdent);
    filter.nodeId = n.id;
  }
  const state = q.get("state");
  if (state !== null) {
    if (!isProvisionState(state)) throw new Invalid(`Provision state "${state}" is not valid`);
    filter.provisionState = state;
  }
  if (q.get("owner") !== null) filter.owner = q.get("owner")!;
  if (q.get("resource_class") !== null) filter.resourceClass = q.get("resource_class")!;
  if (project !== null) filter.project = project;
  if (p.marker !== null && !isUuidLike(p.marker)) throw new Invalid(`Expected UUID for marker: ${p.marker}`);
  const page = { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit };
  const { allocs, nodes, vifs } = await listDeploymentPage(filter, page, p.marker);
  const items = allocs.filter((a) => nodes.has(a.nodeId!)).map((a) => deploymentView({ alloc: a, node: nodes.get(a.nodeId!)! }, ctx, { vifs }));
  const out: Record<string, unknown> = { deployments: items };
  const next = resourceNext(ctx, "deployments", allocs.length, p, allocs.at(-1)?.uuid, null);
  if (next) out.next = next;
  return json(ctx, out);
}

async function showDeployment(ctx: ApiContext): Promise<Response> {
  const bad = [...new Set(ctx.url.searchParams.keys())];
  if (bad.length) throw new Invalid(`Unexpected arguments: ${bad.join(", ")}`);
  const d = await loadDeployment(ctx, ctx.params.deployment, "baremetal:deployment:get");
  return json(ctx, await renderOne(ctx, d));
}

// ---------------------------------------------------------------------------------------------
// PUT /v1/deployments/{d}: rebuild with a new (or the same) image and configdrive

/** Refuses a verb the node's state, protection, maintenance or lock does not allow (before changing anything). */
function checkVerb(node: NodeRecord, verb: "rebuild" | "deleted"): void {
  if (verb === "rebuild" && node.maintenance) throw new NodeInMaintenance(verb, node.uuid);
  if (node.protected) throw new NodeProtected(node.uuid);
  if (node.reservation) throw new NodeLocked(node.uuid, node.reservation);
  if (!isProvisionState(node.provisionState) || !verbAllowedFrom(verb, node.provisionState as ProvisionState, MAX_MINOR)) {
    throw new InvalidStateRequested(verb, node.uuid, node.provisionState);
  }
}

async function rebuildDeployment(ctx: ApiContext): Promise<Response> {
  const body = bodyOf(ctx);
  onlyKeys(body, [...IMAGE_KEYS, "configdrive", "instance_info"]);
  const image = imageFields(body, false);
  const configdrive = configdriveField(body);
  const extraInfo = instanceInfoField(body);
  const d = await loadDeployment(ctx, ctx.params.deployment, "baremetal:deployment:update");
  const node = d.node;
  checkVerb(node, "rebuild");
  const before = node.instanceInfo;
  const info: Dict = { ...before, ...extraInfo };
  if (image.image_source !== undefined && image.image_source !== before.image_source) {
    // A new image: checksums of the old one no longer apply.
    for (const k of IMAGE_KEYS) delete info[k];
  }
  Object.assign(info, image);
  const updated = await writeDeploymentNode(node.id, { instanceInfo: info }, { expectReservation: null });
  if (!updated) throw new NodeLocked(node.uuid, (await deploymentNodeById(node.id))?.reservation ?? "unknown");
  try {
    await (await conductorApi()).provision(node.id, "rebuild", configdrive !== undefined ? { configdrive } : {}, actorOf(ctx), MAX_MINOR);
  } catch (err) {
    await writeDeploymentNode(node.id, { instanceInfo: before }).catch(() => undefined);
    throw err;
  }
  return json(ctx, await renderOne(ctx, await reloadDeployment(d.alloc, node.id)), 202);
}

// ---------------------------------------------------------------------------------------------
// DELETE /v1/deployments/{d}: undeploy (the tear-down frees the allocation)

async function deleteDeployment(ctx: ApiContext): Promise<Response> {
  const d = await loadDeployment(ctx, ctx.params.deployment, "baremetal:deployment:delete");
  checkVerb(d.node, "deleted");
  await (await conductorApi()).provision(d.node.id, "deleted", {}, actorOf(ctx), MAX_MINOR);
  return empty(ctx, 202);
}

// ---------------------------------------------------------------------------------------------
// POST /v1/deployments/{d}/move {"node": ...}

async function moveDeployment(ctx: ApiContext): Promise<Response> {
  const body = bodyOf(ctx);
  onlyKeys(body, ["node"]);
  if (body.node === undefined || body.node === null) throw new Invalid("Schema error for deployment: 'node' is a required property");
  const d = await loadDeployment(ctx, ctx.params.deployment, "baremetal:deployment:move");
  const from = d.node;
  const to = await targetNode(ctx, body.node, "baremetal:deployment:move");
  if (to.id === from.id) throw new Invalid(`Deployment ${d.alloc.uuid} is already on node ${from.uuid}.`);
  const traits = Array.isArray(from.instanceInfo.traits) ? (from.instanceInfo.traits as string[]) : [];
  checkDeployable(to, traits);
  checkVerb(from, "deleted");
  if ((await volumeTargetsOn(to.id)) > 0) {
    throw new Conflict(`Node ${to.uuid} already has volume targets; the deployment's volumes can not be moved onto it.`);
  }

  const c = await conductorApi();
  const actor = actorOf(ctx);
  const vifs = (await c.vifList(from.id)).map((v) => ({ id: v.id }));
  // 1. VIFs onto the new node first (nothing else changes if that fails), then off the old one.
  const attached = await attachAll(c, to.id, vifs, actor);
  const detached: string[] = [];
  const info: Dict = { ...from.instanceInfo };
  delete info.rescue_password;
  delete info.hashed_rescue_password;
  const uuid = d.alloc.uuid;
  const undo = async () => {
    await undoTransfer(d, to);
    await detachQuietly(c, to.id, attached, actor);
    for (const id of detached) await c.vifAttach(from.id, { id }, actor).catch(() => undefined);
  };
  try {
    for (const v of vifs) {
      await c.vifDetach(from.id, v.id, actor);
      detached.push(v.id);
    }
    // The VIF calls locked the nodes (bumping their versions): check the target again.
    const toNow = await deploymentNodeById(to.id);
    if (!toNow) throw new NodeNotFound(to.uuid);
    checkDeployable(toNow, traits);
    // 2. The instance, its allocation and its volumes change nodes in one transaction.
    await transferDeployment(d, to, toNow.version, info);
    // 3. Deploy the new node with the same image and configdrive.
    const cd = info.configdrive;
    await c.provision(to.id, "active", cd !== undefined && cd !== null ? { configdrive: cd } : {}, actor, MAX_MINOR);
  } catch (err) {
    await undo();
    throw err;
  }
  // 4. Tear the old node down. The deployment has moved already; a refusal here is recorded on
  // the old node rather than undoing a deployment that is under way.
  try {
    await c.provision(from.id, "deleted", {}, actor, MAX_MINOR);
  } catch (err) {
    const msg = `Tear down after moving deployment ${uuid} to node ${to.uuid} failed: ${err instanceof Error ? err.message : String(err)}`;
    await writeDeploymentNode(from.id, { lastError: msg }).catch(() => undefined);
    if (!(err instanceof IronicError)) throw err;
  }
  return json(ctx, await renderOne(ctx, await reloadDeployment(d.alloc, to.id)), 202);
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/deployments", handler: listDeployments },
  { method: "POST", path: "/v1/deployments", maxBody: 64 << 20, handler: createDeployment },
  { method: "GET", path: "/v1/deployments/:deployment", handler: showDeployment },
  { method: "PUT", path: "/v1/deployments/:deployment", maxBody: 64 << 20, handler: rebuildDeployment },
  { method: "DELETE", path: "/v1/deployments/:deployment", handler: deleteDeployment },
  { method: "POST", path: "/v1/deployments/:deployment/move", handler: moveDeployment },
];
