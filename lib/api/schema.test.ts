// Expected texts below come from python-jsonschema 4.10.3 (what Ironic 21.4 runs on) with
// Ironic's wrappers (ironic/common/args.py, node.py _check_steps) applied to the same inputs.
import { describe, expect, it } from "vitest";
import { pyPformat, pyRepr } from "../shared/pyrepr.ts";
import { check, firstSchemaError, ironicSchemaMessage, jsonschemaText, schemaCheck, validate, type Schema } from "./schema.ts";

const node: Schema = {
  type: "object",
  required: ["driver"],
  additionalProperties: false,
  properties: {
    driver: { type: "string", maxLength: 10 },
    name: { type: ["string", "null"] },
    count: { type: "integer", minimum: 1 },
    tags: { type: "array", items: { type: "string" }, maxItems: 2 },
    flag: { type: "boolean" },
    kind: { type: "string", enum: ["a", "b"] },
  },
};

describe("schema checks", () => {
  it("accepts a fitting body", () => {
    expect(check(node, { driver: "fake", name: null, count: 2, tags: ["a"], flag: true, kind: "a" })).toBeNull();
  });
  it.each([
    [{}, "body: 'driver' is a required property"],
    [{ driver: 1 }, "body.driver: 1 is not of type 'string'"],
    [{ driver: "x", bogus: 1 }, "body: Additional properties are not allowed ('bogus' was unexpected)"],
    [{ driver: "x".repeat(11) }, "body.driver: 'xxxxxxxxxxx' is too long"],
    [{ driver: "it's".repeat(3) }, `body.driver: "it'sit'sit's" is too long`],
    [{ driver: "x", count: 1.5 }, "body.count: 1.5 is not of type 'integer'"],
    [{ driver: "x", count: 0 }, "body.count: 0 is less than the minimum of 1"],
    [{ driver: "x", tags: ["a", 2] }, "body.tags[1]: 2 is not of type 'string'"],
    [{ driver: "x", tags: ["a", "b", "c"] }, "body.tags: ['a', 'b', 'c'] is too long"],
    [{ driver: "x", flag: "yes" }, "body.flag: 'yes' is not of type 'boolean'"],
    [{ driver: "x", kind: "c" }, "body.kind: 'c' is not one of ['a', 'b']"],
    [{ driver: "x", name: 5 }, "body.name: 5 is not of type 'string', 'null'"],
    [[], "body: [] is not of type 'object'"],
    [null, "body: None is not of type 'object'"],
  ])("rejects %j with jsonschema's words", (value, message) => {
    expect(check(node, value)).toBe(message);
  });
  it("throws a 400 naming the field", () => {
    try {
      validate(node, { driver: 5 });
      expect.unreachable();
    } catch (err) {
      expect((err as { status: number }).status).toBe(400);
      expect((err as Error).message).toBe("Invalid input for field/attribute body.driver: 5 is not of type 'string'");
    }
  });
  it("a key on the prototype is not a property ('constructor' is still required)", () => {
    expect(check({ type: "object", required: ["constructor"] }, {})).toBe("body: 'constructor' is a required property");
  });
});

// Ironic's deploy template schema (TEMPLATE_SCHEMA with TRAITS_SCHEMA), key order as upstream.
const template: Schema = {
  type: "object",
  properties: {
    description: { type: ["string", "null"], maxLength: 255 },
    extra: { type: ["object", "null"] },
    name: { type: "string", minLength: 1, maxLength: 255, anyOf: [{ pattern: "^CUSTOM_[A-Z0-9_]+$" }, { enum: ["HW_CPU_X86_AVX"] }] },
    steps: { type: "array", items: { type: "object" }, minItems: 1 },
    uuid: { type: ["string", "null"] },
  },
  required: ["steps", "name"],
  additionalProperties: false,
};

describe("the error Ironic reports (jsonschema's best match)", () => {
  const ironic = (schema: Schema, value: unknown) => {
    try {
      schemaCheck("template", schema, value);
      return null;
    } catch (err) {
      return (err as Error).message;
    }
  };
  it("says [] is too short, as the client's functional test expects", () => {
    expect(ironic(template, { name: "CUSTOM_X", steps: [] })).toBe("Schema error for template: [] is too short");
  });
  it("prefers another error at the same depth over a failed anyOf", () => {
    expect(ironic(template, { name: "custom_x", steps: [] })).toBe("Schema error for template: [] is too short");
  });
  it("names the first missing property in the schema's order", () => {
    expect(ironic(template, {})).toBe("Schema error for template: 'steps' is a required property");
  });
  it("adds the possible root cause of a failed anyOf", () => {
    expect(ironic(template, { name: "custom_x", steps: [{}] })).toBe(
      "Schema error for template: 'custom_x' is not valid under any of the given schemas. Possible root cause: 'custom_x' does not match '^CUSTOM_[A-Z0-9_]+$'",
    );
    expect(ironic(template, { name: "", steps: [{}] })).toBe("Schema error for template: '' is too short");
  });
  it("a shallower error wins over a deeper one", () => {
    expect(ironic(template, { name: "CUSTOM_X", steps: [1], bogus: true })).toBe(
      "Schema error for template: Additional properties are not allowed ('bogus' was unexpected)",
    );
  });
  it("renders str(ValidationError) as jsonschema does (Ironic's Invalid clean_steps: ...)", () => {
    const steps: Schema = {
      $schema: "http://json-schema.org/schema#", title: "Steps schema", type: "array",
      items: {
        type: "object", required: ["interface", "step"],
        properties: {
          interface: { description: "driver interface", enum: ["vendor", "power", "management", "firmware", "deploy", "bios", "raid"] },
          step: { description: "name of clean step", type: "string", minLength: 1 },
        },
        additionalProperties: false,
      },
    };
    const e = firstSchemaError(steps, [{ interface: "foo", step: "x" }])!;
    expect(jsonschemaText(e)).toBe(
      "'foo' is not one of ['vendor', 'power', 'management', 'firmware', 'deploy', 'bios', 'raid']\n\nFailed validating 'enum' in schema['items']['properties']['interface']:\n    {'description': 'driver interface',\n     'enum': ['vendor',\n              'power',\n              'management',\n              'firmware',\n              'deploy',\n              'bios',\n              'raid']}\n\nOn instance[0]['interface']:\n    'foo'",
    );
    expect(ironicSchemaMessage("x", e)).toBe("Schema error for x: 'foo' is not one of ['vendor', 'power', 'management', 'firmware', 'deploy', 'bios', 'raid']");
  });
});

describe("Python repr and pprint", () => {
  it("quotes like Python", () => {
    expect(pyRepr(["it's", 'say "hi"', "a\nb", "\\", { k: [true, null, 1.5] }])).toBe(`["it's", 'say "hi"', 'a\\nb', '\\\\', {'k': [True, None, 1.5]}]`);
  });
  it("pformat sorts dict keys and breaks what does not fit", () => {
    expect(pyPformat({ b: 1, a: "x" }, 72)).toBe("{'a': 'x', 'b': 1}");
    expect(pyPformat({ description: "Boolean if the step should be executed on child nodes.", type: "boolean" }, 40)).toBe(
      "{'description': 'Boolean if the step '\n                'should be executed on '\n                'child nodes.',\n 'type': 'boolean'}",
    );
  });
});
