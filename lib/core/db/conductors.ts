// Conductor table reads for the API (registration, heartbeats and the hash ring are in
// lib/core/hashring.ts and the conductor itself).
import { rowToConductor, type ConductorInfo } from "../hashring.ts";
import { pageRows, type PageRequest } from "./page.ts";
import type { Sql } from "./sql.ts";

export async function findConductorRow(db: Sql, hostname: string): Promise<Record<string, unknown> | undefined> {
  return db.get(`SELECT * FROM "Conductor" WHERE "hostname" = ?`, [hostname]);
}

export async function findConductor(db: Sql, hostname: string): Promise<ConductorInfo | null> {
  const row = await findConductorRow(db, hostname);
  return row ? rowToConductor(row) : null;
}

/** One page of conductors after `marker` (a raw row). */
export async function pageConductors(db: Sql, page: PageRequest, marker?: Record<string, unknown>): Promise<ConductorInfo[]> {
  const rows = await pageRows(db, { select: `SELECT c.* FROM "Conductor" c`, alias: "c", where: [], params: [], ...page, marker });
  const now = Date.now();
  return rows.map((r) => rowToConductor(r, now));
}
