// Request schema errors answer with Ironic's words: jsonschema's message for the error jsonschema
// reports (its best match), wrapped as Ironic wraps it ("Schema error for <name>: ..."; PATCH
// validates the patched resource: "Schema error for patch: ..."). Every expected text was
// produced by python-jsonschema 4.10.3 (Ironic 21.4's) on Ironic 21.4.4's schemas.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { insertNode } from "../../core/db/nodes.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let env: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
});
afterAll(async () => env.cleanup());

const step = { interface: "bios", step: "apply_configuration", args: {}, priority: 10 };

describe("schema errors in Ironic's words", () => {
  it("deploy templates: [] is too short (the client's functional test looks for it)", async () => {
    const r = await api("POST", "/v1/deploy_templates", { body: { name: "CUSTOM_X", steps: [] } });
    expect([r.status, r.error]).toEqual([400, "Schema error for template: [] is too short"]);
    // A failed anyOf (the name) is weaker than another error at the same depth.
    expect((await api("POST", "/v1/deploy_templates", { body: { name: "custom_x", steps: [] } })).error).toBe("Schema error for template: [] is too short");
    expect((await api("POST", "/v1/deploy_templates", { body: {} })).error).toBe("Schema error for template: 'steps' is a required property");
    expect((await api("POST", "/v1/deploy_templates", { body: { name: "", steps: [step] } })).error).toBe("Schema error for template: '' is too short");
  });

  it("deploy template PATCH validates the patched template as 'patch'", async () => {
    const created = await api("POST", "/v1/deploy_templates", { body: { name: "CUSTOM_PATCHME", steps: [step] } });
    expect(created.status).toBe(201);
    const r = await api("PATCH", `/v1/deploy_templates/${created.body.uuid}`, { body: [{ op: "replace", path: "/name", value: "lower" }] });
    expect(r.error).toBe(
      "Schema error for patch: 'lower' is not valid under any of the given schemas. Possible root cause: 'lower' does not match '^CUSTOM_[A-Z0-9_]+$'",
    );
    const steps = await api("PATCH", `/v1/deploy_templates/${created.body.uuid}`, { body: [{ op: "replace", path: "/steps", value: [] }] });
    expect(steps.error).toBe("Schema error for patch: [] is too short");
  });

  it("chassis: types with null, PATCH as 'patch'", async () => {
    expect((await api("POST", "/v1/chassis", { body: { description: 5 } })).error).toBe("Schema error for chassis: 5 is not of type 'string', 'null'");
    const c = await api("POST", "/v1/chassis", { body: {} });
    const r = await api("PATCH", `/v1/chassis/${c.body.uuid}`, { body: [{ op: "replace", path: "/extra", value: "str" }] });
    expect(r.error).toBe("Schema error for patch: 'str' is not of type 'object', 'null'");
  });

  it("traits: too short / too long before the pattern", async () => {
    expect((await api("POST", "/v1/allocations", { body: { resource_class: "x", traits: [""] } })).error).toBe("Schema error for allocation: '' is too short");
    const node = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll" });
    const long = "CUSTOM_" + "X".repeat(250);
    expect((await api("PUT", `/v1/nodes/${node.uuid}/traits`, { body: { traits: [long] } })).error).toBe(`Schema error for body: '${long}' is too long`);
    expect((await api("PUT", `/v1/nodes/${node.uuid}/traits`, { body: { traits: [], other: 1 } })).error).toBe(
      "Schema error for body: Additional properties are not allowed ('other' was unexpected)",
    );
  });

  it("JSON patch: the shallowest error of all operations", async () => {
    const node = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll" });
    const r = await api("PATCH", `/v1/nodes/${node.uuid}`, { body: [{ op: "test", path: "/extra" }, { path: "/extra" }] });
    expect(r.error).toBe("Schema error for patch: 'op' is a required property");
  });

  it("ports: a missing node_uuid (1.82) is reported before a bad field", async () => {
    const r = await api("POST", "/v1/ports", { body: { address: 5 }, version: 82 });
    expect(r.error).toBe("Schema error for port: 'node_uuid' is a required property");
  });
});
