// The fleet query's vocabulary (GET /v1/fleet, bulk selections by filter; docs/api-extensions.md)
// and its answer, shared by the query engine (lib/core/fleet.ts), the API and the fleet page.

export const FLEET_FILTER_FIELDS = [
  "provision_state", "power_state", "owner", "lessee", "resource_class", "trait", "maintenance", "retired",
  "fault", "last_error", "conductor", "driver", "conductor_group",
] as const;
export type FleetFilterField = (typeof FLEET_FILTER_FIELDS)[number];

/** Fields whose values are yes/no ("true" / "false"). */
export const FLEET_BOOLEAN_FIELDS: readonly FleetFilterField[] = ["maintenance", "retired", "last_error"];

export const FLEET_SORT_KEYS = [
  "name", "uuid", "provision_state", "target_provision_state", "power_state", "owner", "lessee", "resource_class",
  "maintenance", "retired", "fault", "last_error", "conductor", "driver", "conductor_group", "instance_uuid",
  "provision_updated_at", "created_at", "updated_at",
] as const;
export type FleetSortKey = (typeof FLEET_SORT_KEYS)[number];

/**
 * The search text as a port's MAC address is stored (lower case, colons), when the text is a MAC
 * or part of one written another common way: "52-54-00-01-00-01", "525400010001", "5254.0001.0001",
 * "54-00-01". Null when it is not written that way (the text is then searched as it is).
 */
export function macSearchForm(text: string): string | null {
  const t = text.trim().toLowerCase();
  const pairs = (hex: string) => hex.match(/../g)!.join(":");
  if (/^[0-9a-f]{12}$/.test(t)) return pairs(t);
  if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/.test(t)) return pairs(t.replaceAll(".", ""));
  if (/^[0-9a-f]{0,2}(-[0-9a-f]{2})+-?[0-9a-f]{0,2}$/.test(t) || /^[0-9a-f]{2}-[0-9a-f]{0,2}$/.test(t)) return t.replaceAll("-", ":");
  return null;
}

export const FLEET_GROUP_KEYS = [
  "provision_state", "power_state", "owner", "lessee", "resource_class", "conductor", "driver", "conductor_group", "fault",
] as const;
export type FleetGroupKey = (typeof FLEET_GROUP_KEYS)[number];

export const FACET_FIELDS = [
  "provision_state", "power_state", "owner", "lessee", "resource_class", "maintenance", "retired", "fault",
  "last_error", "conductor", "driver", "conductor_group", "trait",
] as const satisfies readonly FleetFilterField[];
export type FacetField = (typeof FACET_FIELDS)[number];

export interface FacetValue {
  /** The value as a filter takes it: "" for not set, "true"/"false" for yes/no fields. */
  value: string;
  count: number;
}

/**
 * Per field, how many nodes would match with each value if that field's own filters were left
 * out (so a chip can show the alternatives), the other filters and the search applied.
 */
export type FleetFacets = Record<FacetField, FacetValue[]>;

// ---- the answer of GET /v1/fleet ----

/** One row of the fleet table. */
export type ApiFleetNode = {
  uuid: string;
  name: string | null;
  provision_state: string;
  target_provision_state: string | null;
  provision_updated_at: string | null;
  power_state: string | null;
  target_power_state: string | null;
  owner: string | null;
  lessee: string | null;
  resource_class: string | null;
  traits: string[];
  maintenance: boolean;
  maintenance_reason: string | null;
  retired: boolean;
  fault: string | null;
  /** A redaction text in place of the error without baremetal:node:get:last_error. */
  last_error: string | null;
  conductor: string | null;
  conductor_group: string;
  driver: string;
  instance_uuid: string | null;
  created_at: string | null;
  updated_at: string | null;
  links: { href: string; rel: string }[];
};

export type ApiFleetPage = {
  nodes: ApiFleetNode[];
  total: number;
  offset: number;
  limit: number;
  groups: { key: string | null; count: number }[] | null;
  /** null when asked without (facets=false). */
  facets: FleetFacets | null;
  /** Names of the projects the page mentions (only the caller's own for project callers). */
  projects: Record<string, string>;
};
