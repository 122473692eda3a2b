// The conductor's RPC listener (docs/design.md "Several processes"): POST /rpc {method, args}
// with "Authorization: Bearer <shared secret>", for the ConductorApi methods only. Answers
// {result} or {error: {name, status, message}} (the IronicError class the conductor threw), 401
// without the right secret, 400 for an unknown method or a malformed call, 413 past the body cap.
// GET /api/health answers without a secret (load balancers, the cluster tests). Websocket upgrades
// on /rpc/console/{uuid}/{serial|vnc} (same secret) relay consoles (lib/server/console_relay.ts).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  decodeArgs, isConductorMethod, rpcSecret, secretMatches, toWireError, type RpcCall,
} from "../core/conductor/rpc.ts";
import type { ConductorApi } from "../core/conductor/types.ts";
import { closeRelayedConsoles, handleRelayUpgrade } from "./console_relay.ts";

/** Provision calls may carry a config drive (the API accepts 64 MiB for them). */
export const RPC_MAX_BODY = 64 << 20;

export interface RpcServerOptions {
  host?: string;
  port?: number;
  /** Default: rpcSecret() (INGOT_RPC_SECRET or data/rpc-secret). */
  secret?: string;
  /** The conductor the calls go to, resolved per call. */
  target: () => ConductorApi;
  maxBodyBytes?: number;
}

export interface RpcServer {
  server: Server;
  /** What other processes call (written to Conductor.rpcUrl). */
  url: string;
  close(): Promise<void>;
}

/** INGOT_RPC_HOST / INGOT_RPC_PORT (default 127.0.0.1, any free port). */
export function rpcListenFromEnv(): { host: string; port: number } {
  const host = process.env.INGOT_RPC_HOST?.trim() || "127.0.0.1";
  const raw = process.env.INGOT_RPC_PORT?.trim() || "0";
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`INGOT_RPC_PORT must be a port number (got "${raw}")`);
  return { host, port };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

class TooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    if (declared > max) {
      reject(new TooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners("data");
        req.resume();
        reject(new TooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function rpcError(status: number, name: string, message: string) {
  return { error: { name, status, message } };
}

export async function handleRpc(req: IncomingMessage, res: ServerResponse, opts: Required<Pick<RpcServerOptions, "secret" | "target" | "maxBodyBytes">>): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (path === "/api/health" && (req.method === "GET" || req.method === "HEAD")) {
    send(res, 200, { ok: true, role: "conductor-rpc" });
    return;
  }
  if (path !== "/rpc") {
    send(res, 404, rpcError(404, "NotFound", "Not found."));
    return;
  }
  if (req.method !== "POST") {
    send(res, 405, rpcError(405, "MethodNotAllowed", "Use POST."));
    return;
  }
  // The secret is checked before the body is read: nothing of an unauthenticated call is processed.
  const auth = req.headers.authorization ?? "";
  const m = /^Bearer (.+)$/.exec(auth);
  if (!m || !secretMatches(m[1], opts.secret)) {
    req.resume();
    send(res, 401, rpcError(401, "NotAuthorized", "The RPC secret is missing or wrong."));
    return;
  }
  let call: RpcCall;
  try {
    const raw = await readBody(req, opts.maxBodyBytes);
    call = JSON.parse(raw.toString("utf8")) as RpcCall;
  } catch (err) {
    if (err instanceof TooLarge) send(res, 413, rpcError(413, "PayloadTooLarge", `RPC body is larger than the limit of ${opts.maxBodyBytes} bytes.`));
    else send(res, 400, rpcError(400, "Invalid", "The RPC body is not valid JSON."));
    return;
  }
  if (!call || typeof call !== "object" || !isConductorMethod(call.method)) {
    const name = call && typeof call === "object" ? String((call as { method?: unknown }).method) : "";
    send(res, 400, rpcError(400, "Invalid", `Unknown conductor method "${name}".`));
    return;
  }
  if (!Array.isArray(call.args) || typeof call.args[0] !== "number" || (call.undefinedArgs !== undefined && !Array.isArray(call.undefinedArgs))) {
    send(res, 400, rpcError(400, "Invalid", `Malformed arguments for ${call.method}: expected [nodeId, ...].`));
    return;
  }
  const conductor = opts.target();
  try {
    const fn = conductor[call.method] as (...a: unknown[]) => Promise<unknown>;
    const result = await fn.apply(conductor, decodeArgs(call));
    send(res, 200, { result: result ?? null });
  } catch (err) {
    const w = toWireError(err);
    if (w.status >= 500 && w.name === "Error") console.error(`[ingot] RPC ${call.method} failed:`, err);
    send(res, w.status, { error: w });
  }
}

export async function startRpcServer(opts: RpcServerOptions): Promise<RpcServer> {
  const env = rpcListenFromEnv();
  const host = opts.host ?? env.host;
  const port = opts.port ?? env.port;
  const o = { secret: opts.secret ?? rpcSecret(), target: opts.target, maxBodyBytes: opts.maxBodyBytes ?? RPC_MAX_BODY };
  const server = createServer((req, res) => {
    handleRpc(req, res, o).catch((err) => {
      console.error("[ingot] RPC request failed:", err);
      if (!res.headersSent) send(res, 500, rpcError(500, "Error", "Internal error."));
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  // Console websockets relayed from web processes (lib/server/console_relay.ts).
  server.on("upgrade", (req: IncomingMessage, socket: import("node:stream").Duplex, head: Buffer) => {
    if (!handleRelayUpgrade(req, socket, head, o.secret)) socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  // A wildcard address is not callable: advertise loopback (set INGOT_RPC_HOST to a real address
  // for processes on other machines).
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${shown.includes(":") ? `[${shown}]` : shown}:${bound}`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        closeRelayedConsoles();
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
