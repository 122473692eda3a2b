import { describe, expect, it } from "vitest";
import { dictPatch, dictToRows, fieldPatch, MASK, pointer, rowErrors, textToValue } from "./patch.ts";

describe("node edit patches", () => {
  it("escapes JSON pointers", () => {
    expect(pointer("extra", "a/b~c")).toBe("/extra/a~1b~0c");
  });

  it("reads typed text as JSON when it is JSON, else as text", () => {
    expect(textToValue("8")).toBe(8);
    expect(textToValue("true")).toBe(true);
    expect(textToValue('{"a":1}')).toEqual({ a: 1 });
    expect(textToValue('"8"')).toBe("8");
    expect(textToValue("x86_64")).toBe("x86_64");
    expect(textToValue("1.2.3.4")).toBe("1.2.3.4");
  });

  it("adds, changes and removes keys; unchanged keys send nothing", () => {
    const original = { cpus: 8, cpu_arch: "x86_64", local_gb: 100 };
    const rows = dictToRows(original).filter((r) => r.key !== "local_gb");
    rows.find((r) => r.key === "cpus")!.text = "16";
    rows.push({ key: "memory_mb", text: "4096" });
    expect(dictPatch("properties", original, rows)).toEqual([
      { op: "add", path: "/properties/cpus", value: 16 },
      { op: "add", path: "/properties/memory_mb", value: 4096 },
      { op: "remove", path: "/properties/local_gb" },
    ]);
  });

  it("never sends the secret mask back", () => {
    const original = { ipmi_address: "10.0.0.1", ipmi_password: MASK };
    const rows = dictToRows(original);
    expect(rows.find((r) => r.key === "ipmi_password")).toEqual({ key: "ipmi_password", text: "", secret: true });
    expect(dictPatch("driver_info", original, rows)).toEqual([]);
    rows.find((r) => r.key === "ipmi_password")!.text = MASK;
    expect(dictPatch("driver_info", original, rows)).toEqual([]);
    rows.find((r) => r.key === "ipmi_password")!.text = "n3w";
    expect(dictPatch("driver_info", original, rows)).toEqual([{ op: "add", path: "/driver_info/ipmi_password", value: "n3w" }]);
    // Removing the secret is an explicit remove, not a write of the mask.
    expect(dictPatch("driver_info", original, rows.filter((r) => r.key !== "ipmi_password"))).toEqual([{ op: "remove", path: "/driver_info/ipmi_password" }]);
  });

  it("flags empty and repeated keys", () => {
    expect(rowErrors([{ key: "a", text: "" }, { key: " ", text: "" }, { key: "a", text: "" }])).toEqual({ 1: "needs a key", 2: 'key "a" is given twice' });
  });

  it("top-level fields replace or remove", () => {
    expect(fieldPatch("name", "a", "b")).toEqual([{ op: "replace", path: "/name", value: "b" }]);
    expect(fieldPatch("name", "a", "")).toEqual([{ op: "remove", path: "/name" }]);
    expect(fieldPatch("name", null, "")).toEqual([]);
  });
});
