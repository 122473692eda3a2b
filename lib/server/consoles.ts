// Ingot's console websockets (docs/consoles.md), served from the HTTP server's `upgrade` event:
//   /ws/nodes/{node}/serial[?offset=N]       serial console, both ways (watch-only for readers / lessees)
//   /ws/nodes/{node}/vnc?token=<console token> RFB relay of the graphical console
// Order: credentials (Auth.js session cookie, or an API token: ?token= on /serial, ?api_token= on
// /vnc, or the X-Auth-Token / Authorization headers) → node visibility → policy → console enabled
// (→ console token) — and only then the hello and the first console byte. Every refusal accepts
// the upgrade and closes at once with a 44xx code (browsers cannot read an HTTP refusal's status).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, createWebSocketStream } from "ws";
import { getNodeById, findNode, type NodeRecord } from "../core/db/nodes.ts";
import { sql } from "../core/db/sql.ts";
import { recordHistory } from "../core/history.ts";
import { authorize, isSystemScoped, type Principal } from "../core/policy.ts";
import { resolveCredentials } from "../core/users.ts";
import { principalFromCookie } from "./session_cookie.ts";
import { registerSession } from "../core/console/sessions.ts";
import { acquireSerial, attachGraphical, consoleKindOf } from "../core/console/sources.ts";
import { checkConsoleToken } from "../core/console/tokens.ts";

export const CLOSE = { NORMAL: 1000, GOING_AWAY: 1001, SOURCE_FAILED: 1011, UNAUTHENTICATED: 4401, FORBIDDEN: 4403, NOT_FOUND: 4404, NOT_ENABLED: 4409 } as const;

const PATH_RE = /^\/ws\/nodes\/([^/]+)\/(serial|vnc)\/?$/;

class Refusal extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

let wss: WebSocketServer | null = null;
function server(): WebSocketServer {
  wss ??= new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 1 << 20,
    handleProtocols: (protocols) => (protocols.has("binary") ? "binary" : false),
  });
  return wss;
}

/** Whether the path is one of the console websockets. */
export function isConsoleWebsocketPath(path: string): boolean {
  return PATH_RE.test(path);
}

/**
 * The production upgrade handler for /ws/nodes/*: true when it took the socket (then it owns it),
 * false for paths it does not serve.
 */
export function handleConsoleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
  const url = new URL(req.url ?? "/", "http://localhost");
  const m = PATH_RE.exec(url.pathname);
  if (!m) return false;
  const ident = decodeURIComponent(m[1]);
  const kind = m[2] as "serial" | "vnc";
  server().handleUpgrade(req, socket, head, (ws) => {
    runSession(ws, req, url, ident, kind).catch((err) => {
      if (err instanceof Refusal) {
        ws.close(err.code, err.message.slice(0, 120));
        return;
      }
      console.error(`[ingot] console websocket ${url.pathname} failed:`, err);
      if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.SOURCE_FAILED, "console unavailable");
    });
  });
  return true;
}

// ---- credentials ----

async function principalOf(req: IncomingMessage, url: URL, kind: "serial" | "vnc"): Promise<Principal | null> {
  const headers = new Headers();
  for (const h of ["x-auth-token", "authorization", "cookie"]) {
    const v = req.headers[h];
    if (typeof v === "string") headers.set(h, v);
  }
  const apiToken = url.searchParams.get(kind === "serial" ? "token" : "api_token");
  if (apiToken) return resolveCredentials(new Request("http://localhost/", { headers: { "x-auth-token": apiToken } }));
  if (headers.has("x-auth-token") || /^(Bearer|Basic)\s/i.test(headers.get("authorization") ?? "")) {
    const p = await resolveCredentials(new Request("http://localhost/", { headers }));
    if (p) return p;
  }
  return principalFromCookie(headers.get("cookie"));
}

// ---- sessions ----

async function runSession(ws: WebSocket, req: IncomingMessage, url: URL, ident: string, kind: "serial" | "vnc"): Promise<void> {
  const principal = await principalOf(req, url, kind);
  if (!principal) throw new Refusal(CLOSE.UNAUTHENTICATED, "not authenticated");
  const db = await sql();
  const node = await findNode(db, ident, true);
  if (!node) throw new Refusal(CLOSE.NOT_FOUND, `node ${ident} not found`);
  if (!authorize("baremetal:node:get", principal, node)) {
    // Project-scoped callers do not learn that the node exists (as the API answers 404).
    if (isSystemScoped(principal)) throw new Refusal(CLOSE.FORBIDDEN, "not allowed");
    throw new Refusal(CLOSE.NOT_FOUND, `node ${ident} not found`);
  }
  const mayType = authorize("baremetal:node:get_console", principal, node);
  const wanted = kind === "serial" ? "serial" : "graphical";
  if (!node.consoleEnabled || consoleKindOf(node) !== wanted) throw new Refusal(CLOSE.NOT_ENABLED, `the ${wanted} console of node ${node.uuid} is not enabled`);
  if (ws.readyState !== WebSocket.OPEN) return;
  if (kind === "serial") await serveSerial(ws, url, node, principal, !mayType);
  else {
    // RFB input cannot be filtered in a raw relay: the graphical console needs the typing right.
    if (!mayType) throw new Refusal(CLOSE.FORBIDDEN, "not allowed to use the graphical console");
    const expiresAt = checkConsoleToken(node, url.searchParams.get("token"));
    if (expiresAt === null) throw new Refusal(CLOSE.FORBIDDEN, "invalid or expired console token");
    await serveGraphical(ws, node, principal, expiresAt);
  }
}

async function writeSessionHistory(node: NodeRecord, principal: Principal, what: string, readOnly: boolean, startedAt: number, extra = ""): Promise<void> {
  const seconds = Math.round((Date.now() - startedAt) / 100) / 10;
  try {
    const db = await sql();
    const fresh = (await getNodeById(db, node.id)) ?? node;
    await recordHistory(db, fresh, {
      event: `${what} console session of ${principal.username}${readOnly ? " (read-only)" : ""} ended after ${seconds} s${extra}`,
      eventType: "console",
      user: principal.username,
      project: principal.projectId,
      durationSeconds: seconds,
    });
  } catch (err) {
    console.error("[ingot] console history failed:", err);
  }
}

async function serveSerial(ws: WebSocket, url: URL, node: NodeRecord, principal: Principal, readOnly: boolean): Promise<void> {
  const lease = await acquireSerial(node).catch((err) => {
    throw new Refusal(CLOSE.SOURCE_FAILED, `console source unavailable: ${(err as Error).message}`);
  });
  if (!lease) throw new Refusal(CLOSE.NOT_ENABLED, "no serial console");
  if (ws.readyState !== WebSocket.OPEN) return lease.release();
  const ch = lease.channel;
  const startedAt = Date.now();
  const rawOffset = url.searchParams.get("offset");
  const asked = rawOffset !== null && /^\d+$/.test(rawOffset) ? Number(rawOffset) : 0;
  // Synchronous: no output can slip between the backlog and the subscription.
  const backlog = ch.readFrom(asked);
  const unsubscribe = ch.subscribe((d) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(d, { binary: true });
  });
  ws.send(JSON.stringify({ type: "hello", offset: backlog.offset, end: ch.end(), readOnly, node: node.uuid }));
  if (backlog.data.length) ws.send(backlog.data, { binary: true });
  ws.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
    if (readOnly) return;
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    ch.write(buf);
  });
  ch.onClose(() => {
    if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.GOING_AWAY, "console source closed");
  });
  const unregister = registerSession({
    uuid: node.uuid, kind: "serial", user: principal.username, readOnly, startedAt,
    close: (code, reason) => ws.close(code, reason),
  });
  ws.once("close", () => {
    unsubscribe();
    unregister();
    lease.release();
    void writeSessionHistory(node, principal, "Serial", readOnly, startedAt);
  });
}

async function serveGraphical(ws: WebSocket, node: NodeRecord, principal: Principal, expiresAt: number): Promise<void> {
  const stream = createWebSocketStream(ws);
  stream.on("error", () => undefined);
  const session = await attachGraphical(node, stream).catch((err) => {
    stream.destroy();
    throw new Refusal(CLOSE.SOURCE_FAILED, `console source unavailable: ${(err as Error).message}`);
  });
  if (!session) throw new Refusal(CLOSE.NOT_ENABLED, "no graphical console");
  const startedAt = Date.now();
  let closeReason = "";
  const unregister = registerSession({
    uuid: node.uuid, kind: "graphical", user: principal.username, readOnly: false, startedAt, expiresAt,
    close: (code, reason) => {
      closeReason = reason;
      ws.close(code, reason);
    },
  });
  session.onClose(() => {
    if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.NORMAL, "console closed");
  });
  ws.once("close", () => {
    unregister();
    session.close();
    void writeSessionHistory(node, principal, "Graphical", false, startedAt, closeReason ? ` (${closeReason})` : "");
  });
}

/** Closes the websocket server (server shutdown). */
export function closeConsoleWebsockets(): void {
  if (!wss) return;
  for (const c of wss.clients) c.close(CLOSE.GOING_AWAY, "server shutting down");
  wss.close();
  wss = null;
}
