// BIOS settings (reference §5.5): the per-node settings cache with registry facts, validation of
// requested settings against that registry, and the `apply_configuration` / `factory_reset` step
// declarations every BIOS implementation shares. A hardware type only implements the machine side
// (BiosInterface.applyConfiguration / factoryReset / cacheBiosSettings); checking, caching and
// step bookkeeping live here so fake, sim and real BIOS interfaces behave the same.
import type { Dict } from "./db/nodes.ts";
import type { Sql } from "./db/sql.ts";
import { parseJson, toBoolOrNull, toDate } from "./db/sql.ts";
import type { BiosAttribute, BiosInterface, DriverTask, StepCheckContext, StepDecl } from "./drivers/base.ts";
import { Invalid } from "./errors.ts";
import { pyRepr } from "../shared/pyrepr.ts";
import { BIOS_PENDING_KEY, type PendingBiosSetting } from "../shared/wire.ts";

export interface BiosSettingInput {
  name: string;
  value: unknown;
}

/** A BiosSetting row as the API and validation read it. */
export interface BiosCacheRow {
  name: string;
  value: string | null;
  attributeType: string | null;
  allowableValues: string[] | null;
  lowerBound: number | null;
  upperBound: number | null;
  minLength: number | null;
  maxLength: number | null;
  readOnly: boolean | null;
  resetRequired: boolean | null;
  unique: boolean | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

interface RawRow {
  name: string;
  value: string | null;
  attributeType: string | null;
  allowableValues: string | null;
  lowerBound: number | null;
  upperBound: number | null;
  minLength: number | null;
  maxLength: number | null;
  readOnly: unknown;
  resetRequired: unknown;
  unique: unknown;
  createdAt: unknown;
  updatedAt: unknown;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function fromRaw(r: RawRow): BiosCacheRow {
  const allowed = r.allowableValues === null || r.allowableValues === undefined ? null : parseJson<unknown>(r.allowableValues, null);
  return {
    name: r.name,
    value: r.value,
    attributeType: r.attributeType ?? null,
    allowableValues: Array.isArray(allowed) ? allowed.map(String) : null,
    lowerBound: num(r.lowerBound),
    upperBound: num(r.upperBound),
    minLength: num(r.minLength),
    maxLength: num(r.maxLength),
    readOnly: toBoolOrNull(r.readOnly),
    resetRequired: toBoolOrNull(r.resetRequired),
    unique: toBoolOrNull(r.unique),
    createdAt: toDate(r.createdAt),
    updatedAt: toDate(r.updatedAt),
  };
}

/** The node's cached settings, by name. */
export async function loadBiosCache(sql: Sql, nodeId: number): Promise<BiosCacheRow[]> {
  const rows = await sql.all<RawRow>(`SELECT * FROM "BiosSetting" WHERE "nodeId" = ? ORDER BY "name"`, [nodeId]);
  return rows.map(fromRaw);
}

export async function loadBiosSetting(sql: Sql, nodeId: number, name: string): Promise<BiosCacheRow | null> {
  const row = await sql.get<RawRow>(`SELECT * FROM "BiosSetting" WHERE "nodeId" = ? AND "name" = ?`, [nodeId, name]);
  return row ? fromRaw(row) : null;
}

/** The registry known for a node (settings with an attribute_type), or null when none is cached. */
export function registryOf(rows: BiosCacheRow[]): Map<string, BiosCacheRow> | null {
  const known = rows.filter((r) => r.attributeType !== null);
  return known.length ? new Map(known.map((r) => [r.name, r])) : null;
}

/** Stored form of a value (the API shows strings, as Ironic does). */
export function biosValueString(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
}

const REGISTRY_COLUMNS = [
  ["attributeType", "attribute_type"], ["allowableValues", "allowable_values"], ["lowerBound", "lower_bound"],
  ["upperBound", "upper_bound"], ["minLength", "min_length"], ["maxLength", "max_length"], ["readOnly", "read_only"],
  ["resetRequired", "reset_required"], ["unique", "unique"],
] as const;

function registryValues(a: BiosAttribute): (string | number | boolean | null)[] {
  return REGISTRY_COLUMNS.map(([, key]) => {
    const v = a[key];
    if (v === undefined || v === null) return null;
    if (key === "allowable_values") return JSON.stringify(v);
    return v as string | number | boolean;
  });
}

function sameRegistry(row: BiosCacheRow, a: BiosAttribute): boolean {
  const cur = [
    row.attributeType, row.allowableValues === null ? null : JSON.stringify(row.allowableValues), row.lowerBound,
    row.upperBound, row.minLength, row.maxLength, row.readOnly, row.resetRequired, row.unique,
  ];
  const next = registryValues(a);
  return cur.every((v, i) => v === next[i]);
}

/**
 * Makes the node's cache equal to what the machine reports: new settings are inserted, changed
 * ones (value or registry facts) get a new updated_at, settings no longer reported are removed.
 * Unchanged settings keep their timestamps, so updated_at says when each one last changed.
 */
export async function syncBiosCache(sql: Sql, nodeId: number, reported: BiosAttribute[]): Promise<void> {
  const now = new Date();
  const current = new Map((await loadBiosCache(sql, nodeId)).map((r) => [r.name, r]));
  const seen = new Set<string>();
  const cols = REGISTRY_COLUMNS.map(([c]) => `"${c}"`);
  await sql.tx(async (tx) => {
    for (const a of reported) {
      if (seen.has(a.name)) continue;
      seen.add(a.name);
      const row = current.get(a.name);
      const value = biosValueString(a.value);
      if (!row) {
        await tx.run(
          `INSERT INTO "BiosSetting" ("nodeId", "name", "value", ${cols.join(", ")}, "createdAt") VALUES (?, ?, ?, ${cols.map(() => "?").join(", ")}, ?)`,
          [nodeId, a.name, value, ...registryValues(a), now],
        );
      } else if (row.value !== value || !sameRegistry(row, a)) {
        await tx.run(
          `UPDATE "BiosSetting" SET "value" = ?, ${cols.map((c) => `${c} = ?`).join(", ")}, "updatedAt" = ? WHERE "nodeId" = ? AND "name" = ?`,
          [value, ...registryValues(a), now, nodeId, a.name],
        );
      }
    }
    for (const name of current.keys()) {
      if (!seen.has(name)) await tx.run(`DELETE FROM "BiosSetting" WHERE "nodeId" = ? AND "name" = ?`, [nodeId, name]);
    }
  });
}

/** Cache rows as a machine report (for drivers whose "machine" is the cache itself, like fake). */
export function rowsAsAttributes(rows: BiosCacheRow[]): BiosAttribute[] {
  return rows.map((r) => ({
    name: r.name, value: r.value, attribute_type: r.attributeType, allowable_values: r.allowableValues,
    lower_bound: r.lowerBound, upper_bound: r.upperBound, min_length: r.minLength, max_length: r.maxLength,
    read_only: r.readOnly, reset_required: r.resetRequired, unique: r.unique,
  }));
}

// ---- validation ----

/** Structure of the `settings` argument: a list of {"name": str, "value": any}. */
export function settingsShapeErrors(settings: unknown): string[] {
  if (!Array.isArray(settings)) return [`settings must be a list of {"name": ..., "value": ...} objects, not ${pyRepr(settings)}`];
  const errors: string[] = [];
  settings.forEach((s, i) => {
    if (!s || typeof s !== "object" || Array.isArray(s)) {
      errors.push(`settings[${i}] must be an object with "name" and "value", not ${pyRepr(s)}`);
      return;
    }
    const o = s as Dict;
    if (typeof o.name !== "string" || o.name === "") errors.push(`settings[${i}] needs a non-empty string "name"`);
    if (!("value" in o)) errors.push(`settings[${i}] (${pyRepr(o.name)}) needs a "value"`);
    const extra = Object.keys(o).filter((k) => k !== "name" && k !== "value");
    if (extra.length) errors.push(`settings[${i}] has unexpected keys: ${extra.join(", ")}`);
  });
  return errors;
}

const isIntLike = (v: unknown) => (typeof v === "number" && Number.isInteger(v)) || (typeof v === "string" && /^-?\d+$/.test(v.trim()));
const BOOL_STRINGS = ["true", "false"];

/** Checks one setting against its registry entry; returns problems (empty = fine). */
function settingErrors(entry: BiosCacheRow, value: unknown): string[] {
  const name = `BIOS setting '${entry.name}'`;
  if (entry.readOnly) return [`${name} is read-only`];
  if (value === null || value === undefined) return [`${name} needs a value`];
  const type = (entry.attributeType ?? "").toLowerCase();
  const errors: string[] = [];
  if (type === "integer") {
    if (!isIntLike(value)) return [`${name}: value ${pyRepr(value)} is not an integer`];
    const n = Number(value);
    if (entry.lowerBound !== null && n < entry.lowerBound) errors.push(`${name}: value ${n} is below the lower bound ${entry.lowerBound}`);
    if (entry.upperBound !== null && n > entry.upperBound) errors.push(`${name}: value ${n} is above the upper bound ${entry.upperBound}`);
  } else if (type === "boolean") {
    if (typeof value !== "boolean" && !(typeof value === "string" && BOOL_STRINGS.includes(value.toLowerCase()))) {
      return [`${name}: value ${pyRepr(value)} is not a boolean`];
    }
  } else if (type === "string" || type === "password") {
    if (typeof value !== "string") return [`${name}: value ${pyRepr(value)} is not a string`];
    if (entry.minLength !== null && value.length < entry.minLength) {
      errors.push(`${name}: value ${pyRepr(value)} is shorter than the minimum length ${entry.minLength}`);
    }
    if (entry.maxLength !== null && value.length > entry.maxLength) {
      errors.push(`${name}: value ${pyRepr(value)} is longer than the maximum length ${entry.maxLength}`);
    }
  } else if (typeof value === "object") {
    return [`${name}: value ${pyRepr(value)} is not a scalar`];
  }
  if (entry.allowableValues && entry.allowableValues.length && !entry.allowableValues.includes(String(value))) {
    errors.push(`${name}: value ${pyRepr(value)} is not one of the allowed values ${pyRepr(entry.allowableValues)}`);
  }
  return errors;
}

/**
 * Problems with `settings` against a registry (null = unknown registry: only duplicates are
 * refused). One message per bad setting, in request order.
 */
export function biosSettingsErrors(registry: Map<string, BiosCacheRow> | null, settings: BiosSettingInput[]): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const s of settings) {
    if (seen.has(s.name)) {
      errors.push(`BIOS setting '${s.name}' is given more than once`);
      continue;
    }
    seen.add(s.name);
    if (!registry) continue;
    const entry = registry.get(s.name);
    if (!entry) {
      errors.push(`BIOS setting '${s.name}' is not in the BIOS registry of this node`);
      continue;
    }
    errors.push(...settingErrors(entry, s.value));
  }
  return errors;
}

/** Shape + registry (from the node's cache) check of an apply_configuration `settings` argument. */
export async function checkBiosSettings(ctx: StepCheckContext, settings: unknown): Promise<string[]> {
  const shape = settingsShapeErrors(settings);
  if (shape.length) return shape;
  return biosSettingsErrors(registryOf(await loadBiosCache(ctx.sql, ctx.node.id)), settings as BiosSettingInput[]);
}

// ---- shared step declarations ----

export const BIOS_SETTINGS_ARG = {
  settings: {
    description: 'A list of BIOS settings to apply, each an object {"name": <setting>, "value": <value>}.',
    required: true,
    type: "array" as const,
    items: {
      type: "object" as const,
      properties: {
        name: { type: "string" as const, required: true, description: "The setting's name, as in GET /v1/nodes/{node}/bios." },
        value: { required: true, description: "The new value; checked against the setting's registry entry." },
      },
    },
  },
};

/** The node's BIOS settings waiting for the next reboot (driver_internal_info.bios_pending_settings). */
export function pendingBios(node: Pick<DriverTask["node"], "driverInternalInfo">): PendingBiosSetting[] {
  const v = node.driverInternalInfo?.[BIOS_PENDING_KEY];
  return Array.isArray(v) ? (v as PendingBiosSetting[]) : [];
}

async function storePendingBios(task: DriverTask, pending: PendingBiosSetting[]): Promise<void> {
  const dii: Dict = { ...task.node.driverInternalInfo };
  if (pending.length) dii[BIOS_PENDING_KEY] = pending;
  else delete dii[BIOS_PENDING_KEY];
  await task.update({ driverInternalInfo: dii });
}

/** A pending setting is in effect once the machine reports its value (passwords never read back). */
function inEffect(cache: Map<string, BiosCacheRow>, p: PendingBiosSetting): boolean {
  const row = cache.get(p.name);
  return !row || row.attributeType?.toLowerCase() === "password" || row.value === p.value;
}

/**
 * Re-reads the machine's BIOS settings into the cache and drops the pending settings now in
 * effect, with a history row naming them. Called wherever the machine may have rebooted: after
 * power actions, by power sync, and after cleaning. Returns those still pending.
 */
export async function refreshBiosCache(task: DriverTask, impl: BiosInterface): Promise<PendingBiosSetting[]> {
  await impl.cacheBiosSettings(task);
  const pending = pendingBios(task.node);
  if (!pending.length) return [];
  const cache = new Map((await loadBiosCache(task.sql, task.node.id)).map((r) => [r.name, r]));
  const applied = pending.filter((p) => inEffect(cache, p));
  if (!applied.length) return pending;
  const still = pending.filter((p) => !inEffect(cache, p));
  await storePendingBios(task, still);
  await task.history?.({ kind: "management", message: `Pending BIOS settings took effect: ${applied.map((p) => p.name).join(", ")}` }, "conductor");
  return still;
}

/**
 * After a change was sent and the cache re-read: the settings asked for that the machine does not
 * report yet are pending until its next reboot (a reset-required setting sent while it was off).
 * A setting asked for again keeps its first `since` when the value is the same.
 */
async function recordPendingBios(task: DriverTask, asked: BiosSettingInput[]): Promise<void> {
  const cache = new Map((await loadBiosCache(task.sql, task.node.id)).map((r) => [r.name, r]));
  const pending = new Map(pendingBios(task.node).map((p) => [p.name, p]));
  const now = new Date().toISOString();
  for (const s of asked) {
    const want: PendingBiosSetting = { name: s.name, value: biosValueString(s.value), since: now };
    const prior = pending.get(s.name);
    if (inEffect(cache, want)) pending.delete(s.name);
    else pending.set(s.name, prior && prior.value === want.value ? prior : want);
  }
  const next = [...pending.values()];
  if (JSON.stringify(next) !== JSON.stringify(pendingBios(task.node))) await storePendingBios(task, next);
}

/**
 * apply_configuration and factory_reset as clean, deploy and service steps (priority 0: only on
 * request or from a deploy template / runbook). `impl` is resolved lazily so an implementation can
 * declare its steps with itself.
 */
export function biosSteps(impl: () => BiosInterface): StepDecl[] {
  return [
    {
      step: "apply_configuration",
      description: "Applies BIOS settings, checked against the node's BIOS registry first; refreshes the settings cache.",
      priorities: { clean: 0, deploy: 0, service: 0 },
      abortable: false,
      requiresRamdisk: false,
      argsinfo: BIOS_SETTINGS_ARG,
      check: (ctx, args) => checkBiosSettings(ctx, args.settings),
      async run(task, args) {
        const errors = await checkBiosSettings(task, args.settings);
        if (errors.length) throw new Invalid(`Invalid BIOS settings for node ${task.node.uuid}: ${errors.join("; ")}`);
        const settings = (args.settings as BiosSettingInput[]).map((s) => ({ name: s.name, value: s.value }));
        await impl().applyConfiguration(task, settings);
        await refreshBiosCache(task, impl());
        await recordPendingBios(task, settings);
      },
    },
    {
      step: "factory_reset",
      description: "Resets the BIOS settings to their factory defaults; refreshes the settings cache.",
      priorities: { clean: 0, deploy: 0, service: 0 },
      abortable: false,
      requiresRamdisk: false,
      argsinfo: null,
      async run(task) {
        await impl().factoryReset(task);
        await refreshBiosCache(task, impl());
      },
    },
  ];
}
