// The WAL is copied into the database file by the worker thread, not by the commits of the main
// connection; if the worker cannot run, the connection checkpoints by itself as SQLite does.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { startCheckpointer } from "./checkpointer.ts";

const dir = mkdtempSync(join(tmpdir(), "ingot-checkpoint-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function walDatabase(name: string): { db: Database.Database; file: string } {
  const file = join(dir, name);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, payload TEXT)`);
  return { db, file };
}

describe("SQLite checkpoint worker", () => {
  it("copies committed pages into the database file while the connection only appends to the WAL", async () => {
    const { db, file } = walDatabase("worker.db");
    const checkpointer = startCheckpointer(db, file, "NORMAL");
    try {
      // The connection's own checkpoint waits for a WAL ten times SQLite's default.
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(10_000);
      const before = statSync(file).size;
      const insert = db.prepare(`INSERT INTO t (payload) VALUES (?)`);
      for (let i = 0; i < 300; i++) insert.run("x".repeat(2000)); // ~150 pages: far below either threshold
      const deadline = Date.now() + 10_000;
      while (statSync(file).size <= before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(statSync(file).size).toBeGreaterThan(before + 100 * 4096);
      expect(db.prepare(`SELECT COUNT(*) AS n FROM t`).get()).toEqual({ n: 300 });
    } finally {
      await checkpointer.close();
      db.close();
    }
  });

  it("hands checkpointing back to the connection when the worker cannot open the database", async () => {
    const { db } = walDatabase("fallback.db");
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const checkpointer = startCheckpointer(db, join(dir, "no-such-dir", "missing.db"), "NORMAL");
      const deadline = Date.now() + 10_000;
      while (db.pragma("wal_autocheckpoint", { simple: true }) !== 1_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(1_000);
      expect(String(errors[0])).toMatch(/checkpoint worker stopped/);
      await checkpointer.close();
    } finally {
      console.error = original;
      db.close();
    }
  });
});
