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

  const step = (iface: string, name: string, priority: number) => ({ interface: iface, step: name, priority, abortable: false, argsinfo: null, args: {} });

  it("resumes operations its previous run left unfinished, and clears its stale locks and power targets", async () => {
    const deploying = await newNode({
      provisionState: "deploying", targetProvisionState: "active", reservation: HOST, conductorAffinity: HOST, targetPowerState: "power on",
      driverInternalInfo: { deploy_steps: [step("deploy", "deploy", 100)], deploy_step_index: 0 },
    });
    const verifying = await newNode({ provisionState: "verifying", targetProvisionState: "manageable", conductorAffinity: HOST });
    const deleting = await newNode({ provisionState: "deleting", targetProvisionState: "available", conductorAffinity: HOST, automatedClean: false });
    const unknownSteps = await newNode({ provisionState: "deploying", targetProvisionState: "active", conductorAffinity: HOST });
    const inspecting = await newNode({ provisionState: "inspecting", targetProvisionState: "manageable", conductorAffinity: HOST });
    const rescuing = await newNode({
      provisionState: "rescuing", targetProvisionState: "rescue", conductorAffinity: HOST, instanceInfo: { rescue_password: "let-me-in" },
    });
    const fine = await newNode({ provisionState: "active" });
    await startConductor({ periodic: false });
    await getConductor().pool.drain();
    const d = await reload(deploying.id);
    expect([d.provisionState, d.reservation, d.targetPowerState, d.lastError]).toEqual(["active", null, null, null]);
    const h = await listHistory(db.sql, deploying.id);
    expect(h.find((e) => e.eventType === "takeover")?.event).toBe(`Node resumed by conductor ${HOST} after its restart: "deploying" resumed`);
    expect(h.find((e) => e.event.startsWith('Provision state "deploying" resumed'))).toMatchObject({
      event: `Provision state "deploying" resumed (event "resume"): after conductor ${HOST} was restarted: deploy step deploy.deploy was interrupted and runs again`,
      eventType: "provisioning", severity: "WARNING", state: "deploying",
    });
    expect(h.filter((e) => e.event === "Started deploy step deploy.deploy")).toHaveLength(1);
    expect((await reload(verifying.id)).provisionState).toBe("manageable");
    expect((await reload(deleting.id)).provisionState).toBe("available");
    expect((await reload(inspecting.id)).provisionState).toBe("manageable");
    expect((await reload(rescuing.id)).provisionState).toBe("rescue");
    expect((await listHistory(db.sql, rescuing.id)).map((e) => e.event)).toContain(
      `Provision state "rescuing" resumed (event "resume"): after conductor ${HOST} was restarted: the rescue starts again`,
    );
    const u = await reload(unknownSteps.id);
    expect([u.provisionState, u.reservation]).toEqual(["deploy failed", null]);
    expect(u.lastError).toBe(`The deployment of node ${u.uuid} was not resumed after conductor ${HOST} was restarted: the node has no record of its deploy steps`);
    expect((await reload(fine.id)).provisionState).toBe("active");
  });

  it("takes over nodes locked by a dead conductor: resumes what can run again, fails what cannot", async () => {
    const old = new Date(Date.now() - 3600_000);
    await db.sql.run(`INSERT INTO "Conductor" ("hostname", "online", "drivers", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?)`, [
      "dead-host", true, JSON.stringify(["fake-hardware"]), old, old,
    ]);
    const cleaning = await newNode({
      provisionState: "cleaning", targetProvisionState: "available", reservation: "dead-host", cleanStep: step("vendor", "log_passthrough", 1),
      driverInternalInfo: { clean_steps: [step("vendor", "log_passthrough", 1)], clean_step_index: 0 },
    });
    // A firmware flash cut off midway is not run again (firmware.update says it is not re-runnable).
    const flash = { ...step("firmware", "update", 0), args: { settings: [{ component: "bmc", url: "http://fw/bmc.bin" }] } };
    const flashing = await newNode({
      provisionState: "cleaning", targetProvisionState: "manageable", reservation: "dead-host", firmwareInterface: "fake", cleanStep: flash,
      driverInternalInfo: { clean_steps: [flash, step("vendor", "log_passthrough", 1)], clean_step_index: 0 },
    });
    const servicing = await newNode({
      provisionState: "servicing", targetProvisionState: "active", reservation: "dead-host", serviceStep: step("vendor", "log_passthrough", 0),
      driverInternalInfo: { service_steps: [step("vendor", "log_passthrough", 0)], service_step_index: 0 },
    });
    const active = await newNode({ provisionState: "active", reservation: "dead-host" });
    await startConductor({ periodic: false });
    await getConductor().pool.drain();
    const c = await reload(cleaning.id);
    expect([c.provisionState, c.reservation, c.lastError, c.conductorAffinity]).toEqual(["available", null, null, HOST]);
    expect((await listHistory(db.sql, cleaning.id)).find((e) => e.eventType === "takeover" && e.event.startsWith("Node taken over"))?.event).toBe(
      `Node taken over by conductor ${HOST} from conductor dead-host, which is no longer alive: "cleaning" resumed`,
    );
    const f = await reload(flashing.id);
    const why = `The cleaning of node ${f.uuid} was not resumed after conductor dead-host stopped (it is no longer alive): clean step firmware.update was running and is not re-runnable (running it again after an interruption is not safe)`;
    expect([f.provisionState, f.reservation, f.lastError, f.maintenance, f.fault]).toEqual(["clean failed", null, why, true, "clean failure"]);
    expect((await listHistory(db.sql, flashing.id)).filter((e) => e.event === "Started clean step firmware.update")).toHaveLength(0);
    const sv = await reload(servicing.id);
    expect([sv.provisionState, sv.reservation, sv.lastError, sv.maintenance]).toEqual(["active", null, null, false]);
    expect((await listHistory(db.sql, servicing.id)).filter((e) => e.event === "Started service step vendor.log_passthrough").map((e) => e.conductor)).toEqual([HOST]);
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

  it("leaves nodes with nothing to do unwritten: their version (ETag) stays put tick after tick", async () => {
    await startConductor({ periodic: false });
    const quiet = await Promise.all([
      newNode(),
      newNode({ provisionState: "manageable", powerState: "power off" }),
      newNode({ provisionState: "available", powerState: "power off" }),
      newNode({ provisionState: "active", powerState: "power on", conductorAffinity: HOST }),
    ]);
    const unclaimedActive = await newNode({ provisionState: "active", powerState: "power on" });
    await runPeriodicTasksOnce();
    await runPeriodicTasksOnce();
    expect(await Promise.all(quiet.map(async (n) => (await reload(n.id)).version))).toEqual(quiet.map((n) => n.version));
    // An active node nobody handled yet is claimed: its boot configuration must live somewhere.
    expect((await reload(unclaimedActive.id)).conductorAffinity).toBe(HOST);
  });

  it("skips locked nodes", async () => {
    await startConductor({ periodic: false });
    const n = await newNode({ provisionState: "wait call-back", provisionUpdatedAt: new Date(0), reservation: HOST });
    await runPeriodicTasksOnce();
    expect((await reload(n.id)).provisionState).toBe("wait call-back");
  });
});
