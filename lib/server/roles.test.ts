// Process roles end to end, in one test process on one database: a conductor-only server (no
// API, no dashboard) and an api-only server (no conductor); a fake-hardware node is deployed
// through the api server's HTTP API, and the work crosses the conductor RPC.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { processRole } from "../core/conductor/rpc.ts";
import { setConfig } from "../core/config.ts";
import { openSql, setSql } from "../core/db/sql.ts";
import { listConductors } from "../core/hashring.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { startServer, type RunningServer } from "./server.ts";

let db: TestDb;
let conductorSrv: RunningServer;
let apiSrv: RunningServer;
const saved = { ...process.env };

beforeAll(async () => {
  db = await createTestDb();
  // The servers get a connection of their own (they close it); db.sql stays the test's.
  setSql(await openSql(db.url));
  Object.assign(process.env, { INGOT_API_AUTH: "noauth", INGOT_DEMO: "0", INGOT_DATA_DIR: db.dir, INGOT_RPC_SECRET: "roles-test-secret" });
  setConfig({ conductorHostname: "roles-conductor" });
  conductorSrv = await startServer({ role: "conductor", port: 0, dev: false });
  apiSrv = await startServer({ role: "api", port: 0, dev: false, web: false });
}, 60_000);
afterAll(async () => {
  await conductorSrv?.close();
  await apiSrv?.close();
  setConfig();
  process.env = saved;
  await db.cleanup();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${apiSrv.url}/baremetal${path}`, {
    method,
    headers: { "content-type": "application/json", "x-openstack-ironic-api-version": "latest" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function waitFor(uuid: string, state: string): Promise<any> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const n = (await call("GET", `/v1/nodes/${uuid}`)).body;
    if (n.provision_state === state && !n.target_provision_state) return n;
    if (Date.now() > deadline) throw new Error(`node ${uuid} stuck in ${n.provision_state} (${n.last_error})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("roles", () => {
  it("the conductor process serves no API, only health; it registered its RPC address", async () => {
    expect(conductorSrv.role).toBe("conductor");
    expect(conductorSrv.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${conductorSrv.url}/baremetal/v1/nodes`)).status).toBe(404);
    expect((await fetch(`${conductorSrv.url}/api/health`)).status).toBe(200);
    expect(apiSrv.rpcUrl).toBeNull();
    const rows = await listConductors(db.sql);
    expect(rows.map((r) => [r.hostname, r.alive, r.rpcUrl])).toEqual([["roles-conductor", true, conductorSrv.rpcUrl]]);
  });

  it("an api-only server deploys a fake-hardware node through the conductor-only server", async () => {
    expect(processRole()).toBe("api");
    const spy = vi.spyOn(globalThis, "fetch");
    try {
      const created = await call("POST", "/v1/nodes", { driver: "fake-hardware", name: "roles-1" });
      expect(created.status).toBe(201);
      expect(created.body.conductor).toBe("roles-conductor");
      const uuid = created.body.uuid as string;
      for (const [target, end] of [["manage", "manageable"], ["provide", "available"], ["active", "active"]]) {
        const r = await call("PUT", `/v1/nodes/${uuid}/states/provision`, { target });
        expect(r.status, JSON.stringify(r.body)).toBe(202);
        await waitFor(uuid, end);
      }
      const rpcCalls = spy.mock.calls.filter(([u]) => String(u) === `${conductorSrv.rpcUrl}/rpc`);
      expect(rpcCalls.length).toBe(3);
      const hosts = await db.sql.all(`SELECT DISTINCT "conductor" FROM "NodeHistory" WHERE "conductor" IS NOT NULL`);
      expect(hosts.map((h) => h.conductor)).toEqual(["roles-conductor"]);
      // A conductor refusal crosses back as the same API error.
      const again = await call("PUT", `/v1/nodes/${uuid}/management/boot_device`, { boot_device: "floppy" });
      expect(again.status).toBe(400);
      expect(JSON.parse(again.body.error_message).faultstring).toMatch(/floppy/);
    } finally {
      spy.mockRestore();
    }
  });

  it("an api-only server runs bulk jobs: its start-up registered how a node's action is performed", async () => {
    const created = await call("POST", "/v1/nodes", { driver: "fake-hardware", name: "roles-job" });
    expect(created.status).toBe(201);
    const job = await call("POST", "/v1/jobs", { action: "maintenance_on", args: { reason: "roles" }, selection: { kind: "nodes", uuids: [created.body.uuid] } });
    expect(job.status, JSON.stringify(job.body)).toBe(201);
    const deadline = Date.now() + 10_000;
    let seen = (await call("GET", `/v1/jobs/${job.body.id}`)).body;
    while (!seen.finished_at && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      seen = (await call("GET", `/v1/jobs/${job.body.id}`)).body;
    }
    expect(seen.items.map((i: any) => [i.state, i.message])).toEqual([["succeeded", null]]);
    expect((await call("GET", `/v1/nodes/${created.body.uuid}`)).body.maintenance_reason).toBe("roles");
  });
});
