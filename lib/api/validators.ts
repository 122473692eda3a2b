// Shared input validators for the Bare Metal API (nodes, ports, allocations, templates ...).
// Each throws Invalid (400) with the wording real Ironic uses where the client can see it.
import { Invalid } from "../core/errors.ts";
import { isValidLogicalName, RESERVED_NODE_NAMES, validateConductorGroup } from "../core/node_names.ts";
import { isUuidLike, validateUuid } from "../core/uuid.ts";
import { pyRepr } from "../shared/pyrepr.ts";
import { CUSTOM_TRAIT_RE, isValidTrait, MAX_TRAIT_LENGTH, STANDARD_TRAIT_RE } from "../shared/traits.ts";
import { schemaCheck, type Schema } from "./schema.ts";

const CANONICAL_UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export { isUuidLike, validateUuid };
export { isValidLogicalName, RESERVED_NODE_NAMES, validateConductorGroup };

/** Strict canonical form (8-4-4-4-12). */
export function isCanonicalUuid(value: unknown): value is string {
  return typeof value === "string" && CANONICAL_UUID_RE.test(value);
}

/**
 * Validates a node name for create/update. `verb` picks Ironic's wording
 * ("create" → "Cannot create node with invalid name 'x'").
 */
export function validateNodeName(name: unknown, minor: number, verb: "create" | "update" = "create"): string | null {
  if (name === null || name === undefined) return null;
  if (typeof name !== "string") throw new Invalid(`Schema error for node: ${pyRepr(name)} is not of type 'string', 'null'`);
  if (RESERVED_NODE_NAMES.includes(name)) {
    throw new Invalid(
      `The word "${name}" is reserved and can not be used as a node name. Reserved words are: ${RESERVED_NODE_NAMES.join(", ")}.`,
    );
  }
  if (!isValidLogicalName(name, minor)) {
    throw new Invalid(verb === "create" ? `Cannot create node with invalid name '${name}'` : `Node ${name} can not be updated with invalid name '${name}'`);
  }
  return name;
}

// os-traits namespaces for standard traits (COMPUTE_*, HW_*, MISC_*, NET_*, OWNER_*, STORAGE_*).
/**
 * Ironic's TRAITS_SCHEMA, over the shared trait rule (lib/shared/traits.ts). Ironic's second
 * alternative is os-traits' list of standard traits; a pattern over their namespaces stands in for
 * it (the messages are the same: the first alternative's is the one reported).
 */
export const TRAITS_SCHEMA: Schema = {
  type: "string", minLength: 1, maxLength: MAX_TRAIT_LENGTH,
  anyOf: [{ pattern: CUSTOM_TRAIT_RE.source }, { pattern: STANDARD_TRAIT_RE.source }],
};

export { isValidTrait };

/** Validates one trait; `what` is the schema subject in the message ("trait" or "body"). */
export function validateTrait(t: unknown, what = "trait"): string {
  schemaCheck(what, TRAITS_SCHEMA, t);
  return t as string;
}

/** Validates a traits list (max 50 by default) and removes duplicates keeping order. */
export function validateTraits(list: unknown, what = "body", max = 50): string[] {
  schemaCheck(what, { type: "array", items: TRAITS_SCHEMA }, list);
  const out = [...new Set(list as string[])];
  if (out.length > max) {
    throw new Invalid(`Could not modify traits for node: too many traits (${out.length}), the maximum is ${max}.`);
  }
  return out;
}

const MAC_RE = /^([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})[:-]?([0-9a-f]{2})$/i;
const MAC_RE_20 = /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/i; // InfiniBand GUID-style 20-octet

/** Normalizes a MAC to lowercase colon form; throws Invalid "Expected a MAC address but received X." */
export function normalizeMac(s: unknown): string {
  if (typeof s === "string") {
    const m = MAC_RE.exec(s.trim());
    if (m) return m.slice(1, 7).join(":").toLowerCase();
    if (MAC_RE_20.test(s.trim())) return s.trim().toLowerCase();
  }
  throw new Invalid(`Expected a MAC address but received ${String(s)}.`);
}

export function isValidMac(s: unknown): boolean {
  try {
    normalizeMac(s);
    return true;
  } catch {
    return false;
  }
}

/** A non-negative integer query/body value; throws Invalid with the field name. */
export function validateNonNegativeInt(value: unknown, field: string): number {
  const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new Invalid(`Expected non-negative integer for ${field}: ${String(value)}`);
  return n;
}
