// Node history (reference §2.12). Ingot keeps every row (a lasting timeline for the dashboard),
// unlike Ironic's 300-row cap.
//
// Every row is written from a typed HistoryEvent by recordHistory(): the structured columns (kind,
// from/to state, provision event, power target, step, error) are what Ingot's own readers use
// (the dashboard's timeline and step progress), and the English sentence Ironic clients read as
// `event` is rendered from the same value here, so the two cannot drift apart.
import { randomUUID } from "node:crypto";
import type { Sql } from "./db/sql.ts";
import type { HistoryKind, HistoryStructure } from "../shared/history.ts";
import type { StepKind } from "./states.ts";

/** Ironic's event_type values (states.py), plus nothing of our own. */
export type HistoryEventType =
  | "provisioning" | "takeover" | "introspection" | "conductor" | "transition" | "startup failure"
  | "unprovision" | "adoption" | "console" | "monitoring" | "verify";

export type HistorySeverity = "INFO" | "WARNING" | "ERROR";

export { HISTORY_KINDS, type HistoryKind, type HistoryStructure } from "../shared/history.ts";

/** The kinds whose row carries only a message. */
export type HistoryMessageKind = Exclude<
  HistoryKind,
  "provision_transition" | "provision_resumed" | "step_started" | "step_finished" | "step_failed" | "step_released" | "power_change" | "power_change_failed" | "power_sync"
>;

export interface HistoryStepRef {
  kind: StepKind;
  interface: string;
  step: string;
}

/** One history event, typed. Its sentence (the API's `event`) is historySentence(). */
export type HistoryEvent =
  | { kind: "provision_transition"; from: string; to: string; provisionEvent: string; note?: string }
  /** An operation interrupted when its conductor stopped continues; the node stays in `state`. */
  | { kind: "provision_resumed"; state: string; note: string }
  | { kind: "step_started" | "step_finished" | "step_released"; step: HistoryStepRef }
  | { kind: "step_failed"; step: HistoryStepRef; error: string }
  /** A power action the conductor ran (`target`), or a change a driver made inside a flow (`note` says why). */
  | { kind: "power_change"; from: string | null; to: string; target: string; note?: never }
  | { kind: "power_change"; from: string | null; to: string; note: string; target?: never }
  /** `message` is the whole sentence (it is also the node's last_error). */
  | { kind: "power_change_failed"; target: string; error: string; message: string }
  | { kind: "power_sync"; from: string | null; to: string }
  | { kind: HistoryMessageKind; message: string };

/** The sentence Ironic clients read as the row's `event`. */
export function historySentence(e: HistoryEvent): string {
  switch (e.kind) {
    case "provision_transition":
      return `Provision state changed from "${e.from}" to "${e.to}" (event "${e.provisionEvent}")${e.note ? `: ${e.note}` : ""}`;
    case "provision_resumed":
      return `Provision state "${e.state}" resumed (event "resume"): ${e.note}`;
    case "step_started":
      return `Started ${stepName(e.step)}`;
    case "step_finished":
      return `Finished ${stepName(e.step)}`;
    case "step_released":
      return `Released (unhold) ${stepName(e.step)}`;
    case "step_failed":
      return `Failed ${stepName(e.step)}: ${e.error}`;
    case "power_change":
      return `Power state changed from "${e.from ?? "None"}" to "${e.to}" (${e.target !== undefined ? `target "${e.target}"` : e.note})`;
    case "power_sync":
      return e.from === null
        ? `Power state "${e.to}" recorded from the BMC`
        : `Power state changed out of band from "${e.from}" to "${e.to}"; database updated`;
    default:
      return e.message;
  }
}

function stepName(s: HistoryStepRef): string {
  return `${s.kind} step ${s.interface}.${s.step}`;
}

/** The structured columns of a row (NodeHistory), as written and read. */
export interface HistoryFields {
  kind: HistoryKind;
  fromState: string | null;
  toState: string | null;
  provisionEvent: string | null;
  powerTarget: string | null;
  stepKind: string | null;
  stepInterface: string | null;
  step: string | null;
  error: string | null;
}

export function historyFields(e: HistoryEvent): HistoryFields {
  const out: HistoryFields = {
    kind: e.kind, fromState: null, toState: null, provisionEvent: null, powerTarget: null, stepKind: null, stepInterface: null, step: null, error: null,
  };
  switch (e.kind) {
    case "provision_transition":
      return { ...out, fromState: e.from, toState: e.to, provisionEvent: e.provisionEvent };
    case "provision_resumed":
      return { ...out, fromState: e.state, toState: e.state, provisionEvent: "resume" };
    case "step_started":
    case "step_finished":
    case "step_released":
      return { ...out, stepKind: e.step.kind, stepInterface: e.step.interface, step: e.step.step };
    case "step_failed":
      return { ...out, stepKind: e.step.kind, stepInterface: e.step.interface, step: e.step.step, error: e.error };
    case "power_change":
      return { ...out, fromState: e.from, toState: e.to, powerTarget: e.target ?? null };
    case "power_change_failed":
      return { ...out, powerTarget: e.target, error: e.error };
    case "power_sync":
      return { ...out, fromState: e.from, toState: e.to };
    default:
      return out;
  }
}

export interface HistoryEntry {
  event: HistoryEvent;
  eventType: HistoryEventType;
  severity?: HistorySeverity;
  user?: string | null;
  project?: string | null;
  conductor?: string | null;
  /** Provision state after the event; defaults to the node's current one. */
  state?: string | null;
  targetProvisionState?: string | null;
  durationSeconds?: number | null;
}

export interface HistoryNode {
  id: number;
  provisionState?: string | null;
  targetProvisionState?: string | null;
}

/** The one writer of node history. */
export async function recordHistory(sql: Sql, node: HistoryNode, entry: HistoryEntry): Promise<string> {
  const uuid = randomUUID();
  const f = historyFields(entry.event);
  await sql.run(
    `INSERT INTO "NodeHistory" ("uuid", "nodeId", "event", "eventType", "severity", "user", "project", "conductor", "state", "targetProvisionState", "durationSeconds", "createdAt",
       "kind", "fromState", "toState", "provisionEvent", "powerTarget", "stepKind", "stepInterface", "step", "error")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      uuid,
      node.id,
      historySentence(entry.event),
      entry.eventType,
      entry.severity ?? "INFO",
      entry.user ?? null,
      entry.project ?? null,
      entry.conductor ?? null,
      entry.state !== undefined ? entry.state : (node.provisionState ?? null),
      entry.targetProvisionState !== undefined ? entry.targetProvisionState : (node.targetProvisionState ?? null),
      entry.durationSeconds ?? null,
      new Date(),
      f.kind, f.fromState, f.toState, f.provisionEvent, f.powerTarget, f.stepKind, f.stepInterface, f.step, f.error,
    ],
  );
  return uuid;
}

export interface HistoryRow extends HistoryFields {
  id: number;
  uuid: string;
  nodeId: number;
  event: string;
  eventType: string;
  severity: string;
  user: string | null;
  project: string | null;
  conductor: string | null;
  state: string | null;
  targetProvisionState: string | null;
  durationSeconds: number | null;
  /** ISO text on SQLite, a Date on PostgreSQL: read it with toDate(). */
  createdAt: string | Date;
}

/** A node's history, oldest first (tests and the dashboard timeline). */
export async function listHistory(sql: Sql, nodeId: number): Promise<HistoryRow[]> {
  return sql.all<HistoryRow>(`SELECT * FROM "NodeHistory" WHERE "nodeId" = ? ORDER BY "id" ASC`, [nodeId]);
}

export function historyStructure(r: HistoryFields): HistoryStructure {
  return {
    kind: r.kind,
    from_state: r.fromState,
    to_state: r.toState,
    provision_event: r.provisionEvent,
    power_target: r.powerTarget,
    step_kind: r.stepKind,
    step_interface: r.stepInterface,
    step: r.step,
    error: r.error,
  };
}
