// GET /v1/fleet (Ingot extension): one page of the fleet table with its total, group counts and
// facet counts, for the dashboard and scripts. The query language is lib/core/fleet.ts's.
import { Invalid } from "../../core/errors.ts";
import { parseFleetQuery, type FleetRow } from "../../core/fleet.ts";
import { fleetAnswer } from "../../core/services/fleet.ts";
import { projectNamesFor } from "../../core/services/projects.ts";
import type { ApiFleetNode, ApiFleetPage } from "../../shared/fleet.ts";
import { type ApiContext, json, ts } from "../http.ts";
import { REDACTED_LAST_ERROR } from "../node_view.ts";
import type { RouteDef } from "../router.ts";
import { queryBool } from "./nodes.ts";

export const FLEET_DEFAULT_LIMIT = 50;
export const FLEET_MAX_LIMIT = 500;

function intParam(name: string, raw: string | null, fallback: number, min: number, max: number): number {
  if (raw === null || raw === "") return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new Invalid(`Expected a non-negative integer for ${name}: ${raw}`);
  const n = Number(raw);
  if (n < min || n > max) throw new Invalid(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

function rowJson(base: string, r: FleetRow): ApiFleetNode {
  return {
    uuid: r.uuid,
    name: r.name,
    provision_state: r.provisionState,
    target_provision_state: r.targetProvisionState,
    provision_updated_at: ts(r.provisionUpdatedAt),
    power_state: r.powerState,
    target_power_state: r.targetPowerState,
    owner: r.owner,
    lessee: r.lessee,
    resource_class: r.resourceClass,
    traits: r.traits,
    maintenance: r.maintenance,
    maintenance_reason: r.maintenanceReason,
    retired: r.retired,
    fault: r.fault,
    // As the node list: the field is there, its text replaced for callers without the rule.
    last_error: r.lastErrorHidden ? REDACTED_LAST_ERROR : r.lastError,
    conductor: r.conductor,
    conductor_group: r.conductorGroup,
    driver: r.driver,
    instance_uuid: r.instanceUuid,
    created_at: ts(r.createdAt),
    updated_at: ts(r.updatedAt),
    links: [
      { href: `${base}/v1/nodes/${r.uuid}`, rel: "self" },
      { href: `${base}/nodes/${r.uuid}`, rel: "bookmark" },
    ],
  };
}

async function fleetHandler(ctx: ApiContext): Promise<Response> {
  const params = ctx.url.searchParams;
  const offset = intParam("offset", params.get("offset"), 0, 0, Number.MAX_SAFE_INTEGER);
  // limit=0: no rows (total, groups and facets only).
  const limit = intParam("limit", params.get("limit"), FLEET_DEFAULT_LIMIT, 0, FLEET_MAX_LIMIT);
  const facetsRaw = params.get("facets");
  const facets = facetsRaw === null ? true : queryBool("facets", facetsRaw);
  const rest = new URLSearchParams(params);
  rest.delete("facets");
  const query = parseFleetQuery(rest);
  const answer = await fleetAnswer(ctx.principal, query, { offset, limit }, { facets });
  // Names of the projects the page and the chips mention.
  const ids = new Set<string>();
  for (const r of answer.rows) for (const id of [r.owner, r.lessee]) if (id) ids.add(id);
  for (const f of [answer.facets?.owner ?? [], answer.facets?.lessee ?? []]) for (const v of f) if (v.value) ids.add(v.value);
  for (const g of answer.groups ?? []) if (g.key && (query.group === "owner" || query.group === "lessee")) ids.add(g.key);
  // As GET /v1/projects: project callers learn only their own project's name.
  const projects = await projectNamesFor(ctx.principal, ids);
  const page: ApiFleetPage = {
    nodes: answer.rows.map((r) => rowJson(ctx.base, r)),
    total: answer.total,
    offset,
    limit,
    groups: answer.groups,
    facets: answer.facets,
    projects,
  };
  return json(ctx, page);
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/fleet", policy: "baremetal:node:list", handler: fleetHandler },
];
