// The node timeline: a node's history (GET /v1/nodes/{n}/history?detail=True) turned into
// provision-state bars, step bars inside them, power markers and errors. Pure (no React), so it is
// unit-tested and shared by the chart and its table view.
//
// The history rows carry the time, severity, event text, event type, who asked and, asked for
// with Ingot's `structured=True`, the event's structured fields (kind, from/to state, provision
// event, power target, step; lib/core/history.ts). The chart is built from those fields only: the
// sentence is shown, never read. Durations come from the timestamps, which the API does return.
import type { HistoryStructure } from "@/lib/shared/history.ts";
import { inStates, isFailed, STABLE_STATES } from "@/lib/shared/states.ts";

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
      openState(to, e.at, e, s.provision_event);
      if (e.severity === "ERROR") markers.push({ id: `m${markers.length}`, kind: "error", at: e.at, label: `${from} → ${to}`, event: e });
      continue;
    }
    if (s?.step_kind && s.step_interface && s.step && (s.kind === "step_started" || STEP_END_STATUS[s.kind])) {
      const kind = s.step_kind;
      const name = `${s.step_interface}.${s.step}`;
      const key = `${kind}:${name}`;
      if (s.kind === "step_started") {
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
  const end = Math.max(now, events[events.length - 1]?.at ?? now, start + 1);
  const lanes: string[] = [];
  for (const b of states) if (!lanes.includes(b.state)) lanes.push(b.state);
  return { start, end, states, steps, markers, lanes };
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

/** Nice tick spacing (ms) so labels are at least `minPx` apart at `pxPerMs`. */
export function tickStep(pxPerMs: number, minPx = 90): number {
  const steps = [
    1, 2, 5, 10, 20, 50, 100, 200, 500,
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000,
    60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
    3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000,
    86_400_000, 172_800_000, 604_800_000, 2_592_000_000, 31_536_000_000,
  ];
  for (const s of steps) if (s * pxPerMs >= minPx) return s;
  return steps[steps.length - 1];
}
