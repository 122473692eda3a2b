// Step lists in the browser: the client-side checks that mirror the server's (lib/core/steps.ts
// validateUserSteps and the deploy template / runbook schemas) on top of the shared step vocabulary
// (lib/shared/steps.ts: interfaces, reserved steps, argument checks), trait-name rules, and the
// payloads each editor sends. No React here: the components in components/steps/ use it, and it is
// unit-tested on its own.

import { AGENT_WAIT_STATES, CLEANING_STATES, DEPLOYING_STATES, inStates, operationWait, ProvisionState as PS, SERVICING_STATES } from "../shared/states.ts";
import {
  argValueErrors, DEPLOY_TEMPLATE_STEP_INTERFACES, isReservedStep, STEP_INTERFACES, toPriority,
  type ArgSchema, type AvailableStep, type StepKind,
} from "../shared/steps.ts";
import type { ApiBiosSetting } from "../shared/wire.ts";
import { isTraitName, MAX_TRAIT_LENGTH, STANDARD_TRAIT_RE } from "../shared/traits.ts";
import type { HistoryStructure } from "../shared/history.ts";

/** A step being edited. `key` only keeps React rows stable; it is never sent. */
export interface EditableStep {
  key: string;
  interface: string;
  step: string;
  args: Record<string, unknown>;
  priority: number;
}

/**
 * What the list is for. Templates carry a priority per step (the deploy order comes from it);
 * runbooks and manual cleaning/servicing run in list order (runbooks store it as `order`).
 */
export type StepListMode = "template" | "runbook" | "manual";

/** Interfaces a step of the list may name: deploy templates allow fewer than runbooks and manual steps. */
export function stepInterfacesFor(mode: StepListMode): readonly string[] {
  return mode === "template" ? DEPLOY_TEMPLATE_STEP_INTERFACES : STEP_INTERFACES;
}

export function stepKey(s: { interface: string; step: string }): string {
  return `${s.interface}.${s.step}`;
}

let keySeq = 0;
export function newStepKey(): string {
  keySeq += 1;
  return `s${Date.now().toString(36)}${keySeq}`;
}

/** Problems of one step: `general` for the step, `args` per argument name. */
export interface StepProblems {
  general: string[];
  args: Record<string, string[]>;
}

export function hasProblems(p: StepProblems): boolean {
  return p.general.length > 0 || Object.values(p.args).some((a) => a.length > 0);
}

// ---- BIOS settings typed from the node's registry ----

/** What the step forms read of a node's BIOS setting (GET /v1/nodes/{n}/bios?detail=True). */
export type BiosRegistryEntry = Pick<ApiBiosSetting, "name" | "attribute_type" | "allowable_values" | "read_only">;

/** The argument whose items are BIOS settings: `settings` of bios.apply_configuration. */
export function isBiosSettingsArg(step: { interface: string; step: string }, arg: string): boolean {
  return step.interface === "bios" && step.step === "apply_configuration" && arg === "settings";
}

/** The schema of one setting's value, from its registry entry (unknown settings: any value). */
function biosValueSchema(entry: BiosRegistryEntry | undefined): ArgSchema {
  if (!entry) return {};
  const type = (entry.attribute_type ?? "").toLowerCase();
  if (entry.allowable_values?.length) return { type: "string", allowed_values: entry.allowable_values };
  if (type === "integer") return { type: "integer" };
  if (type === "boolean") return { type: "boolean" };
  if (type === "string" || type === "password") return { type: "string" };
  return {};
}

/**
 * The keys of one item of a BIOS `settings` list, typed from the registry: the name is one of the
 * settings one may change, the value follows that setting's type and allowed values. Without a
 * registry (a template or runbook, no node) the declared schema stands.
 */
export function biosSettingProperties(
  declared: NonNullable<ArgSchema["properties"]>,
  registry: BiosRegistryEntry[] | null | undefined,
  name: unknown,
): NonNullable<ArgSchema["properties"]> {
  if (!registry?.length) return declared;
  const writable = registry.filter((e) => !e.read_only).map((e) => e.name);
  const entry = typeof name === "string" ? registry.find((e) => e.name === name) : undefined;
  return {
    ...declared,
    name: { ...declared.name, type: "string", allowed_values: writable },
    value: { ...declared.value, ...biosValueSchema(entry) },
  };
}

/**
 * Checks one step the way the server will: known step (or reserved), no unexpected arguments,
 * and — when the step will run (always for clean/service; priority > 0 for deploy) — required
 * arguments present and values of the right type / allowed. `declared` undefined = unknown step
 * (only reported when the catalog is known: `catalogKnown`).
 */
export function stepProblems(
  s: Pick<EditableStep, "interface" | "step" | "args" | "priority">,
  declared: AvailableStep | undefined,
  opts: { kind: StepKind; mode: StepListMode; catalogKnown: boolean; bios?: BiosRegistryEntry[] | null },
): StepProblems {
  const out: StepProblems = { general: [], args: {} };
  const push = (arg: string, msg: string) => (out.args[arg] ??= []).push(msg);
  const allowedIfaces = stepInterfacesFor(opts.mode);
  if (!s.interface) out.general.push("Choose an interface.");
  else if (!allowedIfaces.includes(s.interface)) out.general.push(`Interface ${s.interface} is not allowed here (allowed: ${allowedIfaces.join(", ")}).`);
  if (!s.step) out.general.push("Choose a step.");
  if (opts.mode === "template" && (!Number.isInteger(s.priority) || s.priority < 0)) out.general.push("Priority must be a whole number ≥ 0.");
  if (s.args === null || typeof s.args !== "object" || Array.isArray(s.args)) {
    out.general.push("Arguments must be a JSON object.");
    return out;
  }
  const active = opts.kind !== "deploy" || s.priority > 0;
  if (isReservedStep(s.step)) {
    for (const k of Object.keys(s.args)) {
      if (s.step === "wait" && k === "seconds") {
        if (toPriority(s.args.seconds) === null) push("seconds", "seconds must be a whole number ≥ 0");
      } else push(k, `unexpected argument ${k}`);
    }
    return out;
  }
  if (!declared) {
    if (opts.catalogKnown && s.interface && s.step) out.general.push(`${stepKey(s)} is not an available ${opts.kind} step.`);
    return out;
  }
  const info = declared.argsinfo ?? {};
  for (const k of Object.keys(s.args)) if (!(k in info)) push(k, `unexpected argument ${k}`);
  if (!active) return out;
  for (const [k, a] of Object.entries(info)) {
    if (s.args[k] === undefined) {
      if (a.required) push(k, `${k} is required`);
      continue;
    }
    // BIOS settings also against the node's registry (the step's own check on the server).
    const schema = isBiosSettingsArg(s, k) && opts.bios?.length && a.items?.properties && Array.isArray(s.args[k])
      ? { ...a, items: undefined }
      : a;
    for (const m of argValueErrors(schema, s.args[k], k)) push(k, m);
    if (schema !== a) {
      (s.args[k] as unknown[]).forEach((item, i) => {
        const name = item && typeof item === "object" ? (item as Record<string, unknown>).name : undefined;
        const props = biosSettingProperties(a.items!.properties!, opts.bios, name);
        for (const m of argValueErrors({ ...a.items, properties: props }, item, `${k}[${i}]`)) push(k, m);
      });
    }
  }
  if (opts.kind === "deploy" && s.interface === "deploy" && s.step === "deploy") {
    out.general.push("deploy.deploy is the core deploy step: it cannot be overridden (priority 0 disables it).");
  }
  return out;
}

/** List-level problems: empty list, duplicate interface+step in a template. */
export function listProblems(steps: Pick<EditableStep, "interface" | "step">[], mode: StepListMode): string[] {
  const out: string[] = [];
  if (steps.length === 0) out.push("Add at least one step.");
  if (mode === "template") {
    const seen = new Set<string>();
    const dups = new Set<string>();
    for (const s of steps) {
      const k = stepKey(s);
      if (seen.has(k)) dups.add(k);
      seen.add(k);
    }
    if (dups.size) out.push(`A deploy template cannot list a step twice: ${[...dups].join(", ")}.`);
  }
  return out;
}

// ---- names ----

/**
 * Why `name` is not a valid trait (deploy template names, and runbook names below API 1.112,
 * are traits), or null: the API's rule (lib/shared/traits.ts), explained.
 */
export function traitNameProblem(name: string): string | null {
  if (!name) return "A name is required.";
  if (name.length > MAX_TRAIT_LENGTH) return `At most ${MAX_TRAIT_LENGTH} characters.`;
  if (isTraitName(name)) return null;
  if (!name.startsWith("CUSTOM_") && !STANDARD_TRAIT_RE.test(name.toUpperCase())) {
    return "Must start with CUSTOM_ (or a standard trait namespace: COMPUTE_, HW_, MISC_, NET_, OWNER_, STORAGE_).";
  }
  return "Only upper-case letters A–Z, digits and _ after the prefix (at least one).";
}

// ---- conversion to and from what the API stores ----

export interface TemplateStepJson {
  interface: string;
  step: string;
  args: Record<string, unknown>;
  priority: number;
}
export interface RunbookStepJson {
  interface: string;
  step: string;
  args: Record<string, unknown>;
  order: number;
}
export interface ManualStepJson {
  interface: string;
  step: string;
  args?: Record<string, unknown>;
}

export function fromTemplateSteps(steps: TemplateStepJson[]): EditableStep[] {
  return steps.map((s) => ({ key: newStepKey(), interface: s.interface, step: s.step, args: s.args ?? {}, priority: Number(s.priority) }));
}
export function fromRunbookSteps(steps: RunbookStepJson[]): EditableStep[] {
  return [...steps].sort((a, b) => a.order - b.order).map((s) => ({ key: newStepKey(), interface: s.interface, step: s.step, args: s.args ?? {}, priority: 0 }));
}

export function toTemplateSteps(steps: EditableStep[]): TemplateStepJson[] {
  return steps.map((s) => ({ interface: s.interface, step: s.step, args: s.args, priority: s.priority }));
}
export function toRunbookSteps(steps: EditableStep[]): RunbookStepJson[] {
  return steps.map((s, i) => ({ interface: s.interface, step: s.step, args: s.args, order: i }));
}
export function toManualSteps(steps: EditableStep[]): ManualStepJson[] {
  return steps.map((s) => ({ interface: s.interface, step: s.step, args: s.args }));
}

/** The JSON view of a list (what the API will store / receive). */
export function stepsToJson(steps: EditableStep[], mode: StepListMode): unknown[] {
  return mode === "template" ? toTemplateSteps(steps) : mode === "runbook" ? toRunbookSteps(steps) : toManualSteps(steps);
}

/**
 * Parses the JSON view back into steps. Returns the steps or the first problem (shape only:
 * the per-step checks run afterwards like for any edit).
 */
export function parseStepsJson(text: string, mode: StepListMode): { steps: EditableStep[] } | { error: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (!Array.isArray(data)) return { error: "The step list must be a JSON array." };
  const allowed = new Set(["interface", "step", "args", mode === "template" ? "priority" : mode === "runbook" ? "order" : ""]);
  const rows: { s: EditableStep; order: number }[] = [];
  for (const [i, raw] of data.entries()) {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return { error: `Step ${i + 1} must be an object.` };
    const o = raw as Record<string, unknown>;
    const extra = Object.keys(o).filter((k) => !allowed.has(k));
    if (extra.length) return { error: `Step ${i + 1}: unexpected key${extra.length > 1 ? "s" : ""} ${extra.join(", ")}.` };
    if (typeof o.interface !== "string" || !o.interface) return { error: `Step ${i + 1}: "interface" must be a non-empty string.` };
    if (typeof o.step !== "string" || !o.step) return { error: `Step ${i + 1}: "step" must be a non-empty string.` };
    const args = o.args ?? {};
    if (args === null || typeof args !== "object" || Array.isArray(args)) return { error: `Step ${i + 1}: "args" must be an object.` };
    let priority = 0;
    let order = i;
    if (mode === "template") {
      if (!(typeof o.priority === "number" && Number.isInteger(o.priority) && o.priority >= 0)) {
        return { error: `Step ${i + 1}: "priority" must be a whole number ≥ 0.` };
      }
      priority = o.priority;
    }
    if (mode === "runbook" && o.order !== undefined) {
      if (!(typeof o.order === "number" && Number.isInteger(o.order) && o.order >= 0)) return { error: `Step ${i + 1}: "order" must be a whole number ≥ 0.` };
      order = o.order;
    }
    rows.push({ s: { key: newStepKey(), interface: o.interface, step: o.step, args: args as Record<string, unknown>, priority }, order });
  }
  if (mode === "runbook") rows.sort((a, b) => a.order - b.order);
  return { steps: rows.map((r) => r.s) };
}

/** Moves item `from` to index `to` (both within range), returning a new array. */
export function moveItem<T>(list: T[], from: number, to: number): T[] {
  if (from === to || from < 0 || to < 0 || from >= list.length || to >= list.length) return list;
  const out = [...list];
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}

// ---- diff before save ----

export interface DiffLine {
  kind: "same" | "add" | "del";
  text: string;
}

/** Line diff (longest common subsequence) of two texts; small documents only. */
export function diffLines(before: string, after: string): DiffLine[] {
  const a = before.split("\n");
  const b = after.split("\n");
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ kind: "same", text: a[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ kind: "del", text: a[i++] });
    else out.push({ kind: "add", text: b[j++] });
  }
  while (i < n) out.push({ kind: "del", text: a[i++] });
  while (j < m) out.push({ kind: "add", text: b[j++] });
  return out;
}

// ---- step progress from node history ----

export interface HistoryRowLite {
  uuid: string;
  created_at: string;
  severity: string;
  event: string;
  /** Asked for with `structured=True`; rows without it are not step events. */
  structured?: HistoryStructure | null;
}

export type StepRunState = "pending" | "running" | "done" | "failed";

/**
 * The state of each requested step, in order, from the structured history rows written since the
 * run began (step started, finished or released after a hold, failed with its error). Steps may
 * repeat in a list, so rows are matched to requests in order.
 */
export function stepRunStates(
  requested: { interface: string; step: string }[],
  rows: HistoryRowLite[],
  kind: "clean" | "service",
): { state: StepRunState; error?: string }[] {
  const out = requested.map(() => ({ state: "pending" as StepRunState, error: undefined as string | undefined }));
  let cursor = 0;
  for (const r of rows) {
    const s = r.structured;
    if (!s || s.step_kind !== kind || !STEP_EVENT_KINDS.has(s.kind)) continue;
    const idx = requested.findIndex((q, i) => i >= cursor && q.interface === s.step_interface && q.step === s.step);
    if (idx < 0) continue;
    if (s.kind === "step_started") {
      out[idx].state = "running";
      cursor = idx;
    } else {
      // A hold ends released (unhold) rather than finished: done either way.
      out[idx].state = s.kind === "step_failed" ? "failed" : "done";
      if (s.kind === "step_failed") out[idx].error = s.error ?? undefined;
      cursor = idx + 1;
    }
  }
  return out;
}

const STEP_EVENT_KINDS = new Set<HistoryStructure["kind"]>(["step_started", "step_finished", "step_released", "step_failed"]);

// ---- server errors shown at the step ----

/**
 * Splits a server 400 message into the parts that name a step of `steps` (by
 * `'interface': 'x', 'step': 'y'`, `interface: x, step: y` or `x.y`) and the rest. Returns the
 * messages per step key (EditableStep.key) and the general ones.
 */
export function attributeServerErrors(message: string, steps: Pick<EditableStep, "key" | "interface" | "step">[]): { byStep: Record<string, string[]>; general: string[] } {
  const byStep: Record<string, string[]> = {};
  const general: string[] = [];
  // The prefix ("Cannot clean node …: ") goes in front of the first part; keep it only in general.
  const colon = message.indexOf(": ");
  const head = colon > 0 && /^(Cannot|Validation|Deploy template invalid|Schema error)/.test(message) ? message.slice(0, colon + 1) : "";
  const body = head ? message.slice(head.length).trim() : message;
  const parts = body.split(/;\s+/).filter(Boolean);
  for (const part of parts) {
    const owners = steps.filter((s) =>
      part.includes(`'interface': '${s.interface}', 'step': '${s.step}'`) ||
      part.includes(`interface: ${s.interface}, step: ${s.step}`) ||
      new RegExp(`(^|[^A-Za-z0-9_.])${s.interface}\\.${s.step}([^A-Za-z0-9_]|$)`).test(part),
    );
    // A step listed twice gets the message on each occurrence: the server cannot tell them apart.
    if (owners.length) for (const s of owners) (byStep[s.key] ??= []).push(part);
    else general.push(part);
  }
  if (head) general.unshift(head.replace(/:$/, ""));
  return { byStep, general };
}

// ---- running steps on a node ----

export type RunKind = "clean" | "service";

/** Manual cleaning and servicing: the state they start from, the states while they run, the request. */
export const RUN_RULES: Record<RunKind, {
  /** The state a run starts from and returns to. */
  from: PS;
  /** The state a run enters, and the states it passes through while it lasts. */
  running: PS;
  busy: readonly PS[];
  /** Where a failed step leaves the node. */
  failed: PS;
  target: string; body: "clean_steps" | "service_steps"; label: string; version?: string;
}> = {
  clean: {
    from: PS.MANAGEABLE, running: PS.CLEANING, busy: CLEANING_STATES, failed: PS.CLEANFAIL,
    target: "clean", body: "clean_steps", label: "Run manual cleaning",
  },
  // Servicing arrived in API 1.87.
  service: {
    from: PS.ACTIVE, running: PS.SERVICING, busy: SERVICING_STATES, failed: PS.SERVICEFAIL,
    target: "service", body: "service_steps", label: "Run servicing", version: "1.87",
  },
};

/** Why a manual cleaning / servicing cannot start on the node now, or null (the server decides the rest). */
export function runDisabledReason(
  node: { provision_state: string; target_provision_state: string | null; maintenance?: boolean },
  kind: RunKind,
): string | null {
  const r = RUN_RULES[kind];
  if (inStates(node.provision_state, r.busy)) return `The node is ${node.provision_state} now.`;
  if (node.target_provision_state) return `The node is moving to ${node.target_provision_state}.`;
  if (node.provision_state !== r.from) {
    return kind === "clean"
      ? `Manual cleaning needs the node in ${r.from} (it is ${node.provision_state}).`
      : `Servicing needs the node in ${r.from} (it is ${node.provision_state}).`;
  }
  if (kind === "clean" && node.maintenance) return "The node is in maintenance: cleaning is refused until maintenance is off.";
  return null;
}

// ---- the operation a node runs now (whoever started it) ----

/** One stored step of the running operation, with how far it got. */
export interface OperationStep {
  name: string;
  state: StepRunState;
}

export interface OperationProgress {
  kind: StepKind;
  /** The node's stored steps (driver_internal_info.<kind>_steps), or null when hidden or unknown. */
  steps: OperationStep[] | null;
  /** The step running now (`interface.step`), or null. */
  current: string | null;
  /** What the node waits for when no step runs (its agent booting or calling back), or null. */
  waiting: string | null;
}

const STEP_FIELD_OF: Record<StepKind, "clean_step" | "deploy_step" | "service_step"> = { clean: "clean_step", deploy: "deploy_step", service: "service_step" };
/** driver_internal_info's flag for steps run without the agent's ramdisk (a deployment has none). */
const RAMDISK_DISABLED_KEY: Partial<Record<StepKind, string>> = { clean: "cleaning_disable_ramdisk", service: "servicing_disable_ramdisk" };

/**
 * The cleaning, servicing or deployment the node runs now, from the node itself (its stored steps
 * and step index, which the conductor keeps current), so the Steps tab shows it live whoever
 * started it; null when none runs.
 */
export function operationProgress(node: {
  provision_state: string;
  driver_internal_info?: Record<string, unknown> | null;
  clean_step?: Record<string, unknown> | null;
  deploy_step?: Record<string, unknown> | null;
  service_step?: Record<string, unknown> | null;
}): OperationProgress | null {
  const state = node.provision_state;
  const kind: StepKind | null = inStates(state, CLEANING_STATES) ? "clean" : inStates(state, SERVICING_STATES) ? "service" : inStates(state, DEPLOYING_STATES) ? "deploy" : null;
  if (!kind) return null;
  const dii = node.driver_internal_info ?? {};
  const stored = dii[`${kind}_steps`];
  const index = typeof dii[`${kind}_step_index`] === "number" ? (dii[`${kind}_step_index`] as number) : null;
  const step = node[STEP_FIELD_OF[kind]] as { interface?: unknown; step?: unknown } | null | undefined;
  const current = step && typeof step.interface === "string" && typeof step.step === "string" ? `${step.interface}.${step.step}` : null;
  const finished = dii[`${kind}_step_finished`] === true;
  const steps = Array.isArray(stored)
    ? (stored as { interface: string; step: string }[]).map((s, i): OperationStep => ({
        name: stepKey(s),
        state: index === null || i > index ? "pending" : i < index || finished ? "done" : "running",
      }))
    : null;
  // Before the first step (no index yet) the conductor boots the agent when a stored step needs it.
  const ramdiskKey = RAMDISK_DISABLED_KEY[kind];
  const ramdiskDisabled = ramdiskKey !== undefined && dii[ramdiskKey] === true;
  const needsAgent = steps !== null && (stored as { requires_ramdisk?: unknown }[]).some((s) => s.requires_ramdisk === true);
  const agentBoots = needsAgent && !ramdiskDisabled ? true : null;
  // Nothing to start when no steps are known and the node is not waiting for its agent.
  // An agent that called back (agent_url) works on the step its node waits for.
  const agentWorks = typeof dii.agent_url === "string" && dii.agent_url !== "";
  const waiting = index === null && !steps?.length && !inStates(state, AGENT_WAIT_STATES) ? null : operationWait(state, index !== null, agentBoots, agentWorks);
  return { kind, steps, current, waiting };
}
