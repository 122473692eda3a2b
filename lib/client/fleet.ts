// The fleet page's view state and how it lives in the URL. The query part (filters, search, sort,
// group) uses GET /v1/fleet's own language (docs/api-extensions.md), so a page URL's query is also
// the API's; page, size and cols are the page's own. The fields and the answer's shape are
// lib/shared/fleet.ts, the same declarations the API's query engine uses.
import {
  FLEET_FILTER_FIELDS, FLEET_GROUP_KEYS, type FleetFilterField, type FleetGroupKey,
} from "../shared/fleet.ts";

export const FIELD_LABELS: Record<FleetFilterField, string> = {
  provision_state: "Provision state", power_state: "Power", owner: "Owner", lessee: "Lessee", resource_class: "Resource class",
  trait: "Trait", maintenance: "Maintenance", retired: "Retired", fault: "Fault", last_error: "Last error",
  conductor: "Conductor", driver: "Driver", conductor_group: "Conductor group",
};

/** Table columns: key, header, whether sortable by that key and shown by default. */
export const COLUMNS = [
  { key: "name", label: "Name", sort: "name", always: true },
  { key: "provision_state", label: "Provision state", sort: "provision_state" },
  { key: "power_state", label: "Power", sort: "power_state" },
  { key: "owner", label: "Owner", sort: "owner" },
  { key: "lessee", label: "Lessee", sort: "lessee" },
  { key: "resource_class", label: "Resource class", sort: "resource_class" },
  { key: "traits", label: "Traits", sort: null },
  { key: "maintenance", label: "Maintenance", sort: "maintenance" },
  { key: "fault", label: "Fault", sort: "fault" },
  { key: "last_error", label: "Last error", sort: "last_error" },
  { key: "conductor", label: "Conductor", sort: "conductor", hidden: true },
  { key: "driver", label: "Driver", sort: "driver", hidden: true },
  { key: "conductor_group", label: "Conductor group", sort: "conductor_group", hidden: true },
  { key: "instance_uuid", label: "Instance", sort: "instance_uuid", hidden: true },
  { key: "provision_updated_at", label: "State since", sort: "provision_updated_at", hidden: true },
] as const satisfies readonly { key: string; label: string; sort: string | null; always?: boolean; hidden?: boolean }[];
export type ColumnKey = (typeof COLUMNS)[number]["key"];
export const DEFAULT_COLUMNS: ColumnKey[] = COLUMNS.filter((c) => !("hidden" in c && c.hidden)).map((c) => c.key);

export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 50;

export interface ViewFilter {
  field: FleetFilterField;
  values: string[];
  negate: boolean;
}

export interface FleetView {
  filters: ViewFilter[];
  q: string;
  /** "name", "-name", ... */
  sort: string;
  group: FleetGroupKey | null;
  page: number;
  size: number;
  cols: ColumnKey[];
}

const isFilterField = (s: string): s is FleetFilterField => (FLEET_FILTER_FIELDS as readonly string[]).includes(s);

/** The view a URL describes; unknown or malformed parts fall back to defaults (the API reports bad values). */
export function viewFromParams(params: URLSearchParams): FleetView {
  const filters: ViewFilter[] = [];
  const view: FleetView = { filters, q: "", sort: "name", group: null, page: 1, size: DEFAULT_PAGE_SIZE, cols: DEFAULT_COLUMNS };
  for (const [key, value] of params) {
    if (key === "q") view.q = value;
    else if (key === "sort") view.sort = value || "name";
    else if (key === "group") view.group = (FLEET_GROUP_KEYS as readonly string[]).includes(value) ? (value as FleetGroupKey) : null;
    else if (key === "page") view.page = Math.max(1, Math.floor(Number(value)) || 1);
    else if (key === "size") view.size = (PAGE_SIZES as readonly number[]).includes(Number(value)) ? Number(value) : DEFAULT_PAGE_SIZE;
    else if (key === "cols") {
      const known = COLUMNS.map((c) => c.key as string);
      const cols = value.split(",").filter((c) => known.includes(c)) as ColumnKey[];
      view.cols = cols.includes("name") ? cols : ["name", ...cols];
    } else {
      const negate = key.endsWith("!") || key.startsWith("-");
      const field = key.replace(/!$/, "").replace(/^-/, "");
      if (!isFilterField(field)) continue;
      const f = filters.find((x) => x.field === field && x.negate === negate);
      if (f) {
        if (!f.values.includes(value)) f.values.push(value);
      } else filters.push({ field, values: [value], negate });
    }
  }
  return view;
}

// encodeURIComponent leaves "!" alone, so negations read "owner!=acme" in the address bar.
const pair = (k: string, v: string) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`;

/** The fleet query in the API's language, without paging: what GET /v1/fleet and bulk jobs take. */
export function queryString(view: Pick<FleetView, "filters" | "q" | "sort" | "group">): string {
  const parts: string[] = [];
  for (const f of view.filters) for (const v of f.values) parts.push(pair(f.negate ? `${f.field}!` : f.field, v));
  if (view.q.trim()) parts.push(pair("q", view.q.trim()));
  if (view.sort && view.sort !== "name") parts.push(pair("sort", view.sort));
  if (view.group) parts.push(pair("group", view.group));
  return parts.join("&");
}

/** The page URL's query: the fleet query plus page, size and columns when not the defaults. */
export function viewToSearch(view: FleetView): string {
  const parts = [queryString(view)].filter(Boolean);
  if (view.page > 1) parts.push(pair("page", String(view.page)));
  if (view.size !== DEFAULT_PAGE_SIZE) parts.push(pair("size", String(view.size)));
  const sameCols = view.cols.length === DEFAULT_COLUMNS.length && view.cols.every((c) => DEFAULT_COLUMNS.includes(c));
  if (!sameCols) parts.push(`cols=${view.cols.map(encodeURIComponent).join(",")}`);
  return parts.join("&");
}

/** Adds or removes one value of a filter ("is" or "is not"); an emptied filter disappears. */
export function toggleFilterValue(filters: ViewFilter[], field: FleetFilterField, value: string, negate: boolean): ViewFilter[] {
  const existing = filters.find((f) => f.field === field && f.negate === negate);
  if (!existing) return [...filters, { field, values: [value], negate }];
  const values = existing.values.includes(value) ? existing.values.filter((v) => v !== value) : [...existing.values, value];
  return filters.flatMap((f) => (f === existing ? (values.length ? [{ ...f, values }] : []) : [f]));
}

export function sortState(sort: string): { key: string; dir: "asc" | "desc" } {
  return sort.startsWith("-") ? { key: sort.slice(1), dir: "desc" } : { key: sort, dir: "asc" };
}

/** The API's text in place of a last error the caller may not read. */
export const isRedacted = (lastError: string | null) => !!lastError && lastError.startsWith("** Value Redacted");

/** How a filter value reads in a chip ("" = not set; yes/no fields; project names). */
export function valueLabel(field: FleetFilterField, value: string, projects: Record<string, string>): string {
  if (field === "maintenance" || field === "retired") return value === "true" ? "yes" : "no";
  if (field === "last_error") return value === "true" ? "present" : "none";
  if (value === "") return "(not set)";
  if (field === "owner" || field === "lessee") return projects[value] ?? value;
  return value;
}
