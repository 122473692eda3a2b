// Request context and response helpers shared by every API handler.
import { randomUUID } from "node:crypto";
import { Invalid, IronicError, PayloadTooLarge } from "../core/errors.ts";
import { ifMatchPasses } from "../core/etag.ts";
import type { Principal } from "../core/policy.ts";
import { jsonDepth, MAX_JSON_DEPTH } from "../shared/json_depth.ts";
import { MAX_VERSION, MIN_VERSION, MIN_VERSION_HEADER, MAX_VERSION_HEADER, VERSION_HEADER } from "./version.ts";

export { ifMatchPasses };

export const MAX_BODY_BYTES = 1 << 20;
export const MAX_PROVISION_BODY_BYTES = 64 << 20;

export interface ApiContext {
  request: Request;
  url: URL;
  method: string;
  /** Requested minor version (1.N → N). */
  minor: number;
  /** Absolute base of the API including the /baremetal prefix, e.g. http://host:3000/baremetal */
  base: string;
  /** Path parameters from the route pattern (":node" → params.node). */
  params: Record<string, string>;
  principal: Principal;
  requestId: string;
  /** The parsed JSON body (validated by the route's schema when it has one). */
  body: unknown;
}

export function newRequestId(): string {
  return `req-${randomUUID()}`;
}

export function baseHeaders(requestId: string, minor: number | null): Record<string, string> {
  const h: Record<string, string> = {
    [MIN_VERSION_HEADER]: MIN_VERSION,
    [MAX_VERSION_HEADER]: MAX_VERSION,
    "Openstack-Request-Id": requestId,
    "X-Openstack-Request-Id": requestId,
  };
  if (minor !== null) h[VERSION_HEADER] = `1.${minor}`;
  return h;
}

/**
 * A JSON Response that keeps its body as encoded parts until somebody reads it. Node's Response
 * builds a web stream for any body it is given (about 50 µs a response here); the custom server
 * never reads that stream: it writes the parts to the socket (lib/server/bridge.ts via
 * encodedBody). Other readers (tests, in-process jobs) get an ordinary body, made on first use.
 */
class EncodedResponse extends Response {
  readonly #parts: readonly Buffer[];
  #readable: Response | null = null;

  constructor(parts: readonly Buffer[], init: ResponseInit) {
    super(null, init);
    this.#parts = parts;
  }

  /** The parts, as long as the body has not been touched. */
  get parts(): readonly Buffer[] | undefined {
    return this.#readable ? undefined : this.#parts;
  }

  #withBody(): Response {
    if (!this.#readable) {
      const bytes = this.#parts.length === 1 ? this.#parts[0] : Buffer.concat(this.#parts);
      this.#readable = new Response(bytes as unknown as BodyInit, { status: this.status, statusText: this.statusText, headers: this.headers });
    }
    return this.#readable;
  }

  override get body(): Response["body"] {
    return this.#withBody().body;
  }

  override get bodyUsed(): boolean {
    return this.#readable?.bodyUsed ?? false;
  }

  override arrayBuffer(): Promise<ArrayBuffer> {
    return this.#withBody().arrayBuffer();
  }

  override bytes(): ReturnType<Response["bytes"]> {
    return this.#withBody().bytes();
  }

  override blob(): Promise<Blob> {
    return this.#withBody().blob();
  }

  override formData(): Promise<FormData> {
    return this.#withBody().formData();
  }

  override json(): Promise<unknown> {
    return this.#withBody().json();
  }

  override text(): Promise<string> {
    return this.#withBody().text();
  }

  override clone(): Response {
    if (this.#readable) return this.#readable.clone();
    return new EncodedResponse(this.#parts, { status: this.status, statusText: this.statusText, headers: this.headers });
  }
}

/** The body of a Response made by json()/jsonParts() as its encoded parts, while nobody has read it. */
export function encodedBody(res: Response): readonly Buffer[] | undefined {
  return res instanceof EncodedResponse ? res.parts : undefined;
}

export function json(ctx: Pick<ApiContext, "requestId" | "minor">, body: unknown, status = 200, extra: Record<string, string> = {}): Response {
  return jsonParts(ctx, [Buffer.from(JSON.stringify(body))], status, extra);
}

/**
 * Like json(), for a body that is already encoded JSON, in parts (a list page joins cached node
 * renderings): the parts are neither joined nor copied unless someone reads the Response.
 */
export function jsonParts(ctx: Pick<ApiContext, "requestId" | "minor">, parts: readonly Buffer[], status = 200, extra: Record<string, string> = {}): Response {
  return new EncodedResponse(parts, {
    status,
    headers: { ...baseHeaders(ctx.requestId, ctx.minor), "Content-Type": "application/json", ...extra },
  });
}

export function empty(ctx: Pick<ApiContext, "requestId" | "minor">, status: 202 | 204, extra: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { ...baseHeaders(ctx.requestId, ctx.minor), ...extra } });
}

/** Ironic's error body: error_message is a JSON *string* holding faultcode/faultstring/debuginfo. */
export function errorBody(status: number, message: string): string {
  const inner = JSON.stringify({ faultcode: status >= 500 ? "Server" : "Client", faultstring: message, debuginfo: null });
  return JSON.stringify({ error_message: inner });
}

export function errorResponse(requestId: string, minor: number | null, err: unknown): Response {
  const status = err instanceof IronicError ? err.status : 500;
  const message = err instanceof IronicError ? err.message : "Internal Server Error";
  if (!(err instanceof IronicError)) console.error("[api] unexpected error", err);
  return new Response(errorBody(status, message), {
    status,
    headers: { ...baseHeaders(requestId, minor), "Content-Type": "application/json" },
  });
}

/** Reads a JSON body with a size cap; malformed or too deeply nested JSON is a 400 that says so. */
export async function readJson(request: Request, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > maxBytes) throw new PayloadTooLarge(`Request body is larger than the limit of ${maxBytes} bytes.`);
  if (!request.body) return undefined;
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let next: ReadableStreamReadResult<Uint8Array>;
    try {
      next = await reader.read();
    } catch (err) {
      // The client went away, or sent a body the HTTP layer could not parse.
      throw new Invalid(`The request body could not be read: ${(err as Error).message}`);
    }
    const { done, value } = next;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new PayloadTooLarge(`Request body is larger than the limit of ${maxBytes} bytes.`);
    }
    chunks.push(value);
  }
  if (size === 0) return undefined;
  const text = Buffer.concat(chunks).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Invalid(`Invalid JSON in request body: ${(err as Error).message}`);
  }
  if (jsonDepth(parsed) > MAX_JSON_DEPTH) throw new Invalid(`Invalid JSON in request body: nested deeper than ${MAX_JSON_DEPTH} levels.`);
  return parsed;
}

export function link(base: string, path: string, rel: "self" | "bookmark"): { href: string; rel: string } {
  return { href: rel === "self" ? `${base}/v1/${path}` : `${base}/${path}`, rel };
}

/** The self/bookmark pair every resource carries. */
export function links(base: string, path: string) {
  return [link(base, path, "self"), link(base, path, "bookmark")];
}

/** Ironic's timestamp format: ISO 8601 with microseconds and +00:00. */
export function ts(d: Date): string;
export function ts(d: Date | null | undefined): string | null;
export function ts(d: Date | null | undefined): string | null {
  if (!d) return null;
  return d.toISOString().replace(/\.(\d{3})Z$/, ".$1000+00:00");
}

/** Parses Ironic-style booleans in query strings ("True", "false", "1", ...). */
export function parseBool(name: string, value: string): boolean {
  const v = value.toLowerCase();
  if (["true", "1", "yes", "on", "y", "t"].includes(v)) return true;
  if (["false", "0", "no", "off", "n", "f"].includes(v)) return false;
  throw new Invalid(`Invalid boolean value for ${name}: "${value}".`);
}

