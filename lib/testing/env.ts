// Test fixtures: a fresh, migrated database per test file, wired in as the process database.
// SQLite by default; with INGOT_TEST_PG_URL=postgresql://user@host:port/db each test file gets a
// database of its own on that PostgreSQL server instead (created, migrated, dropped afterwards).
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "../db/migrate.ts";
import { openSql, setSql, type Sql } from "../core/db/sql.ts";
import { rebridgeLiveEvents } from "../core/events.ts";

export interface TestDb {
  url: string;
  sql: Sql;
  dir: string;
  cleanup(): Promise<void>;
}

/** Runs one statement (CREATE/DROP DATABASE) on a PostgreSQL server. */
export async function pgAdmin(serverUrl: string, statement: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

export async function createTestDb(): Promise<TestDb> {
  const dir = mkdtempSync(join(tmpdir(), "ingot-test-"));
  const pgServer = process.env.INGOT_TEST_PG_URL;
  let url: string;
  let dropDb: (() => Promise<void>) | null = null;
  if (pgServer) {
    const name = `ingot_test_${randomBytes(6).toString("hex")}`;
    await pgAdmin(pgServer, `CREATE DATABASE "${name}"`);
    const u = new URL(pgServer);
    u.pathname = `/${name}`;
    url = u.toString();
    dropDb = () => pgAdmin(pgServer, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } else {
    url = `file:${join(dir, "test.db")}`;
  }
  await migrate(url);
  const sql = await openSql(url);
  setSql(sql);
  process.env.DATABASE_URL = url;
  await rebridgeLiveEvents(url);
  return {
    url,
    sql,
    dir,
    async cleanup() {
      // Everything connected to the test database goes first: the pool and the live-event
      // listener (LISTEN connection). Whatever still runs in the background (timers of a test that
      // did not stop its conductor) then fails on a closed pool instead of opening a new one
      // that DROP DATABASE … WITH (FORCE) would kill mid-query.
      await rebridgeLiveEvents(null);
      if (!pgServer) setSql(undefined);
      await sql.close();
      await dropDb?.();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
