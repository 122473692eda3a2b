// The Prisma client for DATABASE_URL: SQLite through better-sqlite3 (default) or PostgreSQL
// through pg. Both generated clients share one API; the SQLite one's types are used throughout.
import { PrismaClient } from "../generated/prisma/client.ts";
import { PrismaClient as PgPrismaClient } from "../generated/prisma-pg/client.ts";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { databaseKind, databaseUrl, sqlitePath } from "./url.ts";

export type Db = PrismaClient;
export type { Prisma } from "../generated/prisma/client.ts";

export function makeClient(url = databaseUrl()): Db {
  if (databaseKind(url) === "postgresql") {
    return new PgPrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 10 }) }) as unknown as Db;
  }
  const adapter = new PrismaBetterSqlite3({ url: `file:${sqlitePath(url)}` }, { timestampFormat: "iso8601" });
  return new PrismaClient({ adapter });
}

/** SQLite settings that make concurrent readers and a writer behave, set once per connection. */
export async function tuneSqlite(db: Db, url = databaseUrl()): Promise<void> {
  if (databaseKind(url) !== "sqlite") return;
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
  await db.$queryRawUnsafe("PRAGMA busy_timeout = 10000");
  await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
}

const globalForDb = globalThis as unknown as { ingotDb?: Db };

/** The process-wide client (one connection pool per process, shared by API, conductor and pages). */
export function db(): Db {
  if (!globalForDb.ingotDb) globalForDb.ingotDb = makeClient();
  return globalForDb.ingotDb;
}

export function setDb(client: Db | undefined): void {
  globalForDb.ingotDb = client;
}
