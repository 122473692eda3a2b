// Calls the Bare Metal API in-process, the way the HTTP server does.
import { handleBaremetal } from "../api/handler.ts";
import type { HistoryStructure } from "../shared/history.ts";

export interface ApiResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  /** The faultstring of an Ironic error body, if any. */
  error: string | null;
}

export interface CallOptions {
  body?: unknown;
  /** Minor version ("82" / 82 / "latest"); default: latest. Pass null to send no version header. */
  version?: number | string | null;
  headers?: Record<string, string>;
  rawBody?: string;
}

export async function api<T = any>(method: string, path: string, opts: CallOptions = {}): Promise<ApiResult<T>> {
  const headers = new Headers(opts.headers ?? {});
  const v = opts.version === undefined ? "latest" : opts.version;
  if (v !== null) headers.set("X-OpenStack-Ironic-API-Version", typeof v === "number" ? `1.${v}` : String(v).includes(".") || v === "latest" ? String(v) : `1.${v}`);
  let body: string | undefined = opts.rawBody;
  if (opts.body !== undefined) body = JSON.stringify(opts.body);
  if (body !== undefined) headers.set("Content-Type", "application/json");
  const res = await handleBaremetal(
    new Request(`http://127.0.0.1:3000/baremetal${path}`, { method, headers, body }),
  );
  const text = await res.text();
  let parsed: any = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  let error: string | null = null;
  if (parsed && typeof parsed === "object" && typeof parsed.error_message === "string") {
    try {
      error = JSON.parse(parsed.error_message).faultstring ?? null;
    } catch {
      error = parsed.error_message;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed as T, error };
}

/**
 * A node's power change rows (power_change, power_change_failed), oldest first, with the
 * structured fields the API shows with structured=True (what the timeline's power lane reads).
 */
export async function powerChangeRows(uuid: string): Promise<HistoryStructure[]> {
  const history = (await api<{ history: { structured: HistoryStructure }[] }>("GET", `/v1/nodes/${uuid}/history?detail=True&structured=True`)).body.history;
  return history.map((h) => h.structured).filter((h) => h.kind === "power_change" || h.kind === "power_change_failed");
}
