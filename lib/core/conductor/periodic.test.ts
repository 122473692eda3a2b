// Periodic tasks, start-up recovery and conductor registration.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { setConfig } from "../config.ts";
import { getNodeById, insertNode, type NewNode, type NodeRecord } from "../db/nodes.ts";
import { interfacesFor } from "../drivers/registry.ts";
import { listHistory } from "../history.ts";
import { conductorFor, listConductors } from "../hashring.ts";
import { getConductor, runPeriodicTasksOnce, startConductor, stopConductor } from "./index.ts";

let db: TestDb;
const HOST = "periodic-host";

beforeAll(async () => {
  db = await createTestDb();
  setConfig({ conductorHostname: HOST, callbackTimeoutSeconds: 60, powerSyncMaxRetries: 3 });
});
afterEach(async () => stopConductor());
afterAll(async () => {
  setConfig();
  await db.cleanup();
});

function newNode(data: Partial<NewNode> = {}): Promise<NodeRecord> {
  return insertNode(db.sql, { driver: "fake-hardware", provisionState: "enroll", ...data });
}
const reload = async (id: number) => (await getNodeById(db.sql, id))!;

describe("start-up", () => {
  it("registers the conductor and maps nodes to it", async () => {
    await startConductor({ periodic: false });
    const rows = await listConductors(db.sql);
    expect(rows.find((c) => c.hostname === HOST)).toMatchObject({ alive: true, drivers: ["fake-hardware", "ipmi", "redfish", "sim"], conductorGroup: "" });
    const n = await newNode();
    expect(await conductorFor(db.sql, n)).toBe(HOST);
    expect(await conductorFor(db.sql, { ...n, conductorGroup: "rack-7" })).toBeNull();
    await stopConductor();
    expect((await listConductors(db.sql)).find((c) => c.hostname === HOST)?.alive).toBe(false);
  });

  it("recovers stuck nodes, own stale locks and stale power targets", async () => {
    const deploying = await newNode({ provisionState: "deploying", targetProvisionState: "active", reservation: HOST, targetPowerState: "power on" });
    const verifying = await newNode({ provisionState: "verifying", targetProvisionState: "manageable" });
    const deleting = await newNode({ provisionState: "deleting", targetProvisionState: "available" });
    const fine = await newNode({ provisionState: "active" });
    await startConductor({ periodic: false });
    const d = await reload(deploying.id);
    expect(d.provisionState).toBe("deploy failed");
    expect(d.reservation).toBeNull();
    expect(d.targetPowerState).toBeNull();
    expect(d.lastError).toBe(`Conductor ${HOST} was restarted while the node was in state "deploying"; the operation did not complete`);
    expect((await reload(verifying.id)).provisionState).toBe("enroll");
    expect((await reload(deleting.id)).provisionState).toBe("error");
    expect((await reload(fine.id)).provisionState).toBe("active");
    const h = await listHistory(db.sql, deploying.id);
    expect(h.at(-1)).toMatchObject({ eventType: "startup failure", severity: "ERROR", state: "deploy failed" });
  });

  it("takes over nodes locked by a dead conductor", async () => {
    const old = new Date(Date.now() - 3600_000);
    await db.sql.run(`INSERT INTO "Conductor" ("hostname", "online", "drivers", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?)`, [
      "dead-host", true, JSON.stringify(["fake-hardware"]), old, old,
    ]);
    const cleaning = await newNode({ provisionState: "cleaning", targetProvisionState: "available", reservation: "dead-host" });
    const active = await newNode({ provisionState: "active", reservation: "dead-host" });
    await startConductor({ periodic: false });
    const c = await reload(cleaning.id);
    expect(c.provisionState).toBe("clean failed");
    expect(c.reservation).toBeNull();
    expect(c.lastError).toMatch(/Conductor dead-host stopped/);
    const a = await reload(active.id);
    expect([a.provisionState, a.reservation]).toEqual(["active", null]);
  });
});

describe("periodic tasks", () => {
  it("times out nodes waiting for a callback", async () => {
    await startConductor({ periodic: false });
    const old = new Date(Date.now() - 120_000);
    const waiting = await newNode({ provisionState: "wait call-back", targetProvisionState: "active", provisionUpdatedAt: old });
    const cleanWait = await newNode({ provisionState: "clean wait", targetProvisionState: "available", provisionUpdatedAt: old });
    const recent = await newNode({ provisionState: "inspect wait", targetProvisionState: "manageable", provisionUpdatedAt: new Date() });
    await runPeriodicTasksOnce();
    const w = await reload(waiting.id);
    expect(w.provisionState).toBe("deploy failed");
    expect(w.lastError).toBe(`Timeout reached while waiting for callback for node ${waiting.uuid}`);
    expect(w.reservation).toBeNull();
    expect((await reload(cleanWait.id)).provisionState).toBe("clean failed");
    expect((await reload(recent.id)).provisionState).toBe("inspect wait");
  });

  it("records the BMC power state, and faults after repeated failures, then recovers", async () => {
    await startConductor({ periodic: false });
    const n = await newNode({ provisionState: "manageable", powerState: "power on" });
    const failing = await newNode({ provisionState: "available", powerState: "power off", driverInfo: { fake_fail: "power.get_power_state" } });
    const enroll = await newNode({ driverInfo: { fake_fail: "power.get_power_state" } });

    await runPeriodicTasksOnce();
    await runPeriodicTasksOnce();
    expect((await reload(failing.id)).maintenance).toBe(false);
    expect(getConductor().periodic.powerFailures.get(failing.id)).toBe(2);
    await runPeriodicTasksOnce();
    let f = await reload(failing.id);
    expect(f.maintenance).toBe(true);
    expect(f.fault).toBe("power failure");
    expect(f.maintenanceReason).toMatch(/Power state sync failed 3 times/);
    expect((await reload(n.id)).maintenance).toBe(false);
    expect((await reload(enroll.id)).maintenance).toBe(false); // enroll nodes are not synced

    // Still failing: stays in maintenance.
    await runPeriodicTasksOnce();
    expect((await reload(failing.id)).maintenance).toBe(true);

    await db.sql.run(`UPDATE "Node" SET "driverInfo" = '{}' WHERE "id" = ?`, [failing.id]);
    await runPeriodicTasksOnce();
    f = await reload(failing.id);
    expect([f.maintenance, f.fault, f.maintenanceReason]).toEqual([false, null, null]);
    const h = await listHistory(db.sql, failing.id);
    expect(h.map((r) => r.eventType)).toEqual(["monitoring", "monitoring"]);
  });

  it("reads power states several at a time, at most powerSyncWorkers", async () => {
    setConfig({ conductorHostname: HOST, powerSyncWorkers: 3 });
    try {
      await startConductor({ periodic: false });
      const nodes = await Promise.all(Array.from({ length: 10 }, () => newNode({ provisionState: "manageable", powerState: "power off" })));
      const power = interfacesFor(nodes[0]).power;
      const original = power.getPowerState.bind(power);
      let inFlight = 0;
      let most = 0;
      const seen = new Set<number>();
      const spy = vi.spyOn(power, "getPowerState").mockImplementation(async (task) => {
        inFlight++;
        most = Math.max(most, inFlight);
        seen.add(task.node.id);
        await new Promise((r) => setTimeout(r, 20));
        inFlight--;
        return original(task);
      });
      try {
        await getConductor().periodic.syncPowerStates();
      } finally {
        spy.mockRestore();
      }
      for (const n of nodes) expect(seen.has(n.id)).toBe(true);
      expect(most).toBe(3);
    } finally {
      setConfig({ conductorHostname: HOST, callbackTimeoutSeconds: 60, powerSyncMaxRetries: 3 });
    }
  });

  it("skips locked nodes", async () => {
    await startConductor({ periodic: false });
    const n = await newNode({ provisionState: "wait call-back", provisionUpdatedAt: new Date(0), reservation: HOST });
    await runPeriodicTasksOnce();
    expect((await reload(n.id)).provisionState).toBe("wait call-back");
  });
});
