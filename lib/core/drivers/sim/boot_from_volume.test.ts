// Boot from volume on the sim hardware type, through the conductor (real flows, a temporary database).
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { settleNode } from "../../../testing/settle.ts";
import { setConfig } from "../../config.ts";
import { installAgentHeartbeat } from "../../conductor/agent_heartbeat.ts";
import { Conductor } from "../../conductor/conductor.ts";
import type { Actor } from "../../conductor/types.ts";
import { insertNode, type NewNode, type NodeRecord } from "../../db/nodes.ts";
import { listHistory } from "../../history.ts";
import { disposeAllSimMachines, getSimMachine } from "../../sim/machine.ts";
import { setSimSpeed } from "../../sim/timing.ts";
import { driverDetail } from "../registry.ts";
import { closeAllSimConsoles } from "./console.ts";

let db: TestDb;
let conductor: Conductor;
const actor: Actor = { user: "alice", project: "proj-1" };
const MINOR = 115;

beforeAll(async () => {
  db = await createTestDb();
  setConfig({ enabledHardwareTypes: ["fake-hardware", "sim"], automatedClean: true });
  setSimSpeed(0.002);
});
afterAll(async () => {
  await conductor?.pool.drain();
  await closeAllSimConsoles();
  disposeAllSimMachines();
  setSimSpeed(undefined);
  setConfig();
  await db.cleanup();
});
beforeEach(() => {
  conductor = new Conductor({ hostname: "sim-bfv-conductor", workers: 10 });
  installAgentHeartbeat(conductor);
});

async function act(id: number, verb: Parameters<Conductor["provision"]>[1]): Promise<NodeRecord> {
  await conductor.provision(id, verb, {}, actor, MINOR);
  return settleNode(conductor, db.sql, id);
}

async function availableNode(data: Partial<NewNode>): Promise<NodeRecord> {
  const n = await insertNode(db.sql, { driver: "sim", provisionState: "enroll", ...data });
  await act(n.id, "manage");
  const node = await act(n.id, "provide");
  expect(node.provisionState).toBe("available");
  return node;
}

async function addVolumes(node: NodeRecord, volumeId: string, properties: Record<string, unknown> = {}): Promise<void> {
  const now = new Date();
  await db.sql.run(
    `INSERT INTO "VolumeConnector" ("uuid", "nodeId", "type", "connectorId", "extra", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`,
    [randomUUID(), node.id, "iqn", `iqn.2004-06.org.ingot:${node.uuid}`, "{}", now],
  );
  await db.sql.run(
    `INSERT INTO "VolumeTarget" ("uuid", "nodeId", "volumeType", "volumeId", "bootIndex", "properties", "extra", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [randomUUID(), node.id, "iscsi", volumeId, 0, JSON.stringify(properties), "{}", now],
  );
}

const events = async (id: number) => (await listHistory(db.sql, id)).map((h) => h.event);

describe("sim boot from volume", () => {
  it("offers noop (default), fake and external storage", () => {
    const d = driverDetail("sim");
    expect(d.default_storage_interface).toBe("noop");
    expect(d.enabled_storage_interfaces).toEqual(["noop", "fake", "external"]);
  });

  it("boots from its iSCSI volume without writing an image; undeploy detaches", async () => {
    const n = await availableNode({ name: "bfv-sim", storageInterface: "fake" });
    await addVolumes(n, "vol-sim-1", { target_iqn: "iqn.2010-10.org.openstack:vol-sim-1", target_portal: "198.51.100.7:3260", target_lun: 1, image: "rocky-9.qcow2" });
    const m = getSimMachine(n);
    const captured: string[] = [];
    const stop = m.serial.subscribe((d) => captured.push(d.toString()));
    let node = await act(n.id, "active");
    stop();
    expect(node.lastError).toBeNull();
    expect(node.provisionState).toBe("active");
    expect(node.powerState).toBe("power on");
    const out = captured.join("");
    expect(out).not.toContain("Writing image");
    expect(out).not.toContain("Downloading image");
    expect(out).not.toContain("Installing the boot loader");
    expect(out).toContain("sanboot iscsi:198.51.100.7::3260:1:iqn.2010-10.org.openstack:vol-sim-1");
    expect(out).toContain("Booting from SAN device 0x80");
    expect(out).toContain("Rocky Linux 9.5 (Blue Onyx) bfv-sim ttyS0");
    expect(m.disk).toBeNull(); // the local disk was wiped by cleaning and never written
    expect(m.phase).toBe("os");
    expect(m.status()).toMatchObject({ boot_device: "pxe", persistent: true, netboot: "volume", san_volume: "vol-sim-1" });
    const ev = await events(n.id);
    expect(ev.some((e) => e.startsWith("Node boots from volume vol-sim-1 (iscsi target "))).toBe(true);
    const steps = ev.filter((e) => e.startsWith("Started deploy step")).map((e) => e.replace("Started deploy step ", ""));
    expect(steps).toEqual(["deploy.deploy", "deploy.tear_down_agent", "deploy.switch_to_tenant_network", "deploy.boot_instance"]);
    expect(node.driverInternalInfo.attached_volumes).toHaveLength(1);

    node = await act(n.id, "deleted");
    expect(node.provisionState).toBe("available");
    expect(node.lastError).toBeNull();
    expect(node.driverInternalInfo.attached_volumes).toBeUndefined();
    expect(node.driverInternalInfo.boot_from_volume).toBeUndefined();
    expect(m.sanVolume).toBeNull();
    expect(await events(n.id)).toContain("Detached volumes (boot volume vol-sim-1) through storage interface fake");
  });

  it("noop storage still writes the image even with a boot target", async () => {
    const n = await availableNode({ name: "local-sim", instanceInfo: { image_source: "http://images/debian-12.qcow2" } });
    await addVolumes(n, "vol-sim-2");
    const m = getSimMachine(n);
    const captured: string[] = [];
    const stop = m.serial.subscribe((d) => captured.push(d.toString()));
    const node = await act(n.id, "active");
    stop();
    expect(node.provisionState).toBe("active");
    const out = captured.join("");
    expect(out).toContain("Writing image");
    expect(out).not.toContain("sanboot");
    expect(m.disk?.id).toBe("debian");
    expect(node.driverInternalInfo.boot_from_volume).toBeUndefined();
    expect((await events(n.id)).some((e) => e.startsWith("Node boots from volume"))).toBe(false);
  });
});
