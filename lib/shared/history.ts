// What a node history row records, beside Ironic's sentence: the closed vocabulary of its kinds
// and the structured fields Ingot's API shows with `structured=True` (docs/api-extensions.md).
// The conductor writes them (lib/core/history.ts); the dashboard's timeline and step progress
// read them, never the sentence.

/** What a history row records: the closed vocabulary of NodeHistory.kind. */
export const HISTORY_KINDS = [
  "provision_transition", // fromState → toState by provisionEvent (the transition table's event)
  "provision_resumed", // the operation of a running state resumed in place (fromState = toState, provisionEvent "resume")
  "step_started", "step_finished", "step_failed", "step_released", // stepKind, stepInterface, step (+ error)
  "power_change", // fromState → toState (power states), asked as powerTarget when a power action asked it
  "power_change_failed", // powerTarget, error
  "power_sync", // the BMC reports a power state the database did not have (fromState null: none known)
  "maintenance", // set or cleared, by an operator or by power sync
  "console", // enabled, disabled, restarted, sessions, failures
  "takeover", // a conductor took the node, or the lock of a dead one, over
  "inspection", // started, finished, rule logs and warnings
  "management", // boot mode, secure boot, NMI, virtual media
  "storage", // volumes attached for boot from volume, detached on tear-down
  "operation_failed", // an operation failed without a provision state change
  "note", // anything else: free text only (also every older row no reader needs the structure of)
] as const;

export type HistoryKind = (typeof HISTORY_KINDS)[number];

/**
 * The structured part of a row as Ingot's API shows it (`structured=True` on the history
 * endpoints, docs/api-extensions.md); the dashboard reads this, never the sentence.
 */
export type HistoryStructure = {
  kind: HistoryKind;
  from_state: string | null;
  to_state: string | null;
  provision_event: string | null;
  power_target: string | null;
  step_kind: string | null;
  step_interface: string | null;
  step: string | null;
  error: string | null;
};
