import { describe, expect, it } from "vitest";
import { applyPatch, PatchError, patchValues, pyRepr, rootOf, validatePatch } from "./jsonpatch.ts";

describe("validatePatch", () => {
  it("accepts add/replace/remove", () => {
    const ops = validatePatch([{ op: "add", path: "/extra/a", value: 1 }, { op: "remove", path: "/name" }]);
    expect(ops).toHaveLength(2);
  });
  it("rejects non-lists, unknown ops, bad paths, missing and extra keys with Ironic's wording", () => {
    expect(() => validatePatch({ op: "add" })).toThrow("Schema error for patch: {'op': 'add'} is not of type 'array'");
    expect(() => validatePatch([{ op: "test", path: "/a", value: 1 }])).toThrow(
      "Schema error for patch: 'test' is not one of ['add', 'replace', 'remove']",
    );
    expect(() => validatePatch([{ op: "add", path: "extra", value: 1 }])).toThrow("Schema error for patch: 'extra' does not match '^(/[\\\\w-]+)+$'");
    expect(() => validatePatch([{ path: "/a" }])).toThrow("'op' is a required property");
    expect(() => validatePatch([{ op: "add" }])).toThrow("'path' is a required property");
    expect(() => validatePatch([{ op: "add", path: "/a", value: 1, x: 2 }])).toThrow("Additional properties are not allowed ('x' was unexpected)");
    expect(() => validatePatch([5])).toThrow("5 is not of type 'object'");
    expect(() => validatePatch([{ op: "add", path: "/a~1b", value: 1 }])).toThrow("does not match");
    expect(validatePatch([{ op: "add", path: "/a~1b", value: 1 }], { escapes: true })).toHaveLength(1);
  });
  it("optionally allows test/move/copy", () => {
    expect(validatePatch([{ op: "move", from: "/a", path: "/b" }], { ops: ["add", "move"] })).toHaveLength(1);
  });
});

describe("applyPatch", () => {
  const doc = { name: "n", extra: { a: 1, list: [1, 2] }, driver: "fake-hardware" };
  it("adds, replaces and removes without touching the input", () => {
    const out = applyPatch(doc, [
      { op: "add", path: "/extra/b", value: { c: true } },
      { op: "replace", path: "/name", value: "m" },
      { op: "remove", path: "/extra/a" },
      { op: "add", path: "/extra/list/-", value: 3 },
      { op: "add", path: "/extra/list/0", value: 0 },
    ]);
    expect(out).toEqual({ name: "m", extra: { b: { c: true }, list: [0, 1, 2, 3] }, driver: "fake-hardware" });
    expect(doc.extra).toEqual({ a: 1, list: [1, 2] });
  });
  it("errors like python-jsonpatch", () => {
    expect(() => applyPatch(doc, [{ op: "remove", path: "/extra/nothere" }])).toThrow(
      "Couldn't apply patch '{'op': 'remove', 'path': '/extra/nothere'}'. Reason: can't remove a non-existent object 'nothere'",
    );
    expect(() => applyPatch(doc, [{ op: "replace", path: "/extra/x", value: 1 }])).toThrow("can't replace a non-existent object 'x'");
    expect(() => applyPatch(doc, [{ op: "replace", path: "/extra/z/b", value: 1 }])).toThrow("member 'z' not found in {'a': 1, 'list': [1, 2]}");
    expect(() => applyPatch(doc, [{ op: "add", path: "/extra/b" }])).toThrow("The operation does not contain a 'value' member");
    expect(() => applyPatch(doc, [{ op: "add", path: "/extra/list/9", value: 1 }])).toThrow(PatchError);
  });
  it("refuses new root attributes when asked", () => {
    expect(() => applyPatch(doc, [{ op: "add", path: "/foo", value: 1 }], { noNewRootKeys: true })).toThrow(
      "Adding a new attribute (/foo) to the root of the resource is not allowed.",
    );
    expect(applyPatch(doc, [{ op: "add", path: "/name", value: "x" }], { noNewRootKeys: true }).name).toBe("x");
  });
  it("supports test, move, copy and escaped keys", () => {
    expect(applyPatch(doc, [{ op: "test", path: "/extra/a", value: 1 }])).toEqual(doc);
    expect(() => applyPatch(doc, [{ op: "test", path: "/extra/a", value: 2 }])).toThrow("is not equal to tested value");
    expect(applyPatch(doc, [{ op: "move", from: "/extra/a", path: "/extra/z" }]).extra).toEqual({ list: [1, 2], z: 1 });
    expect(applyPatch(doc, [{ op: "copy", from: "/name", path: "/extra/n" }]).extra).toMatchObject({ n: "n" });
    expect(applyPatch({ extra: {} }, [{ op: "add", path: "/extra/a~1b~0c", value: 1 }], { escapes: true })).toEqual({ extra: { "a/b~c": 1 } });
  });
});

describe("helpers", () => {
  it("pyRepr, rootOf, patchValues", () => {
    expect(pyRepr({ a: [true, null, "it's"], b: 1.5 })).toBe(`{'a': [True, None, "it's"], 'b': 1.5}`);
    expect(rootOf("/extra/foo/bar")).toBe("extra");
    expect(rootOf("/name")).toBe("name");
    expect(patchValues([{ op: "replace", path: "/driver", value: "x" }, { op: "remove", path: "/driver" }], "/driver")).toEqual(["x"]);
  });
});
