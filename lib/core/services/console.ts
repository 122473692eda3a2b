// Node consoles as use cases (docs/consoles.md): read and set the console state, read the
// console log, open a console session. The API (GET/PUT …/states/console, GET …/console/log), the
// dashboard's server actions and its log download, and the console websockets (lib/server) call
// these; the work happens on the node's conductor (in this process or over RPC), where the console
// source and the log live.
import { conductorApi, consoleTargetFor } from "../conductor/rpc.ts";
import { consoleKindOf } from "../console/sources.ts";
import { checkConsoleToken, mintConsoleToken } from "../console/tokens.ts";
import type { ConsoleKind } from "../console/types.ts";
import { findNode, getNodeById, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { ConsoleNotEnabled, ConsoleRefused, ConsoleUnavailable, Invalid, IronicError, NodeNotFound } from "../errors.ts";
import { authorize, type Principal } from "../policy.ts";
import { recordHistory } from "../history.ts";
import { actorOf, allow, visibleNode } from "./access.ts";

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

/** A console session the caller may open, and where the console's source lives. */
export interface ConsoleSession {
  node: NodeRecord;
  /** Watch only: the caller may see the node but not type (readers, lessees without the right). */
  readOnly: boolean;
  /** Graphical: when its console token expires (ms since epoch). */
  expiresAt?: number;
  target: Awaited<ReturnType<typeof consoleTargetFor>>;
}

/**
 * Whether `principal` may open the `kind` console of the node named `ident`, and how. Refusals:
 * NodeNotFound (404) or Forbidden (403) as for any node lookup, ConsoleNotEnabled (409),
 * ConsoleRefused (403: the graphical console without the typing right, a wrong or expired console
 * token) and ConsoleUnavailable (503: the node's conductor cannot be found).
 */
export async function openConsoleSession(principal: Principal, ident: string, kind: ConsoleKind, token: string | null): Promise<ConsoleSession> {
  const node = await visibleNode(principal, ident);
  const mayType = authorize("baremetal:node:get_console", principal, node);
  requireConsoleEnabled(node, kind);
  let expiresAt: number | undefined;
  if (kind === "graphical") {
    // RFB input cannot be filtered in a raw relay: the graphical console needs the typing right.
    if (!mayType) throw new ConsoleRefused("not allowed to use the graphical console");
    expiresAt = checkConsoleToken(node, token) ?? undefined;
    if (expiresAt === undefined) throw new ConsoleRefused("invalid or expired console token");
  }
  const target = await consoleTargetFor(node.id).catch((err: Error) => {
    throw new ConsoleUnavailable(`console unavailable: ${err.message}`);
  });
  return { node, readOnly: !mayType, expiresAt, target };
}

function requireConsoleEnabled(node: NodeRecord, kind: ConsoleKind): void {
  if (!node.consoleEnabled || consoleKindOf(node) !== kind) throw new ConsoleNotEnabled(kind, node.uuid);
}

/**
 * The node behind a relayed console socket on its conductor's RPC listener, with that console
 * enabled (checked again where the source is): the web process that took the browser's socket
 * already checked the caller with openConsoleSession (lib/server/console_relay.ts).
 */
export async function relayedConsoleNode(uuid: string, kind: ConsoleKind): Promise<NodeRecord> {
  const node = await findNode(await sql(), uuid, true);
  if (!node) throw new NodeNotFound(uuid);
  requireConsoleEnabled(node, kind);
  return node;
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
