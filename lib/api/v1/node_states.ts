// /v1/nodes/{ident}/states: provision, power, raid, boot mode, secure boot, console
// (reference §1.3, §1.4, §2.3, §6). The handlers check versions and argument types; the services
// of lib/core/services/node_states.ts and console.ts check policy and state, in Ironic's order.
import type { NodeRecord } from "../../core/db/nodes.ts";
import { Invalid, NotFound } from "../../core/errors.ts";
import { consoleState, setConsoleState } from "../../core/services/console.ts";
import { setBootMode, setPowerState, setProvisionState, setSecureBoot, setTargetRaidConfig } from "../../core/services/node_states.ts";
import { provisionStateAtVersion } from "../../core/states.ts";
import { empty, json, ts } from "../http.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import { firstSchemaError, type Schema } from "../schema.ts";
import type { NodeContext, RouteDef } from "../router.ts";
import { queryBool } from "./nodes.ts";

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

const PROVISION_KEYS: [string, number][] = [
  ["target", 1], ["configdrive", 1], ["clean_steps", 15], ["deploy_steps", 69], ["rescue_password", 38],
  ["disable_ramdisk", 70], ["service_steps", 87], ["runbook", 92],
];

function listArg(key: string, v: unknown): unknown[] | null {
  if (v === null || v === undefined) return null;
  if (!Array.isArray(v)) throw new Invalid(`Expected types <class 'NoneType'>, <class 'list'> for ${key}: ${typeof v === "string" ? v : pyRepr(v)}`);
  return v;
}

async function putProvision(ctx: NodeContext): Promise<Response> {
  const body = bodyObject(ctx);
  onlyKeys(body, PROVISION_KEYS.map(([k]) => k));
  const target = str("target", required(body, "target"));

  // argument types (the service checks the rest in Ironic's order)
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

  await setProvisionState(ctx.principal, ctx.node, {
    target, clean_steps: cleanSteps, deploy_steps: deploySteps, service_steps: serviceSteps,
    configdrive: configdrive as string | Record<string, unknown> | null,
    rescue_password: rescuePassword, disable_ramdisk: disableRamdisk, runbook,
  }, { apiVersion: ctx.minor, requestId: ctx.requestId });
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
  await setPowerState(ctx.principal, ctx.node, { target, timeout }, { apiVersion: ctx.minor, requestId: ctx.requestId, named: ctx.params.node });
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
  await setBootMode(ctx.principal, ctx.node, target, { requestId: ctx.requestId });
  return empty(ctx, 202, statesLocation(ctx));
}

async function putSecureBoot(ctx: NodeContext): Promise<Response> {
  gate76(ctx);
  const body = bodyObject(ctx);
  onlyKeys(body, ["target"]);
  const target = boolArg("target", required(body, "target"));
  await setSecureBoot(ctx.principal, ctx.node, target, { requestId: ctx.requestId });
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
