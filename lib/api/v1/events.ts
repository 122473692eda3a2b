// External events (API 1.54): POST /v1/events from the networking service. Ironic only checks
// and logs them; so does Ingot (204).
import { Invalid } from "../../core/errors.ts";
import { empty, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isUuidLike, isValidMac } from "../validators.ts";
import { schemaCheck } from "./resource_common.ts";

export const NETWORK_EVENTS = ["network.bind_port", "network.unbind_port", "network.delete_port"] as const;

// Ironic validates the envelope (EVENTS_SCHEMA), then each event in turn: its schema, then its
// UUIDs and MAC address (NETWORK_EVENT_VALIDATOR). Key order decides which error is reported.
const NETWORK_EVENT_SCHEMA: Schema = {
  type: "object",
  properties: {
    event: { type: "string" },
    port_id: { type: "string" },
    mac_address: { type: "string" },
    status: { type: "string" },
    device_id: { type: ["string", "null"] },
    "binding:host_id": { type: ["string", "null"] },
    "binding:vnic_type": { type: ["string", "null"] },
  },
  required: ["event", "port_id", "mac_address", "status"],
  additionalProperties: false,
};

const EVENTS_SCHEMA: Schema = {
  type: "object",
  properties: {
    events: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        properties: { event: { type: "string", enum: NETWORK_EVENTS } },
        required: ["event"],
        additionalProperties: true,
      },
    },
  },
  required: ["events"],
  additionalProperties: false,
};

async function postEvents(ctx: ApiContext): Promise<Response> {
  schemaCheck("evts", EVENTS_SCHEMA, ctx.body ?? {});
  const events = (ctx.body as { events: Record<string, unknown>[] }).events;
  for (const e of events) {
    schemaCheck("evts", NETWORK_EVENT_SCHEMA, e);
    for (const key of ["port_id", "mac_address", "device_id", "binding:host_id"]) {
      const v = e[key];
      if (v === undefined || v === null) continue;
      if (key === "mac_address") {
        if (!isValidMac(v)) throw new Invalid(`Expected valid MAC address for mac_address: ${String(v)}`);
      } else if (!isUuidLike(v)) throw new Invalid(`Expected UUID for ${key}: ${String(v)}`);
    }
  }
  for (const e of events) console.info(`[events] ${String(e.event)} port ${String(e.port_id)} status ${String(e.status)}`);
  return empty(ctx, 204);
}

export const routes: RouteDef[] = [
  { method: "POST", path: "/v1/events", minVersion: 54, policy: "baremetal:events:post", handler: postEvents },
];
