// The list pages' rendering cache must never show a stale node or leak one caller's view to another.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../core/auth.ts";
import { findNode, releaseNode, reserveNode } from "../core/db/nodes.ts";
import type { Principal } from "../core/policy.ts";
import { api } from "../testing/api.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";

let env: TestDb;
const principals: Record<string, Principal> = {
  admin: { userId: "a", username: "admin", systemRole: "admin", projectId: null, projectRole: null },
  owner: { userId: "o", username: "owner", systemRole: null, projectId: "p-owner", projectRole: "admin" },
  lessee: { userId: "l", username: "lessee", systemRole: null, projectId: "p-lessee", projectRole: "admin" },
};
const as = (user: string) => ({ headers: { "X-Test-User": user } });

beforeAll(async () => {
  env = await createTestDb();
  process.env.INGOT_API_AUTH = "";
  setCredentialResolver(async (req) => principals[req.headers.get("X-Test-User") ?? ""] ?? null);
  const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name: "cached", owner: "p-owner", lessee: "p-lessee" }, ...as("admin") });
  expect(r.status).toBe(201);
});
afterAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  await env.cleanup();
});

const listed = async (user: string, query = "detail=True") =>
  (await api("GET", `/v1/nodes?${query}`, as(user))).body.nodes.find((n: { name: string }) => n.name === "cached");

describe("node list rendering cache", () => {
  it("shows a change made after the node was listed", async () => {
    expect((await listed("admin")).description).toBeNull();
    await api("PATCH", "/v1/nodes/cached", { body: [{ op: "add", path: "/description", value: "changed" }], ...as("admin") });
    expect((await listed("admin")).description).toBe("changed");
  });

  it("shows lock changes (the reservation is part of the node)", async () => {
    const node = (await findNode(env.sql, "cached"))!;
    await listed("admin");
    expect(await reserveNode(env.sql, node.id, "some-host")).toBe(true);
    expect((await listed("admin")).reservation).toBe("some-host");
    await releaseNode(env.sql, node.id, "some-host");
    expect((await listed("admin")).reservation).toBeNull();
  });

  it("keeps each caller's redactions apart", async () => {
    await env.sql.run(`UPDATE "Node" SET "lastError" = 'secret detail', "version" = "version" + 1 WHERE "name" = 'cached'`);
    expect((await listed("owner")).last_error).toBe("secret detail");
    expect((await listed("lessee")).last_error).toMatch(/Redacted/);
    expect((await listed("owner")).last_error).toBe("secret detail");
    expect((await listed("admin")).last_error).toBe("secret detail");
  });

  it("shows the conductor that owns the node now, after the conductors change", async () => {
    const addConductor = (hostname: string) =>
      env.sql.run(`INSERT INTO "Conductor" ("hostname", "conductorGroup", "online", "drivers", "createdAt", "updatedAt") VALUES (?, '', ?, ?, ?, ?)`, [
        hostname, true, JSON.stringify(["fake-hardware"]), new Date(), new Date(),
      ]);
    try {
      await addConductor("cache-c1");
      expect((await listed("admin")).conductor).toBe("cache-c1");
      // The node's row is unchanged (same version), only the conductors are not.
      await env.sql.run(`UPDATE "Conductor" SET "online" = ? WHERE "hostname" = 'cache-c1'`, [false]);
      await addConductor("cache-c2");
      expect((await listed("admin")).conductor).toBe("cache-c2");
      expect((await listed("admin", "fields=uuid,name,conductor")).conductor).toBe("cache-c2");
    } finally {
      await env.sql.run(`DELETE FROM "Conductor" WHERE "hostname" IN ('cache-c1', 'cache-c2')`);
    }
    expect((await listed("admin")).conductor).toBeNull();
  });

  it("keeps field selections and microversions apart", async () => {
    const full = await listed("admin");
    const some = await listed("admin", "fields=uuid,name");
    expect(Object.keys(some).sort()).toEqual(["links", "name", "uuid"]);
    expect(full.owner).toBe("p-owner");
    const old = (await api("GET", "/v1/nodes/detail", { version: "1.40", ...as("admin") })).body.nodes[0];
    expect(old.owner).toBeUndefined();
    expect((await listed("admin")).owner).toBe("p-owner");
  });
});
