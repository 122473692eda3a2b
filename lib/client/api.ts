// The typed Bare Metal API client the dashboard uses (the same public API as the CLI). It
// negotiates the microversion once — the highest both sides speak, refusing a server older than the
// caller's minimum — and each call may ask for another version (e.g. an older one for a quirk).
// It runs in the browser and in Node (tests, scripts); it imports nothing else from Ingot.

/** The newest microversion this client knows how to read. */
export const CLIENT_MAX_VERSION = "1.96";
/** What the dashboard needs at least (node history is 1.78). */
export const DASHBOARD_MIN_VERSION = "1.78";

export type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
export type QueryValue = string | number | boolean | string[] | undefined | null;

export interface RequestOptions {
  body?: unknown;
  /** Microversion for this call only ("1.N", or "latest"); default: the negotiated one. */
  version?: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface ClientOptions {
  /** Where the API lives: "/baremetal" in the browser, "http://host:port/baremetal" elsewhere. */
  baseUrl?: string;
  minVersion?: string;
  fetch?: typeof fetch;
  /** Extra headers on every call (e.g. X-Auth-Token for scripts). */
  headers?: Record<string, string>;
}

/** An API error in Ironic's format: `faultstring` is the message to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly faultstring: string,
    readonly debuginfo: string | null = null,
  ) {
    super(faultstring);
    this.name = "ApiError";
  }
  /** The resource changed since it was read (If-Match failed) or is locked by another action. */
  get isConflict(): boolean {
    return this.status === 409 || this.status === 412;
  }
}

export function parseVersion(v: string): [number, number] {
  const m = /^(\d+)\.(\d+)$/.exec(v.trim());
  if (!m) throw new Error(`not a microversion: ${JSON.stringify(v)}`);
  return [Number(m[1]), Number(m[2])];
}

export function compareVersions(a: string, b: string): number {
  const [am, an] = parseVersion(a);
  const [bm, bn] = parseVersion(b);
  return am - bm || an - bn;
}

/** Ironic wraps errors as {"error_message": "<json string>"}; older paths answer the object itself. */
async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  let faultstring = text || `${res.status} ${res.statusText}`;
  let debuginfo: string | null = null;
  try {
    const outer = JSON.parse(text) as { error_message?: unknown };
    const inner = typeof outer.error_message === "string" ? JSON.parse(outer.error_message) : outer.error_message ?? outer;
    if (inner && typeof inner.faultstring === "string") {
      faultstring = inner.faultstring;
      debuginfo = typeof inner.debuginfo === "string" ? inner.debuginfo : null;
    }
  } catch {
    // not JSON: keep the text
  }
  return new ApiError(res.status, faultstring, debuginfo);
}

export class IngotClient {
  readonly baseUrl: string;
  readonly minVersion: string;
  private readonly fetchImpl: typeof fetch;
  private readonly extraHeaders: Record<string, string>;
  private negotiated: Promise<string> | null = null;

  constructor(opts: ClientOptions = {}) {
    this.baseUrl = (opts.baseUrl ?? "/baremetal").replace(/\/+$/, "");
    this.minVersion = opts.minVersion ?? "1.1";
    parseVersion(this.minVersion);
    this.fetchImpl = opts.fetch ?? ((input, init) => fetch(input, init));
    this.extraHeaders = opts.headers ?? {};
  }

  /** The version calls use by default: min(server max, client max); fails when the server is too old. */
  negotiate(): Promise<string> {
    this.negotiated ??= (async () => {
      const res = await this.fetchImpl(`${this.baseUrl}/v1`, { headers: { Accept: "application/json", ...this.extraHeaders } });
      if (!res.ok) throw await errorFrom(res);
      const doc = (await res.json()) as { version?: { version?: string; min_version?: string } };
      const serverMax = doc.version?.version;
      if (!serverMax) throw new ApiError(502, "The server did not say which API versions it supports.");
      if (compareVersions(serverMax, this.minVersion) < 0) {
        throw new ApiError(406, `The server supports API versions up to ${serverMax}; this client needs ${this.minVersion} or newer.`);
      }
      return compareVersions(serverMax, CLIENT_MAX_VERSION) < 0 ? serverMax : CLIENT_MAX_VERSION;
    })();
    // A failed negotiation is retried on the next call.
    this.negotiated.catch(() => {
      this.negotiated = null;
    });
    return this.negotiated;
  }

  url(path: string, query?: Record<string, QueryValue>): string {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) {
      if (v === undefined || v === null) continue;
      if (Array.isArray(v)) for (const item of v) qs.append(k, item);
      else qs.set(k, String(v));
    }
    const s = qs.toString();
    return `${this.baseUrl}/v1${path.startsWith("/") ? path : `/${path}`}${s ? `?${s}` : ""}`;
  }

  /** One call; resolves to the parsed JSON body (undefined when there is none). */
  async request<T>(method: Method, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.raw(method, path, opts);
    if (res.status === 204 || res.headers.get("content-length") === "0") return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Like request() but resolves to the Response (for the ETag header and such); throws ApiError when not ok. */
  async raw(method: Method, path: string, opts: RequestOptions = {}): Promise<Response> {
    const version = opts.version ?? (await this.negotiate());
    const headers: Record<string, string> = {
      Accept: "application/json",
      "X-OpenStack-Ironic-API-Version": version,
      "X-Ingot-Client": "web",
      ...this.extraHeaders,
      ...opts.headers,
    };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }
    const res = await this.fetchImpl(this.url(path, opts.query), { method, headers, body, signal: opts.signal, credentials: "same-origin" });
    if (!res.ok) throw await errorFrom(res);
    return res;
  }

  get<T>(path: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>("GET", path, opts);
  }
  post<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>("POST", path, { ...opts, body });
  }
  patch<T>(path: string, body: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>("PATCH", path, { ...opts, body });
  }
  put<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T> {
    return this.request<T>("PUT", path, { ...opts, body });
  }
  del<T = void>(path: string, opts?: RequestOptions): Promise<T> {
    return this.request<T>("DELETE", path, opts);
  }
}

let browserSingleton: IngotClient | null = null;

/** The dashboard's client: same-origin, session cookie, at least DASHBOARD_MIN_VERSION. */
export function browserClient(): IngotClient {
  browserSingleton ??= new IngotClient({ baseUrl: "/baremetal", minVersion: DASHBOARD_MIN_VERSION });
  return browserSingleton;
}
