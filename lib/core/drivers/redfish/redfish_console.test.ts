// The redfish-graphical console end to end: the Ingot server in-process (INGOT_WEB=0, the
// production websocket upgrade handler), a redfish node enrolled through the API, the test Redfish
// service's KVM websocket (RFB over websocket at /kvm/0, as OpenBMC's bmcweb) relayed to a real
// `ws` client speaking RFB.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, createWebSocketStream } from "ws";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { RedfishMock, startTlsRedfishMock } from "../../../testing/redfish_mock.ts";
import { setConfig } from "../../config.ts";
import { getConductor } from "../../conductor/index.ts";
import { getNodeById, findNode } from "../../db/nodes.ts";
import { ENCODING } from "../../sim/rfb.ts";
import { RfbTestClient } from "../../../testing/rfb_client.ts";
import { createToken, createUser } from "../../users.ts";
import { startServer, type RunningServer } from "../../../server/server.ts";
import { forgetRedfishSessions } from "./client.ts";
import { openKvm } from "./kvm.ts";

let db: TestDb;
let srv: RunningServer;
let dataDir: string;
let wsBase: string;
let adminToken: string;
const saved = { ...process.env };
const bmc = new RedfishMock();
const basicBmc = new RedfishMock({ sessionService: false, kvmPath: "/console/kvm" });
const fast = { redfish_connection_attempts: 1, redfish_connection_retry_interval: 0, redfish_timeout: 2 };

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${srv.url}/baremetal${path}`, {
    method,
    headers: { "x-auth-token": adminToken, "X-OpenStack-Ironic-API-Version": "latest", ...(body ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const faultOf = (body: any): string => JSON.parse(body.error_message).faultstring;

async function until(cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function enroll(name: string, driverInfo: Record<string, unknown>): Promise<string> {
  const res = await call("POST", "/v1/nodes", { driver: "redfish", name, console_interface: "redfish-graphical", driver_info: { ...fast, ...driverInfo } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.console_interface).toBe("redfish-graphical");
  return res.body.uuid;
}

/** PUT states/console and waits for the conductor's async part; returns the node. */
async function setConsole(uuid: string, enabled: boolean): Promise<any> {
  const res = await call("PUT", `/v1/nodes/${uuid}/states/console`, { enabled });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await getConductor().pool.drain();
  return (await call("GET", `/v1/nodes/${uuid}`)).body;
}

async function consoleToken(uuid: string): Promise<string> {
  const info = (await call("GET", `/v1/nodes/${uuid}/states/console`)).body;
  expect(info.console_enabled).toBe(true);
  expect(info.console_info.type).toBe("vnc");
  const url = new URL(info.console_info.url);
  expect(url.origin).toBe(srv.url);
  expect(url.pathname).toBe(`/nodes/${uuid}/console/graphical`);
  return url.searchParams.get("token")!;
}

function openVnc(uuid: string, token: string) {
  const ws = new WebSocket(`${wsBase}/ws/nodes/${uuid}/vnc?token=${encodeURIComponent(token)}`, ["binary"], { headers: { "x-auth-token": adminToken } });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on("close", (code, reason) => r({ code, reason: reason.toString() })));
  return { ws, closed };
}

/** Connects an RFB client through Ingot and checks it shows exactly the BMC's screen. */
async function checkScreen(uuid: string, token: string, screen: RedfishMock) {
  const { ws, closed } = openVnc(uuid, token);
  const client = await RfbTestClient.connect(createWebSocketStream(ws), { encodings: [ENCODING.ZRLE] });
  expect([client.width, client.height, client.name]).toEqual([64, 48, "Mock BMC KVM"]);
  client.requestUpdate(false);
  await client.nextUpdate();
  const fb = screen.kvmFramebuffer;
  expect(Buffer.from(client.pixels.buffer).equals(Buffer.from(fb.pixels.buffer))).toBe(true);
  expect(client.pixels[0 * 64 + 20]).toBe(0); // border
  expect(client.pixels[10 * 64 + 10]).toBe(0xffffff); // diagonal
  expect(client.pixels[20 * 64 + 44]).toBe(0xff0000); // sixth bar
  return { ws, closed, client };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ingot-rfgfx-"));
  Object.assign(process.env, { INGOT_DATA_DIR: dataDir, INGOT_DEMO: "0", INGOT_WEB: "0", INGOT_ENABLED_HARDWARE_TYPES: "fake-hardware,redfish" });
  db = await createTestDb();
  setConfig({ enabledHardwareTypes: ["fake-hardware", "redfish"] });
  await bmc.start();
  await basicBmc.start();
  srv = await startServer({ web: false, port: 0, host: "127.0.0.1", dev: true });
  wsBase = srv.url.replace(/^http/, "ws");
  const admin = await createUser(db.sql, { username: "ops", password: "pw-ops-123456", systemRole: "admin" });
  adminToken = (await createToken(db.sql, { userId: admin.id })).token;
}, 60_000);

afterAll(async () => {
  await srv?.close();
  await bmc.stop();
  await basicBmc.stop();
  forgetRedfishSessions();
  setConfig();
  await db.cleanup().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe("redfish-graphical console", () => {
  it("is offered by the redfish hardware type (no-console stays the default) with its property", async () => {
    const ifaces = (await call("GET", "/v1/drivers/redfish?detail=true")).body;
    expect(ifaces.enabled_console_interfaces).toEqual(expect.arrayContaining(["no-console", "redfish-graphical"]));
    expect(ifaces.default_console_interface).toBe("no-console");
    const props = (await call("GET", "/v1/drivers/redfish/properties")).body;
    expect(props.redfish_kvm_path).toMatch(/\/kvm\/0/);
  });

  it("start → tokened URL → the browser's RFB client sees the BMC's framebuffer exactly; both sides' closes propagate; stop closes", async () => {
    const uuid = await enroll("kvm-01", bmc.driverInfo());
    const validation = (await call("GET", `/v1/nodes/${uuid}/validate`)).body;
    expect(validation.console).toEqual({ result: true });

    const before = bmc.kvmRequests.length;
    const node = await setConsole(uuid, true);
    expect([node.console_enabled, node.last_error]).toEqual([true, null]);
    // start probed the KVM websocket with the redfish session
    expect(bmc.kvmRequests.slice(before)).toEqual([{ path: "/kvm/0", auth: "session", status: 101 }]);
    await until(() => bmc.kvmSessions.size === 0); // the probe closed its session

    const token = await consoleToken(uuid);
    const first = await checkScreen(uuid, token, bmc);
    expect(bmc.kvmSessions.size).toBe(1);
    // input reaches the BMC: a framebuffer update request is answered (above), keys and the pointer arrive
    first.client.tap(0x61); // "a"
    first.client.pointer(1, 10, 20);
    first.client.requestUpdate(false);
    await first.client.nextUpdate();
    expect(bmc.kvmInput).toEqual([{ key: [0x61, true] }, { key: [0x61, false] }, { pointer: [1, 10, 20] }]);
    // the browser leaves → the BMC's session ends
    first.client.close();
    await first.closed;
    await until(() => bmc.kvmSessions.size === 0);

    // the BMC ends the session → the browser's websocket closes
    const second = await checkScreen(uuid, await consoleToken(uuid), bmc);
    expect(bmc.kvmSessions.size).toBe(1);
    bmc.closeKvmSessions();
    expect(await second.closed).toEqual({ code: 1000, reason: "BMC closed the KVM: BMC going away" });
    await until(() => bmc.kvmSessions.size === 0);

    // past the BMC's session limit (bmcweb opens and closes at once): 1011 with the BMC's words
    const limited = await consoleToken(uuid);
    bmc.kvmMaxSessions = 0;
    try {
      const { closed } = openVnc(uuid, limited);
      expect(await closed).toEqual({ code: 1011, reason: "BMC closed the KVM (1011 Max sessions are already connected)" });
    } finally {
      bmc.kvmMaxSessions = 4;
    }

    // stop closes an open session and drops the console tokens
    const third = await checkScreen(uuid, await consoleToken(uuid), bmc);
    const stopped = await setConsole(uuid, false);
    expect(stopped.console_enabled).toBe(false);
    expect(await third.closed).toEqual({ code: 1000, reason: "console disabled" });
    await until(() => bmc.kvmSessions.size === 0);
    const row = (await findNode(db.sql, uuid))!;
    expect((await getNodeById(db.sql, row.id))!.driverInternalInfo.console_tokens).toBeUndefined();
    expect((await call("GET", `/v1/nodes/${uuid}/states/console`)).body).toEqual({ console_enabled: false, console_info: null });
  });

  it("Basic auth (no SessionService) and redfish_kvm_path", async () => {
    const uuid = await enroll("kvm-basic", basicBmc.driverInfo({ redfish_kvm_path: "/console/kvm" }));
    const node = await setConsole(uuid, true);
    expect([node.console_enabled, node.last_error]).toEqual([true, null]);
    const { client, closed } = await checkScreen(uuid, await consoleToken(uuid), basicBmc);
    expect(basicBmc.kvmRequests.every((r) => r.auth === "basic" && r.path === "/console/kvm")).toBe(true);
    client.close();
    await closed;
    await setConsole(uuid, false);
  });

  it("refuses a BMC without a usable graphical console, with the reason, at validate and at start", async () => {
    const uuid = await enroll("kvm-refused", bmc.driverInfo());
    const cases: [RedfishMock["graphicalConsole"], RegExp][] = [
      ["absent", /offers no graphical console: no manager of the system \(Links\.ManagedBy\) has a GraphicalConsole/],
      ["disabled", /the graphical console of \/redfish\/v1\/Managers\/BMC is disabled \(GraphicalConsole\.ServiceEnabled is not true\)/],
      ["no-kvmip", /offers Oem, not KVMIP/],
    ];
    try {
      for (const [mode, reason] of cases) {
        bmc.graphicalConsole = mode;
        const validation = (await call("GET", `/v1/nodes/${uuid}/validate`)).body;
        expect(validation.console.result).toBe(false);
        expect(validation.console.reason).toMatch(reason);
        const res = await call("PUT", `/v1/nodes/${uuid}/states/console`, { enabled: true });
        expect(res.status).toBe(400);
        expect(faultOf(res.body)).toMatch(reason);
        expect((await call("GET", `/v1/nodes/${uuid}`)).body.console_enabled).toBe(false);
      }
    } finally {
      bmc.graphicalConsole = "kvm";
    }
  });

  it("a KVM websocket the BMC refuses: start fails into last_error; a session closes with 1011 and the reason", async () => {
    const uuid = await enroll("kvm-down", bmc.driverInfo());
    bmc.kvmRefuseStatus = 503;
    try {
      const node = await setConsole(uuid, true);
      expect(node.console_enabled).toBe(false);
      expect(node.last_error).toMatch(/^Failed to start the console of node .*: KVM websocket ws:\/\/127\.0\.0\.1:\d+\/kvm\/0 refused: HTTP 503$/);
      bmc.kvmRefuseStatus = 0;
      expect((await setConsole(uuid, true)).console_enabled).toBe(true);
      const token = await consoleToken(uuid);
      bmc.kvmRefuseStatus = 503;
      const { closed } = openVnc(uuid, token);
      const c = await closed;
      expect(c.code).toBe(1011);
      expect(c.reason).toMatch(/^console source unavailable: KVM websocket ws:\/\/127\.0\.0\.1:\d+\/kvm\/0 refused: HTTP 503$/);
    } finally {
      bmc.kvmRefuseStatus = 0;
    }
    // a wrong path: 404 with the hint
    const res = await call("PATCH", `/v1/nodes/${uuid}`, [{ op: "add", path: "/driver_info/redfish_kvm_path", value: "/nope" }]);
    expect(res.status).toBe(200);
    const { closed } = openVnc(uuid, await consoleToken(uuid));
    expect(await closed).toMatchObject({ code: 1011, reason: expect.stringMatching(/\/nope refused: HTTP 404 \(check redfish_kvm_path\)$/) });
    // an invalid path is refused by validate
    await call("PATCH", `/v1/nodes/${uuid}`, [{ op: "replace", path: "/driver_info/redfish_kvm_path", value: "kvm 0" }]);
    const validation = (await call("GET", `/v1/nodes/${uuid}/validate`)).body;
    expect(validation.console.reason).toMatch(/Invalid value "kvm 0" set in driver_info\/redfish_kvm_path/);
  });

  it("a console whose BMC disabled its KVM meanwhile can still be read and stopped; sessions then fail readably", async () => {
    const uuid = await enroll("kvm-went-away", bmc.driverInfo());
    expect((await setConsole(uuid, true)).console_enabled).toBe(true);
    bmc.graphicalConsole = "disabled";
    bmc.kvmRefuseStatus = 403;
    try {
      const token = await consoleToken(uuid);
      const { closed } = openVnc(uuid, token);
      expect(await closed).toMatchObject({ code: 1011, reason: expect.stringMatching(/refused: HTTP 403 \(check the BMC credentials\)$/) });
      const stopped = await setConsole(uuid, false);
      expect([stopped.console_enabled, stopped.last_error]).toEqual([false, null]);
      // and now validate says why it cannot start again
      const validation = (await call("GET", `/v1/nodes/${uuid}/validate`)).body;
      expect(validation.console.reason).toMatch(/is disabled \(GraphicalConsole\.ServiceEnabled is not true\)/);
    } finally {
      bmc.graphicalConsole = "kvm";
      bmc.kvmRefuseStatus = 0;
    }
  });

  it("an expired Redfish session is renewed for the KVM websocket", async () => {
    const uuid = await enroll("kvm-renew", bmc.driverInfo());
    expect((await setConsole(uuid, true)).console_enabled).toBe(true);
    const token = await consoleToken(uuid);
    bmc.expireSessions();
    const before = bmc.kvmRequests.length;
    const { client, closed } = await checkScreen(uuid, token, bmc);
    expect(bmc.kvmRequests.slice(before).map((r) => [r.auth, r.status])).toEqual([["bad", 401], ["session", 101]]);
    client.close();
    await closed;
    await setConsole(uuid, false);
  });

  it("a KVM that never answers the upgrade: start fails after the connect timeout", async () => {
    const uuid = await enroll("kvm-hang", bmc.driverInfo({ redfish_timeout: 0.5 }));
    bmc.kvmHang = true;
    try {
      const t0 = Date.now();
      const node = await setConsole(uuid, true);
      expect(node.console_enabled).toBe(false);
      expect(node.last_error).toMatch(/KVM websocket ws:\/\/127\.0\.0\.1:\d+\/kvm\/0 did not open within 0\.5 s$/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      bmc.kvmHang = false;
    }
  });

  describe("over TLS (wss)", () => {
    let tls: Awaited<ReturnType<typeof startTlsRedfishMock>>;
    let tlsBmc: RedfishMock;
    let caFile: string;
    beforeAll(async () => {
      tls = await startTlsRedfishMock();
      ({ bmc: tlsBmc, caFile } = tls);
    });
    afterAll(async () => tls?.stop());

    it("redfish_verify_ca (a CA bundle) is honoured by the KVM websocket; an untrusted certificate is a readable error", async () => {
      const uuid = await enroll("kvm-tls", tlsBmc.driverInfo({ redfish_verify_ca: caFile }));
      const node = await setConsole(uuid, true);
      expect([node.console_enabled, node.last_error]).toEqual([true, null]);
      const { client, closed } = await checkScreen(uuid, await consoleToken(uuid), tlsBmc);
      expect(tlsBmc.kvmRequests.at(-1)).toEqual({ path: "/kvm/0", auth: "session", status: 101 });
      client.close();
      await closed;
      await setConsole(uuid, false);
      // Basic auth: no Redfish request comes first, so the websocket itself meets the certificate.
      await expect(openKvm({ uuid, driverInfo: tlsBmc.driverInfo({ redfish_auth_type: "basic", ...fast }) })).rejects.toThrow(
        /^KVM websocket wss:\/\/127\.0\.0\.1:\d+\/kvm\/0: TLS certificate not accepted \(.+; see redfish_verify_ca\)$/,
      );
    });
  });
});
