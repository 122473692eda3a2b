// The provision state machine: every state, every transition and every API verb,
// in one table (reference §1). Nothing else in Ingot decides whether a state change is legal.
// Pure (lib/shared): the conductor, the API and the dashboard read the same table and state sets.

export const ProvisionState = {
  ENROLL: "enroll",
  VERIFYING: "verifying",
  MANAGEABLE: "manageable",
  AVAILABLE: "available",
  ACTIVE: "active",
  ERROR: "error",
  RESCUE: "rescue",
  DEPLOYING: "deploying",
  DEPLOYWAIT: "wait call-back",
  DEPLOYHOLD: "deploy hold",
  DEPLOYFAIL: "deploy failed",
  DELETING: "deleting",
  CLEANING: "cleaning",
  CLEANWAIT: "clean wait",
  CLEANHOLD: "clean hold",
  CLEANFAIL: "clean failed",
  INSPECTING: "inspecting",
  INSPECTWAIT: "inspect wait",
  INSPECTFAIL: "inspect failed",
  ADOPTING: "adopting",
  ADOPTFAIL: "adopt failed",
  RESCUING: "rescuing",
  RESCUEWAIT: "rescue wait",
  RESCUEFAIL: "rescue failed",
  UNRESCUING: "unrescuing",
  UNRESCUEFAIL: "unrescue failed",
  SERVICING: "servicing",
  SERVICEWAIT: "service wait",
  SERVICEHOLD: "service hold",
  SERVICEFAIL: "service failed",
} as const;
export type ProvisionState = (typeof ProvisionState)[keyof typeof ProvisionState];

const S = ProvisionState;

export type StateKind = "stable" | "transitional" | "wait" | "hold" | "failure";

export type Event =
  | "manage" | "provide" | "inspect" | "deploy" | "rebuild" | "delete" | "clean" | "abort"
  | "adopt" | "rescue" | "unrescue" | "unhold" | "service"
  | "done" | "fail" | "wait" | "resume" | "hold";

interface StateDef {
  kind: StateKind;
  /** What target_provision_state shows while in this state (null for stable states). */
  target: ProvisionState | null;
  /** event -> destination */
  on: Partial<Record<Event, ProvisionState>>;
}

export const STATES: Readonly<Record<ProvisionState, StateDef>> = {
  [S.ENROLL]: { kind: "stable", target: null, on: { manage: S.VERIFYING } },
  [S.VERIFYING]: { kind: "transitional", target: S.MANAGEABLE, on: { done: S.MANAGEABLE, fail: S.ENROLL } },
  [S.MANAGEABLE]: {
    kind: "stable", target: null,
    on: { provide: S.CLEANING, clean: S.CLEANING, inspect: S.INSPECTING, adopt: S.ADOPTING },
  },
  [S.AVAILABLE]: { kind: "stable", target: null, on: { deploy: S.DEPLOYING, manage: S.MANAGEABLE } },
  [S.DEPLOYING]: {
    kind: "transitional", target: S.ACTIVE,
    on: { done: S.ACTIVE, fail: S.DEPLOYFAIL, wait: S.DEPLOYWAIT, hold: S.DEPLOYHOLD },
  },
  [S.DEPLOYWAIT]: {
    kind: "wait", target: S.ACTIVE,
    on: { resume: S.DEPLOYING, hold: S.DEPLOYHOLD, fail: S.DEPLOYFAIL, abort: S.DEPLOYFAIL, delete: S.DELETING },
  },
  [S.DEPLOYHOLD]: { kind: "hold", target: S.ACTIVE, on: { unhold: S.DEPLOYWAIT, abort: S.DEPLOYFAIL } },
  [S.DEPLOYFAIL]: {
    kind: "failure", target: S.ACTIVE,
    on: { rebuild: S.DEPLOYING, deploy: S.DEPLOYING, delete: S.DELETING },
  },
  [S.ACTIVE]: {
    kind: "stable", target: null,
    on: { rebuild: S.DEPLOYING, delete: S.DELETING, rescue: S.RESCUING, service: S.SERVICING },
  },
  [S.DELETING]: { kind: "transitional", target: S.AVAILABLE, on: { clean: S.CLEANING, fail: S.ERROR } },
  [S.ERROR]: { kind: "stable", target: null, on: { rebuild: S.DEPLOYING, delete: S.DELETING } },
  [S.CLEANING]: {
    kind: "transitional", target: S.AVAILABLE,
    on: { done: S.AVAILABLE, manage: S.MANAGEABLE, fail: S.CLEANFAIL, wait: S.CLEANWAIT, hold: S.CLEANHOLD },
  },
  [S.CLEANWAIT]: {
    kind: "wait", target: S.AVAILABLE,
    on: { resume: S.CLEANING, hold: S.CLEANHOLD, fail: S.CLEANFAIL, abort: S.CLEANFAIL },
  },
  [S.CLEANHOLD]: { kind: "hold", target: S.AVAILABLE, on: { unhold: S.CLEANWAIT, abort: S.CLEANFAIL } },
  [S.CLEANFAIL]: { kind: "failure", target: S.AVAILABLE, on: { manage: S.MANAGEABLE } },
  [S.INSPECTING]: {
    kind: "transitional", target: S.MANAGEABLE,
    on: { done: S.MANAGEABLE, fail: S.INSPECTFAIL, wait: S.INSPECTWAIT },
  },
  [S.INSPECTWAIT]: {
    kind: "wait", target: S.MANAGEABLE,
    on: { done: S.MANAGEABLE, resume: S.INSPECTING, fail: S.INSPECTFAIL, abort: S.INSPECTFAIL },
  },
  [S.INSPECTFAIL]: { kind: "failure", target: S.MANAGEABLE, on: { manage: S.MANAGEABLE, inspect: S.INSPECTING } },
  [S.ADOPTING]: { kind: "transitional", target: S.ACTIVE, on: { done: S.ACTIVE, fail: S.ADOPTFAIL } },
  [S.ADOPTFAIL]: { kind: "failure", target: S.ACTIVE, on: { adopt: S.ADOPTING, manage: S.MANAGEABLE } },
  [S.RESCUING]: {
    kind: "transitional", target: S.RESCUE,
    on: { done: S.RESCUE, wait: S.RESCUEWAIT, fail: S.RESCUEFAIL },
  },
  [S.RESCUEWAIT]: {
    kind: "wait", target: S.RESCUE,
    on: { resume: S.RESCUING, fail: S.RESCUEFAIL, abort: S.RESCUEFAIL, delete: S.DELETING },
  },
  [S.RESCUE]: {
    kind: "stable", target: null,
    on: { rescue: S.RESCUING, unrescue: S.UNRESCUING, delete: S.DELETING },
  },
  [S.RESCUEFAIL]: {
    kind: "failure", target: S.RESCUE,
    on: { rescue: S.RESCUING, unrescue: S.UNRESCUING, delete: S.DELETING },
  },
  [S.UNRESCUING]: { kind: "transitional", target: S.ACTIVE, on: { done: S.ACTIVE, fail: S.UNRESCUEFAIL } },
  [S.UNRESCUEFAIL]: {
    kind: "failure", target: S.ACTIVE,
    on: { rescue: S.RESCUING, unrescue: S.UNRESCUING, delete: S.DELETING },
  },
  [S.SERVICING]: {
    kind: "transitional", target: S.ACTIVE,
    on: { done: S.ACTIVE, fail: S.SERVICEFAIL, wait: S.SERVICEWAIT, hold: S.SERVICEHOLD },
  },
  [S.SERVICEWAIT]: {
    kind: "wait", target: S.ACTIVE,
    on: { resume: S.SERVICING, hold: S.SERVICEHOLD, fail: S.SERVICEFAIL, abort: S.SERVICEFAIL, delete: S.DELETING },
  },
  [S.SERVICEHOLD]: {
    kind: "hold", target: S.ACTIVE,
    on: { service: S.SERVICING, unhold: S.SERVICEWAIT, fail: S.SERVICEFAIL, abort: S.SERVICEFAIL },
  },
  [S.SERVICEFAIL]: {
    kind: "failure", target: S.ACTIVE,
    on: {
      service: S.SERVICING, rescue: S.RESCUING, wait: S.SERVICEWAIT, hold: S.SERVICEHOLD,
      delete: S.DELETING, abort: S.ACTIVE,
    },
  },
};

export const ALL_STATES = Object.keys(STATES) as ProvisionState[];

export function isProvisionState(value: unknown): value is ProvisionState {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(STATES, value);
}

/** Whether `state` (a state read from a row or an answer, so any string) is one of `states`. */
export function inStates(state: string | null | undefined, states: readonly ProvisionState[]): boolean {
  return (states as readonly (string | null | undefined)[]).includes(state);
}

/** Where `event` leads from `state`, or null when the table has no such transition. */
export function nextState(state: ProvisionState, event: Event): ProvisionState | null {
  return STATES[state].on[event] ?? null;
}

export function isStable(state: ProvisionState): boolean {
  return STATES[state].kind === "stable";
}

/** Ironic's STABLE_STATES. */
export const STABLE_STATES: readonly ProvisionState[] = [S.ENROLL, S.MANAGEABLE, S.AVAILABLE, S.ACTIVE, S.ERROR, S.RESCUE];

/** Ironic's UNSTABLE_STATES: the conductor is moving the node; boot mode etc. are refused. */
export const UNSTABLE_STATES: readonly ProvisionState[] = [
  S.DEPLOYING, S.DEPLOYWAIT, S.CLEANING, S.CLEANWAIT, S.VERIFYING, S.DELETING, S.INSPECTING,
  S.INSPECTWAIT, S.ADOPTING, S.RESCUING, S.RESCUEWAIT, S.UNRESCUING, S.SERVICING, S.SERVICEWAIT,
];

export const FAILURE_STATES: readonly ProvisionState[] = ALL_STATES.filter((s) => STATES[s].kind === "failure");

/** The node is failed: a failure state, or `error` (a stable state the dashboard shows as failed). */
export function isFailed(state: string): boolean {
  return state === S.ERROR || (isProvisionState(state) && STATES[state].kind === "failure");
}

/** A cleaning (automated or manual) is under way. */
export const CLEANING_STATES: readonly ProvisionState[] = [S.CLEANING, S.CLEANWAIT, S.CLEANHOLD];

/** A servicing is under way. */
export const SERVICING_STATES: readonly ProvisionState[] = [S.SERVICING, S.SERVICEWAIT, S.SERVICEHOLD];

/** A deployment is running its deploy steps. */
export const DEPLOYING_STATES: readonly ProvisionState[] = [S.DEPLOYING, S.DEPLOYWAIT, S.DEPLOYHOLD];

/** Power changes are refused here: cleaning drives the power (Ironic's node states API). */
export const POWER_CHANGE_REFUSED_STATES: readonly ProvisionState[] = [S.CLEANING, S.CLEANWAIT];

/**
 * The running step returned "wait" and the deploy agent heartbeats: its next heartbeat continues
 * the steps (the ramdisk API), a take-over keeps the node waiting, the sim agent resumes.
 */
export const AGENT_WAIT_STATES: readonly ProvisionState[] = [S.DEPLOYWAIT, S.CLEANWAIT, S.SERVICEWAIT];

/** The states in which a cleaning, servicing or deployment runs its steps (not waiting, not held). */
export const STEP_RUNNING_STATES: readonly ProvisionState[] = [S.CLEANING, S.SERVICING, S.DEPLOYING];

/** A cleaning, servicing or deployment is under way (running, waiting or held). */
export const STEP_OPERATION_STATES: readonly ProvisionState[] = [...CLEANING_STATES, ...SERVICING_STATES, ...DEPLOYING_STATES];

/**
 * What a node in a cleaning, servicing or deployment waits for while none of its steps runs, or
 * null: the one wording of the Steps tab's live progress and of the timeline's wait spans.
 * `stepsStarted`: a step of this operation has begun (in a wait state the running step then asked
 * the agent to call back). `agentBoots`: the conductor is known to be booting the agent (true) or
 * it is not known (null) — before the first step it boots the agent only if a step needs it.
 * `agentWorks`: the agent has called back and runs the waiting step's command.
 */
export function operationWait(state: string, stepsStarted: boolean, agentBoots: boolean | null = null, agentWorks = false): string | null {
  if (inStates(state, AGENT_WAIT_STATES)) {
    if (!stepsStarted) return "waiting for the agent to boot and call back";
    return agentWorks ? "the agent runs the step; waiting for it to report back" : "waiting for the agent to call back";
  }
  if (stepsStarted || !inStates(state, STEP_RUNNING_STATES)) return null;
  return agentBoots ? "booting the agent before the first step" : "starting: booting the agent if a step needs it";
}

/** A ramdisk agent may look its node up (Ironic's restrict_lookup). */
export const LOOKUP_ALLOWED_STATES: readonly ProvisionState[] = [
  S.DEPLOYING, S.DEPLOYWAIT, S.CLEANING, S.CLEANWAIT, S.INSPECTING, S.INSPECTWAIT, S.RESCUING, S.RESCUEWAIT,
  S.SERVICING, S.SERVICEWAIT,
];

/** An agent heartbeat is processed at all (Ironic's HEARTBEAT_ALLOWED; no fast track). */
export const HEARTBEAT_ALLOWED_STATES: readonly ProvisionState[] = [
  S.DEPLOYWAIT, S.CLEANWAIT, S.RESCUEWAIT, S.SERVICEWAIT,
  S.DEPLOYING, S.CLEANING, S.RESCUING, S.DEPLOYHOLD, S.CLEANHOLD, S.SERVICING, S.SERVICEHOLD,
];

/**
 * A provision state as an older microversion shows it: `available` was "no state" (null) before
 * 1.2, `inspect wait` was `inspecting` before 1.39.
 */
export function provisionStateAtVersion(state: string | null, minor: number): string | null {
  if (state === S.AVAILABLE && minor < 2) return null;
  if (state === S.INSPECTWAIT && minor < 39) return S.INSPECTING;
  return state;
}

/** Node PATCH is allowed in these states even with a target set. */
export const UPDATE_ALLOWED_STATES: readonly string[] = [
  S.DEPLOYFAIL, S.INSPECTING, S.INSPECTFAIL, S.INSPECTWAIT, S.CLEANFAIL, S.ERROR, S.VERIFYING,
  S.ADOPTFAIL, S.RESCUEFAIL, S.UNRESCUEFAIL, "service", S.SERVICEHOLD, S.SERVICEFAIL,
];

/** States a node may be deleted from (maintenance bypasses the check). */
export const DELETE_ALLOWED_STATES: readonly ProvisionState[] = [S.MANAGEABLE, S.ENROLL, S.ADOPTFAIL, S.AVAILABLE];

/** Interfaces and the resource class may change only here (or in maintenance); the order is the API's wording. */
export const INTERFACE_UPDATE_ALLOWED_STATES: readonly ProvisionState[] = [S.ENROLL, S.INSPECTING, S.INSPECTWAIT, S.MANAGEABLE, S.AVAILABLE];

/** Ports and portgroups may be moved onto a node only here (or in maintenance); the order is the API's wording. */
export const PORT_MOVE_ALLOWED_STATES: readonly ProvisionState[] = [S.ENROLL, S.INSPECTING, S.INSPECTWAIT, S.MANAGEABLE];

/**
 * Running states (the transitional ones): while a node is in one, a conductor's worker holds its
 * lock and leaves it only after moving the node on. A node found unlocked in one was interrupted
 * (its conductor died or restarted); its owner resumes the operation in place — no state change,
 * recorded as event "resume" (NodeTask.resumeInterrupted) — or fails it when that is not safe
 * (conductor/takeover.ts). Ingot extension: Ironic fails them all.
 */
export const RUNNING_STATES: readonly ProvisionState[] = ALL_STATES.filter((s) => STATES[s].kind === "transitional");

export function isRunningState(state: string): boolean {
  return (RUNNING_STATES as readonly string[]).includes(state);
}

/** States whose progress depends on a callback that may never come; a periodic task times them out. */
export const CALLBACK_TIMEOUT_STATES: readonly ProvisionState[] = [
  S.DEPLOYWAIT, S.CLEANWAIT, S.INSPECTWAIT, S.RESCUEWAIT, S.SERVICEWAIT,
];

// ---- API verbs (PUT /v1/nodes/{node}/states/provision) ----

export type Verb =
  | "active" | "deploy" | "rebuild" | "deleted" | "undeploy" | "manage" | "provide" | "inspect"
  | "clean" | "abort" | "adopt" | "rescue" | "unrescue" | "unhold" | "service";

export type VerbParam =
  | "configdrive" | "clean_steps" | "deploy_steps" | "service_steps" | "rescue_password"
  | "disable_ramdisk" | "runbook";

export interface VerbDef {
  event: Event;
  /** Lowest microversion (minor) the verb exists at. */
  minVersion: number;
  /** Body parameters the verb accepts, with the minor version each needs. */
  params: Partial<Record<VerbParam, number>>;
  /** Any one of these must be given (e.g. clean needs clean_steps or runbook). */
  requiresOneOf?: VerbParam[];
  /** The stable state a client waits for after this verb. */
  expectedEnd: ProvisionState | null;
}

const deployParams = { configdrive: 1, deploy_steps: 69 } as const;

export const VERBS: Readonly<Record<Verb, VerbDef>> = {
  active: { event: "deploy", minVersion: 1, params: deployParams, expectedEnd: S.ACTIVE },
  deploy: { event: "deploy", minVersion: 73, params: deployParams, expectedEnd: S.ACTIVE },
  rebuild: { event: "rebuild", minVersion: 1, params: { configdrive: 35, deploy_steps: 69 }, expectedEnd: S.ACTIVE },
  deleted: { event: "delete", minVersion: 1, params: {}, expectedEnd: S.AVAILABLE },
  undeploy: { event: "delete", minVersion: 73, params: {}, expectedEnd: S.AVAILABLE },
  manage: { event: "manage", minVersion: 4, params: {}, expectedEnd: S.MANAGEABLE },
  provide: { event: "provide", minVersion: 4, params: {}, expectedEnd: S.AVAILABLE },
  inspect: { event: "inspect", minVersion: 6, params: {}, expectedEnd: S.MANAGEABLE },
  clean: {
    event: "clean", minVersion: 15, params: { clean_steps: 15, disable_ramdisk: 70, runbook: 92 },
    requiresOneOf: ["clean_steps", "runbook"], expectedEnd: S.MANAGEABLE,
  },
  abort: { event: "abort", minVersion: 13, params: {}, expectedEnd: null },
  adopt: { event: "adopt", minVersion: 17, params: {}, expectedEnd: S.ACTIVE },
  rescue: {
    event: "rescue", minVersion: 38, params: { rescue_password: 38 }, requiresOneOf: ["rescue_password"],
    expectedEnd: S.RESCUE,
  },
  unrescue: { event: "unrescue", minVersion: 38, params: {}, expectedEnd: S.ACTIVE },
  unhold: { event: "unhold", minVersion: 85, params: {}, expectedEnd: null },
  service: {
    event: "service", minVersion: 87, params: { service_steps: 87, disable_ramdisk: 108, runbook: 92 },
    requiresOneOf: ["service_steps", "runbook"], expectedEnd: S.ACTIVE,
  },
};

export function isVerb(value: unknown): value is Verb {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(VERBS, value);
}

/**
 * Extra version gates on `abort` from particular states: inspect wait needs 1.41,
 * wait call-back needs 1.110. Below those, the verb is treated as not actionable.
 */
export const ABORT_STATE_MIN_VERSION: Partial<Record<ProvisionState, number>> = {
  [S.INSPECTWAIT]: 41,
  [S.DEPLOYWAIT]: 110,
};

/** Whether a verb may be requested from `state` at API minor version `minor`. */
export function verbAllowedFrom(verb: Verb, state: ProvisionState, minor: number): boolean {
  const def = VERBS[verb];
  if (nextState(state, def.event) === null) return false;
  // deleting -clean-> cleaning and cleaning -manage-> manageable are the conductor's own moves.
  if (verb === "clean" && state !== S.MANAGEABLE) return false;
  if (verb === "manage" && state === S.CLEANING) return false;
  if (verb === "abort") {
    const gate = ABORT_STATE_MIN_VERSION[state];
    if (gate !== undefined && minor < gate) return false;
  }
  return true;
}

/** The states a verb may be requested from (at the newest version). */
export function verbSourceStates(verb: Verb, minor = Number.MAX_SAFE_INTEGER): ProvisionState[] {
  return ALL_STATES.filter((s) => verbAllowedFrom(verb, s, minor));
}

/**
 * target_provision_state after entering `state`: null for stable states once no async
 * work is pending, the FSM target otherwise (failure states keep theirs).
 */
export function targetFor(state: ProvisionState, override?: ProvisionState | null): ProvisionState | null {
  if (STATES[state].kind === "stable") return null;
  return override !== undefined ? override : STATES[state].target;
}

// ---- power ----

export const PowerState = {
  ON: "power on",
  OFF: "power off",
  ERROR: "error",
  REBOOT: "rebooting",
  SOFT_REBOOT: "soft rebooting",
  SOFT_OFF: "soft power off",
} as const;
export type PowerState = (typeof PowerState)[keyof typeof PowerState];

export type PowerTarget = "power on" | "power off" | "rebooting" | "soft rebooting" | "soft power off";

export const POWER_TARGETS: Readonly<Record<PowerTarget, { minVersion: number; result: "power on" | "power off" }>> = {
  "power on": { minVersion: 1, result: PowerState.ON },
  "power off": { minVersion: 1, result: PowerState.OFF },
  rebooting: { minVersion: 1, result: PowerState.ON },
  "soft rebooting": { minVersion: 27, result: PowerState.ON },
  "soft power off": { minVersion: 27, result: PowerState.OFF },
};

export function isPowerTarget(value: unknown): value is PowerTarget {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(POWER_TARGETS, value);
}

export const FAULTS = ["power failure", "clean failure", "rescue abort failure", "service failure"] as const;
export type Fault = (typeof FAULTS)[number];
