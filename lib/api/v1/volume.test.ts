import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { getNodeByUuid, insertNode, type NodeRecord } from "../../core/db/nodes.ts";
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

describe("boot from volume (fake-hardware, storage fake/external)", () => {
  beforeAll(async () => {
    await startConductor({ hostname: "bfv-conductor", periodic: false });
  });
  afterAll(async () => stopConductor());
  const settle = () => getConductor().pool.drain();

  async function availableNode(name: string, storage: string): Promise<string> {
    const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name, storage_interface: storage } });
    expect(r.status, r.error ?? "").toBe(201);
    for (const target of ["manage", "provide"]) {
      expect((await api("PUT", `/v1/nodes/${name}/states/provision`, { body: { target } })).status).toBe(202);
      await settle();
    }
    expect((await api("GET", `/v1/nodes/${name}`)).body.provision_state).toBe("available");
    return r.body.uuid;
  }
  const provision = (name: string, target: string) => api("PUT", `/v1/nodes/${name}/states/provision`, { body: { target } });
  const events = async (name: string): Promise<string[]> =>
    (await api("GET", `/v1/nodes/${name}/history`)).body.history.map((h: { event: string }) => h.event);

  it("lists fake and external as enabled storage interfaces, default noop", async () => {
    const d = (await api("GET", "/v1/drivers/fake-hardware")).body;
    expect(d.default_storage_interface).toBe("noop");
    expect(d.enabled_storage_interfaces).toEqual(["noop", "fake", "external"]);
  });

  it("deploys to active without writing an image; undeploy detaches the volumes", async () => {
    const uuid = await availableNode("bfv1", "fake");
    expect((await api("POST", "/v1/volume/connectors", { body: { node_uuid: uuid, type: "iqn", connector_id: "iqn.2004-06.org.ingot:bfv1" } })).status).toBe(201);
    expect((await api("POST", "/v1/volume/targets", { body: { node_uuid: uuid, volume_type: "iscsi", volume_id: "vol-bfv1", boot_index: 0 } })).status).toBe(201);
    const r = await provision("bfv1", "active");
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    const node = (await getNodeByUuid(env.sql, uuid))!;
    expect(node.provisionState).toBe("active");
    expect(node.driverInternalInfo.boot_from_volume).toMatchObject({ volume_id: "vol-bfv1", volume_type: "iscsi" });
    expect(node.driverInternalInfo.attached_volumes).toEqual([expect.objectContaining({ volume_id: "vol-bfv1", boot_index: 0 })]);
    const ev = await events("bfv1");
    expect(ev.some((e) => e.startsWith("Node boots from volume vol-bfv1 (iscsi target "))).toBe(true);
    expect(ev.filter((e) => e.startsWith("Started deploy step")).map((e) => e.replace("Started deploy step ", ""))).toEqual(["deploy.deploy"]);

    expect((await provision("bfv1", "deleted")).status).toBe(202);
    await settle();
    const after = (await getNodeByUuid(env.sql, uuid))!;
    expect(after.provisionState).toBe("available");
    expect(after.driverInternalInfo.attached_volumes).toBeUndefined();
    expect(after.driverInternalInfo.boot_from_volume).toBeUndefined();
    expect((await events("bfv1")).some((e) => e === "Detached volumes (boot volume vol-bfv1) through storage interface fake")).toBe(true);
  });

  it("refuses a boot-from-volume deploy without a volume connector (400)", async () => {
    const uuid = await availableNode("bfv2", "fake");
    expect((await api("POST", "/v1/volume/targets", { body: { node_uuid: uuid, volume_type: "iscsi", volume_id: "vol-bfv2", boot_index: 0 } })).status).toBe(201);
    const r = await provision("bfv2", "active");
    expect(r.status).toBe(400);
    expect(r.error).toBe(
      `Node ${uuid} is set to boot from volume vol-bfv2 (volume target ${(await api("GET", "/v1/volume/targets?node=bfv2")).body.targets[0].uuid}, storage interface "fake") but has no volume connector; create one with POST /v1/volume/connectors.`,
    );
    // a connector of the wrong kind for an iSCSI target is refused too
    expect((await api("POST", "/v1/volume/connectors", { body: { node_uuid: uuid, type: "wwpn", connector_id: "20:00:00:00:00:00:00:01" } })).status).toBe(201);
    expect((await provision("bfv2", "active")).error).toBe(
      `Node ${uuid} cannot boot from iscsi volume vol-bfv2: it needs a volume connector of type iqn (it has wwpn).`,
    );
    expect((await api("GET", "/v1/nodes/bfv2")).body.provision_state).toBe("available");
  });

  it("external storage: boot_from_volume requested without a boot target is a 400; noop storage ignores targets", async () => {
    await availableNode("bfv3", "external");
    await api("PATCH", "/v1/nodes/bfv3", { body: [{ op: "add", path: "/instance_info/boot_from_volume", value: true }] });
    const r = await provision("bfv3", "active");
    expect(r.status).toBe(400);
    expect(r.error).toMatch(/^Failed to validate external storage interface for node \S+: it is set to boot from volume but has no volume target with boot_index 0/);

    const uuid = await availableNode("bfv4", "noop");
    await api("POST", "/v1/volume/targets", { body: { node_uuid: uuid, volume_type: "iscsi", volume_id: "vol-bfv4", boot_index: 0 } });
    expect((await provision("bfv4", "active")).status).toBe(202);
    await settle();
    const node = (await getNodeByUuid(env.sql, uuid))!;
    expect(node.provisionState).toBe("active");
    expect(node.driverInternalInfo.boot_from_volume).toBeUndefined();
  });
});
