// Step vocabulary shared by the API, the conductor and the dashboard's step editors: step kinds,
// the interfaces that carry steps, reserved steps, argument schemas and the one check of an
// argument value against its schema (with the API's wording, which the dashboard shows as is).
import { pyRepr } from "./pyrepr.ts";

export type StepKind = "clean" | "deploy" | "service";

/** The URL segment of each kind's available-steps API (GET /v1/nodes/{node}/<segment>/steps). */
export const STEP_PHASE_PATH: Readonly<Record<StepKind, string>> = { clean: "cleaning", deploy: "deploying", service: "servicing" };

/** Interfaces that may carry steps, with their tie-break priority (higher runs first). */
export const STEP_INTERFACE_PRIORITY = {
  vendor: 7, power: 6, management: 5, firmware: 4, deploy: 3, bios: 2, raid: 1,
} as const;
export type StepInterface = keyof typeof STEP_INTERFACE_PRIORITY;

/**
 * Interfaces of clean, service and explicit deploy steps, and of runbook steps, in the order the
 * API's messages list them.
 */
export const STEP_INTERFACES = Object.keys(STEP_INTERFACE_PRIORITY) as StepInterface[];

/** Interfaces a deploy template step may name (as Ironic 21.4 / API 1.82 accepts them). */
export const DEPLOY_TEMPLATE_STEP_INTERFACES = ["power", "management", "deploy", "bios", "raid"] as const satisfies readonly StepInterface[];

export function isStepInterface(name: string): name is StepInterface {
  return Object.prototype.hasOwnProperty.call(STEP_INTERFACE_PRIORITY, name);
}

/** Step names the conductor handles itself, valid on any step interface and never listed. */
export const RESERVED_STEPS = ["power_on", "power_off", "reboot", "hold", "wait"] as const;
export type ReservedStep = (typeof RESERVED_STEPS)[number];
export function isReservedStep(step: string): step is ReservedStep {
  return (RESERVED_STEPS as readonly string[]).includes(step);
}

/** What each reserved step does (the dashboard's step pickers). */
export const RESERVED_STEP_DESCRIPTIONS: Readonly<Record<ReservedStep, string>> = {
  power_on: "Powers the node on.",
  power_off: "Powers the node off.",
  reboot: "Reboots the node.",
  hold: "Pauses the run until it is released (unhold).",
  wait: "Waits (optional argument seconds), then continues.",
};

/** A step priority (or `wait`'s seconds): a non-negative integer, also written as a string of digits. */
export function toPriority(v: unknown): number | null {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === "string" && /^\d+$/.test(v)) return Number(v);
  return null;
}

// ---- argument schemas (reference §5.1 argsinfo, plus Ingot's type/allowed_values/items) ----

export type ArgType = "string" | "integer" | "boolean" | "object" | "array" | "number";

/** The shape of an argument value (also used for array items and object properties). */
export interface ArgSchema {
  type?: ArgType;
  allowed_values?: unknown[];
  /** For arrays: the schema every item must match. */
  items?: ArgSchema;
  /** For objects: known keys (others are refused when given). */
  properties?: Record<string, ArgSchema & { required?: boolean; description?: string }>;
}

/** One argument of a step. */
export interface ArgInfo extends ArgSchema {
  description: string;
  required: boolean;
}
export type ArgsInfo = Record<string, ArgInfo>;

/** A step as the available-steps API lists it (docs/api-extensions.md "Available steps"). */
export interface AvailableStep {
  interface: string;
  step: string;
  priority: number;
  abortable: boolean;
  requires_ramdisk?: boolean;
  argsinfo: ArgsInfo | null;
  description?: string;
}

/** The type test of an argument value. */
export function argTypeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case "string": return typeof v === "string";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "number": return typeof v === "number" && Number.isFinite(v);
    case "boolean": return typeof v === "boolean";
    case "array": return Array.isArray(v);
    case "object": return v !== null && typeof v === "object" && !Array.isArray(v);
    default: return true;
  }
}

/**
 * Problems of one argument value against its schema (type, allowed values, items, properties),
 * each in jsonschema's words ("5 is not of type 'string'", "'x' is not one of ['a', 'b']").
 */
export function argValueErrors(schema: ArgSchema, value: unknown, path: string): string[] {
  if (schema.type && !argTypeMatches(schema.type, value)) return [`argument ${path}: ${pyRepr(value)} is not of type '${schema.type}'`];
  if (schema.allowed_values && !schema.allowed_values.some((a) => a === value)) {
    return [`argument ${path}: ${pyRepr(value)} is not one of ${pyRepr(schema.allowed_values)}`];
  }
  const errors: string[] = [];
  if (schema.items && Array.isArray(value)) {
    value.forEach((item, i) => errors.push(...argValueErrors(schema.items!, item, `${path}[${i}]`)));
  }
  if (schema.properties && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    for (const [k, sub] of Object.entries(schema.properties)) {
      if (o[k] === undefined) {
        if (sub.required) errors.push(`argument ${path}: ${pyRepr(k)} is a required property`);
        continue;
      }
      errors.push(...argValueErrors(sub, o[k], `${path}.${k}`));
    }
    const extra = Object.keys(o).filter((k) => !(k in schema.properties!));
    if (extra.length) {
      errors.push(`argument ${path}: Additional properties are not allowed (${extra.map(pyRepr).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`);
    }
  }
  return errors;
}
