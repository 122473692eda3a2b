// Ironic's request schemas for steps and config drives. The provisioning service checks them in
// Ironic's order (after the state checks); deploy templates reuse the deploy step schema.
import type { StepRequest } from "./conductor/types.ts";
import { Invalid } from "./errors.ts";
import { firstSchemaError, jsonschemaText, type Schema } from "./schema.ts";
import { isUuidLike } from "./uuid.ts";
import { pyRepr } from "../shared/pyrepr.ts";
import { STEP_INTERFACES } from "../shared/steps.ts";

/** Ironic's DEPLOY_STEP_SCHEMA for steps on these interfaces (key order decides which error is reported). */
export function deployStepSchema(interfaces: readonly string[]): Schema {
  return {
    type: "object",
    properties: {
      args: { type: "object" },
      interface: { type: "string", enum: interfaces },
      priority: { anyOf: [{ type: "integer", minimum: 0 }, { type: "string", minLength: 1, pattern: "^[0-9]+$" }] },
      step: { type: "string", minLength: 1 },
    },
    required: ["interface", "step", "args", "priority"],
    additionalProperties: false,
  };
}

const DIGITS: Schema = { type: "string", minLength: 1, pattern: "^[0-9]+$" };

/** Ironic's _STEPS_SCHEMA for clean and service steps (key order decides which error is reported). */
const STEPS_SCHEMA: Schema = {
  $schema: "http://json-schema.org/schema#",
  title: "Steps schema",
  type: "array",
  items: {
    type: "object",
    required: ["interface", "step"],
    properties: {
      interface: { description: "driver interface", enum: STEP_INTERFACES },
      step: { description: "name of clean step", type: "string", minLength: 1 },
      args: { description: "additional args", type: "object", properties: {} },
      order: { anyOf: [{ type: "integer", minimum: 0 }, DIGITS] },
      execute_on_child_nodes: { description: "Boolean if the step should be executed on child nodes.", type: "boolean" },
      limit_child_node_execution: { description: "List of nodes upon which to execute child node steps on.", type: "array" },
    },
    additionalProperties: false,
  },
};

/** Ironic's _DEPLOY_STEPS_SCHEMA. */
const DEPLOY_STEPS_SCHEMA: Schema = {
  $schema: "http://json-schema.org/schema#",
  title: "Deploy steps schema",
  type: "array",
  items: deployStepSchema(STEP_INTERFACES),
};

/**
 * The step schemas of reference §5.1. Like Ironic, a failure answers "Invalid <kind>: " followed
 * by jsonschema's whole error text (message, failed keyword and schema, the offending value).
 */
export function validateSteps(kind: "clean_steps" | "service_steps" | "deploy_steps", steps: unknown[]): StepRequest[] {
  const e = firstSchemaError(kind === "deploy_steps" ? DEPLOY_STEPS_SCHEMA : STEPS_SCHEMA, steps);
  if (e) throw new Invalid(`Invalid ${kind}: ${jsonschemaText(e)}`);
  for (const o of steps as Record<string, unknown>[]) {
    if (o.priority !== undefined) o.priority = Number(o.priority);
    if (o.order !== undefined) o.order = Number(o.order);
    const children = o.limit_child_node_execution;
    if (Array.isArray(children)) {
      for (const u of children) if (!isUuidLike(u)) throw new Invalid(`Invalid ${kind}: ${pyRepr(u)} is not a 'uuid'`);
    }
  }
  return steps as StepRequest[];
}

/** Ironic's _CONFIG_DRIVE_SCHEMA. */
export const CONFIG_DRIVE_SCHEMA: Schema = {
  anyOf: [
    {
      type: "object",
      properties: {
        meta_data: { type: "object" },
        network_data: { type: "object" },
        user_data: { type: ["object", "array", "string", "null"] },
        vendor_data: { type: "object" },
      },
      additionalProperties: false,
    },
    { type: ["string", "null"] },
  ],
};
