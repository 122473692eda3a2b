// Project table lookups that are not user management (lib/core/users.ts owns projects' lifecycle).
import type { Sql } from "./sql.ts";
import { visibleTo } from "./visibility.ts";

/** id → name for the given ids (unknown ids are left out), in chunks the drivers accept. */
export async function projectNames(db: Sql, ids: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const rows = await db.all<{ id: string; name: string }>(`SELECT "id", "name" FROM "Project" WHERE "id" IN (${chunk.map(() => "?").join(", ")})`, chunk);
    for (const p of rows) out[p.id] = p.name;
  }
  return out;
}

/** The projects that own or lease a node `project` owns or leases (its own included when it has nodes). */
export async function projectsSharingNodes(db: Sql, project: string): Promise<string[]> {
  const visible = visibleTo(project);
  const rows = await db.all<{ owner: string | null; lessee: string | null }>(
    `SELECT DISTINCT "owner", "lessee" FROM "Node" WHERE ${visible.text}`, visible.params);
  return [...new Set(rows.flatMap((r) => [r.owner, r.lessee]).filter((id): id is string => !!id))];
}
