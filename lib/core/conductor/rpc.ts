// The conductor RPC (docs/design.md "Several processes"): the API calls conductorApi(), which
// sends each call to the conductor that owns the node on the hash ring — a plain method call when
// that conductor lives in this process, JSON over HTTP (POST <rpcUrl>/rpc {method, args}) with the
// shared secret otherwise. Errors come back as the same IronicError classes and messages, so an
// API answer does not depend on which process did the work. The server side is lib/server/rpc.ts.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { config } from "../config.ts";
import { getNodeById } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { UnsupportedDriverExtension } from "../drivers/base.ts";
import * as errors from "../errors.ts";
import { Invalid, IronicError, TemporaryFailure } from "../errors.ts";
import { aliveConductors, conductorFor, listConductors, resetHashRing } from "../hashring.ts";
import { getConductor } from "./process.ts";
import type { ConductorApi } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// The whitelist: exactly the ConductorApi methods (the compile-time check below fails when the
// interface gains a method that is not listed here).

export const CONDUCTOR_API_METHODS = [
  "provision", "continueSteps", "continueInspection", "setPowerState", "setBootMode", "setSecureBoot", "setConsoleMode",
  "getConsole", "setMaintenance", "getBootDevice", "setBootDevice", "getSupportedBootDevices", "injectNmi", "getIndicators",
  "getIndicatorState", "setIndicatorState", "validate", "vifList", "vifAttach", "vifDetach", "vmediaAttach", "vmediaDetach",
  "vmediaGet", "destroyNode", "vendorPassthru", "vendorPassthruMethods", "readConsoleLog",
] as const satisfies readonly (keyof ConductorApi)[];

export type ConductorMethod = (typeof CONDUCTOR_API_METHODS)[number];
type AllMethods = { [K in keyof ConductorApi]: ConductorApi[K] extends (...a: never[]) => unknown ? K : never }[keyof ConductorApi];
const complete: [Exclude<AllMethods, ConductorMethod>] extends [never] ? true : never = true;
void complete;

const METHOD_SET: ReadonlySet<string> = new Set(CONDUCTOR_API_METHODS);
export function isConductorMethod(name: unknown): name is ConductorMethod {
  return typeof name === "string" && METHOD_SET.has(name);
}

// ---------------------------------------------------------------------------------------------
// Process role and settings.

export type ProcessRole = "all" | "api" | "conductor";
export const PROCESS_ROLES: readonly ProcessRole[] = ["all", "api", "conductor"];

let roleOverride: ProcessRole | null = null;

/** INGOT_ROLE (all|api|conductor, default all); a bad value is refused at start. */
export function roleFromEnv(): ProcessRole {
  const v = (process.env.INGOT_ROLE ?? "").trim().toLowerCase() || "all";
  if (!(PROCESS_ROLES as readonly string[]).includes(v)) throw new Error(`INGOT_ROLE must be one of ${PROCESS_ROLES.join(", ")} (got "${process.env.INGOT_ROLE}")`);
  return v as ProcessRole;
}

/** The role this process runs as (set by the server at start). */
export function processRole(): ProcessRole {
  return roleOverride ?? roleFromEnv();
}

export function setProcessRole(role: ProcessRole | null): void {
  roleOverride = role;
}

/** Seconds an RPC call may take (INGOT_RPC_TIMEOUT, default 60: a call returns once work is accepted). */
export function rpcTimeoutMs(): number {
  const v = Number(process.env.INGOT_RPC_TIMEOUT ?? "");
  return (Number.isFinite(v) && v > 0 ? v : 60) * 1000;
}

let secretCache: { file: string; secret: string } | null = null;

/**
 * The shared RPC secret: INGOT_RPC_SECRET, else data/rpc-secret (created once, like
 * data/auth-secret). Every process of one installation must share it; RPC is never open.
 */
export function rpcSecret(): string {
  const env = process.env.INGOT_RPC_SECRET?.trim();
  if (env) return env;
  const data = resolve(/*turbopackIgnore: true*/ process.env.INGOT_DATA_DIR || join(/*turbopackIgnore: true*/ process.cwd(), "data"));
  const file = join(data, "rpc-secret");
  if (secretCache?.file === file) return secretCache.secret;
  let secret = existsSync(file) ? readFileSync(file, "utf8").trim() : "";
  if (!secret) {
    mkdirSync(dirname(file), { recursive: true });
    secret = randomBytes(32).toString("base64url");
    try {
      // "wx": two processes starting together on one data directory agree on the first secret.
      writeFileSync(file, secret + "\n", { mode: 0o600, flag: "wx" });
      chmodSync(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      secret = readFileSync(file, "utf8").trim();
      if (!secret) throw new Error(`${file} is empty: remove it or set INGOT_RPC_SECRET`);
    }
  }
  secretCache = { file, secret };
  return secret;
}

/** Constant-time comparison of a presented secret with the expected one (digests: equal length). */
export function secretMatches(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

// ---------------------------------------------------------------------------------------------
// Errors on the wire: {error: {name, status, message}}.

export interface WireError {
  name: string;
  status: number;
  message: string;
}

type ErrorClass = abstract new (...args: never[]) => IronicError;
const ERROR_CLASSES = new Map<string, ErrorClass>();
function registerErrorClass(cls: ErrorClass): void {
  ERROR_CLASSES.set(cls.name, cls);
}
for (const value of Object.values(errors)) {
  if (typeof value === "function" && (value === IronicError || value.prototype instanceof IronicError)) registerErrorClass(value as ErrorClass);
}
registerErrorClass(UnsupportedDriverExtension);

export function toWireError(err: unknown): WireError {
  if (err instanceof IronicError) return { name: err.name, status: err.status, message: err.message };
  // Anything else is an internal failure: the API answers 500 without details, as locally.
  return { name: "Error", status: 500, message: err instanceof Error ? err.message : String(err) };
}

/** Rebuilds the error a remote conductor threw: same class (instanceof works), status and message. */
export function fromWireError(w: WireError): Error {
  if (w.status >= 500 && w.name === "Error") return new Error(w.message);
  const e = new IronicError(w.message, w.status);
  const cls = ERROR_CLASSES.get(w.name);
  // The constructors take different arguments (node, host...); the message is already final.
  if (cls) Object.setPrototypeOf(e, cls.prototype);
  e.name = cls ? w.name : "IronicError";
  return e;
}

// ---------------------------------------------------------------------------------------------
// The client.

export interface RpcCall {
  method: string;
  args: unknown[];
  /** Positions of undefined arguments (JSON has no undefined; null means null). */
  undefinedArgs?: number[];
}

export function encodeCall(method: string, args: unknown[]): RpcCall {
  const undefinedArgs = args.flatMap((a, i) => (a === undefined ? [i] : []));
  return { method, args: args.map((a) => (a === undefined ? null : a)), ...(undefinedArgs.length ? { undefinedArgs } : {}) };
}

export function decodeArgs(call: RpcCall): unknown[] {
  const args = [...call.args];
  for (const i of call.undefinedArgs ?? []) if (Number.isInteger(i) && i >= 0 && i < args.length) args[i] = undefined;
  return args;
}

/** Calls `method` on the conductor listening at `url`; throws the remote error as the same class. */
export async function callRemote(host: string, url: string, method: ConductorMethod, args: unknown[]): Promise<unknown> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${url.replace(/\/+$/, "")}/rpc`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${rpcSecret()}` },
      body: JSON.stringify(encodeCall(method, args)),
      signal: AbortSignal.timeout(rpcTimeoutMs()),
    });
    text = await res.text();
  } catch (err) {
    // Dead or hung: rebuild the ring on the next call, so the node moves to a live conductor as
    // soon as this one's heartbeat is stale.
    resetHashRing();
    const why = (err as Error).name === "TimeoutError" ? `no answer within ${rpcTimeoutMs() / 1000} s` : ((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
    throw new TemporaryFailure(
      `Conductor ${host} does not answer (${why}); its nodes move to another conductor once its heartbeat is older than ${config().heartbeatTimeoutSeconds} s. Please retry.`,
    );
  }
  type Answer = { result?: unknown; error?: WireError };
  let body: Answer | null;
  try {
    body = JSON.parse(text) as Answer;
  } catch {
    body = null;
  }
  if (res.ok && body && !body.error) return body.result;
  if (body?.error && typeof body.error.message === "string" && res.status !== 401) throw fromWireError(body.error);
  if (res.status === 401) throw new TemporaryFailure(`Conductor ${host} refused this process's RPC secret (INGOT_RPC_SECRET must be the same in every process).`);
  throw new TemporaryFailure(`Conductor ${host} answered HTTP ${res.status} to ${method}.`);
}

type Target = { kind: "local"; conductor: ConductorApi } | { kind: "remote"; host: string; url: string };

let localProvider: (() => ConductorApi | null) | null = null;

/** Tests: which conductor counts as "this process's" (default: the process conductor unless role api). */
export function setLocalConductorProvider(fn: (() => ConductorApi | null) | null): void {
  localProvider = fn;
}

function localConductor(): ConductorApi | null {
  if (localProvider) return localProvider();
  return processRole() === "api" ? null : getConductor();
}

async function targetFor(nodeId: number): Promise<Target> {
  const local = localConductor();
  const db = await sql();
  const node = await getNodeById(db, nodeId);
  // A node deleted meanwhile: the local conductor (or any) reports NodeNotFound as before.
  if (!node && local) return { kind: "local", conductor: local };
  if (!node) throw new errors.NodeNotFound(String(nodeId));
  const owner = await conductorFor(db, node);
  if (local && (owner === null || owner === local.hostname)) return { kind: "local", conductor: local };
  if (owner === null) {
    if ((await aliveConductors(db)).length === 0) {
      throw new TemporaryFailure(`No valid host was found. Reason: no conductor is alive (none has sent a heartbeat in the last ${config().heartbeatTimeoutSeconds} s).`);
    }
    throw new Invalid(`No valid host was found. Reason: No conductor service registered which supports driver ${node.driver} for conductor group "${node.conductorGroup ?? ""}".`);
  }
  const info = (await listConductors(db)).find((c) => c.hostname === owner);
  if (!info?.rpcUrl) throw new TemporaryFailure(`Conductor ${owner} does not answer: it registered no RPC address.`);
  return { kind: "remote", host: owner, url: info.rpcUrl };
}

/**
 * Where a node's console lives: "local" when its conductor is in this process (the sim machine, the
 * shared TCP/SOL connection and the console log are there), else the conductor's RPC address, which
 * relays the console websocket (lib/server/console_relay.ts).
 */
export async function consoleTargetFor(nodeId: number): Promise<{ kind: "local" } | { kind: "remote"; host: string; url: string }> {
  const t = await targetFor(nodeId);
  return t.kind === "local" ? { kind: "local" } : t;
}

async function route(method: ConductorMethod, args: unknown[]): Promise<unknown> {
  const t = await targetFor(args[0] as number);
  if (t.kind === "local") return (t.conductor[method] as (...a: unknown[]) => Promise<unknown>).apply(t.conductor, args);
  return callRemote(t.host, t.url, method, args);
}

function makeRouted(): ConductorApi {
  const api: Record<string, unknown> = {};
  for (const m of CONDUCTOR_API_METHODS) api[m] = (...args: unknown[]) => route(m, args);
  Object.defineProperty(api, "hostname", { get: () => localConductor()?.hostname ?? config().conductorHostname, enumerable: true });
  return api as unknown as ConductorApi;
}

let routed: ConductorApi | null = null;

/** What the API calls: each call goes to the node's conductor (in this process or over RPC). */
export function conductorApi(): ConductorApi {
  routed ??= makeRouted();
  return routed;
}
