// The fleet query (lib/core/fleet.ts) for a caller: GET /v1/fleet and bulk selections by filter.
import { sql } from "../db/sql.ts";
import { matchingNodeUuids, queryFleet, type FleetAnswer, type FleetQuery } from "../fleet.ts";
import type { Principal } from "../policy.ts";

export async function fleetAnswer(
  principal: Principal, query: FleetQuery, page: { offset: number; limit: number }, opts: { facets?: boolean } = {},
): Promise<FleetAnswer> {
  return queryFleet(await sql(), principal, query, page, opts);
}

/** The uuids of every node the query matches that the caller may see. */
export async function fleetSelection(principal: Principal, query: FleetQuery): Promise<string[]> {
  return matchingNodeUuids(await sql(), principal, query);
}
