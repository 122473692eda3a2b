import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { insertNode, type NodeRecord } from "../../core/db/nodes.ts";
import type { Principal } from "../../core/policy.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let env: TestDb;
let node: NodeRecord;
let other: NodeRecord;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
  node = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", name: "pg-node", owner: "proj-a" });
  other = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", name: "pg-other", owner: "proj-b" });
});
afterAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  await env.cleanup();
});

describe("portgroups", () => {
  let pg: string;

  it("does not exist before 1.23", async () => {
    expect((await api("GET", "/v1/portgroups", { version: 22 })).status).toBe(404);
    expect((await api("POST", "/v1/portgroups", { version: 22, body: { node_uuid: node.uuid } })).status).toBe(404);
  });

  it("creates with defaults and Ironic's field order", async () => {
    const r = await api("POST", "/v1/portgroups", {
      body: { node_uuid: node.uuid, name: "pg1", address: "AA:BB:CC:DD:EE:11", properties: { miimon: "100" } },
    });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual([
      "uuid", "created_at", "updated_at", "address", "extra", "internal_info", "mode", "name", "properties",
      "standalone_ports_supported", "node_uuid", "links", "ports",
    ]);
    expect(r.body.mode).toBe("active-backup");
    expect(r.body.address).toBe("aa:bb:cc:dd:ee:11");
    pg = r.body.uuid;
  });

  it("409 on duplicate name/address, 400 on bad input, 406 on new fields at old versions", async () => {
    const name = await api("POST", "/v1/portgroups", { body: { node_uuid: node.uuid, name: "pg1" } });
    expect(name.status).toBe(409);
    expect(name.error).toBe("A portgroup with name pg1 already exists.");
    const mac = await api("POST", "/v1/portgroups", { body: { node_uuid: node.uuid, address: "aa:bb:cc:dd:ee:11" } });
    expect(mac.status).toBe(409);
    expect(mac.error).toBe("A portgroup with MAC address aa:bb:cc:dd:ee:11 already exists.");
    const bad = await api("POST", "/v1/portgroups", { body: { node_uuid: node.uuid, name: "bad name" } });
    expect(bad.error).toBe("Cannot create portgroup with invalid name 'bad name'");
    expect((await api("POST", "/v1/portgroups", { body: { node_uuid: node.uuid, mode: "x" }, version: 25 })).status).toBe(406);
    expect((await api("POST", "/v1/portgroups", { body: { node_uuid: node.uuid, bogus: 1 } })).status).toBe(400);
    expect((await api("POST", "/v1/portgroups", { body: { name: "x" } })).status).toBe(400);
    expect((await api("POST", "/v1/portgroups", { rawBody: "[" })).status).toBe(400);
  });

  it("gets by name or uuid, lists, and hides mode/properties before 1.26", async () => {
    expect((await api("GET", "/v1/portgroups/pg1")).body.uuid).toBe(pg);
    expect((await api("GET", "/v1/portgroups/nope")).status).toBe(404);
    const old = await api("GET", `/v1/portgroups/${pg}`, { version: 25 });
    expect(old.body.mode).toBeUndefined();
    expect(old.body.ports).toBeDefined();
    const list = await api("GET", "/v1/portgroups");
    expect(Object.keys(list.body.portgroups[0])).toEqual(["uuid", "address", "name", "links"]);
    expect((await api("GET", "/v1/portgroups?node=pg-other")).body.portgroups).toHaveLength(0);
    expect((await api("GET", "/v1/portgroups/detail")).body.portgroups[0].extra).toEqual({});
  });

  it("manages port membership; refuses deletion while it has ports", async () => {
    const port = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:21", node_uuid: node.uuid, portgroup_uuid: pg } });
    expect(port.status).toBe(201);
    expect(port.body.portgroup_uuid).toBe(pg);
    const wrongNode = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:22", node_uuid: other.uuid, portgroup_uuid: pg } });
    expect(wrongNode.status).toBe(400);
    const members = await api("GET", `/v1/portgroups/${pg}/ports`);
    expect(members.body.ports.map((p: any) => p.uuid)).toEqual([port.body.uuid]);
    expect((await api("GET", `/v1/portgroups/${pg}/ports/detail`)).body.ports[0].portgroup_uuid).toBe(pg);
    expect((await api("GET", `/v1/portgroups/${pg}/ports`, { version: 23 })).status).toBe(404);
    expect((await api("GET", "/v1/ports?portgroup=pg1")).body.ports).toHaveLength(1);
    const del = await api("DELETE", `/v1/portgroups/${pg}`);
    expect(del.status).toBe(400);
    expect(del.error).toBe(`Cannot complete the requested action because portgroup ${pg} contains ports.`);
    const out = await api("PATCH", `/v1/ports/${port.body.uuid}`, { body: [{ op: "remove", path: "/portgroup_uuid" }] });
    expect(out.status).toBe(200);
    expect(out.body.portgroup_uuid).toBeNull();
  });

  it("patches and deletes", async () => {
    const r = await api("PATCH", "/v1/portgroups/pg1", {
      body: [{ op: "replace", path: "/name", value: "pg2" }, { op: "replace", path: "/mode", value: "802.3ad" }],
    });
    expect(r.status).toBe(200);
    expect(r.body.name).toBe("pg2");
    expect(r.body.mode).toBe("802.3ad");
    const bad = await api("PATCH", "/v1/portgroups/pg2", { body: [{ op: "replace", path: "/uuid", value: "x" }] });
    expect(bad.error).toBe(
      "Cannot patch /uuid. Only the following can be updated: address, extra, mode, name, node_uuid, properties, standalone_ports_supported",
    );
    expect((await api("DELETE", "/v1/portgroups/pg2")).status).toBe(204);
  });

  it("conceals other projects' portgroups and filters lists", async () => {
    await api("POST", "/v1/portgroups", { body: { node_uuid: other.uuid, name: "pg-b" } });
    await api("POST", "/v1/portgroups", { body: { node_uuid: node.uuid, name: "pg-a" } });
    const principal: Principal = { userId: "u", username: "u", systemRole: null, projectId: "proj-a", projectRole: "admin" };
    setCredentialResolver(async () => principal);
    process.env.INGOT_API_AUTH = "ingot";
    try {
      const list = await api("GET", "/v1/portgroups");
      expect(list.body.portgroups.map((p: any) => p.name)).toEqual(["pg-a"]);
      expect((await api("GET", "/v1/portgroups/pg-b")).status).toBe(404);
      expect((await api("GET", "/v1/portgroups/pg-a")).status).toBe(200);
      const create = await api("POST", "/v1/portgroups", { body: { node_uuid: other.uuid, name: "sneaky" } });
      expect(create.status).toBe(400);
    } finally {
      process.env.INGOT_API_AUTH = "noauth";
    }
  });
});
