// Shared list mechanics (reference §2.5): limit/marker/sort/fields/detail parsing and `next` links.
import { Invalid, NotAcceptable } from "../core/errors.ts";
import type { ApiContext } from "./http.ts";
import { parseBool } from "./http.ts";

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

export interface ListSpec {
  /** Fields a client may ask for with ?fields= at this version. */
  validFields: readonly string[];
  /** Sort keys allowed (API names). */
  sortKeys: readonly string[];
  defaultSortKey?: string;
  /** Field always included when `fields` is given (e.g. uuid). */
  identField?: string;
  /** True for the /detail sub-path. */
  detailPath?: boolean;
  /** Keys that must not be sorted on (JSON columns), with Ironic's message. */
  unsortable?: readonly string[];
}

export function parseLimit(raw: string | null): number {
  if (raw === null || raw === "") return MAX_LIMIT;
  if (!/^-?\d+$/.test(raw)) throw new Invalid(`Invalid input for field/attribute limit. Value: '${raw}'. unable to convert to int`);
  const n = Number(raw);
  if (n <= 0) throw new Invalid("Limit must be positive");
  return Math.min(n, MAX_LIMIT);
}

export function parseFields(ctx: ApiContext, valid: readonly string[], identField?: string): string[] | null {
  const raw = ctx.url.searchParams.get("fields");
  if (raw === null) return null;
  if (ctx.minor < 8) throw new NotAcceptable("Request not acceptable.");
  const fields = raw.split(",").map((f) => f.trim()).filter(Boolean);
  const bad = fields.filter((f) => !valid.includes(f));
  if (bad.length) throw new Invalid(`Field(s) "${bad.join(", ")}" are not valid`);
  if (identField && !fields.includes(identField)) fields.push(identField);
  return fields;
}

export function parseListParams(ctx: ApiContext, spec: ListSpec): ListParams {
  const q = ctx.url.searchParams;
  const limit = parseLimit(q.get("limit"));
  const sortDir = (q.get("sort_dir") ?? "asc").toLowerCase();
  if (sortDir !== "asc" && sortDir !== "desc") {
    throw new Invalid(`Invalid sort direction: ${q.get("sort_dir")}. Acceptable values are 'asc' or 'desc'`);
  }
  const sortKey = q.get("sort_key") ?? spec.defaultSortKey ?? "id";
  if (spec.unsortable?.includes(sortKey)) {
    throw new Invalid(`The sort_key value "${sortKey}" is an invalid field for sorting`);
  }
  if (!spec.sortKeys.includes(sortKey)) {
    throw new Invalid(`The sort_key value "${sortKey}" is an invalid field for sorting`);
  }
  let detail = spec.detailPath === true;
  const detailRaw = q.get("detail");
  if (detailRaw !== null) {
    if (spec.detailPath) throw new Invalid("The detail parameter is not allowed on the /detail resource.");
    if (ctx.minor < 43) throw new Invalid("The detail parameter requires API version 1.43 or later.");
    detail = parseBool("detail", detailRaw);
  }
  const fields = parseFields(ctx, spec.validFields, spec.identField);
  if (fields && detail) throw new Invalid("Can not specify ?detail=True and fields in the same request.");
  return { limit, marker: q.get("marker"), sortKey, sortDir, fields, detail };
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

/** Keeps only the requested fields (plus links) of a serialized resource. */
export function pick(obj: Record<string, unknown>, fields: string[] | null): Record<string, unknown> {
  if (!fields) return obj;
  const out: Record<string, unknown> = {};
  for (const f of fields) if (f in obj) out[f] = obj[f];
  if ("links" in obj) out.links = obj.links;
  return out;
}
