// A small Redfish client: one BMC, JSON over http(s) with timeouts, bounded retries with backoff
// on 5xx answers and connection errors, Basic or session authentication (sessions shared per
// BMC + user and renewed on 401), ETag/If-Match on PATCH, task monitors followed to the end, and
// every failure turned into a sentence naming the BMC and the operation.
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { join } from "node:path";
import { IronicError } from "../../errors.ts";
import type { RedfishInfo } from "./driver_info.ts";

export type RedfishFailureKind = "auth" | "timeout" | "unreachable" | "tls" | "http" | "missing" | "task" | "protocol";

/**
 * A BMC failure. Like Ironic's RedfishError / RedfishConnectionError it is an API error with
 * status 500, so a synchronous API call (boot device, virtual media, indicators) shows the
 * sentence instead of "Internal Server Error"; flows put it in last_error as any failure.
 */
export class RedfishError extends IronicError {
  constructor(message: string, readonly kind: RedfishFailureKind, readonly bmcStatus: number | null = null) {
    super(message, 500);
  }
}

export interface RfResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

interface SessionEntry {
  /** "basic" once auto mode found no SessionService (or it refused to create sessions). */
  mode: "session" | "basic";
  token: string | null;
  location: string | null;
}

/**
 * Sessions per (address, user, password, CA setting, auth type). Ironic's SessionCache keys on
 * address, user and CA only; the password is part of the key here so a node with a wrong password
 * cannot ride on a session another node opened with the right one.
 */
const sessions = new Map<string, SessionEntry>();
/** The only system of a BMC (when redfish_system_id is not set), per address + root prefix. */
const onlySystems = new Map<string, string>();
/** Logins in flight per key, so concurrent requests to one BMC open one session, not several. */
const logins = new Map<string, Promise<SessionEntry>>();

/** Forgets all cached sessions without logging out (tests; a conductor restart does the same). */
export function forgetRedfishSessions(): void {
  sessions.clear();
  logins.clear();
  onlySystems.clear();
}

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|HOSTNAME|ALTNAME/;

class TransportError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Seconds a task monitor may run before Ingot gives up (INGOT_REDFISH_TASK_TIMEOUT, default 600). */
const taskTimeoutSeconds = () => {
  const n = Number(process.env.INGOT_REDFISH_TASK_TIMEOUT);
  return Number.isFinite(n) && n > 0 ? n : 600;
};

/** The human part of a Redfish error body (@Message.ExtendedInfo messages, else error.message). */
export function redfishMessages(body: unknown): string {
  const err = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!err) return typeof body === "string" ? body.slice(0, 300) : "";
  const ext = err["@Message.ExtendedInfo"];
  const texts = Array.isArray(ext) ? ext.map((m) => (m as { Message?: string }).Message).filter((m): m is string => !!m) : [];
  if (texts.length) return texts.join(" ");
  return typeof err.message === "string" ? err.message : String(err.code ?? "");
}

function loadCa(path: string): string[] {
  if (statSync(path).isDirectory()) {
    return readdirSync(path).filter((f) => /\.(pem|crt|cer)$/i.test(f)).map((f) => readFileSync(join(path, f), "utf8"));
  }
  return [readFileSync(path, "utf8")];
}

export class RedfishClient {
  private systemPathCache: string | null = null;
  private rootCache: any = null;

  constructor(readonly info: RedfishInfo) {}

  /** "https://10.0.0.5" — how messages name the BMC. */
  get bmc(): string {
    return this.info.address;
  }

  private get sessionKey(): string {
    const secret = createHash("sha256").update(this.info.password ?? "").digest("hex").slice(0, 16);
    return `${this.info.address}|${this.info.username ?? ""}|${secret}|${String(this.info.verifyCa)}|${this.info.authType}`;
  }

  // ---- one HTTP exchange ----

  private send(method: string, path: string, body: unknown, headers: Record<string, string>): Promise<RfResponse> {
    const url = new URL(path, this.info.address);
    const https = url.protocol === "https:";
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: Record<string, unknown> = {
      method,
      headers: {
        Accept: "application/json",
        "OData-Version": "4.0",
        ...(payload ? { "Content-Type": "application/json", "Content-Length": String(payload.length) } : {}),
        ...headers,
      },
      agent: false,
    };
    if (https) Object.assign(options, this.tlsOptions());
    const timeoutMs = this.info.timeoutSeconds * 1000;
    return new Promise<RfResponse>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = null;
          if (text.trim()) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
        res.on("error", (e: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(new TransportError(e.message, e.code ?? "ECONNRESET"));
        });
      });
      const timer = setTimeout(() => req.destroy(new TransportError("timeout", "TIMEOUT")), timeoutMs);
      req.on("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        if (e instanceof TransportError) reject(e);
        else reject(new TransportError(e.message, e.code ?? (/socket hang up/.test(e.message) ? "ECONNRESET" : "EUNKNOWN")));
      });
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** send() with bounded retries (5xx, connection errors, timeouts) and exponential backoff. */
  private async sendRetrying(method: string, path: string, body: unknown, headers: Record<string, string>, what: string): Promise<RfResponse> {
    const attempts = this.info.connectionAttempts;
    let delay = this.info.retryIntervalSeconds * 1000;
    let redirects = 0;
    for (let attempt = 1; ; attempt++) {
      let res: RfResponse | null = null;
      let failure: TransportError | null = null;
      try {
        res = await this.send(method, path, body, headers);
      } catch (err) {
        failure = err instanceof TransportError ? err : new TransportError(String(err), "EUNKNOWN");
      }
      // Some BMCs redirect "/redfish/v1" to "/redfish/v1/": follow reads on the same BMC only.
      const location = res?.headers.location;
      if (res && method === "GET" && [301, 302, 307, 308].includes(res.status) && typeof location === "string" && redirects < 3 &&
        new URL(location, this.info.address).origin === new URL(this.info.address).origin) {
        path = new URL(location, this.info.address).pathname;
        redirects++;
        attempt--;
        continue;
      }
      if (res && (res.status < 500 || res.status === 501)) return res;
      const retryable = res !== null || failure!.code === "TIMEOUT" || RETRYABLE_CODES.has(failure!.code);
      if (!retryable || attempt >= attempts) {
        if (res) return res; // the caller words the 5xx
        throw this.transportFailure(failure!, method, path, what, attempt);
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 30_000);
    }
  }

  private transportFailure(err: TransportError, method: string, path: string, what: string, attempts: number): RedfishError {
    const tries = attempts === 1 ? "1 attempt" : `${attempts} attempts`;
    if (err.code === "TIMEOUT") {
      return new RedfishError(
        `Redfish BMC ${this.bmc} did not answer ${what} (${method} ${path}) within ${this.info.timeoutSeconds} s (${tries}). Check redfish_address and that the BMC is up; redfish_timeout sets the limit.`,
        "timeout",
      );
    }
    if (TLS_CODE.test(err.code) || TLS_CODE.test(err.message)) {
      return new RedfishError(
        `Redfish BMC ${this.bmc}: the TLS certificate was not accepted (${err.code}: ${err.message}) during ${what}. Set redfish_verify_ca to the CA bundle that signed it, or to false to skip verification.`,
        "tls",
      );
    }
    const reason = err.code === "ECONNREFUSED" ? "connection refused" : err.code === "ENOTFOUND" ? "host name not found" : `${err.code}: ${err.message}`;
    return new RedfishError(`Redfish BMC ${this.bmc} is unreachable (${reason}) during ${what} (${tries}).`, "unreachable");
  }

  // ---- authentication ----

  private async serviceRoot(what: string): Promise<any> {
    if (this.rootCache) return this.rootCache;
    const res = await this.sendRetrying("GET", this.info.rootPrefix, undefined, {}, what);
    if (res.status >= 500) throw this.httpFailure(res, "GET", this.info.rootPrefix, what);
    if (res.status !== 200 || !res.body || typeof res.body !== "object") {
      throw new RedfishError(
        `Redfish BMC ${this.bmc} has no Redfish service root at ${this.info.rootPrefix} (HTTP ${res.status}) during ${what}. Check redfish_address.`,
        "protocol", res.status,
      );
    }
    this.rootCache = res.body;
    return res.body;
  }

  private basicHeader(): Record<string, string> {
    if (this.info.username === null) return {};
    return { Authorization: `Basic ${Buffer.from(`${this.info.username}:${this.info.password ?? ""}`).toString("base64")}` };
  }

  private refusedLogin(res: RfResponse): RedfishError {
    const detail = redfishMessages(res.body);
    return new RedfishError(
      `Redfish BMC ${this.bmc} refused login for user "${this.info.username ?? ""}": ${res.status}${detail ? ` ${detail}` : ""}. Check redfish_username / redfish_password.`,
      "auth", res.status,
    );
  }

  /** The session to use (creating one when needed), or a basic-auth entry. */
  private async session(what: string): Promise<SessionEntry> {
    const cached = sessions.get(this.sessionKey);
    if (cached && (cached.mode === "basic" || cached.token)) return cached;
    const key = this.sessionKey;
    let pending = logins.get(key);
    if (!pending) {
      pending = this.login(what).finally(() => logins.delete(key));
      logins.set(key, pending);
    }
    return pending;
  }

  private async login(what: string): Promise<SessionEntry> {
    const auth = this.info.authType;
    if (auth === "basic" || this.info.username === null) return { mode: "basic", token: null, location: null };
    const root = await this.serviceRoot(what);
    const sessionsPath: string | undefined = root?.Links?.Sessions?.["@odata.id"] ??
      (root?.SessionService ? `${String(root.SessionService["@odata.id"]).replace(/\/$/, "")}/Sessions` : undefined);
    if (!sessionsPath) {
      if (auth === "session") {
        throw new RedfishError(
          `Redfish BMC ${this.bmc} has no SessionService, so redfish_auth_type "session" cannot work; use "basic" or "auto".`, "auth",
        );
      }
      const entry: SessionEntry = { mode: "basic", token: null, location: null };
      sessions.set(this.sessionKey, entry);
      return entry;
    }
    const res = await this.sendRetrying("POST", sessionsPath, { UserName: this.info.username, Password: this.info.password ?? "" }, {}, `login (${what})`);
    const token = res.headers["x-auth-token"];
    if (res.status >= 200 && res.status < 300 && typeof token === "string") {
      const location = typeof res.headers.location === "string" ? res.headers.location : res.body?.["@odata.id"] ?? null;
      const entry: SessionEntry = { mode: "session", token, location };
      sessions.set(this.sessionKey, entry);
      return entry;
    }
    if (res.status === 401 || res.status === 403) throw this.refusedLogin(res);
    if (auth === "auto" && [404, 405, 501].includes(res.status)) {
      const entry: SessionEntry = { mode: "basic", token: null, location: null };
      sessions.set(this.sessionKey, entry);
      return entry;
    }
    throw this.httpFailure(res, "POST", sessionsPath, `login (${what})`);
  }

  /** Ends this client's session at the BMC (best effort) and forgets it. */
  async logout(): Promise<void> {
    const entry = sessions.get(this.sessionKey);
    sessions.delete(this.sessionKey);
    if (entry?.token && entry.location) {
      await this.send("DELETE", entry.location, undefined, { "X-Auth-Token": entry.token }).catch(() => undefined);
    }
  }

  /** TLS options per redfish_verify_ca, for connections made outside this client (the KVM websocket). */
  tlsOptions(): { rejectUnauthorized?: boolean; ca?: string[] } {
    const ca = this.info.verifyCa;
    if (ca === false) return { rejectUnauthorized: false };
    if (typeof ca === "string") return { ca: loadCa(ca) };
    return {};
  }

  /** Headers authenticating one request made outside this client: the session token (logging in when needed) or Basic. */
  async authHeaders(what: string): Promise<Record<string, string>> {
    const s = await this.session(what);
    return s.mode === "session" ? { "X-Auth-Token": s.token! } : this.basicHeader();
  }

  /** Forgets the cached session without logging out (the BMC no longer accepts it). */
  forgetSession(): void {
    sessions.delete(this.sessionKey);
  }

  // ---- requests ----

  /** An authenticated request; a 401 on a session renews it once. Returns any HTTP answer. */
  async raw(method: string, path: string, what: string, body?: unknown, headers: Record<string, string> = {}): Promise<RfResponse> {
    for (let renew = 0; ; renew++) {
      const s = await this.session(what);
      const auth = s.mode === "session" ? { "X-Auth-Token": s.token! } : this.basicHeader();
      const res = await this.sendRetrying(method, path, body, { ...headers, ...auth }, what);
      if (res.status !== 401) return res;
      if (s.mode === "session" && renew === 0) {
        sessions.delete(this.sessionKey); // expired or revoked: log in again
        continue;
      }
      throw this.refusedLogin(res);
    }
  }

  private httpFailure(res: RfResponse, method: string, path: string, what: string): RedfishError {
    const detail = redfishMessages(res.body);
    const tail = `HTTP ${res.status}${detail ? ` ${detail}` : ""}`;
    if (res.status >= 500) {
      const tries = this.info.connectionAttempts;
      return new RedfishError(`Redfish BMC ${this.bmc} failed ${what} (${method} ${path}): ${tail} (after ${tries} attempt${tries === 1 ? "" : "s"}).`, "http", res.status);
    }
    if (res.status === 404) return new RedfishError(`Redfish BMC ${this.bmc} has no resource ${path} (${what}): ${tail}.`, "missing", 404);
    return new RedfishError(`Redfish BMC ${this.bmc} refused ${what} (${method} ${path}): ${tail}.`, "http", res.status);
  }

  private check(res: RfResponse, method: string, path: string, what: string): RfResponse {
    if (res.status >= 200 && res.status < 300) return res;
    throw this.httpFailure(res, method, path, what);
  }

  async get(path: string, what: string): Promise<{ body: any; etag: string | null }> {
    const res = this.check(await this.raw("GET", path, what), "GET", path, what);
    if (!res.body || typeof res.body !== "object") {
      throw new RedfishError(`Redfish BMC ${this.bmc} answered ${what} (GET ${path}) with something that is not JSON.`, "protocol", res.status);
    }
    return { body: res.body, etag: typeof res.headers.etag === "string" ? res.headers.etag : null };
  }

  /** GET, or null when the resource does not exist (404). */
  async getOptional(path: string, what: string): Promise<any | null> {
    const res = await this.raw("GET", path, what);
    if (res.status === 404) return null;
    return this.check(res, "GET", path, what).body;
  }

  /**
   * PATCH with If-Match (the ETag of a fresh GET, or `etag`). When the resource changed in between
   * (412) it is read again and the PATCH retried once. `followTask` false: a 202 is not waited
   * for (pending BIOS settings: the BMC's job only runs at the next reset).
   */
  async patch(path: string, body: unknown, what: string, etag?: string | null, followTask = true): Promise<void> {
    let tag = etag === undefined ? (await this.get(path, what)).etag : etag;
    for (let attempt = 1; ; attempt++) {
      const res = await this.raw("PATCH", path, what, body, tag ? { "If-Match": tag } : {});
      if (res.status === 412 && attempt === 1) {
        tag = (await this.get(path, what)).etag;
        continue;
      }
      if (res.status === 412) {
        throw new RedfishError(
          `Redfish BMC ${this.bmc} refused ${what} (PATCH ${path}): the resource kept changing (ETag mismatch twice, HTTP 412). Try again.`, "http", 412,
        );
      }
      const checked = this.check(res, "PATCH", path, what);
      if (checked.status === 202 && followTask) await this.followTask(checked, what);
      return;
    }
  }

  /** POST (an action); a 202 answer is followed through its task monitor until done. */
  async post(path: string, body: unknown, what: string): Promise<RfResponse> {
    const res = this.check(await this.raw("POST", path, what, body), "POST", path, what);
    if (res.status === 202) return this.followTask(res, what);
    return res;
  }

  /** Polls a task monitor (Location of a 202) or the Task resource until the operation ends. */
  async followTask(accepted: RfResponse, what: string): Promise<RfResponse> {
    const monitor = typeof accepted.headers.location === "string" ? accepted.headers.location : null;
    const taskPath: string | null = accepted.body?.["@odata.id"] ?? null;
    const path = monitor ?? taskPath;
    if (!path) return accepted; // nothing to follow: the BMC accepted it and says no more
    const deadline = Date.now() + taskTimeoutSeconds() * 1000;
    let last = accepted;
    for (;;) {
      const retryAfter = Number(last.headers["retry-after"]);
      const wait = Number.isFinite(retryAfter) ? Math.min(Math.max(retryAfter * 1000, 100), 5000) : 1000;
      if (Date.now() + wait > deadline) {
        throw new RedfishError(`Redfish BMC ${this.bmc}: ${what} did not finish within ${taskTimeoutSeconds()} s (task ${path}; INGOT_REDFISH_TASK_TIMEOUT).`, "task");
      }
      await sleep(wait);
      last = await this.raw("GET", path, `${what} (task monitor)`);
      if (last.status === 202) continue;
      if (last.status === 404 && monitor && taskPath && path !== taskPath) {
        // Some BMCs drop the monitor once done; the Task resource tells how it ended.
        last = await this.raw("GET", taskPath, `${what} (task)`);
      }
      const state: string | undefined = last.body?.TaskState;
      if (state && ["New", "Pending", "Running", "Starting", "Stopping", "Suspended", "Service"].includes(state)) continue;
      if (last.status >= 400) {
        throw new RedfishError(`Redfish BMC ${this.bmc}: ${what} failed (task ${path}): HTTP ${last.status} ${redfishMessages(last.body)}`.trim(), "task", last.status);
      }
      if (state && ["Exception", "Killed", "Cancelled", "Interrupted"].includes(state)) {
        const msgs = Array.isArray(last.body?.Messages) ? last.body.Messages.map((m: { Message?: string }) => m.Message).filter(Boolean).join(" ") : "";
        throw new RedfishError(`Redfish BMC ${this.bmc}: ${what} failed (task ${path} ended ${state})${msgs ? `: ${msgs}` : ""}.`, "task");
      }
      return last;
    }
  }

  // ---- resources ----

  /** The ComputerSystem path: redfish_system_id, else the only member of Systems. */
  async systemPath(): Promise<string> {
    if (this.systemPathCache) return this.systemPathCache;
    if (this.info.systemId) return (this.systemPathCache = this.info.systemId);
    const known = onlySystems.get(this.info.address + this.info.rootPrefix);
    if (known) return (this.systemPathCache = known);
    const root = await this.serviceRoot("finding the system");
    const collection = root?.Systems?.["@odata.id"];
    if (!collection) throw new RedfishError(`Redfish BMC ${this.bmc} lists no Systems in its service root.`, "protocol");
    const members: string[] = ((await this.get(collection, "listing systems")).body.Members ?? []).map((m: { "@odata.id": string }) => m["@odata.id"]);
    if (members.length !== 1) {
      throw new RedfishError(
        members.length === 0
          ? `Redfish BMC ${this.bmc} manages no ComputerSystem.`
          : `Redfish BMC ${this.bmc} manages ${members.length} systems (${members.join(", ")}): set driver_info/redfish_system_id to one of them.`,
        "protocol",
      );
    }
    this.systemPathCache = members[0].replace(/\/$/, "");
    onlySystems.set(this.info.address + this.info.rootPrefix, this.systemPathCache);
    return this.systemPathCache;
  }

  async system(what: string): Promise<{ path: string; body: any; etag: string | null }> {
    const path = await this.systemPath();
    try {
      const { body, etag } = await this.get(path, what);
      return { path, body, etag };
    } catch (err) {
      if (err instanceof RedfishError && err.kind === "missing" && !this.info.systemId) {
        // The BMC's systems changed (e.g. replaced board): look again next time.
        onlySystems.delete(this.info.address + this.info.rootPrefix);
      }
      if (err instanceof RedfishError && err.kind === "missing" && this.info.systemId) {
        throw new RedfishError(`Redfish BMC ${this.bmc} has no system ${path}: check driver_info/redfish_system_id.`, "missing", 404);
      }
      throw err;
    }
  }

  /** Service root (cached for this client). */
  root(what: string): Promise<any> {
    return this.serviceRoot(what);
  }

  /** Members of a collection, each fetched. */
  async members(collectionPath: string, what: string): Promise<any[]> {
    const coll = (await this.get(collectionPath, what)).body;
    const out: any[] = [];
    for (const m of coll.Members ?? []) out.push((await this.get(m["@odata.id"], what)).body);
    return out;
  }
}
