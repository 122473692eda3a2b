// Contract: the node page's timeline is built from the history rows the conductor writes, as the
// API answers them with structured=True. Tests under tests/contract/ may import both sides.
import { describe, expect, it } from "vitest";
import {
  axisTicks, barSeconds, buildTimeline, fullWindow, MIN_WINDOW_MS, panWindow, placeBar, recentWindow, stepsIn, waitsIn, zoomAround, zoomWindow, type HistoryEventInput,
} from "@/components/node/timeline.ts";
import { historyFields, historySentence, historyStructure, type HistoryEvent } from "@/lib/core/history.ts";

let n = 0;
const T0 = Date.parse("2026-01-01T00:00:00Z");
/** A history row as the API answers it with structured=True: the sentence and the fields, both from the typed event. */
function ev(sec: number, event: HistoryEvent, extra: Partial<HistoryEventInput> = {}): HistoryEventInput {
  return {
    uuid: `u${n++}`, created_at: new Date(T0 + sec * 1000).toISOString(), severity: "INFO", event: historySentence(event),
    event_type: "provisioning", user: "admin", structured: historyStructure(historyFields(event)), ...extra,
  };
}
const moved = (from: string, to: string, provisionEvent: string, note?: string): HistoryEvent => ({ kind: "provision_transition", from, to, provisionEvent, note });
const step = (how: "step_started" | "step_finished" | "step_released", kind: "clean" | "deploy", name: string): HistoryEvent => {
  const [iface, stepName] = name.split(".");
  return { kind: how, step: { kind, interface: iface, step: stepName } };
};
const stepFailed = (kind: "clean" | "deploy", name: string, error: string): HistoryEvent => {
  const [iface, stepName] = name.split(".");
  return { kind: "step_failed", step: { kind, interface: iface, step: stepName }, error };
};

describe("buildTimeline", () => {
  it("turns a deploy into state bars, step bars and power markers", () => {
    const history = [
      ev(10, moved("available", "deploying", "deploy"), { event_type: "transition" }),
      ev(11, step("step_started", "deploy", "deploy.deploy")),
      ev(12, { kind: "power_change", from: "power off", to: "power on", target: "rebooting" }, { event_type: "transition" }),
      ev(13, moved("deploying", "wait call-back", "wait", "waiting for deploy.deploy")),
      ev(20, moved("wait call-back", "deploying", "resume")),
      ev(20, step("step_finished", "deploy", "deploy.deploy")),
      ev(21, step("step_started", "deploy", "deploy.write_image")),
      ev(25, step("step_finished", "deploy", "deploy.write_image")),
      ev(26, moved("deploying", "active", "done")),
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
      ev(1, moved("manageable", "cleaning", "clean")),
      ev(1, step("step_started", "clean", "bios.apply_configuration")),
      ev(1, stepFailed("clean", "bios.apply_configuration", "simulated"), { severity: "ERROR" }),
      ev(1, moved("cleaning", "clean failed", "fail"), { severity: "ERROR" }),
    ];
    const t = buildTimeline(history, { created_at: null, provision_state: "clean failed" }, T0 + 10_000);
    const bars = t.states.map((b) => [b.state, stepsIn(t, b).map((s) => s.name)]);
    expect(bars).toEqual([["manageable", []], ["cleaning", ["bios.apply_configuration"]], ["clean failed", []]]);
  });

  it("marks failed steps, failure states and error rows red", () => {
    const history = [
      ev(1, moved("manageable", "cleaning", "clean")),
      ev(2, step("step_started", "clean", "bios.apply_configuration")),
      ev(3, stepFailed("clean", "bios.apply_configuration", "BIOS setting 'X' is read-only"), { severity: "ERROR" }),
      ev(3, moved("cleaning", "clean failed", "fail"), { severity: "ERROR" }),
      ev(4, { kind: "power_change_failed", target: "power on", error: "boom", message: 'Failed to change power state to "power on" for node x: boom' }, { severity: "ERROR", event_type: "transition" }),
      ev(5, { kind: "maintenance", message: "Maintenance set: broken" }, { event_type: "conductor" }),
    ];
    const t = buildTimeline(history, { created_at: null, provision_state: "clean failed" }, T0 + 10_000);
    expect(t.states.map((s) => [s.state, s.failed])).toEqual([["manageable", false], ["cleaning", false], ["clean failed", true]]);
    expect(t.steps[0]).toMatchObject({ status: "failed", error: "BIOS setting 'X' is read-only" });
    expect(t.markers.map((m) => m.kind)).toEqual(["error", "error", "error", "other"]);
    expect(t.start).toBe(T0 + 1000);
  });

  it("a step cut short by a move to a stable state is interrupted; a wait keeps it open", () => {
    const history = [
      ev(0, moved("manageable", "cleaning", "clean")),
      ev(1, step("step_started", "clean", "deploy.erase_devices")),
      ev(2, moved("cleaning", "clean wait", "wait")),
      ev(3, moved("clean wait", "clean failed", "abort")),
    ];
    const t = buildTimeline(history, { provision_state: "clean failed" }, T0 + 5000);
    expect(t.steps[0]).toMatchObject({ status: "interrupted", end: T0 + 3000 });
  });

  it("a hold released by unhold ends its step as released; a driver's power change is a power marker", () => {
    const history = [
      ev(0, moved("manageable", "cleaning", "clean")),
      ev(1, step("step_started", "clean", "deploy.hold")),
      ev(1, moved("cleaning", "clean hold", "hold", "clean step deploy.hold")),
      ev(5, step("step_released", "clean", "deploy.hold")),
      ev(5, moved("clean hold", "clean wait", "unhold")),
      ev(6, { kind: "power_change", from: null, to: "power off", note: "inspection" }, { event_type: "transition" }),
    ];
    const t = buildTimeline(history, { provision_state: "clean wait" }, T0 + 10_000);
    expect(t.steps).toEqual([expect.objectContaining({ kind: "clean", name: "deploy.hold", status: "released", end: T0 + 5000, barId: "s1" })]);
    expect(t.markers.map((m) => [m.kind, m.label])).toEqual([["power", "power: power off"]]);
  });

  it("reads the structured fields, never the sentence", () => {
    // The same rows with the sentences reworded: the chart does not change.
    const rows = [
      ev(1, moved("manageable", "cleaning", "clean")),
      ev(2, step("step_started", "clean", "bios.apply_configuration")),
      ev(3, stepFailed("clean", "bios.apply_configuration", "read-only"), { severity: "ERROR" }),
      ev(4, { kind: "power_change", from: "power on", to: "power off", target: "power off" }),
    ];
    const node = { provision_state: "cleaning" };
    const reworded = rows.map((r, i) => ({ ...r, event: `Something else entirely ${i}` }));
    const shape = (t: ReturnType<typeof buildTimeline>) => ({
      states: t.states.map((b) => [b.state, b.start, b.end, b.via]),
      steps: t.steps.map((s) => [s.kind, s.name, s.status, s.error, s.start, s.end]),
      markers: t.markers.map((m) => [m.kind, m.label, m.at]),
    });
    expect(shape(buildTimeline(reworded, node, T0 + 10_000))).toEqual(shape(buildTimeline(rows, node, T0 + 10_000)));
    expect(shape(buildTimeline(rows, node, T0 + 10_000)).states).toEqual([["manageable", T0 + 1000, T0 + 1000, null], ["cleaning", T0 + 1000, null, "clean"]]);

    // The same sentences without their structured fields: nothing is parsed out of them, each row
    // is a plain event on the marker lane (as a row the API sent without structured=True).
    const bare = rows.map(({ structured: _, ...r }) => r);
    const t = buildTimeline(bare, node, T0 + 10_000);
    expect(t.states.map((b) => b.state)).toEqual(["cleaning"]);
    expect(t.steps).toEqual([]);
    expect(t.markers.map((m) => m.kind)).toEqual(["other", "other", "error", "other"]);
  });

  it("labels the waits as the Steps tab does: the agent booting before the first step, the agent's call-back", () => {
    const power = (from: string, to: string): HistoryEvent => ({ kind: "power_change", from, to, note: "cleaning" });
    const spans = (t: ReturnType<typeof buildTimeline>) => t.waits.map((w) => [w.state, (w.start - T0) / 1000, w.end === null ? null : (w.end - T0) / 1000, w.label]);
    // A sim node's cleaning: the conductor boots the agent (52 s) before the one step (3 s).
    const sim = buildTimeline([
      ev(0, moved("manageable", "cleaning", "provide")),
      ev(1, power("power off", "power on")),
      ev(52, step("step_started", "clean", "deploy.erase_devices_metadata")),
      ev(55, step("step_finished", "clean", "deploy.erase_devices_metadata")),
      ev(55, power("power on", "power off")),
      ev(55, moved("cleaning", "available", "done")),
    ], { provision_state: "available" }, T0 + 60_000);
    expect(spans(sim)).toEqual([["cleaning", 0, 52, "booting the agent before the first step"]]);
    expect(waitsIn(sim, sim.states[1])).toHaveLength(1);
    // The agent's ramdisk (direct deploy): the wait state while it boots, then its call-back between steps.
    const agent = buildTimeline([
      ev(0, moved("manageable", "cleaning", "provide")),
      ev(1, power("power off", "power on")),
      ev(2, moved("cleaning", "clean wait", "wait", "waiting for the agent to boot")),
      ev(50, moved("clean wait", "cleaning", "resume")),
      ev(51, step("step_started", "clean", "deploy.erase_devices")),
      ev(52, moved("cleaning", "clean wait", "wait")),
      ev(60, moved("clean wait", "cleaning", "resume")),
      ev(60, step("step_finished", "clean", "deploy.erase_devices")),
      ev(61, moved("cleaning", "available", "done")),
    ], { provision_state: "available" }, T0 + 70_000);
    expect(spans(agent)).toEqual([
      ["cleaning", 0, 2, "booting the agent before the first step"],
      ["clean wait", 2, 50, "waiting for the agent to boot and call back"],
      ["clean wait", 52, 60, "waiting for the agent to call back"],
    ]);
    // Still waiting: drawn up to now, labelled with what is known so far (no power on seen yet).
    const open = buildTimeline([ev(0, moved("manageable", "cleaning", "provide"))], { provision_state: "cleaning" }, T0 + 30_000);
    expect(spans(open)).toEqual([["cleaning", 0, null, "starting: booting the agent if a step needs it"]]);
    // No wait in stable states, holds, or a deployment whose first step starts at once.
    const deploy = buildTimeline([
      ev(0, moved("available", "deploying", "deploy")),
      ev(0, step("step_started", "deploy", "deploy.deploy")),
      ev(1, moved("deploying", "wait call-back", "wait")),
      ev(9, moved("wait call-back", "deploying", "resume")),
      ev(9, step("step_finished", "deploy", "deploy.deploy")),
      ev(10, moved("deploying", "active", "done")),
    ], { provision_state: "active" }, T0 + 20_000);
    expect(spans(deploy)).toEqual([["wait call-back", 1, 9, "waiting for the agent to call back"]]);
  });

  it("a node without history is one bar in its current state", () => {
    const t = buildTimeline([], { created_at: new Date(T0).toISOString(), provision_state: "enroll" }, T0 + 1000);
    expect(t.states).toEqual([expect.objectContaining({ state: "enroll", start: T0, end: null, enteredBy: null })]);
  });

  it("a node months old opens on today's activity, and zooms keep the anchor in place", () => {
    const DAY = 86_400_000;
    const old = [
      ev(0, moved("enroll", "verifying", "manage")),
      ev(5, moved("verifying", "manageable", "done")),
    ];
    const today = 150 * DAY / 1000;
    const recent = [
      ev(today, moved("manageable", "cleaning", "provide")),
      ev(today + 2, step("step_started", "clean", "deploy.erase_devices_metadata")),
      ev(today + 50, step("step_finished", "clean", "deploy.erase_devices_metadata")),
      ev(today + 55, moved("cleaning", "available", "done")),
    ];
    const now = T0 + (today + 65) * 1000;
    const t = buildTimeline([...old, ...recent], { created_at: new Date(T0).toISOString(), provision_state: "available" }, now);
    const w = recentWindow(t);
    // The burst of today (55 s of cleaning, then 10 s available) fills the window, not 150 days.
    expect(w.from).toBeGreaterThan(T0 + (today - 10) * 1000);
    expect(w.from).toBeLessThanOrEqual(T0 + today * 1000);
    expect(w.to).toBeGreaterThanOrEqual(now);
    expect(w.to - w.from).toBeLessThan(120_000);
    expect(fullWindow(t).from).toBeLessThanOrEqual(T0);

    // Zooming keeps the time under the pointer where it is, in and out, without drift.
    let z = w;
    const anchorAt = z.from + (z.to - z.from) * 0.3;
    for (let i = 0; i < 50; i++) z = zoomWindow(z, 0.8, 0.3, t);
    expect(z.to - z.from).toBe(MIN_WINDOW_MS);
    expect(Math.abs(z.from + (z.to - z.from) * 0.3 - anchorAt)).toBeLessThan(1);
    for (let i = 0; i < 200; i++) z = zoomWindow(z, 1.25, 0.3, t);
    expect(z).toEqual(fullWindow(t)); // never wider than the whole life
    // Outside the window, the zoom centres on the selected time.
    const at = T0 + 3000;
    const c = zoomAround(w, 0.5, at, t);
    expect((c.from + c.to) / 2).toBeCloseTo(at, -1);
    // Panning stops at the ends of the life.
    expect(panWindow(w, 10, t).to).toBe(fullWindow(t).to);
  });

  it("a bar too short to see stays under the pointer while the wheel zooms in at it", () => {
    const t = buildTimeline([ev(0, moved("enroll", "verifying", "manage")), ev(100, moved("verifying", "manageable", "done"))], { created_at: new Date(T0).toISOString(), provision_state: "manageable" }, T0 + 100_000);
    const W = 1000;
    let z = { from: T0, to: T0 + 100_000 }; // 100 ms a pixel
    const step = { start: T0 + 40_000, end: T0 + 40_020 }; // 20 ms: a fifth of a pixel
    const drawn = placeBar(z, W, step.start, step.end, 3);
    expect(drawn.width).toBe(3);
    const pointer = drawn.left + drawn.width / 2; // the middle of the bar as drawn
    for (let i = 0; i < 5; i++) {
      z = zoomWindow(z, 0.8, pointer / W, t);
      const bar = placeBar(z, W, step.start, step.end, 3);
      expect(bar.left).toBeLessThanOrEqual(pointer);
      expect(bar.left + bar.width).toBeGreaterThanOrEqual(pointer);
    }
    // Long bars are their real span, clipped to the window; short ones stay inside the box.
    expect(placeBar({ from: 0, to: 1000 }, 1000, -50, 400, 3)).toEqual({ left: 0, width: 400 });
    expect(placeBar({ from: 0, to: 1000 }, 1000, 999, 1000, 3)).toEqual({ left: 997, width: 3 });
  });

  it("a young node's window is its whole life", () => {
    const t = buildTimeline([ev(0, moved("enroll", "verifying", "manage")), ev(3, moved("verifying", "manageable", "done"))], { created_at: new Date(T0).toISOString(), provision_state: "manageable" }, T0 + 20_000);
    const w = recentWindow(t);
    expect(w.from).toBeLessThanOrEqual(T0);
    expect(w.to).toBeGreaterThanOrEqual(T0 + 20_000);
  });

  it("axis labels at every zoom: times, dates, calendar months, years, never crowded", () => {
    const w = (from: string, ms: number) => ({ from: Date.parse(from), to: Date.parse(from) + ms });
    // 1 s over 1000 px: milliseconds.
    const ms = axisTicks(w("2026-07-01T12:00:00Z", 1000), 1000);
    expect(ms.length).toBeGreaterThanOrEqual(5);
    expect(ms[0].label).toBe("07-01 12:00:00.000");
    expect(ms[1].label).toBe("12:00:00.100");
    // A day across midnight: the date comes back where the day changes.
    const day = axisTicks(w("2026-07-01T18:00:00Z", 12 * 3_600_000), 1000);
    expect(day.map((t) => t.label)).toContain("07-02 00:00");
    // 150 days over 1000 px: month starts, labelled by month.
    const months = axisTicks(w("2026-02-10T00:00:00Z", 150 * 86_400_000), 1000);
    expect(months.map((t) => t.label)).toEqual(["2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]);
    expect(months.every((t) => new Date(t.at).getUTCDate() === 1)).toBe(true);
    // Ten years: years.
    expect(axisTicks(w("2020-06-01T00:00:00Z", 3650 * 86_400_000), 1000).map((t) => t.label)).toContain("2025");
    // Never closer than 80 px, at any zoom.
    for (const span of [1000, 60_000, 3_600_000, 86_400_000, 30 * 86_400_000, 400 * 86_400_000]) {
      const ticks = axisTicks(w("2026-01-01T00:00:00Z", span), 900);
      expect(ticks.length, `span ${span}`).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < ticks.length; i++) expect((ticks[i].at - ticks[i - 1].at) * (900 / span)).toBeGreaterThanOrEqual(80);
    }
  });
});
