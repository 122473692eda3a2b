// The history_structure migration fills the structured fields of rows written before it from their
// sentences, once, on SQLite and (with INGOT_TEST_PG_URL) on PostgreSQL.
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { openSql, type Sql } from "../core/db/sql.ts";
import { pgAdmin } from "../testing/env.ts";
import { migrate, migrationsDir } from "./migrate.ts";

const MIGRATION = "_history_structure";

/** Sentences the conductor wrote before the migration, and the fields they must get. */
const OLD_ROWS: [string, Record<string, string | null>][] = [
  ['Provision state changed from "available" to "deploying" (event "deploy")', { kind: "provision_transition", fromState: "available", toState: "deploying", provisionEvent: "deploy" }],
  [
    'Provision state changed from "cleaning" to "clean failed" (event "fail"): Clean step bios.x failed on node n: "quoted": yes',
    { kind: "provision_transition", fromState: "cleaning", toState: "clean failed", provisionEvent: "fail" },
  ],
  ["Started clean step bios.apply_configuration", { kind: "step_started", stepKind: "clean", stepInterface: "bios", step: "apply_configuration", error: null }],
  ["Finished deploy step deploy.write_image", { kind: "step_finished", stepKind: "deploy", stepInterface: "deploy", step: "write_image", error: null }],
  ["Released (unhold) service step deploy.hold", { kind: "step_released", stepKind: "service", stepInterface: "deploy", step: "hold", error: null }],
  ["Failed clean step bios.apply_configuration: BIOS setting 'X': read-only", { kind: "step_failed", stepKind: "clean", stepInterface: "bios", step: "apply_configuration", error: "BIOS setting 'X': read-only" }],
  ['Power state changed from "power off" to "power on" (target "rebooting")', { kind: "power_change", fromState: "power off", toState: "power on", powerTarget: "rebooting" }],
  ['Power state changed from "None" to "power on" (deploy)', { kind: "power_change", fromState: null, toState: "power on", powerTarget: null }],
  ['Failed to change power state to "power on" for node 1be26c0b-03f2-4d2e-ae87-c02d7f33c125: boom', { kind: "power_change_failed", powerTarget: "power on", error: "boom" }],
  // Everything else stays a note (the timeline drew these as plain events, and still does).
  ['Power state changed out of band from "power off" to "power on"; database updated', { kind: "note", fromState: null, toState: null }],
  ["Failed to start the console of node n: refused", { kind: "note", stepKind: null }],
  ["Started something step by step", { kind: "note", stepKind: null }],
  ["Maintenance set: broken", { kind: "note" }],
];

async function checkBackfill(url: string, root: string): Promise<void> {
  const kind = url.startsWith("file:") ? "sqlite" : "postgresql";
  const all = readdirSync(migrationsDir(kind));
  const target = join(root, "prisma", "migrations", kind);
  // Everything before the migration, then rows as the conductor wrote them, then the migration.
  for (const name of all.filter((n) => !n.endsWith(MIGRATION) && n < all.find((m) => m.endsWith(MIGRATION))!)) {
    cpSync(join(migrationsDir(kind), name), join(target, name), { recursive: true });
  }
  await migrate(url, root);
  let sql: Sql = await openSql(url);
  try {
    await sql.run(`INSERT INTO "Node" ("uuid", "driver", "provisionState") VALUES (?, ?, ?)`, [randomUUID(), "fake-hardware", "active"]);
    const node = (await sql.get<{ id: number }>(`SELECT "id" FROM "Node"`))!;
    for (const [event] of OLD_ROWS) {
      await sql.run(`INSERT INTO "NodeHistory" ("uuid", "nodeId", "event", "eventType", "severity", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`, [
        randomUUID(), node.id, event, "provisioning", "INFO", new Date(),
      ]);
    }
  } finally {
    await sql.close();
  }
  cpSync(migrationsDir(kind), target, { recursive: true });
  expect((await migrate(url, root)).applied.some((n) => n.endsWith(MIGRATION))).toBe(true);
  sql = await openSql(url);
  try {
    const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM "NodeHistory" ORDER BY "id"`);
    expect(rows.map((r) => r.event)).toEqual(OLD_ROWS.map(([e]) => e));
    for (const [i, [event, fields]] of OLD_ROWS.entries()) {
      const got = Object.fromEntries(Object.keys(fields).map((k) => [k, rows[i][k]]));
      expect({ event, ...got }).toEqual({ event, ...fields });
    }
  } finally {
    await sql.close();
  }
}

describe("history_structure backfill", () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const root = () => {
    const d = mkdtempSync(join(tmpdir(), "ingot-backfill-"));
    dirs.push(d);
    return d;
  };

  it("on SQLite", async () => {
    const r = root();
    await checkBackfill(`file:${join(r, "test.db")}`, r);
  });

  it.skipIf(!process.env.INGOT_TEST_PG_URL)("on PostgreSQL", async () => {
    const server = process.env.INGOT_TEST_PG_URL!;
    const name = `ingot_backfill_${randomBytes(6).toString("hex")}`;
    await pgAdmin(server, `CREATE DATABASE "${name}"`);
    try {
      const u = new URL(server);
      u.pathname = `/${name}`;
      await checkBackfill(u.toString(), root());
    } finally {
      await pgAdmin(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
  });
});
