// Shared list mechanics (reference §2.5): the limit parameter, the list parameters every
// collection shares, and `next` links.
import { Invalid } from "../core/errors.ts";
import type { ApiContext } from "./http.ts";

export const MAX_LIMIT = 1000;

export interface ListParams {
  limit: number;
  marker: string | null;
  sortKey: string;
  sortDir: "asc" | "desc";
  /** Requested fields (always including the identifier), or null for the default/detail set. */
  fields: string[] | null;
  detail: boolean;
}

export function parseLimit(raw: string | null): number {
  if (raw === null || raw === "") return MAX_LIMIT;
  if (!/^-?\d+$/.test(raw)) throw new Invalid(`Expected an integer for limit: ${raw}`);
  const n = Number(raw);
  if (n <= 0) throw new Invalid("Limit must be positive");
  return Math.min(n, MAX_LIMIT);
}

/**
 * The `next` link: present only when the page is full. Like Ironic, it carries the paging
 * parameters plus the given extra ones (Ironic drops most filters; we keep those passed in).
 */
export function nextLink(
  ctx: ApiContext,
  resource: string,
  count: number,
  params: ListParams,
  lastMarker: string | undefined,
  extra: Record<string, string | undefined> = {},
): string | undefined {
  if (count === 0 || count < params.limit || lastMarker === undefined) return undefined;
  const q = new URLSearchParams();
  q.set("sort_key", params.sortKey);
  q.set("sort_dir", params.sortDir);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) q.set(k, v);
  if (params.fields) q.set("fields", params.fields.join(","));
  q.set("limit", String(params.limit));
  q.set("marker", lastMarker);
  return `${ctx.base}/v1/${resource}?${q.toString().replace(/%2C/g, ",")}`;
}
