"use server";
// Server actions of the node page's console panel: the server-action boundary (lib/web/boundary.ts)
// then the same console services as GET/PUT /v1/nodes/{node}/states/console.
import { headers } from "next/headers";
import { authorize, type Principal } from "../shared/policy.ts";
import { webCore } from "./core.ts";
import { webAction, type ActionResult } from "./boundary.ts";

export interface ConsoleState {
  ok: boolean;
  error?: string;
  enabled: boolean;
  /** console_info as the API gives it (null when disabled). */
  info: Record<string, unknown> | null;
  /** The node is locked by an operation (enabling is async: poll until it is released). */
  busy: boolean;
  lastError: string | null;
}

type Status = Omit<ConsoleState, "ok" | "error">;

const NODE_INPUT = { type: "object", required: ["node"], additionalProperties: false, properties: { node: { type: "string", minLength: 1, maxLength: 255 } } } as const;
const SET_INPUT = {
  type: "object", required: ["node", "enabled"], additionalProperties: false,
  properties: { node: { type: "string", minLength: 1, maxLength: 255 }, enabled: { type: "boolean" } },
} as const;

/** This request's own scheme://host, as the API builds console URLs from its request. */
async function origin(): Promise<string> {
  const h = await headers();
  const proto = h.get("x-forwarded-proto") ?? "http";
  return `${proto}://${h.get("x-forwarded-host") ?? h.get("host") ?? "localhost"}`;
}

async function status(principal: Principal, uuid: string): Promise<Status> {
  const { nodes, consoles } = webCore();
  const node = await nodes.visibleNode(principal, uuid);
  const view = await consoles.consoleState(principal, node, await origin());
  // Read again: the conductor may have just released the node or recorded an error.
  const fresh = await nodes.visibleNode(principal, node.uuid).catch(() => node);
  return {
    enabled: view.console_enabled, info: view.console_info, busy: !!fresh.reservation,
    lastError: authorize("baremetal:node:get:last_error", principal, fresh) ? fresh.lastError : null,
  };
}

const readState = webAction<{ node: string }, Status>({ schema: NODE_INPUT }, ({ node }, viewer) => status(viewer.principal, node));

const writeState = webAction<{ node: string; enabled: boolean }, Status>({ schema: SET_INPUT }, async ({ node, enabled }, viewer) => {
  const { nodes, consoles } = webCore();
  const record = await nodes.visibleNode(viewer.principal, node);
  await consoles.setConsoleState(viewer.principal, record, enabled);
  return { enabled: record.consoleEnabled, info: null, busy: true, lastError: null };
});

function asState(r: ActionResult<Status>): ConsoleState {
  return r.ok ? { ok: true, ...r.value } : { ok: false, error: r.error, enabled: false, info: null, busy: false, lastError: null };
}

export async function getConsoleState(uuid: string): Promise<ConsoleState> {
  return asState(await readState({ node: uuid }));
}

export async function setConsoleEnabled(uuid: string, enabled: boolean): Promise<ConsoleState> {
  return asState(await writeState({ node: uuid, enabled }));
}
