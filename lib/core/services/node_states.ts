// Node state use cases (reference §1.3, §1.4, §2.3, §6): provision, power, RAID, boot mode and
// secure boot. Each checks policy and state in Ironic's order and hands the work to the node's
// conductor; the API parses the body (argument types) first, and jobs call these directly.
import { conductorApi } from "../conductor/rpc.ts";
import type { ProvisionParams } from "../conductor/types.ts";
import { getNodeById, updateNode, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import {
  Conflict, Invalid, InvalidStateRequested, NodeInMaintenance, NodeLocked, NodeProtected, NotAcceptable,
} from "../errors.ts";
import { MAX_MINOR } from "../microversion.ts";
import type { Principal } from "../policy.ts";
import { CONFIG_DRIVE_SCHEMA, validateSteps } from "../request_schemas.ts";
import { firstSchemaError, jsonschemaText } from "../schema.ts";
import {
  inStates, isPowerTarget, isProvisionState, isVerb, POWER_CHANGE_REFUSED_STATES, POWER_TARGETS, provisionStateAtVersion,
  UNSTABLE_STATES, VERBS, verbAllowedFrom, type PowerTarget, type Verb,
} from "../states.ts";
import { actorOf, allow, resolveNode, type NodeRef } from "./access.ts";
import { usableRunbook } from "./runbooks.ts";

/** How the caller asks, beside what: the API passes its microversion and request id. */
export interface StateCallOptions {
  /** The API microversion the answer follows (verbs, parameters and wording); the newest by default. */
  apiVersion?: number;
  requestId?: string;
  /** How the caller named the node, quoted by refusals that Ironic words with the name as given. */
  named?: string;
}

/** PUT …/states/provision's body, its argument types already checked. */
export interface ProvisionRequest {
  target: string;
  clean_steps?: unknown[] | null;
  deploy_steps?: unknown[] | null;
  service_steps?: unknown[] | null;
  configdrive?: string | Record<string, unknown> | null;
  rescue_password?: string | null;
  disable_ramdisk?: boolean | null;
  /** A runbook's uuid or name, for clean and service. */
  runbook?: string | null;
}

/** Moves the node's provision state by `target` (a verb); the conductor does the work. */
export async function setProvisionState(principal: Principal, ref: NodeRef, req: ProvisionRequest, opts: StateCallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:set_provision_state", principal, node);
  const minor = opts.apiVersion ?? MAX_MINOR;
  const { target } = req;
  const cleanSteps = req.clean_steps ?? null;
  const deploySteps = req.deploy_steps ?? null;
  const serviceSteps = req.service_steps ?? null;
  const rescuePassword = req.rescue_password ?? null;
  const disableRamdisk = req.disable_ramdisk ?? null;
  const runbook = req.runbook ?? null;
  const configdrive = req.configdrive ?? null;

  // verb too new for the version
  if (isVerb(target) && minor < VERBS[target].minVersion) throw new NotAcceptable("Request not acceptable.");
  // step policies
  if (cleanSteps?.length) allow("baremetal:node:set_provision_state:clean_steps", principal, node);
  if (serviceSteps?.length) allow("baremetal:node:set_provision_state:service_steps", principal, node);
  const verb = target as Verb;
  const isDeploy = verb === "active" || verb === "deploy";
  // maintenance
  if ((isDeploy || verb === "rebuild" || verb === "clean") && node.maintenance) throw new NodeInMaintenance(target, node.uuid);
  // state machine
  const state = node.provisionState;
  if (!isVerb(target) || !isProvisionState(state) || !verbAllowedFrom(verb, state, minor)) {
    if (node.reservation) throw new NodeLocked(node.uuid, node.reservation);
    throw new InvalidStateRequested(target, node.uuid, provisionStateAtVersion(state, minor) ?? "None");
  }
  // configdrive
  if (configdrive !== null && configdrive !== "") {
    const allowedTargets = minor >= 35 ? ["active", "rebuild"] : ["active"];
    if (!(isDeploy || (verb === "rebuild" && minor >= 35))) {
      throw new Invalid(`Adding a config drive is only supported when setting provision state to ${allowedTargets.join(", ")}`);
    }
    // As Ironic: the format first (jsonschema's whole error text), then the version gates.
    const e = firstSchemaError(CONFIG_DRIVE_SCHEMA, configdrive);
    if (e) throw new Invalid(`Invalid configdrive format: ${jsonschemaText(e)}`);
    if (typeof configdrive === "object") {
      if (minor < 56) throw new Invalid("Providing a JSON object for configdrive is only supported starting with API version 1.56");
      if ("vendor_data" in configdrive && minor < 59) throw new Invalid("Providing vendor_data in configdrive is only supported starting with API version 1.59");
    }
  }
  // parameters that belong to another verb, and version gates on parameters
  if (cleanSteps?.length && verb !== "clean") throw new Invalid("clean_steps is only valid when setting target provision state to clean");
  if (serviceSteps?.length && verb !== "service") throw new Invalid("service_steps is only valid when setting target provision state to service");
  if (deploySteps !== null) {
    if (minor < 69) throw new NotAcceptable("Request not acceptable.");
    if (deploySteps.length && !(isDeploy || verb === "rebuild")) {
      throw new Invalid("deploy_steps is only valid when setting target provision state to active or rebuild");
    }
  }
  if (rescuePassword !== null && verb !== "rescue") {
    throw new Invalid('"rescue_password" is only valid when setting target provision state to rescue');
  }
  if (disableRamdisk !== null) {
    if (minor < 70) throw new NotAcceptable("disable_ramdisk is not acceptable in this API version");
    if (verb !== "clean" && !(verb === "service" && minor >= 108)) throw new Invalid("disable_ramdisk is supported only with manual cleaning");
  }
  if (runbook !== null) {
    if (minor < 92) throw new NotAcceptable("Request not acceptable.");
    if (verb !== "clean" && verb !== "service") throw new Invalid("runbook is only valid when setting target provision state to clean or service");
    if (cleanSteps?.length || serviceSteps?.length) throw new Invalid(`Cannot specify both ${verb}_steps and runbook.`);
  }
  // what a verb needs
  if (verb === "clean" && !cleanSteps?.length && runbook === null) {
    throw new Invalid('"clean_steps" is required when setting target provision state to clean');
  }
  if (verb === "service" && !serviceSteps?.length && runbook === null) {
    throw new Invalid('"service_steps" is required when setting target provision state to service');
  }
  if (verb === "rescue" && !rescuePassword) {
    throw new Invalid('A non-empty "rescue_password" is required when setting target provision state to rescue');
  }
  // step schemas
  const params: ProvisionParams = {};
  if (cleanSteps?.length) params.clean_steps = validateSteps("clean_steps", cleanSteps);
  if (serviceSteps?.length) params.service_steps = validateSteps("service_steps", serviceSteps);
  if (deploySteps?.length) params.deploy_steps = validateSteps("deploy_steps", deploySteps);
  if (configdrive !== null && configdrive !== "") params.configdrive = configdrive;
  if (rescuePassword !== null) params.rescue_password = rescuePassword;
  if (disableRamdisk !== null) params.disable_ramdisk = disableRamdisk;
  if (runbook !== null) {
    // The runbook must be visible to the caller and usable by them (reference §5.4, §7.2).
    params.runbook = (await usableRunbook(principal, runbook)).uuid;
  }
  // node-level refusals the conductor would also make
  if ((verb === "rebuild" || verb === "deleted" || verb === "undeploy") && node.protected) throw new NodeProtected(node.uuid);
  if (verb === "provide" && node.retired) {
    throw new Invalid(`The providing operation can't be performed on node ${node.uuid} because it is retired.`);
  }
  await conductorApi().provision(node.id, verb, params, actorOf(principal, opts.requestId), minor);
}

/** PUT …/states/power's body, its argument types already checked. */
export interface PowerRequest {
  target: string;
  /** Seconds; a positive integer. */
  timeout?: number;
}

/** Powers the node on or off, or reboots it (softly when asked); the conductor does the work. */
export async function setPowerState(principal: Principal, ref: NodeRef, req: PowerRequest, opts: StateCallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:set_power_state", principal, node);
  const minor = opts.apiVersion ?? MAX_MINOR;
  const { target, timeout } = req;
  const named = opts.named ?? (typeof ref === "string" ? ref : node.uuid);
  if ((target === "soft rebooting" || target === "soft power off" || timeout !== undefined) && minor < 27) {
    throw new NotAcceptable("Request not acceptable.");
  }
  if (timeout !== undefined && timeout < 1) throw new Invalid("timeout has to be positive integer");
  if (!isPowerTarget(target) || minor < POWER_TARGETS[target].minVersion) {
    throw new InvalidStateRequested(target, named, String(node.powerState ?? "None"));
  }
  if (inStates(node.provisionState, POWER_CHANGE_REFUSED_STATES)) {
    throw new InvalidStateRequested(target, named, node.provisionState);
  }
  if (node.disablePowerOff && powersOff(target)) {
    throw new Conflict(`Failed to change power state to '${POWER_TARGETS[target].result}' by '${target}'. Error: power off is disabled for node ${node.uuid} (disable_power_off).`);
  }
  await conductorApi().setPowerState(node.id, target, timeout, actorOf(principal, opts.requestId));
}

/** Whether `target` leaves the node off (a reboot passes through off but ends on). */
function powersOff(target: PowerTarget): boolean {
  return POWER_TARGETS[target].result === "power off" && target !== "rebooting" && target !== "soft rebooting";
}

/** Stores the RAID configuration the next clean step builds (PUT …/states/raid). */
export async function setTargetRaidConfig(principal: Principal, ref: NodeRef, config: Record<string, unknown>): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:set_raid_state", principal, node);
  if (node.raidInterface === "no-raid") {
    throw new Invalid(`Driver ${node.driver} does not support raid (disabled or not implemented).`);
  }
  if (node.reservation) throw new NodeLocked(node.uuid, node.reservation);
  const db = await sql();
  const updated = await updateNode(db, node.id, { targetRaidConfig: config }, { expectReservation: null });
  if (!updated) {
    const fresh = await getNodeById(db, node.id);
    throw new NodeLocked(node.uuid, fresh?.reservation ?? "unknown");
  }
}

/** Boot mode and secure boot wait while the node is between stable states. */
function settled(node: NodeRecord, what: string): void {
  if (inStates(node.provisionState, UNSTABLE_STATES)) {
    throw new Conflict(`The ${what} of node ${node.uuid} can not be changed while it is in state "${node.provisionState}".`);
  }
}

/** Switches the node's boot mode (PUT …/states/boot_mode, 1.76); the conductor does the work. */
export async function setBootMode(principal: Principal, ref: NodeRef, mode: "uefi" | "bios", opts: StateCallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:set_boot_mode", principal, node);
  settled(node, "boot mode");
  await conductorApi().setBootMode(node.id, mode, actorOf(principal, opts.requestId));
}

/** Turns UEFI secure boot on or off (PUT …/states/secure_boot, 1.76); the conductor does the work. */
export async function setSecureBoot(principal: Principal, ref: NodeRef, enabled: boolean, opts: StateCallOptions = {}): Promise<void> {
  const node = await resolveNode(principal, ref);
  allow("baremetal:node:set_secure_boot", principal, node);
  settled(node, "secure boot state");
  await conductorApi().setSecureBoot(node.id, enabled, actorOf(principal, opts.requestId));
}
