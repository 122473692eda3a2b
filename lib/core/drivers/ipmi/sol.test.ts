// The `ipmitool-sol` console end to end: the Ingot server in-process, the console started and
// stopped through the API, a real `ws` client on /ws/nodes/{node}/serial, the real ipmitool, and
// the pyghmi fake BMC's Serial-over-LAN (banner, then echo) — plus the input escaping, sharing
// of one `sol activate` per node, the console log capture and the BMC's errors.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { setConfig } from "../../config.ts";
import { getConductor } from "../../conductor/index.ts";
import { insertNode, type NewNode, type NodeRecord } from "../../db/nodes.ts";
import { isCapturing, readConsoleLog, resetConsoleLogs } from "../../console/log.ts";
import { createToken, createUser } from "../../users.ts";
import { startServer, type RunningServer } from "../../../server/server.ts";
import { FakeBmc, fakeBmcUnavailable } from "../../../testing/fake_bmc.ts";
import { ipmitoolPath } from "./ipmitool.ts";
import { hasIpmiSol, SolInputEscaper } from "./sol.ts";

const unavailable = fakeBmcUnavailable();

let db: TestDb;
let srv: RunningServer;
let dataDir: string;
let token: string;
const saved = { ...process.env };
const bmc = new FakeBmc({ password: "s3cret", power: "on" });

interface Conn {
  ws: WebSocket;
  hello: Promise<any>;
  text(): string;
  closed: Promise<{ code: number; reason: string }>;
}

function open(uuid: string): Conn {
  const ws = new WebSocket(`${srv.url.replace(/^http/, "ws")}/ws/nodes/${uuid}/serial?token=${token}`);
  const chunks: Buffer[] = [];
  let resolveHello: (v: any) => void;
  const hello = new Promise<any>((r) => (resolveHello = r));
  ws.on("message", (data: Buffer, isBinary) => {
    if (!isBinary) resolveHello(JSON.parse(data.toString()));
    else chunks.push(Buffer.from(data));
  });
  return {
    ws, hello,
    text: () => Buffer.concat(chunks).toString("utf8"),
    closed: new Promise((r) => ws.on("close", (code, reason) => r({ code, reason: reason.toString() }))),
  };
}

async function until(cond: () => boolean, ms = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${srv.url}/baremetal${path}`, {
    method,
    headers: { "x-auth-token": token, "content-type": "application/json", "x-openstack-ironic-api-version": "latest" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function setConsole(uuid: string, enabled: boolean): Promise<any> {
  const res = await call("PUT", `/v1/nodes/${uuid}/states/console`, { enabled });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  await getConductor().pool.drain();
  return (await call("GET", `/v1/nodes/${uuid}`)).body;
}

async function solNode(data: Partial<NewNode> = {}): Promise<NodeRecord> {
  return insertNode(db.sql, {
    driver: "ipmi", provisionState: "active", powerState: "power on", consoleInterface: "ipmitool-sol",
    driverInfo: bmc.driverInfo(), instanceInfo: {}, ...data,
  } as NewNode);
}

const bmcEvents = (name: string) => bmc.events.filter((e) => e.event === name);

describe("SolInputEscaper", () => {
  it("doubles ~ only where ipmitool would read it as its escape character (line start)", () => {
    const e = new SolInputEscaper();
    expect(e.escape(Buffer.from("~.")).toString()).toBe("~~.");
    expect(e.escape(Buffer.from("a~b\r")).toString()).toBe("a~b\r");
    expect(e.escape(Buffer.from("~?")).toString()).toBe("~~?");
    expect(e.escape(Buffer.from("x\n~")).toString()).toBe("x\n~~");
    expect(e.escape(Buffer.from("~")).toString()).toBe("~"); // after a literal ~ we are mid-line
  });
});

describe.skipIf(unavailable !== null)("ipmitool-sol console against the pyghmi fake BMC", () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "ingot-ipmisol-"));
    Object.assign(process.env, {
      INGOT_DATA_DIR: dataDir, INGOT_DEMO: "0", INGOT_WEB: "0", INGOT_ENABLED_HARDWARE_TYPES: "fake-hardware,ipmi",
      INGOT_IPMI_RETRY_BACKOFF_MS: "100",
    });
    db = await createTestDb();
    setConfig({ enabledHardwareTypes: ["fake-hardware", "ipmi"] });
    await bmc.start();
    srv = await startServer({ web: false, port: 0, host: "127.0.0.1", dev: true });
    const admin = await createUser(db.sql, { username: "ops", password: "pw-ops-123456", systemRole: "admin" });
    token = (await createToken(db.sql, { userId: admin.id })).token;
  }, 60_000);

  afterAll(async () => {
    await srv?.close();
    await resetConsoleLogs();
    await bmc.stop();
    setConfig();
    await db?.cleanup().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it("is an enabled console interface of the ipmi hardware type", async () => {
    const res = await call("GET", "/v1/drivers/ipmi?detail=true");
    expect(res.body.enabled_console_interfaces).toEqual(["no-console", "ipmitool-sol"]);
    expect(res.body.default_console_interface).toBe("no-console");
  });

  it("start through the API, console_info, banner, typing echoed, ~ escaped, shared child, log capture, stop", async () => {
    const node = await solNode({ name: "sol-01" });
    const before = (await call("GET", `/v1/nodes/${node.uuid}/states/console`)).body;
    expect(before).toEqual({ console_enabled: false, console_info: null });
    // not enabled: the websocket refuses
    const early = open(node.uuid);
    expect((await early.closed).code).toBe(4409);

    const started = await setConsole(node.uuid, true);
    expect(started.console_enabled).toBe(true);
    expect(started.last_error).toBeNull();
    expect(bmcEvents("sol_activate")).toHaveLength(0); // start only probes (sol deactivate)
    const info = (await call("GET", `/v1/nodes/${node.uuid}/states/console`)).body;
    expect(info.console_enabled).toBe(true);
    expect(info.console_info.type).toBe("ws");
    expect(new URL(info.console_info.url).pathname).toBe(`/ws/nodes/${node.uuid}/serial`);

    // the log capture (node active, console enabled) holds the SOL session
    await until(() => isCapturing(node.uuid), 15_000, "log capture");
    await until(() => bmcEvents("sol_activate").length === 1, 10_000, "SOL activation");

    const a = open(node.uuid);
    expect(await a.hello).toMatchObject({ type: "hello", readOnly: false, node: node.uuid });
    await until(() => a.text().includes("Ingot fake BMC serial console\r\nlogin: "), 10_000, "banner");
    expect(a.text()).not.toContain("SOL Session operational"); // ipmitool's own line is not console output

    // typed bytes reach the machine through ipmitool; ~ at a line start is not an escape
    a.ws.send("root\r");
    await until(() => a.text().includes("login: root\r"), 10_000, "echo");
    a.ws.send("~.\r");
    a.ws.send("a~b\r");
    await until(() => a.text().includes("a~b\r"), 10_000, "echo of ~ lines");
    expect(a.text()).toContain("root\r~.\ra~b\r");
    const typed = bmcEvents("sol_input").map((e) => e.data).join("");
    expect(typed).toBe("root\r~.\ra~b\r");

    // a second viewer shares the same ipmitool child (no second activation)
    const b = open(node.uuid);
    await b.hello;
    await until(() => b.text().includes("a~b\r"), 5000, "backlog for the second viewer");
    expect(bmcEvents("sol_activate")).toHaveLength(1);

    // the console log got the output
    await until(() => readConsoleLog(node.uuid).toString().includes("a~b\r"), 5000, "console log");

    // stop through the API: sessions closed, SOL deactivated on the BMC, capture stopped
    const stopped = await setConsole(node.uuid, false);
    expect(stopped.console_enabled).toBe(false);
    expect(stopped.last_error).toBeNull();
    expect((await a.closed).code).toBe(1000);
    expect((await b.closed).code).toBe(1000);
    await until(() => !hasIpmiSol(node.uuid), 10_000, "the SOL child to go");
    await until(() => !isCapturing(node.uuid), 10_000, "capture to stop");
    await until(() => bmcEvents("sol_deactivate").length >= 1, 10_000, "SOL deactivation");
    expect((await call("GET", `/v1/nodes/${node.uuid}/states/console`)).body).toEqual({ console_enabled: false, console_info: null });
  }, 90_000);

  it("the last viewer leaving ends the SOL session (node not active: no capture)", async () => {
    const node = await solNode({ name: "sol-02", provisionState: "manageable" });
    await setConsole(node.uuid, true);
    const activations = bmcEvents("sol_activate").length;
    const deactivations = bmcEvents("sol_deactivate").length;
    const c = open(node.uuid);
    await c.hello;
    await until(() => c.text().includes("login: "), 10_000, "banner");
    expect(bmcEvents("sol_activate")).toHaveLength(activations + 1);
    expect(isCapturing(node.uuid)).toBe(false);
    c.ws.close();
    await c.closed;
    await until(() => !hasIpmiSol(node.uuid), 10_000, "the SOL child to go");
    // ipmitool ended its session on the BMC (~. / end of input), not left for the BMC to time out
    await until(() => bmcEvents("sol_deactivate").length === deactivations + 1, 10_000, "SOL deactivation");
    await setConsole(node.uuid, false);
  }, 60_000);

  it("a SOL session held by another client is taken over (sol deactivate before activate)", async () => {
    const node = await solNode({ name: "sol-03", provisionState: "manageable" });
    await setConsole(node.uuid, true);
    // someone's `ipmitool sol activate` holds the payload (as a forgotten terminal would)
    const other = spawn(ipmitoolPath(), ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(bmc.port), "-U", bmc.user, "-E", "sol", "activate"], {
      env: { ...process.env, IPMI_PASSWORD: bmc.password }, stdio: ["pipe", "pipe", "pipe"],
    });
    try {
      let otherOut = "";
      other.stdout.on("data", (d: Buffer) => (otherOut += d.toString()));
      await until(() => otherOut.includes("login: "), 10_000, "the other client's session");
      const activations = bmcEvents("sol_activate").length;
      const c = open(node.uuid);
      await until(() => c.text().includes("login: "), 15_000, "banner after the take-over");
      expect(bmcEvents("sol_activate")).toHaveLength(activations + 1);
      c.ws.close();
      await c.closed;
    } finally {
      other.kill("SIGKILL");
    }
    await setConsole(node.uuid, false);
  }, 60_000);

  it("a machine that prints nothing (idle at a prompt): the session opens and typing reaches it", async () => {
    // ipmitool prints "[SOL Session operational…]" without flushing; on a pipe it came out only
    // with the machine's first byte, so a quiet machine's console timed out.
    const quiet = new FakeBmc({ password: "s3cret", power: "on", solSilent: true });
    await quiet.start();
    try {
      const node = await solNode({ name: "sol-quiet", provisionState: "manageable", driverInfo: quiet.driverInfo() });
      await setConsole(node.uuid, true);
      const c = open(node.uuid);
      expect(await Promise.race([c.hello, c.closed])).toMatchObject({ type: "hello", readOnly: false });
      c.ws.send("echo hi\r");
      await until(() => c.text() === "echo hi\r", 10_000, "the echo of what was typed");
      c.ws.close();
      await c.closed;
      await setConsole(node.uuid, false);
    } finally {
      await quiet.stop();
    }
  }, 60_000);

  it("a wrong password: start refused with a readable last_error, console stays disabled", async () => {
    const node = await solNode({ name: "sol-04", provisionState: "manageable", driverInfo: bmc.driverInfo({ ipmi_password: "wrong" }) });
    const after = await setConsole(node.uuid, true);
    expect(after.console_enabled).toBe(false);
    expect(after.last_error).toMatch(/^Failed to start the console of node .*: IPMI authentication failed for 127\.0\.0\.1:\d+: check ipmi_username \/ ipmi_password/);
    expect(after.last_error).not.toContain("wrong");
  }, 60_000);

  it("a BMC with SOL disabled: start refused, and saying so", async () => {
    const noSol = new FakeBmc({ password: "s3cret", power: "on", solDisabled: true });
    await noSol.start();
    try {
      const node = await solNode({ name: "sol-nosol", provisionState: "manageable", driverInfo: noSol.driverInfo() });
      const after = await setConsole(node.uuid, true);
      expect(after.console_enabled).toBe(false);
      expect(after.last_error).toMatch(/Serial-over-LAN is disabled on the BMC 127\.0\.0\.1:\d+/);
    } finally {
      await noSol.stop();
    }
  }, 60_000);

  it("credentials broken after start: the websocket is refused with 1011 and the BMC's reason", async () => {
    const node = await solNode({ name: "sol-later", provisionState: "manageable" });
    await setConsole(node.uuid, true);
    await db.sql.run(`UPDATE "Node" SET "driverInfo" = ? WHERE "id" = ?`, [JSON.stringify(bmc.driverInfo({ ipmi_password: "changed" })), node.id]);
    const c = open(node.uuid);
    const closed = await c.closed;
    expect(closed.code).toBe(1011);
    expect(closed.reason).toMatch(/^console source unavailable: IPMI authentication failed for 127\.0\.0\.1/);
    expect(hasIpmiSol(node.uuid)).toBe(false);
    await setConsole(node.uuid, false);
  }, 60_000);

  it("an unreachable BMC: start refused with the timeout explained", async () => {
    const node = await solNode({ name: "sol-05", provisionState: "manageable", driverInfo: { ...bmc.driverInfo(), ipmi_port: 9 } });
    const after = await setConsole(node.uuid, true);
    expect(after.console_enabled).toBe(false);
    expect(after.last_error).toMatch(/IPMI timeout: the BMC 127\.0\.0\.1:9 did not answer "sol deactivate"/);
  }, 60_000);

  it("ipmi_terminal_port is validated as a port; IPMI 1.5 cannot do SOL", async () => {
    const bad = await call("POST", "/v1/nodes", { driver: "ipmi", console_interface: "ipmitool-sol", driver_info: bmc.driverInfo({ ipmi_terminal_port: "70000" }) });
    expect(bad.status).toBe(201); // Ironic too accepts any driver_info at create; validate reports it
    const v = (await call("GET", `/v1/nodes/${bad.body.uuid}/validate`)).body;
    expect(v.console).toEqual({ result: false, reason: expect.stringContaining('ipmi_terminal_port "70000" is not a valid port.') });
    const ok = await call("POST", "/v1/nodes", { driver: "ipmi", console_interface: "ipmitool-sol", driver_info: bmc.driverInfo({ ipmi_terminal_port: 8023 }) });
    expect((await call("GET", `/v1/nodes/${ok.body.uuid}/validate`)).body.console).toEqual({ result: true });
    const refused = await call("PUT", `/v1/nodes/${bad.body.uuid}/states/console`, { enabled: true });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toContain("ipmi_terminal_port");

    const old = await solNode({ name: "sol-06", provisionState: "manageable", driverInfo: bmc.driverInfo({ ipmi_protocol_version: "1.5" }) });
    const lan = await call("PUT", `/v1/nodes/${old.uuid}/states/console`, { enabled: true });
    expect(lan.status).toBe(400);
    expect(JSON.stringify(lan.body)).toContain("Serial-over-LAN needs IPMI 2.0");
  }, 60_000);
});
