// A small JSON-schema subset for request bodies: enough to reject wrong types, unknown
// fields and missing fields with a message that names the field, before anything changes.
import { Invalid } from "../core/errors.ts";

export type Schema =
  | { type: "string"; enum?: readonly string[]; maxLength?: number; minLength?: number; pattern?: RegExp; nullable?: boolean }
  | { type: "integer" | "number"; minimum?: number; maximum?: number; nullable?: boolean }
  | { type: "boolean"; nullable?: boolean }
  | { type: "object"; properties?: Record<string, Schema>; required?: readonly string[]; additionalProperties?: boolean; nullable?: boolean }
  | { type: "array"; items?: Schema; maxItems?: number; minItems?: number; nullable?: boolean }
  | { type: "any" }
  | { anyOf: Schema[] };

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** Returns the first problem as a message, or null when `value` fits. */
export function check(schema: Schema, value: unknown, path = "body"): string | null {
  if ("anyOf" in schema) {
    const errs = schema.anyOf.map((s) => check(s, value, path));
    return errs.every((e) => e !== null) ? errs[0] : null;
  }
  if (schema.type === "any") return null;
  if (value === null && schema.nullable) return null;
  switch (schema.type) {
    case "string":
      if (typeof value !== "string") return `${path}: ${JSON.stringify(value)} is not of type 'string'`;
      if (schema.enum && !schema.enum.includes(value)) return `${path}: '${value}' is not one of ${JSON.stringify(schema.enum)}`;
      if (schema.maxLength !== undefined && value.length > schema.maxLength) return `${path}: '${value}' is too long (at most ${schema.maxLength} characters)`;
      if (schema.minLength !== undefined && value.length < schema.minLength) return `${path}: '${value}' is too short`;
      if (schema.pattern && !schema.pattern.test(value)) return `${path}: '${value}' does not match ${schema.pattern.source}`;
      return null;
    case "integer":
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value) || (schema.type === "integer" && !Number.isInteger(value)))
        return `${path}: ${JSON.stringify(value)} is not of type '${schema.type}'`;
      if (schema.minimum !== undefined && value < schema.minimum) return `${path}: ${value} is less than the minimum of ${schema.minimum}`;
      if (schema.maximum !== undefined && value > schema.maximum) return `${path}: ${value} is greater than the maximum of ${schema.maximum}`;
      return null;
    case "boolean":
      return typeof value === "boolean" ? null : `${path}: ${JSON.stringify(value)} is not of type 'boolean'`;
    case "array": {
      if (!Array.isArray(value)) return `${path}: ${JSON.stringify(value)} is not of type 'array'`;
      if (schema.maxItems !== undefined && value.length > schema.maxItems) return `${path}: too many items (at most ${schema.maxItems})`;
      if (schema.minItems !== undefined && value.length < schema.minItems) return `${path}: at least ${schema.minItems} item(s) required`;
      if (schema.items) {
        for (let i = 0; i < value.length; i++) {
          const e = check(schema.items, value[i], `${path}[${i}]`);
          if (e) return e;
        }
      }
      return null;
    }
    case "object": {
      if (typeName(value) !== "object") return `${path}: ${JSON.stringify(value)} is not of type 'object'`;
      const obj = value as Record<string, unknown>;
      for (const req of schema.required ?? []) {
        if (!(req in obj)) return `${path}: '${req}' is a required property`;
      }
      if (schema.additionalProperties === false && schema.properties) {
        const extra = Object.keys(obj).filter((k) => !(k in schema.properties!));
        if (extra.length) return `${path}: Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(", ")} ${extra.length === 1 ? "was" : "were"} unexpected)`;
      }
      for (const [k, sub] of Object.entries(schema.properties ?? {})) {
        if (k in obj) {
          const e = check(sub, obj[k], `${path}.${k}`);
          if (e) return e;
        }
      }
      return null;
    }
  }
}

/** Throws a 400 naming the problem when `value` does not fit `schema`. */
export function validate<T>(schema: Schema, value: unknown, what = "body"): T {
  const problem = check(schema, value, what);
  if (problem) throw new Invalid(`Invalid input for field/attribute ${problem}`);
  return value as T;
}

export const dict: Schema = { type: "object" };
export const nullableString = (maxLength?: number): Schema => ({ type: "string", nullable: true, maxLength });
