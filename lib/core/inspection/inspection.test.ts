// Inspection end to end through the conductor on fake-hardware: inventory, ports, properties,
// rules, resource class template, failures, inspect wait + abort.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { Conductor } from "../conductor/conductor.ts";
import type { Actor } from "../conductor/types.ts";
import { getNodeById, insertNode, type NewNode, type NodeRecord } from "../db/nodes.ts";
import { listHistory } from "../history.ts";
import { fakeInspectionData, fakeMac, GiB, localGb, propertiesFromInventory, rootDisk, type Inventory } from "./inventory.ts";
import { loadInventory } from "./store.ts";

let db: TestDb;
let conductor: Conductor;
const actor: Actor = { user: "alice", project: null };
const MINOR = 82;

beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await conductor?.pool.drain();
  await db.cleanup();
});
beforeEach(() => {
  conductor = new Conductor({ hostname: "test-conductor", workers: 10 });
});
afterEach(async () => {
  delete process.env.INGOT_INSPECTED_RESOURCE_CLASS;
  delete process.env.INGOT_INSPECTION_ADD_PORTS;
  await db.sql.run(`DELETE FROM "InspectionRule"`);
});

/** A fake-hardware node whose fake machine reports an inventory (driver_info.fake_inventory). */
async function newNode(data: Partial<NewNode> = {}): Promise<NodeRecord> {
  return insertNode(db.sql, { driver: "fake-hardware", provisionState: "manageable", ...data, driverInfo: { fake_inventory: {}, ...data.driverInfo } });
}

async function inspect(id: number): Promise<NodeRecord> {
  await conductor.provision(id, "inspect", {}, actor, MINOR);
  await conductor.pool.drain();
  return (await getNodeById(db.sql, id))!;
}

async function ports(nodeId: number) {
  return db.sql.all<{ address: string; pxeEnabled: unknown; physicalNetwork: string | null; extra: string }>(
    `SELECT * FROM "Port" WHERE "nodeId" = ? ORDER BY "address"`, [nodeId],
  );
}

async function addRule(conditions: unknown[], actions: unknown[], priority = 0): Promise<void> {
  await db.sql.run(
    `INSERT INTO "InspectionRule" ("uuid", "priority", "phase", "sensitive", "conditions", "actions", "createdAt") VALUES (?, ?, 'main', ?, ?, ?, ?)`,
    [crypto.randomUUID(), priority, false, JSON.stringify(conditions), JSON.stringify(actions), new Date()],
  );
}

describe("fake inspect without an inventory hook (Ironic's fake)", () => {
  it("finishes at once and changes nothing: no properties, ports or inventory", async () => {
    const n = await insertNode(db.sql, { driver: "fake-hardware", provisionState: "manageable", properties: { cpus: 2 } });
    const node = await inspect(n.id);
    expect([node.provisionState, node.lastError]).toEqual(["manageable", null]);
    expect(node.properties).toEqual({ cpus: 2 });
    expect(node.inspectionFinishedAt).toBeInstanceOf(Date);
    expect(await ports(n.id)).toEqual([]);
    expect(await loadInventory(db.sql, n.id)).toBeNull();
    const events = (await listHistory(db.sql, n.id)).map((h) => h.event);
    expect(events).toContain("Inspection finished: the inspect interface reported no hardware data; nothing changed");
  });
});

describe("fake inventory", () => {
  const node = { uuid: "0b9d2a1c-5f7e-4a3b-9c8d-1e2f3a4b5c6d", name: "n1", driverInfo: {} };

  it("has the agent's shape and is deterministic per node", () => {
    const { inventory, pluginData } = fakeInspectionData(node);
    expect(fakeInspectionData(node)).toEqual({ inventory, pluginData });
    expect(Object.keys(inventory).sort()).toEqual(
      ["bmc_address", "bmc_v6address", "boot", "cpu", "disks", "hostname", "interfaces", "memory", "system_vendor"],
    );
    expect(inventory.cpu).toMatchObject({ architecture: "x86_64", model_name: expect.any(String), frequency: expect.any(String), count: expect.any(Number), flags: expect.arrayContaining(["lm"]) });
    expect(inventory.memory.physical_mb).toBeGreaterThan(0);
    expect(inventory.memory.total).toBeLessThan(inventory.memory.physical_mb * 1024 * 1024);
    for (const d of inventory.disks) {
      expect(Object.keys(d)).toEqual(expect.arrayContaining(["name", "model", "size", "rotational", "wwn", "serial", "vendor", "hctl", "by_path"]));
    }
    for (const n of inventory.interfaces) {
      expect(Object.keys(n)).toEqual(expect.arrayContaining(["name", "mac_address", "ipv4_address", "ipv6_address", "has_carrier", "lldp", "vendor", "product"]));
      expect(n.mac_address).toMatch(/^52(:[0-9a-f]{2}){5}$/);
    }
    expect(inventory.interfaces[0].mac_address).toBe(fakeMac(node.uuid, 1));
    expect(inventory.boot.pxe_interface).toBe(inventory.interfaces[0].mac_address);
    expect(inventory.system_vendor).toMatchObject({ product_name: expect.any(String), serial_number: expect.any(String), manufacturer: expect.any(String), firmware: { vendor: expect.any(String), version: expect.any(String), build_date: expect.any(String) } });
    expect(inventory.hostname).toBe("n1");
    expect(pluginData.root_disk).toEqual(inventory.disks.reduce((a, b) => (b.size < a.size ? b : a)));
    // Another node gets other hardware identities.
    const other = fakeInspectionData({ ...node, uuid: "9d2a1c0b-5f7e-4a3b-9c8d-1e2f3a4b5c6d" });
    expect(other.inventory.interfaces[0].mac_address).not.toBe(inventory.interfaces[0].mac_address);
  });

  it("takes overrides from driver_info.fake_inventory (object or JSON text) and fake_plugin_data", () => {
    const over = fakeInspectionData({ ...node, driverInfo: { fake_inventory: { cpu: { count: 3 }, disks: [] }, fake_plugin_data: { extra: 1 } } });
    expect(over.inventory.cpu.count).toBe(3);
    expect(over.inventory.cpu.architecture).toBe("x86_64");
    expect(over.inventory.disks).toEqual([]);
    expect(over.pluginData).toMatchObject({ root_disk: null, extra: 1 });
    const text = fakeInspectionData({ ...node, driverInfo: { fake_inventory: JSON.stringify({ memory: { physical_mb: 1024 } }) } });
    expect(text.inventory.memory.physical_mb).toBe(1024);
  });

  it("derives properties: root disk from plugin data, hints, else the largest", () => {
    const inv = {
      cpu: { count: 4, architecture: "aarch64" }, memory: { total: 8 * GiB - 100, physical_mb: 0 }, interfaces: [],
      disks: [{ name: "/dev/sda", size: 100 * GiB, serial: "A" }, { name: "/dev/sdb", size: 500 * GiB, serial: "B" }, { name: "/dev/sdc", size: 2 * GiB }],
    } as unknown as Inventory;
    expect(propertiesFromInventory(inv, {}, {})).toEqual({ cpus: 4, memory_mb: 8192, local_gb: 499, cpu_arch: "aarch64" });
    expect(rootDisk(inv, {}, { root_device: { serial: "A" } })?.name).toBe("/dev/sda");
    expect(rootDisk(inv, {}, { root_device: { size: ">= 200" } })?.name).toBe("/dev/sdb");
    expect(rootDisk(inv, { root_disk: { name: "/dev/sdc", size: 2 * GiB } }, {})?.name).toBe("/dev/sdc");
    expect(localGb({ size: 2 * GiB } as never)).toBe(1);
    expect(localGb(null)).toBe(0);
  });
});

describe("inspect flow", () => {
  it("stores the inventory, sets properties, creates ports, records history", async () => {
    const n = await newNode({ properties: { capabilities: "boot_mode:uefi", cpus: 1 } });
    const node = await inspect(n.id);
    expect(node.provisionState).toBe("manageable");
    expect(node.targetProvisionState).toBeNull();
    expect(node.lastError).toBeNull();
    expect(node.inspectionFinishedAt).toBeInstanceOf(Date);
    expect(node.inspectionStartedAt).toBeNull();
    const expected = fakeInspectionData(n);
    const stored = await loadInventory(db.sql, n.id);
    expect(stored).toEqual({ inventory: expected.inventory, pluginData: expected.pluginData });
    const inv = expected.inventory;
    expect(node.properties).toEqual({
      capabilities: "boot_mode:uefi", cpus: inv.cpu.count, memory_mb: inv.memory.physical_mb, cpu_arch: "x86_64",
      local_gb: Math.floor((expected.pluginData.root_disk as { size: number }).size / GiB) - 1,
    });
    const ps = await ports(n.id);
    expect(ps.map((p) => p.address)).toEqual(inv.interfaces.map((i) => i.mac_address).sort());
    expect(ps.map((p) => Boolean(p.pxeEnabled))).toEqual(ps.map((p) => p.address === inv.boot.pxe_interface));
    const history = await listHistory(db.sql, n.id);
    const events = history.map((h) => h.event);
    expect(events.some((e) => e.startsWith("Inspection started"))).toBe(true);
    const finished = history.find((h) => h.event.startsWith("Inspection finished"))!;
    expect(finished.event).toContain(`${inv.cpu.count} CPUs (x86_64)`);
    expect(finished.event).toContain(`${inv.interfaces.length} port(s) created`);
    expect(finished.durationSeconds).not.toBeNull();
    expect(events).toContain('Provision state changed from "inspecting" to "manageable" (event "done")');
  });

  it("re-inspection keeps existing ports; a MAC of another node is a warning", async () => {
    const a = await newNode();
    await inspect(a.id);
    expect(await ports(a.id)).toHaveLength(fakeInspectionData(a).inventory.interfaces.length);
    let node = await inspect(a.id);
    expect(node.provisionState).toBe("manageable");
    expect(await ports(a.id)).toHaveLength(fakeInspectionData(a).inventory.interfaces.length);

    const mac = fakeMac(a.uuid, 1);
    const b = await newNode({ driverInfo: { fake_inventory: { interfaces: [{ name: "eth0", mac_address: mac.toUpperCase() }, { name: "eth1", mac_address: "52:00:00:00:00:99" }] } } });
    node = await inspect(b.id);
    expect(node.provisionState).toBe("manageable");
    expect((await ports(b.id)).map((p) => p.address)).toEqual(["52:00:00:00:00:99"]);
    const warning = (await listHistory(db.sql, b.id)).find((h) => h.severity === "WARNING");
    expect(warning?.event).toContain(`MAC ${mac} (interface eth0) already belongs to port`);
    expect(warning?.event).toContain(a.uuid);
  });

  it("INGOT_INSPECTION_ADD_PORTS=pxe creates only the PXE port; disabled none", async () => {
    process.env.INGOT_INSPECTION_ADD_PORTS = "pxe";
    const n = await newNode();
    await inspect(n.id);
    expect((await ports(n.id)).map((p) => p.address)).toEqual([fakeInspectionData(n).inventory.boot.pxe_interface]);
    process.env.INGOT_INSPECTION_ADD_PORTS = "disabled";
    const m = await newNode();
    await inspect(m.id);
    expect(await ports(m.id)).toEqual([]);
  });

  it("a driver failure ends in inspect failed with last_error, and inspect works again from there", async () => {
    const n = await newNode({ driverInfo: { fake_fail: "inspect.inspect_hardware" } });
    let node = await inspect(n.id);
    expect(node.provisionState).toBe("inspect failed");
    expect(node.targetProvisionState).toBe("manageable");
    expect(node.lastError).toBe(`Inspection failed on node ${n.uuid}: Fake failure of inspect.inspect_hardware requested by driver_info.fake_fail`);
    expect(await loadInventory(db.sql, n.id)).toBeNull();
    await db.sql.run(`UPDATE "Node" SET "driverInfo" = '{}' WHERE "id" = ?`, [n.id]);
    node = await inspect(n.id);
    expect(node.provisionState).toBe("manageable");
    expect(node.lastError).toBeNull();
  });

  it("unusable inventory data fails the inspection", async () => {
    const n = await newNode({ driverInfo: { fake_inventory: { cpu: { count: 0 }, interfaces: "none" } } });
    const node = await inspect(n.id);
    expect(node.provisionState).toBe("inspect failed");
    expect(node.lastError).toContain("The inspection data is unusable: cpu.count is not a positive number; interfaces is not a list");
  });

  it("inspect wait, then abort (1.41+) → inspect failed", async () => {
    const n = await newNode({ driverInfo: { fake_inspect_wait: true } });
    let node = await inspect(n.id);
    expect(node.provisionState).toBe("inspect wait");
    await expect(conductor.provision(n.id, "abort", {}, actor, 40)).rejects.toThrow();
    await conductor.provision(n.id, "abort", {}, actor, 41);
    await conductor.pool.drain();
    node = (await getNodeById(db.sql, n.id))!;
    expect(node.provisionState).toBe("inspect failed");
    expect(node.lastError).toContain("aborted");
  });
});

describe("rules during inspection", () => {
  it("apply their changes to node, traits, ports and plugin data, highest priority first", async () => {
    await addRule([{ op: "gt", args: { values: ["{inventory[cpu][count]}", 0] } }], [
      { op: "set-attribute", args: { path: "/extra/rule", value: "low" } },
      { op: "add-trait", args: { name: "CUSTOM_INSPECTED" } },
      { op: "set-port-attribute", args: { port_id: "{inventory[boot][pxe_interface]}", path: "physical_network", value: "physnet-{inventory[cpu][architecture]}" } },
      { op: "set-plugin-data", args: { path: "ingot.seen", value: true } },
      { op: "log", args: { msg: "node has {inventory[cpu][count]} CPUs", level: "warning" } },
    ], 1);
    await addRule([], [{ op: "set-attribute", args: { path: "/extra/rule", value: "high" } }, { op: "set-capability", args: { name: "cpu_arch", value: "{node.properties[cpu_arch]}" } }], 50);
    await addRule([{ op: "eq", args: { values: ["{inventory[cpu][architecture]}", "ppc64le"] } }], [{ op: "fail", args: { msg: "never" } }], 99);
    const n = await newNode({ resourceClass: "rc" });
    const node = await inspect(n.id);
    expect(node.provisionState).toBe("manageable");
    expect(node.extra).toEqual({ rule: "low" });
    expect(node.properties.capabilities).toBe("cpu_arch:x86_64");
    expect(node.traits).toEqual(["CUSTOM_INSPECTED"]);
    const pxe = fakeInspectionData(n).inventory.boot.pxe_interface;
    expect((await ports(n.id)).find((p) => p.address === pxe)?.physicalNetwork).toBe("physnet-x86_64");
    expect((await loadInventory(db.sql, n.id))?.pluginData.ingot).toEqual({ seen: true });
    const history = await listHistory(db.sql, n.id);
    expect(history.some((h) => h.severity === "WARNING" && /Inspection rule .*: node has \d+ CPUs/.test(h.event))).toBe(true);
    expect(history.find((h) => h.event.startsWith("Inspection finished"))?.event).toContain("2 inspection rule(s) applied");
  });

  it("a fail action fails the inspection with its message", async () => {
    await addRule([{ op: "lt", args: { values: ["{inventory[memory][physical_mb]}", 1048576] } }], [{ op: "fail", args: { msg: "only {inventory[memory][physical_mb]} MiB" } }]);
    const n = await newNode();
    const node = await inspect(n.id);
    expect(node.provisionState).toBe("inspect failed");
    expect(node.lastError).toBe(`Inspection failed on node ${n.uuid}: only ${fakeInspectionData(n).inventory.memory.physical_mb} MiB`);
    // The inventory is kept for diagnosis.
    expect(await loadInventory(db.sql, n.id)).not.toBeNull();
  });

  it("a broken rule fails the inspection naming the rule", async () => {
    await addRule([], [{ op: "set-port-attribute", args: { port_id: "no-such-port", path: "extra/x", value: 1 } }]);
    const n = await newNode();
    const node = await inspect(n.id);
    expect(node.provisionState).toBe("inspect failed");
    expect(node.lastError).toMatch(/Inspection rule [0-9a-f-]+ failed: Port no-such-port could not be found\./);
  });
});

describe("resource class template", () => {
  it("fills the resource class of nodes without one", async () => {
    process.env.INGOT_INSPECTED_RESOURCE_CLASS = "bm-{memory_mb}-{cpus}-{cpu_arch}";
    const n = await newNode();
    const node = await inspect(n.id);
    const inv = fakeInspectionData(n).inventory;
    expect(node.resourceClass).toBe(`bm-${inv.memory.physical_mb}-${inv.cpu.count}-x86_64`);
    const keep = await newNode({ resourceClass: "gold" });
    expect((await inspect(keep.id)).resourceClass).toBe("gold");
  });

  it("a rule's resource class wins; a template with unknown names only warns", async () => {
    process.env.INGOT_INSPECTED_RESOURCE_CLASS = "bm-{cpus}";
    await addRule([], [{ op: "set-attribute", args: { path: "resource_class", value: "from-rule" } }]);
    const n = await newNode();
    expect((await inspect(n.id)).resourceClass).toBe("from-rule");
    await db.sql.run(`DELETE FROM "InspectionRule"`);
    process.env.INGOT_INSPECTED_RESOURCE_CLASS = "bm-{gpus}";
    const m = await newNode();
    const node = await inspect(m.id);
    expect(node.provisionState).toBe("manageable");
    expect(node.resourceClass).toBeNull();
    expect((await listHistory(db.sql, m.id)).some((h) => h.severity === "WARNING" && h.event.includes("needs gpus"))).toBe(true);
  });
});
