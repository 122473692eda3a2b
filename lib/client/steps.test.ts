import { describe, expect, it } from "vitest";
import type { AvailableStep } from "../shared/steps.ts";
import { biosSettingProperties, diffLines, operationProgress, listProblems, moveItem, parseStepsJson, stepProblems, stepsToJson, traitNameProblem, type BiosRegistryEntry } from "./steps.ts";

const RAID: AvailableStep = {
  interface: "raid", step: "create_configuration", priority: 0, abortable: false,
  argsinfo: {
    create_root_volume: { description: "root", required: false, type: "boolean" },
    mode: { description: "m", required: true, type: "string", allowed_values: ["fast", "slow"] },
    settings: {
      description: "s", required: false, type: "array",
      items: { type: "object", properties: { name: { type: "string", required: true }, value: { type: "integer" } } },
    },
  },
};

describe("stepProblems", () => {
  const clean = { kind: "clean" as const, mode: "manual" as const, catalogKnown: true };
  it("accepts a valid step", () => {
    const p = stepProblems({ interface: "raid", step: "create_configuration", args: { mode: "fast" }, priority: 0 }, RAID, clean);
    expect(p).toEqual({ general: [], args: {} });
  });
  it("reports missing, wrong type, not allowed, unexpected and nested problems per argument", () => {
    const p = stepProblems(
      { interface: "raid", step: "create_configuration", args: { create_root_volume: "yes", bogus: 1, settings: [{ value: "x" }] }, priority: 0 },
      RAID, clean,
    );
    expect(p.args.mode).toEqual(["mode is required"]);
    // The API's own wording (lib/shared/steps.ts argValueErrors).
    expect(p.args.create_root_volume).toEqual(["argument create_root_volume: 'yes' is not of type 'boolean'"]);
    expect(p.args.bogus).toEqual(["unexpected argument bogus"]);
    expect(p.args.settings).toEqual(["argument settings[0]: 'name' is a required property", "argument settings[0].value: 'x' is not of type 'integer'"]);
    expect(stepProblems({ interface: "raid", step: "create_configuration", args: { mode: "medium" }, priority: 0 }, RAID, clean).args.mode)
      .toEqual(["argument mode: 'medium' is not one of ['fast', 'slow']"]);
  });
  it("skips required/type checks of a priority-0 deploy step, as the server does", () => {
    const p = stepProblems({ interface: "raid", step: "create_configuration", args: {}, priority: 0 }, RAID, { kind: "deploy", mode: "template", catalogKnown: true });
    expect(p).toEqual({ general: [], args: {} });
    const q = stepProblems({ interface: "raid", step: "create_configuration", args: {}, priority: 10 }, RAID, { kind: "deploy", mode: "template", catalogKnown: true });
    expect(q.args.mode).toEqual(["mode is required"]);
  });
  it("knows reserved steps, unknown steps and interface rules", () => {
    expect(stepProblems({ interface: "power", step: "wait", args: { seconds: 5 }, priority: 0 }, undefined, clean)).toEqual({ general: [], args: {} });
    expect(stepProblems({ interface: "power", step: "wait", args: { seconds: -1 }, priority: 0 }, undefined, clean).args.seconds).toHaveLength(1);
    expect(stepProblems({ interface: "raid", step: "nope", args: {}, priority: 0 }, undefined, clean).general[0]).toMatch(/not an available clean step/);
    expect(stepProblems({ interface: "raid", step: "nope", args: {}, priority: 0 }, undefined, { ...clean, catalogKnown: false }).general).toEqual([]);
    expect(stepProblems({ interface: "vendor", step: "x", args: {}, priority: 1 }, undefined, { kind: "deploy", mode: "template", catalogKnown: false }).general[0]).toMatch(/not allowed/);
    expect(stepProblems({ interface: "deploy", step: "deploy", args: {}, priority: 1 }, { ...RAID, interface: "deploy", step: "deploy", argsinfo: null }, { kind: "deploy", mode: "template", catalogKnown: true }).general[0]).toMatch(/core deploy step/);
  });
});

describe("BIOS settings typed from the node's registry", () => {
  const APPLY: AvailableStep = {
    interface: "bios", step: "apply_configuration", priority: 0, abortable: false,
    argsinfo: {
      settings: {
        description: "s", required: true, type: "array",
        items: { type: "object", properties: { name: { type: "string", required: true }, value: { required: true } } },
      },
    },
  };
  const registry: BiosRegistryEntry[] = [
    { name: "ProcVirtualization", attribute_type: "Enumeration", allowable_values: ["Enabled", "Disabled"], read_only: false },
    { name: "SetupPromptTimeout", attribute_type: "Integer", allowable_values: null, read_only: false },
    { name: "AssetTag", attribute_type: "String", allowable_values: null, read_only: false },
    { name: "ServiceTag", attribute_type: "String", allowable_values: null, read_only: true },
  ];
  const clean = { kind: "clean" as const, mode: "manual" as const, catalogKnown: true, bios: registry };
  const check = (settings: unknown[]) => stepProblems({ interface: "bios", step: "apply_configuration", args: { settings }, priority: 0 }, APPLY, clean).args.settings ?? [];

  it("offers the writable names and types each value by its setting", () => {
    const props = biosSettingProperties(APPLY.argsinfo!.settings.items!.properties!, registry, "ProcVirtualization");
    expect(props.name.allowed_values).toEqual(["ProcVirtualization", "SetupPromptTimeout", "AssetTag"]);
    expect(props.value).toMatchObject({ type: "string", allowed_values: ["Enabled", "Disabled"], required: true });
    expect(biosSettingProperties(APPLY.argsinfo!.settings.items!.properties!, registry, "SetupPromptTimeout").value.type).toBe("integer");
    // No registry (a template): the declared schema stands.
    expect(biosSettingProperties(APPLY.argsinfo!.settings.items!.properties!, null, "x")).toBe(APPLY.argsinfo!.settings.items!.properties);
  });
  it("checks rows with the server's argument check and wording", () => {
    expect(check([{ name: "ProcVirtualization", value: "Disabled" }, { name: "AssetTag", value: "rack 7" }])).toEqual([]);
    expect(check([{ name: "ProcVirtualization", value: "Off" }])).toEqual(["argument settings[0].value: 'Off' is not one of ['Enabled', 'Disabled']"]);
    expect(check([{ name: "ServiceTag", value: "x" }])[0]).toMatch(/^argument settings\[0\]\.name: 'ServiceTag' is not one of/);
    expect(check([{ name: "SetupPromptTimeout", value: "soon" }])).toEqual(["argument settings[0].value: 'soon' is not of type 'integer'"]);
    expect(check([{ name: "AssetTag" }])).toEqual(["argument settings[0]: 'value' is a required property"]);
    // Without the registry any value passes the declared schema (the server checks it against the node).
    expect(stepProblems({ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "X", value: "Disabled" }] }, priority: 0 }, APPLY, { ...clean, bios: null }).args).toEqual({});
  });
});

describe("operationProgress: what the node runs now, from the node", () => {
  const steps = [{ interface: "deploy", step: "deploy" }, { interface: "deploy", step: "write_image" }, { interface: "deploy", step: "boot_instance" }];
  it("a deployment: steps before the index done, the one at it running, the rest pending", () => {
    const p = operationProgress({
      provision_state: "deploying", deploy_step: { interface: "deploy", step: "write_image" },
      driver_internal_info: { deploy_steps: steps, deploy_step_index: 1 },
    });
    expect(p).toEqual({
      kind: "deploy", current: "deploy.write_image", waiting: null,
      steps: [{ name: "deploy.deploy", state: "done" }, { name: "deploy.write_image", state: "running" }, { name: "deploy.boot_instance", state: "pending" }],
    });
  });
  it("labels the waits: the agent calling back, and booting before the first step", () => {
    expect(operationProgress({ provision_state: "clean wait", driver_internal_info: { clean_steps: steps, clean_step_index: 0 } })!.waiting).toBe("waiting for the agent to call back");
    expect(operationProgress({ provision_state: "clean wait", driver_internal_info: { clean_steps: steps } })!.waiting).toBe("waiting for the agent to boot and call back");
    // The agent called back and runs the step's command (erase_devices, write_image).
    expect(operationProgress({ provision_state: "clean wait", driver_internal_info: { clean_steps: steps, clean_step_index: 0, agent_url: "https://10.0.0.5:9999" } })!.waiting)
      .toBe("the agent runs the step; waiting for it to report back");
    expect(operationProgress({ provision_state: "cleaning", driver_internal_info: { clean_steps: steps } })!.waiting).toBe("starting: booting the agent if a step needs it");
    // A stored step that needs the ramdisk: the conductor boots the agent before it (unless told not to).
    const ramdisk = [{ ...steps[0], requires_ramdisk: true }];
    expect(operationProgress({ provision_state: "cleaning", driver_internal_info: { clean_steps: ramdisk } })!.waiting).toBe("booting the agent before the first step");
    expect(operationProgress({ provision_state: "cleaning", driver_internal_info: { clean_steps: ramdisk, cleaning_disable_ramdisk: true } })!.waiting).toBe("starting: booting the agent if a step needs it");
    expect(operationProgress({ provision_state: "cleaning", driver_internal_info: { clean_steps: ramdisk, clean_step_index: 0 } })!.waiting).toBeNull();
  });
  it("nothing runs in a stable state; hidden steps read as unknown", () => {
    expect(operationProgress({ provision_state: "active", driver_internal_info: {} })).toBeNull();
    expect(operationProgress({ provision_state: "servicing", driver_internal_info: { content: "** Redacted **" } })!.steps).toBeNull();
  });
});

describe("lists", () => {
  it("refuses empty lists and template duplicates", () => {
    expect(listProblems([], "manual")).toEqual(["Add at least one step."]);
    expect(listProblems([{ interface: "raid", step: "a" }, { interface: "raid", step: "a" }], "template")[0]).toMatch(/raid\.a/);
    expect(listProblems([{ interface: "raid", step: "a" }, { interface: "raid", step: "a" }], "runbook")).toEqual([]);
  });
  it("round-trips the JSON view and orders runbooks by order", () => {
    const parsed = parseStepsJson(JSON.stringify([{ interface: "raid", step: "b", order: 5 }, { interface: "bios", step: "a", args: { x: 1 }, order: 1 }]), "runbook");
    if ("error" in parsed) throw new Error(parsed.error);
    expect(stepsToJson(parsed.steps, "runbook")).toEqual([
      { interface: "bios", step: "a", args: { x: 1 }, order: 0 },
      { interface: "raid", step: "b", args: {}, order: 1 },
    ]);
    expect(parseStepsJson("{", "template")).toHaveProperty("error");
    expect(parseStepsJson('[{"interface":"raid","step":"a","args":{}}]', "template")).toEqual({ error: 'Step 1: "priority" must be a whole number ≥ 0.' });
    expect(parseStepsJson('[{"interface":"raid","step":"a","prio":1}]', "manual")).toEqual({ error: "Step 1: unexpected key prio." });
  });
  it("moves items", () => {
    expect(moveItem([1, 2, 3], 0, 2)).toEqual([2, 3, 1]);
    expect(moveItem([1, 2, 3], 2, 0)).toEqual([3, 1, 2]);
    expect(moveItem([1, 2, 3], 0, 3)).toEqual([1, 2, 3]);
  });
});

describe("names and diffs", () => {
  it("validates trait names like the server", () => {
    expect(traitNameProblem("CUSTOM_RAID1")).toBeNull();
    expect(traitNameProblem("HW_CPU_X86_AVX2")).toBeNull();
    expect(traitNameProblem("")).toMatch(/required/);
    expect(traitNameProblem("raid1")).toMatch(/CUSTOM_/);
    expect(traitNameProblem("CUSTOM_raid")).toMatch(/upper-case/);
    expect(traitNameProblem("CUSTOM_")).toMatch(/upper-case/);
  });
  it("diffs lines", () => {
    expect(diffLines("a\nb\nc", "a\nx\nc")).toEqual([
      { kind: "same", text: "a" }, { kind: "del", text: "b" }, { kind: "add", text: "x" }, { kind: "same", text: "c" },
    ]);
  });
});

describe("attributeServerErrors", async () => {
  const { attributeServerErrors } = await import("./steps.ts");
  it("puts each part of a 400 at the step it names", () => {
    const steps = [{ key: "a", interface: "raid", step: "create_configuration" }, { key: "b", interface: "deploy", step: "erase_devices" }];
    const msg = "Cannot clean node 1234: clean step {'interface': 'raid', 'step': 'create_configuration', 'args': {}} is missing these required arguments: mode; node does not support this clean step: {'interface': 'deploy', 'step': 'erase_devices'}; something else";
    const r = attributeServerErrors(msg, steps);
    expect(r.byStep.a).toEqual(["clean step {'interface': 'raid', 'step': 'create_configuration', 'args': {}} is missing these required arguments: mode"]);
    expect(r.byStep.b).toHaveLength(1);
    expect(r.general).toEqual(["Cannot clean node 1234", "something else"]);
    expect(attributeServerErrors("Deploy template invalid: Duplicate deploy steps. Duplicates: interface: raid, step: create_configuration.", steps).byStep.a).toHaveLength(1);
  });
});

describe("runDisabledReason", async () => {
  const { runDisabledReason } = await import("./steps.ts");
  it("says why a run cannot start", () => {
    const n = (provision_state: string, extra: object = {}) => ({ provision_state, target_provision_state: null, maintenance: false, ...extra });
    expect(runDisabledReason(n("manageable"), "clean")).toBeNull();
    expect(runDisabledReason(n("active"), "service")).toBeNull();
    expect(runDisabledReason(n("enroll"), "clean")).toBe("Manual cleaning needs the node in manageable (it is enroll).");
    expect(runDisabledReason(n("manageable"), "service")).toBe("Servicing needs the node in active (it is manageable).");
    expect(runDisabledReason(n("clean wait"), "clean")).toBe("The node is clean wait now.");
    expect(runDisabledReason(n("manageable", { target_provision_state: "available" }), "clean")).toBe("The node is moving to available.");
    expect(runDisabledReason(n("manageable", { maintenance: true }), "clean")).toMatch(/maintenance/);
    expect(runDisabledReason(n("active", { maintenance: true }), "service")).toBeNull();
  });
});
