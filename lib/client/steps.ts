// Step lists in the browser: the available-steps shape (docs/api-extensions.md "Available steps"),
// the client-side checks that mirror the server's (lib/core/steps.ts validateUserSteps and the
// deploy template / runbook schemas), trait-name rules, and the payloads each editor sends.
// No React here: the components in components/steps/ use it, and it is unit-tested on its own.

import { argTypeMatches } from "../core/step_args.ts";
import type { HistoryStructure } from "./types.ts";

export type StepKind = "clean" | "deploy" | "service";
export type ArgType = "string" | "integer" | "number" | "boolean" | "object" | "array";

export interface ArgSchema {
  type?: ArgType;
  allowed_values?: unknown[];
  items?: ArgSchema;
  properties?: Record<string, ArgSchema & { required?: boolean; description?: string }>;
  description?: string;
  required?: boolean;
}
export interface ArgInfo extends ArgSchema {
  description: string;
  required: boolean;
}
export type ArgsInfo = Record<string, ArgInfo>;

/** One entry of `GET /v1/nodes/{n}/{cleaning,deploying,servicing}/steps`. */
export interface AvailableStep {
  interface: string;
  step: string;
  priority: number;
  abortable: boolean;
  requires_ramdisk?: boolean;
  argsinfo: ArgsInfo | null;
  description?: string;
}
export interface AvailableStepsResponse {
  steps: AvailableStep[];
  updated_at: string;
}

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

export const PHASE_PATH: Record<StepKind, string> = { clean: "cleaning", deploy: "deploying", service: "servicing" };

/** Interfaces a deploy template step may name (lib/api/v1/deploy_templates.ts). */
export const TEMPLATE_INTERFACES = ["power", "management", "deploy", "bios", "raid"];
/** Interfaces a runbook step may name (lib/api/v1/runbooks.ts). */
export const RUNBOOK_INTERFACES = ["vendor", "power", "management", "firmware", "deploy", "bios", "raid"];
/** Interfaces of manual clean / service steps (lib/core/steps.ts STEP_INTERFACES). */
export const STEP_INTERFACES = ["vendor", "power", "management", "firmware", "deploy", "bios", "raid"];

/** Steps the conductor handles itself; valid on any step interface, never listed. */
export const RESERVED_STEPS: Record<string, string> = {
  power_on: "Powers the node on.",
  power_off: "Powers the node off.",
  reboot: "Reboots the node.",
  hold: "Pauses the run until it is released (unhold).",
  wait: "Waits (optional argument seconds), then continues.",
};

export function stepKey(s: { interface: string; step: string }): string {
  return `${s.interface}.${s.step}`;
}

let keySeq = 0;
export function newStepKey(): string {
  keySeq += 1;
  return `s${Date.now().toString(36)}${keySeq}`;
}

// ---- pyrepr-free value checks, the same rules as lib/core/steps.ts argValueErrors ----

function shown(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Problems of one value against its schema; `path` names it ("settings[0].name"). */
export function argValueErrors(schema: ArgSchema, value: unknown, path: string): string[] {
  if (schema.type && !argTypeMatches(schema.type, value)) return [`${path}: ${shown(value)} is not of type ${schema.type}`];
  if (schema.allowed_values && !schema.allowed_values.some((a) => a === value)) {
    return [`${path}: ${shown(value)} is not one of ${schema.allowed_values.map(shown).join(", ")}`];
  }
  const errors: string[] = [];
  if (schema.items && Array.isArray(value)) {
    value.forEach((item, i) => errors.push(...argValueErrors(schema.items!, item, `${path}[${i}]`)));
  }
  if (schema.properties && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    for (const [k, sub] of Object.entries(schema.properties)) {
      if (o[k] === undefined) {
        if (sub.required) errors.push(`${path}.${k}: required`);
        continue;
      }
      errors.push(...argValueErrors(sub, o[k], `${path}.${k}`));
    }
    const extra = Object.keys(o).filter((k) => !(k in schema.properties!));
    if (extra.length) errors.push(`${path}: unexpected properties ${extra.join(", ")}`);
  }
  return errors;
}

/** Problems of one step: `general` for the step, `args` per argument name. */
export interface StepProblems {
  general: string[];
  args: Record<string, string[]>;
}

export function hasProblems(p: StepProblems): boolean {
  return p.general.length > 0 || Object.values(p.args).some((a) => a.length > 0);
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
  opts: { kind: StepKind; mode: StepListMode; catalogKnown: boolean },
): StepProblems {
  const out: StepProblems = { general: [], args: {} };
  const push = (arg: string, msg: string) => (out.args[arg] ??= []).push(msg);
  const allowedIfaces = opts.mode === "template" ? TEMPLATE_INTERFACES : opts.mode === "runbook" ? RUNBOOK_INTERFACES : STEP_INTERFACES;
  if (!s.interface) out.general.push("Choose an interface.");
  else if (!allowedIfaces.includes(s.interface)) out.general.push(`Interface ${s.interface} is not allowed here (allowed: ${allowedIfaces.join(", ")}).`);
  if (!s.step) out.general.push("Choose a step.");
  if (opts.mode === "template" && (!Number.isInteger(s.priority) || s.priority < 0)) out.general.push("Priority must be a whole number ≥ 0.");
  if (s.args === null || typeof s.args !== "object" || Array.isArray(s.args)) {
    out.general.push("Arguments must be a JSON object.");
    return out;
  }
  const active = opts.kind !== "deploy" || s.priority > 0;
  if (s.step in RESERVED_STEPS) {
    for (const k of Object.keys(s.args)) {
      if (s.step === "wait" && k === "seconds") {
        const v = s.args.seconds;
        if (!(typeof v === "number" && Number.isInteger(v) && v >= 0) && !(typeof v === "string" && /^\d+$/.test(v))) {
          push("seconds", "seconds must be a whole number ≥ 0");
        }
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
    for (const m of argValueErrors(a, s.args[k], k)) push(k, m);
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

const CUSTOM_TRAIT_RE = /^CUSTOM_[A-Z0-9_]+$/;
const STANDARD_TRAIT_RE = /^(COMPUTE|HW|MISC|NET|OWNER|STORAGE)_[A-Z0-9_]+$/;

/**
 * Why `name` is not a valid trait (deploy template names, and runbook names below API 1.112,
 * are traits), or null. Mirrors lib/api/validators.ts isValidTrait.
 */
export function traitNameProblem(name: string): string | null {
  if (!name) return "A name is required.";
  if (name.length > 255) return "At most 255 characters.";
  if (CUSTOM_TRAIT_RE.test(name) || STANDARD_TRAIT_RE.test(name)) return null;
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
export const RUN_RULES: Record<RunKind, { from: string; busy: string[]; target: string; body: "clean_steps" | "service_steps"; label: string; version?: string }> = {
  clean: { from: "manageable", busy: ["cleaning", "clean wait", "clean hold"], target: "clean", body: "clean_steps", label: "Run manual cleaning" },
  // Servicing arrived in API 1.87.
  service: { from: "active", busy: ["servicing", "service wait", "service hold"], target: "service", body: "service_steps", label: "Run servicing", version: "1.87" },
};

/** Why a manual cleaning / servicing cannot start on the node now, or null (the server decides the rest). */
export function runDisabledReason(
  node: { provision_state: string; target_provision_state: string | null; maintenance?: boolean },
  kind: RunKind,
): string | null {
  const r = RUN_RULES[kind];
  if (r.busy.includes(node.provision_state)) return `The node is ${node.provision_state} now.`;
  if (node.target_provision_state) return `The node is moving to ${node.target_provision_state}.`;
  if (node.provision_state !== r.from) {
    return kind === "clean"
      ? `Manual cleaning needs the node in manageable (it is ${node.provision_state}).`
      : `Servicing needs the node in active (it is ${node.provision_state}).`;
  }
  if (kind === "clean" && node.maintenance) return "The node is in maintenance: cleaning is refused until maintenance is off.";
  return null;
}
