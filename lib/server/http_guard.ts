// The node http server as Ingot runs it, for what arrives before any route: request heads too
// long, methods no route can have, CONNECT, requests the HTTP parser rejects, Expect headers.
// Each gets Ironic's error body with its 4xx (never a reset or a bare status line), and the
// connection stays open wherever the request could be read to its end.
import { createServer, ServerResponse, type IncomingMessage, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { MethodNotAllowed } from "../core/errors.ts";
import { closeGently, rawIronicError, sendIronicError } from "./bridge.ts";

/** Longest request target accepted (as Ironic's server, and nginx by default); longer is a 414. */
export const MAX_URL_BYTES = 8 << 10;
/** Largest request head (request line and header fields) accepted; larger is a 431. */
export const MAX_HEAD_BYTES = 16 << 10;
/**
 * What Node's parser buffers of a head. Heads between MAX_HEAD_BYTES and this are refused with
 * the connection kept open; past it the parser gives up and only an answer and a close remain.
 * Below the 64 KiB a socket read brings, so an oversized head is usually caught in its first
 * read, where the request line can still be told from the header fields (414 or 431).
 */
export const PARSER_MAX_HEAD_BYTES = 32 << 10;

/** Methods no route has, which a web Request cannot even carry (fetch forbids them). */
const UNROUTABLE_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

const METHOD_NOT_ALLOWED = new MethodNotAllowed().message;

function headRefusal(req: IncomingMessage): [number, string] | null {
  // Node decodes the head as latin1: one character per byte.
  const url = req.url ?? "/";
  if (url.length > MAX_URL_BYTES) return [414, `The request URL is longer than the limit of ${MAX_URL_BYTES} bytes.`];
  let size = (req.method ?? "").length + url.length + 11; // "M U HTTP/1.1\r\n"
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) size += raw[i].length + raw[i + 1].length + 4;
  if (size > MAX_HEAD_BYTES) return [431, `The request's header fields are larger than the limit of ${MAX_HEAD_BYTES} bytes.`];
  if (UNROUTABLE_METHODS.has(req.method ?? "")) return [405, METHOD_NOT_ALLOWED];
  return null;
}

type ParseError = Error & { code?: string; reason?: string; rawPacket?: Buffer };

function parseErrorAnswer(err: ParseError): [number, string] {
  switch (err.code) {
    case "HPE_HEADER_OVERFLOW": {
      // Still in the request line when the parser gave up: the URL is what is too long.
      const packet = err.rawPacket?.toString("latin1") ?? "";
      return /^[A-Za-z-]+ [^\n]*$/.test(packet)
        ? [414, `The request URL is longer than the limit of ${MAX_URL_BYTES} bytes.`]
        : [431, `The request's header fields are larger than the limit of ${MAX_HEAD_BYTES} bytes.`];
    }
    case "HPE_INVALID_METHOD":
      return [405, METHOD_NOT_ALLOWED];
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return [413, "The request's chunk extensions are too large."];
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return [408, "The request did not arrive in time."];
    default:
      return [400, `Malformed HTTP request${err.reason ? `: ${err.reason}` : ""}.`];
  }
}

const answeredSockets = new WeakSet<Duplex>();

/** Answers a request the HTTP parser could not read, then closes (the parser cannot go on). */
function answerParseError(err: ParseError, socket: Duplex): void {
  // A failed parser fails again on every later read of the same connection: answer once.
  if (answeredSockets.has(socket)) return;
  answeredSockets.add(socket);
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  socket.write(rawIronicError(...parseErrorAnswer(err)));
  closeGently(socket);
}

export interface GuardedServerOptions {
  /**
   * Requests sent with "Expect: 100-continue" that are told to send their body only when the
   * handler reads it (lib/server/bridge.ts); so a refused request never has it sent. The others
   * are told at once (Node's default).
   */
  continueLazily: (req: IncomingMessage) => boolean;
}

export function createGuardedServer(onRequest: (req: IncomingMessage, res: ServerResponse) => void, opts: GuardedServerOptions): Server {
  const server = createServer({ maxHeaderSize: PARSER_MAX_HEAD_BYTES }, (req, res) => {
    const refusal = headRefusal(req);
    if (refusal) {
      sendIronicError(req, res, ...refusal).catch(() => res.destroy());
      return;
    }
    onRequest(req, res);
  });
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (!opts.continueLazily(req)) res.writeContinue();
    server.emit("request", req, res);
  });
  server.on("checkExpectation", (req: IncomingMessage, res: ServerResponse) => {
    sendIronicError(req, res, 417, `Expect: ${req.headers.expect} is not supported.`).catch(() => res.destroy());
  });
  server.on("clientError", answerParseError);
  // The parser hands a CONNECT's socket over as a tunnel: answer on it, then close.
  server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
    socket.write(rawIronicError(405, METHOD_NOT_ALLOWED));
    closeGently(socket);
  });
  return server;
}

/**
 * A request asking to switch protocols (e.g. "Upgrade: h2c", as curl --http2 sends) on a path
 * that never does: answered as the plain HTTP/1.1 request it also is, through the server's
 * request listener, then the connection closes (the parser has let go of it). One with a body is
 * refused, as the body is no longer parsed.
 */
export function answerWithoutUpgrade(server: Server, req: IncomingMessage, socket: Duplex): void {
  if (req.headers["transfer-encoding"] !== undefined || (req.headers["content-length"] ?? "0") !== "0") {
    socket.write(rawIronicError(400, "A request asking to upgrade the connection cannot carry a body here."));
    closeGently(socket);
    return;
  }
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once("finish", () => {
    res.detachSocket(socket as Socket);
    closeGently(socket);
  });
  server.emit("request", req, res);
}
