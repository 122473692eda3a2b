// Features gated at Ironic's microversions above the maximum Ingot announces (MAX_MINOR): at every
// version Ingot announces they answer as before the feature (as Ironic 21.4.4 does, where it has
// the request at all), and at their own version — reached here through the test-only override of
// lib/testing/versions.ts — they work, ready for the day MAX_MINOR gets there.
// (1.112 runbook description and traits: node_steps.test.ts.)
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { getNodeByUuid, updateNode } from "../../core/db/nodes.ts";
import { recordHistory } from "../../core/history.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

vi.mock("../version.ts", async (original) =>
  (await import("../../testing/versions.ts")).versionsAboveMax(await original()));

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  await startConductor({ hostname: "above-max-conductor", periodic: false });
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

const settle = () => getConductor().pool.drain();

async function newNode(name: string): Promise<string> {
  const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name } });
  expect(r.status, r.error ?? "").toBe(201);
  return r.body.uuid;
}

describe("1.98: ~0 and ~1 escapes in PATCH paths", () => {
  it("are refused by the path pattern up to the maximum, as Ironic 21.4 refuses them", async () => {
    await newNode("esc-1");
    const r = await api("PATCH", "/v1/nodes/esc-1", { body: [{ op: "add", path: "/extra/a~1b", value: 1 }] });
    expect([r.status, r.error]).toEqual([400, "Schema error for patch: '/extra/a~1b' does not match '^(/[\\\\w-]+)+$'"]);
  });

  it("name keys holding / and ~ at 1.98", async () => {
    await newNode("esc-2");
    const r = await api("PATCH", "/v1/nodes/esc-2", { body: [{ op: "add", path: "/extra/a~1b~0c", value: 1 }], version: 98 });
    expect(r.status, r.error ?? "").toBe(200);
    expect(r.body.extra).toEqual({ "a/b~c": 1 });
  });
});

describe("1.104: the node's instance_name", () => {
  it("is not shown nor filtered on up to the maximum; shown and filtered on at 1.104", async () => {
    const uuid = await newNode("named-1");
    await updateNode(db.sql, (await getNodeByUuid(db.sql, uuid))!.id, { instanceName: "web-01" });
    expect((await api("GET", "/v1/nodes/named-1")).body).not.toHaveProperty("instance_name");
    expect((await api("GET", "/v1/nodes?instance_name=web-01")).status).toBe(406);
    expect((await api("GET", "/v1/nodes/named-1", { version: 104 })).body.instance_name).toBe("web-01");
    const listed = await api("GET", "/v1/nodes?instance_name=web-01&fields=uuid", { version: 104 });
    expect(listed.body.nodes).toEqual([expect.objectContaining({ uuid })]);
  });
});

describe("1.108: disable_ramdisk with service", () => {
  it("is for manual cleaning only up to the maximum; accepted with service at 1.108", async () => {
    await newNode("svc-ramdisk");
    for (const target of ["manage", "provide", "active"]) {
      expect((await api("PUT", "/v1/nodes/svc-ramdisk/states/provision", { body: { target } })).status).toBe(202);
      await settle();
    }
    const body = { target: "service", service_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "WakeOnLan", value: "false" }] } }], disable_ramdisk: true };
    const refused = await api("PUT", "/v1/nodes/svc-ramdisk/states/provision", { body });
    expect([refused.status, refused.error]).toEqual([400, "disable_ramdisk is supported only with manual cleaning"]);
    const r = await api("PUT", "/v1/nodes/svc-ramdisk/states/provision", { body, version: 108 });
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    expect((await api("GET", "/v1/nodes/svc-ramdisk")).body.provision_state).toBe("active");
  });
});

describe("1.113: the project of a history row", () => {
  it("is not in the detailed history up to the maximum; it is at 1.113", async () => {
    const uuid = await newNode("hist-project");
    const node = (await getNodeByUuid(db.sql, uuid))!;
    await recordHistory(db.sql, { id: node.id }, { event: { kind: "note", message: "x" }, eventType: "provisioning", user: "u", project: "p-1", conductor: "c" });
    const row = (minor?: number) => api("GET", "/v1/nodes/hist-project/history?detail=True", { version: minor }).then((r) => r.body.history.at(-1));
    expect(await row()).not.toHaveProperty("project");
    expect((await row(113)).project).toBe("p-1");
  });
});
