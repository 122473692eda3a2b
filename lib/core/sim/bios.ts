// The simulated server's BIOS: an attribute registry modelled on a current 2-socket server
// (Redfish AttributeRegistry types: Enumeration, Integer, String, Boolean, Password), current
// values, and settings pending until the next reboot for attributes marked reset_required —
// as real BMCs stage them in a settings object applied during POST.
import type { BiosAttribute } from "../drivers/base.ts";
import type { SimHardware } from "./hardware.ts";

export type BiosAttributeType = "Enumeration" | "Integer" | "String" | "Boolean" | "Password";

export interface SimBiosAttributeDef {
  name: string;
  type: BiosAttributeType;
  /** Factory default (as the registry's string form; Password: null = no password). */
  default: (hw: SimHardware) => string | null;
  allowable_values?: string[];
  lower_bound?: number;
  upper_bound?: number;
  min_length?: number;
  max_length?: number;
  read_only?: boolean;
  reset_required?: boolean;
  unique?: boolean;
}

const ED = ["Enabled", "Disabled"];
const v = (value: string) => () => value;

function e(name: string, values: string[], def: string, flags: Partial<SimBiosAttributeDef> = {}): SimBiosAttributeDef {
  return { name, type: "Enumeration", allowable_values: values, default: v(def), ...flags };
}
function i(name: string, lower: number, upper: number, def: number, flags: Partial<SimBiosAttributeDef> = {}): SimBiosAttributeDef {
  return { name, type: "Integer", lower_bound: lower, upper_bound: upper, default: v(String(def)), ...flags };
}
function b(name: string, def: boolean, flags: Partial<SimBiosAttributeDef> = {}): SimBiosAttributeDef {
  return { name, type: "Boolean", default: v(String(def)), ...flags };
}
function s(name: string, min: number, max: number, def: (hw: SimHardware) => string, flags: Partial<SimBiosAttributeDef> = {}): SimBiosAttributeDef {
  return { name, type: "String", min_length: min, max_length: max, default: def, ...flags };
}
const RESET = { reset_required: true };
const RO = { read_only: true };

/** The registry: 52 attributes of every type. */
export const SIM_BIOS_REGISTRY: readonly SimBiosAttributeDef[] = [
  // Boot
  e("BootMode", ["Uefi", "Bios"], "Uefi", RESET),
  e("SecureBoot", ED, "Disabled", RESET),
  e("SecureBootPolicy", ["Standard", "Custom"], "Standard", RESET),
  e("BootSeqRetry", ED, "Enabled"),
  e("PxeDev1EnDis", ED, "Enabled", RESET),
  e("PxeDev1Protocol", ["IPv4", "IPv6"], "IPv4", RESET),
  i("PxeDev1VlanId", 0, 4094, 0, RESET),
  i("PxeDev1VlanPriority", 0, 7, 0, RESET),
  e("HttpDev1EnDis", ED, "Disabled", RESET),
  s("HttpDev1Uri", 0, 1024, v(""), RESET),
  i("SetupPromptTimeout", 0, 30, 5),
  b("QuietBoot", false),
  e("NumLock", ["On", "Off"], "On"),
  e("ErrPrompt", ED, "Enabled"),
  // Processor
  e("LogicalProc", ED, "Enabled", RESET),
  e("ProcVirtualization", ED, "Enabled", RESET),
  e("ProcTurboMode", ED, "Enabled"),
  e("ProcCStates", ED, "Enabled", RESET),
  e("ProcC1E", ED, "Enabled", RESET),
  e("ProcX2Apic", ED, "Enabled", RESET),
  e("ProcPwrPerf", ["MaxPerf", "SysDbpm", "OsDbpm"], "SysDbpm", RESET),
  i("ProcCoresEnabled", 0, 64, 0, RESET),
  b("DcuIpPrefetcher", true, RESET),
  s("ProcBrand", 1, 64, (hw) => hw.cpu.model, RO),
  // Memory
  e("MemOpMode", ["OptimizerMode", "MirrorMode", "AdvEccMode"], "OptimizerMode", RESET),
  e("NodeInterleave", ED, "Disabled", RESET),
  i("NumaNodesPerSocket", 1, 4, 1, RESET),
  b("MemTest", false),
  s("SysMemSize", 1, 16, (hw) => `${hw.memoryMb / 1024} GB`, RO),
  // System profile and power
  e("SysProfile", ["PerfPerWattOptimizedDapc", "PerfPerWattOptimizedOs", "PerfOptimized", "Custom"], "PerfPerWattOptimizedDapc", RESET),
  e("WorkloadProfile", ["NotAvailable", "VtOptimized", "DbOptimized", "HpcProfile"], "NotAvailable", RESET),
  e("AcPwrRcvry", ["Last", "On", "Off"], "Last"),
  e("AcPwrRcvryDelay", ["Immediate", "Random", "User"], "Immediate"),
  i("AcPwrRcvryUserDelay", 60, 600, 120),
  b("WakeOnLan", true),
  // Integrated devices
  e("EmbSata", ["AhciMode", "RaidMode", "Off"], "AhciMode", RESET),
  e("EmbNic1", ["Enabled", "DisabledOs", "Disabled"], "Enabled", RESET),
  s("EmbNic1MacAddress", 17, 17, (hw) => hw.nics[0].mac.toUpperCase(), RO),
  e("UsbPorts", ["AllOn", "OnlyBackPortsOn", "AllOff"], "AllOn", RESET),
  b("SriovGlobalEnable", false, RESET),
  b("OsWatchdogTimer", false),
  // Serial communication
  e("SerialComm", ["OnConRedirAuto", "OnConRedirCom1", "OnConRedirCom2", "OnNoConRedir", "Off"], "OnConRedirCom1", RESET),
  e("SerialPortAddress", ["Com1", "Com2"], "Com1", RESET),
  e("FailSafeBaud", ["115200", "57600", "19200", "9600"], "115200"),
  e("ConTermType", ["Vt100Vt220", "Ansi"], "Vt100Vt220"),
  // Security
  e("TpmSecurity", ["On", "OnPbm", "OnNoPbm", "Off"], "On", RESET),
  e("Tpm2Hierarchy", ["Enabled", "Disabled", "Clear"], "Enabled", RESET),
  { name: "AdminPassword", type: "Password", min_length: 8, max_length: 32, default: () => null },
  { name: "SystemPassword", type: "Password", min_length: 0, max_length: 32, default: () => null, reset_required: true },
  // Identity
  s("AssetTag", 0, 63, v("")),
  s("ServiceTag", 7, 7, (hw) => hw.serviceTag, { read_only: true, unique: true }),
  s("SystemBiosVersion", 1, 32, (hw) => hw.firmwareVersion, RO),
  s("SystemManufacturer", 1, 64, (hw) => hw.manufacturer, RO),
  s("SystemModelName", 1, 64, (hw) => hw.product, RO),
];

export interface SimBiosChange {
  name: string;
  value: unknown;
}

/** One problem per bad setting (the machine's own checks; empty = fine). */
export function simBiosErrors(settings: SimBiosChange[]): string[] {
  const byName = new Map(SIM_BIOS_REGISTRY.map((a) => [a.name, a]));
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const s of settings) {
    const a = byName.get(s.name);
    if (!a) {
      errors.push(`unknown attribute ${s.name}`);
      continue;
    }
    if (seen.has(s.name)) {
      errors.push(`${s.name} is given more than once`);
      continue;
    }
    seen.add(s.name);
    if (a.read_only) {
      errors.push(`${s.name} is read-only`);
      continue;
    }
    const value = s.value;
    switch (a.type) {
      case "Enumeration":
        if (!a.allowable_values!.includes(String(value))) {
          errors.push(`${s.name}: ${JSON.stringify(value)} is not one of ${a.allowable_values!.join(", ")}`);
        }
        break;
      case "Integer": {
        const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
        if (!Number.isInteger(n)) errors.push(`${s.name}: ${JSON.stringify(value)} is not an integer`);
        else if (n < a.lower_bound! || n > a.upper_bound!) errors.push(`${s.name}: ${n} is outside ${a.lower_bound}..${a.upper_bound}`);
        break;
      }
      case "Boolean":
        if (typeof value !== "boolean" && !(typeof value === "string" && ["true", "false"].includes(value.toLowerCase()))) {
          errors.push(`${s.name}: ${JSON.stringify(value)} is not a boolean`);
        }
        break;
      case "String":
      case "Password":
        if (typeof value !== "string") errors.push(`${s.name}: ${JSON.stringify(value)} is not a string`);
        else if (value.length < (a.min_length ?? 0) || value.length > (a.max_length ?? Infinity)) {
          errors.push(`${s.name}: length ${value.length} is outside ${a.min_length ?? 0}..${a.max_length}`);
        }
        break;
    }
  }
  return errors;
}

function normalize(a: SimBiosAttributeDef, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (a.type === "Boolean") return String(value).toLowerCase();
  if (a.type === "Integer") return String(Number(value));
  return String(value);
}

export class SimBios {
  private readonly current = new Map<string, string | null>();
  private readonly pendingValues = new Map<string, string | null>();

  constructor(private readonly hw: SimHardware) {
    this.loadDefaults(this.current);
  }

  private loadDefaults(into: Map<string, string | null>): void {
    for (const a of SIM_BIOS_REGISTRY) into.set(a.name, a.default(this.hw));
  }

  /** A current value (Password attributes read back as null, as BMCs never disclose them). */
  get(name: string): string | null | undefined {
    const a = SIM_BIOS_REGISTRY.find((d) => d.name === name);
    if (!a) return undefined;
    return a.type === "Password" ? null : (this.current.get(name) ?? null);
  }

  /** Whether a password attribute is set (for the firmware's setup prompt). */
  hasPassword(name: string): boolean {
    return Boolean(this.current.get(name));
  }

  /** Settings staged for the next reboot: name → value. */
  pending(): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const [k, val] of this.pendingValues) {
      const a = SIM_BIOS_REGISTRY.find((d) => d.name === k)!;
      out[k] = a.type === "Password" ? "******" : val;
    }
    return out;
  }

  get hasPending(): boolean {
    return this.pendingValues.size > 0;
  }

  /**
   * Validates and applies settings: attributes without reset_required change now, the others are
   * staged until the next POST. Throws with every problem when any setting is refused (nothing
   * changes then). Returns the names staged.
   */
  apply(settings: SimBiosChange[]): { applied: string[]; pending: string[] } {
    const errors = simBiosErrors(settings);
    if (errors.length) throw new Error(`The BIOS refused the settings: ${errors.join("; ")}`);
    const applied: string[] = [];
    const pending: string[] = [];
    for (const s of settings) {
      const a = SIM_BIOS_REGISTRY.find((d) => d.name === s.name)!;
      const value = normalize(a, s.value);
      if (a.reset_required) {
        this.pendingValues.set(a.name, value);
        pending.push(a.name);
      } else {
        this.current.set(a.name, value);
        applied.push(a.name);
      }
    }
    return { applied, pending };
  }

  /** Stages every attribute's factory default (applied at the next POST, like a real reset). */
  factoryReset(): void {
    const defaults = new Map<string, string | null>();
    this.loadDefaults(defaults);
    for (const [k, val] of defaults) {
      const a = SIM_BIOS_REGISTRY.find((d) => d.name === k)!;
      if (a.read_only) continue;
      if (this.current.get(k) !== val) this.pendingValues.set(k, val);
    }
  }

  /** Changes a value directly (BMC-side settings such as the boot mode), bypassing staging. */
  setNow(name: string, value: string): void {
    this.current.set(name, value);
    this.pendingValues.delete(name);
  }

  /** POST applies staged settings; returns what changed. */
  applyPending(): string[] {
    const names = [...this.pendingValues.keys()];
    for (const [k, val] of this.pendingValues) this.current.set(k, val);
    this.pendingValues.clear();
    return names;
  }

  /** Current values with registry facts, in the shape lib/core/bios.ts caches. */
  report(): BiosAttribute[] {
    return SIM_BIOS_REGISTRY.map((a) => ({
      name: a.name,
      value: a.type === "Password" ? null : (this.current.get(a.name) ?? null),
      attribute_type: a.type,
      allowable_values: a.allowable_values ? [...a.allowable_values] : null,
      lower_bound: a.lower_bound ?? null,
      upper_bound: a.upper_bound ?? null,
      min_length: a.min_length ?? null,
      max_length: a.max_length ?? null,
      read_only: a.read_only ?? false,
      reset_required: a.reset_required ?? false,
      unique: a.unique ?? false,
    }));
  }
}
