"use server";
// Server actions of the node page's console panel. They apply the same policy rules as the API
// (`baremetal:node:get` to see the node, then `baremetal:node:set_console_state` /
// `baremetal:node:get_console`) and call the same conductor methods as
// PUT/GET /v1/nodes/{node}/states/console.
import { headers } from "next/headers";
import { conductorApi } from "@/lib/api/v1/nodes.ts";
import { mintConsoleToken } from "@/lib/core/console/tokens.ts";
import { findNode, type NodeRecord } from "@/lib/core/db/nodes.ts";
import { sql } from "@/lib/core/db/sql.ts";
import { IronicError } from "@/lib/core/errors.ts";
import { authorize } from "@/lib/core/policy.ts";
import { currentViewer, type Viewer } from "@/lib/web/session.ts";

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

async function load(uuid: string, rule: string): Promise<{ viewer: Viewer; node: NodeRecord } | { error: string }> {
  const viewer = await currentViewer();
  if (!viewer) return { error: "Your session has expired: log in again." };
  const node = await findNode(await sql(), uuid, true);
  if (!node || !authorize("baremetal:node:get", viewer.principal, node)) return { error: `Node ${uuid} could not be found.` };
  if (!authorize(rule, viewer.principal, node)) return { error: "You are not allowed to do this on this node." };
  return { viewer, node };
}

function failed(error: string): ConsoleState {
  return { ok: false, error, enabled: false, info: null, busy: false, lastError: null };
}

function message(err: unknown): string {
  if (err instanceof IronicError) return err.message;
  console.error("[ingot] console action failed:", err);
  return "The console request failed.";
}

/**
 * Relayed consoles: the driver answers {type, path}; as the API does (GET …/states/console), build
 * the URL from this request's host, minting a fresh console token for a graphical console.
 */
async function relayed(node: NodeRecord, info: Record<string, unknown> | null): Promise<Record<string, unknown> | null> {
  if (!info || typeof info.path !== "string") return info;
  const h = await headers();
  const proto = h.get("x-forwarded-proto") ?? "http";
  const base = `${proto}://${h.get("x-forwarded-host") ?? h.get("host") ?? "localhost"}`;
  if (info.type === "vnc") {
    const { token } = await mintConsoleToken(await sql(), node);
    return { type: "vnc", url: `${base}${info.path}?token=${encodeURIComponent(token)}` };
  }
  return { type: info.type, url: `${base.replace(/^http/, "ws")}${info.path}` };
}

export async function getConsoleState(uuid: string): Promise<ConsoleState> {
  const r = await load(uuid, "baremetal:node:get_console");
  if ("error" in r) return failed(r.error);
  try {
    const info = await (await conductorApi()).getConsole(r.node.id);
    const node = (await findNode(await sql(), r.node.uuid, true)) ?? r.node;
    return {
      ok: true, enabled: info.console_enabled, info: info.console_enabled ? await relayed(node, info.console_info ?? null) : null,
      busy: !!node.reservation, lastError: authorize("baremetal:node:get:last_error", r.viewer.principal, node) ? node.lastError : null,
    };
  } catch (err) {
    return { ...failed(message(err)), enabled: r.node.consoleEnabled };
  }
}

export async function setConsoleEnabled(uuid: string, enabled: boolean): Promise<ConsoleState> {
  const r = await load(uuid, "baremetal:node:set_console_state");
  if ("error" in r) return failed(r.error);
  try {
    const p = r.viewer.principal;
    await (await conductorApi()).setConsoleMode(r.node.id, enabled, { user: p.userId ?? p.username, project: p.projectId });
  } catch (err) {
    return { ...failed(message(err)), enabled: r.node.consoleEnabled };
  }
  return { ok: true, enabled: r.node.consoleEnabled, info: null, busy: true, lastError: null };
}
