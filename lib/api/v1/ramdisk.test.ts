import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { getNodeById, insertNode, type NodeRecord } from "../../core/db/nodes.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let env: TestDb;
let waiting: NodeRecord;
let idle: NodeRecord;
beforeAll(async () => {
  // Ramdisk routes must work without credentials: run with auth on and nobody recognised.
  process.env.INGOT_API_AUTH = "ingot";
  setCredentialResolver(async () => null);
  env = await createTestDb();
  waiting = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "wait call-back", name: "rd1", instanceInfo: { image_source: "x", admin_password: "p" } });
  idle = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", name: "rd2" });
  await env.sql.run(`INSERT INTO "Port" ("uuid", "address", "nodeId", "createdAt") VALUES (?, ?, ?, ?)`, [
    "6b6b6b6b-0000-4000-8000-000000000001", "aa:bb:cc:00:00:01", waiting.id, new Date(),
  ]);
  await env.sql.run(`INSERT INTO "Port" ("uuid", "address", "nodeId", "createdAt") VALUES (?, ?, ?, ?)`, [
    "6b6b6b6b-0000-4000-8000-000000000002", "aa:bb:cc:00:00:02", idle.id, new Date(),
  ]);
});
afterAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  await env.cleanup();
});

describe("lookup", () => {
  let token = "";
  it("finds a waiting node by MAC without credentials and hands out a token once", async () => {
    const r = await api("GET", "/v1/lookup?addresses=AA:BB:CC:00:00:01,junk");
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["node", "config"]);
    expect(r.body.node.uuid).toBe(waiting.uuid);
    expect(r.body.node.instance_info.admin_password).toBe("******");
    expect(r.body.config.agent_token_required).toBe(true);
    token = r.body.config.agent_token;
    expect(token.length).toBeGreaterThan(20);
    const again = await api("GET", `/v1/lookup?node_uuid=${waiting.uuid}`);
    expect(again.body.config.agent_token).toBe("******");
    expect(again.body.node.driver_internal_info.agent_secret_token).toBe("******");
  });

  it("404 for nodes not waiting for an agent, 400 without parameters, 404 before 1.22", async () => {
    expect((await api("GET", "/v1/lookup?addresses=aa:bb:cc:00:00:02")).status).toBe(404);
    expect((await api("GET", "/v1/lookup?addresses=aa:bb:cc:00:00:99")).status).toBe(404);
    expect((await api("GET", "/v1/lookup")).error).toBe("At least one of 'addresses' and 'node_uuid' parameters is required");
    expect((await api("GET", "/v1/lookup?addresses=zz")).status).toBe(400);
    expect((await api("GET", "/v1/lookup?addresses=aa:bb:cc:00:00:01", { version: 21 })).status).toBe(404);
  });

  it("heartbeat needs callback_url and the agent token; records agent_url (202)", async () => {
    expect((await api("POST", `/v1/heartbeat/${waiting.uuid}`, { body: {} })).error).toBe("Missing mandatory parameter: callback_url");
    expect((await api("POST", `/v1/heartbeat/${waiting.uuid}`, { body: { callback_url: "http://10.0.0.5:9999" } })).error).toBe(
      "Agent token is required for heartbeat processing.",
    );
    expect((await api("POST", `/v1/heartbeat/${waiting.uuid}`, { body: { callback_url: "http://10.0.0.5:9999", agent_token: "wrong" } })).status).toBe(401);
    expect((await api("POST", "/v1/heartbeat/nonexist", { body: { callback_url: "http://x" } })).status).toBe(404);
    expect((await api("POST", `/v1/heartbeat/${waiting.uuid}`, { body: { callback_url: 5 } })).status).toBe(400);
    expect((await api("POST", `/v1/heartbeat/${waiting.uuid}`, { body: { callback_url: "http://x", agent_status: "ok", agent_token: token }, version: 71 })).status).toBe(406);
    const ok = await api("POST", `/v1/heartbeat/rd1`, { body: { callback_url: "http://10.0.0.5:9999", agent_token: token, agent_version: "9.0" } });
    expect(ok.status).toBe(202);
    const node = await getNodeById(env.sql, waiting.id);
    expect(node!.driverInternalInfo.agent_url).toBe("http://10.0.0.5:9999");
    expect(node!.driverInternalInfo.agent_version).toBe("9.0");
  });

  it("other routes still require credentials", async () => {
    expect((await api("GET", "/v1/ports")).status).toBe(401);
  });
});
