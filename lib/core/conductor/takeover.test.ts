// Take-over in one process: a second conductor ("dead-host") works on sim nodes, then "dies" —
// its heartbeat goes stale and its sim machines vanish with it (they lived in its process) — and
// the surviving conductor takes its nodes over: waiting deployments continue when the agent
// heartbeats, active nodes get their boot configuration and consoles back, nodes caught in
// "deploying" fail with an error naming the dead conductor. The same with real processes on
// PostgreSQL is lib/testing/cluster.test.ts.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { setConfig } from "../config.ts";
import { getNodeById, insertNode, type NodeRecord } from "../db/nodes.ts";
import { conductorFor } from "../hashring.ts";
import { listHistory } from "../history.ts";
import { disposeAllSimMachines, findSimMachine, setSimAgentHeartbeat } from "../sim/machine.ts";
import { setSimSpeed } from "../sim/timing.ts";
import { Conductor } from "./conductor.ts";
import { getConductor, startConductor, stopConductor } from "./index.ts";
import { installAgentHeartbeat } from "./agent_heartbeat.ts";
import type { Actor } from "./types.ts";

let db: TestDb;
const HOST = "survivor";
const DEAD = "dead-host";
const actor: Actor = { user: "alice", project: "proj-1" };
const MINOR = 115;
let dead: Conductor;

beforeAll(async () => {
  db = await createTestDb();
  setSimSpeed(0.002);
});
beforeEach(async () => {
  // A long ring TTL: the survivor must rebuild the ring because a conductor died, not because
  // the cache expired.
  setConfig({
    conductorHostname: HOST, enabledHardwareTypes: ["fake-hardware", "sim"], automatedClean: false,
    heartbeatTimeoutSeconds: 5, hashRingTtlSeconds: 3600,
  });
  dead = new Conductor({ hostname: DEAD, workers: 10 });
  await setHeartbeat(DEAD, new Date());
});
afterEach(async () => {
  await dead.pool.drain();
  await stopConductor();
  setSimAgentHeartbeat(null);
  disposeAllSimMachines();
  await db.sql.run(`DELETE FROM "Conductor"`);
});
afterAll(async () => {
  setSimSpeed(undefined);
  setConfig();
  await db.cleanup();
});

async function setHeartbeat(host: string, at: Date): Promise<void> {
  const updated = await db.sql.run(`UPDATE "Conductor" SET "updatedAt" = ?, "online" = ? WHERE "hostname" = ?`, [at, true, host]);
  if (!updated) {
    await db.sql.run(`INSERT INTO "Conductor" ("hostname", "online", "drivers", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?)`, [
      host, true, JSON.stringify(["fake-hardware", "sim"]), at, at,
    ]);
  }
}

const reload = async (id: number) => (await getNodeById(db.sql, id))!;

async function waitFor(id: number, pred: (n: NodeRecord) => boolean, what: string, ms = 15_000): Promise<NodeRecord> {
  const until = Date.now() + ms;
  for (;;) {
    const n = await reload(id);
    if (pred(n)) return n;
    if (Date.now() > until) throw new Error(`node ${n.uuid} never ${what}: ${n.provisionState} (${n.lastError ?? "no error"})`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** An available sim node prepared by the dead conductor. */
async function availableNode(name: string, extra: Record<string, unknown> = {}): Promise<NodeRecord> {
  const n = await insertNode(db.sql, { driver: "sim", name, provisionState: "enroll", instanceInfo: { image_source: "http://images/debian-12.qcow2" }, ...extra });
  await dead.provision(n.id, "manage", {}, actor, MINOR);
  await dead.pool.drain();
  await dead.provision(n.id, "provide", {}, actor, MINOR);
  await dead.pool.drain();
  expect((await reload(n.id)).provisionState).toBe("available");
  return n;
}

/** The dead conductor's process is gone: no heartbeat for a while, its machines with it. */
async function kill(): Promise<void> {
  await dead.pool.drain();
  setSimAgentHeartbeat(null);
  disposeAllSimMachines();
  await setHeartbeat(DEAD, new Date(Date.now() - 60_000));
}

describe("take-over of a dead conductor's nodes", () => {
  it("rebuilds the hash ring when a conductor's heartbeat goes stale", async () => {
    await startConductor({ periodic: false });
    const nodes = await Promise.all(Array.from({ length: 12 }, (_, i) => insertNode(db.sql, { driver: "sim", name: `ring-${i}`, provisionState: "enroll" })));
    const before = await Promise.all(nodes.map((n) => conductorFor(db.sql, n)));
    expect(before).toContain(DEAD);
    expect(before).toContain(HOST);
    await setHeartbeat(DEAD, new Date(Date.now() - 60_000));
    await getConductor().periodic.runOnce();
    const after = await Promise.all(nodes.map((n) => conductorFor(db.sql, n)));
    expect(new Set(after)).toEqual(new Set([HOST]));
  });

  it("a node in wait call-back continues its deployment when the agent heartbeats to the survivor", async () => {
    const n = await availableNode("wait-1");
    // The dead conductor's agents heartbeat nowhere: the node stays in wait call-back.
    await dead.provision(n.id, "active", {}, actor, MINOR);
    await dead.pool.drain();
    let node = await reload(n.id);
    expect([node.provisionState, node.powerState, node.conductorAffinity, node.reservation]).toEqual(["wait call-back", "power on", DEAD, null]);
    await waitFor(n.id, () => findSimMachine(n.uuid)?.phase === "agent", "ran its agent");
    await kill();
    expect(findSimMachine(n.uuid)).toBeUndefined();

    await startConductor({ periodic: false });
    node = await waitFor(n.id, (x) => x.provisionState === "active" && !x.reservation, "reached active and unlocked");
    expect(node.lastError).toBeNull();
    expect(node.reservation).toBeNull();
    expect(node.conductorAffinity).toBe(HOST);
    expect(findSimMachine(n.uuid)?.phase).toBe("os");
    const h = await listHistory(db.sql, n.id);
    const takeover = h.find((e) => e.eventType === "takeover");
    expect(takeover).toMatchObject({ severity: "WARNING", conductor: HOST });
    expect(takeover?.event).toBe(`Node taken over by conductor ${HOST} from conductor ${DEAD}, which is no longer alive: waiting for the agent's heartbeat to continue (wait call-back)`);
    expect(h.some((e) => e.event.startsWith("Finished deploy step deploy.write_image") && e.conductor === HOST)).toBe(true);
  });

  it("a node in clean wait continues its cleaning when the agent heartbeats to the survivor", async () => {
    const n = await availableNode("clean-1");
    const step = (name: string, priority: number) => ({ interface: "deploy", step: name, priority, abortable: true, argsinfo: null, requires_ramdisk: true, args: {} });
    // The dead conductor was waiting for the agent after the first clean step.
    await db.sql.run(
      `UPDATE "Node" SET "provisionState" = ?, "targetProvisionState" = ?, "powerState" = ?, "conductorAffinity" = ?, "cleanStep" = ?, "driverInternalInfo" = ? WHERE "id" = ?`,
      ["clean wait", "available", "power on", DEAD, JSON.stringify(step("erase_devices_metadata", 99)),
        JSON.stringify({ clean_steps: [step("erase_devices_metadata", 99), step("erase_devices", 10)], clean_step_index: 0 }), n.id],
    );
    await kill();
    await startConductor({ periodic: false });
    const node = await waitFor(n.id, (x) => x.provisionState === "available" && !x.reservation, "finished cleaning and unlocked");
    expect([node.lastError, node.reservation, node.maintenance, node.conductorAffinity, node.powerState]).toEqual([null, null, false, HOST, "power off"]);
    const h = await listHistory(db.sql, n.id);
    expect(h.find((e) => e.eventType === "takeover")?.event).toBe(
      `Node taken over by conductor ${HOST} from conductor ${DEAD}, which is no longer alive: waiting for the agent's heartbeat to continue (clean wait)`,
    );
    expect(h.some((e) => e.event === "Finished clean step deploy.erase_devices" && e.conductor === HOST)).toBe(true);
  });

  it("an active node booted from the network gets its boot configuration and console back", async () => {
    const n = await availableNode("bfv-1", { storageInterface: "fake", consoleInterface: "sim-serial", instanceInfo: {} });
    await db.sql.run(
      `INSERT INTO "VolumeConnector" ("uuid", "nodeId", "type", "connectorId", "extra", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`,
      [crypto.randomUUID(), n.id, "iqn", `iqn.2004-06.org.ingot:${n.uuid}`, "{}", new Date()],
    );
    await db.sql.run(
      `INSERT INTO "VolumeTarget" ("uuid", "nodeId", "volumeType", "volumeId", "bootIndex", "properties", "extra", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [crypto.randomUUID(), n.id, "iscsi", "vol-takeover-1", 0, JSON.stringify({ target_iqn: "iqn.2010-10.org.openstack:vol-takeover-1", target_portal: "192.0.2.10:3260", target_lun: 0 }), "{}", new Date()],
    );
    installAgentHeartbeat(dead);
    await dead.provision(n.id, "active", {}, actor, MINOR);
    await waitFor(n.id, (x) => x.provisionState === "active", "reached active");
    await dead.setConsoleMode(n.id, true, actor);
    await waitFor(n.id, (x) => x.consoleEnabled, "enabled its console");
    expect(findSimMachine(n.uuid)?.netboot).toBe("volume");
    await kill();

    await startConductor({ periodic: false });
    const node = await reload(n.id);
    expect([node.provisionState, node.consoleEnabled, node.conductorAffinity, node.lastError]).toEqual(["active", true, HOST, null]);
    const m = findSimMachine(n.uuid)!;
    // The machine kept running; the iPXE sanboot script is served again by the survivor.
    expect([m.phase, m.netboot, m.sanVolume?.volumeId]).toEqual(["os", "volume", "vol-takeover-1"]);
    const h = await listHistory(db.sql, n.id);
    expect(h.find((e) => e.eventType === "takeover")?.event).toBe(
      `Node taken over by conductor ${HOST} from conductor ${DEAD}, which is no longer alive: boot configuration rebuilt; console restarted`,
    );

    // A reboot comes back from the volume (without the rebuilt boot configuration the PXE boot
    // would find nothing to boot).
    await getConductor().setPowerState(n.id, "rebooting", undefined, actor);
    await getConductor().pool.drain();
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`still in phase ${m.phase}`)), 10_000);
      const check = () => (m.phase === "os" ? (clearTimeout(t), resolve()) : setTimeout(check, 10));
      setTimeout(check, 10);
    });
    expect(m.serial.history().toString("utf8")).toContain("sanboot iscsi:192.0.2.10::3260:0:iqn.2010-10.org.openstack:vol-takeover-1");
  });

  it("a node caught in deploying fails with an error naming the dead conductor, then deploys again", async () => {
    const n = await availableNode("deploying-1");
    await db.sql.run(`UPDATE "Node" SET "provisionState" = ?, "targetProvisionState" = ?, "reservation" = ?, "conductorAffinity" = ? WHERE "id" = ?`, [
      "deploying", "active", DEAD, DEAD, n.id,
    ]);
    await kill();
    await startConductor({ periodic: false });
    let node = await reload(n.id);
    expect([node.provisionState, node.reservation]).toEqual(["deploy failed", null]);
    expect(node.lastError).toBe(`Conductor ${DEAD} stopped while the node was in state "deploying"; the operation did not complete`);
    const h = await listHistory(db.sql, n.id);
    expect(h.filter((e) => e.eventType === "takeover").map((e) => e.severity)).toEqual(["WARNING", "ERROR"]);

    await getConductor().provision(n.id, "active", {}, actor, MINOR);
    node = await waitFor(n.id, (x) => x.provisionState === "active", "reached active again");
    expect(node.lastError).toBeNull();
  });

  it("a conductor restarting restarts the consoles of its own nodes", async () => {
    const n = await insertNode(db.sql, {
      driver: "sim", name: "own-console", provisionState: "active", powerState: "power on", consoleInterface: "sim-serial",
      consoleEnabled: true, conductorAffinity: HOST, instanceInfo: { image_source: "http://images/debian-12.qcow2" },
    });
    await startConductor({ periodic: false });
    const node = await reload(n.id);
    expect([node.consoleEnabled, node.lastError, node.reservation]).toEqual([true, null, null]);
    expect(findSimMachine(n.uuid)?.phase).toBe("os");
    const h = await listHistory(db.sql, n.id);
    expect(h.map((e) => [e.eventType, e.event])).toEqual([["console", `Console restarted by conductor ${HOST} after its restart`]]);
  });

  it("leaves nodes of alive conductors alone", async () => {
    const n = await availableNode("alive-1");
    await dead.provision(n.id, "active", {}, actor, MINOR);
    await dead.pool.drain();
    expect((await reload(n.id)).provisionState).toBe("wait call-back");
    await startConductor({ periodic: false });
    await getConductor().periodic.runOnce();
    const node = await reload(n.id);
    expect([node.provisionState, node.conductorAffinity]).toEqual(["wait call-back", DEAD]);
    expect((await listHistory(db.sql, n.id)).some((e) => e.eventType === "takeover")).toBe(false);
  });
});
