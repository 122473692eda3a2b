// Attaching a console websocket to its source, wherever the source lives. The source of a node's
// console (the sim machine, the shared TCP or SOL connection) lives in its conductor's process;
// the browser's websocket is served by whichever web process it reached (lib/server/consoles.ts,
// after credentials and policy). Same process → attachConsole() here. Another process → that
// conductor's RPC listener accepts an authenticated websocket on /rpc/console/{uuid}/{serial|vnc}
// (the shared RPC secret) and attaches it there, and relayConsole() passes frames and close codes
// through unchanged, so the browser sees the same protocol either way (docs/consoles.md).
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, createWebSocketStream, type RawData } from "ws";
import type { NodeRecord } from "../core/db/nodes.ts";
import type { ConsoleKind } from "../core/console/types.ts";
import { ConsoleNotEnabled, ConsoleRefused, ConsoleUnavailable, Forbidden, NodeNotFound } from "../core/errors.ts";
import { relayedConsoleNode } from "../core/services/console.ts";
import { rpcSecret, secretMatches } from "../core/conductor/rpc.ts";
import { registerSession } from "../core/console/sessions.ts";
import { acquireSerial, attachGraphical } from "../core/console/sources.ts";

export const CLOSE = { NORMAL: 1000, GOING_AWAY: 1001, SOURCE_FAILED: 1011, UNAUTHENTICATED: 4401, FORBIDDEN: 4403, NOT_FOUND: 4404, NOT_ENABLED: 4409 } as const;

export type ConsoleSocketKind = "serial" | "vnc";

/** The protocol's limit on a close reason: 123 bytes of UTF-8 (RFC 6455 5.5), else `ws` throws. */
const MAX_CLOSE_REASON_BYTES = 123;

/** `text` cut to fit a close frame, between characters (never inside a UTF-8 sequence or surrogate pair). */
export function closeReason(text: string): string {
  if (Buffer.byteLength(text) <= MAX_CLOSE_REASON_BYTES) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes > MAX_CLOSE_REASON_BYTES) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

/** A refused console: the websocket closes with `code` and the message as the reason. */
export class Refusal extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** What the web process decided about the viewer, passed to the source's process. */
export interface AttachOptions {
  user: string;
  readOnly: boolean;
  /** Serial: the first output byte wanted (resume). */
  offset: number;
  /** Graphical: when the console token expires (ms since epoch). */
  expiresAt?: number;
}

let relayServer: WebSocketServer | undefined;

function consoleServer(): WebSocketServer {
  relayServer ??= new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1 << 20 });
  return relayServer;
}

/** How many relayed console sessions this process serves now. */
export function relayedConsoleCount(): number {
  return relayServer?.clients.size ?? 0;
}

/** The console a socket path names: /serial is the serial console, /vnc the graphical one. */
export function consoleKindOfSocket(kind: ConsoleSocketKind): ConsoleKind {
  return kind === "serial" ? "serial" : "graphical";
}

/**
 * The close code and reason for a refusal of the console services (openConsoleSession,
 * relayedConsoleNode) on the node named `ident`; null for any other error.
 */
export function refusalOf(err: unknown, ident: string): Refusal | null {
  if (err instanceof NodeNotFound) return new Refusal(CLOSE.NOT_FOUND, `node ${ident} not found`);
  if (err instanceof ConsoleRefused) return new Refusal(CLOSE.FORBIDDEN, err.message);
  if (err instanceof Forbidden) return new Refusal(CLOSE.FORBIDDEN, "not allowed");
  if (err instanceof ConsoleNotEnabled) return new Refusal(CLOSE.NOT_ENABLED, err.message);
  if (err instanceof ConsoleUnavailable) return new Refusal(CLOSE.SOURCE_FAILED, err.message);
  return null;
}

// ---- the source is in this process ----

/** Serves the console on `ws` from the source in this process; resolves once attached. */
export async function attachConsole(ws: WebSocket, node: NodeRecord, kind: ConsoleSocketKind, opts: AttachOptions): Promise<void> {
  if (kind === "serial") await attachSerial(ws, node, opts);
  else await attachVnc(ws, node, opts);
}

async function attachSerial(ws: WebSocket, node: NodeRecord, opts: AttachOptions): Promise<void> {
  const lease = await acquireSerial(node).catch((err) => {
    throw new Refusal(CLOSE.SOURCE_FAILED, `console source unavailable: ${(err as Error).message}`);
  });
  if (!lease) throw new Refusal(CLOSE.NOT_ENABLED, "no serial console");
  if (ws.readyState !== WebSocket.OPEN) return lease.release();
  const ch = lease.channel;
  // Synchronous: no output can slip between the backlog and the subscription.
  const backlog = ch.readFrom(opts.offset);
  const unsubscribe = ch.subscribe((d) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(d, { binary: true });
  });
  ws.send(JSON.stringify({ type: "hello", offset: backlog.offset, end: ch.end(), readOnly: opts.readOnly, node: node.uuid }));
  if (backlog.data.length) ws.send(backlog.data, { binary: true });
  ws.on("message", (data: RawData) => {
    if (opts.readOnly) return;
    ch.write(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
  });
  ch.onClose(() => {
    if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.GOING_AWAY, "console source closed");
  });
  const unregister = registerSession({
    uuid: node.uuid, kind: "serial", user: opts.user, readOnly: opts.readOnly, startedAt: Date.now(),
    close: (code, reason) => ws.close(code, closeReason(reason)),
  });
  ws.once("close", () => {
    unsubscribe();
    unregister();
    lease.release();
  });
}

async function attachVnc(ws: WebSocket, node: NodeRecord, opts: AttachOptions): Promise<void> {
  const stream = createWebSocketStream(ws);
  stream.on("error", () => undefined);
  const session = await attachGraphical(node, stream).catch((err) => {
    // No stream.destroy() here: it would drop the socket before the 1011 close (and its reason) is sent.
    throw new Refusal(CLOSE.SOURCE_FAILED, `console source unavailable: ${(err as Error).message}`);
  });
  if (!session) throw new Refusal(CLOSE.NOT_ENABLED, "no graphical console");
  const unregister = registerSession({
    uuid: node.uuid, kind: "graphical", user: opts.user, readOnly: false, startedAt: Date.now(), expiresAt: opts.expiresAt,
    close: (code, reason) => ws.close(code, closeReason(reason)),
  });
  session.onClose((why) => {
    if (ws.readyState === WebSocket.OPEN) ws.close(why?.code ?? CLOSE.NORMAL, closeReason(why?.reason ?? "console closed"));
  });
  ws.once("close", () => {
    unregister();
    session.close();
  });
}

// ---- the source is in another process ----

const RELAY_PATH_RE = /^\/rpc\/console\/([0-9a-f-]{36})\/(serial|vnc)$/i;

/** Codes a websocket may send (1005/1006/1015 only describe a close, they cannot be sent). */
function sendableCode(code: number): number {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999) ? code : CLOSE.SOURCE_FAILED;
}

/**
 * Relays the browser's websocket `ws` to the console of the node in the conductor at `rpcUrl`.
 * Resolves once the relay is open; a conductor that refuses or does not answer is a Refusal.
 */
export async function relayConsole(ws: WebSocket, host: string, rpcUrl: string, uuid: string, kind: ConsoleSocketKind, opts: AttachOptions): Promise<void> {
  const target = new URL(`${rpcUrl.replace(/\/+$/, "")}/rpc/console/${uuid}/${kind}`);
  target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
  target.searchParams.set("user", opts.user);
  target.searchParams.set("read_only", opts.readOnly ? "1" : "0");
  target.searchParams.set("offset", String(opts.offset));
  if (opts.expiresAt !== undefined) target.searchParams.set("expires_at", String(opts.expiresAt));
  const upstream = new WebSocket(target, { headers: { authorization: `Bearer ${rpcSecret()}` }, perMessageDeflate: false, handshakeTimeout: 10_000 });
  // The browser may type before the relay is open: keep it in order.
  const early: { data: RawData; binary: boolean }[] = [];
  ws.on("message", (data: RawData, binary: boolean) => {
    if (opts.readOnly) return;
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
    else early.push({ data, binary });
  });
  // Listening before "open": the conductor's first frames can arrive with the handshake answer.
  upstream.on("message", (data: RawData, binary: boolean) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(data, { binary });
  });
  await new Promise<void>((resolve, reject) => {
    upstream.once("open", () => resolve());
    upstream.once("unexpected-response", (_req, res) => {
      res.resume();
      reject(new Refusal(CLOSE.SOURCE_FAILED, `conductor ${host} refused the console relay (HTTP ${res.statusCode})`));
    });
    upstream.once("error", (err) => reject(new Refusal(CLOSE.SOURCE_FAILED, `conductor ${host} does not answer: ${(err as NodeJS.ErrnoException).code ?? err.message}`)));
  });
  for (const m of early.splice(0)) upstream.send(m.data, { binary: m.binary });
  upstream.on("error", () => undefined);
  upstream.on("close", (code: number, reason: Buffer) => {
    if (ws.readyState === WebSocket.OPEN) ws.close(sendableCode(code), closeReason(reason.toString() || `conductor ${host} closed the console`));
  });
  ws.once("close", () => {
    if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) upstream.close(CLOSE.NORMAL);
  });
}

/**
 * The conductor side: the RPC listener's `upgrade` handler. True when it took the socket. The web
 * process has already checked the viewer; only the shared secret is checked here.
 */
export function handleRelayUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, secret = rpcSecret()): boolean {
  const url = new URL(req.url ?? "/", "http://localhost");
  const m = RELAY_PATH_RE.exec(url.pathname);
  if (!m) return false;
  const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
  if (!auth || !secretMatches(auth[1], secret)) {
    socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    return true;
  }
  const uuid = m[1].toLowerCase();
  const kind = m[2] as ConsoleSocketKind;
  const offset = Number(url.searchParams.get("offset") ?? "0");
  const expires = url.searchParams.get("expires_at");
  const opts: AttachOptions = {
    user: url.searchParams.get("user") ?? "",
    readOnly: url.searchParams.get("read_only") !== "0",
    offset: Number.isSafeInteger(offset) && offset >= 0 ? offset : 0,
    expiresAt: expires !== null && /^\d+$/.test(expires) ? Number(expires) : undefined,
  };
  consoleServer().handleUpgrade(req, socket, head, (ws) => {
    (async () => {
      const node = await relayedConsoleNode(uuid, consoleKindOfSocket(kind)).catch((err) => {
        throw refusalOf(err, uuid) ?? err;
      });
      await attachConsole(ws, node, kind, opts);
    })().catch((err) => {
      if (err instanceof Refusal) return ws.close(err.code, closeReason(err.message));
      console.error(`[ingot] console relay for ${uuid} failed:`, err);
      if (ws.readyState === WebSocket.OPEN) ws.close(CLOSE.SOURCE_FAILED, "console unavailable");
    });
  });
  return true;
}

/** Closes the relayed sessions this process serves (shutdown). */
export function closeRelayedConsoles(): void {
  if (!relayServer) return;
  for (const c of relayServer.clients) c.close(CLOSE.GOING_AWAY, "conductor shutting down");
  relayServer.close();
  relayServer = undefined;
}
