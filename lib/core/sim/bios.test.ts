import { describe, expect, it } from "vitest";
import { biosSettingsErrors, type BiosCacheRow } from "../bios.ts";
import { SIM_BIOS_REGISTRY, SimBios, simBiosErrors } from "./bios.ts";
import { simHardware } from "./hardware.ts";

const hw = simHardware("0b5e5b7e-6a1d-4c51-9b0a-3c1f4ad2c001");

describe("sim BIOS registry", () => {
  it("has 40+ attributes of every type, some read-only and some needing a reset", () => {
    expect(SIM_BIOS_REGISTRY.length).toBeGreaterThanOrEqual(40);
    const types = new Set(SIM_BIOS_REGISTRY.map((a) => a.type));
    expect([...types].sort()).toEqual(["Boolean", "Enumeration", "Integer", "Password", "String"]);
    expect(SIM_BIOS_REGISTRY.filter((a) => a.read_only).length).toBeGreaterThanOrEqual(4);
    expect(SIM_BIOS_REGISTRY.filter((a) => a.reset_required).length).toBeGreaterThanOrEqual(10);
    for (const a of SIM_BIOS_REGISTRY) {
      if (a.type === "Enumeration") expect(a.allowable_values!.length).toBeGreaterThan(1);
      if (a.type === "Integer") expect(a.lower_bound).toBeLessThan(a.upper_bound!);
      if (a.type === "String" || a.type === "Password") expect(a.max_length).toBeGreaterThan(0);
    }
    expect(new Set(SIM_BIOS_REGISTRY.map((a) => a.name)).size).toBe(SIM_BIOS_REGISTRY.length);
  });

  it("defaults are valid against the registry and identity attributes come from the hardware", () => {
    const bios = new SimBios(hw);
    const report = bios.report();
    expect(report.find((a) => a.name === "ServiceTag")!.value).toBe(hw.serviceTag);
    expect(report.find((a) => a.name === "SystemModelName")!.value).toBe(hw.product);
    expect(report.find((a) => a.name === "AdminPassword")).toMatchObject({ value: null, attribute_type: "Password" });
    for (const a of report) {
      if (a.attribute_type === "Enumeration") expect(a.allowable_values).toContain(a.value);
      if (a.attribute_type === "Integer") {
        expect(Number(a.value)).toBeGreaterThanOrEqual(a.lower_bound!);
        expect(Number(a.value)).toBeLessThanOrEqual(a.upper_bound!);
      }
    }
  });

  it("refuses settings outside the registry, each with a reason", () => {
    const errors = simBiosErrors([
      { name: "BootMode", value: "Legacy" },
      { name: "NumaNodesPerSocket", value: 9 },
      { name: "PxeDev1VlanId", value: "12a" },
      { name: "AssetTag", value: "x".repeat(64) },
      { name: "AdminPassword", value: "short" },
      { name: "WakeOnLan", value: "maybe" },
      { name: "ServiceTag", value: "ABCDEFG" },
      { name: "NoSuchThing", value: 1 },
    ]);
    expect(errors).toHaveLength(8);
    expect(errors.join("\n")).toMatch(/BootMode.*Uefi, Bios/);
    expect(errors.join("\n")).toMatch(/NumaNodesPerSocket: 9 is outside 1..4/);
    expect(errors.join("\n")).toMatch(/ServiceTag is read-only/);
    expect(errors.join("\n")).toMatch(/unknown attribute NoSuchThing/);
    const bios = new SimBios(hw);
    expect(() => bios.apply([{ name: "ProcTurboMode", value: "Disabled" }, { name: "BootMode", value: "Legacy" }])).toThrow(/refused/);
    expect(bios.get("ProcTurboMode")).toBe("Enabled"); // nothing changed
  });

  it("applies settings without reset at once and stages the others until POST", () => {
    const bios = new SimBios(hw);
    const r = bios.apply([
      { name: "ProcTurboMode", value: "Disabled" },
      { name: "BootMode", value: "Bios" },
      { name: "NumaNodesPerSocket", value: "2" },
      { name: "WakeOnLan", value: false },
      { name: "AdminPassword", value: "s3cret-pass" },
    ]);
    expect(r.applied.sort()).toEqual(["AdminPassword", "ProcTurboMode", "WakeOnLan"]);
    expect(r.pending.sort()).toEqual(["BootMode", "NumaNodesPerSocket"]);
    expect(bios.get("ProcTurboMode")).toBe("Disabled");
    expect(bios.get("WakeOnLan")).toBe("false");
    expect(bios.get("BootMode")).toBe("Uefi");
    expect(bios.pending()).toEqual({ BootMode: "Bios", NumaNodesPerSocket: "2" });
    expect(bios.get("AdminPassword")).toBeNull(); // never disclosed
    expect(bios.hasPassword("AdminPassword")).toBe(true);
    expect(bios.applyPending().sort()).toEqual(["BootMode", "NumaNodesPerSocket"]);
    expect(bios.get("BootMode")).toBe("Bios");
    expect(bios.hasPending).toBe(false);
    bios.factoryReset();
    expect(Object.keys(bios.pending())).toEqual(expect.arrayContaining(["BootMode", "ProcTurboMode", "NumaNodesPerSocket"]));
    bios.applyPending();
    expect(bios.get("BootMode")).toBe("Uefi");
    expect(bios.get("ProcTurboMode")).toBe("Enabled");
  });

  it("reports a registry lib/core/bios.ts validates with the same verdicts", () => {
    const rows = new Map<string, BiosCacheRow>(new SimBios(hw).report().map((a) => [a.name, {
      name: a.name, value: a.value, attributeType: a.attribute_type ?? null, allowableValues: a.allowable_values ?? null,
      lowerBound: a.lower_bound ?? null, upperBound: a.upper_bound ?? null, minLength: a.min_length ?? null,
      maxLength: a.max_length ?? null, readOnly: a.read_only ?? null, resetRequired: a.reset_required ?? null,
      unique: a.unique ?? null, createdAt: null, updatedAt: null,
    }]));
    const good = [{ name: "SysProfile", value: "PerfOptimized" }, { name: "AcPwrRcvryUserDelay", value: 300 }, { name: "QuietBoot", value: true }];
    const bad = [{ name: "SysProfile", value: "Turbo" }, { name: "AcPwrRcvryUserDelay", value: 30 }, { name: "SystemBiosVersion", value: "9" }];
    expect(biosSettingsErrors(rows, good)).toEqual([]);
    expect(simBiosErrors(good)).toEqual([]);
    expect(biosSettingsErrors(rows, bad)).toHaveLength(3);
    expect(simBiosErrors(bad)).toHaveLength(3);
  });
});
