import { describe, expect, it } from "vitest";
import { applyStep, biosDiff, biosErrors, biosValueError, filterSettings, inputKind, type BiosSetting } from "./bios.ts";

const settings: BiosSetting[] = [
  { name: "BootMode", value: "Uefi", attribute_type: "Enumeration", allowable_values: ["Uefi", "Bios"], reset_required: true },
  { name: "SetupPromptTimeout", value: "5", attribute_type: "Integer", lower_bound: 0, upper_bound: 30 },
  { name: "QuietBoot", value: "false", attribute_type: "Boolean" },
  { name: "AssetTag", value: "", attribute_type: "String", min_length: 0, max_length: 5 },
  { name: "ServiceTag", value: "ABC1234", attribute_type: "String", read_only: true },
  { name: "AdminPassword", value: null, attribute_type: "Password", min_length: 8, max_length: 32 },
];
const by = (n: string) => settings.find((s) => s.name === n)!;

describe("BIOS editor logic", () => {
  it("picks the input from the registry", () => {
    expect(settings.map(inputKind)).toEqual(["enum", "integer", "boolean", "string", "string", "password"]);
  });

  it("enforces bounds, lengths, allowed values and read-only", () => {
    expect(biosValueError(by("SetupPromptTimeout"), "31")).toBe("must be at most 30");
    expect(biosValueError(by("SetupPromptTimeout"), "-1")).toBe("must be at least 0");
    expect(biosValueError(by("SetupPromptTimeout"), "2.5")).toBe("must be a whole number");
    expect(biosValueError(by("SetupPromptTimeout"), "30")).toBeNull();
    expect(biosValueError(by("BootMode"), "Legacy")).toBe("must be one of Uefi, Bios");
    expect(biosValueError(by("AssetTag"), "toolong")).toBe("allows at most 5 characters");
    expect(biosValueError(by("ServiceTag"), "X")).toBe("read-only");
    expect(biosValueError(by("AdminPassword"), "short")).toBe("needs at least 8 characters");
  });

  it("diffs only real changes, typed for the step, passwords never shown", () => {
    const edits = { BootMode: "Bios", SetupPromptTimeout: "5", QuietBoot: "true", AdminPassword: "", AssetTag: "rack1" };
    const diff = biosDiff(settings, edits);
    expect(diff.map((c) => [c.name, c.old, c.new, c.resetRequired])).toEqual([
      ["BootMode", "Uefi", "Bios", true], ["QuietBoot", "false", "true", false], ["AssetTag", "", "rack1", false],
    ]);
    expect(applyStep(settings, diff)).toEqual({
      interface: "bios", step: "apply_configuration",
      args: { settings: [{ name: "BootMode", value: "Bios" }, { name: "QuietBoot", value: true }, { name: "AssetTag", value: "rack1" }] },
    });
    expect(biosDiff(settings, { AdminPassword: "s3cretpass" })[0]).toMatchObject({ secret: true });
    expect(biosErrors(settings, { SetupPromptTimeout: "99", BootMode: "Bios" })).toEqual({ SetupPromptTimeout: "must be at most 30" });
  });

  it("filters by text and read-only", () => {
    expect(filterSettings(settings, "boot").map((s) => s.name)).toEqual(["BootMode", "QuietBoot"]);
    expect(filterSettings(settings, "", { hideReadOnly: true })).toHaveLength(5);
  });
});
