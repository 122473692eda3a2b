// Node history: the one writer fills the structured fields Ingot's dashboard reads, and the
// sentences Ironic clients read stay what they were.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { setConfig } from "./config.ts";
import { Conductor } from "./conductor/conductor.ts";
import { NodeTask } from "./conductor/task.ts";
import type { Actor } from "./conductor/types.ts";
import { getNodeById, insertNode, type NodeRecord } from "./db/nodes.ts";
import { recordPowerChange } from "./drivers/base.ts";
import { historyFields, historySentence, listHistory, type HistoryEvent, type HistoryRow } from "./history.ts";

describe("historySentence", () => {
  const step = { kind: "clean" as const, interface: "bios", step: "apply_configuration" };
  it("renders the sentences Ironic clients have always read", () => {
    const cases: [HistoryEvent, string][] = [
      [{ kind: "provision_transition", from: "available", to: "deploying", provisionEvent: "deploy" }, 'Provision state changed from "available" to "deploying" (event "deploy")'],
      [
        { kind: "provision_transition", from: "deploying", to: "wait call-back", provisionEvent: "wait", note: "waiting for deploy.deploy" },
        'Provision state changed from "deploying" to "wait call-back" (event "wait"): waiting for deploy.deploy',
      ],
      [{ kind: "step_started", step }, "Started clean step bios.apply_configuration"],
      [{ kind: "step_finished", step }, "Finished clean step bios.apply_configuration"],
      [{ kind: "step_released", step: { kind: "deploy", interface: "deploy", step: "hold" } }, "Released (unhold) deploy step deploy.hold"],
      [{ kind: "step_failed", step, error: "BIOS setting 'X' is read-only" }, "Failed clean step bios.apply_configuration: BIOS setting 'X' is read-only"],
      [{ kind: "power_change", from: "power off", to: "power on", target: "rebooting" }, 'Power state changed from "power off" to "power on" (target "rebooting")'],
      [{ kind: "power_change", from: null, to: "power on", note: "deploy" }, 'Power state changed from "None" to "power on" (deploy)'],
      [{ kind: "power_change_failed", target: "power on", error: "boom", message: 'Failed to change power state to "power on" for node n: boom' }, 'Failed to change power state to "power on" for node n: boom'],
      [{ kind: "power_sync", from: null, to: "power on" }, 'Power state "power on" recorded from the BMC'],
      [{ kind: "power_sync", from: "power off", to: "power on" }, 'Power state changed out of band from "power off" to "power on"; database updated'],
      [{ kind: "maintenance", message: "Maintenance cleared" }, "Maintenance cleared"],
    ];
    for (const [event, sentence] of cases) expect(historySentence(event)).toBe(sentence);
  });

  it("fields carry what the sentence says", () => {
    expect(historyFields({ kind: "step_failed", step, error: "boom" })).toEqual({
      kind: "step_failed", fromState: null, toState: null, provisionEvent: null, powerTarget: null,
      stepKind: "clean", stepInterface: "bios", step: "apply_configuration", error: "boom",
    });
    expect(historyFields({ kind: "power_change", from: null, to: "power on", note: "deploy" })).toMatchObject({ fromState: null, toState: "power on", powerTarget: null });
  });
});

describe("every writer fills the structured fields", () => {
  let db: TestDb;
  let conductor: Conductor;
  const actor: Actor = { user: "alice", project: "proj-1" };
  const MINOR = 115;

  beforeAll(async () => {
    db = await createTestDb();
    setConfig({ automatedClean: true });
    conductor = new Conductor({ hostname: "history-conductor", workers: 4 });
  });
  afterAll(async () => {
    await conductor.pool.drain();
    setConfig();
    await db.cleanup();
  });

  const newNode = (driverInfo: Record<string, unknown> = {}, provisionState = "enroll"): Promise<NodeRecord> =>
    insertNode(db.sql, { driver: "fake-hardware", provisionState, driverInfo });
  const settle = async (id: number) => {
    await conductor.pool.drain();
    return (await getNodeById(db.sql, id))!;
  };
  const of = (rows: HistoryRow[], ...kinds: string[]) => rows.filter((r) => kinds.includes(r.kind));
  /** The sentence is the one rendered from the row's own fields (for the kinds that have a fixed sentence). */
  const sentenceMatchesFields = (r: HistoryRow) => {
    const s = { kind: r.stepKind, interface: r.stepInterface, step: r.step } as { kind: "clean"; interface: string; step: string };
    switch (r.kind) {
      case "provision_transition":
        return r.event.startsWith(historySentence({ kind: r.kind, from: r.fromState!, to: r.toState!, provisionEvent: r.provisionEvent! }));
      case "step_started":
      case "step_finished":
      case "step_released":
        return r.event === historySentence({ kind: r.kind, step: s });
      case "step_failed":
        return r.event === historySentence({ kind: r.kind, step: s, error: r.error! });
      default:
        return true;
    }
  };

  it("transitions, steps and power actions of a node's life", async () => {
    const n = await newNode();
    for (const verb of ["manage", "provide", "active"] as const) {
      await conductor.provision(n.id, verb, {}, actor, MINOR);
      await settle(n.id);
    }
    await conductor.setPowerState(n.id, "rebooting", undefined, actor);
    expect((await settle(n.id)).provisionState).toBe("active");

    const rows = await listHistory(db.sql, n.id);
    expect(of(rows, "provision_transition").map((r) => [r.fromState, r.toState, r.provisionEvent])).toEqual([
      ["enroll", "verifying", "manage"], ["verifying", "manageable", "done"],
      ["manageable", "cleaning", "provide"], ["cleaning", "available", "done"],
      ["available", "deploying", "deploy"], ["deploying", "active", "done"],
    ]);
    for (const r of of(rows, "provision_transition")) expect(r.state).toBe(r.toState);

    const steps = of(rows, "step_started", "step_finished");
    expect(new Set(steps.map((r) => r.stepKind))).toEqual(new Set(["clean", "deploy"]));
    for (const r of steps) expect(r.stepInterface && r.step).toBeTruthy();
    const started = of(steps, "step_started").map((r) => `${r.stepKind}:${r.stepInterface}.${r.step}`);
    expect(of(steps, "step_finished").map((r) => `${r.stepKind}:${r.stepInterface}.${r.step}`)).toEqual(started);
    expect(started).toContain("deploy:deploy.deploy");

    expect(of(rows, "power_change").at(-1)).toMatchObject({ powerTarget: "rebooting", toState: "power on", eventType: "transition" });
    expect(rows.every(sentenceMatchesFields)).toBe(true);
  });

  it("a failing step and a failing power change", async () => {
    const n = await newNode({ fake_fail: ["bios.factory_reset"] }, "manageable");
    await conductor.provision(n.id, "clean", { clean_steps: [{ interface: "bios", step: "factory_reset" }] }, actor, MINOR);
    expect((await settle(n.id)).provisionState).toBe("clean failed");
    let rows = await listHistory(db.sql, n.id);
    const failed = of(rows, "step_failed");
    expect(failed).toEqual([expect.objectContaining({ stepKind: "clean", stepInterface: "bios", step: "factory_reset", severity: "ERROR" })]);
    expect(failed[0].error).toMatch(/Fake failure/);
    expect(of(rows, "provision_transition").at(-1)).toMatchObject({ fromState: "cleaning", toState: "clean failed", provisionEvent: "fail" });
    expect(rows.every(sentenceMatchesFields)).toBe(true);

    const p = await newNode({ fake_fail: "power.set_power_state" }, "manageable");
    await conductor.setPowerState(p.id, "power on", undefined, actor);
    await settle(p.id);
    rows = await listHistory(db.sql, p.id);
    expect(of(rows, "power_change_failed")).toEqual([expect.objectContaining({ powerTarget: "power on", severity: "ERROR" })]);
    expect(of(rows, "power_change_failed")[0].error).toMatch(/Fake failure/);
  });

  it("maintenance, and a driver's own power change through the task", async () => {
    const n = await newNode({}, "manageable");
    await conductor.setMaintenance(n.id, true, "disk swap", actor);
    await conductor.setMaintenance(n.id, false, null, actor);
    const task = await NodeTask.acquire(db.sql, n.id, "history-conductor", actor);
    try {
      await task.update({ powerState: "power off" });
      await recordPowerChange(task, "power on", "inspection");
    } finally {
      await task.release();
    }
    const rows = await listHistory(db.sql, n.id);
    expect(rows.map((r) => [r.kind, r.event])).toEqual([
      ["maintenance", "Maintenance set: disk swap"],
      ["maintenance", "Maintenance cleared"],
      ["power_change", 'Power state changed from "power off" to "power on" (inspection)'],
    ]);
    expect(rows[2]).toMatchObject({ fromState: "power off", toState: "power on", powerTarget: null, user: "alice", conductor: "history-conductor" });
  });
});
