// Test fixtures: a fresh, migrated SQLite database per test file, wired in as the process database.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "../db/migrate.ts";
import { openSql, setSql, type Sql } from "../core/db/sql.ts";

export interface TestDb {
  url: string;
  sql: Sql;
  dir: string;
  cleanup(): Promise<void>;
}

export async function createTestDb(): Promise<TestDb> {
  const dir = mkdtempSync(join(tmpdir(), "ingot-test-"));
  const url = `file:${join(dir, "test.db")}`;
  await migrate(url);
  const sql = await openSql(url);
  setSql(sql);
  process.env.DATABASE_URL = url;
  return {
    url,
    sql,
    dir,
    async cleanup() {
      setSql(undefined);
      await sql.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
