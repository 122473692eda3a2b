// The node timeline: a node's history (GET /v1/nodes/{n}/history?detail=True) turned into
// provision-state bars, step bars inside them, power markers and errors. Pure (no React), so it is
// unit-tested and shared by the chart and its table view.
//
// The history rows carry the time, severity, event text, event type, who asked and, asked for
// with Ingot's `structured=True`, the event's structured fields (kind, from/to state, provision
// event, power target, step; lib/core/history.ts). The chart is built from those fields only: the
// sentence is shown, never read. Durations come from the timestamps, which the API does return.
import type { HistoryStructure } from "@/lib/shared/history.ts";
import { AGENT_WAIT_STATES, inStates, isFailed, operationWait, STABLE_STATES, STEP_OPERATION_STATES, STEP_RUNNING_STATES } from "@/lib/shared/states.ts";

export interface HistoryEventInput {
  uuid: string;
  created_at: string;
  severity: string;
  event: string;
  event_type?: string | null;
  conductor?: string | null;
  user?: string | null;
  /** Absent: the row is drawn as a plain event. */
  structured?: HistoryStructure | null;
}

export interface TimelineEvent {
  uuid: string;
  at: number;
  severity: string;
  event: string;
  eventType: string | null;
  user: string | null;
  conductor: string | null;
  structured: HistoryStructure | null;
}

export interface StateBar {
  id: string;
  state: string;
  start: number;
  /** null while the node is still in this state. */
  end: number | null;
  /** The transition that entered the state (null for the first, inferred bar). */
  enteredBy: TimelineEvent | null;
  /** The provision event ("deploy", "done", "fail"…) that entered the state. */
  via: string | null;
  failed: boolean;
}

export interface StepBar {
  id: string;
  kind: string;
  /** interface.step */
  name: string;
  start: number;
  end: number | null;
  /** State the node was in when the step started (the lane it is drawn in). */
  state: string | null;
  /** The state bar it started in (each step belongs to exactly one bar). */
  barId: string | null;
  status: "running" | "finished" | "failed" | "released" | "interrupted";
  error: string | null;
  user: string | null;
}

/**
 * A time in a cleaning, servicing or deployment when no step ran and the node waited: a whole
 * agent wait state (clean wait, wait call-back, service wait), or the start of an operation
 * before its first step (the conductor booting the agent). Labelled as the Steps tab labels it.
 */
export interface WaitSpan {
  id: string;
  /** The state bar it lies in. */
  barId: string;
  state: string;
  start: number;
  end: number | null;
  /** What the node waited for: operationWait of lib/shared/states.ts, the Steps tab's wording. */
  label: string;
}

export type MarkerKind = "power" | "error" | "other";

export interface Marker {
  id: string;
  kind: MarkerKind;
  at: number;
  label: string;
  event: TimelineEvent;
}

export interface Timeline {
  start: number;
  end: number;
  states: StateBar[];
  steps: StepBar[];
  waits: WaitSpan[];
  markers: Marker[];
  /** Distinct states in order of first appearance: the chart's lanes. */
  lanes: string[];
}

function toEvent(h: HistoryEventInput): TimelineEvent | null {
  const at = Date.parse(h.created_at);
  if (!Number.isFinite(at)) return null;
  return {
    uuid: h.uuid,
    at,
    severity: h.severity,
    event: h.event,
    eventType: h.event_type ?? null,
    user: h.user ?? null,
    conductor: h.conductor ?? null,
    structured: h.structured ?? null,
  };
}

/** How each step event ends the step it names. */
const STEP_END_STATUS: Partial<Record<HistoryStructure["kind"], StepBar["status"]>> = {
  step_finished: "finished",
  step_released: "released",
  step_failed: "failed",
};

/** A wait under way while the timeline is built; one before the first step is labelled when it ends (did the agent boot?). */
interface OpenWait {
  span: WaitSpan;
  beforeFirstStep: boolean;
  agentBoots: boolean | null;
}

/** The span with its final label: before the first step, whether the agent was seen booting. */
function labelled(w: OpenWait): WaitSpan {
  return w.beforeFirstStep ? { ...w.span, label: operationWait(w.span.state, false, w.agentBoots) ?? w.span.label } : w.span;
}

export interface TimelineNode {
  created_at?: string | null;
  provision_state: string;
}

/**
 * Builds the timeline. `now` closes nothing: bars still running keep `end: null` and the chart
 * draws them up to `now` (Timeline.end).
 */
export function buildTimeline(history: HistoryEventInput[], node: TimelineNode, now: number): Timeline {
  const events = history.map(toEvent).filter((e): e is TimelineEvent => e !== null).sort((a, b) => a.at - b.at);
  const created = node.created_at ? Date.parse(node.created_at) : NaN;
  const start = Math.min(Number.isFinite(created) ? created : Infinity, events[0]?.at ?? Infinity, now);

  const states: StateBar[] = [];
  const steps: StepBar[] = [];
  const markers: Marker[] = [];
  const openSteps = new Map<string, StepBar>();
  const waits: WaitSpan[] = [];
  // The operation (cleaning, servicing, deployment) under way has started a step.
  let stepsStarted = false;
  // The wait under way (typed by assertion: the helpers below set it, which narrowing does not follow).
  let wait = null as OpenWait | null;
  const endWait = (at: number) => {
    if (!wait) return;
    wait.span.end = at;
    if (at > wait.span.start) waits.push(labelled(wait));
    wait = null;
  };
  const startWait = (bar: StateBar, beforeFirstStep: boolean) => {
    const label = operationWait(bar.state, stepsStarted);
    if (label) wait = { span: { id: `w${waits.length}`, barId: bar.id, state: bar.state, start: bar.start, end: null, label }, beforeFirstStep, agentBoots: null };
  };

  const current = () => states[states.length - 1] ?? null;
  const openState = (state: string, at: number, enteredBy: TimelineEvent | null, via: string | null) => {
    states.push({ id: `s${states.length}`, state, start: at, end: null, enteredBy, via, failed: isFailed(state) || via === "fail" });
  };
  const closeStepsAt = (at: number) => {
    // Steps still open when their state ends were interrupted (abort, failure without a step row, …).
    for (const [key, step] of openSteps) {
      step.end = at;
      step.status = "interrupted";
      openSteps.delete(key);
    }
  };

  for (const e of events) {
    const s = e.structured;
    if (s?.kind === "provision_transition" && s.from_state !== null && s.to_state !== null) {
      const { from_state: from, to_state: to } = s;
      if (!current()) openState(from, start, null, null);
      const bar = current()!;
      bar.end = e.at;
      // A wait/hold state keeps its steps open (the step finishes after the call-back), so only a
      // move to a stable or failure state interrupts them.
      if (isFailed(to) || inStates(to, STABLE_STATES)) closeStepsAt(e.at);
      endWait(e.at);
      openState(to, e.at, e, s.provision_event);
      if (!inStates(to, STEP_OPERATION_STATES)) stepsStarted = false;
      // A wait for the agent; or an operation just begun, before its first step.
      if (inStates(to, AGENT_WAIT_STATES)) startWait(current()!, false);
      else if (inStates(to, STEP_RUNNING_STATES) && !inStates(from, STEP_OPERATION_STATES)) startWait(current()!, true);
      if (e.severity === "ERROR") markers.push({ id: `m${markers.length}`, kind: "error", at: e.at, label: `${from} → ${to}`, event: e });
      continue;
    }
    if (s?.step_kind && s.step_interface && s.step && (s.kind === "step_started" || STEP_END_STATUS[s.kind])) {
      const kind = s.step_kind;
      const name = `${s.step_interface}.${s.step}`;
      const key = `${kind}:${name}`;
      if (s.kind === "step_started") {
        stepsStarted = true;
        if (wait?.beforeFirstStep) endWait(e.at);
        const prior = openSteps.get(key);
        if (prior) {
          prior.end = e.at;
          prior.status = "interrupted";
        }
        const step: StepBar = {
          id: `t${steps.length}`, kind, name, start: e.at, end: null, state: current()?.state ?? node.provision_state, barId: current()?.id ?? null,
          status: "running", error: null, user: e.user,
        };
        steps.push(step);
        openSteps.set(key, step);
      } else {
        const step = openSteps.get(key);
        if (step) {
          step.end = e.at;
          step.status = STEP_END_STATUS[s.kind]!;
          step.error = s.kind === "step_failed" ? s.error : null;
          openSteps.delete(key);
        }
        if (s.kind === "step_failed") markers.push({ id: `m${markers.length}`, kind: "error", at: e.at, label: `${kind} step ${name} failed`, event: e });
      }
      continue;
    }
    if (s?.kind === "power_change" || s?.kind === "power_change_failed") {
      // Powered on before the first step: the conductor is booting the agent.
      if (wait?.beforeFirstStep && s.kind === "power_change" && s.to_state === "power on") wait.agentBoots = true;
      markers.push({
        id: `m${markers.length}`,
        kind: e.severity === "ERROR" ? "error" : "power",
        at: e.at,
        label: s.kind === "power_change" ? `power: ${s.power_target ?? s.to_state}` : "power change failed",
        event: e,
      });
      continue;
    }
    markers.push({ id: `m${markers.length}`, kind: e.severity === "ERROR" ? "error" : "other", at: e.at, label: e.event, event: e });
  }

  if (!states.length) openState(node.provision_state, start, null, null);
  // A wait still under way keeps `end: null` (drawn up to now), labelled with what is known so far.
  if (wait) waits.push(labelled(wait));
  const end = Math.max(now, events[events.length - 1]?.at ?? now, start + 1);
  const lanes: string[] = [];
  for (const b of states) if (!lanes.includes(b.state)) lanes.push(b.state);
  return { start, end, states, steps, waits, markers, lanes };
}


/** Seconds a bar lasted (or has lasted until `now`). */
export function barSeconds(bar: { start: number; end: number | null }, now: number): number {
  return Math.max(0, ((bar.end ?? now) - bar.start) / 1000);
}

/**
 * Steps drawn inside a state bar: those that started in it. Decided when the timeline is built, not
 * from times: events in the same millisecond would otherwise put one step in two bars.
 */
export function stepsIn(timeline: Timeline, bar: StateBar): StepBar[] {
  return timeline.steps.filter((s) => s.barId === bar.id);
}

/** The waits inside a state bar. */
export function waitsIn(timeline: Timeline, bar: StateBar): WaitSpan[] {
  return timeline.waits.filter((w) => w.barId === bar.id);
}

/** A window of time the chart shows: [from, to] in ms since the epoch. */
export interface TimeWindow {
  from: number;
  to: number;
}

/** The narrowest window the chart zooms to (beyond this there is nothing more to see). */
export const MIN_WINDOW_MS = 200;

/** Every time something happened: state changes, steps starting and ending, markers. */
function activityTimes(t: Timeline): number[] {
  const times: number[] = [];
  for (const b of t.states) if (b.enteredBy) times.push(b.start);
  for (const s of t.steps) {
    times.push(s.start);
    if (s.end !== null) times.push(s.end);
  }
  for (const m of t.markers) times.push(m.at);
  return times.sort((a, b) => a - b);
}

/**
 * The window the chart opens on: the most recent burst of activity (events no more than
 * `gapMs` apart), up to now when that is not long after it, with a margin each side. A node that
 * has existed for months opens on what it did today, not on a sliver at the right edge; a young
 * node's burst is its whole life.
 */
export function recentWindow(t: Timeline, gapMs = 6 * 3_600_000): TimeWindow {
  const times = activityTimes(t);
  if (!times.length) return { from: t.start, to: t.end };
  let first = times.length - 1;
  while (first > 0 && times[first] - times[first - 1] <= gapMs) first--;
  const burstStart = times[first];
  const burstEnd = times[times.length - 1];
  const burst = Math.max(burstEnd - burstStart, 60_000);
  // Up to now when the time since is comparable to the burst; otherwise the burst alone.
  const end = t.end - burstEnd <= Math.max(burst, 600_000) ? t.end : burstEnd;
  const pad = Math.max((end - burstStart) * 0.04, 1_000);
  return clampWindow({ from: burstStart - pad, to: end + pad }, t);
}

/** The whole life, with a small margin so the first and last bars are not on the edge (little past now). */
export function fullWindow(t: Timeline): TimeWindow {
  const pad = (t.end - t.start) * 0.01;
  return { from: t.start - pad, to: t.end + Math.min(pad, 5_000) };
}

/** Keeps a window inside the node's life (plus its margin) and no narrower than MIN_WINDOW_MS. */
export function clampWindow(w: TimeWindow, t: Timeline): TimeWindow {
  const all = fullWindow(t);
  const span = Math.min(Math.max(w.to - w.from, MIN_WINDOW_MS), all.to - all.from);
  let from = w.from;
  if (from < all.from) from = all.from;
  if (from + span > all.to) from = all.to - span;
  return { from, to: from + span };
}

/** Zooms by `factor` (< 1 narrows) keeping the time at `anchor` (0..1 across the window) in place. */
export function zoomWindow(w: TimeWindow, factor: number, anchor: number, t: Timeline): TimeWindow {
  const at = w.from + (w.to - w.from) * anchor;
  const span = Math.max(MIN_WINDOW_MS, (w.to - w.from) * factor);
  return clampWindow({ from: at - span * anchor, to: at - span * anchor + span }, t);
}

/** Zooms so the time `at` stays where it is, or (outside the window) comes to the middle. */
export function zoomAround(w: TimeWindow, factor: number, at: number, t: Timeline): TimeWindow {
  const anchor = (at - w.from) / (w.to - w.from);
  if (anchor >= 0 && anchor <= 1) return zoomWindow(w, factor, anchor, t);
  const span = Math.max(MIN_WINDOW_MS, (w.to - w.from) * factor);
  return clampWindow({ from: at - span / 2, to: at + span / 2 }, t);
}

/**
 * Where a bar from `start` to `end` is drawn in window `w`, `widthPx` wide, clipped to it. A bar
 * shorter than `minPx` is drawn `minPx` wide centred on its real span, and kept inside the box:
 * its middle is then its real middle, so the wheel zooming at the pointer keeps it under the
 * pointer (drawn from its start, the time under the pointer would lie past its end and zooming in
 * would slide the bar away from the pointer).
 */
export function placeBar(w: TimeWindow, widthPx: number, start: number, end: number, minPx: number): { left: number; width: number } {
  const scale = widthPx / (w.to - w.from);
  const from = (Math.max(start, w.from) - w.from) * scale;
  const to = (Math.min(end, w.to) - w.from) * scale;
  if (to - from >= minPx) return { left: from, width: to - from };
  const left = Math.min(Math.max(0, (from + to) / 2 - minPx / 2), Math.max(0, widthPx - minPx));
  return { left, width: minPx };
}

/** Moves the window by `fraction` of its width (negative: earlier). */
export function panWindow(w: TimeWindow, fraction: number, t: Timeline): TimeWindow {
  const d = (w.to - w.from) * fraction;
  return clampWindow({ from: w.from + d, to: w.to + d }, t);
}

const DAY = 86_400_000;
const TICK_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500,
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
  60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000,
  DAY, 2 * DAY, 7 * DAY,
];

export interface AxisTick {
  at: number;
  label: string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The axis labels of a window `widthPx` wide: evenly spaced below a week (times; the date on the
 * first label and wherever the day changes), calendar months and years above. Labels are at
 * least as far apart as they are wide, at every zoom.
 */
export function axisTicks(w: TimeWindow, widthPx: number): AxisTick[] {
  const span = w.to - w.from;
  if (!(span > 0) || !(widthPx > 0)) return [];
  const pxPerMs = widthPx / span;
  // Label widths at 10px type: "2026-07-01" ≈ 60 px, "07-01 12:00:00" ≈ 80 px, with room around.
  const step = TICK_STEPS.find((s) => s * pxPerMs >= (s >= DAY ? 80 : 100));
  const ticks: AxisTick[] = [];
  if (step !== undefined) {
    let lastDay = "";
    for (let at = Math.ceil(w.from / step) * step; at <= w.to; at += step) {
      const text = iso(at);
      const day = text.slice(0, 10);
      if (step >= DAY) ticks.push({ at, label: day });
      else {
        const time = step < 1_000 ? text.slice(11, 23) : step < 60_000 ? text.slice(11, 19) : text.slice(11, 16);
        ticks.push({ at, label: day !== lastDay ? `${day.slice(5)} ${time}` : time });
      }
      lastDay = day;
    }
    return ticks;
  }
  // Months (every 1, 2, 3, 6) or years (every 1, 2, 5, …): calendar boundaries, UTC.
  const monthPx = 30 * DAY * pxPerMs;
  const months = [1, 2, 3, 6].find((m) => m * monthPx >= 80);
  const d = new Date(w.from);
  if (months !== undefined) {
    for (let index = d.getUTCFullYear() * 12 + d.getUTCMonth(); ; index++) {
      const at = Date.UTC(Math.floor(index / 12), index % 12, 1);
      if (at > w.to) break;
      if (at >= w.from && index % months === 0) ticks.push({ at, label: iso(at).slice(0, 7) });
    }
    return ticks;
  }
  const yearPx = 365 * DAY * pxPerMs;
  const years = [1, 2, 5, 10, 20, 50, 100].find((y) => y * yearPx >= 60) ?? 100;
  for (let y = Math.ceil((d.getUTCFullYear() + 1) / years) * years; Date.UTC(y, 0, 1) <= w.to; y += years) ticks.push({ at: Date.UTC(y, 0, 1), label: String(y) });
  return ticks;
}
