// Ramdisk endpoints (API 1.22, no credentials): GET /v1/lookup finds the node an agent runs on
// (by MAC addresses or node uuid) and hands it its configuration and agent token;
// POST /v1/heartbeat/{node} records the agent's callback URL and, for a node waiting for its
// agent (wait call-back / clean wait / service wait), continues the flow on the node's conductor
// as Ironic's heartbeat does. Only nodes in a state that waits for an agent can be looked up.
import { timingSafeEqual } from "node:crypto";
import type { NodeRecord } from "../../core/db/nodes.ts";
import { Invalid, InvalidStateRequested, NodeLocked, NodeNotFound, NotFound } from "../../core/errors.ts";
import {
  agentNode, agentNodeById, bmcHost, lookupInspectingNode, nodeWithAddresses, mintAgentToken, recordHeartbeat,
  type AgentHeartbeat,
} from "../../core/services/ramdisk.ts";
import { AGENT_TOKEN_KEY } from "../../core/agent/internal_info.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import { maskSecrets } from "../../core/secrets.ts";
import {
  AGENT_WAIT_STATES, HEARTBEAT_ALLOWED_STATES, inStates, LOOKUP_ALLOWED_STATES, ProvisionState as S,
} from "../../core/states.ts";
import type { InspectionData } from "../../core/inspection/inventory.ts";
import { empty, json, type ApiContext } from "../http.ts";
import { nodeLinks } from "../node_view.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isUuidLike, normalizeMac } from "../validators.ts";
import { schemaCheck } from "./resource_common.ts";

/** Seconds the agent waits between heartbeats (Ironic's [api]ramdisk_heartbeat_timeout). */
export const RAMDISK_HEARTBEAT_TIMEOUT = 300;


async function lookup(ctx: ApiContext): Promise<Response> {
  const q = ctx.url.searchParams;
  const addresses = (q.get("addresses") ?? "")
    .split(",")
    .map((a) => a.trim())
    .filter(Boolean)
    .flatMap((a) => {
      try {
        return [normalizeMac(a)];
      } catch {
        return [];
      }
    });
  const nodeUuid = q.get("node_uuid");
  if (!addresses.length && !nodeUuid) throw new Invalid("At least one of 'addresses' and 'node_uuid' parameters is required");
  let node: NodeRecord | null = null;
  if (nodeUuid) {
    if (!isUuidLike(nodeUuid)) throw new Invalid(`Expected UUID for node_uuid: ${nodeUuid}`);
    node = await agentNode(nodeUuid, false);
  } else {
    node = await nodeWithAddresses(addresses);
  }
  if (!node || !inStates(node.provisionState, LOOKUP_ALLOWED_STATES)) throw new NotFound("Resource could not be found.");
  // The token is handed out once; later lookups see it masked.
  const minted = await mintAgentToken(node);
  if (minted) node = minted.node;
  const token = minted?.token ?? null;
  return json(ctx, {
    node: {
      uuid: node.uuid,
      properties: node.properties ?? {},
      instance_info: maskSecrets(node.instanceInfo ?? {}),
      driver_internal_info: maskSecrets(node.driverInternalInfo ?? {}),
      links: nodeLinks(ctx.base, node.uuid),
    },
    // The keys IPA (Zed) reads, with Ironic's defaults; nothing secret besides the one-time token.
    config: {
      metrics: { backend: "noop", prepend_host: false, prepend_uuid: false, prepend_host_reverse: true, global_prefix: null },
      metrics_statsd: { statsd_host: "localhost", statsd_port: 8125 },
      heartbeat_timeout: RAMDISK_HEARTBEAT_TIMEOUT,
      agent_token: token ?? "******",
      agent_token_required: true,
    },
  });
}

/** The heartbeat's arguments, in the order Ironic checks them (all strings, callback_url required). */
const HEARTBEAT_ARGS = ["callback_url", "agent_version", "agent_token", "agent_verify_ca", "agent_status", "agent_status_message"] as const;
const AGENT_VALID_STATES = ["start", "end", "error"];

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---- heartbeat processing (Ironic's ConductorManager.heartbeat + agent_base HeartbeatMixin) ----

/**
 * In the agent wait states a heartbeat continues the flow: the running step returned "wait" (the
 * agent has booted and called back, or finished what it was asked), so the conductor records it
 * finished and runs the remaining steps (Conductor.continueSteps, routed to the node's conductor).
 */
const CONTINUED_BY_HEARTBEAT = [...AGENT_WAIT_STATES, S.RESCUEWAIT];

type HeartbeatOutcome = "continued" | "recorded" | "ignored";

/**
 * What Ironic does with a heartbeat, for the flows Ingot has: ignored outside HEARTBEAT_ALLOWED;
 * recorded; in maintenance nothing more (Ironic's default allow_provisioning_in_maintenance);
 * in wait call-back / clean wait / service wait the flow continues on the node's conductor, in
 * rescue wait the rescue finishes (when the rescue interface has an agent to finish it).
 * A locked node: 409 when the agent is not known yet or the heartbeat would continue a flow (IPA
 * retries a 409 within seconds); otherwise the heartbeat is dropped like Ironic does (the agent
 * heartbeats again).
 */
async function processHeartbeat(node: NodeRecord, hb: AgentHeartbeat, requestId: string): Promise<HeartbeatOutcome> {
  if (!inStates(node.provisionState, HEARTBEAT_ALLOWED_STATES)) return "ignored";
  const wouldContinue = inStates(node.provisionState, CONTINUED_BY_HEARTBEAT) && !node.maintenance;
  const recorded = await recordHeartbeat(node, hb);
  if (recorded === false) {
    const fresh = (await agentNodeById(node.id)) ?? node;
    if (!fresh.driverInternalInfo?.agent_url || wouldContinue) throw new NodeLocked(node.uuid, fresh.reservation ?? "another conductor");
    return "ignored";
  }
  if (!wouldContinue || !inStates(recorded.provisionState, CONTINUED_BY_HEARTBEAT) || recorded.maintenance) return "recorded";
  const { conductorApi } = await import("./nodes.ts");
  try {
    await (await conductorApi()).continueSteps(recorded.id, { user: null, project: null, requestId });
  } catch (err) {
    // The node left the wait state between our read and the conductor's lock (aborted, timed
    // out, continued by an earlier heartbeat): nothing to continue; Ironic ignores it too.
    if (err instanceof InvalidStateRequested) return "recorded";
    throw err;
  }
  return "continued";
}

/**
 * Ironic's HeartbeatController.post and ConductorManager.heartbeat checks, in their order and
 * words: argument names and types; fields newer than the request's microversion (400, "not
 * recognised"); the node; the token is present; agent_status is valid; a version or a status is
 * given; the token is the node's.
 */
async function heartbeat(ctx: ApiContext): Promise<Response> {
  const body = ctx.body ?? {};
  if (typeof body !== "object" || Array.isArray(body)) throw new Invalid(`Expected types <class 'dict'> for body: ${pyRepr(body)}`);
  const b = body as Record<string, unknown>;
  const unexpected = Object.keys(b).filter((k) => !(HEARTBEAT_ARGS as readonly string[]).includes(k));
  if (unexpected.length) throw new Invalid(`Unexpected arguments: ${unexpected.join(", ")}`);
  for (const arg of HEARTBEAT_ARGS) {
    const v = b[arg];
    if (arg === "callback_url" && (v === undefined || v === null || v === "")) throw new Invalid("Missing mandatory parameter: callback_url");
    if (v !== undefined && v !== null && typeof v !== "string") throw new Invalid(`Expected string for ${arg}: ${pyRepr(v)}`);
  }
  const arg = (k: (typeof HEARTBEAT_ARGS)[number]) => (b[k] as string | null | undefined) ?? null;
  // Fields newer than the request's version: Ironic refuses them with 400, not 406.
  if (arg("agent_version") && ctx.minor < 36) throw new Invalid('Field "agent_version" not recognised');
  if ((arg("agent_status") || arg("agent_status_message")) && ctx.minor < 72) {
    throw new Invalid('Fields "agent_status" and "agent_status_message" not recognised.');
  }
  if (arg("agent_verify_ca") !== null && ctx.minor < 68) throw new Invalid('Field "agent_verify_ca" not recognised in this version');
  const ident = ctx.params.ident;
  const node = await agentNode(ident, true);
  if (!node) throw new NodeNotFound(ident);
  const given = arg("agent_token");
  if (given === null) throw new Invalid("Agent token is required for heartbeat processing.");
  const status = arg("agent_status");
  if (status !== null && !AGENT_VALID_STATES.includes(status)) {
    throw new Invalid(`Agent status is invalid. Valid states are ${AGENT_VALID_STATES.join(",")}.`);
  }
  const hb: AgentHeartbeat = {
    callbackUrl: arg("callback_url")!, agentVersion: arg("agent_version"), status, statusMessage: arg("agent_status_message"),
    verifyCa: arg("agent_verify_ca") || null,
  };
  if (hb.agentVersion === null && hb.status === null) {
    throw new Invalid("Agent did not transmit a version, and a version is required. Please update the agent being used.");
  }
  const expected = node.driverInternalInfo[AGENT_TOKEN_KEY];
  // Ironic answers a wrong token with InvalidParameterValue (400), not 401.
  if (typeof expected !== "string" || !sameToken(expected, given)) throw new Invalid("Invalid or missing agent token received.");
  // The agent makes a new certificate on every boot (its token and URL are wiped at power off):
  // a different one from the same running agent is refused, as Ironic does.
  const knownCa = node.driverInternalInfo.agent_verify_ca;
  if (hb.verifyCa !== null && typeof knownCa === "string" && knownCa.trim() !== hb.verifyCa.trim()) {
    throw new Invalid('Detected change in ramdisk provided "agent_verify_ca"');
  }
  await processHeartbeat(node, hb, ctx.requestId);
  return empty(ctx, 202);
}

// ---- POST /v1/continue_inspection (1.84): inspection data from a ramdisk ----

const CONTINUE_INSPECTION_SCHEMA: Schema = {
  type: "object",
  required: ["inventory"],
  properties: {
    inventory: {
      type: "object",
      required: ["interfaces"],
      properties: {
        bmc_address: { type: "string", nullable: true },
        bmc_v6address: { type: "string", nullable: true },
        interfaces: {
          type: "array",
          minItems: 1,
          items: { type: "object", required: ["mac_address"], properties: { mac_address: { type: "string" } } },
        },
      },
    },
  },
};

async function continueInspection(ctx: ApiContext): Promise<Response> {
  // Ironic accepts 1.1 (ironic-inspector compatibility) and 1.84 or newer.
  if (ctx.minor !== 1 && ctx.minor < 84) throw new NotFound("API version 1.84 or newer is required");
  schemaCheck("body", CONTINUE_INSPECTION_SCHEMA, ctx.body ?? {});
  const data = { ...(ctx.body as Record<string, unknown>) };
  const inventory = data.inventory as Record<string, unknown> & { interfaces: { mac_address: string }[] };
  delete data.inventory;
  const nodeUuid = ctx.url.searchParams.get("node_uuid");
  if (nodeUuid !== null && !isUuidLike(nodeUuid)) throw new Invalid(`Expected a UUID for node_uuid: ${nodeUuid}`);
  const macs: string[] = [];
  for (const iface of inventory.interfaces) {
    try {
      macs.push(normalizeMac(iface.mac_address));
    } catch {
      // Ironic ignores malformed MACs in lookup data.
    }
  }
  const bmcAddresses = [inventory.bmc_address, inventory.bmc_v6address]
    .map(bmcHost)
    .filter((a): a is string => a !== null && a !== "0.0.0.0" && a !== "::");
  if (!macs.length && !bmcAddresses.length && !nodeUuid) throw new Invalid("No lookup information provided");
  const node = await lookupInspectingNode(macs, bmcAddresses, nodeUuid);
  if (!node) throw new NotFound("No node in inspect wait matches the posted data.");
  const { conductorApi } = await import("./nodes.ts");
  // The inventory's contents are checked when it is processed: a bad one fails the inspection.
  await (await conductorApi()).continueInspection(
    node.id, { inventory: inventory as unknown as InspectionData["inventory"], pluginData: data },
    { user: null, project: null, requestId: ctx.requestId },
  );
  return json(ctx, { uuid: node.uuid }, 202);
}

export const routes: RouteDef[] = [
  { method: "POST", path: "/v1/continue_inspection", public: true, maxBody: 16 << 20, handler: continueInspection },
  { method: "GET", path: "/v1/lookup", minVersion: 22, public: true, handler: lookup },
  { method: "POST", path: "/v1/heartbeat/:ident", minVersion: 22, public: true, handler: heartbeat },
];
