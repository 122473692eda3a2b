// GET /v1/nodes/{n}/validate as rows for the validate panel, and the fingerprint of what the answer
// depends on (so the panel validates again after driver_info, interfaces, properties or
// instance_info change, but not after a power sync). Pure: unit-tested.
import type { ApiNode, ApiValidation } from "@/lib/shared/wire.ts";

/**
 * valid / invalid (result true / false), unsupported (result null), or disabled: result false from
 * a "no-*" implementation (no-bios, no-console, …), which refuses by design, as in Ironic — shown
 * apart so a node that uses no BIOS interface does not look broken.
 */
export type ValidationStatus = "valid" | "invalid" | "disabled" | "unsupported";

export interface ValidationRow {
  kind: string;
  /** The implementation the node uses for this kind ("" when unknown). */
  implementation: string;
  status: ValidationStatus;
  reason: string | null;
}

/** The kinds a node must pass to be deployed come first, in the order Ironic checks them. */
const ORDER = ["power", "management", "boot", "deploy", "network", "storage", "console", "inspect", "bios", "raid", "rescue", "firmware", "vendor"];

export function validationRows(answer: ApiValidation, node: Partial<Record<string, unknown>>): ValidationRow[] {
  const kinds = Object.keys(answer).sort((a, b) => {
    const ia = ORDER.indexOf(a);
    const ib = ORDER.indexOf(b);
    return (ia < 0 ? ORDER.length : ia) - (ib < 0 ? ORDER.length : ib) || a.localeCompare(b);
  });
  return kinds.map((kind) => {
    const v = answer[kind] ?? { result: null };
    const impl = node[`${kind}_interface`];
    const implementation = typeof impl === "string" ? impl : "";
    const status: ValidationStatus =
      v.result === true ? "valid" : v.result === false ? (implementation.startsWith("no-") ? "disabled" : "invalid") : "unsupported";
    return { kind, implementation, status, reason: v.reason ? String(v.reason) : null };
  });
}

/** Counts for the panel's summary line. */
export function validationSummary(rows: ValidationRow[]): Record<ValidationStatus, number> {
  const count = (s: ValidationStatus) => rows.filter((r) => r.status === s).length;
  return { valid: count("valid"), invalid: count("invalid"), disabled: count("disabled"), unsupported: count("unsupported") };
}

/** What validation reads from the node: driver, interfaces, driver_info, properties, instance_info. */
export function validationFingerprint(node: ApiNode): string {
  const n = node as unknown as Record<string, unknown>;
  const ifaces = Object.keys(n).filter((k) => k.endsWith("_interface")).sort().map((k) => [k, n[k]]);
  return JSON.stringify([node.driver, ifaces, node.driver_info, node.properties, node.instance_info]);
}
