// BIOS editor logic: the registry entry of each setting (GET /v1/nodes/{n}/bios?detail=True) decides
// the input kind and the checks done while typing; the API checks again when the step is requested.
// Pure (no React): unit-tested.

import type { ApiBiosSetting } from "@/lib/shared/wire.ts";

/** What the editor reads of a setting: its value and registry (not its timestamps and links). */
export type BiosSetting = Omit<ApiBiosSetting, "created_at" | "updated_at" | "links">;

export type BiosInputKind = "enum" | "integer" | "boolean" | "string" | "password";

export function inputKind(s: BiosSetting): BiosInputKind {
  const t = (s.attribute_type ?? "").toLowerCase();
  if (t === "enumeration" || (s.allowable_values && s.allowable_values.length > 0)) return "enum";
  if (t === "integer") return "integer";
  if (t === "boolean") return "boolean";
  if (t === "password") return "password";
  return "string";
}

/** The problem with a new value for `s`, or null when it fits the registry. */
export function biosValueError(s: BiosSetting, value: string): string | null {
  if (s.read_only) return "read-only";
  switch (inputKind(s)) {
    case "enum":
      return s.allowable_values?.length && !s.allowable_values.includes(value) ? `must be one of ${s.allowable_values.join(", ")}` : null;
    case "integer": {
      if (!/^-?\d+$/.test(value.trim())) return "must be a whole number";
      const n = Number(value);
      if (s.lower_bound != null && n < s.lower_bound) return `must be at least ${s.lower_bound}`;
      if (s.upper_bound != null && n > s.upper_bound) return `must be at most ${s.upper_bound}`;
      return null;
    }
    case "boolean":
      return value === "true" || value === "false" ? null : "must be true or false";
    default:
      if (s.min_length != null && value.length < s.min_length) return `needs at least ${s.min_length} characters`;
      if (s.max_length != null && value.length > s.max_length) return `allows at most ${s.max_length} characters`;
      return null;
  }
}

/** The value sent to the step: integers and booleans as JSON numbers/booleans, the rest as text. */
export function biosRequestValue(s: BiosSetting, value: string): string | number | boolean {
  const kind = inputKind(s);
  if (kind === "integer") return Number(value);
  if (kind === "boolean") return value === "true";
  return value;
}

export interface BiosChange {
  name: string;
  old: string | null;
  new: string;
  resetRequired: boolean;
  secret: boolean;
}

/** Edited values that differ from the current ones, in registry order. */
export function biosDiff(settings: BiosSetting[], edits: Record<string, string>): BiosChange[] {
  const out: BiosChange[] = [];
  for (const s of settings) {
    if (!(s.name in edits)) continue;
    const v = edits[s.name];
    if (v === (s.value ?? "") && inputKind(s) !== "password") continue;
    if (inputKind(s) === "password" && v === "") continue;
    out.push({ name: s.name, old: s.value, new: v, resetRequired: !!s.reset_required, secret: inputKind(s) === "password" });
  }
  return out;
}

/** Errors of every edited setting (name → message). */
export function biosErrors(settings: BiosSetting[], edits: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of biosDiff(settings, edits)) {
    const s = settings.find((x) => x.name === c.name)!;
    const e = biosValueError(s, c.new);
    if (e) out[c.name] = e;
  }
  return out;
}

/** The clean/deploy step that applies `changes`. */
export function applyStep(settings: BiosSetting[], changes: BiosChange[]) {
  return {
    interface: "bios",
    step: "apply_configuration",
    args: {
      settings: changes.map((c) => ({ name: c.name, value: biosRequestValue(settings.find((s) => s.name === c.name)!, c.new) })),
    },
  };
}

/** Case-insensitive filter over name, value and type; `changedOnly` keeps edited rows. */
export function filterSettings(settings: BiosSetting[], query: string, opts: { hideReadOnly?: boolean; onlyEdited?: Set<string> } = {}): BiosSetting[] {
  const q = query.trim().toLowerCase();
  return settings.filter((s) => {
    if (opts.hideReadOnly && s.read_only) return false;
    if (opts.onlyEdited && !opts.onlyEdited.has(s.name)) return false;
    if (!q) return true;
    return s.name.toLowerCase().includes(q) || (s.value ?? "").toLowerCase().includes(q) || (s.attribute_type ?? "").toLowerCase().includes(q);
  });
}
