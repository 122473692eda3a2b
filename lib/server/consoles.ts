// Ingot's console websockets (docs/consoles.md), served from the HTTP server's `upgrade` event:
//   /ws/nodes/{node}/serial[?offset=N]       serial console, both ways (watch-only for readers / lessees)
//   /ws/nodes/{node}/vnc?token=<console token> RFB relay of the graphical console
// Order: credentials (Auth.js session cookie, or an API token: ?token= on /serial, ?api_token= on
// /vnc, or the X-Auth-Token / Authorization headers) → openConsoleSession (node visibility →
// policy → console enabled → console token → the node's conductor) — and only then the hello and
// the first console byte. This file is only transport: every refusal accepts the upgrade and
// closes at once with a 44xx code (browsers cannot read an HTTP refusal's status).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import type { NodeRecord } from "../core/db/nodes.ts";
import type { Principal } from "../core/policy.ts";
import { openConsoleSession, recordConsoleSession } from "../core/services/console.ts";
import { resolveCaller } from "../core/services/callers.ts";
import { principalFromCookie } from "./session_cookie.ts";
import { CLOSE, Refusal, attachConsole, closeReason, consoleKindOfSocket, refusalOf, relayConsole, type AttachOptions } from "./console_relay.ts";

export { CLOSE } from "./console_relay.ts";

const PATH_RE = /^\/ws\/nodes\/([^/]+)\/(serial|vnc)\/?$/;

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
        ws.close(err.code, closeReason(err.message));
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
  return resolveCaller({
    channel: "websocket", headers, queryToken: url.searchParams.get(kind === "serial" ? "token" : "api_token"),
    session: () => principalFromCookie(headers.get("cookie")),
  });
}

// ---- sessions ----

async function runSession(ws: WebSocket, req: IncomingMessage, url: URL, ident: string, kind: "serial" | "vnc"): Promise<void> {
  const principal = await principalOf(req, url, kind);
  if (!principal) throw new Refusal(CLOSE.UNAUTHENTICATED, "not authenticated");
  // On /vnc, ?token= is the console token (on /serial it was the API token, read above).
  const consoleToken = kind === "vnc" ? url.searchParams.get("token") : null;
  const { node, readOnly, expiresAt, target } = await openConsoleSession(principal, ident, consoleKindOfSocket(kind), consoleToken).catch((err) => {
    throw refusalOf(err, ident) ?? err;
  });
  if (ws.readyState !== WebSocket.OPEN) return;
  const rawOffset = url.searchParams.get("offset");
  const opts: AttachOptions = { user: principal.username, readOnly, offset: rawOffset !== null && /^\d+$/.test(rawOffset) ? Number(rawOffset) : 0, expiresAt };
  const startedAt = Date.now();
  if (target.kind === "local") await attachConsole(ws, node, kind, opts);
  else await relayConsole(ws, target.host, target.url, node.uuid, kind, opts);
  ws.once("close", (code: number, reason: Buffer) => {
    // A graphical session closed by the server for a reason (token expired…) says why in history.
    const closeReason = kind === "vnc" && code !== CLOSE.NORMAL && code !== CLOSE.GOING_AWAY ? reason.toString() : "";
    const what = kind === "serial" ? "Serial" : "Graphical";
    void writeSessionHistory(node, principal, what, opts.readOnly, startedAt, closeReason ? ` (${closeReason})` : "");
  });
}

async function writeSessionHistory(node: NodeRecord, principal: Principal, what: string, readOnly: boolean, startedAt: number, extra = ""): Promise<void> {
  const seconds = Math.round((Date.now() - startedAt) / 100) / 10;
  try {
    await recordConsoleSession(node, principal, { what, readOnly, seconds, extra });
  } catch (err) {
    console.error("[ingot] console history failed:", err);
  }
}

/** Closes the websocket server (server shutdown). */
export function closeConsoleWebsockets(): void {
  if (!wss) return;
  for (const c of wss.clients) c.close(CLOSE.GOING_AWAY, "server shutting down");
  wss.close();
  wss = null;
}
