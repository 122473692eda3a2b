// The fleet query: filters (each negatable), free-text search, sorting, grouping, facet counts and
// paging over the nodes a principal may see. Used by GET /v1/fleet (the dashboard's table) and by
// bulk jobs ("every node matching this filter"). One SQL statement per answer part, valid on SQLite
// and PostgreSQL; the conductor (a hash-ring result, not a column) becomes a CASE expression.
// The fields, sort and group keys and the answer's shape are lib/shared/fleet.ts (the page uses them).
//
// URL form (documented in docs/api-extensions.md):
//   <field>=<value>       node's field is one of the given values (repeat the key for more values)
//   <field>!=<value>      node's field is none of them  (URLSearchParams reads this as key "<field>!")
//   an empty value means "not set":  owner=  → no owner,  owner!=  → has an owner
//   q=<text>              name, UUID, instance UUID, port MAC or BMC address contains the text
//                         (a MAC also as 52-54-00-01-00-01, 525400010001 or 5254.0001.0001)
//   sort=<key> | sort=-<key>   ascending / descending, ties broken by UUID
//   group=<key>           rows ordered by the group first; group counts cover the whole match
import { visibleTo } from "./db/visibility.ts";
import type { Sql, SqlValue } from "./db/sql.ts";
import { Invalid } from "./errors.ts";
import { listConductors, ringLookup } from "./hashring.ts";
import { isSystemScoped, type Principal } from "./policy.ts";
import { FAULTS, isProvisionState, PowerState } from "./states.ts";
import {
  FACET_FIELDS, FLEET_BOOLEAN_FIELDS, FLEET_FILTER_FIELDS, FLEET_GROUP_KEYS, FLEET_SORT_KEYS, macSearchForm,
  type FacetField, type FleetFacets, type FleetFilterField, type FleetGroupKey, type FleetSortKey,
} from "../shared/fleet.ts";

// ---------------------------------------------------------------------------------------------
// The query

export interface FleetFilter {
  field: FleetFilterField;
  /** The node matches when its value is one of these ("" = not set) — or none of them when negated. */
  values: string[];
  negate: boolean;
}

export interface FleetQuery {
  filters: FleetFilter[];
  /** Free text (trimmed, lower-cased), or null. */
  text: string | null;
  sort: { key: FleetSortKey; dir: "asc" | "desc" };
  group: FleetGroupKey | null;
}

export const DEFAULT_FLEET_SORT: FleetQuery["sort"] = { key: "name", dir: "asc" };
/** Keys parseFleetQuery ignores (paging belongs to the caller). */
const PAGING_KEYS = ["offset", "limit"];
const MAX_TEXT = 255;

function isFilterField(s: string): s is FleetFilterField {
  return (FLEET_FILTER_FIELDS as readonly string[]).includes(s);
}

const BOOL_TRUE = ["1", "t", "true", "on", "y", "yes"];
const BOOL_FALSE = ["0", "f", "false", "off", "n", "no"];
const POWER_STATES = Object.values(PowerState) as string[];

function checkValue(field: FleetFilterField, raw: string): string {
  if (FLEET_BOOLEAN_FIELDS.includes(field)) {
    const v = raw.trim().toLowerCase();
    if (BOOL_TRUE.includes(v)) return "true";
    if (BOOL_FALSE.includes(v)) return "false";
    throw new Invalid(`Invalid value '${raw}' for fleet filter ${field}: expected true or false`);
  }
  if (raw === "") return "";
  if (field === "provision_state" && !isProvisionState(raw)) throw new Invalid(`Provision state "${raw}" is not valid`);
  if (field === "power_state" && !POWER_STATES.includes(raw)) {
    throw new Invalid(`Power state "${raw}" is not valid; expected one of: ${POWER_STATES.join(", ")}`);
  }
  if (field === "fault" && !(FAULTS as readonly string[]).includes(raw)) {
    throw new Invalid(`Fault "${raw}" is not valid; expected one of: ${FAULTS.join(", ")}`);
  }
  if (field === "conductor_group") return raw.toLowerCase();
  if (raw.length > 255) throw new Invalid(`Value for fleet filter ${field} is longer than 255 characters`);
  return raw;
}

/**
 * Reads a fleet query from URL parameters (see the header for the form). `offset` and `limit` are
 * ignored; any other unknown key is an error, so a typo never silently widens a bulk action.
 */
export function parseFleetQuery(params: URLSearchParams): FleetQuery {
  const byKey = new Map<string, FleetFilter>();
  let text: string | null = null;
  let sort = DEFAULT_FLEET_SORT;
  let group: FleetGroupKey | null = null;
  for (const [rawKey, value] of params) {
    if (PAGING_KEYS.includes(rawKey)) continue;
    if (rawKey === "q") {
      if (text !== null) throw new Invalid("Fleet query: q given more than once");
      const t = value.trim().toLowerCase();
      if (t.length > MAX_TEXT) throw new Invalid(`Fleet search text is longer than ${MAX_TEXT} characters`);
      text = t || null;
      continue;
    }
    if (rawKey === "sort") {
      const dir = value.startsWith("-") ? "desc" : "asc";
      const key = value.replace(/^[-+]/, "");
      if (!(FLEET_SORT_KEYS as readonly string[]).includes(key)) {
        throw new Invalid(`Cannot sort the fleet by "${key}"; sortable: ${FLEET_SORT_KEYS.join(", ")}`);
      }
      sort = { key: key as FleetSortKey, dir };
      continue;
    }
    if (rawKey === "group") {
      if (value === "") continue;
      if (!(FLEET_GROUP_KEYS as readonly string[]).includes(value)) {
        throw new Invalid(`Cannot group the fleet by "${value}"; groupable: ${FLEET_GROUP_KEYS.join(", ")}`);
      }
      group = value as FleetGroupKey;
      continue;
    }
    // "-field=v" is accepted as a synonym of "field!=v".
    const negate = rawKey.endsWith("!") || rawKey.startsWith("-");
    const field = rawKey.replace(/!$/, "").replace(/^-/, "");
    if (!isFilterField(field)) {
      throw new Invalid(`Unknown fleet query parameter "${rawKey}"; filters: ${FLEET_FILTER_FIELDS.join(", ")}; also q, sort, group, offset, limit`);
    }
    const k = `${negate ? "!" : ""}${field}`;
    const f = byKey.get(k) ?? { field, values: [], negate };
    const v = checkValue(field, value);
    if (!f.values.includes(v)) f.values.push(v);
    byKey.set(k, f);
  }
  return { filters: [...byKey.values()], text, sort, group };
}

/** The canonical URL form of a query (no paging), e.g. to store with a bulk job. */
export function fleetQueryString(q: FleetQuery): string {
  const p = new URLSearchParams();
  for (const f of q.filters) for (const v of f.values) p.append(f.negate ? `${f.field}!` : f.field, v);
  if (q.text) p.set("q", q.text);
  if (q.sort.key !== DEFAULT_FLEET_SORT.key || q.sort.dir !== DEFAULT_FLEET_SORT.dir) {
    p.set("sort", `${q.sort.dir === "desc" ? "-" : ""}${q.sort.key}`);
  }
  if (q.group) p.set("group", q.group);
  return p.toString();
}

// ---------------------------------------------------------------------------------------------
// SQL fragments (text + its parameters, composed in order)

interface Frag {
  text: string;
  params: SqlValue[];
}
const frag = (text: string, params: SqlValue[] = []): Frag => ({ text, params });

function joinFrags(parts: Frag[], sep: string): Frag {
  return { text: parts.map((p) => p.text).join(sep), params: parts.flatMap((p) => p.params) };
}

/** Expressions for the columns the fleet filters, sorts and groups on. */
interface Columns {
  sql: Sql;
  who: Principal;
  conductor: Frag;
  conductors: ConductorMap;
  /** The search's matches, found once per answer and reused by every statement of it. */
  textMatch?: Frag;
  /** last_error as this principal may see it (null where it is redacted). */
  lastErrorVisible: Frag;
}

const PLAIN: Partial<Record<FleetFilterField | FleetSortKey, string>> = {
  name: `"name"`, uuid: `"uuid"`, provision_state: `"provisionState"`, target_provision_state: `"targetProvisionState"`,
  power_state: `"powerState"`, owner: `"owner"`, lessee: `"lessee"`, resource_class: `"resourceClass"`,
  maintenance: `"maintenance"`, retired: `"retired"`, fault: `"fault"`, driver: `"driver"`,
  // "" is the default group: shown, filtered and grouped as "not set".
  conductor_group: `NULLIF("conductorGroup", '')`, instance_uuid: `"instanceUuid"`, provision_updated_at: `"provisionUpdatedAt"`,
  created_at: `"createdAt"`, updated_at: `"updatedAt"`,
};

function column(cols: Columns, key: FleetFilterField | FleetSortKey): Frag {
  if (key === "conductor") return cols.conductor;
  if (key === "last_error") return cols.lastErrorVisible;
  const c = PLAIN[key];
  if (!c) throw new Error(`no column for fleet key ${key}`);
  return frag(c);
}

/** Rows this principal may see: system scope all (but child nodes, as the node list); projects their own or leased. */
export function visibilityFrag(who: Principal): Frag {
  if (isSystemScoped(who)) return frag(`"parentNode" IS NULL`);
  if (!who.projectId) return frag("1 = 0");
  const visible = visibleTo(who.projectId);
  return frag(`"parentNode" IS NULL AND ${visible.text}`, visible.params);
}

function lastErrorVisible(who: Principal): Frag {
  // baremetal:node:get:last_error is system reader or owner reader: lessees see it redacted, so
  // they must not be able to filter, sort or search on it either.
  if (isSystemScoped(who)) return frag(`NULLIF("lastError", '')`);
  return frag(`CASE WHEN "owner" = ? THEN NULLIF("lastError", '') END`, [who.projectId]);
}

function boolSql(sql: Sql, b: boolean): string {
  return sql.kind === "postgresql" ? (b ? "TRUE" : "FALSE") : b ? "1" : "0";
}

function filterFrag(cols: Columns, f: FleetFilter): Frag {
  const { sql } = cols;
  let positive: Frag;
  if (f.field === "trait") {
    const named = f.values.filter((v) => v !== "");
    const parts: Frag[] = [];
    if (named.length) {
      parts.push(frag(`EXISTS (SELECT 1 FROM "NodeTrait" t WHERE t."nodeId" = "Node"."id" AND t."trait" IN (${named.map(() => "?").join(", ")}))`, named));
    }
    if (named.length < f.values.length) parts.push(frag(`NOT EXISTS (SELECT 1 FROM "NodeTrait" t WHERE t."nodeId" = "Node"."id")`));
    positive = parts.length === 1 ? parts[0] : frag(`(${joinFrags(parts, " OR ").text})`, joinFrags(parts, " OR ").params);
  } else if (f.field === "last_error") {
    const c = cols.lastErrorVisible;
    const wantsPresent = f.values.includes("true");
    const wantsAbsent = f.values.includes("false");
    positive = wantsPresent && wantsAbsent ? frag("1 = 1") : frag(`(${c.text}) IS ${wantsPresent ? "NOT " : ""}NULL`, c.params);
  } else if (f.field === "maintenance" || f.field === "retired") {
    const c = PLAIN[f.field]!;
    const t = f.values.includes("true");
    const fl = f.values.includes("false");
    positive = t && fl ? frag("1 = 1") : frag(`${c} = ${boolSql(sql, t)}`);
  } else {
    const c = column(cols, f.field);
    const named = f.values.filter((v) => v !== "");
    const parts: Frag[] = [];
    if (named.length) parts.push(frag(`(${c.text}) IN (${named.map(() => "?").join(", ")})`, [...c.params, ...named]));
    if (named.length < f.values.length) parts.push(frag(`(${c.text}) IS NULL`, c.params));
    const j = joinFrags(parts, " OR ");
    positive = frag(`(${j.text})`, j.params);
  }
  // NOT over a possibly-NULL comparison is NULL, not true: wrap so "none of" includes unset values.
  return f.negate ? frag(`NOT COALESCE((${positive.text}), ${boolSql(sql, false)})`, positive.params) : positive;
}

/** driver_info keys holding a BMC address (never a secret; searched by the free text). */
export const BMC_ADDRESS_KEYS = [
  "ipmi_address", "redfish_address", "sim_bmc_address", "bmc_address", "idrac_address", "ilo_address", "irmc_address",
] as const;

function textFrag(cols: Columns, text: string): Frag {
  const { sql, who } = cols;
  // "Contains, ignoring case": SQLite's LIKE ignores ASCII case already; on PostgreSQL strpos over
  // lower() is several times cheaper than ILIKE. (`text` is lower-cased by the parser.)
  const pattern = (t: string) => (sql.kind === "postgresql" ? t : `%${t.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const like = pattern(text);
  // Ports store MACs as "52:54:00:01:00:01"; "52-54-00-01-00-01" or "525400010001" finds them too.
  const macLike = pattern(macSearchForm(text) ?? text);
  const m = (expr: string) => (sql.kind === "postgresql" ? `strpos(lower(${expr}), ?) > 0` : `${expr} LIKE ? ESCAPE '\\'`);
  const bmcExpr = BMC_ADDRESS_KEYS.map((k) =>
    sql.kind === "postgresql" ? `COALESCE(("driverInfo"::jsonb ->> '${k}'), '')` : `COALESCE(json_extract("driverInfo", '$.${k}'), '')`,
  ).join(` || ' ' || `);
  // driver_info is owner-only for projects (baremetal:node:get:driver_info): lessees may not find
  // nodes by an address they cannot read.
  const bmcAllowed = isSystemScoped(who) ? frag("1 = 1") : frag(`"owner" = ?`, [who.projectId]);
  // The raw driver_info text is scanned first (cheap); only rows containing the text anywhere get
  // their address keys parsed, so a secret holding the text never makes a node match.
  return frag(
    `(${m(`"name"`)} OR ${m(`"uuid"`)} OR ${m(`"instanceUuid"`)}` +
      ` OR "id" IN (SELECT p."nodeId" FROM "Port" p WHERE ${m(`p."address"`)})` +
      ` OR (${bmcAllowed.text} AND ${m(`"driverInfo"`)} AND ${m(`(${bmcExpr})`)}))`,
    [like, like, like, macLike, ...bmcAllowed.params, like, like],
  );
}

interface WhereOptions {
  /** Leave out the filters on this field (facet counts show the alternatives to the chosen values). */
  except?: FleetFilterField;
}

function whereFrag(cols: Columns, q: FleetQuery, opts: WhereOptions = {}): Frag {
  const parts = [visibilityFrag(cols.who)];
  for (const f of q.filters) if (f.field !== opts.except) parts.push(filterFrag(cols, f));
  if (q.text) parts.push(cols.textMatch ?? textFrag(cols, q.text));
  return joinFrags(parts.map((p) => frag(`(${p.text})`, p.params)), " AND ");
}

/** `"id" IN (<ids>)` with the ids as one JSON parameter (no bound-parameter limits). */
function idListFrag(sql: Sql, ids: number[]): Frag {
  // PostgreSQL: an int[] literal ("{1,2,3}"), unnested once into a hashed set.
  if (sql.kind === "postgresql") return frag(`"id" IN (SELECT unnest(CAST(? AS int[])))`, [`{${ids.join(",")}}`]);
  return frag(`"id" IN (SELECT value FROM json_each(?))`, [JSON.stringify(ids)]);
}

/** Runs the free-text search once (it is the costly condition) and keeps its matches. */
async function resolveText(cols: Columns, q: FleetQuery): Promise<void> {
  if (!q.text) return;
  const vis = visibilityFrag(cols.who);
  const t = textFrag(cols, q.text);
  const rows = await cols.sql.all<{ id: number }>(`SELECT "id" FROM "Node" WHERE (${vis.text}) AND ${t.text}`, [...vis.params, ...t.params]);
  cols.textMatch = idListFrag(cols.sql, rows.map((r) => Number(r.id)));
}

// ---------------------------------------------------------------------------------------------
// The conductor as a SQL expression

/**
 * CASE expression naming the conductor that owns each node (the API's `conductor` field). Rings
 * with one alive host map every node of their (group, driver) pair to it; rings with several
 * hosts need the node's UUID hashed, done here for just those nodes, passed as JSON id lists.
 */
interface ConductorMap {
  expr: Frag;
  /** When every ring has at most one host: the conductor of each "group\u0000driver" pair. */
  byPair: Map<string, string | null> | null;
  /** Identifies the ring set, for caches. */
  signature: string;
}

const pairKey = (group: unknown, driver: unknown) => `${String(group ?? "")}\u0000${String(driver)}`;

async function conductorMap(sql: Sql): Promise<ConductorMap> {
  const [all, pairs] = await Promise.all([
    listConductors(sql),
    sql.all<{ g: string; d: string }>(`SELECT DISTINCT "conductorGroup" AS g, "driver" AS d FROM "Node"`),
  ]);
  const conductors = all.filter((c) => c.alive);
  const signature = conductors.map((c) => `${c.hostname}/${c.conductorGroup}/${c.drivers.join(",")}`).join(";");
  const none = frag("CAST(NULL AS TEXT)");
  if (conductors.length === 0) return { expr: none, byPair: new Map(), signature };
  const whens: Frag[] = [];
  const multi: { g: string; d: string }[] = [];
  const byPair = new Map<string, string | null>();
  for (const { g, d } of pairs) {
    const hosts = conductors.filter((c) => c.conductorGroup.toLowerCase() === (g ?? "").toLowerCase() && c.drivers.includes(d));
    byPair.set(pairKey(g, d), hosts.length === 1 ? hosts[0].hostname : null);
    if (hosts.length === 1) whens.push(frag(`WHEN "conductorGroup" = ? AND "driver" = ? THEN ?`, [g, d, hosts[0].hostname]));
    else if (hosts.length > 1) multi.push({ g, d });
  }
  if (multi.length) {
    const lookup = ringLookup(conductors);
    const byHost = new Map<string, number[]>();
    for (const { g, d } of multi) {
      const rows = await sql.all<{ id: number; uuid: string }>(
        `SELECT "id", "uuid" FROM "Node" WHERE "conductorGroup" = ? AND "driver" = ?`, [g, d]);
      for (const r of rows) {
        const host = lookup({ uuid: r.uuid, driver: d, conductorGroup: g });
        if (host) byHost.set(host, [...(byHost.get(host) ?? []), Number(r.id)]);
      }
    }
    for (const [host, ids] of byHost) {
      const inList = idListFrag(sql, ids);
      whens.push(frag(`WHEN ${inList.text} THEN ?`, [...inList.params, host]));
    }
  }
  if (whens.length === 0) return { expr: none, byPair, signature };
  const j = joinFrags(whens, " ");
  return { expr: frag(`CASE ${j.text} END`, j.params), byPair: multi.length ? null : byPair, signature };
}

async function columnsFor(sql: Sql, who: Principal): Promise<Columns> {
  const conductors = await conductorMap(sql);
  return { sql, who, conductor: conductors.expr, conductors, lastErrorVisible: lastErrorVisible(who) };
}

// ---------------------------------------------------------------------------------------------
// Ordering

/** What a column sorts by: owners and lessees by project name (what people read), else the value. */
function orderColumn(cols: Columns, key: FleetFilterField | FleetSortKey): Frag {
  if (key === "owner" || key === "lessee") {
    const c = key === "owner" ? `"Node"."owner"` : `"Node"."lessee"`;
    return frag(`COALESCE((SELECT pr."name" FROM "Project" pr WHERE pr."id" = ${c}), ${c})`);
  }
  return column(cols, key);
}

function orderFrag(cols: Columns, q: FleetQuery): Frag {
  const parts: Frag[] = [];
  // NULLs count as the largest value, so ascending lists the set values first.
  const by = (c: Frag, dir: "asc" | "desc") =>
    frag(`${c.text} ${dir === "desc" ? "DESC NULLS FIRST" : "ASC NULLS LAST"}`, c.params);
  if (q.group) {
    parts.push(by(orderColumn(cols, q.group), "asc"));
    // Keeps each group's rows together even if two keys order alike.
    if (q.group === "owner" || q.group === "lessee") parts.push(by(column(cols, q.group), "asc"));
  }
  if (q.sort.key !== "uuid") parts.push(by(orderColumn(cols, q.sort.key), q.sort.dir));
  // Ties follow the sort direction, so a descending list is exactly the ascending one reversed.
  parts.push(frag(`"uuid" ${q.sort.dir === "desc" ? "DESC" : "ASC"}`));
  return joinFrags(parts, ", ");
}

// ---------------------------------------------------------------------------------------------
// Answers

export interface FleetRow {
  uuid: string;
  name: string | null;
  provisionState: string;
  targetProvisionState: string | null;
  provisionUpdatedAt: Date | null;
  powerState: string | null;
  targetPowerState: string | null;
  owner: string | null;
  lessee: string | null;
  resourceClass: string | null;
  traits: string[];
  maintenance: boolean;
  maintenanceReason: string | null;
  retired: boolean;
  fault: string | null;
  /** null when there is none or when `lastErrorHidden`. */
  lastError: string | null;
  /** The principal may not read this node's last_error (baremetal:node:get:last_error). */
  lastErrorHidden: boolean;
  conductor: string | null;
  conductorGroup: string;
  driver: string;
  instanceUuid: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

export interface FleetAnswer {
  rows: FleetRow[];
  total: number;
  groups: { key: string | null; count: number }[] | null;
  /** null when not asked for. */
  facets: FleetFacets | null;
}

function toDateOrNull(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d;
}

const ROW_COLUMNS = `"id", "uuid", "name", "provisionState", "targetProvisionState", "provisionUpdatedAt", "powerState",
  "targetPowerState", "owner", "lessee", "resourceClass", "maintenance", "maintenanceReason", "retired", "fault",
  "lastError", "conductorGroup", "driver", "instanceUuid", "createdAt", "updatedAt"`;

const truthy = (v: unknown) => v === true || v === 1 || v === "1" || v === "t" || v === "true";

async function loadRows(cols: Columns, where: Frag, order: Frag, page: { offset: number; limit: number }): Promise<FleetRow[]> {
  const { sql, who } = cols;
  const c = cols.conductor;
  const text = `SELECT ${ROW_COLUMNS}, ${c.text} AS "conductorHost" FROM "Node" WHERE ${where.text} ORDER BY ${order.text}` +
    ` LIMIT ${Math.max(0, Math.floor(page.limit))} OFFSET ${Math.max(0, Math.floor(page.offset))}`;
  const raw = await sql.all(text, [...c.params, ...where.params, ...order.params]);
  const ids = raw.map((r) => Number(r.id));
  const traits = new Map<number, string[]>();
  if (ids.length) {
    const tr = await sql.all<{ nodeId: number; trait: string }>(
      `SELECT "nodeId", "trait" FROM "NodeTrait" WHERE "nodeId" IN (${ids.map(() => "?").join(", ")}) ORDER BY "trait"`, ids);
    for (const t of tr) traits.set(Number(t.nodeId), [...(traits.get(Number(t.nodeId)) ?? []), t.trait]);
  }
  const system = isSystemScoped(who);
  return raw.map((r) => {
    const hidden = !system && r.owner !== who.projectId;
    return {
      uuid: String(r.uuid),
      name: (r.name as string | null) ?? null,
      provisionState: String(r.provisionState),
      targetProvisionState: (r.targetProvisionState as string | null) ?? null,
      provisionUpdatedAt: toDateOrNull(r.provisionUpdatedAt),
      powerState: (r.powerState as string | null) ?? null,
      targetPowerState: (r.targetPowerState as string | null) ?? null,
      owner: (r.owner as string | null) ?? null,
      lessee: (r.lessee as string | null) ?? null,
      resourceClass: (r.resourceClass as string | null) ?? null,
      traits: traits.get(Number(r.id)) ?? [],
      maintenance: truthy(r.maintenance),
      maintenanceReason: (r.maintenanceReason as string | null) ?? null,
      retired: truthy(r.retired),
      fault: (r.fault as string | null) ?? null,
      lastError: hidden ? null : ((r.lastError as string | null) || null),
      lastErrorHidden: hidden,
      conductor: (r.conductorHost as string | null) ?? null,
      conductorGroup: String(r.conductorGroup ?? ""),
      driver: String(r.driver),
      instanceUuid: (r.instanceUuid as string | null) ?? null,
      createdAt: toDateOrNull(r.createdAt),
      updatedAt: toDateOrNull(r.updatedAt),
    };
  });
}

/** Facet fields counted together in one grouped scan (everything but traits). */
const COMBO_FIELDS = FACET_FIELDS.filter((f): f is Exclude<FacetField, "trait"> => f !== "trait");

function facetValue(field: FacetField, v: unknown): string {
  if (FLEET_BOOLEAN_FIELDS.includes(field)) return truthy(v) ? "true" : "false";
  return v === null || v === undefined ? "" : String(v);
}

/** Whether a facet combination (one value per field) passes a filter on one of those fields. */
function comboPasses(f: FleetFilter, value: string): boolean {
  const hit = f.values.includes(value);
  return f.negate ? !hit : hit;
}

/** Recent facet answers: paging, sorting and grouping do not change them, nor does time alone. */
const facetCache = new Map<string, { at: number; facets: FleetFacets }>();
const FACET_CACHE_MS = 10_000;
const FACET_CACHE_SIZE = 200;

async function facetCounts(cols: Columns, q: FleetQuery): Promise<FleetFacets> {
  const { sql, who } = cols;
  // Any node write bumps its version; count and version sum change with every insert, write and
  // delete, so they stamp the data the counts were taken from.
  const stamp = await sql.get<{ n: number | string; v: number | string | null }>(`SELECT COUNT(*) AS n, SUM("version") AS v FROM "Node"`);
  const key = JSON.stringify([sql.kind, who.noauth ? "*" : who.systemRole ? "system" : who.projectId, q.filters, q.text,
    String(stamp?.n), String(stamp?.v), cols.conductors.signature]);
  const hit = facetCache.get(key);
  if (hit && Date.now() - hit.at < FACET_CACHE_MS) return hit.facets;

  // One grouped scan over the nodes matching the search and the trait filters, one row per
  // combination of the other facet fields; each facet then sums the combinations that pass every
  // filter but its own. Trait filters are applied in SQL, so the trait facet needs its own scan.
  // With one host per hash ring, the conductor follows from (group, driver): no per-row CASE.
  const byPair = cols.conductors.byPair;
  const scanned = COMBO_FIELDS.filter((f) => !(f === "conductor" && byPair));
  const selects = scanned.map((f, i) => {
    const c = f === "last_error"
      ? frag(`CASE WHEN (${cols.lastErrorVisible.text}) IS NULL THEN 0 ELSE 1 END`, cols.lastErrorVisible.params)
      : column(cols, f);
    return frag(`${c.text} AS "f${i}"`, c.params);
  });
  const comboQuery: FleetQuery = { ...q, filters: q.filters.filter((f) => f.field === "trait") };
  const where = whereFrag(cols, comboQuery);
  const sel = joinFrags(selects, ", ");
  const traitWhere = whereFrag(cols, q, { except: "trait" });
  const traitRowsP = sql.all<{ trait: string; n: number | string }>(
    `SELECT t."trait" AS "trait", COUNT(*) AS n FROM "NodeTrait" t JOIN "Node" ON "Node"."id" = t."nodeId" WHERE ${traitWhere.text} GROUP BY t."trait"`,
    traitWhere.params,
  );
  traitRowsP.catch(() => undefined); // awaited below; no unhandled rejection if the scan below fails first
  const combos = await sql.all<Record<string, unknown>>(
    `SELECT ${sel.text}, COUNT(*) AS n FROM "Node" WHERE ${where.text} GROUP BY ${scanned.map((_, i) => i + 1).join(", ")}`,
    [...sel.params, ...where.params],
  );
  const comboFilters = q.filters.filter((f) => f.field !== "trait");
  const counts = new Map<FacetField, Map<string, number>>(COMBO_FIELDS.map((f) => [f, new Map()]));
  const groupAt = scanned.indexOf("conductor_group");
  const driverAt = scanned.indexOf("driver");
  for (const row of combos) {
    const byField = new Map<FacetField, string>(scanned.map((f, i) => [f, facetValue(f, row[`f${i}`])]));
    if (byPair) byField.set("conductor", byPair.get(pairKey(row[`f${groupAt}`], row[`f${driverAt}`])) ?? "");
    const n = Number(row.n);
    const failingFields = new Set(comboFilters.filter((f) => !comboPasses(f, byField.get(f.field as FacetField)!)).map((f) => f.field));
    if (failingFields.size > 1) continue;
    for (const field of COMBO_FIELDS) {
      // Counted for `field` when every filter passes, or when the only failing ones are on `field`.
      if (failingFields.size === 1 && !failingFields.has(field)) continue;
      const m = counts.get(field)!;
      const v = byField.get(field)!;
      m.set(v, (m.get(v) ?? 0) + n);
    }
  }
  const facets = {} as FleetFacets;
  for (const [field, m] of counts) {
    facets[field] = [...m].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  }
  const traitRows = await traitRowsP;
  facets.trait = traitRows.map((r) => ({ value: r.trait, count: Number(r.n) })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
  if (facetCache.size >= FACET_CACHE_SIZE) facetCache.delete(facetCache.keys().next().value!);
  facetCache.set(key, { at: Date.now(), facets });
  return facets;
}

export async function queryFleet(
  sql: Sql, who: Principal, q: FleetQuery, page: { offset: number; limit: number }, opts: { facets?: boolean } = {},
): Promise<FleetAnswer> {
  const cols = await columnsFor(sql, who);
  await resolveText(cols, q);
  const where = whereFrag(cols, q);
  const order = orderFrag(cols, q);
  const countP = sql.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "Node" WHERE ${where.text}`, where.params);
  let groupsP: Promise<{ key: string | null; count: number }[] | null> = Promise.resolve(null);
  if (q.group) {
    const g = column(cols, q.group);
    // Groups in the order their rows come (owners and lessees by project name).
    const o = q.group === "owner" || q.group === "lessee" ? orderColumn(cols, q.group) : frag("k");
    groupsP = sql
      .all<{ k: string | null; n: number | string }>(
        `SELECT ${g.text} AS k, COUNT(*) AS n FROM "Node" WHERE ${where.text} GROUP BY ${sql.kind === "postgresql" ? "1" : "k"}` +
          ` ORDER BY ${o.text} ASC NULLS LAST${o.text === "k" ? "" : ", k ASC NULLS LAST"}`,
        [...g.params, ...where.params, ...o.params],
      )
      .then((rows) => rows.map((r) => ({ key: r.k ?? null, count: Number(r.n) })));
  }
  const [count, rows, groups, facets] = await Promise.all([
    countP,
    page.limit > 0 ? loadRows(cols, where, order, page) : Promise.resolve([]),
    groupsP,
    opts.facets === false ? Promise.resolve(null) : facetCounts(cols, q),
  ]);
  return { rows, total: Number(count?.n ?? 0), groups, facets };
}

/** Every node matching the query (no paging), in the query's order. */
export async function matchingNodeUuids(sql: Sql, who: Principal, q: FleetQuery): Promise<string[]> {
  const cols = await columnsFor(sql, who);
  await resolveText(cols, q);
  const where = whereFrag(cols, q);
  const order = orderFrag(cols, q);
  const rows = await sql.all<{ uuid: string }>(`SELECT "uuid" FROM "Node" WHERE ${where.text} ORDER BY ${order.text}`, [...where.params, ...order.params]);
  return rows.map((r) => r.uuid);
}
