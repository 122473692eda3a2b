import { describe, expect, it } from "vitest";
import { barSeconds, buildTimeline, stepsIn, tickStep, type HistoryEventInput } from "./timeline.ts";

let n = 0;
const T0 = Date.parse("2026-01-01T00:00:00Z");
function ev(sec: number, event: string, extra: Partial<HistoryEventInput> = {}): HistoryEventInput {
  return { uuid: `u${n++}`, created_at: new Date(T0 + sec * 1000).toISOString(), severity: "INFO", event, event_type: "provisioning", user: "admin", ...extra };
}

describe("buildTimeline", () => {
  it("turns a deploy into state bars, step bars and power markers", () => {
    const history = [
      ev(10, 'Provision state changed from "available" to "deploying" (event "deploy")', { event_type: "transition" }),
      ev(11, "Started deploy step deploy.deploy"),
      ev(12, 'Power state changed from "power off" to "power on" (target "rebooting")', { event_type: "transition" }),
      ev(13, 'Provision state changed from "deploying" to "wait call-back" (event "wait"): waiting for deploy.deploy'),
      ev(20, 'Provision state changed from "wait call-back" to "deploying" (event "resume")'),
      ev(20, "Finished deploy step deploy.deploy"),
      ev(21, "Started deploy step deploy.write_image"),
      ev(25, "Finished deploy step deploy.write_image"),
      ev(26, 'Provision state changed from "deploying" to "active" (event "done")'),
    ];
    const t = buildTimeline(history, { created_at: new Date(T0).toISOString(), provision_state: "active" }, T0 + 60_000);
    expect(t.states.map((s) => [s.state, (s.start - T0) / 1000, s.end === null ? null : (s.end - T0) / 1000])).toEqual([
      ["available", 0, 10],
      ["deploying", 10, 13],
      ["wait call-back", 13, 20],
      ["deploying", 20, 26],
      ["active", 26, null],
    ]);
    expect(t.lanes).toEqual(["available", "deploying", "wait call-back", "active"]);
    expect(t.steps.map((s) => [s.name, s.status, barSeconds(s, 0)])).toEqual([
      ["deploy.deploy", "finished", 9],
      ["deploy.write_image", "finished", 4],
    ]);
    expect(t.steps[0].state).toBe("deploying");
    expect(t.markers).toHaveLength(1);
    expect(t.markers[0]).toMatchObject({ kind: "power", label: "power: rebooting" });
    expect(stepsIn(t, t.states[1]).map((s) => s.name)).toEqual(["deploy.deploy"]);
    expect(stepsIn(t, t.states[3]).map((s) => s.name)).toEqual(["deploy.write_image"]);
    expect(barSeconds(t.states[4], T0 + 60_000)).toBe(34);
    expect(t.end).toBe(T0 + 60_000);
  });

  it("puts a step in one bar even when its state began and ended in the same millisecond", () => {
    const history = [
      ev(1, 'Provision state changed from "manageable" to "cleaning" (event "clean")'),
      ev(1, "Started clean step bios.apply_configuration"),
      ev(1, "Failed clean step bios.apply_configuration: simulated", { severity: "ERROR" }),
      ev(1, 'Provision state changed from "cleaning" to "clean failed" (event "fail")', { severity: "ERROR" }),
    ];
    const t = buildTimeline(history, { created_at: null, provision_state: "clean failed" }, T0 + 10_000);
    const bars = t.states.map((b) => [b.state, stepsIn(t, b).map((s) => s.name)]);
    expect(bars).toEqual([["manageable", []], ["cleaning", ["bios.apply_configuration"]], ["clean failed", []]]);
  });

  it("marks failed steps, failure states and error rows red", () => {
    const history = [
      ev(1, 'Provision state changed from "manageable" to "cleaning" (event "clean")'),
      ev(2, "Started clean step bios.apply_configuration"),
      ev(3, "Failed clean step bios.apply_configuration: BIOS setting 'X' is read-only", { severity: "ERROR" }),
      ev(3, 'Provision state changed from "cleaning" to "clean failed" (event "fail")', { severity: "ERROR" }),
      ev(4, 'Failed to change power state to "power on" by "power on" for node x: boom', { severity: "ERROR", event_type: "transition" }),
      ev(5, "Maintenance set: broken", { event_type: "conductor" }),
    ];
    const t = buildTimeline(history, { created_at: null, provision_state: "clean failed" }, T0 + 10_000);
    expect(t.states.map((s) => [s.state, s.failed])).toEqual([["manageable", false], ["cleaning", false], ["clean failed", true]]);
    expect(t.steps[0]).toMatchObject({ status: "failed", error: "BIOS setting 'X' is read-only" });
    expect(t.markers.map((m) => m.kind)).toEqual(["error", "error", "error", "other"]);
    expect(t.start).toBe(T0 + 1000);
  });

  it("a step cut short by a move to a stable state is interrupted; a wait keeps it open", () => {
    const history = [
      ev(0, 'Provision state changed from "manageable" to "cleaning" (event "clean")'),
      ev(1, "Started clean step deploy.erase_devices"),
      ev(2, 'Provision state changed from "cleaning" to "clean wait" (event "wait")'),
      ev(3, 'Provision state changed from "clean wait" to "clean failed" (event "abort")'),
    ];
    const t = buildTimeline(history, { provision_state: "clean failed" }, T0 + 5000);
    expect(t.steps[0]).toMatchObject({ status: "interrupted", end: T0 + 3000 });
  });

  it("a node without history is one bar in its current state", () => {
    const t = buildTimeline([], { created_at: new Date(T0).toISOString(), provision_state: "enroll" }, T0 + 1000);
    expect(t.states).toEqual([expect.objectContaining({ state: "enroll", start: T0, end: null, enteredBy: null })]);
  });

  it("ticks are readable at every zoom", () => {
    expect(tickStep(1)).toBe(100); // 1 px/ms → 100 ms apart
    expect(tickStep(90 / 60_000)).toBe(60_000);
    expect(tickStep(1e-12)).toBe(31_536_000_000);
  });
});
