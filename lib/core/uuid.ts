// UUIDs as Ironic accepts them.
import { Invalid } from "./errors.ts";

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** True for anything Ironic would treat as a UUID (canonical, dashless, any case, optional braces/urn). */
export function isUuidLike(value: unknown): value is string {
  if (typeof value !== "string") return false;
  let v = value.trim();
  if (v.toLowerCase().startsWith("urn:uuid:")) v = v.slice(9);
  if (v.startsWith("{") && v.endsWith("}")) v = v.slice(1, -1);
  return UUID_RE.test(v);
}

/** Validates a uuid-typed field: `Expected UUID for <field>: <value>`; returns it lowercased. */
export function validateUuid(value: unknown, field = "uuid"): string {
  if (typeof value !== "string" || !isUuidLike(value)) throw new Invalid(`Expected UUID for ${field}: ${String(value)}`);
  return value.toLowerCase();
}
