// End-to-end flows on fake-hardware through the conductor.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { setConfig } from "../config.ts";
import { getNodeById, insertNode, releaseNode, reserveNode, type NewNode, type NodeRecord } from "../db/nodes.ts";
import { liveEvents, type LiveEvent } from "../events.ts";
import { listHistory } from "../history.ts";
import { Conductor } from "./conductor.ts";
import type { Actor } from "./types.ts";

let db: TestDb;
let conductor: Conductor;
const actor: Actor = { user: "alice", project: "proj-1" };
const MINOR = 115;

beforeAll(async () => {
  db = await createTestDb();
  setConfig({ automatedClean: true, maxWaitStepSeconds: 30 });
});
afterAll(async () => {
  await conductor?.pool.drain();
  setConfig();
  await db.cleanup();
});
beforeEach(() => {
  conductor = new Conductor({ hostname: "test-conductor", workers: 10 });
});

async function newNode(data: Partial<NewNode> = {}, traits: string[] = []): Promise<NodeRecord> {
  return insertNode(db.sql, { driver: "fake-hardware", provisionState: "enroll", ...data }, traits);
}

async function settle(id: number): Promise<NodeRecord> {
  await conductor.pool.drain();
  return (await getNodeById(db.sql, id))!;
}

async function act(id: number, verb: Parameters<Conductor["provision"]>[1], params = {}): Promise<NodeRecord> {
  await conductor.provision(id, verb, params, actor, MINOR);
  return settle(id);
}

describe("lifecycle", () => {
  it("enroll → manage → provide → deploy → undeploy → available", async () => {
    const events: LiveEvent[] = [];
    const unsubscribe = liveEvents().subscribe((e) => events.push(e));
    const n = await newNode();
    await conductor.provision(n.id, "manage", {}, actor, MINOR);
    // The first transition happens before provision() resolves (the API answers 202 after it).
    expect((await getNodeById(db.sql, n.id))!.provisionState).toMatch(/verifying|manageable/);
    let node = await settle(n.id);
    expect(node.provisionState).toBe("manageable");
    expect(node.targetProvisionState).toBeNull();
    expect(node.reservation).toBeNull();
    expect(node.provisionUpdatedAt).not.toBeNull();

    node = await act(n.id, "provide");
    expect(node.provisionState).toBe("available");
    expect(node.targetProvisionState).toBeNull();
    expect(node.driverInternalInfo.clean_steps).toBeNull();

    node = await act(n.id, "active", { configdrive: "H4sIAAAA" });
    expect(node.provisionState).toBe("active");
    expect(node.targetProvisionState).toBeNull();
    expect(node.instanceInfo.configdrive).toBe("H4sIAAAA");
    expect(node.deployStep).toEqual({});
    expect(node.driverInternalInfo.deploy_steps).toBeNull();

    await db.sql.run(`UPDATE "Node" SET "instanceUuid" = ?, "instanceInfo" = ? WHERE "id" = ?`, [
      "9a2b5a6e-0000-4000-8000-000000000001", JSON.stringify({ image_source: "x" }), n.id,
    ]);
    await db.sql.run(`INSERT INTO "Allocation" ("uuid", "nodeId", "state", "createdAt") VALUES (?, ?, ?, ?)`, [
      "9a2b5a6e-0000-4000-8000-0000000000aa", n.id, "active", new Date(),
    ]);
    node = await act(n.id, "deleted");
    expect(node.provisionState).toBe("available");
    expect(node.instanceUuid).toBeNull();
    expect(node.instanceInfo).toEqual({});
    expect(await db.sql.get(`SELECT 1 FROM "Allocation" WHERE "nodeId" = ?`, [n.id])).toBeUndefined();
    unsubscribe();

    const history = await listHistory(db.sql, n.id);
    const states = history.filter((h) => h.event.startsWith("Provision state changed")).map((h) => h.state);
    expect(states).toEqual([
      "verifying", "manageable", "cleaning", "available", "deploying", "active", "deleting", "cleaning", "available",
    ]);
    expect(history.every((h) => h.conductor === "test-conductor")).toBe(true);
    expect(history.find((h) => h.state === "active")?.user).toBe("alice");
    expect(history.find((h) => h.state === "active")?.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(history.find((h) => h.state === "deleting")?.eventType).toBe("unprovision");
    expect(events.some((e) => e.type === "node" && e.id === n.id && e.provisionState === "active")).toBe(true);
  });

  it("refuses verbs the state does not allow, without keeping the lock", async () => {
    const n = await newNode();
    await expect(conductor.provision(n.id, "active", {}, actor, MINOR)).rejects.toMatchObject({
      status: 400,
      message: `The requested action "active" can not be performed on node "${n.uuid}" while it is in state "enroll".`,
    });
    expect((await getNodeById(db.sql, n.id))!.reservation).toBeNull();
  });

  it("provide on a retired node is refused; a retired node ends in manageable after tear-down", async () => {
    const n = await newNode({ provisionState: "manageable", retired: true });
    await expect(conductor.provision(n.id, "provide", {}, actor, MINOR)).rejects.toThrow(
      `The providing operation can't be performed on node ${n.uuid} because it is retired.`,
    );
    const a = await newNode({ provisionState: "active", retired: true });
    expect((await act(a.id, "deleted")).provisionState).toBe("manageable");
  });

  it("skips automated cleaning when the node opts out", async () => {
    const n = await newNode({ provisionState: "manageable", automatedClean: false, driverInfo: { fake_fail: "vendor.log_passthrough" } });
    const node = await act(n.id, "provide");
    expect(node.provisionState).toBe("available");
  });

  it("verification failure returns the node to enroll with last_error", async () => {
    const n = await newNode({ driverInfo: { fake_fail: "power.get_power_state" } });
    const node = await act(n.id, "manage");
    expect(node.provisionState).toBe("enroll");
    expect(node.lastError).toMatch(/Verification failed on node .*Fake failure of power.get_power_state/);
    const h = await listHistory(db.sql, n.id);
    expect(h.at(-1)).toMatchObject({ severity: "ERROR", eventType: "verify", state: "enroll" });
  });

  it("manage from available/clean failed goes straight to manageable", async () => {
    const n = await newNode({ provisionState: "clean failed", targetProvisionState: "available" });
    await conductor.provision(n.id, "manage", {}, actor, MINOR);
    const node = (await getNodeById(db.sql, n.id))!;
    expect(node.provisionState).toBe("manageable");
    expect(node.targetProvisionState).toBeNull();
    expect(node.reservation).toBeNull();
  });
});

describe("cleaning", () => {
  it("runs manual clean steps in order and returns to manageable", async () => {
    const n = await newNode({ provisionState: "manageable" });
    const node = await act(n.id, "clean", {
      clean_steps: [
        { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "LogicalProc", value: "Disabled" }, { name: "ProcTurboMode", value: "Disabled" }] } },
        { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "ProcTurboMode", value: "Enabled" }] } },
      ],
    });
    expect(node.provisionState).toBe("manageable");
    expect(node.targetProvisionState).toBeNull();
    const settings = async () => db.sql.all<{ name: string; value: string }>(`SELECT "name", "value" FROM "BiosSetting" WHERE "nodeId" = ? ORDER BY "name"`, [n.id]);
    // The fake BIOS (as Ironic's) keeps exactly the settings of the last apply: the second step ran last.
    expect(await settings()).toEqual([{ name: "ProcTurboMode", value: "Enabled" }]);
    await act(n.id, "clean", { clean_steps: [{ interface: "bios", step: "factory_reset" }] });
    expect(await settings()).toEqual([]);
  });

  it("rejects bad clean steps synchronously (400) without changing the node", async () => {
    const n = await newNode({ provisionState: "manageable" });
    await expect(conductor.provision(n.id, "clean", { clean_steps: [{ interface: "bios", step: "nope" }] }, actor, MINOR))
      .rejects.toMatchObject({ status: 400, message: expect.stringContaining("node does not support this clean step: {'interface': 'bios', 'step': 'nope'}") });
    const node = (await getNodeById(db.sql, n.id))!;
    expect(node.provisionState).toBe("manageable");
    expect(node.reservation).toBeNull();
  });

  it("a failing clean step → clean failed, maintenance with fault 'clean failure'", async () => {
    const n = await newNode({ provisionState: "manageable", driverInfo: { fake_fail: ["bios.factory_reset"] } });
    const node = await act(n.id, "clean", { clean_steps: [{ interface: "bios", step: "factory_reset" }] });
    expect(node.provisionState).toBe("clean failed");
    expect(node.targetProvisionState).toBe("manageable");
    expect(node.lastError).toMatch(/^Clean step bios.factory_reset failed on node/);
    expect(node.maintenance).toBe(true);
    expect(node.fault).toBe("clean failure");
    expect(node.cleanStep).toEqual({});
    expect(node.reservation).toBeNull();
    // A new operation clears last_error.
    const again = await act(n.id, "manage");
    expect(again.provisionState).toBe("manageable");
  });

  it("automated clean failure during provide", async () => {
    const n = await newNode({ provisionState: "manageable", driverInfo: { fake_fail: "vendor.log_passthrough" } });
    const node = await act(n.id, "provide");
    expect(node.provisionState).toBe("clean failed");
    expect(node.targetProvisionState).toBe("available");
    expect(node.fault).toBe("clean failure");
  });

  it("hold step parks the node in clean hold until unhold, then continues", async () => {
    const n = await newNode({ provisionState: "manageable" });
    let node = await act(n.id, "clean", {
      clean_steps: [
        { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "PowerOnDelay", value: 10 }] } },
        { interface: "deploy", step: "hold" },
        { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "PowerOnDelay", value: 20 }] } },
      ],
    });
    const delay = async () =>
      (await db.sql.get<{ value: string }>(`SELECT "value" FROM "BiosSetting" WHERE "nodeId" = ? AND "name" = 'PowerOnDelay'`, [n.id]))?.value;
    expect(node.provisionState).toBe("clean hold");
    expect(node.targetProvisionState).toBe("manageable");
    expect(node.reservation).toBeNull();
    expect(node.cleanStep.step).toBe("hold");
    expect(await delay()).toBe("10");
    node = await act(n.id, "unhold");
    expect(node.provisionState).toBe("manageable");
    expect(await delay()).toBe("20");
  });

  it("abort from clean hold → clean failed", async () => {
    const n = await newNode({ provisionState: "manageable" });
    await act(n.id, "clean", { clean_steps: [{ interface: "deploy", step: "hold" }] });
    const node = await act(n.id, "abort");
    expect(node.provisionState).toBe("clean failed");
    expect(node.targetProvisionState).toBe("manageable");
    expect(node.lastError).toMatch(/By request, the clean operation was aborted/);
    expect(node.reservation).toBeNull();
  });

  it("wait and power steps", async () => {
    const n = await newNode({ provisionState: "manageable" });
    const t0 = Date.now();
    const node = await act(n.id, "clean", {
      clean_steps: [
        { interface: "power", step: "power_on" },
        { interface: "deploy", step: "wait", args: { seconds: 1 } },
        { interface: "power", step: "power_off" },
      ],
    });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(node.provisionState).toBe("manageable");
    expect(node.powerState).toBe("power off");
  });
});

describe("deploy", () => {
  it("uses deploy templates matched by instance traits", async () => {
    await db.sql.run(`INSERT INTO "DeployTemplate" ("uuid", "name", "steps", "createdAt") VALUES (?, ?, ?, ?)`, [
      "22222222-2222-2222-2222-222222222222", "CUSTOM_HPC",
      JSON.stringify([{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "LogicalProc", value: "Disabled" }] }, priority: 120 }]),
      new Date(),
    ]);
    const n = await newNode({ provisionState: "available", instanceInfo: { traits: ["CUSTOM_HPC"] } }, ["CUSTOM_HPC"]);
    const node = await act(n.id, "active");
    expect(node.provisionState).toBe("active");
    expect(await db.sql.get(`SELECT "value" FROM "BiosSetting" WHERE "nodeId" = ? AND "name" = 'LogicalProc'`, [n.id])).toEqual({ value: "Disabled" });
  });

  it("a failing deploy step → deploy failed, lock released, then redeploy works", async () => {
    const n = await newNode({ provisionState: "available", driverInfo: { fake_fail: "deploy.deploy" } });
    let node = await act(n.id, "active");
    expect(node.provisionState).toBe("deploy failed");
    expect(node.targetProvisionState).toBe("active");
    expect(node.lastError).toMatch(/Deploy step deploy.deploy failed/);
    expect(node.deployStep).toEqual({});
    expect(node.reservation).toBeNull();
    await db.sql.run(`UPDATE "Node" SET "driverInfo" = '{}' WHERE "id" = ?`, [n.id]);
    node = await act(n.id, "active");
    expect(node.provisionState).toBe("active");
    expect(node.lastError).toBeNull();
  });

  it("deploy hold and unhold", async () => {
    const n = await newNode({ provisionState: "available" });
    let node = await act(n.id, "active", { deploy_steps: [{ interface: "deploy", step: "hold", args: {}, priority: 150 }] });
    expect(node.provisionState).toBe("deploy hold");
    node = await act(n.id, "unhold");
    expect(node.provisionState).toBe("active");
  });

  it("refuses deploy in maintenance and rebuild of a protected node", async () => {
    const n = await newNode({ provisionState: "available", maintenance: true });
    await expect(conductor.provision(n.id, "active", {}, actor, MINOR)).rejects.toMatchObject({ status: 400, message: expect.stringContaining("maintenance") });
    const p = await newNode({ provisionState: "active", protected: true });
    await expect(conductor.provision(p.id, "rebuild", {}, actor, MINOR)).rejects.toMatchObject({ status: 403 });
  });

  it("sets the automatic lessee from instance_info.project_id and clears it on undeploy", async () => {
    const n = await newNode({ provisionState: "available", instanceInfo: { project_id: "tenant-9" } });
    let node = await act(n.id, "active");
    expect(node.lessee).toBe("tenant-9");
    node = await act(n.id, "deleted");
    expect(node.lessee).toBeNull();
  });

  it("tear-down failure → error", async () => {
    const n = await newNode({ provisionState: "active", driverInfo: { fake_fail: "deploy.tear_down" } });
    const node = await act(n.id, "deleted");
    expect(node.provisionState).toBe("error");
    expect(node.lastError).toMatch(/Tear down failed/);
  });
});

describe("inspect, rescue, adopt, service", () => {
  it("inspect sets timestamps", async () => {
    const n = await newNode({ provisionState: "manageable" });
    const node = await act(n.id, "inspect");
    expect(node.provisionState).toBe("manageable");
    expect(node.inspectionFinishedAt).toBeInstanceOf(Date);
    expect(node.inspectionStartedAt).toBeNull();
  });

  it("rescue needs a password; rescue → unrescue", async () => {
    const n = await newNode({ provisionState: "active" });
    await expect(conductor.provision(n.id, "rescue", {}, actor, MINOR)).rejects.toMatchObject({ status: 400 });
    let node = await act(n.id, "rescue", { rescue_password: "s3cret" });
    expect(node.provisionState).toBe("rescue");
    expect(node.instanceInfo.rescue_password).toBe("s3cret");
    node = await act(n.id, "unrescue");
    expect(node.provisionState).toBe("active");
    expect(node.instanceInfo.rescue_password).toBeUndefined();
  });

  it("rescue failure → rescue failed", async () => {
    const n = await newNode({ provisionState: "active", driverInfo: { fake_fail: "rescue.rescue" } });
    expect((await act(n.id, "rescue", { rescue_password: "x" })).provisionState).toBe("rescue failed");
  });

  it("adopt → active", async () => {
    const n = await newNode({ provisionState: "manageable" });
    expect((await act(n.id, "adopt")).provisionState).toBe("active");
  });

  it("service steps run and return to active; trigger_servicewait waits and abort leaves", async () => {
    const n = await newNode({ provisionState: "active" });
    expect((await act(n.id, "service", { service_steps: [{ interface: "vendor", step: "log_passthrough" }] })).provisionState).toBe("active");
    let node = await act(n.id, "service", { service_steps: [{ interface: "vendor", step: "trigger_servicewait" }] });
    expect(node.provisionState).toBe("service wait");
    node = await act(n.id, "abort");
    expect(node.provisionState).toBe("service failed");
    node = await act(n.id, "abort");
    expect(node.provisionState).toBe("active");
  });
});

describe("locking and workers", () => {
  it("a locked node answers NodeLocked (409)", async () => {
    const n = await newNode({ provisionState: "manageable", reservation: "other-host" });
    await expect(conductor.provision(n.id, "provide", {}, actor, MINOR)).rejects.toMatchObject({
      status: 409,
      message: `Node ${n.uuid} is locked by host other-host, please retry after the current operation is completed.`,
    });
    await expect(conductor.setPowerState(n.id, "power on", undefined, actor)).rejects.toMatchObject({ status: 409 });
  });

  it("a second action while the first runs gets 409", async () => {
    const n = await newNode({ provisionState: "manageable", driverInfo: { fake_delay_ms: 1000 } });
    await conductor.provision(n.id, "provide", {}, actor, MINOR);
    await expect(conductor.provision(n.id, "manage", {}, actor, MINOR)).rejects.toMatchObject({ status: 409 });
    expect((await settle(n.id)).provisionState).toBe("available");
  });

  it("an action right behind a lock that is being released waits for it instead of a 409", async () => {
    const n = await newNode({ provisionState: "available" });
    expect(await reserveNode(db.sql, n.id, "finishing-flow")).toBe(true);
    setTimeout(() => void releaseNode(db.sql, n.id, "finishing-flow"), 100);
    await conductor.provision(n.id, "manage", {}, actor, MINOR);
    expect((await settle(n.id)).provisionState).toBe("manageable");
  });

  it("no free worker → 503 and the lock is released", async () => {
    conductor = new Conductor({ hostname: "test-conductor", workers: 1 });
    const a = await newNode({ provisionState: "manageable", driverInfo: { fake_delay_ms: 300 } });
    const b = await newNode({ provisionState: "manageable" });
    await conductor.provision(a.id, "provide", {}, actor, MINOR);
    await expect(conductor.provision(b.id, "provide", {}, actor, MINOR)).rejects.toMatchObject({ status: 503 });
    const nodeB = (await getNodeById(db.sql, b.id))!;
    expect(nodeB.reservation).toBeNull();
    expect(nodeB.provisionState).toBe("manageable");
    await settle(a.id);
    expect((await act(b.id, "provide")).provisionState).toBe("available");
  });
});

describe("power, console, maintenance, management", () => {
  it("sets power and records it", async () => {
    const n = await newNode({ provisionState: "manageable" });
    await conductor.setPowerState(n.id, "power on", undefined, actor);
    // Accepted: the target is set, or the worker has already finished (then the node is on).
    const accepted = (await getNodeById(db.sql, n.id))!;
    expect(accepted.targetPowerState ?? accepted.powerState).toBe("power on");
    let node = await settle(n.id);
    expect(node.powerState).toBe("power on");
    expect(node.targetPowerState).toBeNull();
    await conductor.setPowerState(n.id, "soft power off", 10, actor);
    node = await settle(n.id);
    expect(node.powerState).toBe("power off");
    await conductor.setPowerState(n.id, "rebooting", undefined, actor);
    expect((await settle(n.id)).powerState).toBe("power on");
    const h = await listHistory(db.sql, n.id);
    expect(h.filter((r) => r.event.startsWith("Power state changed")).length).toBe(3);
  });

  it("power failure sets last_error and clears the target", async () => {
    const n = await newNode({ provisionState: "manageable", driverInfo: { fake_fail: "power.set_power_state" } });
    await conductor.setPowerState(n.id, "power on", undefined, actor);
    const node = await settle(n.id);
    expect(node.powerState).toBeNull();
    expect(node.targetPowerState).toBeNull();
    expect(node.lastError).toMatch(/Failed to change power state/);
  });

  it("refuses power in cleaning and power off with disable_power_off", async () => {
    const a = await newNode({ provisionState: "clean wait" });
    await expect(conductor.setPowerState(a.id, "power on", undefined, actor)).rejects.toMatchObject({ status: 400 });
    const b = await newNode({ provisionState: "active", disablePowerOff: true });
    await expect(conductor.setPowerState(b.id, "power off", undefined, actor)).rejects.toMatchObject({ status: 409 });
    expect((await getNodeById(db.sql, b.id))!.reservation).toBeNull();
  });

  it("console on/off", async () => {
    const n = await newNode({ provisionState: "manageable" });
    expect(await conductor.getConsole(n.id)).toEqual({ console_enabled: false, console_info: null });
    await conductor.setConsoleMode(n.id, true, actor);
    await settle(n.id);
    expect(await conductor.getConsole(n.id)).toEqual({ console_enabled: true, console_info: {} });
    await conductor.setConsoleMode(n.id, true, actor); // no-op
    await conductor.setConsoleMode(n.id, false, actor);
    expect((await settle(n.id)).consoleEnabled).toBe(false);
    const noConsole = await newNode({ consoleInterface: "no-console" });
    await expect(conductor.setConsoleMode(noConsole.id, true, actor)).rejects.toThrow(
      "Driver fake-hardware does not support console (disabled or not implemented).",
    );
  });

  it("maintenance clear also clears fault and reason", async () => {
    const n = await newNode({ maintenance: true, maintenanceReason: "x", fault: "power failure" });
    await conductor.setMaintenance(n.id, false, null, actor);
    const node = (await getNodeById(db.sql, n.id))!;
    expect([node.maintenance, node.maintenanceReason, node.fault]).toEqual([false, null, null]);
    await conductor.setMaintenance(n.id, true, "broken fan", actor);
    expect((await getNodeById(db.sql, n.id))!.maintenanceReason).toBe("broken fan");
  });

  it("boot device, boot mode, indicators, nmi, validate, vendor passthru", async () => {
    const n = await newNode({ provisionState: "manageable", biosInterface: "no-bios" });
    expect(await conductor.getBootDevice(n.id)).toEqual({ boot_device: "pxe", persistent: false });
    expect(await conductor.getSupportedBootDevices(n.id)).toEqual(["pxe"]);
    await expect(conductor.setBootDevice(n.id, "disk", false, actor)).rejects.toThrow("Invalid boot device disk specified.");
    await conductor.setBootDevice(n.id, "pxe", true, actor);
    await conductor.setBootMode(n.id, "uefi", actor);
    await settle(n.id);
    await conductor.setSecureBoot(n.id, true, actor);
    const node = await settle(n.id);
    expect([node.bootMode, node.secureBoot]).toEqual(["uefi", true]);
    const indicators = await conductor.getIndicators(n.id);
    expect(indicators.map((i) => `${i.name}@${i.component}:${i.readonly}`)).toEqual(["led-0@chassis:true", "led@system:false"]);
    expect(await conductor.getIndicatorState(n.id, "system", "led")).toBe("on");
    await conductor.setIndicatorState(n.id, "system", "led", "blinking", actor);
    expect(await conductor.getIndicatorState(n.id, "system", "led")).toBe("blinking");
    await expect(conductor.setIndicatorState(n.id, "chassis", "led-0", "off", actor)).rejects.toMatchObject({ status: 400 });
    await expect(conductor.injectNmi(n.id, actor)).rejects.toThrow("Driver fake-hardware does not support inject_nmi (disabled or not implemented).");
    const v = await conductor.validate(n.id);
    expect(Object.keys(v)).toEqual(["boot", "deploy", "management", "network", "power", "bios", "console", "firmware", "inspect", "raid", "rescue", "storage"]);
    expect(v.power).toEqual({ result: true });
    expect(v.bios).toEqual({ result: false, reason: "Driver fake-hardware does not support bios (disabled or not implemented)." });
    expect(Object.keys(await conductor.vendorPassthruMethods(n.id)).sort()).toEqual(["fourth_method_shared_lock", "second_method", "third_method_sync"]);
    expect(await conductor.vendorPassthru(n.id, "third_method_sync", "POST", { bar: "meow" }, actor)).toEqual({ async: false, result: true });
    expect(await conductor.vendorPassthru(n.id, "second_method", "POST", { bar: "x" }, actor)).toEqual({ async: true, result: null });
    await expect(conductor.vendorPassthru(n.id, "second_method", "POST", {}, actor)).rejects.toThrow("Parameter 'bar' not passed to method 'second_method'.");
    await expect(conductor.vendorPassthru(n.id, "nope", "POST", {}, actor)).rejects.toThrow("No handler for method nope");
    await expect(conductor.vendorPassthru(n.id, "third_method_sync", "GET", {}, actor)).rejects.toThrow("The method third_method_sync does not support HTTP GET");
    await settle(n.id);
  });

  it("boot mode is refused in unstable states", async () => {
    const n = await newNode({ provisionState: "deploying" });
    await expect(conductor.setBootMode(n.id, "bios", actor)).rejects.toMatchObject({ status: 409 });
    expect((await getNodeById(db.sql, n.id))!.reservation).toBeNull();
  });

  it("noop network accepts VIFs and lists none (as Ironic does)", async () => {
    const n = await newNode();
    await conductor.vifAttach(n.id, { id: "vif-1" }, actor);
    expect(await conductor.vifList(n.id)).toEqual([]);
    await conductor.vifDetach(n.id, "vif-1", actor);
  });
});

describe("destroyNode", () => {
  it("refuses active nodes with Ironic's wording, deletes allowed ones with their rows", async () => {
    const a = await newNode({ provisionState: "active" });
    await expect(conductor.destroyNode(a.id, actor)).rejects.toMatchObject({
      status: 409,
      message: `Can not delete node "${a.uuid}" while it is in provision state "active". Valid provision states to perform deletion are: "('manageable', 'enroll', 'adopt failed', 'available')", or set the node into maintenance mode`,
    });
    expect((await getNodeById(db.sql, a.id))!.reservation).toBeNull();
    const p = await newNode({ provisionState: "manageable", protected: true });
    await expect(conductor.destroyNode(p.id, actor)).rejects.toMatchObject({ status: 403 });

    const n = await newNode({ provisionState: "manageable", consoleEnabled: true }, ["CUSTOM_X"]);
    await db.sql.run(`INSERT INTO "Port" ("uuid", "address", "nodeId", "createdAt") VALUES (?, ?, ?, ?)`, ["33333333-3333-3333-3333-333333333333", "52:54:00:00:00:01", n.id, new Date()]);
    await conductor.setMaintenance(n.id, true, "x", actor);
    await conductor.destroyNode(n.id, actor);
    expect(await getNodeById(db.sql, n.id)).toBeNull();
    expect(await db.sql.all(`SELECT * FROM "Port" WHERE "nodeId" = ?`, [n.id])).toEqual([]);
    expect(await db.sql.all(`SELECT * FROM "NodeHistory" WHERE "nodeId" = ?`, [n.id])).toEqual([]);
    expect(await db.sql.all(`SELECT * FROM "NodeTrait" WHERE "nodeId" = ?`, [n.id])).toEqual([]);

    const m = await newNode({ provisionState: "active", maintenance: true });
    await conductor.destroyNode(m.id, actor);
    expect(await getNodeById(db.sql, m.id)).toBeNull();
  });
});
