// limit is read the way Ironic's int() reads it.
import { describe, expect, it } from "vitest";
import { MAX_LIMIT, parseLimit } from "./collection.ts";

describe("parseLimit", () => {
  it("accepts what Python's int() accepts: surrounding whitespace, a sign, digit-group underscores", () => {
    expect(parseLimit("5")).toBe(5);
    expect(parseLimit(" 5")).toBe(5);
    expect(parseLimit("5 \t")).toBe(5);
    expect(parseLimit("+5")).toBe(5);
    expect(parseLimit("1_0")).toBe(10);
    expect(parseLimit("2000")).toBe(MAX_LIMIT);
    expect(parseLimit(null)).toBe(MAX_LIMIT);
  });
  it("refuses the rest in Ironic's words", () => {
    for (const raw of ["", "abc", " ", "1__0", "_1", "1.5", "5 5"]) expect(() => parseLimit(raw)).toThrow(`Expected an integer for limit: ${raw}`);
    expect(() => parseLimit("0")).toThrow("Limit must be positive");
    expect(() => parseLimit(" -3 ")).toThrow("Limit must be positive");
  });
});
