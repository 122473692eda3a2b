// External events (API 1.54): POST /v1/events from the networking service. Ironic only checks
// and logs them; so does Ingot (204).
import { Invalid } from "../../core/errors.ts";
import { empty, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isUuidLike, isValidMac } from "../validators.ts";
import { schemaCheck } from "./resource_common.ts";

export const NETWORK_EVENTS = ["network.bind_port", "network.unbind_port", "network.delete_port"] as const;

const EVENT_SCHEMA: Schema = {
  type: "object",
  required: ["event", "port_id", "mac_address", "status"],
  additionalProperties: false,
  properties: {
    event: { type: "string", enum: NETWORK_EVENTS },
    port_id: { type: "string" },
    mac_address: { type: "string" },
    status: { type: "string" },
    device_id: { type: "string", nullable: true },
    "binding:host_id": { type: "string", nullable: true },
    "binding:vnic_type": { type: "string", nullable: true },
  },
};

const BODY_SCHEMA: Schema = {
  type: "object",
  required: ["events"],
  additionalProperties: false,
  properties: { events: { type: "array", minItems: 1, items: EVENT_SCHEMA } },
};

async function postEvents(ctx: ApiContext): Promise<Response> {
  schemaCheck("evts", BODY_SCHEMA, ctx.body ?? {});
  const events = (ctx.body as { events: Record<string, unknown>[] }).events;
  for (const e of events) {
    for (const key of ["port_id", "device_id", "binding:host_id"]) {
      const v = e[key];
      if (v !== undefined && v !== null && !isUuidLike(v)) throw new Invalid(`Expected UUID for ${key}: ${String(v)}`);
    }
    if (!isValidMac(e.mac_address)) throw new Invalid(`Expected valid MAC address for mac_address: ${String(e.mac_address)}`);
  }
  for (const e of events) console.info(`[events] ${String(e.event)} port ${String(e.port_id)} status ${String(e.status)}`);
  return empty(ctx, 204);
}

export const routes: RouteDef[] = [
  { method: "POST", path: "/v1/events", minVersion: 54, policy: "baremetal:events:post", handler: postEvents },
];
