// Inspection rules API (1.96) and the inventory endpoint (1.81) after a real inspection.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConductor } from "../../core/conductor/index.ts";
import { insertNode } from "../../core/db/nodes.ts";
import { fakeInspectionData } from "../../core/inspection/inventory.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let env: TestDb;
const V = 96;

beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
});
afterAll(async () => {
  await getConductor().pool.drain();
  await env.cleanup();
});

const call = (method: string, path: string, body?: unknown, version: number = V) => api(method, path, { body, version });

const RULE = {
  description: "tag big machines",
  priority: 10,
  conditions: [{ op: "gt", args: { values: ["{inventory[cpu][count]}", 1] } }, { op: "!is-empty", args: { value: "{inventory[interfaces]}" } }],
  actions: [
    { op: "add-trait", args: { name: "CUSTOM_BIG" } },
    { op: "set-attribute", args: { path: "/extra/inspected_by", value: "rule" } },
  ],
};

describe("version gate", () => {
  it("is 404 for GET and 405 for writes below the rules version", async () => {
    expect((await call("GET", "/v1/inspection_rules", undefined, V - 1)).status).toBe(404);
    expect((await call("POST", "/v1/inspection_rules", RULE, V - 1)).status).toBe(405);
    expect((await call("DELETE", "/v1/inspection_rules", undefined, V - 1)).status).toBe(405);
  });
});

describe("inspection rules CRUD", () => {
  let uuid = "";

  it("creates a rule (201, Location) with defaults filled", async () => {
    const r = await call("POST", "/v1/inspection_rules", RULE);
    expect(r.status).toBe(201);
    uuid = r.body.uuid;
    expect(r.headers.get("Location")).toBe(`http://127.0.0.1:3000/baremetal/v1/inspection_rules/${uuid}`);
    expect(r.body).toMatchObject({
      description: "tag big machines", priority: 10, phase: "main", sensitive: false, updated_at: null,
      conditions: RULE.conditions,
      actions: RULE.actions.map((a) => ({ ...a, loop: [] })),
    });
    expect(r.body.links[0].href).toContain(`/v1/inspection_rules/${uuid}`);
    expect(r.body.created_at).toMatch(/\+00:00$/);
  });

  it("accepts a given uuid once (409 after)", async () => {
    const id = "3a3c7d9e-1b2f-4c5d-8e9f-0a1b2c3d4e5f";
    expect((await call("POST", "/v1/inspection_rules", { ...RULE, uuid: id, priority: 5 })).status).toBe(201);
    const dup = await call("POST", "/v1/inspection_rules", { ...RULE, uuid: id });
    expect(dup.status).toBe(409);
    expect(dup.error).toBe(`A rule with UUID ${id} already exists.`);
    expect((await call("POST", "/v1/inspection_rules", { ...RULE, uuid: "not-a-uuid" })).error).toBe("Expected UUID for uuid: not-a-uuid");
  });

  it.each([
    [{ actions: [] }, "actions must contain at least one action"],
    [{ ...RULE, conditions: [{ op: "bigger", args: {} }] }, "Unsupported condition operator: bigger"],
    [{ ...RULE, conditions: [{ op: "eq", args: { value: 1 } }] }, "Invalid parameters for condition operator eq: missing required argument(s): values; unexpected argument(s): value"],
    [{ ...RULE, actions: [{ op: "set-attribute", args: { path: "/extra/x" } }] }, "Invalid parameters for action operator set-attribute: missing required argument(s): value"],
    [{ ...RULE, actions: [{ op: "api-call", args: { url: "http://127.0.0.1/" } }] }, "Unsupported action operator: api-call"],
    [{ ...RULE, priority: 10000 }, "Priority must be between 0 and 9999"],
    [{ ...RULE, phase: "late" }, "Invalid phase: late. Valid phases are: main"],
    [{ ...RULE, name: "x" }, "Additional properties are not allowed ('name' was unexpected)"],
    [[1], "is not of type 'object'"],
  ])("refuses bad rules with a 400 that says why: %j", async (body, message) => {
    const r = await call("POST", "/v1/inspection_rules", body);
    expect(r.status).toBe(400);
    expect(r.error).toContain(message);
  });

  it("lists default fields, detail, fields, phase filter, sorting and paging", async () => {
    let r = await call("GET", "/v1/inspection_rules");
    expect(r.status).toBe(200);
    expect(r.body.inspection_rules).toHaveLength(2);
    expect(Object.keys(r.body.inspection_rules[0]).sort()).toEqual(["description", "links", "phase", "priority", "uuid"]);
    r = await call("GET", "/v1/inspection_rules?detail=True");
    expect(r.body.inspection_rules[0].conditions).toEqual(RULE.conditions);
    r = await call("GET", "/v1/inspection_rules?fields=uuid,sensitive");
    expect(Object.keys(r.body.inspection_rules[0]).sort()).toEqual(["links", "sensitive", "uuid"]);
    expect((await call("GET", "/v1/inspection_rules?fields=bogus")).status).toBe(400);
    expect((await call("GET", "/v1/inspection_rules?detail=True&fields=uuid")).status).toBe(400);
    expect((await call("GET", "/v1/inspection_rules?phase=main")).body.inspection_rules).toHaveLength(2);
    expect((await call("GET", "/v1/inspection_rules?phase=other")).body.inspection_rules).toHaveLength(0);
    r = await call("GET", "/v1/inspection_rules?sort_key=priority&sort_dir=asc");
    expect(r.body.inspection_rules.map((x: any) => x.priority)).toEqual([5, 10]);
    expect((await call("GET", "/v1/inspection_rules?sort_key=actions")).status).toBe(400);
    r = await call("GET", "/v1/inspection_rules?limit=1");
    expect(r.body.inspection_rules).toHaveLength(1);
    expect(r.body.next).toContain(`marker=${r.body.inspection_rules[0].uuid}`);
    const next = new URL(r.body.next);
    r = await call("GET", `/v1/inspection_rules${next.search}`);
    expect(r.body.inspection_rules).toHaveLength(1);
  });

  it("shows one, with fields; 400 for a non-uuid, 404 for an unknown one", async () => {
    let r = await call("GET", `/v1/inspection_rules/${uuid}`);
    expect(r.body.actions).toHaveLength(2);
    r = await call("GET", `/v1/inspection_rules/${uuid}?fields=priority`);
    expect(Object.keys(r.body).sort()).toEqual(["links", "priority"]);
    r = await call("GET", "/v1/inspection_rules/nope");
    expect(r.status).toBe(400);
    expect(r.error).toBe("Expected UUID for inspection_rule_uuid: nope");
    r = await call("GET", "/v1/inspection_rules/00000000-0000-4000-8000-000000000000");
    expect(r.status).toBe(404);
    expect(r.error).toBe("Rule 00000000-0000-4000-8000-000000000000 could not be found.");
  });

  it("patches with JSON Patch, re-validating the result", async () => {
    let r = await call("PATCH", `/v1/inspection_rules/${uuid}`, [
      { op: "replace", path: "/priority", value: 20 },
      { op: "add", path: "/actions/-", value: { op: "log", args: { msg: "hi" } } },
    ]);
    expect(r.status).toBe(200);
    expect(r.body.priority).toBe(20);
    expect(r.body.actions).toHaveLength(3);
    expect(r.body.updated_at).not.toBeNull();
    r = await call("PATCH", `/v1/inspection_rules/${uuid}`, [{ op: "replace", path: "/actions", value: [{ op: "nope", args: {} }] }]);
    expect(r.status).toBe(400);
    expect(r.error).toContain("Unsupported action operator: nope");
    r = await call("PATCH", `/v1/inspection_rules/${uuid}`, [{ op: "replace", path: "/uuid", value: "x" }]);
    expect(r.status).toBe(400);
    expect(r.error).toContain("Cannot patch /uuid");
    expect((await call("GET", `/v1/inspection_rules/${uuid}`)).body.priority).toBe(20);
  });

  it("hides conditions and actions of sensitive rules; the flag cannot be unset", async () => {
    let r = await call("POST", "/v1/inspection_rules", { ...RULE, sensitive: true, priority: 1 });
    expect(r.body).toMatchObject({ sensitive: true, conditions: null, actions: null });
    const id = r.body.uuid;
    expect((await call("GET", `/v1/inspection_rules/${id}`)).body.actions).toBeNull();
    expect((await call("GET", "/v1/inspection_rules?detail=True")).body.inspection_rules.find((x: any) => x.uuid === id).conditions).toBeNull();
    r = await call("PATCH", `/v1/inspection_rules/${id}`, [{ op: "replace", path: "/sensitive", value: false }]);
    expect(r.status).toBe(400);
    expect(r.error).toBe("Inspection rules cannot have the sensitive flag unset.");
    r = await call("PATCH", `/v1/inspection_rules/${id}`, [{ op: "replace", path: "/description", value: "still secret" }]);
    expect(r.body).toMatchObject({ description: "still secret", actions: null });
    expect((await call("DELETE", `/v1/inspection_rules/${id}`)).status).toBe(204);
    expect((await call("GET", `/v1/inspection_rules/${id}`)).status).toBe(404);
  });

  it("enforces policy: readers read, only admins write", async () => {
    const { setCredentialResolver } = await import("../../core/auth.ts");
    setCredentialResolver(async () => ({ userId: "r", username: "r", systemRole: "reader", projectId: null, projectRole: null }));
    process.env.INGOT_API_AUTH = "ingot";
    try {
      expect((await call("GET", "/v1/inspection_rules")).status).toBe(200);
      expect((await call("POST", "/v1/inspection_rules", RULE)).status).toBe(403);
      expect((await call("DELETE", "/v1/inspection_rules")).status).toBe(403);
      setCredentialResolver(async () => ({ userId: "p", username: "p", systemRole: null, projectId: "proj", projectRole: "admin" }));
      expect((await call("GET", "/v1/inspection_rules")).status).toBe(403);
    } finally {
      process.env.INGOT_API_AUTH = "noauth";
    }
  });
});

describe("inspection through the API", () => {
  it("inspect → rules applied, properties, ports, inventory (1.81)", async () => {
    const node = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "manageable", name: "insp-1", driverInfo: { fake_inventory: {} } });
    let r = await api("GET", "/v1/nodes/insp-1/inventory");
    expect(r.status).toBe(404);
    expect(r.error).toBe(`Node inventory record for node ${node.uuid} could not be found.`);
    r = await api("PUT", "/v1/nodes/insp-1/states/provision", { body: { target: "inspect" } });
    expect(r.status).toBe(202);
    await getConductor().pool.drain();
    const shown = (await api("GET", "/v1/nodes/insp-1")).body;
    const expected = fakeInspectionData(node);
    expect(shown.provision_state).toBe("manageable");
    expect(shown.properties).toMatchObject({ cpus: expected.inventory.cpu.count, memory_mb: expected.inventory.memory.physical_mb, cpu_arch: "x86_64" });
    expect(shown.traits).toEqual(["CUSTOM_BIG"]);
    expect(shown.extra).toEqual({ inspected_by: "rule" });
    expect(shown.inspection_finished_at).not.toBeNull();
    r = await api("GET", "/v1/nodes/insp-1/inventory");
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ inventory: expected.inventory, plugin_data: expected.pluginData });
    expect((await api("GET", "/v1/nodes/insp-1/inventory", { version: 80 })).status).toBe(404);
    const ports = (await api("GET", `/v1/ports?node=${node.uuid}&detail=True`)).body.ports;
    expect(ports.map((p: any) => p.address).sort()).toEqual(expected.inventory.interfaces.map((i) => i.mac_address).sort());
    expect(ports.filter((p: any) => p.pxe_enabled).map((p: any) => p.address)).toEqual([expected.inventory.boot.pxe_interface]);
  });

  it("a failing inspection shows inspect failed with last_error; abort from inspect wait", async () => {
    await insertNode(env.sql, { driver: "fake-hardware", provisionState: "manageable", name: "insp-2", driverInfo: { fake_fail: "inspect.inspect_hardware" } });
    await api("PUT", "/v1/nodes/insp-2/states/provision", { body: { target: "inspect" } });
    await getConductor().pool.drain();
    let n = (await api("GET", "/v1/nodes/insp-2")).body;
    expect(n.provision_state).toBe("inspect failed");
    expect(n.last_error).toContain("Fake failure of inspect.inspect_hardware");

    await insertNode(env.sql, { driver: "fake-hardware", provisionState: "manageable", name: "insp-3", driverInfo: { fake_inspect_wait: "true" } });
    await api("PUT", "/v1/nodes/insp-3/states/provision", { body: { target: "inspect" } });
    await getConductor().pool.drain();
    expect((await api("GET", "/v1/nodes/insp-3")).body.provision_state).toBe("inspect wait");
    expect((await api("PUT", "/v1/nodes/insp-3/states/provision", { body: { target: "abort" }, version: 40 })).status).toBe(400);
    expect((await api("PUT", "/v1/nodes/insp-3/states/provision", { body: { target: "abort" } })).status).toBe(202);
    await getConductor().pool.drain();
    n = (await api("GET", "/v1/nodes/insp-3")).body;
    expect(n.provision_state).toBe("inspect failed");
    expect(n.last_error).toContain("aborted");
  });

  it("deletes all rules", async () => {
    expect((await call("DELETE", "/v1/inspection_rules")).status).toBe(204);
    expect((await call("GET", "/v1/inspection_rules")).body.inspection_rules).toEqual([]);
  });
});
