// Clean/deploy/service steps (reference §5): what a node's interfaces declare, automated-clean
// ordering, deploy-step assembly from driver + deploy templates + explicit steps, and
// validation of user-supplied steps.
import type { StepRequest } from "./conductor/types.ts";
import type { Dict, NodeRecord } from "./db/nodes.ts";
import type { Sql } from "./db/sql.ts";
import { parseJson } from "./db/sql.ts";
import { Invalid } from "./errors.ts";
import type { ArgsInfo, InterfaceName, StepDecl, StepKind } from "./drivers/base.ts";
import { interfacesFor } from "./drivers/registry.ts";

export type { StepKind } from "./drivers/base.ts";

/** Interfaces that may carry steps, with their tie-break priority (higher runs first). */
export const STEP_INTERFACE_PRIORITY: Readonly<Record<string, number>> = {
  vendor: 7, power: 6, management: 5, firmware: 4, deploy: 3, bios: 2, raid: 1,
};
const SERVICE_INTERFACE_PRIORITY: Readonly<Record<string, number>> = { network: 8, ...STEP_INTERFACE_PRIORITY };

export const STEP_INTERFACES = Object.keys(STEP_INTERFACE_PRIORITY) as InterfaceName[];

/** Step names the conductor handles itself, valid on any step interface. */
export const RESERVED_STEPS = ["power_on", "power_off", "reboot", "hold", "wait"] as const;
export type ReservedStep = (typeof RESERVED_STEPS)[number];
export function isReservedStep(step: string): step is ReservedStep {
  return (RESERVED_STEPS as readonly string[]).includes(step);
}

/** A step as Ironic shows it (driver_internal_info.*_steps, node.clean_step, GET steps). */
export interface NodeStep {
  interface: string;
  step: string;
  priority: number;
  abortable: boolean;
  argsinfo: ArgsInfo | null;
  requires_ramdisk?: boolean;
  args: Dict;
}

const stepKey = (iface: string, step: string) => `${iface}.${step}`;

/** Python-style repr, so messages read like Ironic's ({'interface': 'bios', 'step': 'x'}). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  if (typeof v === "number") return String(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") return `{${Object.entries(v as Dict).map(([k, x]) => `'${k}': ${pyRepr(x)}`).join(", ")}}`;
  return String(v);
}

/** The steps of `kind` the node's interfaces declare (all priorities, including 0). */
export function driverSteps(node: NodeRecord, kind: StepKind): NodeStep[] {
  const ifaces = interfacesFor(node);
  const out: NodeStep[] = [];
  for (const iface of STEP_INTERFACES) {
    for (const decl of ifaces[iface].steps ?? []) {
      const priority = decl.priorities[kind];
      if (priority === undefined) continue;
      const step: NodeStep = {
        interface: iface, step: decl.step, priority, abortable: decl.abortable ?? false,
        argsinfo: decl.argsinfo ?? null, args: {},
      };
      if (kind !== "deploy") step.requires_ramdisk = decl.requiresRamdisk ?? true;
      out.push(step);
    }
  }
  return out;
}

/** The implementation of a declared step, or undefined (reserved steps have none). */
export function findStepImpl(node: NodeRecord, kind: StepKind, iface: string, step: string): StepDecl | undefined {
  if (!STEP_INTERFACES.includes(iface as InterfaceName)) return undefined;
  const impl = interfacesFor(node)[iface as InterfaceName];
  return impl.steps?.find((d) => d.step === step && d.priorities[kind] !== undefined);
}

/** Sorts by priority desc, then interface priority desc (stable otherwise). */
export function sortSteps<T extends { interface: string; priority: number }>(steps: T[], kind: StepKind = "clean"): T[] {
  const table = kind === "service" ? SERVICE_INTERFACE_PRIORITY : STEP_INTERFACE_PRIORITY;
  return [...steps].sort((a, b) => b.priority - a.priority || (table[b.interface] ?? 0) - (table[a.interface] ?? 0));
}

/** Automated cleaning: declared clean steps with priority > 0, in run order. */
export function automatedCleanSteps(node: NodeRecord): NodeStep[] {
  return sortSteps(driverSteps(node, "clean").filter((s) => s.priority > 0), "clean");
}

const VERB_FOR: Record<StepKind, string> = { clean: "clean", deploy: "deploy", service: "service" };

function describeRequest(req: StepRequest): string {
  const shown: Dict = { interface: req.interface, step: req.step };
  if (req.args !== undefined) shown.args = req.args;
  if (req.priority !== undefined) shown.priority = req.priority;
  return pyRepr(shown);
}

function toPriority(v: unknown): number | null {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^\d+$/.test(v)) return Number(v);
  return null;
}

export interface ValidateOptions {
  disableRamdisk?: boolean;
}

/**
 * Checks user-supplied steps against what the node declares; returns them as NodeSteps in the
 * given order. Clean/service steps take the driver's priority/abortable; deploy steps keep the
 * user's priority. Throws Invalid listing every problem.
 */
export function validateUserSteps(node: NodeRecord, kind: StepKind, requests: StepRequest[], opts: ValidateOptions = {}): NodeStep[] {
  const declared = new Map(driverSteps(node, kind).map((s) => [stepKey(s.interface, s.step), s]));
  const errors: string[] = [];
  const out: NodeStep[] = [];
  const seen = new Set<string>();
  for (const req of requests) {
    const what = `${kind} step ${describeRequest(req)}`;
    if (!req || typeof req.interface !== "string" || typeof req.step !== "string") {
      errors.push(`${what} must have an "interface" and a "step"`);
      continue;
    }
    if (!STEP_INTERFACES.includes(req.interface as InterfaceName)) {
      errors.push(`${what} has an invalid interface; valid interfaces are: ${STEP_INTERFACES.join(", ")}`);
      continue;
    }
    const args = (req.args ?? {}) as Dict;
    if (typeof args !== "object" || Array.isArray(args)) {
      errors.push(`${what} has invalid args: must be an object`);
      continue;
    }
    let priority = 0;
    if (kind === "deploy") {
      const p = toPriority(req.priority);
      if (p === null) {
        errors.push(`${what} has an invalid priority: must be a non-negative integer`);
        continue;
      }
      priority = p;
      const key = stepKey(req.interface, req.step);
      if (seen.has(key)) {
        errors.push(`duplicate deploy steps for ${key}`);
        continue;
      }
      seen.add(key);
    }
    if (isReservedStep(req.step)) {
      if (req.step === "wait" && args.seconds !== undefined && toPriority(args.seconds) === null) {
        errors.push(`${what} has an invalid "seconds" argument: must be a non-negative integer`);
        continue;
      }
      const extra = Object.keys(args).filter((k) => !(req.step === "wait" && k === "seconds"));
      if (extra.length) {
        errors.push(`${what} has these unexpected arguments: ${extra.join(", ")}`);
        continue;
      }
      out.push({ interface: req.interface, step: req.step, priority, abortable: true, argsinfo: null, args, ...(kind !== "deploy" ? { requires_ramdisk: false } : {}) });
      continue;
    }
    const decl = declared.get(stepKey(req.interface, req.step));
    if (!decl) {
      errors.push(`node does not support this ${kind} step: ${describeRequest({ interface: req.interface, step: req.step } as StepRequest)}`);
      continue;
    }
    const argsinfo = decl.argsinfo ?? {};
    const unexpected = Object.keys(args).filter((k) => !(k in argsinfo));
    const missing = Object.entries(argsinfo).filter(([k, info]) => info.required && args[k] === undefined);
    let bad = false;
    if (unexpected.length) {
      errors.push(`${what} has these unexpected arguments: ${unexpected.join(", ")}`);
      bad = true;
    }
    if (missing.length) {
      errors.push(`${what} is missing these required arguments: ${missing.map(([k, info]) => `${k} (${info.description})`).join(", ")}`);
      bad = true;
    }
    for (const [k, info] of Object.entries(argsinfo)) {
      if (args[k] !== undefined && info.allowed_values && !info.allowed_values.includes(args[k])) {
        errors.push(`${what} has an invalid value for ${k}: ${pyRepr(args[k])}; allowed values are ${pyRepr(info.allowed_values)}`);
        bad = true;
      }
    }
    if (opts.disableRamdisk && decl.requires_ramdisk) {
      errors.push(`${what} requires booting a ramdisk, which was disabled (disable_ramdisk)`);
      bad = true;
    }
    if (bad) continue;
    out.push({ ...decl, priority: kind === "deploy" ? priority : decl.priority, args });
  }
  if (errors.length) throw new Invalid(`Cannot ${VERB_FOR[kind]} node ${node.uuid}: ${errors.join("; ")}`);
  return out;
}

export interface DeployTemplateRecord {
  id: number;
  uuid: string;
  name: string;
  steps: StepRequest[];
}

/** Deploy templates whose names are among the node's instance traits. */
export async function matchingDeployTemplates(sql: Sql, node: NodeRecord): Promise<DeployTemplateRecord[]> {
  const traits = node.instanceInfo.traits;
  if (!Array.isArray(traits) || traits.length === 0) return [];
  const names = traits.filter((t): t is string => typeof t === "string");
  const missing = names.filter((t) => !node.traits.includes(t));
  if (missing.length) {
    throw new Invalid(
      `Cannot deploy node ${node.uuid}: instance traits must also be node traits. Missing node traits: ${missing.join(", ")}`,
    );
  }
  if (names.length === 0) return [];
  const rows = await sql.all<{ id: number; uuid: string; name: string; steps: string }>(
    `SELECT "id", "uuid", "name", "steps" FROM "DeployTemplate" WHERE "name" IN (${names.map(() => "?").join(",")}) ORDER BY "name"`,
    names,
  );
  return rows.map((r) => ({ id: r.id, uuid: r.uuid, name: r.name, steps: parseJson<StepRequest[]>(r.steps, []) }));
}

/**
 * The deploy steps to run, in order: driver defaults, overridden by matching deploy templates,
 * overridden by explicit `deploy_steps` (keyed by interface+step); priority 0 drops a step.
 */
export async function assembleDeploySteps(sql: Sql, node: NodeRecord, explicit: StepRequest[] = []): Promise<NodeStep[]> {
  const merged = new Map<string, NodeStep>();
  for (const s of driverSteps(node, "deploy")) if (s.priority > 0) merged.set(stepKey(s.interface, s.step), s);
  const templateSteps: StepRequest[] = [];
  for (const t of await matchingDeployTemplates(sql, node)) templateSteps.push(...t.steps);
  for (const s of validateUserSteps(node, "deploy", templateSteps)) merged.set(stepKey(s.interface, s.step), s);
  for (const s of validateUserSteps(node, "deploy", explicit)) merged.set(stepKey(s.interface, s.step), s);
  return sortSteps([...merged.values()].filter((s) => s.priority > 0), "deploy");
}

/** A step as stored in node.clean_step / deploy_step / service_step. */
export function stepRecord(s: NodeStep): Dict {
  const out: Dict = { interface: s.interface, step: s.step, priority: s.priority, abortable: s.abortable, argsinfo: s.argsinfo, args: s.args };
  if (s.requires_ramdisk !== undefined) out.requires_ramdisk = s.requires_ramdisk;
  return out;
}
