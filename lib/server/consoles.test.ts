// The console websockets end to end: the Ingot server in-process (INGOT_WEB=0, the production
// upgrade handler), real `ws` clients, sim nodes.
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, createWebSocketStream } from "ws";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { sessionCookie } from "../testing/session_cookie.ts";
import { setConfig } from "../core/config.ts";
import { getConductor } from "../core/conductor/index.ts";
import { rpcSecret, setLocalConductorProvider } from "../core/conductor/rpc.ts";
import { getNodeById, insertNode, type NewNode, type NodeRecord } from "../core/db/nodes.ts";
import { listHistory } from "../core/history.ts";
import { consoleLogDir, isCapturing, resetConsoleLogs, syncCapture } from "../core/console/log.ts";
import { setConsoleSettings } from "../core/console/settings.ts";
import { disposeAllSimMachines, getSimMachine } from "../core/sim/machine.ts";
import { ENCODING } from "../core/sim/rfb.ts";
import { RfbTestClient } from "../testing/rfb_client.ts";
import { setSimSpeed } from "../core/sim/timing.ts";
import { addMembership, createToken, createUser, ensureProject } from "../core/users.ts";
import { closeReason, relayedConsoleCount } from "./console_relay.ts";
import { startServer, type RunningServer } from "./server.ts";

let db: TestDb;
let srv: RunningServer;
let dataDir: string;
let wsBase: string;
const saved = { ...process.env };
let adminToken: string;
let readerCookie: string;
let otherToken: string;
let lesseeToken: string;
const P = { a: "", b: "", l: "" };

async function newNode(data: Partial<NewNode> = {}): Promise<NodeRecord> {
  return insertNode(db.sql, {
    driver: "sim", provisionState: "active", powerState: "power on", consoleEnabled: true, owner: P.a,
    instanceInfo: { image_source: "ubuntu.img" }, ...data,
  } as NewNode);
}

interface Conn {
  ws: WebSocket;
  hello: Promise<any>;
  text(): string;
  bytes(): number;
  closed: Promise<{ code: number; reason: string; messagesBefore: number }>;
  messages: number;
}

function open(path: string, headers: Record<string, string> = {}): Conn {
  const ws = new WebSocket(`${wsBase}${path}`, { headers });
  const chunks: Buffer[] = [];
  let resolveHello: (v: any) => void;
  const hello = new Promise<any>((r) => (resolveHello = r));
  const c: Conn = {
    ws, hello, messages: 0,
    text: () => Buffer.concat(chunks).toString("utf8"),
    bytes: () => chunks.reduce((n, b) => n + b.length, 0),
    closed: new Promise((r) => ws.on("close", (code, reason) => r({ code, reason: reason.toString(), messagesBefore: c.messages }))),
  };
  ws.on("message", (data: Buffer, isBinary) => {
    c.messages++;
    if (!isBinary) resolveHello(JSON.parse(data.toString()));
    else chunks.push(Buffer.from(data));
  });
  return c;
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ingot-consoles-"));
  Object.assign(process.env, { INGOT_DATA_DIR: dataDir, INGOT_DEMO: "0", INGOT_WEB: "0", INGOT_ENABLED_HARDWARE_TYPES: "fake-hardware,sim" });
  db = await createTestDb();
  setConfig({ enabledHardwareTypes: ["fake-hardware", "sim"] });
  setSimSpeed(0.002);
  srv = await startServer({ web: false, port: 0, host: "127.0.0.1", dev: true });
  wsBase = srv.url.replace(/^http/, "ws");
  const admin = await createUser(db.sql, { username: "ops", password: "pw-ops-123456", systemRole: "admin" });
  adminToken = (await createToken(db.sql, { userId: admin.id })).token;
  P.a = (await ensureProject(db.sql, "proj-a")).id;
  P.b = (await ensureProject(db.sql, "proj-b")).id;
  P.l = (await ensureProject(db.sql, "proj-l")).id;
  const reader = await createUser(db.sql, { username: "rita", password: "pw-rita-123456" });
  await addMembership(db.sql, reader.id, P.a, "reader");
  readerCookie = await sessionCookie(reader.id, "rita");
  const other = await createUser(db.sql, { username: "otto", password: "pw-otto-123456" });
  await addMembership(db.sql, other.id, P.b, "admin");
  otherToken = (await createToken(db.sql, { userId: other.id, projectId: P.b })).token;
  const lessee = await createUser(db.sql, { username: "lea", password: "pw-lea-123456" });
  await addMembership(db.sql, lessee.id, P.l, "member");
  lesseeToken = (await createToken(db.sql, { userId: lessee.id, projectId: P.l })).token;
}, 60_000);

afterAll(async () => {
  await srv?.close();
  await resetConsoleLogs();
  disposeAllSimMachines();
  setSimSpeed(undefined);
  setConsoleSettings();
  setConfig();
  await db.cleanup().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe("serial console websocket", () => {
  it("hello, output, typing into the sim shell, resume by offset, history", async () => {
    const node = await newNode({ name: "web-07" });
    const m = getSimMachine(node);
    await m.waitFor(["os"], "the OS", 10_000).catch(() => undefined);
    const c = open(`/ws/nodes/${node.uuid}/serial?token=${adminToken}`);
    const hello = await c.hello;
    expect(hello).toMatchObject({ type: "hello", readOnly: false, node: node.uuid });
    expect(hello.offset).toBeLessThanOrEqual(hello.end);
    // log in at the prompt and ask the hostname
    await until(() => /login: $/.test(c.text()), 10_000);
    c.ws.send("root\r");
    await until(() => c.text().includes("Password: "));
    c.ws.send(Buffer.from("ingot\r"));
    await until(() => /# $/.test(c.text()));
    c.ws.send("hostname\r");
    await until(() => c.text().includes(`hostname\r\n${m.hostname_}\r\n`));
    const end = hello.offset + c.bytes();
    expect(end).toBe(m.serial.bytesWritten);
    c.ws.close();
    await c.closed;

    // resume: ask from 20 bytes before the end; the server sends exactly those bytes
    const r = open(`/ws/nodes/${node.uuid}/serial?offset=${end - 20}`, { "x-auth-token": adminToken });
    const h2 = await r.hello;
    expect(h2).toMatchObject({ offset: end - 20, end });
    await until(() => r.bytes() >= 20);
    expect(r.text()).toBe(c.text().slice(-20));
    r.ws.close();
    await r.closed;

    await until(() => false, 100).catch(() => undefined);
    const rows = (await listHistory(db.sql, node.id)).filter((h) => h.eventType === "console");
    expect(rows.length).toBe(2);
    expect(rows[0].event).toMatch(/^Serial console session of ops ended after [\d.]+ s$/);
    expect(rows[0].user).toBe("ops");
  });

  it("read-only for a project reader (session cookie) and for a lessee member: input dropped", async () => {
    const node = await newNode({ lessee: P.l });
    const m = getSimMachine(node);
    await m.waitFor(["os"], "the OS", 10_000).catch(() => undefined);
    for (const c of [open(`/ws/nodes/${node.uuid}/serial`, { cookie: readerCookie }), open(`/ws/nodes/${node.uuid}/serial?token=${lesseeToken}`)]) {
      expect(await c.hello).toMatchObject({ readOnly: true });
      const before = m.serial.bytesWritten;
      c.ws.send("root\r");
      await new Promise((r) => setTimeout(r, 200));
      expect(m.serial.bytesWritten).toBe(before);
      c.ws.close();
      await c.closed;
    }
    await new Promise((r) => setTimeout(r, 100));
    const rows = (await listHistory(db.sql, node.id)).filter((h) => h.eventType === "console");
    expect(rows.map((r) => r.event)).toEqual([expect.stringMatching(/of rita \(read-only\)/), expect.stringMatching(/of lea \(read-only\)/)]);
  });

  it("refuses before any console byte: no credentials, another project, unknown node, console disabled", async () => {
    const node = await newNode();
    const off = await newNode({ consoleEnabled: false });
    const cases: [string, Record<string, string>, number][] = [
      [`/ws/nodes/${node.uuid}/serial`, {}, 4401],
      [`/ws/nodes/${node.uuid}/serial?token=bogus`, {}, 4401],
      [`/ws/nodes/${node.uuid}/serial?token=${otherToken}`, {}, 4404],
      [`/ws/nodes/${node.uuid}/vnc?api_token=${otherToken}&token=x`, {}, 4404],
      [`/ws/nodes/00000000-0000-4000-8000-000000000000/serial?token=${adminToken}`, {}, 4404],
      [`/ws/nodes/${off.uuid}/serial?token=${adminToken}`, {}, 4409],
      [`/ws/nodes/${node.uuid}/vnc?api_token=${adminToken}&token=x`, {}, 4409],
    ];
    for (const [path, headers, code] of cases) {
      const c = open(path, headers);
      const closed = await c.closed;
      expect({ path, code: closed.code, messages: closed.messagesBefore }).toEqual({ path, code, messages: 0 });
    }
  });
});

describe("close reasons", () => {
  it("fit the protocol's 123 bytes of UTF-8, cut between characters", () => {
    expect(closeReason("console disabled")).toBe("console disabled");
    expect(closeReason("x".repeat(200))).toBe("x".repeat(123));
    // 2-byte é: 61 fit; 4-byte emoji (a surrogate pair in JS) after 120 ASCII bytes: none fits.
    expect(closeReason("é".repeat(100))).toBe("é".repeat(61));
    expect(closeReason("x".repeat(120) + "😀😀")).toBe("x".repeat(120));
    expect(closeReason("x".repeat(119) + "😀😀")).toBe("x".repeat(119) + "😀");
  });

  it("a refusal naming a long non-ASCII node is still sent, cut to 123 bytes", async () => {
    const name = "ü".repeat(100);
    const c = open(`/ws/nodes/${encodeURIComponent(name)}/serial?token=${adminToken}`);
    const closed = await c.closed;
    expect(closed.code).toBe(4404);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect(`node ${name} not found`.startsWith(closed.reason)).toBe(true);
    expect(closed.reason.length).toBeGreaterThan(50);
  });
});

describe("graphical console websocket", () => {
  it("console_info gives a tokened URL; the relay shows the framebuffer; a bad token is refused", async () => {
    const node = await newNode({ consoleInterface: "sim-graphical" });
    const res = await fetch(`${srv.url}/baremetal/v1/nodes/${node.uuid}/states/console`, { headers: { "x-auth-token": adminToken } });
    const info = await res.json();
    expect(info.console_info.type).toBe("vnc");
    const url = new URL(info.console_info.url);
    expect(url.origin).toBe(srv.url);
    expect(url.pathname).toBe(`/nodes/${node.uuid}/console/graphical`);
    const token = url.searchParams.get("token")!;
    expect(((await getNodeById(db.sql, node.id))!.driverInternalInfo.console_tokens as { hash: string }[])[0].hash).not.toContain(token);

    const bad = open(`/ws/nodes/${node.uuid}/vnc?token=nope`, { "x-auth-token": adminToken });
    expect(await bad.closed).toMatchObject({ code: 4403, reason: "invalid or expired console token" });
    // A reader of the owner project may watch the serial console, not use the graphical one.
    const watcher = open(`/ws/nodes/${node.uuid}/vnc?token=${token}`, { cookie: readerCookie });
    expect(await watcher.closed).toMatchObject({ code: 4403, reason: "not allowed to use the graphical console", messagesBefore: 0 });

    const ws = new WebSocket(`${wsBase}/ws/nodes/${node.uuid}/vnc?token=${token}`, ["binary"], { headers: { "x-auth-token": adminToken } });
    const stream = createWebSocketStream(ws);
    const client = await RfbTestClient.connect(stream, { encodings: [ENCODING.ZRLE] });
    client.requestUpdate(false);
    await client.nextUpdate();
    const fb = getSimMachine(node).screen.framebuffer;
    expect(Buffer.from(client.pixels.buffer).equals(Buffer.from(fb.pixels.buffer))).toBe(true);
    client.close();
  });

  it("a session is closed by the periodic task when its console token expires", async () => {
    setConsoleSettings({ tokenTimeoutSeconds: 0.4 });
    try {
      const node = await newNode({ consoleInterface: "sim-graphical" });
      const info = await (await fetch(`${srv.url}/baremetal/v1/nodes/${node.uuid}/states/console`, { headers: { "x-auth-token": adminToken } })).json();
      const token = new URL(info.console_info.url).searchParams.get("token")!;
      const c = open(`/ws/nodes/${node.uuid}/vnc?token=${token}`, { "x-auth-token": adminToken });
      await until(() => c.bytes() >= 12); // "RFB 003.008\n"
      expect(await getConductor().periodic.expireConsoleSessions()).toBe(0);
      await new Promise((r) => setTimeout(r, 450));
      expect(await getConductor().periodic.expireConsoleSessions()).toBe(1);
      expect((await c.closed).code).toBe(4401);
      expect((await getNodeById(db.sql, node.id))!.driverInternalInfo.console_tokens).toBeUndefined();
      await new Promise((r) => setTimeout(r, 100));
      const rows = (await listHistory(db.sql, node.id)).filter((h) => h.eventType === "console");
      expect(rows[0].event).toMatch(/^Graphical console session of ops ended after .* \(console token expired\)$/);
      // an expired token is refused on connect
      const late = open(`/ws/nodes/${node.uuid}/vnc?token=${token}`, { "x-auth-token": adminToken });
      expect((await late.closed).code).toBe(4403);
    } finally {
      setConsoleSettings();
    }
  });
});

describe("console log", () => {
  it("captures only while active, bounded (oldest dropped), persisted, served as text/plain", async () => {
    setConsoleSettings({ logBytes: 2048 });
    try {
      const deploying = await newNode({ provisionState: "deploying" });
      await syncCapture(deploying);
      expect(isCapturing(deploying.uuid)).toBe(false);
      getSimMachine(deploying).serial.output("secret-agent-token\n");

      const node = await newNode();
      await syncCapture(node);
      expect(isCapturing(node.uuid)).toBe(true);
      const port = getSimMachine(node).serial;
      for (let i = 0; i < 200; i++) port.output(`line ${String(i).padStart(4, "0")} ${"x".repeat(20)}\n`);
      const res = await fetch(`${srv.url}/baremetal/v1/nodes/${node.uuid}/console/log?kib=1`, { headers: { "x-auth-token": adminToken } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(Buffer.byteLength(text)).toBe(1024);
      expect(text.endsWith("line 0199 xxxxxxxxxxxxxxxxxxxx\r\n")).toBe(true);
      const all = await (await fetch(`${srv.url}/baremetal/v1/nodes/${node.uuid}/console/log`, { headers: { "x-auth-token": adminToken } })).text();
      expect(Buffer.byteLength(all)).toBe(2048);
      expect(all).not.toContain("line 0000");

      // persisted under the data dir, trimmed to the bound; survives a reset of the memory
      await until(() => existsSync(join(consoleLogDir(), `${node.uuid}.log`)) && statSync(join(consoleLogDir(), `${node.uuid}.log`)).size === 2048, 3000);
      await resetConsoleLogs();
      const again = await (await fetch(`${srv.url}/baremetal/v1/nodes/${node.uuid}/console/log`, { headers: { "x-auth-token": adminToken } })).text();
      expect(again).toBe(all);

      // nothing captured for the deploying node; a project of another owner cannot read the log
      const none = await fetch(`${srv.url}/baremetal/v1/nodes/${deploying.uuid}/console/log`, { headers: { "x-auth-token": adminToken } });
      expect(await none.text()).toBe("");
      const other = await fetch(`${srv.url}/baremetal/v1/nodes/${node.uuid}/console/log`, { headers: { "x-auth-token": otherToken } });
      expect(other.status).toBe(404);
    } finally {
      setConsoleSettings();
    }
  });
});

describe("a node whose conductor is another process", () => {
  // The web side routes as if this process hosted no conductor: the websocket and the console log
  // go through the conductor's RPC listener (here this process's own, found on the hash ring).
  const relayed = relayedConsoleCount;

  it("the serial console is relayed: same hello and bytes, typing, read-only kept, one history row per session", async () => {
    setLocalConductorProvider(() => null);
    try {
      const node = await newNode({ name: "relay-01" });
      const m = getSimMachine(node);
      await m.waitFor(["os"], "the OS", 10_000).catch(() => undefined);
      const c = open(`/ws/nodes/${node.uuid}/serial?token=${adminToken}`);
      expect(await c.hello).toMatchObject({ type: "hello", readOnly: false, node: node.uuid });
      expect(relayed()).toBe(1);
      await until(() => /login: $/.test(c.text()), 10_000);
      c.ws.send("root\r");
      await until(() => c.text().includes("Password: "));
      c.ws.send("ingot\r");
      await until(() => /# $/.test(c.text()));
      c.ws.send("hostname\r");
      await until(() => c.text().includes(`hostname\r\n${m.hostname_}\r\n`));

      const r = open(`/ws/nodes/${node.uuid}/serial`, { cookie: readerCookie });
      expect(await r.hello).toMatchObject({ readOnly: true });
      const before = m.serial.bytesWritten;
      r.ws.send("reboot\r");
      await new Promise((res) => setTimeout(res, 200));
      expect(m.serial.bytesWritten).toBe(before);

      // Stopping the console closes both sessions through the relay with the source's code.
      const stop = await fetch(`${srv.url}/baremetal/v1/nodes/${node.uuid}/states/console`, {
        method: "PUT", headers: { "x-auth-token": adminToken, "content-type": "application/json" }, body: JSON.stringify({ enabled: false }),
      });
      expect(stop.status).toBe(202);
      const [cc, rc] = await Promise.all([c.closed, r.closed]);
      expect([cc.code, cc.reason, rc.code, rc.reason]).toEqual([1000, "console disabled", 1000, "console disabled"]);
      await until(() => relayed() === 0);
      await new Promise((res) => setTimeout(res, 100));
      const rows = (await listHistory(db.sql, node.id)).filter((h) => h.eventType === "console" && /session/.test(h.event));
      // Both sessions end at once (console stop): their rows come in either order.
      expect(rows.map((h) => h.event).sort()).toEqual([expect.stringMatching(/^Serial console session of ops ended/), expect.stringMatching(/^Serial console session of rita \(read-only\) ended/)]);
    } finally {
      setLocalConductorProvider(null);
    }
  });

  it("the graphical console is relayed and closed with 4401 when its token expires; the console log is read from the conductor", async () => {
    setLocalConductorProvider(() => null);
    setConsoleSettings({ tokenTimeoutSeconds: 0.5 });
    try {
      const node = await newNode({ consoleInterface: "sim-graphical" });
      const info = await (await fetch(`${srv.url}/baremetal/v1/nodes/${node.uuid}/states/console`, { headers: { "x-auth-token": adminToken } })).json();
      const token = new URL(info.console_info.url).searchParams.get("token")!;
      const ws = new WebSocket(`${wsBase}/ws/nodes/${node.uuid}/vnc?token=${token}`, ["binary"], { headers: { "x-auth-token": adminToken } });
      const closed = new Promise<number>((res) => ws.on("close", (code) => res(code)));
      const client = await RfbTestClient.connect(createWebSocketStream(ws), { encodings: [ENCODING.ZRLE] });
      client.requestUpdate(false);
      await client.nextUpdate();
      expect(Buffer.from(client.pixels.buffer).equals(Buffer.from(getSimMachine(node).screen.framebuffer.pixels.buffer))).toBe(true);
      expect(relayed()).toBe(1);
      await new Promise((res) => setTimeout(res, 550));
      expect(await getConductor().periodic.expireConsoleSessions()).toBe(1);
      expect(await closed).toBe(4401);
      await new Promise((res) => setTimeout(res, 100));
      const rows = (await listHistory(db.sql, node.id)).filter((h) => h.eventType === "console" && /session/.test(h.event));
      expect(rows[0].event).toMatch(/^Graphical console session of ops ended after .* \(console token expired\)$/);

      const serialNode = await newNode();
      await syncCapture(serialNode);
      getSimMachine(serialNode).serial.output("relayed log line\n");
      await until(() => false, 50).catch(() => undefined);
      const log = await fetch(`${srv.url}/baremetal/v1/nodes/${serialNode.uuid}/console/log`, { headers: { "x-auth-token": adminToken } });
      expect(log.status).toBe(200);
      expect(await log.text()).toContain("relayed log line");
    } finally {
      setConsoleSettings();
      setLocalConductorProvider(null);
    }
  });

  it("the conductor's relay endpoint needs the RPC secret and a node with that console enabled", async () => {
    const node = await newNode({ consoleEnabled: false });
    const relayUrl = `${srv.rpcUrl!.replace(/^http/, "ws")}/rpc/console/${node.uuid}/serial`;
    const refused = await new Promise<number>((res) => {
      const ws = new WebSocket(relayUrl, { headers: { authorization: "Bearer wrong" } });
      ws.on("unexpected-response", (_req, resp) => res(resp.statusCode ?? 0));
      ws.on("error", () => undefined);
    });
    expect(refused).toBe(401);
    const ws = new WebSocket(relayUrl, { headers: { authorization: `Bearer ${rpcSecret()}` } });
    ws.on("error", () => undefined);
    const code = await new Promise<number>((res) => ws.on("close", (c) => res(c)));
    expect(code).toBe(4409);
  });
});
