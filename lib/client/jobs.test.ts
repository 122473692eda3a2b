// The bulk-action dialog's own checks: clean steps typed as JSON and traits typed as text.
import { describe, expect, it } from "vitest";
import { ACTIONS, parseCleanSteps, parseTraits, selectionCount } from "./jobs.ts";

describe("parseCleanSteps", () => {
  it("accepts a list of {interface, step, args?}", () => {
    expect(parseCleanSteps('[{"interface":"deploy","step":"erase_devices_metadata"},{"interface":"bios","step":"apply_configuration","args":{"settings":[]}}]'))
      .toEqual({ steps: [{ interface: "deploy", step: "erase_devices_metadata" }, { interface: "bios", step: "apply_configuration", args: { settings: [] } }] });
  });
  it.each([
    ["[", /Not valid JSON/],
    ["{}", /non-empty list/],
    ["[]", /non-empty list/],
    ["[1]", /Step 1 is not an object/],
    ['[{"step":"x"}]', /Step 1 needs an "interface"/],
    ['[{"interface":"deploy","step":"a"},{"interface":"deploy"}]', /Step 2 needs a "step"/],
    ['[{"interface":"deploy","step":"a","args":[]}]', /"args" must be an object/],
    ['[{"interface":"deploy","step":"a","priority":3}]', /unexpected keys: priority/],
  ])("refuses %s", (text, message) => {
    const r = parseCleanSteps(text);
    expect("error" in r && r.error).toMatch(message);
  });
});

describe("parseTraits", () => {
  it("splits on spaces and commas and drops duplicates", () => {
    expect(parseTraits(" CUSTOM_GPU, CUSTOM_RAID1 CUSTOM_GPU HW_CPU_X86_AVX2")).toEqual({ traits: ["CUSTOM_GPU", "CUSTOM_RAID1", "HW_CPU_X86_AVX2"] });
  });
  it("names the bad trait", () => {
    expect(parseTraits("CUSTOM_OK custom_bad")).toEqual({ error: expect.stringContaining('"custom_bad"') });
    expect(parseTraits("  ")).toEqual({ error: "Give at least one trait." });
  });
  it("takes only what the API takes: CUSTOM_ or a standard namespace", () => {
    expect(parseTraits("GPU")).toEqual({ error: expect.stringContaining('"GPU"') });
    expect(parseTraits(`CUSTOM_${"X".repeat(249)}`)).toEqual({ error: expect.stringContaining("is not a trait") });
  });
});

it("every action is offered once, and selections count their nodes", () => {
  expect(new Set(ACTIONS.map((a) => a.action)).size).toBe(16);
  expect(selectionCount({ kind: "nodes", uuids: ["a", "b"] })).toBe(2);
  expect(selectionCount({ kind: "filter", query: "q=x", except: ["a"], count: 41 })).toBe(41);
});
