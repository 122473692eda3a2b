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

/**
 * limit: read as Ironic reads it (Python's int(): surrounding whitespace, a sign and digit-group
 * underscores are accepted), then at least 1 and at most MAX_LIMIT. Only an absent limit means the
 * maximum: `?limit=` is int("") to Ironic, a 400.
 */
export function parseLimit(raw: string | null): number {
  if (raw === null) return MAX_LIMIT;
  if (!/^\s*[-+]?\d+(?:_\d+)*\s*$/.test(raw)) throw new Invalid(`Expected an integer for limit: ${raw}`);
  const n = Number(raw.trim().replace(/_/g, ""));
  if (n <= 0) throw new Invalid("Limit must be positive");
  return Math.min(n, MAX_LIMIT);
}

/** sort_dir: asc or desc in any case; anything else is Ironic's 400. */
export function parseSortDir(raw: string | null): "asc" | "desc" {
  const dir = (raw ?? "asc").toLowerCase();
  if (dir !== "asc" && dir !== "desc") throw new Invalid(`Invalid sort direction: ${raw}. Acceptable values are 'asc' or 'desc'`);
  return dir;
}

/**
 * sort_key against a collection's sortable keys (API name → column). Only the table's own keys
 * count, so a name every object inherits ("__proto__", "constructor", "toString") is an unknown
 * key like any other. `unsortable` keys (JSON columns) get Ironic's unquoted message; `available`
 * hides keys newer than the request's version.
 */
export function parseSortKey(
  raw: string | null,
  columns: Readonly<Record<string, string>>,
  unsortable: readonly string[] = [],
  available: (key: string) => boolean = () => true,
): { sortKey: string; sortColumn: string } {
  const sortKey = raw ?? "id";
  if (unsortable.includes(sortKey)) throw new Invalid(`The sort_key value ${sortKey} is an invalid field for sorting`);
  if (!Object.hasOwn(columns, sortKey) || !available(sortKey)) throw new Invalid(`The sort_key value "${sortKey}" is an invalid field for sorting`);
  return { sortKey, sortColumn: columns[sortKey] };
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
