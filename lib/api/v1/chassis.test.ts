import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertNode } from "../../core/db/nodes.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let env: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
});
afterAll(async () => env.cleanup());

describe("chassis", () => {
  let uuid: string;

  it("creates with Ironic's shape (nodes links nested as 21.x does)", async () => {
    const r = await api("POST", "/v1/chassis", { body: { description: "rack 1", extra: { a: 1 } } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(["uuid", "created_at", "updated_at", "description", "extra", "links", "nodes"]);
    expect(r.body.nodes[0][0].href).toBe(`http://127.0.0.1:3000/baremetal/v1/chassis/${r.body.uuid}/nodes`);
    uuid = r.body.uuid;
  });

  it("rejects bad bodies with 400", async () => {
    expect((await api("POST", "/v1/chassis", { body: { foo: 1 } })).error).toBe(
      "Schema error for chassis: Additional properties are not allowed ('foo' was unexpected)",
    );
    expect((await api("POST", "/v1/chassis", { body: { description: 5 } })).status).toBe(400);
    expect((await api("POST", "/v1/chassis", { body: { uuid: "nope" } })).error).toBe("Expected UUID for uuid: nope");
    expect((await api("POST", "/v1/chassis", { body: { uuid } })).status).toBe(409);
  });

  it("gets, lists, pages", async () => {
    await api("POST", "/v1/chassis", { body: { description: "rack 2" } });
    expect((await api("GET", "/v1/chassis/nope")).error).toBe("Expected UUID for chassis_uuid: nope");
    expect((await api("GET", "/v1/chassis/0b1c8b3c-9a1d-4a4e-9a4c-6f2a9b0f0000")).status).toBe(404);
    const list = await api("GET", "/v1/chassis?limit=1");
    expect(Object.keys(list.body.chassis[0])).toEqual(["uuid", "description", "links"]);
    expect(list.body.next).toBe(
      `http://127.0.0.1:3000/baremetal/v1/chassis?sort_key=id&sort_dir=asc&fields=uuid,description&limit=1&marker=${uuid}`,
    );
    const next = await api("GET", list.body.next.replace("http://127.0.0.1:3000/baremetal", ""));
    expect(next.body.chassis[0].description).toBe("rack 2");
    expect((await api("GET", "/v1/chassis/detail")).body.chassis[0].extra).toEqual({ a: 1 });
    expect(Object.keys((await api("GET", `/v1/chassis/${uuid}?fields=extra`)).body)).toEqual(["extra", "links"]);
  });

  it("lists its nodes and refuses deletion while it has some", async () => {
    const c = await env.sql.get<{ id: number }>(`SELECT "id" FROM "Chassis" WHERE "uuid" = ?`, [uuid]);
    const n = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", name: "cn1", chassisId: c!.id });
    const nodes = await api("GET", `/v1/chassis/${uuid}/nodes`);
    expect(nodes.status).toBe(200);
    expect(nodes.body.nodes).toHaveLength(1);
    expect(Object.keys(nodes.body.nodes[0])).toEqual(["uuid", "instance_uuid", "maintenance", "power_state", "provision_state", "name", "links"]);
    const detail = await api("GET", `/v1/chassis/${uuid}/nodes/detail`);
    expect(detail.body.nodes[0].driver).toBe("fake-hardware");
    const del = await api("DELETE", `/v1/chassis/${uuid}`);
    expect(del.status).toBe(400);
    expect(del.error).toBe(`Cannot complete the requested action because chassis ${uuid} contains nodes.`);
    await env.sql.run(`UPDATE "Node" SET "chassisId" = NULL WHERE "id" = ?`, [n.id]);
  });

  it("patches description/extra only and deletes", async () => {
    const r = await api("PATCH", `/v1/chassis/${uuid}`, { body: [{ op: "replace", path: "/description", value: "d2" }] });
    expect(r.body.description).toBe("d2");
    expect(r.body.updated_at).not.toBeNull();
    expect((await api("PATCH", `/v1/chassis/${uuid}`, { body: [{ op: "replace", path: "/uuid", value: "x" }] })).status).toBe(400);
    expect((await api("PATCH", `/v1/chassis/${uuid}`, { body: [{ op: "add", path: "/extra/b", value: 2 }] })).body.extra).toEqual({ a: 1, b: 2 });
    expect((await api("DELETE", `/v1/chassis/${uuid}`)).status).toBe(204);
  });
});
