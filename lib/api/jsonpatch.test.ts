import { describe, expect, it } from "vitest";
import { applyPatch, PatchError, patchValues, pyRepr, rootOf, validatePatch, type ApplyOptions, type PatchOperation, type PatchView } from "./jsonpatch.ts";

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

describe("what failed patches quote", () => {
  const stored = {
    driver_info: { ipmi_password: "pw-1", ipmi_address: "10.0.0.1", creds: [{ token: "tok-2", user: "u" }] },
    instance_info: { configdrive: "cd-3", image_source: "img" },
    extra: {},
  };
  const ops = (...list: PatchOperation[]) => list;
  const message = (list: PatchOperation[], opts: ApplyOptions = {}): string => {
    try {
      applyPatch(stored, list, opts);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error("the patch applied");
  };
  const secrets = ["pw-1", "tok-2", "cd-3"];

  it("masks secrets in the quoted container, wherever the walk stops", () => {
    expect(message(ops({ op: "add", path: "/driver_info/nothere/x", value: 1 }))).toBe(
      "Couldn't apply patch '{'op': 'add', 'path': '/driver_info/nothere/x', 'value': 1}'. Reason: member 'nothere' not found in " +
        "{'ipmi_password': '******', 'ipmi_address': '10.0.0.1', 'creds': [{'token': '******', 'user': 'u'}]}",
    );
    expect(message(ops({ op: "remove", path: "/driver_info/ipmi_password/x/y" }))).toMatch(/member 'x' not found in '\*{6}'$/);
    expect(message(ops({ op: "replace", path: "/driver_info/creds/0/nothere/x", value: 1 }))).toMatch(/not found in \{'token': '\*{6}', 'user': 'u'\}$/);
    expect(message(ops({ op: "add", path: "/nothere/x", value: 1 }))).toContain("'ipmi_password': '******'");
  });
  it("masks the keys the view adds and hides what the caller may not read", () => {
    const view: PatchView = { hidden: { driver_info: { content: "redacted" } }, alsoMasked: { instance_info: new Set(["configdrive"]) } };
    expect(message(ops({ op: "add", path: "/instance_info/configdrive/x", value: 1 }), { view })).toMatch(/member 'x' not found in '\*{6}'$/);
    expect(message(ops({ op: "add", path: "/driver_info/nothere/x", value: 1 }), { view })).toMatch(/member 'nothere' not found in \{'content': 'redacted'\}$/);
    expect(message(ops({ op: "add", path: "/driver_info/creds/0/nothere", value: 1 }, { op: "add", path: "/x/y", value: 1 }), { view })).not.toContain("ipmi");
    expect(message(ops({ op: "add", path: "/nothere/x", value: 1 }), { view })).toContain("'driver_info': {'content': 'redacted'}");
  });
  it("follows earlier operations: a copied or moved secret stays masked", () => {
    const copy = message(ops({ op: "copy", from: "/driver_info/ipmi_password", path: "/extra/p" }, { op: "add", path: "/extra/p/x", value: 1 }));
    expect(copy).toMatch(/member 'x' not found in '\*{6}'$/);
    const move = message(ops({ op: "move", from: "/driver_info/creds", path: "/extra/c" }, { op: "add", path: "/extra/nothere/x", value: 1 }));
    expect(move).toMatch(/not found in \{'c': \[\{'token': '\*{6}', 'user': 'u'\}\]\}$/);
    const added = message(ops({ op: "add", path: "/extra/a", value: { b: 1 } }, { op: "remove", path: "/extra/a/c" }));
    expect(added).toMatch(/can't remove a non-existent object 'c'$/);
    expect(message(ops({ op: "add", path: "/extra/a", value: 2 }, { op: "add", path: "/extra/nothere/x", value: 1 }))).toMatch(/not found in \{'a': 2\}$/);
    expect(message(ops({ op: "remove", path: "/driver_info/ipmi_password" }, { op: "add", path: "/driver_info/nothere/x", value: 1 }))).not.toContain("ipmi_password");
  });
  it("masks the compared value of a failed test and a new secret in the operation", () => {
    expect(message(ops({ op: "test", path: "/driver_info/ipmi_password", value: "guess" }))).toMatch(/Reason: '\*{6}' is not equal to tested value '\*{6}'$/);
    expect(message(ops({ op: "test", path: "/driver_info/creds", value: [] }))).toMatch(/\[\{'token': '\*{6}', 'user': 'u'\}\] is not equal to tested value \[\]$/);
    expect(message(ops({ op: "add", path: "/driver_info/nothere/bmc_password", value: "new-4" }))).toContain("'value': '******'");
  });
  it("never quotes a stored secret, on any error path", () => {
    const paths = ["/driver_info/nothere/x", "/driver_info/ipmi_password/x", "/driver_info/creds/9", "/driver_info/creds/x/y", "/driver_info/creds/0/token/x", "/instance_info/nothere/x"];
    for (const path of paths) {
      for (const op of ["add", "replace", "remove", "test"] as const) {
        const text = message([{ op, path, value: 1 }], { view: { alsoMasked: { instance_info: new Set(["configdrive"]) } } });
        expect(secrets.filter((x) => text.includes(x))).toEqual([]);
      }
    }
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
