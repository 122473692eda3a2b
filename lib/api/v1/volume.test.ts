import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertNode, type NodeRecord } from "../../core/db/nodes.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let env: TestDb;
let node: NodeRecord;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
  node = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", name: "vn1", powerState: "power off" });
});
afterAll(async () => env.cleanup());

describe("volume", () => {
  it("GET /v1/volume is gated at 1.32 and links both collections", async () => {
    expect((await api("GET", "/v1/volume", { version: 31 })).status).toBe(404);
    const r = await api("GET", "/v1/volume");
    expect(Object.keys(r.body)).toEqual(["links", "connectors", "targets"]);
    expect(r.body.connectors[0].href).toBe("http://127.0.0.1:3000/baremetal/v1/volume/connectors");
  });

  let connector: string;
  let target: string;

  it("creates connectors; (type, connector_id) is unique", async () => {
    const body = { node_uuid: node.uuid, type: "iqn", connector_id: "iqn.2010-10.org.openstack:1" };
    const r = await api("POST", "/v1/volume/connectors", { body });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(["uuid", "created_at", "updated_at", "connector_id", "extra", "type", "links", "node_uuid"]);
    connector = r.body.uuid;
    const dup = await api("POST", "/v1/volume/connectors", { body });
    expect(dup.status).toBe(409);
    expect(dup.error).toBe("A volume connector with type iqn and connector ID iqn.2010-10.org.openstack:1 already exists.");
    expect((await api("POST", "/v1/volume/connectors", { body: { node_uuid: node.uuid, type: "iqn" } })).error).toBe(
      "Schema error for connector: 'connector_id' is a required property",
    );
  });

  it("creates targets; boot_index unique per node; password-like properties masked", async () => {
    const r = await api("POST", "/v1/volume/targets", {
      body: { node_uuid: node.uuid, volume_type: "iscsi", volume_id: "v1", boot_index: 0, properties: { auth_password: "s3cret", target_iqn: "x" } },
    });
    expect(r.status).toBe(201);
    expect(r.body.properties).toEqual({ auth_password: "******", target_iqn: "x" });
    target = r.body.uuid;
    const dup = await api("POST", "/v1/volume/targets", { body: { node_uuid: node.uuid, volume_type: "iscsi", volume_id: "v2", boot_index: 0 } });
    expect(dup.status).toBe(409);
    expect(dup.error).toBe("A volume target with boot index '0' for the same node already exists.");
    expect((await api("POST", "/v1/volume/targets", { body: { node_uuid: node.uuid, volume_type: "iscsi", volume_id: "v3", boot_index: "x" } })).status).toBe(400);
  });

  it("lists with defaults, node filter, detail and paging", async () => {
    const c = await api("GET", "/v1/volume/connectors");
    expect(Object.keys(c.body.connectors[0])).toEqual(["uuid", "connector_id", "type", "links", "node_uuid"]);
    const t = await api("GET", "/v1/volume/targets?limit=1");
    expect(Object.keys(t.body.targets[0])).toEqual(["uuid", "boot_index", "volume_id", "volume_type", "links", "node_uuid"]);
    expect(t.body.next).toContain("fields=uuid,node_uuid,volume_type,boot_index,volume_id&limit=1&marker=");
    expect((await api("GET", "/v1/volume/targets?node=vn1&detail=True")).body.targets[0].properties.target_iqn).toBe("x");
    expect((await api("GET", "/v1/volume/targets?node=nope")).status).toBe(404);
    expect((await api("GET", "/v1/volume/connectors?detail=True&fields=uuid")).error).toBe("Can't fetch a subset of fields with 'detail' set");
    expect((await api("GET", "/v1/volume/targets/detail")).error).toBe("Expected UUID for target_uuid: detail");
  });

  it("patches only while powered off", async () => {
    const ok = await api("PATCH", `/v1/volume/targets/${target}`, { body: [{ op: "replace", path: "/boot_index", value: 1 }] });
    expect(ok.status).toBe(200);
    expect(ok.body.boot_index).toBe(1);
    expect(ok.body.properties.auth_password).toBe("******");
    const stored = await env.sql.get<{ properties: string }>(`SELECT "properties" FROM "VolumeTarget" WHERE "uuid" = ?`, [target]);
    expect(JSON.parse(stored!.properties).auth_password).toBe("s3cret");
    const bad = await api("PATCH", `/v1/volume/targets/${target}`, { body: [{ op: "replace", path: "/uuid", value: "x" }] });
    expect(bad.error).toBe("Cannot patch /uuid. Only the following can be updated: boot_index, extra, node_uuid, properties, volume_id, volume_type");
    await env.sql.run(`UPDATE "Node" SET "powerState" = 'power on' WHERE "id" = ?`, [node.id]);
    const on = await api("PATCH", `/v1/volume/connectors/${connector}`, { body: [{ op: "add", path: "/extra/a", value: 1 }] });
    expect(on.status).toBe(400);
    expect(on.error).toBe(`The requested action "volume connector update" can not be performed on node "${node.uuid}" while it is in state "power on".`);
    expect((await api("DELETE", `/v1/volume/connectors/${connector}`)).status).toBe(400);
    await env.sql.run(`UPDATE "Node" SET "powerState" = 'power off' WHERE "id" = ?`, [node.id]);
  });

  it("deletes", async () => {
    expect((await api("DELETE", `/v1/volume/connectors/${connector}`)).status).toBe(204);
    expect((await api("DELETE", `/v1/volume/targets/${target}`)).status).toBe(204);
    expect((await api("GET", `/v1/volume/targets/${target}`)).status).toBe(404);
  });
});
