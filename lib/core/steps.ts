// Clean/deploy/service steps (reference §5): what a node's interfaces declare, automated-clean
// ordering, deploy-step assembly from driver + deploy templates + explicit steps, and
// validation of user-supplied steps. The step vocabulary itself (interfaces, reserved steps,
// argument checks) is lib/shared/steps.ts, shared with the dashboard.
import { pyRepr } from "../shared/pyrepr.ts";
import {
  argValueErrors, isReservedStep, isStepInterface, STEP_INTERFACE_PRIORITY, STEP_INTERFACES, toPriority,
  type ArgsInfo, type AvailableStep, type StepInterface, type StepKind,
} from "../shared/steps.ts";
import { config } from "./config.ts";
import type { StepRequest } from "./conductor/types.ts";
import type { Dict, NodeRecord } from "./db/nodes.ts";
import type { Sql } from "./db/sql.ts";
import { parseJson, toDate } from "./db/sql.ts";
import { Invalid } from "./errors.ts";
import type { StepDecl } from "./drivers/base.ts";
import { interfacesFor } from "./drivers/registry.ts";

export { isReservedStep, type AvailableStep, type StepKind } from "../shared/steps.ts";

const SERVICE_INTERFACE_PRIORITY: Readonly<Record<string, number>> = { network: 8, ...STEP_INTERFACE_PRIORITY };

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

/** An interface's steps for this node: its declared ones, replaced or extended by those known at run time. */
export function interfaceSteps(impl: { steps?: StepDecl[]; nodeSteps?(node: NodeRecord): StepDecl[] }, node: NodeRecord): StepDecl[] {
  const runtime = impl.nodeSteps?.(node) ?? [];
  if (!runtime.length) return impl.steps ?? [];
  const names = new Set(runtime.map((d) => d.step));
  return [...(impl.steps ?? []).filter((d) => !names.has(d.step)), ...runtime];
}

/** The steps of `kind` the node's interfaces declare (all priorities, including 0). */
export function driverSteps(node: NodeRecord, kind: StepKind): NodeStep[] {
  const ifaces = interfacesFor(node);
  const out: NodeStep[] = [];
  for (const iface of STEP_INTERFACES) {
    for (const decl of interfaceSteps(ifaces[iface], node)) {
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
  if (!isStepInterface(iface)) return undefined;
  return interfaceSteps(interfacesFor(node)[iface], node).find((d) => d.step === step && d.priorities[kind] !== undefined);
}

/** Sorts by priority desc, then interface priority desc (stable otherwise). */
export function sortSteps<T extends { interface: string; priority: number }>(steps: T[], kind: StepKind = "clean"): T[] {
  const table: Readonly<Record<string, number>> = kind === "service" ? SERVICE_INTERFACE_PRIORITY : STEP_INTERFACE_PRIORITY;
  return [...steps].sort((a, b) => b.priority - a.priority || (table[b.interface] ?? 0) - (table[a.interface] ?? 0));
}

/** Automated cleaning: declared clean steps with priority > 0, in run order. */
/** The steps automated cleaning runs: priority > 0 after the operator's overrides, in run order. */
export function automatedCleanSteps(node: NodeRecord): NodeStep[] {
  const overrides = config().cleanStepPriorityOverride;
  const steps = driverSteps(node, "clean").map((s) => {
    const p = overrides[`${s.interface}.${s.step}`];
    return p === undefined ? s : { ...s, priority: p };
  });
  return sortSteps(steps.filter((s) => s.priority > 0), "clean");
}

const VERB_FOR: Record<StepKind, string> = { clean: "clean", deploy: "deploy", service: "service" };

function describeRequest(req: StepRequest): string {
  const shown: Dict = { interface: req.interface, step: req.step };
  if (req.args !== undefined) shown.args = req.args;
  if (req.priority !== undefined) shown.priority = req.priority;
  return pyRepr(shown);
}

export interface ValidateOptions {
  disableRamdisk?: boolean;
  /** Replaces the default "Cannot <verb> node <uuid>: " in front of the joined errors. */
  errorPrefix?: string;
}

/**
 * Checks user-supplied steps against what the node declares (reference §5.1); returns them as
 * NodeSteps in the given order. Clean/service steps take the driver's priority/abortable; deploy
 * steps keep the user's priority. Throws Invalid listing every problem, each naming its step.
 */
export function validateUserSteps(node: NodeRecord, kind: StepKind, requests: StepRequest[], opts: ValidateOptions = {}): NodeStep[] {
  const declared = new Map(driverSteps(node, kind).map((s) => [stepKey(s.interface, s.step), s]));
  const errors: string[] = [];
  const out: NodeStep[] = [];
  const seen = new Map<string, number>();
  for (const req of requests) {
    const what = `${kind} step ${describeRequest(req)}`;
    if (!req || typeof req.interface !== "string" || typeof req.step !== "string") {
      errors.push(`${what} must have an "interface" and a "step"`);
      continue;
    }
    if (!isStepInterface(req.interface)) {
      errors.push(`${what} has an invalid interface; valid interfaces are: ${STEP_INTERFACES.join(", ")}`);
      continue;
    }
    const args = (req.args ?? {}) as Dict;
    if (typeof args !== "object" || args === null || Array.isArray(args)) {
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
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    const active = kind !== "deploy" || priority > 0;
    if (isReservedStep(req.step)) {
      if (req.step === "wait" && args.seconds !== undefined && toPriority(args.seconds) === null) {
        errors.push(`${what} has an invalid value for argument seconds: ${pyRepr(args.seconds)} is not a non-negative integer`);
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
    let bad = false;
    if (unexpected.length) {
      errors.push(`${what} has these unexpected arguments: ${unexpected.join(", ")}`);
      bad = true;
    }
    if (active) {
      const missing = Object.entries(argsinfo).filter(([k, info]) => info.required && args[k] === undefined);
      if (missing.length) {
        errors.push(`${what} is missing these required arguments: ${missing.map(([k, info]) => (info.description ? `${k} (${info.description})` : k)).join(", ")}`);
        bad = true;
      }
      for (const [k, info] of Object.entries(argsinfo)) {
        if (args[k] === undefined) continue;
        const problems = argValueErrors(info, args[k], k);
        if (problems.length) {
          errors.push(`${what} has an invalid ${problems.join("; ")}`);
          bad = true;
        }
      }
      if (opts.disableRamdisk && decl.requires_ramdisk) {
        errors.push(`${kind} step ${describeRequest(req)} requires booting a ramdisk`);
        bad = true;
      }
      if (kind === "deploy" && req.interface === "deploy" && req.step === "deploy") {
        errors.push(
          `deploy step ${req.step} on interface ${req.interface} is a core step and cannot be overridden by user steps. It may be disabled by setting the priority to 0`,
        );
        bad = true;
      }
    }
    if (bad) continue;
    out.push({ ...decl, priority: kind === "deploy" ? priority : decl.priority, args });
  }
  const dups = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  if (dups.length) {
    errors.push(`deploy steps from all deploy templates matching this node's instance traits cannot have the same interface and step. Duplicate deploy steps for ${dups.join(", ")}`);
  }
  if (errors.length) throw new Invalid(`${opts.errorPrefix ?? `Cannot ${VERB_FOR[kind]} node ${node.uuid}: `}${errors.join("; ")}`);
  return out;
}

/**
 * The steps' deeper argument checks (StepDecl.check, e.g. BIOS settings against the node's
 * registry); throws Invalid with one message per problem, each naming its step.
 */
export async function checkStepArgs(sql: Sql, node: NodeRecord, kind: StepKind, steps: NodeStep[], errorPrefix?: string): Promise<void> {
  const errors: string[] = [];
  for (const s of steps) {
    if (isReservedStep(s.step) || (kind === "deploy" && s.priority === 0)) continue;
    const decl = findStepImpl(node, kind, s.interface, s.step);
    if (!decl?.check) continue;
    const problems = await decl.check({ sql, node }, s.args ?? {});
    if (problems.length) {
      errors.push(`${kind} step ${pyRepr({ interface: s.interface, step: s.step })} has invalid arguments: ${problems.join("; ")}`);
    }
  }
  if (errors.length) throw new Invalid(`${errorPrefix ?? `Cannot ${VERB_FOR[kind]} node ${node.uuid}: `}${errors.join("; ")}`);
}

/** validateUserSteps + checkStepArgs. */
export async function validateAndCheckSteps(sql: Sql, node: NodeRecord, kind: StepKind, requests: StepRequest[], opts: ValidateOptions = {}): Promise<NodeStep[]> {
  const steps = validateUserSteps(node, kind, requests, opts);
  await checkStepArgs(sql, node, kind, steps, opts.errorPrefix);
  return steps;
}

export interface DeployTemplateRecord {
  id: number;
  uuid: string;
  name: string;
  steps: StepRequest[];
}

/** The node's instance traits (instance_info.traits); each must also be a node trait. */
export function instanceTraits(node: NodeRecord): string[] {
  const traits = node.instanceInfo.traits;
  if (traits === undefined || traits === null) return [];
  if (!Array.isArray(traits) || traits.some((t) => typeof t !== "string")) {
    throw new Invalid(`Error parsing traits from Node ${node.uuid} instance_info field. A list of strings is expected.`);
  }
  const missing = traits.filter((t) => !node.traits.includes(t));
  if (missing.length) {
    throw new Invalid(`Cannot specify instance traits that are not also set on the node. Node ${node.uuid} is missing traits ${missing.join(", ")}`);
  }
  return traits as string[];
}

/** Deploy templates whose names are among the node's instance traits. */
export async function matchingDeployTemplates(sql: Sql, node: NodeRecord): Promise<DeployTemplateRecord[]> {
  const names = instanceTraits(node);
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
 * Template and explicit steps are validated against the driver and their arguments checked.
 */
export async function assembleDeploySteps(sql: Sql, node: NodeRecord, explicit: StepRequest[] = []): Promise<NodeStep[]> {
  const merged = new Map<string, NodeStep>();
  for (const s of driverSteps(node, "deploy")) if (s.priority > 0) merged.set(stepKey(s.interface, s.step), s);
  const templates = await matchingDeployTemplates(sql, node);
  const templateSteps: StepRequest[] = templates.flatMap((t) => t.steps);
  if (templateSteps.length) {
    const errorPrefix = `Validation of deploy steps from deploy templates matching this node's instance traits failed. Matching deploy templates: ${templates.map((t) => t.name).join(",")}. Errors: `;
    for (const s of await validateAndCheckSteps(sql, node, "deploy", templateSteps, { errorPrefix })) merged.set(stepKey(s.interface, s.step), s);
  }
  if (explicit.length) {
    const errorPrefix = 'Validation of deploy steps from "deploy steps" argument failed.';
    for (const s of await validateAndCheckSteps(sql, node, "deploy", explicit, { errorPrefix })) merged.set(stepKey(s.interface, s.step), s);
  }
  return sortSteps([...merged.values()].filter((s) => s.priority > 0), "deploy");
}

/** A step as stored in node.clean_step / deploy_step / service_step. */
export function stepRecord(s: NodeStep): Dict {
  const out: Dict = { interface: s.interface, step: s.step, priority: s.priority, abortable: s.abortable, argsinfo: s.argsinfo, args: s.args };
  if (s.requires_ramdisk !== undefined) out.requires_ramdisk = s.requires_ramdisk;
  return out;
}

// ---- available steps (Ingot extension: GET /v1/nodes/{node}/{cleaning,deploying,servicing}/steps) ----

export interface StepCache {
  steps: AvailableStep[];
  updatedAt: Date;
}

/** What the node's interfaces offer for `kind` now, in automatic run order (priority 0 last). */
export function availableSteps(node: NodeRecord, kind: StepKind): AvailableStep[] {
  const ifaces = interfacesFor(node);
  const out: AvailableStep[] = driverSteps(node, kind).map((s) => {
    const decl = interfaceSteps(ifaces[s.interface as StepInterface], node).find((d) => d.step === s.step);
    return {
      interface: s.interface, step: s.step, priority: s.priority, abortable: s.abortable,
      ...(s.requires_ramdisk !== undefined ? { requires_ramdisk: s.requires_ramdisk } : {}),
      argsinfo: s.argsinfo,
      ...(decl?.description ? { description: decl.description } : {}),
    };
  });
  return sortSteps(out, kind);
}

/** Recomputes a node's available steps of `kind` and stores them. */
export async function refreshStepCache(sql: Sql, node: NodeRecord, kind: StepKind): Promise<StepCache> {
  const steps = availableSteps(node, kind);
  const now = new Date();
  await sql.run(
    `INSERT INTO "NodeStepCache" ("nodeId", "kind", "steps", "updatedAt") VALUES (?, ?, ?, ?)
     ON CONFLICT ("nodeId", "kind") DO UPDATE SET "steps" = excluded."steps", "updatedAt" = excluded."updatedAt"`,
    [node.id, kind, JSON.stringify(steps), now],
  );
  return { steps, updatedAt: now };
}

/** The cached available steps of `kind`; computed and stored first when there are none. */
export async function readStepCache(sql: Sql, node: NodeRecord, kind: StepKind): Promise<StepCache> {
  const row = await sql.get<{ steps: string; updatedAt: unknown }>(
    `SELECT "steps", "updatedAt" FROM "NodeStepCache" WHERE "nodeId" = ? AND "kind" = ?`,
    [node.id, kind],
  );
  if (row) {
    const steps = parseJson<AvailableStep[]>(row.steps, []);
    const updatedAt = toDate(row.updatedAt);
    if (steps.length && updatedAt) return { steps, updatedAt };
  }
  return refreshStepCache(sql, node, kind);
}
