// Opening and closing the process-wide database (`sql()` of ./db/sql.ts, which services use) for
// the ways in that own their process: the `ingot` command line and the server. They never hold
// the SQL client, only its close.
import { openSql, setSql, sql } from "./db/sql.ts";

let opened = false;

/** Points the process database at `url` (the process's DATABASE_URL when left out). */
export async function openProcessDatabase(url?: string): Promise<void> {
  await closeProcessDatabase();
  setSql(await openSql(url));
  opened = true;
}

/** Closes the process database opened by openProcessDatabase(); the next sql() opens DATABASE_URL again. */
export async function closeProcessDatabase(): Promise<void> {
  if (!opened) return;
  opened = false;
  const db = await sql();
  setSql(undefined);
  await db.close();
}

/** What the holder of the process database may do with it. */
export interface ProcessDatabase {
  close(): Promise<void>;
}

/** The process database, opened at DATABASE_URL when it is not open yet (the server's, which it closes when it stops). */
export async function processDatabase(): Promise<ProcessDatabase> {
  return sql();
}

/** Forgets the process database (its holder closed it), so the next use opens DATABASE_URL again. */
export function forgetProcessDatabase(): void {
  opened = false;
  setSql(undefined);
}
