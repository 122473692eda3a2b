// What the server (lib/server/server.ts) asks of the database when it starts — whether the schema
// is there, the demo fleet on an empty database, and the first administrator — and the command
// line (lib/cli) before its commands (the schema check) and for `ingot seed`.
import { countNodes } from "./db/nodes.ts";
import { sql } from "./db/sql.ts";
import { seedFleet, type SeedOptions, type SeedResult } from "./seed.ts";
import { countUsers, createUser } from "./users.ts";

/** Whether the database has Ingot's tables (a database nobody migrated has not). */
export async function hasIngotTables(): Promise<boolean> {
  const db = await sql();
  try {
    await db.get(`SELECT COUNT(*) AS n FROM "Node"`);
    await db.get(`SELECT COUNT(*) AS n FROM "User"`);
    return true;
  } catch {
    return false;
  }
}

/** Seeds `count` demo nodes when there is no node at all (children included); null when there were nodes. */
export async function seedDemoFleetIfEmpty(count: number): Promise<SeedResult | null> {
  const db = await sql();
  if ((await countNodes(db, { includeChildren: true })) !== 0) return null;
  return seedFleet(db, count);
}

/** Adds `count` demo nodes (`ingot seed`). */
export async function seedDemoFleet(count: number, opts: SeedOptions = {}): Promise<SeedResult> {
  return seedFleet(await sql(), count, opts);
}

/** Whether nobody can sign in yet: no user exists. */
export async function hasNoUsers(): Promise<boolean> {
  return (await countUsers(await sql())) === 0;
}

/** Creates the first administrator ("admin", system admin role) with this password. */
export async function createFirstAdministrator(password: string): Promise<void> {
  await createUser(await sql(), { username: "admin", password, systemRole: "admin", name: "Administrator" });
}
