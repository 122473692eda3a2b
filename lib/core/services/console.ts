// Node consoles as use cases (docs/consoles.md): read and set the console state, read the
// console log. The API (GET/PUT …/states/console, GET …/console/log), the dashboard's server
// actions and its log download call these; the work happens on the node's conductor (in this
// process or over RPC), where the console source and the log live.
import { conductorApi } from "../conductor/rpc.ts";
import { mintConsoleToken } from "../console/tokens.ts";
import { findNode, getNodeById, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { Invalid, IronicError } from "../errors.ts";
import type { Principal } from "../policy.ts";
import { recordHistory } from "../history.ts";
import { actorOf, allow } from "./access.ts";

export interface ConsoleView {
  console_enabled: boolean;
  /** As the API gives it: null when disabled; relayed consoles as {type, url}. */
  console_info: Record<string, unknown> | null;
}

/**
 * The node's console state. `origin` is the caller's own scheme://host: consoles relayed by
 * Ingot's websockets get their URL built from it, graphical ones with a fresh console token.
 */
export async function consoleState(principal: Principal, node: NodeRecord, origin: string): Promise<ConsoleView> {
  allow("baremetal:node:get_console", principal, node);
  let info: ConsoleView;
  try {
    info = await conductorApi().getConsole(node.id);
  } catch (err) {
    // No conductor answers: say what the database knows.
    if (!(err instanceof IronicError && err.status === 503)) throw err;
    info = { console_enabled: node.consoleEnabled, console_info: node.consoleEnabled ? {} : null };
  }
  let consoleInfo = info.console_enabled ? (info.console_info ?? null) : null;
  if (consoleInfo && typeof consoleInfo.path === "string") consoleInfo = await relayed(node, origin, consoleInfo.type as string, consoleInfo.path);
  return { console_enabled: info.console_enabled, console_info: consoleInfo };
}

async function relayed(node: NodeRecord, origin: string, type: string, path: string): Promise<Record<string, unknown>> {
  if (type === "vnc") {
    const { token } = await mintConsoleToken(await sql(), node);
    return { type: "vnc", url: `${origin}${path}?token=${encodeURIComponent(token)}` };
  }
  return { type, url: `${origin.replace(/^http/, "ws")}${path}` };
}

/** Enables or disables the console (asynchronous: the node is locked until its conductor is done). */
export async function setConsoleState(principal: Principal, node: NodeRecord, enabled: boolean, requestId?: string): Promise<void> {
  allow("baremetal:node:set_console_state", principal, node);
  await conductorApi().setConsoleMode(node.id, enabled, actorOf(principal, requestId));
}

/** The `kib` query parameter of a log read: how many bytes from the end (null: the whole log). */
export function consoleLogBytes(raw: string | null): number | null {
  if (raw === null || raw === "") return null;
  const kib = Number(raw);
  if (!Number.isInteger(kib) || kib < 1) throw new Invalid(`Invalid value for kib: "${raw}" (a positive integer).`);
  return kib * 1024;
}

/** The last `bytes` of the node's console log (all of it when null), read where it is captured. */
export async function consoleLog(principal: Principal, node: NodeRecord, bytes: number | null): Promise<Buffer> {
  allow("baremetal:node:get_console", principal, node);
  return Buffer.from(await conductorApi().readConsoleLog(node.id, bytes), "base64");
}

/**
 * The node behind a relayed console socket on its conductor's RPC listener: the web process that
 * took the browser's socket already checked the caller (lib/server/console_relay.ts).
 */
export async function relayedConsoleNode(uuid: string): Promise<NodeRecord | null> {
  return findNode(await sql(), uuid, true);
}

/** The history row of a console session that ended (written by the web process that held it). */
export async function recordConsoleSession(
  node: NodeRecord, principal: Principal, session: { what: string; readOnly: boolean; seconds: number; extra: string },
): Promise<void> {
  const db = await sql();
  const fresh = (await getNodeById(db, node.id)) ?? node;
  await recordHistory(db, fresh, {
    event: { kind: "console", message: `${session.what} console session of ${principal.username}${session.readOnly ? " (read-only)" : ""} ended after ${session.seconds} s${session.extra}` },
    eventType: "console",
    user: principal.username,
    project: principal.projectId,
    durationSeconds: session.seconds,
  });
}
