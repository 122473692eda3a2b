// Conductors, drivers and shards as the API shows them (reads only: conductors register
// themselves, lib/core/hashring.ts).
import { findConductor, findConductorRow, pageConductors } from "../db/conductors.ts";
import { shardCounts as countShards } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
import { NotFound } from "../errors.ts";
import { aliveConductors, type ConductorInfo } from "../hashring.ts";

/** A page of conductors after the one named `marker`. */
export async function listConductorPage(page: PageRequest, marker: string | null): Promise<ConductorInfo[]> {
  const db = await sql();
  let markerRow: Record<string, unknown> | undefined;
  if (marker !== null) {
    markerRow = await findConductorRow(db, marker);
    if (!markerRow) throw new NotFound(`Conductor ${marker} could not be found.`);
  }
  return pageConductors(db, page, markerRow);
}

export async function getConductor(hostname: string): Promise<ConductorInfo> {
  const c = await findConductor(await sql(), hostname);
  if (!c) throw new NotFound(`Conductor ${hostname} could not be found.`);
  return c;
}

/** Drivers with the alive conductors that enable them, sorted by name. */
export async function driverHosts(): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const c of await aliveConductors(await sql())) {
    for (const d of c.drivers) {
      const hosts = out.get(d);
      if (hosts) hosts.push(c.hostname);
      else out.set(d, [c.hostname]);
    }
  }
  return new Map([...out.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/** Shard names with their node counts, biggest first (nodes without a shard are not listed). */
export async function shardCounts(): Promise<{ name: string; count: number }[]> {
  return (await countShards(await sql())).sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}
