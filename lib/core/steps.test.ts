import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { setConfig } from "./config.ts";
import { insertNode, type NodeRecord } from "./db/nodes.ts";
import { argValueErrors } from "../shared/steps.ts";
import { assembleDeploySteps, automatedCleanSteps, driverSteps, sortSteps, validateUserSteps } from "./steps.ts";

let db: TestDb;
let node: NodeRecord;

beforeAll(async () => {
  db = await createTestDb();
  node = await insertNode(db.sql, { driver: "fake-hardware", provisionState: "available" }, ["CUSTOM_BIOS"]);
});
afterAll(async () => db.cleanup());

describe("driver steps", () => {
  it("declares fake-hardware's clean/deploy/service steps", () => {
    const clean = driverSteps(node, "clean").map((s) => `${s.interface}.${s.step}:${s.priority}`);
    expect(clean.sort()).toEqual([
      "bios.apply_configuration:0", "bios.cache_bios_settings:0", "bios.factory_reset:0", "firmware.update:0",
      "raid.create_configuration:0", "raid.delete_configuration:0", "vendor.log_passthrough:1", "vendor.trigger_cleanwait:0",
      "vendor.trigger_cleanwait_abortable:0",
    ]);
    const deploy = driverSteps(node, "deploy").map((s) => `${s.interface}.${s.step}:${s.priority}`);
    expect(deploy.sort()).toEqual([
      "bios.apply_configuration:0", "bios.factory_reset:0", "deploy.deploy:100", "raid.create_configuration:0", "raid.delete_configuration:0",
    ]);
    expect(driverSteps(node, "service").map((s) => `${s.interface}.${s.step}`).sort()).toEqual([
      "bios.apply_configuration", "bios.factory_reset", "vendor.log_passthrough", "vendor.trigger_servicewait",
    ]);
  });

  it("automated cleaning runs only priority > 0 steps", () => {
    expect(automatedCleanSteps(node).map((s) => `${s.interface}.${s.step}`)).toEqual(["vendor.log_passthrough"]);
  });

  it("applies the operator's clean step priority overrides", () => {
    setConfig({ cleanStepPriorityOverride: { "raid.delete_configuration": 30, "bios.factory_reset": 20, "vendor.log_passthrough": 0 } });
    try {
      expect(automatedCleanSteps(node).map((s) => `${s.interface}.${s.step}:${s.priority}`)).toEqual([
        "raid.delete_configuration:30", "bios.factory_reset:20",
      ]);
    } finally {
      setConfig({ cleanStepPriorityOverride: {} });
    }
  });

  it("sorts by priority then interface priority", () => {
    const sorted = sortSteps([
      { interface: "raid", step: "a", priority: 10 },
      { interface: "bios", step: "b", priority: 10 },
      { interface: "vendor", step: "c", priority: 10 },
      { interface: "deploy", step: "d", priority: 50 },
      { interface: "power", step: "e", priority: 10 },
      { interface: "management", step: "f", priority: 10 },
    ]);
    expect(sorted.map((s) => s.interface)).toEqual(["deploy", "vendor", "power", "management", "bios", "raid"]);
  });
});

describe("user step validation", () => {
  it("accepts declared and reserved steps, with driver priorities for clean", () => {
    const steps = validateUserSteps(node, "clean", [
      { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "A", value: "1" }] } },
      { interface: "deploy", step: "hold" },
      { interface: "power", step: "wait", args: { seconds: 1 } },
    ]);
    expect(steps.map((s) => s.step)).toEqual(["apply_configuration", "hold", "wait"]);
    expect(steps[0].priority).toBe(0);
  });

  it("names an unknown step", () => {
    expect(() => validateUserSteps(node, "clean", [{ interface: "bios", step: "nope" }])).toThrow(
      `Cannot clean node ${node.uuid}: node does not support this clean step: {'interface': 'bios', 'step': 'nope'}`,
    );
    expect(() => validateUserSteps(node, "clean", [{ interface: "deploy", step: "deploy" }])).toThrow(/does not support this clean step/);
  });

  it("reports missing and unexpected arguments", () => {
    expect(() => validateUserSteps(node, "clean", [{ interface: "bios", step: "apply_configuration" }])).toThrow(
      /is missing these required arguments: settings/,
    );
    expect(() =>
      validateUserSteps(node, "clean", [{ interface: "bios", step: "apply_configuration", args: { settings: [], x: 1 } }]),
    ).toThrow(/has these unexpected arguments: x/);
  });

  it("requires a valid priority on deploy steps", () => {
    expect(() => validateUserSteps(node, "deploy", [{ interface: "deploy", step: "deploy", args: {} }])).toThrow(/invalid priority/);
    expect(validateUserSteps(node, "deploy", [{ interface: "bios", step: "factory_reset", args: {}, priority: "5" as unknown as number }])[0].priority).toBe(5);
  });
});

describe("deploy step assembly", () => {
  it("merges driver steps, matching templates and explicit steps", async () => {
    await db.sql.run(`INSERT INTO "DeployTemplate" ("uuid", "name", "steps", "createdAt") VALUES (?, ?, ?, ?)`, [
      "11111111-1111-1111-1111-111111111111", "CUSTOM_BIOS",
      JSON.stringify([{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "X", value: "y" }] }, priority: 150 }]),
      new Date(),
    ]);
    const plain = await assembleDeploySteps(db.sql, node);
    expect(plain.map((s) => `${s.interface}.${s.step}`)).toEqual(["deploy.deploy"]);

    const withTrait = { ...node, instanceInfo: { traits: ["CUSTOM_BIOS"] } };
    const steps = await assembleDeploySteps(db.sql, withTrait);
    expect(steps.map((s) => `${s.interface}.${s.step}:${s.priority}`)).toEqual(["bios.apply_configuration:150", "deploy.deploy:100"]);

    const explicit = await assembleDeploySteps(db.sql, withTrait, [
      { interface: "bios", step: "apply_configuration", args: { settings: [] }, priority: 0 },
      { interface: "raid", step: "create_configuration", args: {}, priority: 20 },
    ]);
    expect(explicit.map((s) => `${s.interface}.${s.step}:${s.priority}`)).toEqual(["deploy.deploy:100", "raid.create_configuration:20"]);
    // The core step can be disabled, not re-prioritised (Ironic's rule and wording).
    expect(await assembleDeploySteps(db.sql, withTrait, [{ interface: "deploy", step: "deploy", args: {}, priority: 0 }]))
      .toMatchObject([{ interface: "bios", step: "apply_configuration", priority: 150 }]);
    await expect(assembleDeploySteps(db.sql, node, [{ interface: "deploy", step: "deploy", args: {}, priority: 20 }])).rejects.toThrow(
      'Validation of deploy steps from "deploy steps" argument failed.deploy step deploy on interface deploy is a core step and cannot be overridden by user steps. It may be disabled by setting the priority to 0',
    );
  });

  it("refuses instance traits the node does not have", async () => {
    await expect(assembleDeploySteps(db.sql, { ...node, instanceInfo: { traits: ["CUSTOM_OTHER"] } })).rejects.toThrow(
      `Cannot specify instance traits that are not also set on the node. Node ${node.uuid} is missing traits CUSTOM_OTHER`,
    );
    await expect(assembleDeploySteps(db.sql, { ...node, instanceInfo: { traits: "CUSTOM_BIOS" } })).rejects.toThrow(
      `Error parsing traits from Node ${node.uuid} instance_info field. A list of strings is expected.`,
    );
  });
});

describe("step argument checks speak jsonschema", () => {
  it("allowed values, required and unexpected properties", () => {
    const schema = {
      description: "x", type: "object" as const,
      properties: { mode: { description: "m", allowed_values: ["a", "b"] }, name: { description: "n", required: true } },
    };
    expect(argValueErrors(schema, { mode: "c", extra: 1, more: 2 }, "opts")).toEqual([
      "argument opts.mode: 'c' is not one of ['a', 'b']",
      "argument opts: 'name' is a required property",
      "argument opts: Additional properties are not allowed ('extra', 'more' were unexpected)",
    ]);
  });
});
