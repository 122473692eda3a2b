import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertNode, type NodeRecord } from "../../core/db/nodes.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { MAX_MINOR } from "../version.ts";

let env: TestDb;
let node: NodeRecord;
let node2: NodeRecord;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
  node = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", name: "n1" });
  node2 = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", name: "n2", shard: "s1" });
});
afterAll(async () => env.cleanup());

describe("ports", () => {
  let portUuid: string;

  it("creates a port with a normalized MAC and Ironic's field order", async () => {
    const r = await api("POST", "/v1/ports", { body: { address: "AA:BB:CC:DD:EE:01", node_uuid: node.uuid } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual([
      "uuid", "created_at", "updated_at", "address", "extra", "internal_info", "is_smartnic", "local_link_connection",
      ...(MAX_MINOR >= 88 ? ["name"] : []), "physical_network", "pxe_enabled", "node_uuid", "links", "portgroup_uuid",
    ]);
    if (MAX_MINOR >= 88) expect(r.body.name).toBeNull();
    expect(r.body.address).toBe("aa:bb:cc:dd:ee:01");
    expect(r.body.pxe_enabled).toBe(true);
    expect(r.body.updated_at).toBeNull();
    expect(r.headers.get("Location")).toBe(`http://127.0.0.1:3000/baremetal/v1/ports/${r.body.uuid}`);
    portUuid = r.body.uuid;
  });

  it("refuses duplicates, bad MACs, unknown nodes and unknown fields with 4xx", async () => {
    const dup = await api("POST", "/v1/ports", { body: { address: "aa-bb-cc-dd-ee-01", node_uuid: node.uuid } });
    expect(dup.status).toBe(409);
    expect(dup.error).toBe("A port with MAC address aa:bb:cc:dd:ee:01 already exists.");
    const bad = await api("POST", "/v1/ports", { body: { address: "zz", node_uuid: node.uuid } });
    expect(bad.status).toBe(400);
    expect(bad.error).toBe("Expected valid MAC address for address: zz");
    const missing = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:09", node_uuid: "0b1c8b3c-9a1d-4a4e-9a4c-6f2a9b0f0000" } });
    expect(missing.status).toBe(400);
    expect(missing.error).toBe("Node 0b1c8b3c-9a1d-4a4e-9a4c-6f2a9b0f0000 could not be found.");
    const byName = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:09", node_uuid: "n1" } });
    expect(byName.status).toBe(400);
    expect(byName.error).toBe("Expected UUID for node_uuid: n1");
    const extra = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:09", node_uuid: node.uuid, foo: 1 } });
    expect(extra.status).toBe(400);
    expect(extra.error).toMatch(/^Schema error for port: Additional properties are not allowed \('foo' was unexpected\)/);
    const noNode = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:09" }, version: Math.min(93, MAX_MINOR) });
    expect(noNode.error).toBe("Schema error for port: 'node_uuid' is a required property");
    if (MAX_MINOR >= 94) {
      const noNode94 = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:09" }, version: 94 });
      expect(noNode94.error).toBe("Schema error for port: one of 'node_uuid' and 'node_ident' is required.");
    }
    const wrongType = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:09", node_uuid: node.uuid, extra: "x" } });
    expect(wrongType.status).toBe(400);
    const pxe = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:09", node_uuid: node.uuid, pxe_enabled: "maybe" } });
    expect(pxe.status).toBe(400);
    expect(pxe.error).toMatch(/^Invalid pxe_enabled: Unrecognized value 'maybe'/);
    const malformed = await api("POST", "/v1/ports", { rawBody: "{bad" });
    expect(malformed.status).toBe(400);
    const arr = await api("POST", "/v1/ports", { body: [] });
    expect(arr.status).toBe(400);
    const smart = await api("POST", "/v1/ports", { body: { address: "aa:bb:cc:dd:ee:09", node_uuid: node.uuid, is_smartnic: true }, version: 52 });
    expect(smart.status).toBe(406);
    const llc = await api("POST", "/v1/ports", {
      body: { address: "aa:bb:cc:dd:ee:09", node_uuid: node.uuid, local_link_connection: { switch_id: "zz" } },
    });
    expect(llc.status).toBe(400);
    expect(llc.error).toMatch(/'port_id' is a required property/);
  });

  it("accepts string booleans and a valid local_link_connection", async () => {
    const r = await api("POST", "/v1/ports", {
      body: {
        address: "aa:bb:cc:dd:ee:02", node_uuid: node2.uuid, pxe_enabled: "no", physical_network: "physnet1",
        local_link_connection: { switch_id: "0a:1b:2c:3d:4e:5f", port_id: "Ethernet1/1", switch_info: "sw1" },
      },
    });
    expect(r.status).toBe(201);
    expect(r.body.pxe_enabled).toBe(false);
    expect(r.body.local_link_connection.port_id).toBe("Ethernet1/1");
  });

  it("hides newer fields at old versions", async () => {
    const r = await api("GET", `/v1/ports/${portUuid}`, { version: 1 });
    expect(Object.keys(r.body)).toEqual(["uuid", "created_at", "updated_at", "address", "extra", "node_uuid", "links"]);
  });

  it("lists with default fields, filters, fields and next links", async () => {
    const all = await api("GET", "/v1/ports");
    expect(all.body.ports).toHaveLength(2);
    expect(Object.keys(all.body.ports[0])).toEqual(["uuid", "address", "links"]);
    expect(all.body.next).toBeUndefined();
    const page = await api("GET", "/v1/ports?limit=1");
    expect(page.body.ports).toHaveLength(1);
    expect(page.body.next).toBe(
      `http://127.0.0.1:3000/baremetal/v1/ports?sort_key=id&sort_dir=asc&fields=uuid,address&limit=1&marker=${portUuid}`,
    );
    const page2 = await api("GET", `/v1/ports?limit=1&marker=${portUuid}`);
    expect(page2.body.ports[0].address).toBe("aa:bb:cc:dd:ee:02");
    expect((await api("GET", "/v1/ports?node=n2")).body.ports).toHaveLength(1);
    expect((await api("GET", `/v1/ports?node_uuid=${node.uuid}`)).body.ports[0].uuid).toBe(portUuid);
    expect((await api("GET", "/v1/ports?address=AA:BB:CC:DD:EE:02")).body.ports).toHaveLength(1);
    expect((await api("GET", "/v1/ports?shard=s1")).body.ports).toHaveLength(1);
    expect((await api("GET", "/v1/ports?node=nope")).status).toBe(404);
    expect((await api("GET", "/v1/ports?node_uuid=nope")).status).toBe(400);
    expect((await api("GET", "/v1/ports?address=zz")).status).toBe(400);
    expect((await api("GET", "/v1/ports?portgroup=nope")).status).toBe(404);
    const f = await api("GET", "/v1/ports?fields=uuid,node_uuid,portgroup_uuid");
    expect(Object.keys(f.body.ports[0])).toEqual(["uuid", "node_uuid", "links", "portgroup_uuid"]);
    expect((await api("GET", "/v1/ports?fields=bogus")).status).toBe(400);
    expect((await api("GET", "/v1/ports?fields=is_smartnic", { version: 52 })).status).toBe(406);
    expect((await api("GET", "/v1/ports?fields=uuid", { version: 7 })).status).toBe(406);
    expect((await api("GET", "/v1/ports?detail=True&fields=uuid")).status).toBe(400);
    expect((await api("GET", "/v1/ports?sort_key=extra")).status).toBe(400);
    expect((await api("GET", "/v1/ports?sort_dir=up")).status).toBe(400);
    expect((await api("GET", "/v1/ports?limit=0")).status).toBe(400);
    const detail = await api("GET", "/v1/ports/detail?limit=1");
    expect(detail.body.ports[0].extra).toEqual({});
    expect(detail.body.next).toMatch(/\/v1\/ports\/detail\?sort_key=id&sort_dir=asc&limit=1&marker=/);
    const desc = await api("GET", "/v1/ports?sort_key=address&sort_dir=desc");
    expect(desc.body.ports.map((p: any) => p.address)).toEqual(["aa:bb:cc:dd:ee:02", "aa:bb:cc:dd:ee:01"]);
    expect((await api("GET", "/v1/ports/detail?fields=uuid")).status).toBe(400);
    expect((await api("GET", "/v1/ports?marker=0b1c8b3c-9a1d-4a4e-9a4c-6f2a9b0f0000")).status).toBe(404);
  });

  it("gets by uuid only before 1.88 (400 for non-uuid), by name after; 404 for unknown", async () => {
    expect((await api("GET", "/v1/ports/aa:bb:cc:dd:ee:01", { version: Math.min(87, MAX_MINOR) })).status).toBe(400);
    if (MAX_MINOR >= 88) expect((await api("GET", "/v1/ports/aa:bb:cc:dd:ee:01", { version: 88 })).status).toBe(404);
    const r = await api("GET", `/v1/ports/${node.uuid}`);
    expect(r.status).toBe(404);
    expect(r.error).toBe(`Port ${node.uuid} could not be found.`);
    const f = await api("GET", `/v1/ports/${portUuid}?fields=address`);
    expect(Object.keys(f.body)).toEqual(["address", "links"]);
  });

  it("patches allowed fields and refuses the rest", async () => {
    const r = await api("PATCH", `/v1/ports/${portUuid}`, {
      body: [{ op: "add", path: "/extra/foo", value: "bar" }, { op: "replace", path: "/pxe_enabled", value: false }],
    });
    expect(r.status).toBe(200);
    expect(r.body.extra).toEqual({ foo: "bar" });
    expect(r.body.pxe_enabled).toBe(false);
    expect(r.body.updated_at).not.toBeNull();
    const bad = await api("PATCH", `/v1/ports/${portUuid}`, { body: [{ op: "replace", path: "/internal_info", value: {} }] });
    expect(bad.status).toBe(400);
    expect(bad.error).toBe(
      "Cannot patch /internal_info. Only the following can be updated: address, extra, is_smartnic, local_link_connection, name, node_uuid, physical_network, portgroup_uuid, pxe_enabled",
    );
    const dup = await api("PATCH", `/v1/ports/${portUuid}`, { body: [{ op: "replace", path: "/address", value: "aa:bb:cc:dd:ee:02" }] });
    expect(dup.status).toBe(409);
    const notList = await api("PATCH", `/v1/ports/${portUuid}`, { body: {} });
    expect(notList.status).toBe(400);
    const rm = await api("PATCH", `/v1/ports/${portUuid}`, { body: [{ op: "remove", path: "/node_uuid" }] });
    expect(rm.status).toBe(400);
    const move = await api("PATCH", `/v1/ports/${portUuid}`, { body: [{ op: "replace", path: "/node_uuid", value: node2.uuid }] });
    expect(move.status).toBe(200);
    expect(move.body.node_uuid).toBe(node2.uuid);
    const gated = await api("PATCH", `/v1/ports/${portUuid}`, { body: [{ op: "replace", path: "/physical_network", value: "x" }], version: 33 });
    expect(gated.status).toBe(406);
  });

  it("deletes", async () => {
    expect((await api("DELETE", `/v1/ports/${portUuid}`)).status).toBe(204);
    expect((await api("DELETE", `/v1/ports/${portUuid}`)).status).toBe(404);
  });
});
