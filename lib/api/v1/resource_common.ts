// Helpers shared by the non-node resources (ports, portgroups, chassis, volume, templates,
// allocations, conductors): Ironic-style schema errors and booleans, version-gated field
// selection, keyset pagination with `next` links, JSON Patch wiring.
import { Forbidden, Invalid, NotAcceptable } from "../../core/errors.ts";
import { authorize, type PolicyTarget, type Principal } from "../../core/policy.ts";
import { nextLink, parseLimit, parseSortDir, parseSortKey, type ListParams } from "../collection.ts";
import type { ApiContext } from "../http.ts";
import { parseBool } from "../http.ts";
import { applyPatch, rootOf, validatePatch, type PatchOperation, type PatchView } from "../jsonpatch.ts";
import { schemaCheck, type Schema } from "../schema.ts";
import { isUniqueViolation } from "../../core/db/unique.ts";

export { schemaCheck };

/**
 * Ironic's patched_validate_with_schema: the patched resource, without the keys its schema does
 * not know (timestamps, links, ...), must fit the create schema; errors say "Schema error for patch".
 */
export function patchedSchemaCheck(schema: Schema, patched: Record<string, unknown>): void {
  schemaCheck("patch", schema, pruneToSchema(schema, patched));
}

/** `doc` without the keys `schema` has no property for. */
export function pruneToSchema(schema: Schema, doc: Record<string, unknown>): Record<string, unknown> {
  const known = schema.properties ?? {};
  return Object.fromEntries(Object.entries(doc).filter(([k]) => Object.hasOwn(known, k)));
}

const BOOL_WORDS = "'0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'";

/** Ironic's lenient boolean for body fields (true/false or the usual strings). */
export function bodyBool(field: string, value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value === "string" || typeof value === "number") {
    const v = String(value).toLowerCase();
    if (["1", "t", "true", "on", "y", "yes"].includes(v)) return true;
    if (["0", "f", "false", "off", "n", "no"].includes(v)) return false;
  }
  throw new Invalid(`Invalid ${field}: Unrecognized value '${String(value)}', acceptable values are: ${BOOL_WORDS}`);
}

/**
 * A field of a serialized resource: API name, min minor version, value getter. Given the resource's
 * wire type `T` (lib/shared/wire.ts), every name must be a field of T and every getter give that
 * field's type, so the serializer cannot drift from what the dashboard reads.
 */
export type FieldDef<R, T = Record<string, unknown>> = {
  [K in keyof T & string]-?: [name: K, minMinor: number, get: (r: R) => T[K]];
}[keyof T & string];

/** Serializes `row` with the fields visible at `minor`, in `defs` order; `fields` filters (keeps order). */
export function renderFields<R>(defs: readonly FieldDef<R>[], row: R, minor: number, fields: string[] | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, min, get] of defs) {
    if (minor < min) continue;
    if (fields && name !== "links" && !fields.includes(name)) continue;
    out[name] = get(row);
  }
  return out;
}

/**
 * Parses ?fields= against the resource's fields: unknown → 400, newer than the version → 406,
 * below 1.8 → 406. Returns null when not given.
 */
export function parseResourceFields(ctx: ApiContext, versions: Record<string, number>): string[] | null {
  const raw = ctx.url.searchParams.get("fields");
  if (raw === null) return null;
  if (ctx.minor < 8) throw new NotAcceptable("Request not acceptable.");
  const fields = raw.split(",").map((f) => f.trim()).filter(Boolean);
  const bad = fields.filter((f) => !Object.hasOwn(versions, f));
  if (bad.length) throw new Invalid(`Field(s) "${bad.join(", ")}" are not valid`);
  for (const f of fields) if (ctx.minor < versions[f]) throw new NotAcceptable("Request not acceptable.");
  return [...new Set(fields)];
}

export interface ResourceListSpec {
  /** API sort key → column (bare name on the main table). */
  sortColumns: Record<string, string>;
  /** Keys Ironic refuses to sort on (JSON columns). */
  unsortable?: readonly string[];
  /** API field → min version, for ?fields=. */
  fieldVersions: Record<string, number>;
  /** From which version ?detail= is accepted (default 1.43; below: 400 as Ironic). */
  detailParamMinor?: number;
  /** Error text for fields together with detail=True. */
  detailFieldsMessage?: string;
  /** True on the /detail sub-path. */
  detailPath?: boolean;
}

export interface ResourceListParams extends ListParams {
  sortColumn: string;
  /** detail was given as a query parameter (shown in next links). */
  detailParam: boolean;
}

/** limit / marker / sort / fields / detail for a non-node collection, with Ironic's errors. */
export function parseResourceList(ctx: ApiContext, spec: ResourceListSpec): ResourceListParams {
  const q = ctx.url.searchParams;
  const limit = parseLimit(q.get("limit"));
  const sortDir = parseSortDir(q.get("sort_dir"));
  const { sortKey, sortColumn } = parseSortKey(q.get("sort_key"), spec.sortColumns, spec.unsortable);
  let detail = spec.detailPath === true;
  const detailRaw = q.get("detail");
  let detailParam = false;
  if (spec.detailPath) {
    const unexpected = ["detail", "fields"].filter((k) => q.has(k));
    if (unexpected.length) throw new Invalid(`Unexpected arguments: ${unexpected.join(", ")}`);
  }
  if (detailRaw !== null) {
    if (ctx.minor < (spec.detailParamMinor ?? 43)) throw new Invalid(`Invalid query parameter ?detail=${detailRaw} received.`);
    detail = parseBool("detail", detailRaw);
    detailParam = true;
  }
  const fields = parseResourceFields(ctx, spec.fieldVersions);
  if (fields && detail) throw new Invalid(spec.detailFieldsMessage ?? "Can not specify ?detail=True and fields in the same request.");
  return { limit, marker: q.get("marker"), sortKey, sortDir, fields, detail, sortColumn, detailParam };
}

export { pageRows, type PageQuery } from "../../core/db/page.ts";

/**
 * The `next` link as Ironic builds it: sort_key, sort_dir, then detail=True (when asked by
 * parameter) or the requested/default fields, limit and marker.
 */
export function resourceNext(
  ctx: ApiContext,
  resource: string,
  count: number,
  p: ResourceListParams,
  lastMarker: string | undefined,
  defaultFields: readonly string[] | null,
): string | undefined {
  const extra: Record<string, string | undefined> = {};
  if (p.detailParam) extra.detail = p.detail ? "True" : "False";
  if (!p.fields && !p.detail && defaultFields) extra.fields = defaultFields.join(",");
  return nextLink(ctx, resource, count, p, lastMarker, extra);
}

/** Checks an action rule after the resource is visible: 403 on failure. */
export function requirePolicy(rule: string, who: Principal, target: PolicyTarget = {}): void {
  if (!authorize(rule, who, target)) throw new Forbidden();
}

/** List visibility (the services' rule, for list handlers that have no service yet). */
export { listScope as listProject } from "../../core/services/access.ts";

/**
 * Parses and applies a JSON Patch body to `doc` (the stored values), refusing paths outside
 * `allowed`. Errors quote `doc` as `view` lets the caller see it (secrets always masked).
 */
export function patchDocument<T extends Record<string, unknown>>(
  body: unknown,
  doc: T,
  allowed: readonly string[],
  view: PatchView = {},
): { patched: T; ops: PatchOperation[] } {
  const ops = validatePatch(body);
  for (const op of ops) {
    if (!allowed.includes(rootOf(op.path))) {
      throw new Invalid(`Cannot patch ${op.path}. Only the following can be updated: ${allowed.join(", ")}`);
    }
  }
  const patched = applyPatch(doc, ops, { noNewRootKeys: true, view });
  return { patched, ops };
}

/** True when the two JSON values differ. */
export function changed(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) !== JSON.stringify(b);
}

export { isUniqueViolation };

/** The column named in a unique violation message, when the driver says (best effort). */
export function uniqueViolationMentions(err: unknown, column: string): boolean {
  const e = err as { message?: string; detail?: string; constraint?: string } | null;
  const text = `${e?.message ?? ""} ${e?.detail ?? ""} ${e?.constraint ?? ""}`;
  return text.includes(`.${column}`) || text.includes(`"${column}"`) || text.includes(`(${column})`) || text.includes(`_${column}_`);
}
