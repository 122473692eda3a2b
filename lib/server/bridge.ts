// Node http ⇄ web-standard Request/Response, for the routes the custom server answers itself
// (the Bare Metal API). The request body is not read here: the Request carries a stream that
// pulls from the socket only when the handler reads it, so credentials, route and the route's
// size cap are checked before a byte of the body is taken (handleBaremetal). Whatever the handler
// left unread is dealt with when the answer goes out (sendWebResponse).
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { IronicError } from "../core/errors.ts";
import { baseHeaders, encodedBody, errorBody, errorResponse, newRequestId } from "../api/http.ts";

/**
 * After an answer given before the request's body was read (a 401, a 413), up to this many of
 * the remaining bytes are read and dropped so the connection can serve the next request. A longer
 * rest is not waited for: the answer says "Connection: close".
 */
export const DRAIN_LIMIT_BYTES = 4 << 20;

/** How long a closing connection still takes (and drops) what the client sends, so it reads the answer instead of a reset. */
export const LINGER_MS = 5_000;

/** The request's body as the handler sees it, and how much of it has been read. */
class LazyBody {
  received = 0;
  private continued = false;
  private reading: (() => void) | null = null;

  constructor(private readonly req: IncomingMessage, private readonly res: ServerResponse) {}

  /** The client waits for "100 Continue" before sending the body, and it was not sent. */
  get heldBack(): boolean {
    return expectsContinue(this.req) && !this.continued;
  }

  stream(): ReadableStream<Uint8Array> {
    // highWaterMark 0: nothing is pulled before the handler reads.
    return new ReadableStream<Uint8Array>({ pull: (c) => this.pull(c), cancel: () => this.stop() }, { highWaterMark: 0 });
  }

  private pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> | void {
    const req = this.req;
    if (req.readableEnded) return controller.close();
    if (req.destroyed) return controller.error(new Error("the request was aborted"));
    if (this.heldBack) {
      this.continued = true;
      this.res.writeContinue();
    }
    return new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        done();
        req.pause();
        this.received += chunk.length;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      };
      const onEnd = () => {
        done();
        controller.close();
      };
      const onError = (err: Error) => {
        done();
        controller.error(err);
      };
      const done = () => {
        req.off("data", onData);
        req.off("end", onEnd);
        req.off("error", onError);
        this.reading = null;
        resolve();
      };
      this.reading = done;
      req.on("data", onData);
      req.once("end", onEnd);
      req.once("error", onError);
      req.resume();
    });
  }

  /** The handler is done with the body (cancelled, or answered without reading it all). */
  stop(): void {
    this.reading?.();
    this.req.pause();
  }
}

const bodies = new WeakMap<IncomingMessage, LazyBody>();

function expectsContinue(req: IncomingMessage): boolean {
  return /^100-continue$/i.test(req.headers.expect?.trim() ?? "");
}

function declaredLength(req: IncomingMessage): number | null {
  const raw = req.headers["content-length"];
  return raw === undefined || req.headers["transfer-encoding"] !== undefined ? null : Number(raw);
}

export function toWebRequest(req: IncomingMessage, res: ServerResponse, origin: string): Request {
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.charCodeAt(0) === 58 /* ":" */) continue;
    headers.append(name, raw[i + 1]);
  }
  const method = req.method ?? "GET";
  const hasBody = req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0";
  let body: ReadableStream<Uint8Array> | undefined;
  if (method !== "GET" && method !== "HEAD" && hasBody) {
    const lazy = new LazyBody(req, res);
    bodies.set(req, lazy);
    body = lazy.stream();
  }
  return new Request(origin + (req.url ?? "/"), { method, headers, body, duplex: "half" } as RequestInit);
}

/**
 * Closes a connection without losing the answer already written to it: half-close, keep taking
 * (and dropping) what the client still sends for LINGER_MS, then let go. Closing a socket with
 * unread bytes in it sends a reset, which can reach the client before it read the answer.
 */
export function closeGently(socket: Duplex): void {
  if (socket.destroyed) return;
  socket.end();
  socket.resume();
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}

/** Reads and drops up to `limit` more bytes of the body; true once the request ended within them. */
function drain(req: IncomingMessage, limit: number): Promise<boolean> {
  if (req.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    let dropped = 0;
    const finish = (ended: boolean) => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      dropped += chunk.length;
      if (dropped > limit) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(req.readableEnded);
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("close", onClose);
    req.resume();
  });
}

/**
 * Whatever of the request's body the handler did not read, before its answer goes out: a short
 * rest is read and dropped (the connection stays open); otherwise the answer closes the
 * connection. Returns whether it must.
 */
async function settleUnreadBody(req: IncomingMessage): Promise<boolean> {
  const lazy = bodies.get(req);
  lazy?.stop();
  if (req.readableEnded) return false;
  if (req.complete) {
    // All of it arrived; what sits in the stream's buffer is dropped, and reading goes on.
    req.resume();
    return false;
  }
  // The client holds its body back until told to send it, so there is nothing to read past.
  if (lazy?.heldBack ?? expectsContinue(req)) return true;
  const declared = declaredLength(req);
  if (declared !== null && declared - (lazy?.received ?? 0) > DRAIN_LIMIT_BYTES) return true;
  return !(await drain(req, DRAIN_LIMIT_BYTES));
}

export async function sendWebResponse(req: IncomingMessage, res: ServerResponse, response: Response): Promise<void> {
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key !== "set-cookie") out[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out["set-cookie"] = cookies;
  // The API's JSON bodies are written from their encoded parts (lib/api/http.ts), without a web stream.
  const parts = req.method !== "HEAD" ? encodedBody(response) : undefined;
  let body: Buffer | null = null;
  if (parts) {
    let length = 0;
    for (const part of parts) length += part.length;
    out["content-length"] = String(length);
  } else {
    body = response.body && req.method !== "HEAD" ? Buffer.from(await response.arrayBuffer()) : null;
  }
  if (body && out["content-length"] === undefined) out["content-length"] = String(body.length);
  if (!parts && !body && req.method !== "HEAD" && out["content-length"] === undefined) out["content-length"] = "0";
  const close = await settleUnreadBody(req);
  // Gone, or already answered and closed by the HTTP layer (a parse error mid-body).
  if (res.destroyed || res.socket?.writableEnded) return;
  if (close) {
    out.connection = "close";
    // Node destroys the socket once a "Connection: close" answer is written; the request's
    // unread bytes would turn that into a reset. (A pipelined answer gets its socket later.)
    const lingerOn = (socket: Socket) => {
      socket.destroySoon = () => closeGently(socket);
    };
    if (res.socket) lingerOn(res.socket);
    else res.once("socket", lingerOn);
    req.resume();
  }
  res.writeHead(response.status, response.statusText || undefined, out);
  if (parts && parts.length > 1) {
    // One writev for the whole page.
    res.cork();
    for (const part of parts) res.write(part);
    res.end();
    return;
  }
  res.end(parts ? parts[0] : body ?? undefined);
}

/** Answers with Ironic's error body (and its headers) without going through the API's routes. */
export function sendIronicError(req: IncomingMessage, res: ServerResponse, status: number, message: string): Promise<void> {
  return sendWebResponse(req, res, errorResponse(newRequestId(), null, new IronicError(message, status)));
}

/**
 * A whole HTTP/1.1 error answer as bytes, for sockets no ServerResponse serves (parse errors,
 * CONNECT): Ironic's error body and headers, and the connection closes after it.
 */
export function rawIronicError(status: number, message: string): string {
  const body = errorBody(status, message);
  const headers: Record<string, string | number> = {
    ...baseHeaders(newRequestId(), null), "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), Connection: "close",
  };
  const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join("\r\n")}\r\n\r\n${body}`;
}
