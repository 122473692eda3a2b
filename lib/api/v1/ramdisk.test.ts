import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { getNodeById, insertNode, type NodeRecord } from "../../core/db/nodes.ts";
import { setConfig } from "../../core/config.ts";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { listHistory } from "../../core/history.ts";
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
    const wrong = await api("POST", `/v1/heartbeat/${waiting.uuid}`, { body: { callback_url: "http://10.0.0.5:9999", agent_token: "wrong", agent_version: "9.0" } });
    expect([wrong.status, wrong.error]).toEqual([400, "Invalid or missing agent token received."]);
    const noVersion = await api("POST", `/v1/heartbeat/${waiting.uuid}`, { body: { callback_url: "http://10.0.0.5:9999", agent_token: token } });
    expect([noVersion.status, noVersion.error]).toEqual([400, "Agent did not transmit a version, and a version is required. Please update the agent being used."]);
    expect((await api("POST", "/v1/heartbeat/nonexist", { body: { callback_url: "http://x" } })).status).toBe(404);
    expect((await api("POST", `/v1/heartbeat/${waiting.uuid}`, { body: { callback_url: 5 } })).error).toBe("Expected string for callback_url: 5");
    // In maintenance the heartbeat is only recorded (Ironic's default): no conductor is needed.
    await env.sql.run(`UPDATE "Node" SET "maintenance" = ? WHERE "id" = ?`, [true, waiting.id]);
    const ok = await api("POST", `/v1/heartbeat/rd1`, { body: { callback_url: "http://10.0.0.5:9999", agent_token: token, agent_version: "9.0" } });
    expect(ok.status).toBe(202);
    const node = await getNodeById(env.sql, waiting.id);
    expect(node!.driverInternalInfo.agent_url).toBe("http://10.0.0.5:9999");
    expect(node!.driverInternalInfo.agent_version).toBe("9.0");
    expect(node!.provisionState).toBe("wait call-back");
  });

  it("arguments newer than the request's version: 400 as Ironic (not 406), in Ironic's words and order", async () => {
    const hb = (body: Record<string, unknown>, version?: number) => api("POST", `/v1/heartbeat/${waiting.uuid}`, { body, version });
    const base = { callback_url: "http://10.0.0.5:9999", agent_token: token };
    let r = await hb({ ...base, agent_version: "9.0" }, 35);
    expect([r.status, r.error]).toEqual([400, 'Field "agent_version" not recognised']);
    r = await hb({ ...base, agent_version: "9.0", agent_status: "start" }, 71);
    expect([r.status, r.error]).toEqual([400, 'Fields "agent_status" and "agent_status_message" not recognised.']);
    r = await hb({ ...base, agent_version: "9.0", agent_status_message: "hi" }, 71);
    expect([r.status, r.error]).toEqual([400, 'Fields "agent_status" and "agent_status_message" not recognised.']);
    r = await hb({ ...base, agent_version: "9.0", agent_verify_ca: "-----BEGIN CERTIFICATE-----" }, 67);
    expect([r.status, r.error]).toEqual([400, 'Field "agent_verify_ca" not recognised in this version']);
    // Checked before the node is looked up, as Ironic's API does.
    r = await api("POST", "/v1/heartbeat/nonexist", { body: { ...base, agent_version: "9.0" }, version: 35 });
    expect([r.status, r.error]).toEqual([400, 'Field "agent_version" not recognised']);
    // The token is no microversion feature; unknown arguments and wrong types are refused first.
    expect((await hb({ ...base, agent_url: "http://x" })).error).toBe("Unexpected arguments: agent_url");
    expect((await hb({ ...base, agent_version: 9 })).error).toBe("Expected string for agent_version: 9");
    expect((await hb({ ...base, agent_version: "9.0", agent_status: "ok" })).error).toBe("Agent status is invalid. Valid states are start,end,error.");
  });

  it("lookup config has only what IPA reads, no secrets besides the one-time token", async () => {
    const r = await api("GET", `/v1/lookup?node_uuid=${waiting.uuid}`);
    expect(Object.keys(r.body.config).sort()).toEqual(["agent_token", "agent_token_required", "heartbeat_timeout", "metrics", "metrics_statsd"]);
    expect(r.body.config.metrics.backend).toBe("noop");
  });

  it("a heartbeat records the agent's CA certificate; a different one from the same boot is refused", async () => {
    const n = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "deploying", name: "rd-ca", maintenance: true });
    const token = (await api("GET", `/v1/lookup?node_uuid=${n.uuid}`)).body.config.agent_token;
    const pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    const beat = (ca: string) => api("POST", `/v1/heartbeat/${n.uuid}`, {
      body: { callback_url: "https://10.0.0.7:9999", agent_token: token, agent_version: "9.0.0", agent_verify_ca: ca }, version: 68,
    });
    expect((await beat(pem)).status).toBe(202);
    expect((await getNodeById(env.sql, n.id))!.driverInternalInfo.agent_verify_ca).toBe(pem);
    expect((await beat(pem.trim())).status).toBe(202);
    const changed = await beat(pem.replace("AAAA", "BBBB"));
    expect([changed.status, changed.error]).toEqual([400, 'Detected change in ramdisk provided "agent_verify_ca"']);
  });

  it("lookup by a node being worked on (locked) answers 409 and mints no token; IPA looks up again", async () => {
    const n = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "deploying", name: "rd-locked", reservation: "other-host" });
    expect((await api("GET", `/v1/lookup?node_uuid=${n.uuid}`)).status).toBe(409);
    expect((await getNodeById(env.sql, n.id))!.driverInternalInfo.agent_secret_token).toBeUndefined();
  });

  it("other routes still require credentials", async () => {
    expect((await api("GET", "/v1/ports")).status).toBe(401);
  });
});

describe("heartbeat continues the flow a node waits in (through the conductor)", () => {
  const actor = { user: null, project: null, requestId: "req-test" };
  const CALLBACK = "http://10.0.0.9:9999";

  beforeAll(async () => {
    setConfig({ conductorHostname: "hb-host", enabledHardwareTypes: ["fake-hardware"] });
    await startConductor({ periodic: false });
  });
  afterAll(async () => {
    await stopConductor();
    setConfig();
  });

  async function settle(id: number): Promise<NodeRecord> {
    await getConductor().pool.drain();
    return (await getNodeById(env.sql, id))!;
  }

  /** The agent's token, as IPA gets it: GET /v1/lookup. */
  async function tokenOf(node: NodeRecord): Promise<string> {
    const r = await api("GET", `/v1/lookup?node_uuid=${node.uuid}`);
    expect(r.status, r.error ?? "").toBe(200);
    return r.body.config.agent_token as string;
  }

  const beat = (node: NodeRecord, token: string, extra: Record<string, unknown> = {}) =>
    api("POST", `/v1/heartbeat/${node.uuid}`, { body: { callback_url: CALLBACK, agent_token: token, agent_version: "10.1.0", ...extra } });

  async function inCleanWait(name: string): Promise<NodeRecord> {
    const n = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "manageable", name });
    await getConductor().provision(n.id, "clean", {
      clean_steps: [{ interface: "vendor", step: "trigger_cleanwait" }, { interface: "vendor", step: "log_passthrough" }],
    }, actor, 94);
    const waitingNode = await settle(n.id);
    expect(waitingNode.provisionState).toBe("clean wait");
    return waitingNode;
  }

  it("clean wait: the heartbeat records the agent and finishes the cleaning", async () => {
    const node = await inCleanWait("hb-clean");
    const token = await tokenOf(node);
    const r = await beat(node, token, { agent_status: "start" });
    expect(r.status, r.error ?? "").toBe(202);
    const done = await settle(node.id);
    expect(done.provisionState).toBe("manageable");
    expect(done.lastError).toBeNull();
    const events = (await listHistory(env.sql, node.id)).map((h) => h.event);
    expect(events.some((e) => e.includes("Finished clean step vendor.trigger_cleanwait"))).toBe(true);
  });

  it("service wait: the heartbeat finishes the servicing", async () => {
    const n = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "active", name: "hb-service", instanceInfo: { image_source: "x" } });
    await getConductor().provision(n.id, "service", { service_steps: [{ interface: "vendor", step: "trigger_servicewait" }] }, actor, 94);
    const node = await settle(n.id);
    expect(node.provisionState).toBe("service wait");
    const r = await beat(node, await tokenOf(node));
    expect(r.status, r.error ?? "").toBe(202);
    expect((await settle(n.id)).provisionState).toBe("active");
  });

  it("wait call-back: the heartbeat continues the deployment to active", async () => {
    const step = { interface: "deploy", step: "deploy", priority: 100, args: {} };
    const n = await insertNode(env.sql, {
      driver: "fake-hardware", provisionState: "wait call-back", targetProvisionState: "active", name: "hb-deploy",
      instanceInfo: { image_source: "x" }, deployStep: step,
      driverInternalInfo: { deploy_steps: [step], deploy_step_index: 0 },
    });
    const r = await beat(n, await tokenOf(n));
    expect(r.status, r.error ?? "").toBe(202);
    const done = await settle(n.id);
    expect([done.provisionState, done.lastError]).toEqual(["active", null]);
  });

  it("a locked node answers 409 (IPA retries); the next heartbeat continues", async () => {
    const node = await inCleanWait("hb-locked");
    const token = await tokenOf(node);
    await env.sql.run(`UPDATE "Node" SET "reservation" = ? WHERE "id" = ?`, ["other-host", node.id]);
    const locked = await beat(node, token);
    expect(locked.status).toBe(409);
    expect(locked.error).toContain("is locked by host other-host");
    const still = (await getNodeById(env.sql, node.id))!;
    expect(still.provisionState).toBe("clean wait");
    expect(still.driverInternalInfo.agent_url).toBeUndefined(); // nothing written under someone else's lock
    await env.sql.run(`UPDATE "Node" SET "reservation" = NULL WHERE "id" = ?`, [node.id]);
    expect((await beat(node, token)).status).toBe(202);
    expect((await settle(node.id)).provisionState).toBe("manageable");
  });

  it("in maintenance a waiting node is only recorded, not continued", async () => {
    const node = await inCleanWait("hb-maint");
    const token = await tokenOf(node);
    await env.sql.run(`UPDATE "Node" SET "maintenance" = ? WHERE "id" = ?`, [true, node.id]);
    expect((await beat(node, token)).status).toBe(202);
    const after = await settle(node.id);
    expect(after.provisionState).toBe("clean wait");
    expect(after.driverInternalInfo.agent_url).toBe(CALLBACK);
  });

  it("states where Ironic ignores heartbeats: nothing recorded, nothing done (202)", async () => {
    const n = await insertNode(env.sql, {
      driver: "fake-hardware", provisionState: "available", name: "hb-idle", driverInternalInfo: { agent_secret_token: "tok-idle-123" },
    });
    expect((await beat(n, "tok-idle-123")).status).toBe(202);
    const after = (await getNodeById(env.sql, n.id))!;
    expect(after.provisionState).toBe("available");
    expect(after.driverInternalInfo.agent_url).toBeUndefined();
  });

  it("rescue wait and record-only states (deploying, clean hold …) only record the agent", async () => {
    for (const state of ["rescue wait", "deploying", "clean hold"]) {
      const n = await insertNode(env.sql, {
        driver: "fake-hardware", provisionState: state, name: `hb-${state.replace(" ", "-")}`, driverInternalInfo: { agent_secret_token: "tok-rec-123" },
      });
      expect((await beat(n, "tok-rec-123")).status).toBe(202);
      const after = (await settle(n.id))!;
      expect([after.provisionState, after.driverInternalInfo.agent_url]).toEqual([state, CALLBACK]);
    }
  });
});
