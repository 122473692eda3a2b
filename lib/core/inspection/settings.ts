// Inspection settings, read from the environment on each use (cheap; tests change them freely).
import type { MaskSecrets } from "./rules.ts";

export type AddPorts = "all" | "active" | "pxe" | "disabled";

export interface InspectionSettings {
  /** INGOT_INSPECTED_RESOURCE_CLASS: template such as "bm-{memory_mb}-{cpus}-{cpu_arch}" (empty = off). */
  inspectedResourceClass: string;
  /** INGOT_INSPECTION_ADD_PORTS: which inventory NICs become ports. */
  addPorts: AddPorts;
  /** INGOT_INSPECTION_RULES_MASK_SECRETS: when rules see inventory/plugin_data secrets as "***". */
  maskSecrets: MaskSecrets;
}

function oneOf<T extends string>(raw: string | undefined, allowed: readonly T[], fallback: T): T {
  const v = raw?.trim().toLowerCase();
  return v && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
}

export function inspectionSettings(): InspectionSettings {
  return {
    inspectedResourceClass: process.env.INGOT_INSPECTED_RESOURCE_CLASS?.trim() ?? "",
    addPorts: oneOf(process.env.INGOT_INSPECTION_ADD_PORTS, ["all", "active", "pxe", "disabled"] as const, "all"),
    maskSecrets: oneOf(process.env.INGOT_INSPECTION_RULES_MASK_SECRETS, ["always", "never", "sensitive"] as const, "always"),
  };
}

/**
 * Fills a resource class template from node properties ({memory_mb}, {cpus}, {cpu_arch},
 * {local_gb} or any other property). Returns null (and the missing names) when a value is absent.
 */
export function fillResourceClass(template: string, properties: Record<string, unknown>): { value: string | null; missing: string[] } {
  const missing: string[] = [];
  const value = template.replace(/\{([A-Za-z0-9_]+)\}/g, (_m, key: string) => {
    const v = properties[key];
    if (v === undefined || v === null || v === "" || typeof v === "object") {
      missing.push(key);
      return "";
    }
    return String(v);
  });
  return missing.length ? { value: null, missing } : { value, missing };
}
