// Project table lookups that are not user management (lib/core/users.ts owns projects' lifecycle).
import type { Sql } from "./sql.ts";

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
