// GET /v1/fleet (Ingot extension): paging, filters, facets, groups, policy, redaction, errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { insertNode } from "../../core/db/nodes.ts";
import type { Principal } from "../../core/policy.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { REDACTED_LAST_ERROR } from "../node_view.ts";

let db: TestDb;
const principals: Record<string, Principal> = {
  admin: { userId: "a", username: "admin", systemRole: "admin", projectId: null, projectRole: null },
  owner: { userId: "o", username: "olga", systemRole: null, projectId: "p-own", projectRole: "reader" },
  lessee: { userId: "l", username: "leo", systemRole: null, projectId: "p-lease", projectRole: "reader" },
  nobody: { userId: "n", username: "nil", systemRole: null, projectId: null, projectRole: null },
};
const as = (user: string) => ({ headers: { "X-Test-User": user } });

beforeAll(async () => {
  db = await createTestDb();
  await db.sql.run(`INSERT INTO "Project" ("id", "name") VALUES (?, ?), (?, ?)`, ["p-own", "owners", "p-lease", "tenants"]);
  for (let i = 0; i < 7; i++) {
    await insertNode(db.sql, {
      driver: "fake-hardware", name: `api-fl-${i}`, provisionState: i < 3 ? "active" : "available",
      owner: i < 5 ? "p-own" : null, lessee: i === 1 ? "p-lease" : null, lastError: i === 1 ? "kaput" : null,
      driverInfo: { ipmi_address: `192.0.2.${i}`, ipmi_password: "hunter2" },
    } as never, i % 2 ? ["CUSTOM_ODD"] : []);
  }
  setCredentialResolver(async (req) => principals[req.headers.get("X-Test-User") ?? ""] ?? null);
});
afterAll(async () => {
  setCredentialResolver(null as never);
  await db.cleanup();
});

describe("GET /v1/fleet", () => {
  it("answers a page with total, facets and project names, at any microversion", async () => {
    const r = await api("GET", "/v1/fleet?limit=2&offset=1&sort=name", { version: null, ...as("admin") });
    expect(r.status, r.error ?? "").toBe(200);
    expect(r.body.total).toBe(7);
    expect(r.body.nodes.map((n: { name: string }) => n.name)).toEqual(["api-fl-1", "api-fl-2"]);
    const n1 = r.body.nodes[0];
    expect(n1).toMatchObject({
      provision_state: "active", owner: "p-own", lessee: "p-lease", traits: ["CUSTOM_ODD"], last_error: "kaput", maintenance: false,
      driver: "fake-hardware",
    });
    expect(JSON.stringify(r.body)).not.toContain("hunter2");
    expect(r.body.facets.provision_state).toEqual([{ value: "available", count: 4 }, { value: "active", count: 3 }]);
    expect(r.body.projects).toEqual({ "p-own": "owners", "p-lease": "tenants" });
    expect(r.body.groups).toBeNull();
    expect((await api("GET", "/v1/fleet", { version: "1.1", ...as("admin") })).status).toBe(200);
  });

  it("facets=false leaves the counts out; limit=0 leaves the rows out", async () => {
    const r = await api("GET", "/v1/fleet?facets=false&limit=1", as("admin"));
    expect([r.body.facets, r.body.nodes.length, r.body.total]).toEqual([null, 1, 7]);
    const c = await api("GET", "/v1/fleet?limit=0&provision_state=active", as("admin"));
    expect([c.body.nodes, c.body.total, c.body.facets.owner]).toEqual([[], 3, [{ value: "p-own", count: 3 }]]);
  });

  it("filters with negation, groups, searches", async () => {
    const r = await api("GET", "/v1/fleet?provision_state!=active&owner=p-own&group=owner", as("admin"));
    expect(r.body.nodes.map((n: { name: string }) => n.name)).toEqual(["api-fl-3", "api-fl-4"]);
    expect(r.body.groups).toEqual([{ key: "p-own", count: 2 }]);
    const s = await api("GET", "/v1/fleet?q=192.0.2.6", as("admin"));
    expect(s.body.nodes.map((n: { name: string }) => n.name)).toEqual(["api-fl-6"]);
    expect((await api("GET", "/v1/fleet?q=hunter2", as("admin"))).body.total).toBe(0);
  });

  it("project users see only their nodes; lessees get last_error redacted like the node list", async () => {
    const own = await api("GET", "/v1/fleet", as("owner"));
    expect(own.body.total).toBe(5);
    const lease = await api("GET", "/v1/fleet", as("lessee"));
    expect(lease.body.nodes.map((n: { name: string }) => n.name)).toEqual(["api-fl-1"]);
    expect(lease.body.nodes[0].last_error).toBe(REDACTED_LAST_ERROR);
    const list = await api("GET", "/v1/nodes/api-fl-1?fields=last_error", as("lessee"));
    expect(list.body.last_error).toBe(REDACTED_LAST_ERROR);
    expect(lease.body.facets.owner).toEqual([{ value: "p-own", count: 1 }]);
    // Their own project's name and those of the projects owning or leasing their nodes, as
    // GET /v1/projects answers them; never a project they share no node with.
    expect(lease.body.projects).toEqual({ "p-lease": "tenants", "p-own": "owners" });
    await db.sql.run(`INSERT INTO "Project" ("id", "name") VALUES (?, ?)`, ["p-other", "strangers"]);
    const listed = await api("GET", "/v1/projects", as("lessee"));
    expect(listed.body.projects.map((p: { id: string }) => p.id)).toEqual(["p-own", "p-lease"]);
  });

  it("refuses callers without the list rule and bad input, in Ironic's error format", async () => {
    expect((await api("GET", "/v1/fleet", as("nobody"))).status).toBe(403);
    expect((await api("GET", "/v1/fleet")).status).toBe(401);
    const bad = await api("GET", "/v1/fleet?provision_state=nope", as("admin"));
    expect(bad.status).toBe(400);
    expect(bad.error).toMatch(/Provision state "nope" is not valid/);
    expect((await api("GET", "/v1/fleet?limit=501", as("admin"))).error).toMatch(/limit must be between 0 and 500/);
    expect((await api("GET", "/v1/fleet?facets=maybe", as("admin"))).error).toMatch(/Invalid facets/);
    expect((await api("GET", "/v1/fleet?offset=-1", as("admin"))).error).toMatch(/non-negative integer for offset/);
    expect((await api("GET", "/v1/fleet?colour=red", as("admin"))).error).toMatch(/Unknown fleet query parameter "colour"/);
  });
});
