// Steps through the conductor on fake-hardware: the fake BIOS (Ironic's: stores what it is given),
// BIOS registry checks against a node's cached registry (API time and in the step),
// step progress and history, abort / abort_after, continue after a wait, service steps, deploy
// templates changing BIOS settings, runbooks, and the available-steps cache.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { cacheTestBiosRegistry } from "../../testing/bios_registry.ts";
import { loadBiosCache } from "../bios.ts";
import { setConfig } from "../config.ts";
import { getNodeById, insertNode, type NewNode, type NodeRecord } from "../db/nodes.ts";
import { listHistory } from "../history.ts";
import { readStepCache } from "../steps.ts";
import { Conductor } from "./conductor.ts";
import type { Actor, ProvisionParams } from "./types.ts";

let db: TestDb;
let conductor: Conductor;
const actor: Actor = { user: "bob", project: "proj-1" };
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
  conductor = new Conductor({ hostname: "steps-conductor", workers: 10 });
});

async function newNode(data: Partial<NewNode> = {}, traits: string[] = []): Promise<NodeRecord> {
  return insertNode(db.sql, { driver: "fake-hardware", provisionState: "enroll", ...data }, traits);
}
async function settle(id: number): Promise<NodeRecord> {
  await conductor.pool.drain();
  return (await getNodeById(db.sql, id))!;
}
async function act(id: number, verb: Parameters<Conductor["provision"]>[1], params: ProvisionParams = {}, minor = MINOR): Promise<NodeRecord> {
  await conductor.provision(id, verb, params, actor, minor);
  return settle(id);
}
/** A node that went enroll → manageable. */
async function managedNode(data: Partial<NewNode> = {}, traits: string[] = []): Promise<NodeRecord> {
  const n = await newNode(data, traits);
  const node = await act(n.id, "manage");
  expect(node.provisionState).toBe("manageable");
  return node;
}

/** A managed node whose settings cache holds a registry (as after a real BIOS interface cached it). */
async function nodeWithRegistry(data: Partial<NewNode> = {}, traits: string[] = []): Promise<NodeRecord> {
  const node = await managedNode(data, traits);
  await cacheTestBiosRegistry(db.sql, node.id);
  return node;
}
const bios = (settings: { name: string; value: unknown }[]) => ({ interface: "bios", step: "apply_configuration", args: { settings } });
async function biosValue(id: number, name: string): Promise<string | null | undefined> {
  return (await loadBiosCache(db.sql, id)).find((r) => r.name === name)?.value;
}

describe("fake BIOS (as Ironic's: no registry, stores exactly what apply_configuration is given)", () => {
  it("caches nothing on enroll → manageable; applying lists exactly the given settings, any name or value", async () => {
    const n = await managedNode();
    expect(await loadBiosCache(db.sql, n.id)).toEqual([]);
    let node = await act(n.id, "clean", { clean_steps: [bios([{ name: "Turbo", value: "On" }, { name: "Answer", value: 42 }, { name: "Flag", value: true }])] });
    expect(node.provisionState).toBe("manageable");
    let rows = await loadBiosCache(db.sql, n.id);
    expect(rows.map((r) => [r.name, r.value])).toEqual([["Answer", "42"], ["Flag", "True"], ["Turbo", "On"]]);
    expect(rows.every((r) => r.attributeType === null && r.allowableValues === null && r.readOnly === null)).toBe(true);
    // A second apply replaces the list: names not given are gone; an unchanged value keeps its timestamps.
    node = await act(n.id, "clean", { clean_steps: [bios([{ name: "Turbo", value: "On" }, { name: "Answer", value: "43" }])] });
    rows = await loadBiosCache(db.sql, n.id);
    expect(rows.map((r) => [r.name, r.value])).toEqual([["Answer", "43"], ["Turbo", "On"]]);
    const byName = Object.fromEntries(rows.map((r) => [r.name, r]));
    expect(byName.Answer.updatedAt).toBeInstanceOf(Date);
    expect(byName.Turbo.updatedAt).toBeNull();
    await act(n.id, "clean", { clean_steps: [{ interface: "bios", step: "factory_reset" }] });
    expect(await loadBiosCache(db.sql, n.id)).toEqual([]);
  });
});

describe("BIOS registry checks (against the node's cached registry)", () => {
  it("refuses settings that violate the registry before anything runs, one message per setting", async () => {
    const n = await nodeWithRegistry();
    const bad = [
      { name: "ServiceTag", value: "X" }, { name: "PowerOnDelay", value: 301 }, { name: "NumaNodesPerSocket", value: "two" },
      { name: "LogicalProc", value: "On" }, { name: "AssetTag", value: "x".repeat(33) }, { name: "WakeOnLan", value: "maybe" },
      { name: "Turbo", value: "On" }, { name: "ProcTurboMode", value: null },
    ];
    const err = await conductor.provision(n.id, "clean", { clean_steps: [bios(bad)] }, actor, MINOR).catch((e) => e);
    expect(err.status).toBe(400);
    const msg: string = err.message;
    expect(msg.startsWith(`Cannot clean node ${n.uuid}: clean step {'interface': 'bios', 'step': 'apply_configuration'} has invalid arguments: `)).toBe(true);
    for (const part of [
      "BIOS setting 'ServiceTag' is read-only",
      "BIOS setting 'PowerOnDelay': value 301 is above the upper bound 300",
      "BIOS setting 'NumaNodesPerSocket': value 'two' is not an integer",
      "BIOS setting 'LogicalProc': value 'On' is not one of the allowed values ['Enabled', 'Disabled']",
      "BIOS setting 'AssetTag': value '" + "x".repeat(33) + "' is longer than the maximum length 32",
      "BIOS setting 'WakeOnLan': value 'maybe' is not a boolean",
      "BIOS setting 'Turbo' is not in the BIOS registry of this node",
      "BIOS setting 'ProcTurboMode' needs a value",
    ]) expect(msg).toContain(part);
    expect(msg.split("; ")).toHaveLength(8);
    const node = (await getNodeById(db.sql, n.id))!;
    expect([node.provisionState, node.reservation, node.maintenance]).toEqual(["manageable", null, false]);
  });

  it("argument structure errors name the step and argument", async () => {
    const n = await managedNode();
    await expect(conductor.provision(n.id, "clean", { clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: "x" } }] }, actor, MINOR))
      .rejects.toThrow(`clean step {'interface': 'bios', 'step': 'apply_configuration', 'args': {'settings': 'x'}} has an invalid argument settings: 'x' is not of type 'array'`);
    await expect(conductor.provision(n.id, "clean", { clean_steps: [bios([{ value: 1 } as never])] }, actor, MINOR))
      .rejects.toThrow("argument settings[0]: 'name' is a required property");
    await expect(conductor.provision(n.id, "clean", { clean_steps: [{ interface: "raid", step: "create_configuration", args: { create_root_volume: "yes" } }] }, actor, MINOR))
      .rejects.toThrow("has an invalid argument create_root_volume: 'yes' is not of type 'boolean'");
  });

  it("the step checks again before the machine is touched: a registry cached after the request fails the step", async () => {
    const n = await managedNode({ driverInfo: { fake_delay_ms: 200 } });
    await conductor.provision(n.id, "clean", { clean_steps: [{ interface: "vendor", step: "log_passthrough" }, bios([{ name: "Turbo", value: "On" }])] }, actor, MINOR);
    await cacheTestBiosRegistry(db.sql, n.id);
    const node = await settle(n.id);
    expect(node.provisionState).toBe("clean failed");
    expect(node.lastError).toContain("Clean step bios.apply_configuration failed");
    expect(node.lastError).toContain("BIOS setting 'Turbo' is not in the BIOS registry of this node");
  });
});

describe("progress and history", () => {
  it("shows clean_step while a step runs and records each step's start and finish with its duration", async () => {
    const n = await managedNode({ driverInfo: { fake_delay_ms: 150 } });
    await conductor.provision(n.id, "clean", { clean_steps: [bios([{ name: "AssetTag", value: "rack-7" }]), { interface: "vendor", step: "log_passthrough" }] }, actor, MINOR);
    await new Promise((r) => setTimeout(r, 60));
    const mid = (await getNodeById(db.sql, n.id))!;
    expect(mid.provisionState).toBe("cleaning");
    expect(mid.cleanStep).toMatchObject({ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "AssetTag", value: "rack-7" }] } });
    const node = await settle(n.id);
    expect(node.provisionState).toBe("manageable");
    expect(node.cleanStep).toEqual({});
    const h = await listHistory(db.sql, n.id);
    const steps = h.filter((r) => / (clean) step /.test(r.event));
    expect(steps.map((r) => r.event)).toEqual([
      "Started clean step bios.apply_configuration", "Finished clean step bios.apply_configuration",
      "Started clean step vendor.log_passthrough", "Finished clean step vendor.log_passthrough",
    ]);
    expect(steps[1].durationSeconds).toBeGreaterThanOrEqual(0.1);
    expect(steps[0].durationSeconds).toBeNull();
    expect(steps.every((r) => r.user === "bob" && r.eventType === "provisioning")).toBe(true);
  });

  it("a failed step is recorded with its duration and severity ERROR", async () => {
    const n = await managedNode({ driverInfo: { fake_fail: "bios.factory_reset" } });
    await act(n.id, "clean", { clean_steps: [{ interface: "bios", step: "factory_reset" }] });
    const failed = (await listHistory(db.sql, n.id)).find((r) => r.event.startsWith("Failed clean step bios.factory_reset"));
    expect(failed).toMatchObject({ severity: "ERROR" });
    expect(failed!.durationSeconds).toBeGreaterThanOrEqual(0);
  });

  it("automated cleaning runs priority > 0 steps, and fills the step cache", async () => {
    const n = await managedNode();
    const node = await act(n.id, "provide");
    expect(node.provisionState).toBe("available");
    const h = (await listHistory(db.sql, n.id)).map((r) => r.event);
    expect(h).toContain("Finished clean step vendor.log_passthrough");
    expect(h.some((e) => e.includes("apply_configuration"))).toBe(false);
    const cache = await readStepCache(db.sql, node, "clean");
    expect(cache.steps[0]).toMatchObject({ interface: "vendor", step: "log_passthrough", priority: 1, abortable: false, requires_ramdisk: false });
    expect(cache.updatedAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("abort and continue", () => {
  it("abortable step in clean wait: abort → clean failed at once", async () => {
    const n = await managedNode();
    let node = await act(n.id, "clean", { clean_steps: [{ interface: "vendor", step: "trigger_cleanwait_abortable" }, { interface: "vendor", step: "log_passthrough" }] });
    expect(node.provisionState).toBe("clean wait");
    expect(node.cleanStep).toMatchObject({ step: "trigger_cleanwait_abortable", abortable: true });
    node = await act(n.id, "abort");
    expect(node.provisionState).toBe("clean failed");
    expect(node.lastError).toBe('By request, the clean operation was aborted during or after the completion of step "vendor.trigger_cleanwait_abortable"');
  });

  it("non-abortable step: abort only flags abort_after; the callback then aborts", async () => {
    const n = await managedNode();
    let node = await act(n.id, "clean", { clean_steps: [{ interface: "vendor", step: "trigger_cleanwait" }, { interface: "vendor", step: "log_passthrough" }] });
    expect(node.provisionState).toBe("clean wait");
    node = await act(n.id, "abort");
    expect(node.provisionState).toBe("clean wait");
    expect(node.cleanStep).toMatchObject({ step: "trigger_cleanwait", abort_after: true });
    expect(node.reservation).toBeNull();
    await conductor.continueSteps(n.id, actor);
    node = await settle(n.id);
    expect(node.provisionState).toBe("clean failed");
    expect(node.targetProvisionState).toBe("manageable");
    expect(node.lastError).toBe('By request, the clean operation was aborted during or after the completion of step "vendor.trigger_cleanwait"');
    const h = (await listHistory(db.sql, n.id)).map((r) => r.event);
    expect(h).toContain("Finished clean step vendor.trigger_cleanwait");
    expect(h).not.toContain("Started clean step vendor.log_passthrough");
  });

  it("abort_after on the last step: the operation simply completes", async () => {
    const n = await managedNode();
    await act(n.id, "clean", { clean_steps: [{ interface: "vendor", step: "trigger_cleanwait" }] });
    await act(n.id, "abort");
    await conductor.continueSteps(n.id, actor);
    expect((await settle(n.id)).provisionState).toBe("manageable");
  });

  it("continue without abort runs the remaining steps; continue outside a wait state is refused", async () => {
    const n = await managedNode();
    await act(n.id, "clean", { clean_steps: [{ interface: "vendor", step: "trigger_cleanwait" }, bios([{ name: "BootMode", value: "Bios" }])] });
    await conductor.continueSteps(n.id, actor);
    expect((await settle(n.id)).provisionState).toBe("manageable");
    expect(await biosValue(n.id, "BootMode")).toBe("Bios");
    await expect(conductor.continueSteps(n.id, actor)).rejects.toMatchObject({ status: 400 });
    expect((await getNodeById(db.sql, n.id))!.reservation).toBeNull();
  });

  it("abort is refused where §1.3 does not allow it", async () => {
    const n = await managedNode();
    await expect(conductor.provision(n.id, "abort", {}, actor, MINOR)).rejects.toMatchObject({ status: 400 });
  });
});

describe("service steps (1.87)", () => {
  it("runs BIOS service steps on an active node, checks the registry, holds and unholds", async () => {
    const n = await nodeWithRegistry();
    await db.sql.run(`UPDATE "Node" SET "provisionState" = 'active' WHERE "id" = ?`, [n.id]);
    await expect(conductor.provision(n.id, "service", { service_steps: [bios([{ name: "NumaNodesPerSocket", value: 9 }])] }, actor, MINOR))
      .rejects.toThrow("BIOS setting 'NumaNodesPerSocket': value 9 is above the upper bound 4");
    let node = await act(n.id, "service", { service_steps: [bios([{ name: "NumaNodesPerSocket", value: 2 }]), { interface: "deploy", step: "hold" }, { interface: "bios", step: "factory_reset" }] });
    expect(node.provisionState).toBe("service hold");
    expect(node.serviceStep).toMatchObject({ step: "hold" });
    expect(await biosValue(n.id, "NumaNodesPerSocket")).toBe("2");
    node = await act(n.id, "unhold");
    expect(node.provisionState).toBe("active");
    expect(await biosValue(n.id, "NumaNodesPerSocket")).toBeUndefined(); // the fake's factory reset empties the list
    const h = (await listHistory(db.sql, n.id)).map((r) => r.event);
    expect(h).toContain("Finished service step bios.apply_configuration");
    expect(h).toContain("Released (unhold) service step deploy.hold");
    expect((await readStepCache(db.sql, node, "service")).steps.map((s) => `${s.interface}.${s.step}`)).toContain("bios.apply_configuration");
  });

  it("unknown service step → 400; service needs steps", async () => {
    const n = await newNode({ provisionState: "active" });
    await expect(conductor.provision(n.id, "service", { service_steps: [{ interface: "vendor", step: "nope" }] }, actor, MINOR))
      .rejects.toThrow("node does not support this service step: {'interface': 'vendor', 'step': 'nope'}");
    await expect(conductor.provision(n.id, "service", {}, actor, MINOR)).rejects.toMatchObject({ status: 400 });
  });
});

describe("deploy steps and templates", () => {
  it("a BIOS deploy template really changes settings during deployment, and history shows the step", async () => {
    await db.sql.run(`INSERT INTO "DeployTemplate" ("uuid", "name", "steps", "createdAt") VALUES (?, ?, ?, ?)`, [
      "aaaaaaaa-1111-4111-8111-000000000001", "CUSTOM_X",
      JSON.stringify([{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "ProcVirtualization", value: "Disabled" }] }, priority: 150 }]),
      new Date(),
    ]);
    const n = await managedNode({}, ["CUSTOM_X"]);
    await act(n.id, "provide");
    await db.sql.run(`UPDATE "Node" SET "instanceInfo" = ? WHERE "id" = ?`, [JSON.stringify({ traits: ["CUSTOM_X"] }), n.id]);
    expect(await biosValue(n.id, "ProcVirtualization")).toBeUndefined();
    const node = await act(n.id, "active");
    expect(node.provisionState).toBe("active");
    expect(await biosValue(n.id, "ProcVirtualization")).toBe("Disabled");
    const h = await listHistory(db.sql, n.id);
    const events = h.map((r) => r.event);
    const i = events.indexOf("Started deploy step bios.apply_configuration");
    expect(i).toBeGreaterThan(-1);
    expect(events[i + 1]).toBe("Finished deploy step bios.apply_configuration");
    expect(events.indexOf("Started deploy step deploy.deploy")).toBeGreaterThan(i);
    expect(h[i + 1].durationSeconds).toBeGreaterThanOrEqual(0);
    expect((await readStepCache(db.sql, node, "deploy")).steps[0]).toMatchObject({ interface: "deploy", step: "deploy", priority: 100 });
  });

  it("a template whose settings violate the registry is refused at deploy time (400), naming the template", async () => {
    await db.sql.run(`INSERT INTO "DeployTemplate" ("uuid", "name", "steps", "createdAt") VALUES (?, ?, ?, ?)`, [
      "aaaaaaaa-1111-4111-8111-000000000002", "CUSTOM_BAD",
      JSON.stringify([{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "ServiceTag", value: "ABCDEFGH" }] }, priority: 150 }]),
      new Date(),
    ]);
    const n = await nodeWithRegistry({}, ["CUSTOM_BAD"]);
    await act(n.id, "provide");
    await db.sql.run(`UPDATE "Node" SET "instanceInfo" = ? WHERE "id" = ?`, [JSON.stringify({ traits: ["CUSTOM_BAD"] }), n.id]);
    await expect(conductor.provision(n.id, "active", {}, actor, MINOR)).rejects.toThrow(
      "Validation of deploy steps from deploy templates matching this node's instance traits failed. Matching deploy templates: CUSTOM_BAD. Errors: deploy step {'interface': 'bios', 'step': 'apply_configuration'} has invalid arguments: BIOS setting 'ServiceTag' is read-only",
    );
    expect((await getNodeById(db.sql, n.id))!.provisionState).toBe("available");
    await expect(conductor.provision(n.id, "active", { deploy_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "PowerOnDelay", value: -1 }] }, priority: 0 }] }, actor, MINOR))
      .rejects.toThrow(/CUSTOM_BAD/);
  });

  it("explicit deploy_steps are validated with Ironic's prefix; priority 0 skips argument checks", async () => {
    const n = await nodeWithRegistry();
    await act(n.id, "provide");
    await expect(conductor.provision(n.id, "active", { deploy_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "PowerOnDelay", value: -1 }] }, priority: 90 }] }, actor, MINOR))
      .rejects.toThrow(`Validation of deploy steps from "deploy steps" argument failed.deploy step {'interface': 'bios', 'step': 'apply_configuration'} has invalid arguments: BIOS setting 'PowerOnDelay': value -1 is below the lower bound 0`);
    await expect(conductor.provision(n.id, "active", { deploy_steps: [{ interface: "bios", step: "apply_configuration", args: {}, priority: 90 }] }, actor, MINOR))
      .rejects.toThrow("is missing these required arguments: settings (A list of BIOS settings");
    const node = await act(n.id, "active", { deploy_steps: [{ interface: "bios", step: "apply_configuration", args: {}, priority: 0 }, { interface: "raid", step: "create_configuration", args: {}, priority: 60 }] });
    expect(node.provisionState).toBe("active");
    expect((await listHistory(db.sql, n.id)).map((r) => r.event)).toContain("Finished deploy step raid.create_configuration");
  });

  it("deploy hold: deploy_step is visible, unhold finishes", async () => {
    const n = await managedNode();
    await act(n.id, "provide");
    let node = await act(n.id, "active", { deploy_steps: [{ interface: "deploy", step: "hold", args: {}, priority: 150 }] });
    expect(node.provisionState).toBe("deploy hold");
    expect(node.deployStep).toMatchObject({ interface: "deploy", step: "hold" });
    node = await act(n.id, "unhold");
    expect(node.provisionState).toBe("active");
    expect(node.deployStep).toEqual({});
  });
});

describe("runbooks (1.92, traits 1.112)", () => {
  async function runbook(name: string, steps: unknown[], traits: string[] = [], extra: { disableRamdisk?: boolean } = {}): Promise<string> {
    const uuid = crypto.randomUUID();
    await db.sql.run(`INSERT INTO "Runbook" ("uuid", "name", "steps", "disableRamdisk", "createdAt") VALUES (?, ?, ?, ?, ?)`, [
      uuid, name, JSON.stringify(steps), extra.disableRamdisk ?? false, new Date(),
    ]);
    const id = (await db.sql.get<{ id: number }>(`SELECT "id" FROM "Runbook" WHERE "uuid" = ?`, [uuid]))!.id;
    for (const t of traits) await db.sql.run(`INSERT INTO "RunbookTrait" ("runbookId", "trait") VALUES (?, ?)`, [id, t]);
    return uuid;
  }

  it("runs a runbook's steps in `order` for manual cleaning, with the trait rule of the version", async () => {
    const uuid = await runbook("CUSTOM_RB_CLEAN", [
      { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "PowerOnDelay", value: 5 }] }, order: 2 },
      { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "PowerOnDelay", value: 7 }] }, order: 1 },
    ], ["CUSTOM_GPU"]);
    const n = await managedNode({}, ["CUSTOM_GPU"]);
    // < 1.112: the runbook's name must be a node trait.
    await expect(conductor.provision(n.id, "clean", { runbook: uuid }, actor, 92)).rejects.toThrow(
      `Runbook CUSTOM_RB_CLEAN cannot be used on node ${n.uuid}: the node does not have the trait CUSTOM_RB_CLEAN.`,
    );
    const node = await act(n.id, "clean", { runbook: uuid }, 112);
    expect(node.provisionState).toBe("manageable");
    expect(await biosValue(n.id, "PowerOnDelay")).toBe("5");
  });

  it("refuses a runbook without shared traits, an unknown runbook, and bad steps inside one", async () => {
    const n = await nodeWithRegistry({}, ["CUSTOM_A"]);
    const other = await runbook("rb-other", [{ interface: "vendor", step: "log_passthrough", order: 0 }], ["CUSTOM_B"]);
    await expect(conductor.provision(n.id, "clean", { runbook: other }, actor, 112)).rejects.toThrow(/none of the runbook's traits \(CUSTOM_B\)/);
    const none = await runbook("rb-none", [{ interface: "vendor", step: "log_passthrough", order: 0 }]);
    await expect(conductor.provision(n.id, "clean", { runbook: none }, actor, 112)).rejects.toThrow(/the runbook has no traits/);
    await expect(conductor.provision(n.id, "clean", { runbook: "rb-missing" }, actor, 112)).rejects.toMatchObject({ status: 404 });
    const bad = await runbook("rb-bad", [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "BootMode", value: "Legacy" }] }, order: 0 }], ["CUSTOM_A"]);
    await expect(conductor.provision(n.id, "clean", { runbook: bad }, actor, 112)).rejects.toThrow("BIOS setting 'BootMode': value 'Legacy' is not one of the allowed values ['Uefi', 'Bios']");
    await expect(conductor.provision(n.id, "clean", { runbook: bad, clean_steps: [{ interface: "vendor", step: "log_passthrough" }] }, actor, 112))
      .rejects.toThrow("Cannot specify both clean_steps and runbook.");
    expect((await getNodeById(db.sql, n.id))!.provisionState).toBe("manageable");
  });

  it("runs a runbook for servicing and applies its disable_ramdisk", async () => {
    const uuid = await runbook("rb-service", [{ interface: "vendor", step: "log_passthrough", order: 0 }], ["CUSTOM_S"], { disableRamdisk: true });
    const n = await managedNode({}, ["CUSTOM_S"]);
    await db.sql.run(`UPDATE "Node" SET "provisionState" = 'active' WHERE "id" = ?`, [n.id]);
    const node = await act(n.id, "service", { runbook: "rb-service" }, 112);
    expect(node.provisionState).toBe("active");
    expect(node.driverInternalInfo.servicing_disable_ramdisk).toBe(true);
    expect(uuid).toBeTruthy();
  });
});
