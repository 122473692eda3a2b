// The conductor RPC: the listener's authentication and whitelist, errors crossing the wire as the
// same classes, and routing between two conductors (A in this process, B behind its own RPC
// listener) on one database.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Conductor, registerConductor, startConductor, stopConductor, getConductor } from "../core/conductor/index.ts";
import {
  callRemote, CONDUCTOR_API_METHODS, fromWireError, roleFromEnv, rpcSecret, secretMatches, setLocalConductorProvider, toWireError,
} from "../core/conductor/rpc.ts";
import { getNodeByUuid } from "../core/db/nodes.ts";
import { InvalidStateRequested, IronicError, NodeLocked, NodeNotFound, TemporaryFailure } from "../core/errors.ts";
import { resetHashRing } from "../core/hashring.ts";
import { api } from "../testing/api.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { startRpcServer, type RpcServer } from "./rpc.ts";

const SECRET = "rpc-test-secret-0123456789";
let db: TestDb;
let rpcA: RpcServer;
let rpcB: RpcServer;
let b: Conductor;
const owned: Record<string, string[]> = { "cond-a": [], "cond-b": [] };

async function post(url: string, body: unknown, secret: string | null = SECRET, raw?: string) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (secret !== null) headers.authorization = `Bearer ${secret}`;
  const res = await fetch(`${url}/rpc`, { method: "POST", headers, body: raw ?? JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

const historyHosts = async (uuid: string) =>
  (await db.sql.all(`SELECT "conductor" FROM "NodeHistory" WHERE "uuid" IN (SELECT "uuid" FROM "Node" WHERE "uuid" = ?) OR "nodeId" = (SELECT "id" FROM "Node" WHERE "uuid" = ?)`, [uuid, uuid]))
    .map((r) => r.conductor as string | null);

beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  process.env.INGOT_RPC_SECRET = SECRET;
  db = await createTestDb();
  rpcA = await startRpcServer({ port: 0, target: () => getConductor() });
  await startConductor({ hostname: "cond-a", periodic: false, rpcUrl: rpcA.url });
  b = new Conductor({ hostname: "cond-b" });
  rpcB = await startRpcServer({ port: 0, target: () => b });
  await registerConductor(b, rpcB.url);
  resetHashRing();
  for (let i = 0; owned["cond-a"].length < 2 || owned["cond-b"].length < 3; i++) {
    const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name: `rpc-${i}` } });
    expect(r.status, r.error ?? "").toBe(201);
    owned[r.body.conductor as string].push(r.body.uuid);
    if (i > 40) throw new Error("the ring never gave both conductors nodes");
  }
});
afterAll(async () => {
  setLocalConductorProvider(null);
  await b?.pool.drain();
  await rpcB?.close();
  await stopConductor();
  await rpcA?.close();
  await db.cleanup();
  delete process.env.INGOT_RPC_SECRET;
});

describe("RPC listener", () => {
  it("refuses calls without the secret or with a wrong one (401), before reading the call", async () => {
    const call = { method: "validate", args: [1] };
    for (const secret of [null, "", "rpc-test-secret-012345678", `${SECRET}x`, "wrong"]) {
      const r = await post(rpcB.url, call, secret);
      expect(r.status).toBe(401);
      expect(r.body.error).toMatchObject({ name: "NotAuthorized", status: 401 });
    }
  });

  it("answers only the ConductorApi methods (400 otherwise) and malformed calls with 400", async () => {
    for (const method of ["hostname", "constructor", "lock", "pool", "toString", "__proto__", "db", 42, null]) {
      const r = await post(rpcB.url, { method, args: [1] });
      expect(r.status, String(method)).toBe(400);
      expect(r.body.error.message).toMatch(/^Unknown conductor method/);
    }
    expect((await post(rpcB.url, null, SECRET, "{not json")).status).toBe(400);
    expect((await post(rpcB.url, { method: "validate", args: "1" })).status).toBe(400);
    expect((await post(rpcB.url, { method: "validate", args: ["x"] })).status).toBe(400);
    const get = await fetch(`${rpcB.url}/rpc`);
    expect(get.status).toBe(405);
    expect((await fetch(`${rpcB.url}/api/health`)).status).toBe(200);
  });

  it("caps the body size (413)", async () => {
    const small = await startRpcServer({ port: 0, target: () => b, maxBodyBytes: 1024 });
    try {
      const r = await post(small.url, { method: "validate", args: [1, "x".repeat(4096)] });
      expect(r.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it("runs a whitelisted method and returns its result", async () => {
    const node = (await getNodeByUuid(db.sql, owned["cond-b"][0]))!;
    const r = await post(rpcB.url, { method: "getSupportedBootDevices", args: [node.id] });
    expect(r.status).toBe(200);
    expect(r.body.result).toEqual(await b.getSupportedBootDevices(node.id));
    expect(CONDUCTOR_API_METHODS).toContain("provision");
  });
});

describe("settings", () => {
  it("INGOT_ROLE accepts all, api and conductor only", () => {
    const saved = process.env.INGOT_ROLE;
    try {
      for (const v of ["", "all", "API", " conductor "]) {
        process.env.INGOT_ROLE = v;
        expect(roleFromEnv()).toBe(v.trim().toLowerCase() || "all");
      }
      process.env.INGOT_ROLE = "worker";
      expect(() => roleFromEnv()).toThrow(/INGOT_ROLE must be one of all, api, conductor/);
    } finally {
      if (saved === undefined) delete process.env.INGOT_ROLE;
      else process.env.INGOT_ROLE = saved;
    }
  });

  it("the secret: INGOT_RPC_SECRET, else data/rpc-secret created once (0600); compared exactly", async () => {
    const { mkdtempSync, readFileSync, statSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    expect(rpcSecret()).toBe(SECRET);
    const dir = mkdtempSync(join(tmpdir(), "ingot-rpc-secret-"));
    const saved = process.env.INGOT_DATA_DIR;
    try {
      delete process.env.INGOT_RPC_SECRET;
      process.env.INGOT_DATA_DIR = dir;
      const s = rpcSecret();
      expect(s.length).toBeGreaterThanOrEqual(32);
      expect(readFileSync(join(dir, "rpc-secret"), "utf8").trim()).toBe(s);
      expect(statSync(join(dir, "rpc-secret")).mode & 0o777).toBe(0o600);
      expect(rpcSecret()).toBe(s);
    } finally {
      process.env.INGOT_RPC_SECRET = SECRET;
      if (saved === undefined) delete process.env.INGOT_DATA_DIR;
      else process.env.INGOT_DATA_DIR = saved;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(secretMatches("abc", "abc")).toBe(true);
    expect(secretMatches("abc", "abd")).toBe(false);
    expect(secretMatches("abc", "abcd")).toBe(false);
    expect(secretMatches("", "abc")).toBe(false);
  });
});

describe("errors on the wire", () => {
  it("come back as the same classes with the same status and message", async () => {
    for (const err of [new NodeLocked("n-1", "host-x"), new NodeNotFound("n-2"), new InvalidStateRequested("deploy", "n-3", "enroll"), new TemporaryFailure()]) {
      const back = fromWireError(JSON.parse(JSON.stringify(toWireError(err))));
      expect(back).toBeInstanceOf(err.constructor);
      expect(back).toBeInstanceOf(IronicError);
      expect(back.name).toBe(err.name);
      expect(back.message).toBe(err.message);
      expect((back as IronicError).status).toBe(err.status);
    }
    // Internal failures stay internal (the API answers a plain 500).
    const internal = fromWireError(toWireError(new TypeError("boom")));
    expect(internal).not.toBeInstanceOf(IronicError);
  });

  it("a remote Invalid / NodeLocked (and a success) gives the byte-identical API answer of the local path", async () => {
    const uuid = owned["cond-b"][0];
    const node = (await getNodeByUuid(db.sql, uuid))!;
    const thrown = await callRemote("cond-b", rpcB.url, "provision", [node.id, "active", {}, { user: null, project: null }, 96]).catch((e) => e);
    expect(thrown).toBeInstanceOf(InvalidStateRequested);

    const lock = async () => void (await db.sql.run(`UPDATE "Node" SET "reservation" = ? WHERE "uuid" = ?`, ["someone-else", uuid]));
    const cases: [string, () => Promise<void>, string, string, unknown, number][] = [
      ["unsupported boot device", async () => undefined, "PUT", "management/boot_device", { boot_device: "floppy" }, 400],
      ["a success (virtual media attached)", async () => undefined, "POST", "vmedia", { device_type: "cdrom", image_url: "http://images.example/x.iso" }, 204],
      ["locked", lock, "PUT", "states/power", { target: "power on" }, 409],
    ];
    const spy = vi.spyOn(globalThis, "fetch");
    try {
      for (const [label, prepare, method, path, body, status] of cases) {
        await prepare();
        setLocalConductorProvider(null);
        spy.mockClear();
        const remote = await api(method, `/v1/nodes/${uuid}/${path}`, { body });
        // It crossed the wire to B's listener...
        expect(spy.mock.calls.filter(([u]) => String(u) === `${rpcB.url}/rpc`).length, label).toBe(1);
        // ...and answers exactly as the same call made on B in this process.
        setLocalConductorProvider(() => b);
        const local = await api(method, `/v1/nodes/${uuid}/${path}`, { body });
        setLocalConductorProvider(null);
        expect(remote.status, label).toBe(status);
        expect(local.status, label).toBe(status);
        expect(JSON.stringify(remote.body), label).toBe(JSON.stringify(local.body));
      }
    } finally {
      spy.mockRestore();
      setLocalConductorProvider(null);
    }
    expect((await api("GET", `/v1/nodes/${uuid}`)).body.reservation).toBe("someone-else");
    await db.sql.run(`UPDATE "Node" SET "reservation" = NULL WHERE "uuid" = ?`, [uuid]);
  });
});

describe("routing", () => {
  it("sends each node's work to its conductor: B's nodes are worked on by B, A's by A", async () => {
    for (const uuid of [...owned["cond-a"], ...owned["cond-b"].slice(1)]) {
      const r = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "manage" } });
      expect(r.status, r.error ?? "").toBe(202);
    }
    await getConductor().pool.drain();
    await b.pool.drain();
    for (const [host, uuids] of Object.entries(owned)) {
      for (const uuid of host === "cond-b" ? uuids.slice(1) : uuids) {
        const n = (await api("GET", `/v1/nodes/${uuid}`)).body;
        expect(n.provision_state, uuid).toBe("manageable");
        const hosts = (await historyHosts(uuid)).filter((h) => h !== null);
        expect(hosts.length, uuid).toBeGreaterThan(0);
        expect(new Set(hosts), uuid).toEqual(new Set([host]));
      }
    }
  });

  it("a dead owner answers 503 naming it; once its heartbeat is stale the next call goes to the new owner", async () => {
    const uuid = owned["cond-b"][1];
    await rpcB.close();
    const r = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "provide" } });
    expect(r.status).toBe(503);
    expect(r.error).toMatch(/^Conductor cond-b does not answer/);
    // B's heartbeat goes stale (as after a kill -9): the ring drops it.
    await db.sql.run(`UPDATE "Conductor" SET "updatedAt" = ? WHERE "hostname" = ?`, [new Date(Date.now() - 3600_000), "cond-b"]);
    const again = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "provide" } });
    expect(again.status, again.error ?? "").toBe(202);
    await getConductor().pool.drain();
    const n = (await api("GET", `/v1/nodes/${uuid}`)).body;
    expect(n.conductor).toBe("cond-a");
    expect(n.provision_state).toBe("available");
    expect(await historyHosts(uuid)).toContain("cond-a");
  });

  it("no alive conductor at all: 503 'No valid host was found' from an api-only process", async () => {
    setLocalConductorProvider(() => null);
    try {
      await db.sql.run(`UPDATE "Conductor" SET "updatedAt" = ?`, [new Date(Date.now() - 3600_000)]);
      resetHashRing();
      const r = await api("PUT", `/v1/nodes/${owned["cond-a"][0]}/states/provision`, { body: { target: "provide" } });
      expect(r.status).toBe(503);
      expect(r.error).toMatch(/^No valid host was found/);
    } finally {
      await db.sql.run(`UPDATE "Conductor" SET "updatedAt" = ? WHERE "hostname" = ?`, [new Date(), "cond-a"]);
      resetHashRing();
      setLocalConductorProvider(null);
    }
  });
});
