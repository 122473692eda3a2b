// The dashboard's console log download with split roles: this test process is an `api` process
// (no conductor, a data directory of its own) and a real `ingot conductor` process owns the node
// and its log. The download must come from the conductor, as GET …/console/log does.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setProcessRole } from "../core/conductor/rpc.ts";
import { insertNode, type NewNode } from "../core/db/nodes.ts";
import { NOAUTH_PRINCIPAL, type Principal } from "../core/policy.ts";
import { Cluster } from "../testing/cluster.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { installTestWebFacade } from "../testing/web.ts";
import { consoleLogDownload } from "./console_log.ts";

const SECRET = "console-log-split-roles";
let db: TestDb;
let cluster: Cluster;
const saved = { ...process.env };
let uninstallFacade: (() => void) | undefined;

beforeAll(async () => {
  db = await createTestDb();
  cluster = await Cluster.start({ databaseUrl: db.url, processes: [{ name: "log-conductor", role: "conductor" }], env: { INGOT_RPC_SECRET: SECRET } });
  Object.assign(process.env, { INGOT_RPC_SECRET: SECRET, INGOT_DATA_DIR: db.dir });
  setProcessRole("api");
  uninstallFacade = installTestWebFacade();
}, 120_000);
afterAll(async () => {
  uninstallFacade?.();
  setProcessRole(null);
  await cluster?.stop();
  process.env = saved;
  await db?.cleanup();
});

describe("console log download with INGOT_ROLE=api", () => {
  it("reads the log from the node's conductor, not this process's disk", async () => {
    const node = await insertNode(db.sql, { driver: "fake-hardware", provisionState: "active", name: "logged" } as NewNode);
    // The log lives where the conductor captured it: in its own data directory.
    const dir = join(cluster.get("log-conductor").dataDir, "console-logs");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${node.uuid}.log`), "first line\nroot@logged:~# hostname\nlogged\n");

    const all = await consoleLogDownload(NOAUTH_PRINCIPAL, node.uuid, null);
    expect(all.status).toBe(200);
    expect(all.headers.get("content-disposition")).toBe(`attachment; filename="logged-console.log"`);
    expect(await all.text()).toBe("first line\nroot@logged:~# hostname\nlogged\n");

    const byName = await consoleLogDownload(NOAUTH_PRINCIPAL, "logged", "1");
    expect(await byName.text()).toBe("first line\nroot@logged:~# hostname\nlogged\n");
  }, 60_000);

  it("refuses as the API does", async () => {
    const node = await insertNode(db.sql, { driver: "fake-hardware", provisionState: "active", owner: "p1" } as NewNode);
    expect((await consoleLogDownload(null, node.uuid, null)).status).toBe(401);
    const bad = await consoleLogDownload(NOAUTH_PRINCIPAL, node.uuid, "0");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/Invalid value for kib/);
    const stranger: Principal = { userId: "u2", username: "stranger", systemRole: null, projectId: "p2", projectRole: "admin" };
    expect((await consoleLogDownload(stranger, node.uuid, null)).status).toBe(404);
    const reader: Principal = { userId: "u3", username: "reader", systemRole: null, projectId: "p1", projectRole: "reader" };
    expect((await consoleLogDownload(reader, node.uuid, null)).status).toBe(403);
  });
});
