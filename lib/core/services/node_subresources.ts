// The node's sub-resources as use cases (reference §2.3, §2.10, §2.12, §5.5): traits, VIFs,
// maintenance, management (boot device, NMI, indicators), validation, history, BIOS, inventory,
// its allocation and vendor passthru. Each checks the policy rule the API's route names (on the
// node's owner and lessee) and the node's state; hardware work goes to the node's conductor.
import { allocationRemovable } from "../allocations.ts";
import { loadBiosCache, loadBiosSetting, type BiosCacheRow } from "../bios.ts";
import { conductorApi } from "../conductor/rpc.ts";
import type { BootDevice, ConductorApi, Indicator, ValidationResult } from "../conductor/types.ts";
import { deleteNodeAllocationRow, type AllocationWithNode } from "../db/allocations.ts";
import { historyPage, historyRecord } from "../db/node_history.ts";
import { addTrait as insertTrait, removeTrait as deleteTraitRow, setTraits, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { Conflict, Invalid, NodeLocked, NotFound } from "../errors.ts";
import type { HistoryRow } from "../history.ts";
import { loadInventory } from "../inspection/store.ts";
import type { Principal } from "../policy.ts";
import { actorOf, allow, resolveNode, type NodeRef } from "./access.ts";
import { nodeAllocation } from "./allocations.ts";

/** What the caller adds to a request: the API's request id (for the conductor's logs), how it named the node. */
export interface CallOptions {
  requestId?: string;
  /** How the caller named the node, quoted by refusals that Ironic words with the name as given. */
  named?: string;
}

/** Ironic refuses to change traits (and allocations) of a node a conductor holds. */
function unlocked(node: NodeRecord): void {
  if (node.reservation) throw new NodeLocked(node.uuid, node.reservation);
}

/** The most traits a node carries (Ironic's limit). */
export const MAX_NODE_TRAITS = 50;

// ---- traits ----

export async function nodeTraits(principal: Principal, ref: NodeRef): Promise<string[]> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:traits:list", principal, node);
  return [...node.traits];
}

/** Replaces all of the node's traits (already checked to be valid trait names). */
export async function replaceTraits(principal: Principal, ref: NodeRef, traits: string[]): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:traits:set", principal, node);
  unlocked(node);
  await setTraits(await sql(), node.id, traits);
}

/** Adds one trait (already checked to be a valid trait name); adding one the node has changes nothing. */
export async function addTrait(principal: Principal, ref: NodeRef, trait: string): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:traits:set", principal, node);
  unlocked(node);
  if (!node.traits.includes(trait) && node.traits.length >= MAX_NODE_TRAITS) {
    throw new Invalid(`Could not modify traits for node ${node.uuid}: would exceed the maximum of ${MAX_NODE_TRAITS} traits.`);
  }
  await insertTrait(await sql(), node.id, trait);
}

export async function removeAllTraits(principal: Principal, ref: NodeRef): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:traits:delete", principal, node);
  unlocked(node);
  await setTraits(await sql(), node.id, []);
}

/** Removes one trait; a node without it answers 404. */
export async function removeTrait(principal: Principal, ref: NodeRef, trait: string): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:traits:delete", principal, node);
  unlocked(node);
  if (!(await deleteTraitRow(await sql(), node.id, trait))) {
    throw new NotFound(`Node ${node.uuid} doesn't have a trait '${trait}'`);
  }
}

// ---- VIFs ----

export async function listVifs(principal: Principal, ref: NodeRef): Promise<{ id: string }[]> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:vif:list", principal, node);
  return conductorApi().vifList(node.id);
}

export async function attachVif(principal: Principal, ref: NodeRef, vif: Parameters<ConductorApi["vifAttach"]>[1], opts: CallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:vif:attach", principal, node);
  await conductorApi().vifAttach(node.id, vif, actorOf(principal, opts.requestId));
}

export async function detachVif(principal: Principal, ref: NodeRef, vifId: string, opts: CallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:vif:detach", principal, node);
  await conductorApi().vifDetach(node.id, vifId, actorOf(principal, opts.requestId));
}

// ---- maintenance ----

/** Puts the node into maintenance (the reason may be null). */
export async function setMaintenance(principal: Principal, ref: NodeRef, reason: string | null, opts: CallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:set_maintenance", principal, node);
  await conductorApi().setMaintenance(node.id, true, reason, actorOf(principal, opts.requestId));
}

export async function clearMaintenance(principal: Principal, ref: NodeRef, opts: CallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:clear_maintenance", principal, node);
  await conductorApi().setMaintenance(node.id, false, null, actorOf(principal, opts.requestId));
}

// ---- management ----

export async function bootDevice(principal: Principal, ref: NodeRef): Promise<BootDevice> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:get_boot_device", principal, node);
  return conductorApi().getBootDevice(node.id);
}

export async function supportedBootDevices(principal: Principal, ref: NodeRef): Promise<string[]> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:get_boot_device", principal, node);
  return conductorApi().getSupportedBootDevices(node.id);
}

export async function setBootDevice(principal: Principal, ref: NodeRef, device: string, persistent: boolean, opts: CallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:set_boot_device", principal, node);
  await conductorApi().setBootDevice(node.id, device, persistent, actorOf(principal, opts.requestId));
}

export async function injectNmi(principal: Principal, ref: NodeRef, opts: CallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:inject_nmi", principal, node);
  await conductorApi().injectNmi(node.id, actorOf(principal, opts.requestId));
}

export async function listIndicators(principal: Principal, ref: NodeRef): Promise<Indicator[]> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:get_indicator_state", principal, node);
  return conductorApi().getIndicators(node.id);
}

/** Refuses an indicator the node's management interface does not have. */
async function knownIndicator(node: NodeRecord, indicator: string, component: string): Promise<void> {
  const list = await conductorApi().getIndicators(node.id);
  if (!list.some((i) => i.name === indicator && i.component === component)) throw new Invalid(`Invalid indicator ${indicator} specified.`);
}

export async function indicatorState(principal: Principal, ref: NodeRef, indicator: string, component: string): Promise<string> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:get_indicator_state", principal, node);
  await knownIndicator(node, indicator, component);
  return conductorApi().getIndicatorState(node.id, component, indicator);
}

export async function setIndicatorState(
  principal: Principal, ref: NodeRef, indicator: string, component: string, state: string, opts: CallOptions = {},
): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:set_indicator_state", principal, node);
  await knownIndicator(node, indicator, component);
  await conductorApi().setIndicatorState(node.id, component, indicator, state, actorOf(principal, opts.requestId));
}

// ---- validation ----

/** Each interface's verdict on the node's configuration. */
export async function validateNode(principal: Principal, ref: NodeRef): Promise<Record<string, ValidationResult>> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:validate", principal, node);
  return conductorApi().validate(node.id);
}

// ---- history ----

/** Up to `limit` of the node's history records after the record `marker` (a uuid), oldest first. */
export async function nodeHistory(principal: Principal, ref: NodeRef, page: { limit: number; marker: string | null }): Promise<HistoryRow[]> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:history:get", principal, node);
  const db = await sql();
  let afterId = 0;
  if (page.marker !== null) {
    const row = await historyRecord(db, node.id, page.marker);
    if (!row) throw new NotFound(`Node history record ${page.marker} could not be found.`);
    afterId = Number(row.id);
  }
  return historyPage(db, node.id, afterId, page.limit);
}

export async function nodeHistoryRecord(principal: Principal, ref: NodeRef, uuid: string): Promise<HistoryRow> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:history:get", principal, node);
  const row = await historyRecord(await sql(), node.id, uuid);
  if (!row) throw new NotFound(`Node history record ${uuid} could not be found.`);
  return row;
}

// ---- BIOS ----

export async function biosSettings(principal: Principal, ref: NodeRef): Promise<BiosCacheRow[]> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:bios:get", principal, node);
  return loadBiosCache(await sql(), node.id);
}

export async function biosSetting(principal: Principal, ref: NodeRef, name: string): Promise<BiosCacheRow> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:bios:get", principal, node);
  const row = await loadBiosSetting(await sql(), node.id, name);
  if (!row) throw new NotFound(`Node ${node.uuid} doesn't have a BIOS setting '${name}'`);
  return row;
}

// ---- inventory ----

/** The inventory and plugin data the node's last inspection stored. */
export async function nodeInventory(
  principal: Principal, ref: NodeRef,
): Promise<{ inventory: Record<string, unknown>; pluginData: Record<string, unknown> }> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:inventory:get", principal, node);
  const stored = await loadInventory(await sql(), node.id);
  if (!stored) throw new NotFound(`Node inventory record for node ${node.uuid} could not be found.`);
  return stored;
}

// ---- the node's allocation ----

async function allocationOf(node: NodeRecord, named: string): Promise<AllocationWithNode> {
  const row = await nodeAllocation(node);
  if (!row) throw new NotFound(`Allocation for node ${named} was not found`);
  return row;
}

export async function getNodeAllocation(principal: Principal, ref: NodeRef, opts: CallOptions = {}): Promise<AllocationWithNode> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:allocation:get", principal, node);
  return allocationOf(node, opts.named ?? (typeof ref === "string" ? ref : node.uuid));
}

/** Removes the node's allocation unless the node is deployed or busy (maintenance allows it). */
export async function deleteNodeAllocation(principal: Principal, ref: NodeRef, opts: CallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:allocation:delete", principal, node);
  const allocation = await allocationOf(node, opts.named ?? (typeof ref === "string" ? ref : node.uuid));
  if (!allocationRemovable(node)) {
    throw new Conflict(
      `Cannot remove allocation ${allocation.uuid} since it's associated with node ${node.uuid} in state ${node.provisionState}, please unprovision the node first or put it into maintenance mode.`,
    );
  }
  unlocked(node);
  await deleteNodeAllocationRow(await sql(), allocation, node);
}

// ---- vendor passthru ----

export async function vendorMethods(principal: Principal, ref: NodeRef): Promise<Record<string, unknown>> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:vendor_passthru", principal, node);
  return conductorApi().vendorPassthruMethods(node.id);
}

/** Calls the vendor interface's `method` with the HTTP verb and body the caller used. */
export async function vendorPassthru(
  principal: Principal, ref: NodeRef, method: string, httpMethod: string, body: unknown, opts: CallOptions = {},
): Promise<{ async: boolean; result: unknown }> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:vendor_passthru", principal, node);
  return conductorApi().vendorPassthru(node.id, method, httpMethod, body, actorOf(principal, opts.requestId));
}
