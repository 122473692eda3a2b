// Dashboard helper: project names by id (the fleet table reads GET /v1/fleet, lib/core/fleet.ts;
// the node page has its own queries).
import { sql } from "../core/db/sql.ts";

export async function projectNames(): Promise<Map<string, string>> {
  const db = await sql();
  const rows = await db.all<{ id: string; name: string }>(`SELECT "id", "name" FROM "Project"`);
  return new Map(rows.map((r) => [r.id, r.name]));
}
