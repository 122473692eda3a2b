// /v1/nodes/{ident}/states: provision, power, raid, boot mode, secure boot, console
// (reference §1.3, §1.4, §2.3, §6). Checks run in Ironic's order; the conductor does the work.
import type { ProvisionParams, StepRequest } from "../../core/conductor/types.ts";
import type { NodeRecord } from "../../core/db/nodes.ts";
import {
  Conflict, Forbidden, Invalid, InvalidStateRequested, NodeInMaintenance, NodeLocked, NodeProtected, NotAcceptable, NotFound,
} from "../../core/errors.ts";
import { authorize } from "../../core/policy.ts";
import { consoleState, setConsoleState } from "../../core/services/console.ts";
import { setTargetRaidConfig } from "../../core/services/node_states.ts";
import { usableRunbook } from "../../core/services/runbooks.ts";
import {
  inStates, isPowerTarget, isProvisionState, isVerb, POWER_CHANGE_REFUSED_STATES, POWER_TARGETS, provisionStateAtVersion,
  UNSTABLE_STATES, VERBS, verbAllowedFrom, type Verb,
} from "../../core/states.ts";
import { STEP_INTERFACES } from "../../shared/steps.ts";
import { empty, json, ts } from "../http.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import { firstSchemaError, jsonschemaText, type Schema } from "../schema.ts";
import type { NodeContext, RouteDef } from "../router.ts";
import { isUuidLike } from "../validators.ts";
import { deployStepSchema } from "./deploy_templates.ts";
import { actorOf, conductorApi, queryBool } from "./nodes.ts";

// ---- body helpers (Ironic's argument checks and their wording) ----

function bodyObject(ctx: NodeContext, name = "body"): Record<string, unknown> {
  const b = ctx.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== "object" || Array.isArray(b)) throw new Invalid(`Expected types <class 'dict'> for ${name}: ${pyRepr(b)}`);
  return b as Record<string, unknown>;
}

function onlyKeys(body: Record<string, unknown>, allowed: readonly string[]): void {
  const bad = Object.keys(body).filter((k) => !allowed.includes(k));
  if (bad.length) throw new Invalid(`Unexpected arguments: ${bad.join(", ")}`);
}

function required(body: Record<string, unknown>, key: string): unknown {
  if (!(key in body) || body[key] === null || body[key] === undefined) throw new Invalid(`Missing mandatory parameter: ${key}`);
  return body[key];
}

function str(key: string, v: unknown): string {
  if (typeof v !== "string") throw new Invalid(`Expected string for ${key}: ${typeof v === "object" ? pyRepr(v) : String(v)}`);
  return v;
}

function boolArg(key: string, v: unknown): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") return queryBool(key, v);
  if (typeof v === "number" && (v === 0 || v === 1)) return v === 1;
  throw new Invalid(`Invalid ${key}: Unrecognized value '${String(v)}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'`);
}

function statesLocation(ctx: NodeContext, suffix = ""): Record<string, string> {
  return { Location: `${ctx.base}/v1/nodes/${encodeURIComponent(ctx.params.node)}/states${suffix}` };
}

// ---- GET /states ----

export function statesView(n: NodeRecord, minor: number): Record<string, unknown> {
  const out: Record<string, unknown> = {
    console_enabled: n.consoleEnabled,
    last_error: n.lastError,
    power_state: n.powerState,
    provision_state: provisionStateAtVersion(n.provisionState, minor),
    target_power_state: n.targetPowerState,
    target_provision_state: provisionStateAtVersion(n.targetProvisionState, minor),
    provision_updated_at: ts(n.provisionUpdatedAt),
  };
  if (minor >= 12) {
    out.raid_config = n.raidConfig ?? {};
    out.target_raid_config = n.targetRaidConfig ?? {};
  }
  if (minor >= 75) {
    out.boot_mode = n.bootMode;
    out.secure_boot = n.secureBoot;
  }
  return out;
}

async function getStates(ctx: NodeContext): Promise<Response> {
  return json(ctx, statesView(ctx.node, ctx.minor));
}

// ---- PUT /states/provision ----

const DIGITS: Schema = { type: "string", minLength: 1, pattern: "^[0-9]+$" };

/** Ironic's _STEPS_SCHEMA for clean and service steps (key order decides which error is reported). */
const STEPS_SCHEMA: Schema = {
  $schema: "http://json-schema.org/schema#",
  title: "Steps schema",
  type: "array",
  items: {
    type: "object",
    required: ["interface", "step"],
    properties: {
      interface: { description: "driver interface", enum: STEP_INTERFACES },
      step: { description: "name of clean step", type: "string", minLength: 1 },
      args: { description: "additional args", type: "object", properties: {} },
      order: { anyOf: [{ type: "integer", minimum: 0 }, DIGITS] },
      execute_on_child_nodes: { description: "Boolean if the step should be executed on child nodes.", type: "boolean" },
      limit_child_node_execution: { description: "List of nodes upon which to execute child node steps on.", type: "array" },
    },
    additionalProperties: false,
  },
};

/** Ironic's _DEPLOY_STEPS_SCHEMA. */
const DEPLOY_STEPS_SCHEMA: Schema = {
  $schema: "http://json-schema.org/schema#",
  title: "Deploy steps schema",
  type: "array",
  items: deployStepSchema(STEP_INTERFACES),
};

/**
 * The step schemas of reference §5.1. Like Ironic, a failure answers "Invalid <kind>: " followed
 * by jsonschema's whole error text (message, failed keyword and schema, the offending value).
 */
export function validateSteps(kind: "clean_steps" | "service_steps" | "deploy_steps", steps: unknown[]): StepRequest[] {
  const e = firstSchemaError(kind === "deploy_steps" ? DEPLOY_STEPS_SCHEMA : STEPS_SCHEMA, steps);
  if (e) throw new Invalid(`Invalid ${kind}: ${jsonschemaText(e)}`);
  for (const o of steps as Record<string, unknown>[]) {
    if (o.priority !== undefined) o.priority = Number(o.priority);
    if (o.order !== undefined) o.order = Number(o.order);
    const children = o.limit_child_node_execution;
    if (Array.isArray(children)) {
      for (const u of children) if (!isUuidLike(u)) throw new Invalid(`Invalid ${kind}: ${pyRepr(u)} is not a 'uuid'`);
    }
  }
  return steps as StepRequest[];
}

const PROVISION_KEYS: [string, number][] = [
  ["target", 1], ["configdrive", 1], ["clean_steps", 15], ["deploy_steps", 69], ["rescue_password", 38],
  ["disable_ramdisk", 70], ["service_steps", 87], ["runbook", 92],
];

/** Ironic's _CONFIG_DRIVE_SCHEMA. */
const CONFIG_DRIVE_SCHEMA: Schema = {
  anyOf: [
    {
      type: "object",
      properties: {
        meta_data: { type: "object" },
        network_data: { type: "object" },
        user_data: { type: ["object", "array", "string", "null"] },
        vendor_data: { type: "object" },
      },
      additionalProperties: false,
    },
    { type: ["string", "null"] },
  ],
};

function listArg(key: string, v: unknown): unknown[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v)) throw new Invalid(`Expected types <class 'NoneType'>, <class 'list'> for ${key}: ${typeof v === "string" ? v : pyRepr(v)}`);
  return v;
}

async function putProvision(ctx: NodeContext): Promise<Response> {
  const body = bodyObject(ctx);
  onlyKeys(body, PROVISION_KEYS.map(([k]) => k));
  const target = str("target", required(body, "target"));
  const minor = ctx.minor;
  const node = ctx.node;

  // argument types
  const cleanSteps = listArg("clean_steps", body.clean_steps);
  const deploySteps = listArg("deploy_steps", body.deploy_steps);
  const serviceSteps = listArg("service_steps", body.service_steps);
  const rescuePassword = body.rescue_password === undefined || body.rescue_password === null ? null : str("rescue_password", body.rescue_password);
  const disableRamdisk = body.disable_ramdisk === undefined || body.disable_ramdisk === null ? null : boolArg("disable_ramdisk", body.disable_ramdisk);
  const runbook = body.runbook === undefined || body.runbook === null ? null : str("runbook", body.runbook);
  const configdrive = body.configdrive ?? null;
  if (configdrive !== null && typeof configdrive !== "string" && (typeof configdrive !== "object" || Array.isArray(configdrive))) {
    throw new Invalid(`Expected types <class 'NoneType'>, <class 'str'>, <class 'dict'> for configdrive: ${pyRepr(configdrive)}`);
  }

  // 2. verb too new for the version
  if (isVerb(target) && minor < VERBS[target].minVersion) throw new NotAcceptable("Request not acceptable.");
  // 3. step policies
  if (cleanSteps?.length && !authorize("baremetal:node:set_provision_state:clean_steps", ctx.principal, node)) throw new Forbidden();
  if (serviceSteps?.length && !authorize("baremetal:node:set_provision_state:service_steps", ctx.principal, node)) throw new Forbidden();
  const verb = target as Verb;
  const isDeploy = verb === "active" || verb === "deploy";
  // 4. maintenance
  if ((isDeploy || verb === "rebuild" || verb === "clean") && node.maintenance) throw new NodeInMaintenance(target, node.uuid);
  // 5. state machine
  const state = node.provisionState;
  if (!isVerb(target) || !isProvisionState(state) || !verbAllowedFrom(verb, state, minor)) {
    if (node.reservation) throw new NodeLocked(node.uuid, node.reservation);
    throw new InvalidStateRequested(target, node.uuid, provisionStateAtVersion(state, minor) ?? "None");
  }
  // 6. configdrive
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
  // 7. parameters that belong to another verb, and version gates on parameters
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
  // 8. what a verb needs
  if (verb === "clean" && !cleanSteps?.length && runbook === null) {
    throw new Invalid('"clean_steps" is required when setting target provision state to clean');
  }
  if (verb === "service" && !serviceSteps?.length && runbook === null) {
    throw new Invalid('"service_steps" is required when setting target provision state to service');
  }
  if (verb === "rescue" && !rescuePassword) {
    throw new Invalid('A non-empty "rescue_password" is required when setting target provision state to rescue');
  }
  // 9. step schemas
  const params: ProvisionParams = {};
  if (cleanSteps?.length) params.clean_steps = validateSteps("clean_steps", cleanSteps);
  if (serviceSteps?.length) params.service_steps = validateSteps("service_steps", serviceSteps);
  if (deploySteps?.length) params.deploy_steps = validateSteps("deploy_steps", deploySteps);
  if (configdrive !== null && configdrive !== "") params.configdrive = configdrive;
  if (rescuePassword !== null) params.rescue_password = rescuePassword;
  if (disableRamdisk !== null) params.disable_ramdisk = disableRamdisk;
  if (runbook !== null) {
    // The runbook must be visible to the caller and usable by them (reference §5.4, §7.2).
    params.runbook = (await usableRunbook(ctx.principal, runbook)).uuid;
  }
  // node-level refusals the conductor would also make
  if ((verb === "rebuild" || verb === "deleted" || verb === "undeploy") && node.protected) throw new NodeProtected(node.uuid);
  if (verb === "provide" && node.retired) {
    throw new Invalid(`The providing operation can't be performed on node ${node.uuid} because it is retired.`);
  }

  const conductor = await conductorApi();
  await conductor.provision(node.id, verb, params, actorOf(ctx), minor);
  return empty(ctx, 202, statesLocation(ctx));
}

// ---- PUT /states/power ----

async function putPower(ctx: NodeContext): Promise<Response> {
  const body = bodyObject(ctx);
  onlyKeys(body, ["target", "timeout"]);
  const target = str("target", required(body, "target"));
  let timeout: number | undefined;
  if (body.timeout !== undefined && body.timeout !== null) {
    const t = body.timeout;
    const n = typeof t === "number" ? t : typeof t === "string" && /^\s*-?\d+\s*$/.test(t) ? Number(t) : NaN;
    if (!Number.isInteger(n)) throw new Invalid(`Expected an integer for timeout: ${typeof t === "string" ? t : pyRepr(t)}`);
    timeout = n;
  }
  const node = ctx.node;
  if ((target === "soft rebooting" || target === "soft power off" || timeout !== undefined) && ctx.minor < 27) {
    throw new NotAcceptable("Request not acceptable.");
  }
  if (timeout !== undefined && timeout < 1) throw new Invalid("timeout has to be positive integer");
  if (!isPowerTarget(target) || ctx.minor < POWER_TARGETS[target].minVersion) {
    throw new InvalidStateRequested(target, ctx.params.node, String(node.powerState ?? "None"));
  }
  if (inStates(node.provisionState, POWER_CHANGE_REFUSED_STATES)) {
    throw new InvalidStateRequested(target, ctx.params.node, node.provisionState);
  }
  if (node.disablePowerOff && POWER_TARGETS[target].result === "power off" && target !== "rebooting" && target !== "soft rebooting") {
    throw new Conflict(`Failed to change power state to '${POWER_TARGETS[target].result}' by '${target}'. Error: power off is disabled for node ${node.uuid} (disable_power_off).`);
  }
  const conductor = await conductorApi();
  await conductor.setPowerState(node.id, target, timeout, actorOf(ctx));
  return empty(ctx, 202, statesLocation(ctx));
}

// ---- PUT /states/raid ----

/** Ironic's raid_config_schema.json (a draft-04 schema; descriptions left out: only the message is shown). */
const RAID_CONFIG_SCHEMA: Schema = {
  type: "object",
  properties: {
    logical_disks: {
      type: "array",
      items: {
        type: "object",
        properties: {
          raid_level: { type: "string", enum: ["JBOD", "0", "1", "2", "5", "6", "1+0", "5+0", "6+0"] },
          size_gb: { anyOf: [{ type: "integer", minimum: 0 }, { type: "string", enum: ["MAX"] }] },
          volume_name: { type: "string" },
          is_root_volume: { type: "boolean" },
          share_physical_disks: { type: "boolean" },
          disk_type: { type: "string", enum: ["hdd", "ssd"] },
          interface_type: { type: "string", enum: ["sata", "scsi", "sas"] },
          number_of_physical_disks: { type: "integer", minimum: 0, exclusiveMinimum: true },
          controller: { type: "string" },
          physical_disks: { anyOf: [{ type: "array", items: { type: "string" } }, { type: "array", items: { type: "object" }, minItems: 2 }] },
        },
        required: ["raid_level", "size_gb"],
        additionalProperties: false,
        dependencies: { physical_disks: ["controller"] },
      },
      minItems: 1,
    },
  },
  required: ["logical_disks"],
  additionalProperties: false,
};

/** target_raid_config: {} clears it; otherwise Ironic's RAID schema ("RAID config validation error: <message>"). */
export function validateRaidConfig(cfg: unknown): Record<string, unknown> {
  if (cfg === null || typeof cfg !== "object" || Array.isArray(cfg)) {
    throw new Invalid(`Expected types <class 'dict'> for target_raid_config: ${pyRepr(cfg)}`);
  }
  const c = cfg as Record<string, unknown>;
  if (Object.keys(c).length === 0) return c; // {} clears the target
  const e = firstSchemaError(RAID_CONFIG_SCHEMA, c);
  if (e) throw new Invalid(`RAID config validation error: ${e.message}`);
  return c;
}

async function putRaid(ctx: NodeContext): Promise<Response> {
  await setTargetRaidConfig(ctx.principal, ctx.node, validateRaidConfig(ctx.body ?? null));
  return empty(ctx, 204);
}

// ---- PUT /states/boot_mode, /states/secure_boot (1.76) ----

function gate76(ctx: NodeContext): void {
  if (ctx.minor < 76) throw new NotFound("This endpoint is supported starting with the API version 1.76");
}

async function putBootMode(ctx: NodeContext): Promise<Response> {
  gate76(ctx);
  const body = bodyObject(ctx);
  onlyKeys(body, ["target"]);
  const target = str("target", required(body, "target"));
  if (target !== "uefi" && target !== "bios") {
    throw new Invalid(`Invalid boot mode ${target} requested for node. Allowed boot modes are: bios, uefi`);
  }
  if ((UNSTABLE_STATES as readonly string[]).includes(ctx.node.provisionState)) {
    throw new Conflict(`The boot mode of node ${ctx.node.uuid} can not be changed while it is in state "${ctx.node.provisionState}".`);
  }
  await (await conductorApi()).setBootMode(ctx.node.id, target, actorOf(ctx));
  return empty(ctx, 202, statesLocation(ctx));
}

async function putSecureBoot(ctx: NodeContext): Promise<Response> {
  gate76(ctx);
  const body = bodyObject(ctx);
  onlyKeys(body, ["target"]);
  const target = boolArg("target", required(body, "target"));
  if ((UNSTABLE_STATES as readonly string[]).includes(ctx.node.provisionState)) {
    throw new Conflict(`The secure boot state of node ${ctx.node.uuid} can not be changed while it is in state "${ctx.node.provisionState}".`);
  }
  await (await conductorApi()).setSecureBoot(ctx.node.id, target, actorOf(ctx));
  return empty(ctx, 202, statesLocation(ctx));
}

// ---- console ----

async function getConsole(ctx: NodeContext): Promise<Response> {
  return json(ctx, await consoleState(ctx.principal, ctx.node, ctx.base.replace(/\/baremetal$/, "")));
}

async function putConsole(ctx: NodeContext): Promise<Response> {
  const body = bodyObject(ctx);
  onlyKeys(body, ["enabled"]);
  const enabled = boolArg("enabled", required(body, "enabled"));
  await setConsoleState(ctx.principal, ctx.node, enabled, ctx.requestId);
  return empty(ctx, 202, statesLocation(ctx, "/console"));
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/nodes/:node/states", policy: "baremetal:node:get_states", handler: getStates },
  { method: "PUT", path: "/v1/nodes/:node/states/provision", policy: "baremetal:node:set_provision_state", maxBody: 64 << 20, handler: putProvision },
  { method: "PUT", path: "/v1/nodes/:node/states/power", policy: "baremetal:node:set_power_state", handler: putPower },
  { method: "PUT", path: "/v1/nodes/:node/states/raid", minVersion: 12, policy: "baremetal:node:set_raid_state", handler: putRaid },
  { method: "PUT", path: "/v1/nodes/:node/states/boot_mode", policy: "baremetal:node:set_boot_mode", handler: putBootMode },
  { method: "PUT", path: "/v1/nodes/:node/states/secure_boot", policy: "baremetal:node:set_secure_boot", handler: putSecureBoot },
  { method: "GET", path: "/v1/nodes/:node/states/console", policy: "baremetal:node:get_console", handler: getConsole },
  { method: "PUT", path: "/v1/nodes/:node/states/console", policy: "baremetal:node:set_console_state", handler: putConsole },
];
