import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processAllocation } from "../../core/allocations.ts";
import { getNodeById, insertNode, type NodeRecord } from "../../core/db/nodes.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let env: TestDb;
let avail: NodeRecord;
let traited: NodeRecord;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
  avail = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "available", powerState: "power off", resourceClass: "rc1", name: "a1" });
  traited = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "available", powerState: "power off", resourceClass: "rc2", name: "a2" }, ["CUSTOM_GPU"]);
  // Not eligible: power state unknown, in maintenance, wrong state.
  await insertNode(env.sql, { driver: "fake-hardware", provisionState: "available", resourceClass: "rc3", name: "a3" });
  await insertNode(env.sql, { driver: "fake-hardware", provisionState: "available", powerState: "power on", maintenance: true, resourceClass: "rc3", name: "a4" });
  await insertNode(env.sql, { driver: "fake-hardware", provisionState: "manageable", powerState: "power on", resourceClass: "rc3", name: "a5" });
});
afterAll(async () => env.cleanup());

async function settle(ident: string): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const r = await api("GET", `/v1/allocations/${ident}`);
    if (r.body.state !== "allocating") return r.body;
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error("allocation never settled");
}

describe("allocations", () => {
  it("is 404 (GET) / 405 (writes) below 1.52", async () => {
    expect((await api("GET", "/v1/allocations", { version: 51 })).status).toBe(404);
    expect((await api("POST", "/v1/allocations", { version: 51, body: { resource_class: "rc1" } })).status).toBe(405);
  });

  it("creates in allocating, then matches a node asynchronously", async () => {
    const r = await api("POST", "/v1/allocations", { body: { resource_class: "rc1", name: "alloc-1", extra: { k: "v" } } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual([
      "uuid", "created_at", "updated_at", "candidate_nodes", "extra", "last_error", "name", "owner", "resource_class", "state", "traits", "links", "node_uuid",
    ]);
    expect(r.body.state).toBe("allocating");
    const done = await settle(r.body.uuid);
    expect(done.state).toBe("active");
    expect(done.node_uuid).toBe(avail.uuid);
    const node = await getNodeById(env.sql, avail.id);
    expect(node!.instanceUuid).toBe(r.body.uuid);
    expect(node!.allocationId).not.toBeNull();
    expect(node!.reservation).toBeNull();
    const viaNode = await api("GET", `/v1/nodes/${avail.uuid}/allocation`);
    expect(viaNode.body.uuid).toBe(r.body.uuid);
  });

  it("fails with Ironic's messages when nothing matches", async () => {
    const none = await api("POST", "/v1/allocations", { body: { resource_class: "rc3" } });
    const a = await settle(none.body.uuid);
    expect(a.state).toBe("error");
    expect(a.last_error).toBe(`Failed to process allocation ${none.body.uuid}: no available nodes match the resource class rc3.`);
    const tr = await api("POST", "/v1/allocations", { body: { resource_class: "rc2", traits: ["CUSTOM_OTHER"] } });
    expect((await settle(tr.body.uuid)).last_error).toBe(
      `Failed to process allocation ${tr.body.uuid}: no suitable nodes have the requested traits CUSTOM_OTHER.`,
    );
    const cand = await api("POST", "/v1/allocations", { body: { resource_class: "rc2", candidate_nodes: ["a1"] } });
    expect((await settle(cand.body.uuid)).last_error).toMatch(/none of the requested nodes are available/);
  });

  it("matches traits and candidate nodes (by name, stored as uuid)", async () => {
    const r = await api("POST", "/v1/allocations", { body: { resource_class: "rc2", traits: ["CUSTOM_GPU"], candidate_nodes: ["a2"] } });
    expect(r.body.candidate_nodes).toEqual([traited.uuid]);
    const a = await settle(r.body.uuid);
    expect(a.state).toBe("active");
    expect(a.node_uuid).toBe(traited.uuid);
  });

  it("validates input (400/406/409)", async () => {
    const post = (body: unknown, version?: number) => api("POST", "/v1/allocations", { body, version });
    expect((await post({})).error).toBe("The resource_class field is mandatory when not backfilling");
    expect((await post({ resource_class: "rc1", traits: ["bad"] })).error).toMatch(/^Schema error for allocation: 'bad' is not valid under any of the given schemas/);
    expect((await post({ resource_class: "rc1", candidate_nodes: ["nonexist"] })).error).toBe("Nodes cannot be found: nonexist");
    expect((await post({ resource_class: "rc1", name: "bad name" })).error).toBe("Cannot create allocation with invalid name 'bad name'");
    expect((await post({ resource_class: "rc1", foo: 1 })).error).toBe("Schema error for allocation: Additional properties are not allowed ('foo' was unexpected)");
    expect((await post({ resource_class: 5 })).status).toBe(400);
    expect((await post({ resource_class: "rc1", owner: "x" }, 59)).status).toBe(406);
    expect((await post({ resource_class: "rc1", node: "a1" }, 57)).error).toBe("Cannot set node when creating an allocation in this API version");
    expect((await post({ resource_class: "rc1", name: "alloc-1" })).error).toBe("An allocation with name alloc-1 already exists.");
    expect((await api("POST", "/v1/allocations", { rawBody: "nope" })).status).toBe(400);
  });

  it("backfills an active node (1.58)", async () => {
    const deployed = await insertNode(env.sql, {
      driver: "fake-hardware", provisionState: "active", powerState: "power on", resourceClass: "rc9", name: "deployed",
      instanceUuid: "5a5a5a5a-0000-4000-8000-000000000001",
    });
    const r = await api("POST", "/v1/allocations", { body: { node: "deployed" } });
    expect(r.status).toBe(201);
    expect(r.body.state).toBe("active");
    expect(r.body.uuid).toBe("5a5a5a5a-0000-4000-8000-000000000001");
    expect(r.body.resource_class).toBe("rc9");
    expect(r.body.node_uuid).toBe(deployed.uuid);
    const bad = await api("POST", "/v1/allocations", { body: { node: "a5", resource_class: "rc1" } });
    expect(bad.status).toBe(400);
    expect(bad.error).toMatch(/Cannot backfill an allocation for node .*: Node must be in the "active" state, but the current state is "manageable"; Resource class rc3 does not match/);
    // Deployed node: deleting its allocation is refused unless in maintenance.
    const del = await api("DELETE", `/v1/allocations/${r.body.uuid}`);
    expect(del.status).toBe(409);
    await env.sql.run(`UPDATE "Node" SET "maintenance" = ? WHERE "id" = ?`, [true, deployed.id]);
    expect((await api("DELETE", `/v1/nodes/deployed/allocation`)).status).toBe(204);
    const n = await getNodeById(env.sql, deployed.id);
    expect(n!.instanceUuid).toBeNull();
    expect(n!.allocationId).toBeNull();
  });

  it("lists with filters, fields and paging", async () => {
    const all = await api("GET", "/v1/allocations");
    expect(all.body.allocations.length).toBeGreaterThanOrEqual(5);
    expect(all.body.allocations[0].extra).toBeDefined(); // full objects by default
    expect((await api("GET", "/v1/allocations?state=active")).body.allocations.every((a: any) => a.state === "active")).toBe(true);
    expect((await api("GET", "/v1/allocations?state=bogus")).body.allocations).toEqual([]);
    expect((await api("GET", "/v1/allocations?node=a1")).body.allocations).toHaveLength(1);
    expect((await api("GET", "/v1/allocations?node=nonexist")).status).toBe(400);
    expect((await api("GET", "/v1/allocations?resource_class=rc3")).body.allocations).toHaveLength(1);
    expect((await api("GET", "/v1/allocations?owner=x", { version: 59 })).status).toBe(406);
    const page = await api("GET", "/v1/allocations?limit=1");
    expect(page.body.next).toMatch(/\/v1\/allocations\?sort_key=id&sort_dir=asc&limit=1&marker=[0-9a-f-]{36}$/);
    expect(Object.keys((await api("GET", "/v1/allocations?fields=uuid,state")).body.allocations[0])).toEqual(["uuid", "state", "links"]);
    expect((await api("GET", "/v1/allocations?fields=owner", { version: 59 })).status).toBe(406);
    expect((await api("GET", "/v1/allocations", { version: 59 })).body.allocations[0].owner).toBeUndefined();
  });

  it("patches name/extra from 1.57 only", async () => {
    expect((await api("PATCH", "/v1/allocations/alloc-1", { body: [{ op: "replace", path: "/name", value: "x" }], version: 56 })).status).toBe(405);
    const r = await api("PATCH", "/v1/allocations/alloc-1", {
      body: [{ op: "replace", path: "/name", value: "alloc-renamed" }, { op: "add", path: "/extra/z", value: 1 }],
    });
    expect(r.status).toBe(200);
    expect(r.body.name).toBe("alloc-renamed");
    expect(r.body.extra).toEqual({ k: "v", z: 1 });
    expect((await api("PATCH", "/v1/allocations/alloc-renamed", { body: [{ op: "replace", path: "/resource_class", value: "x" }] })).error).toBe(
      "Cannot patch /resource_class. Only the following can be updated: name, extra",
    );
  });

  it("deletes an allocation of an available node and frees the node", async () => {
    expect((await api("DELETE", "/v1/allocations/alloc-renamed")).status).toBe(204);
    const n = await getNodeById(env.sql, avail.id);
    expect(n!.instanceUuid).toBeNull();
    expect(n!.allocationId).toBeNull();
    expect((await api("GET", `/v1/nodes/${avail.uuid}/allocation`)).error).toBe(`Allocation for node ${avail.uuid} was not found`);
    expect((await api("DELETE", "/v1/allocations/nonexist")).error).toBe("Allocation nonexist could not be found.");
  });

  it("processing is idempotent and skips finished allocations", async () => {
    const r = await api("POST", "/v1/allocations", { body: { resource_class: "rc1" } });
    await settle(r.body.uuid);
    const row = await env.sql.get<{ id: number }>(`SELECT "id" FROM "Allocation" WHERE "uuid" = ?`, [r.body.uuid]);
    const again = await processAllocation(env.sql, row!.id);
    expect(again!.state).toBe("active");
  });
});

describe("allocation policy", () => {
  it("project members allocate for their own project and see only their allocations", async () => {
    const { setCredentialResolver } = await import("../../core/auth.ts");
    await insertNode(env.sql, { driver: "fake-hardware", provisionState: "available", powerState: "power off", resourceClass: "rcp", name: "p1", owner: "proj-x" });
    await insertNode(env.sql, { driver: "fake-hardware", provisionState: "available", powerState: "power off", resourceClass: "rcp", name: "p2", owner: "proj-y" });
    const foreign = (await api("GET", "/v1/allocations?resource_class=rc3")).body.allocations[0].uuid;
    setCredentialResolver(async () => ({ userId: "m", username: "m", systemRole: null, projectId: "proj-x", projectRole: "member" }));
    process.env.INGOT_API_AUTH = "ingot";
    try {
      expect((await api("POST", "/v1/allocations", { body: { resource_class: "rcp", owner: "proj-y" } })).status).toBe(403);
      const r = await api("POST", "/v1/allocations", { body: { resource_class: "rcp" } });
      expect(r.status).toBe(201);
      expect(r.body.owner).toBe("proj-x");
      const a = await settle(r.body.uuid);
      expect(a.state).toBe("active");
      const list = await api("GET", "/v1/allocations");
      expect(list.body.allocations.map((x: any) => x.uuid)).toEqual([r.body.uuid]);
      expect((await api("GET", "/v1/allocations?owner=proj-y")).status).toBe(403);
      expect((await api("GET", `/v1/allocations/${foreign}`)).status).toBe(404);
    } finally {
      process.env.INGOT_API_AUTH = "noauth";
    }
    const node = (await api("GET", "/v1/allocations?resource_class=rcp")).body.allocations[0].node_uuid;
    const p1 = await env.sql.get<{ uuid: string }>(`SELECT "uuid" FROM "Node" WHERE "name" = 'p1'`);
    expect(node).toBe(p1!.uuid);
  });
});
