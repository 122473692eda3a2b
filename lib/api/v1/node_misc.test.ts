// Node sub-resources through the API and the real conductor.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { getNodeByUuid, updateNode } from "../../core/db/nodes.ts";
import { recordHistory } from "../../core/history.ts";
import { createUser } from "../../core/users.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { MAX_MINOR } from "../version.ts";

let db: TestDb;
let uuid = "";
let nodeId = 0;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  await startConductor({ hostname: "misc-conductor", periodic: false });
  const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name: "m-1" } });
  uuid = r.body.uuid;
  nodeId = (await getNodeByUuid(db.sql, uuid))!.id;
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

describe("traits", () => {
  it("replaces, adds, lists and removes", async () => {
    let r = await api("PUT", "/v1/nodes/m-1/traits", { body: { traits: ["CUSTOM_A", "HW_CPU_X86_VMX"] } });
    expect(r.status).toBe(204);
    r = await api("PUT", "/v1/nodes/m-1/traits/CUSTOM_B");
    expect(r.status).toBe(204);
    expect(r.headers.get("location")).toBe("http://127.0.0.1:3000/baremetal/v1/nodes/m-1/traits/CUSTOM_B");
    r = await api("GET", "/v1/nodes/m-1/traits");
    expect(r.body).toEqual({ traits: ["CUSTOM_A", "CUSTOM_B", "HW_CPU_X86_VMX"] });
    expect((await api("GET", "/v1/nodes/m-1")).body.traits).toEqual(["CUSTOM_A", "CUSTOM_B", "HW_CPU_X86_VMX"]);
    r = await api("DELETE", "/v1/nodes/m-1/traits/CUSTOM_A");
    expect(r.status).toBe(204);
    r = await api("DELETE", "/v1/nodes/m-1/traits/CUSTOM_ZZ");
    expect(r.status).toBe(404);
    expect(r.error).toBe(`Node ${uuid} doesn't have a trait 'CUSTOM_ZZ'`);
    r = await api("DELETE", "/v1/nodes/m-1/traits");
    expect(r.status).toBe(204);
    expect((await api("GET", "/v1/nodes/m-1/traits")).body).toEqual({ traits: [] });
  });
  it("validates", async () => {
    const usage = /^A single node trait may be added via PUT/;
    expect((await api("PUT", "/v1/nodes/m-1/traits", { body: {} })).error).toMatch(usage);
    expect((await api("PUT", "/v1/nodes/m-1/traits")).error).toMatch(usage);
    expect((await api("PUT", "/v1/nodes/m-1/traits/CUSTOM_B", { body: { traits: [] } })).error).toMatch(usage);
    expect((await api("PUT", "/v1/nodes/m-1/traits", { body: { traits: "x" } })).error).toBe("Schema error for body: 'x' is not of type 'array'");
    expect((await api("PUT", "/v1/nodes/m-1/traits", { body: { traits: ["bad"] } })).error).toMatch(/^Schema error for body: 'bad' is not valid/);
    expect((await api("PUT", "/v1/nodes/m-1/traits/bad")).error).toMatch(/^Schema error for trait: 'bad'/);
    const many = Array.from({ length: 51 }, (_, i) => `CUSTOM_T${i}`);
    expect((await api("PUT", "/v1/nodes/m-1/traits", { body: { traits: many } })).status).toBe(400);
    expect((await api("GET", "/v1/nodes/m-1/traits", { version: 36 })).status).toBe(406);
  });
});

describe("maintenance, vifs, management, validate", () => {
  it("maintenance set/clear", async () => {
    let r = await api("PUT", "/v1/nodes/m-1/maintenance", { body: { reason: "because" } });
    expect(r.status).toBe(202);
    let n = (await api("GET", "/v1/nodes/m-1")).body;
    expect(n.maintenance).toBe(true);
    expect(n.maintenance_reason).toBe("because");
    expect((await api("PUT", "/v1/nodes/m-1/maintenance", { body: { reason: 5 } })).error).toBe("Expected string for reason: 5");
    expect((await api("PUT", "/v1/nodes/m-1/maintenance", { body: { foo: 1 } })).error).toBe("Unexpected arguments: foo");
    r = await api("DELETE", "/v1/nodes/m-1/maintenance");
    expect(r.status).toBe(202);
    n = (await api("GET", "/v1/nodes/m-1")).body;
    expect(n.maintenance).toBe(false);
    expect(n.maintenance_reason).toBeNull();
  });
  it("vifs (1.28)", async () => {
    expect((await api("GET", "/v1/nodes/m-1/vifs")).body).toEqual({ vifs: [] });
    expect((await api("GET", "/v1/nodes/m-1/vifs", { version: 27 })).status).toBe(404);
    expect((await api("POST", "/v1/nodes/m-1/vifs", { body: {} })).error).toBe("Schema error for vif: 'id' is a required property");
    const r = await api("POST", "/v1/nodes/m-1/vifs", { body: { id: "vif-1" } });
    expect([204, 400]).toContain(r.status); // depends on the network interface having ports
    expect((await api("DELETE", "/v1/nodes/m-1/vifs/vif-1")).status).toBeLessThan(500);
  });
  it("boot device, inject NMI, indicators", async () => {
    expect((await api("GET", "/v1/nodes/m-1/management/boot_device")).body).toEqual({ boot_device: "pxe", persistent: false });
    expect((await api("GET", "/v1/nodes/m-1/management/boot_device/supported")).body).toEqual({ supported_boot_devices: ["pxe"] });
    expect((await api("PUT", "/v1/nodes/m-1/management/boot_device", { body: { boot_device: "pxe", persistent: true } })).status).toBe(204);
    expect((await api("PUT", "/v1/nodes/m-1/management/boot_device", { body: { boot_device: "bogus" } })).error).toBe("Invalid boot device bogus specified.");
    expect((await api("PUT", "/v1/nodes/m-1/management/boot_device", { body: {} })).error).toBe("Missing mandatory parameter: boot_device");
    expect((await api("PUT", "/v1/nodes/m-1/management/boot_device", { body: { boot_device: "pxe", persistent: "x" } })).error).toMatch(/^Invalid persistent/);
    expect((await api("PUT", "/v1/nodes/m-1/management/inject_nmi", { body: { x: 1 } })).error).toBe("Unexpected arguments: x");
    expect((await api("PUT", "/v1/nodes/m-1/management/inject_nmi", { body: {}, version: 28 })).status).toBe(404);
    expect((await api("PUT", "/v1/nodes/m-1/management/inject_nmi", { body: {} })).status).toBeLessThan(500);
    const ind = await api("GET", "/v1/nodes/m-1/management/indicators");
    expect(ind.status).toBe(200);
    const first = ind.body.indicators[0];
    expect(Object.keys(first)).toEqual(["name", "component", "readonly", "states", "links"]);
    expect(first.name).toMatch(/@/);
    expect((await api("GET", `/v1/nodes/m-1/management/indicators/${first.name}`)).body).toHaveProperty("state");
    expect((await api("GET", "/v1/nodes/m-1/management/indicators/led")).error).toBe('Malformed indicator name "led"');
    expect((await api("GET", "/v1/nodes/m-1/management/indicators/nope@system")).error).toBe("Invalid indicator nope specified.");
    expect((await api("GET", "/v1/nodes/m-1/management/indicators", { version: 62 })).status).toBe(404);
  });
  it("validate", async () => {
    const r = await api("GET", "/v1/nodes/m-1/validate");
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(expect.arrayContaining(["boot", "deploy", "management", "network", "power"]));
    expect(r.body.power).toEqual({ result: true });
    // firmware is validated from 1.86 on (reference §2.3)
    expect((await api("GET", "/v1/nodes/m-1/validate", { version: Math.min(85, MAX_MINOR) })).body).not.toHaveProperty("firmware");
    if (MAX_MINOR >= 86) expect((await api("GET", "/v1/nodes/m-1/validate", { version: 86 })).body.firmware).toEqual({ result: true });
  });
});

describe("history, bios, inventory, allocation", () => {
  it("history (1.78)", async () => {
    await db.sql.run(`DELETE FROM "NodeHistory" WHERE "nodeId" = ?`, [nodeId]);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await recordHistory(db.sql, { id: nodeId }, { event: { kind: "note", message: i === 2 ? "x".repeat(300) : `event ${i}` }, eventType: "provisioning", severity: "ERROR", user: "u", conductor: "c" }));
    let r = await api("GET", "/v1/nodes/m-1/history");
    expect(r.body.history).toHaveLength(3);
    expect(Object.keys(r.body.history[0])).toEqual(["uuid", "created_at", "severity", "event"]);
    expect(r.body.history[2].event).toHaveLength(255);
    expect(r.body.history[2].event.endsWith("...")).toBe(true);
    r = await api("GET", "/v1/nodes/m-1/history?detail=True&limit=2");
    expect(Object.keys(r.body.history[0])).toEqual(["uuid", "created_at", "severity", "event", "event_type", "conductor", "user"]);
    expect(r.body.next).toContain(`marker=${ids[1]}`);
    r = await api("GET", "/v1/nodes/m-1/history/detail");
    expect(r.body.history).toHaveLength(3);
    expect(r.body.history[0].event_type).toBe("provisioning");
    r = await api("GET", `/v1/nodes/m-1/history?marker=${ids[1]}`);
    expect(r.body.history.map((h: any) => h.uuid)).toEqual([ids[2]]);
    r = await api("GET", `/v1/nodes/m-1/history/${ids[2]}`);
    expect(r.body.event).toHaveLength(300);
    expect(r.body.event_type).toBe("provisioning");
    r = await api("GET", "/v1/nodes/m-1/history/1be26c0b-03f2-4d2e-ae87-c02d7f33c125");
    expect(r.status).toBe(404);
    expect(r.error).toBe("Node history record 1be26c0b-03f2-4d2e-ae87-c02d7f33c125 could not be found.");
    expect((await api("GET", "/v1/nodes/m-1/history", { version: 77 })).status).toBe(404);
  });
  it("history with Ingot's structured=True carries each row's structured fields, Ironic's keys unchanged", async () => {
    await db.sql.run(`DELETE FROM "NodeHistory" WHERE "nodeId" = ?`, [nodeId]);
    const step = { kind: "clean" as const, interface: "bios", step: "apply_configuration" };
    const ids = [
      await recordHistory(db.sql, { id: nodeId }, { event: { kind: "provision_transition", from: "manageable", to: "cleaning", provisionEvent: "clean" }, eventType: "transition" }),
      await recordHistory(db.sql, { id: nodeId }, { event: { kind: "step_failed", step, error: "read-only" }, eventType: "provisioning", severity: "ERROR" }),
      await recordHistory(db.sql, { id: nodeId }, { event: { kind: "maintenance", message: "Maintenance cleared" }, eventType: "conductor" }),
    ];
    const plain = await api("GET", "/v1/nodes/m-1/history?detail=True");
    let r = await api("GET", "/v1/nodes/m-1/history?detail=True&structured=True");
    expect(r.status).toBe(200);
    // Ironic's part of each row is the same, in the same order; `structured` comes last.
    expect(r.body.history.map(({ structured: _, ...ironic }: any) => ironic)).toEqual(plain.body.history);
    expect(Object.keys(r.body.history[0])).toEqual(["uuid", "created_at", "severity", "event", "event_type", "conductor", "user", "structured"]);
    expect(r.body.history.map((h: any) => h.structured)).toEqual([
      { kind: "provision_transition", from_state: "manageable", to_state: "cleaning", provision_event: "clean", power_target: null, step_kind: null, step_interface: null, step: null, error: null, user_name: null },
      { kind: "step_failed", from_state: null, to_state: null, provision_event: null, power_target: null, step_kind: "clean", step_interface: "bios", step: "apply_configuration", error: "read-only", user_name: null },
      { kind: "maintenance", from_state: null, to_state: null, provision_event: null, power_target: null, step_kind: null, step_interface: null, step: null, error: null, user_name: null },
    ]);
    expect(plain.body.history.map((h: any) => h.event)).toEqual([
      'Provision state changed from "manageable" to "cleaning" (event "clean")', "Failed clean step bios.apply_configuration: read-only", "Maintenance cleared",
    ]);
    // Paging keeps asking for it; the short list and the detail path take it too.
    r = await api("GET", "/v1/nodes/m-1/history?structured=True&limit=1");
    expect(Object.keys(r.body.history[0])).toEqual(["uuid", "created_at", "severity", "event", "structured"]);
    expect(r.body.next).toContain("structured=True");
    r = await api("GET", "/v1/nodes/m-1/history/detail?structured=true");
    expect(r.body.history[1].structured.kind).toBe("step_failed");
    r = await api("GET", `/v1/nodes/m-1/history/${ids[0]}?structured=True`);
    expect(r.body.structured.to_state).toBe("cleaning");
    expect(Object.keys((await api("GET", `/v1/nodes/m-1/history/${ids[0]}`)).body)).not.toContain("structured");
    expect((await api("GET", "/v1/nodes/m-1/history?structured=False")).body.history[0]).not.toHaveProperty("structured");
    // The user behind a row's user id, by name.
    const alice = await createUser(db.sql, { username: "alice-hist", password: "alice-password-1" });
    await db.sql.run(`UPDATE "NodeHistory" SET "user" = ? WHERE "uuid" = ?`, [alice.id, ids[2]]);
    r = await api("GET", "/v1/nodes/m-1/history?detail=True&structured=True");
    expect(r.body.history.map((h: any) => [h.user, h.structured.user_name])).toEqual([[null, null], [null, null], [alice.id, "alice-hist"]]);
    expect((await api("GET", `/v1/nodes/m-1/history/${ids[2]}?structured=True`)).body.structured.user_name).toBe("alice-hist");
    r = await api("GET", "/v1/nodes/m-1/history?structured=maybe");
    expect(r.status).toBe(400);
    expect(r.error).toContain("Invalid structured: Unrecognized value 'maybe'");
  });
  it("bios (1.40, detail/fields 1.74)", async () => {
    await db.sql.run(`INSERT INTO "BiosSetting" ("nodeId", "name", "value", "attributeType", "allowableValues", "readOnly", "createdAt") VALUES (?, 'ProcVirt', 'Enabled', 'Enumeration', '["Enabled","Disabled"]', ?, ?)`, [nodeId, false, new Date()]);
    let r = await api("GET", "/v1/nodes/m-1/bios");
    expect(Object.keys(r.body.bios[0])).toEqual(["created_at", "updated_at", "name", "value", "links"]);
    r = await api("GET", "/v1/nodes/m-1/bios?detail=True");
    expect(r.body.bios[0].allowable_values).toEqual(["Enabled", "Disabled"]);
    expect(r.body.bios[0].read_only).toBe(false);
    r = await api("GET", "/v1/nodes/m-1/bios?fields=name");
    expect(Object.keys(r.body.bios[0])).toEqual(["created_at", "updated_at", "name", "links"]);
    expect((await api("GET", "/v1/nodes/m-1/bios?detail=true", { version: 73 })).error).toBe("Invalid query parameter ?detail=true received.");
    r = await api("GET", "/v1/nodes/m-1/bios/ProcVirt");
    expect(r.body.ProcVirt.value).toBe("Enabled");
    expect(r.body.ProcVirt.attribute_type).toBe("Enumeration");
    r = await api("GET", "/v1/nodes/m-1/bios/Nope");
    expect(r.status).toBe(404);
    expect(r.error).toBe(`Node ${uuid} doesn't have a BIOS setting 'Nope'`);
    expect((await api("GET", "/v1/nodes/m-1/bios", { version: 39 })).status).toBe(404);
  });
  it("inventory (1.81)", async () => {
    let r = await api("GET", "/v1/nodes/m-1/inventory");
    expect(r.status).toBe(404);
    await db.sql.run(`INSERT INTO "NodeInventory" ("nodeId", "inventory", "pluginData", "createdAt") VALUES (?, '{"cpu": {"count": 4}}', '{"x": 1}', ?)`, [nodeId, new Date().toISOString()]);
    r = await api("GET", "/v1/nodes/m-1/inventory");
    expect(r.body).toEqual({ inventory: { cpu: { count: 4 } }, plugin_data: { x: 1 } });
    expect((await api("GET", "/v1/nodes/m-1/inventory", { version: 80 })).status).toBe(404);
  });
  it("allocation (1.52)", async () => {
    let r = await api("GET", "/v1/nodes/m-1/allocation");
    expect(r.status).toBe(404);
    expect(r.error).toBe("Allocation for node m-1 was not found");
    await db.sql.run(`INSERT INTO "Allocation" ("uuid", "state", "nodeId", "resourceClass", "createdAt") VALUES ('4be26c0b-03f2-4d2e-ae87-c02d7f33c123', 'active', ?, 'rc', ?)`, [nodeId, new Date().toISOString()]);
    const al = await db.sql.get<{ id: number }>(`SELECT "id" FROM "Allocation"`);
    await updateNode(db.sql, nodeId, { allocationId: al!.id, instanceUuid: "4be26c0b-03f2-4d2e-ae87-c02d7f33c123" });
    r = await api("GET", "/v1/nodes/m-1/allocation");
    expect(r.body.uuid).toBe("4be26c0b-03f2-4d2e-ae87-c02d7f33c123");
    expect(r.body.node_uuid).toBe(uuid);
    r = await api("DELETE", "/v1/nodes/m-1/allocation");
    expect(r.status).toBe(204);
    const n = (await api("GET", "/v1/nodes/m-1")).body;
    expect(n.allocation_uuid).toBeNull();
    expect(n.instance_uuid).toBeNull();
  });
});

describe("sub-collections and vendor passthru", () => {
  it("ports/portgroups/volume of a node", async () => {
    const p = await api("POST", "/v1/ports", { body: { address: "52:54:00:00:00:01", node_uuid: uuid } });
    expect(p.status, p.error ?? "").toBe(201);
    let r = await api("GET", "/v1/nodes/m-1/ports");
    expect(r.body.ports.map((x: any) => x.address)).toEqual(["52:54:00:00:00:01"]);
    r = await api("GET", "/v1/nodes/m-1/ports/detail");
    expect(r.body.ports[0].node_uuid).toBe(uuid);
    expect((await api("GET", "/v1/nodes/m-1/portgroups")).body).toEqual({ portgroups: [] });
    expect((await api("GET", "/v1/nodes/m-1/portgroups", { version: 23 })).status).toBe(404);
    r = await api("GET", "/v1/nodes/m-1/volume");
    expect(Object.keys(r.body)).toEqual(["links", "connectors", "targets"]);
    expect((await api("GET", "/v1/nodes/m-1/volume/connectors")).body).toEqual({ connectors: [] });
    expect((await api("GET", "/v1/nodes/m-1/volume/targets")).body).toEqual({ targets: [] });
  });
  it("vendor passthru", async () => {
    const m = await api("GET", "/v1/nodes/m-1/vendor_passthru/methods");
    expect(m.status).toBe(200);
    expect((await api("POST", "/v1/nodes/m-1/vendor_passthru", { body: {} })).error).toBe("Missing mandatory parameter: method");
    expect((await api("POST", "/v1/nodes/m-1/vendor_passthru?method=first_method", { body: {} })).error).toBe("No handler for method first_method");
    await getConductor().pool.drain();
  });
});
