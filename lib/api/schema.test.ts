import { describe, expect, it } from "vitest";
import { check, validate, type Schema } from "./schema.ts";

const node: Schema = {
  type: "object",
  required: ["driver"],
  additionalProperties: false,
  properties: {
    driver: { type: "string", maxLength: 10 },
    name: { type: "string", nullable: true },
    count: { type: "integer", minimum: 1 },
    tags: { type: "array", items: { type: "string" }, maxItems: 2 },
    flag: { type: "boolean" },
  },
};

describe("schema checks", () => {
  it("accepts a fitting body", () => {
    expect(check(node, { driver: "fake", name: null, count: 2, tags: ["a"], flag: true })).toBeNull();
  });
  it.each([
    [{}, /'driver' is a required property/],
    [{ driver: 1 }, /body.driver: 1 is not of type 'string'/],
    [{ driver: "x", bogus: 1 }, /Additional properties are not allowed \('bogus' was unexpected\)/],
    [{ driver: "x".repeat(11) }, /too long/],
    [{ driver: "x", count: 1.5 }, /not of type 'integer'/],
    [{ driver: "x", count: 0 }, /less than the minimum/],
    [{ driver: "x", tags: ["a", 2] }, /body.tags\[1\]/],
    [{ driver: "x", tags: ["a", "b", "c"] }, /too many items/],
    [{ driver: "x", flag: "yes" }, /not of type 'boolean'/],
    [[], /is not of type 'object'/],
    [null, /is not of type 'object'/],
  ])("rejects %j", (value, message) => {
    expect(check(node, value)).toMatch(message);
  });
  it("throws a 400 naming the field", () => {
    try {
      validate(node, { driver: 5 });
      expect.unreachable();
    } catch (err) {
      expect((err as { status: number }).status).toBe(400);
      expect((err as Error).message).toContain("body.driver");
    }
  });
});
