// The one argument check, used by the API (its error text) and the dashboard's step forms.
import { describe, expect, it } from "vitest";
import { argValueErrors, isReservedStep, isStepInterface, STEP_INTERFACES, toPriority, type ArgSchema } from "./steps.ts";

describe("argValueErrors", () => {
  const obj: ArgSchema = { type: "object", properties: { name: { type: "string", required: true }, value: {} } };

  it("says what is wrong in the API's words", () => {
    expect(argValueErrors({ type: "integer" }, 2.5, "count")).toEqual(["argument count: 2.5 is not of type 'integer'"]);
    expect(argValueErrors({ type: "boolean" }, "false", "flag")).toEqual(["argument flag: 'false' is not of type 'boolean'"]);
    expect(argValueErrors({ allowed_values: ["a", "b"] }, "c", "mode")).toEqual(["argument mode: 'c' is not one of ['a', 'b']"]);
    expect(argValueErrors({ type: "array", items: obj }, [{ value: 1 }, { name: 5, extra: true }], "settings")).toEqual([
      "argument settings[0]: 'name' is a required property",
      "argument settings[1].name: 5 is not of type 'string'",
      "argument settings[1]: Additional properties are not allowed ('extra' was unexpected)",
    ]);
  });

  it.each<[ArgSchema, unknown, boolean]>([
    [{ type: "string" }, "x", true], [{ type: "string" }, 1, false], [{ type: "integer" }, 2, true], [{ type: "integer" }, "2", false],
    [{ type: "number" }, 2.5, true], [{ type: "number" }, Number.NaN, false], [{ type: "boolean" }, false, true],
    [{ type: "array" }, [], true], [{ type: "array" }, {}, false], [{ type: "object" }, {}, true], [{ type: "object" }, [], false],
    [{ type: "object" }, null, false], [{ type: "integer", allowed_values: [1, 2] }, 2, true], [obj, { name: "n" }, true], [obj, {}, false],
  ])("%j with %j: valid %s", (schema, value, valid) => {
    expect(argValueErrors(schema, value, "arg").length === 0).toBe(valid);
  });
});

describe("step vocabulary", () => {
  it("lists the step interfaces in the API's order and knows the reserved steps", () => {
    expect(STEP_INTERFACES).toEqual(["vendor", "power", "management", "firmware", "deploy", "bios", "raid"]);
    expect(isStepInterface("bios")).toBe(true);
    expect(isStepInterface("boot")).toBe(false);
    expect(isStepInterface("constructor")).toBe(false);
    expect(isReservedStep("wait")).toBe(true);
    expect(isReservedStep("erase_devices")).toBe(false);
  });

  it("reads priorities as non-negative integers, digits allowed", () => {
    expect([toPriority(3), toPriority("12"), toPriority(-1), toPriority(1.5), toPriority("x"), toPriority(null)]).toEqual([3, 12, null, null, null, null]);
  });
});
