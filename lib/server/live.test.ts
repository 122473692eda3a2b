// The dashboard's wire: the API with the session cookie (and its CSRF header), the /ws/events
// live-update websocket with per-viewer visibility, and the typed client's version negotiation —
// against the real server in-process (INGOT_WEB=0).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { ApiError, IngotClient } from "../client/api.ts";
import { setConfig } from "../core/config.ts";
import { getNodeById, insertNode, type NewNode } from "../core/db/nodes.ts";
import { publishNodeChange, liveEvents } from "../core/events.ts";
import { addMembership, createUser, ensureProject } from "../core/users.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { sessionCookie } from "../testing/session_cookie.ts";
import { startServer, type RunningServer } from "./server.ts";

let db: TestDb;
let srv: RunningServer;
let dataDir: string;
const saved = { ...process.env };
const P = { a: "", b: "" };
const cookies = { admin: "", alice: "", bob: "" };

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "ingot-live-"));
  Object.assign(process.env, { INGOT_DATA_DIR: dataDir, INGOT_DEMO: "0", INGOT_WEB: "0", AUTH_SECRET: "live-test-secret-0123456789abcdef" });
  db = await createTestDb();
  setConfig({ enabledHardwareTypes: ["fake-hardware"] });
  srv = await startServer({ web: false, port: 0, host: "127.0.0.1", dev: true });
  P.a = (await ensureProject(db.sql, "live-a")).id;
  P.b = (await ensureProject(db.sql, "live-b")).id;
  const admin = await createUser(db.sql, { username: "live-admin", password: "pw-admin-123456", systemRole: "admin" });
  const alice = await createUser(db.sql, { username: "alice", password: "pw-alice-123456" });
  const bob = await createUser(db.sql, { username: "bob", password: "pw-bob-1234567" });
  await addMembership(db.sql, alice.id, P.a, "member");
  await addMembership(db.sql, bob.id, P.b, "member");
  cookies.admin = await sessionCookie(admin.id);
  cookies.alice = await sessionCookie(alice.id);
  cookies.bob = await sessionCookie(bob.id);
}, 60_000);

afterAll(async () => {
  await srv?.close();
  setConfig();
  await db.cleanup().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

function node(data: Partial<NewNode>) {
  return insertNode(db.sql, { driver: "fake-hardware", provisionState: "available", ...data } as NewNode);
}

describe("API with the session cookie", () => {
  it("needs the web client header; then acts as the session's user", async () => {
    const mine = await node({ name: "cookie-a", owner: P.a });
    await node({ name: "cookie-b", owner: P.b });
    const url = `${srv.url}/baremetal/v1/nodes`;
    // Without the header the cookie is ignored (a cross-site form or image cannot use it).
    expect((await fetch(url, { headers: { cookie: cookies.alice } })).status).toBe(401);
    const res = await fetch(url, { headers: { cookie: cookies.alice, "X-Ingot-Client": "web", "X-OpenStack-Ironic-API-Version": "1.5" } });
    expect(res.status).toBe(200);
    const names = ((await res.json()) as { nodes: { name: string }[] }).nodes.map((n) => n.name);
    expect(names).toEqual(["cookie-a"]);
    // A forged cookie is nobody.
    expect((await fetch(url, { headers: { cookie: "authjs.session-token=forged", "X-Ingot-Client": "web" } })).status).toBe(401);
    // The project switcher's cookie cannot select a project the user is not in.
    const other = await fetch(url, { headers: { cookie: `${cookies.alice}; ingot_project=${P.b}`, "X-Ingot-Client": "web" } });
    expect(((await other.json()) as { nodes: { uuid: string }[] }).nodes.map((n) => n.uuid)).toEqual([mine.uuid]);
  });

  it("GET /v1/projects names the caller's projects (all of them for system readers)", async () => {
    const get = async (cookie: string) =>
      ((await (await fetch(`${srv.url}/baremetal/v1/projects`, { headers: { cookie, "X-Ingot-Client": "web" } })).json()) as { projects: { name: string }[] }).projects.map((p) => p.name);
    expect(await get(cookies.alice)).toEqual(["live-a"]);
    expect(await get(cookies.admin)).toEqual(expect.arrayContaining(["live-a", "live-b"]));
  });
});

describe("typed client", () => {
  it("negotiates the highest common version, honours per-call versions and reads Ironic errors", async () => {
    const headers = { cookie: cookies.admin };
    const client = new IngotClient({ baseUrl: `${srv.url}/baremetal`, minVersion: "1.78", headers });
    expect(await client.negotiate()).toBe("1.96");
    const n = await node({ name: "client-node" });
    const latest = await client.get<Record<string, unknown>>(`/nodes/${n.uuid}`);
    expect(latest).toHaveProperty("disable_power_off"); // a 1.95 field
    const old = await client.get<Record<string, unknown>>(`/nodes/${n.uuid}`, { version: "1.50" });
    expect(old).not.toHaveProperty("shard"); // 1.82
    const err = await client.get(`/nodes/does-not-exist`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(404);
    expect((err as ApiError).faultstring).toBe("Node does-not-exist could not be found.");
    const tooNew = new IngotClient({ baseUrl: `${srv.url}/baremetal`, minVersion: "1.200", headers });
    await expect(tooNew.negotiate()).rejects.toThrow(/up to 1\.96; this client needs 1\.200/);
  });
});

interface Socket {
  ws: WebSocket;
  messages: { type: string; nodes?: string[] | "*"; jobs?: string[] }[];
  closed: Promise<number>;
  ready: Promise<void>;
}

function openLive(headers: Record<string, string>): Socket {
  const ws = new WebSocket(`${srv.url.replace(/^http/, "ws")}/ws/events`, { headers });
  const messages: Socket["messages"] = [];
  let ready!: () => void;
  const s: Socket = { ws, messages, closed: new Promise((r) => ws.on("close", (code) => r(code))), ready: new Promise((r) => (ready = r)) };
  ws.on("message", (data) => {
    const msg = JSON.parse(String(data));
    messages.push(msg);
    if (msg.type === "hello") ready();
  });
  return s;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("/ws/events", () => {
  it("refuses without a session and from another origin", async () => {
    expect(await openLive({}).closed).toBe(4401);
    expect(await openLive({ cookie: cookies.alice, origin: "http://evil.example" }).closed).toBe(4403);
  });

  it("tells each viewer only about nodes they can see, coalesced", async () => {
    const a = await node({ name: "live-a-node", owner: P.a });
    const b = await node({ name: "live-b-node", lessee: P.b });
    const admin = openLive({ cookie: cookies.admin });
    const alice = openLive({ cookie: cookies.alice, origin: srv.url });
    const bob = openLive({ cookie: cookies.bob });
    await Promise.all([admin.ready, alice.ready, bob.ready]);
    for (let i = 0; i < 5; i++) publishNodeChange((await getNodeById(db.sql, a.id))!);
    publishNodeChange((await getNodeById(db.sql, b.id))!);
    liveEvents().publish({ type: "job", id: "job-1", state: "running", userId: "someone-else", at: new Date().toISOString() });
    const changed = (s: Socket) => s.messages.filter((m) => m.type === "invalidate").flatMap((m) => (m.nodes === "*" ? ["*"] : m.nodes ?? []));
    await until(() => changed(admin).length >= 2 && changed(alice).length >= 1 && changed(bob).length >= 1);
    await new Promise((r) => setTimeout(r, 250)); // anything late would show now
    expect(new Set(changed(admin))).toEqual(new Set([a.uuid, b.uuid]));
    expect(changed(alice)).toEqual([a.uuid]); // five changes, one message
    expect(changed(bob)).toEqual([b.uuid]); // lessee sees it
    const jobs = (s: Socket) => s.messages.flatMap((m) => m.jobs ?? []);
    expect(jobs(admin)).toEqual(["job-1"]);
    expect(jobs(alice)).toEqual([]);
    for (const s of [admin, alice, bob]) s.ws.close();
  });

  it("announces writes made through the API (create, PATCH), not only the conductor's", async () => {
    const alice = openLive({ cookie: cookies.alice });
    await alice.ready;
    const headers = { cookie: cookies.alice, "X-Ingot-Client": "web", "Content-Type": "application/json", "X-OpenStack-Ironic-API-Version": "1.96" };
    const mine = await node({ name: "patched-a", owner: P.a });
    const res = await fetch(`${srv.url}/baremetal/v1/nodes/${mine.uuid}`, {
      method: "PATCH", headers, body: JSON.stringify([{ op: "add", path: "/extra/rack", value: "R9" }]),
    });
    expect(res.status).toBe(200);
    await until(() => alice.messages.some((m) => Array.isArray(m.nodes) && m.nodes.includes(mine.uuid)));
    const admin = openLive({ cookie: cookies.admin });
    await admin.ready;
    const created = await fetch(`${srv.url}/baremetal/v1/nodes`, {
      method: "POST", headers: { ...headers, cookie: cookies.admin }, body: JSON.stringify({ driver: "fake-hardware", name: "created-live" }),
    });
    expect(created.status).toBe(201);
    const uuid = ((await created.json()) as { uuid: string }).uuid;
    await until(() => admin.messages.some((m) => Array.isArray(m.nodes) && m.nodes.includes(uuid)));
    alice.ws.close();
    admin.ws.close();
  });
});
