// API tests for the steps work: available steps (Ingot extension), step validation on
// PUT /states/provision, BIOS settings with registry fields, and runbooks (1.92 / 1.112).
// Runbooks' 1.112 features are above the API maximum: requests asking for newer versions are let
// through by the test-only version override of lib/testing/versions.ts.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import type { Principal } from "../../core/policy.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { cacheTestBiosRegistry } from "../../testing/bios_registry.ts";
import { getNodeByUuid } from "../../core/db/nodes.ts";

vi.mock("../version.ts", async (original) =>
  (await import("../../testing/versions.ts")).versionsAboveMax(await original()));

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  await startConductor({ hostname: "steps-api-conductor", periodic: false });
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

const settle = () => getConductor().pool.drain();
const provision = (ident: string, body: unknown, version: number | string = 82) => api("PUT", `/v1/nodes/${ident}/states/provision`, { body, version });

async function managedNode(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name, ...extra } });
  expect(r.status, r.error ?? "").toBe(201);
  expect((await provision(name, { target: "manage" })).status).toBe(202);
  await settle();
  expect((await api("GET", `/v1/nodes/${name}`)).body.provision_state).toBe("manageable");
  return r.body.uuid;
}

/** A managed node whose BIOS settings cache holds a registry (the fake BIOS, like Ironic's, has none). */
async function registryNode(name: string): Promise<string> {
  const uuid = await managedNode(name);
  await cacheTestBiosRegistry(db.sql, (await getNodeByUuid(db.sql, uuid))!.id);
  return uuid;
}

/** Calls as a specific principal (credential resolver reads X-Test-Who). */
async function as<T = any>(who: Partial<Principal>, method: string, path: string, opts: Parameters<typeof api>[2] = {}) {
  const principal: Principal = { userId: "u", username: "u", systemRole: null, projectId: null, projectRole: null, ...who };
  delete process.env.INGOT_API_AUTH;
  setCredentialResolver(async (req) => (req.headers.get("x-test-who") ? JSON.parse(req.headers.get("x-test-who")!) : null));
  try {
    return await api<T>(method, path, { ...opts, headers: { ...(opts.headers ?? {}), "X-Test-Who": JSON.stringify(principal) } });
  } finally {
    process.env.INGOT_API_AUTH = "noauth";
  }
}

describe("available steps (Ingot extension)", () => {
  it("lists clean, deploy and service steps with argsinfo, at every microversion", async () => {
    const uuid = await managedNode("st-1");
    for (const version of [null, 1, 82, 115] as const) {
      const r = await api("GET", `/v1/nodes/${uuid}/cleaning/steps`, { version });
      expect(r.status, r.error ?? "").toBe(200);
      expect(Object.keys(r.body)).toEqual(["steps", "updated_at"]);
    }
    const clean = (await api("GET", "/v1/nodes/st-1/cleaning/steps")).body;
    expect(clean.updated_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
    expect(clean.steps[0]).toEqual({
      interface: "vendor", step: "log_passthrough", priority: 1, abortable: false, requires_ramdisk: false, argsinfo: null,
      description: "Logs a line (the fake's automated clean step).",
    });
    const apply = clean.steps.find((s: any) => s.interface === "bios" && s.step === "apply_configuration");
    expect(Object.keys(apply)).toEqual(["interface", "step", "priority", "abortable", "requires_ramdisk", "argsinfo", "description"]);
    expect(apply.argsinfo.settings).toMatchObject({ required: true, type: "array", items: { type: "object" } });
    const deploy = (await api("GET", "/v1/nodes/st-1/deploying/steps")).body;
    expect(deploy.steps.map((s: any) => `${s.interface}.${s.step}:${s.priority}`)).toEqual([
      "deploy.deploy:100", "bios.apply_configuration:0", "bios.factory_reset:0", "raid.create_configuration:0", "raid.delete_configuration:0",
    ]);
    expect(deploy.steps[0].requires_ramdisk).toBeUndefined();
    const service = (await api("GET", "/v1/nodes/st-1/servicing/steps")).body;
    expect(service.steps.map((s: any) => `${s.interface}.${s.step}`)).toEqual([
      "vendor.log_passthrough", "vendor.trigger_servicewait", "bios.apply_configuration", "bios.factory_reset",
    ]);
  });

  it("serves the cache until refreshed; refresh recomputes (POST …/steps/refresh)", async () => {
    await managedNode("st-2");
    const first = (await api("GET", "/v1/nodes/st-2/cleaning/steps")).body;
    await new Promise((r) => setTimeout(r, 5));
    expect((await api("GET", "/v1/nodes/st-2/cleaning/steps")).body.updated_at).toBe(first.updated_at);
    const refreshed = await api("POST", "/v1/nodes/st-2/cleaning/steps/refresh");
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.updated_at > first.updated_at).toBe(true);
    expect(refreshed.body.steps).toEqual(first.steps);
    expect((await api("GET", "/v1/nodes/st-2/cleaning/steps")).body.updated_at).toBe(refreshed.body.updated_at);
    // Switching the BIOS interface changes what is offered once refreshed.
    expect((await api("PATCH", "/v1/nodes/st-2", { body: [{ op: "replace", path: "/bios_interface", value: "no-bios" }] })).status).toBe(200);
    const noBios = (await api("POST", "/v1/nodes/st-2/deploying/steps/refresh")).body;
    expect(noBios.steps.map((s: any) => s.interface)).not.toContain("bios");
  });

  it("errors: unknown node, unknown phase, wrong method, query, body", async () => {
    await managedNode("st-3");
    expect((await api("GET", "/v1/nodes/nope-node/cleaning/steps")).error).toBe("Node nope-node could not be found.");
    expect((await api("GET", "/v1/nodes/st-3/rescuing/steps")).status).toBe(404);
    expect((await api("PUT", "/v1/nodes/st-3/cleaning/steps", { body: {} })).status).toBe(405);
    expect((await api("GET", "/v1/nodes/st-3/cleaning/steps?x=1")).error).toBe("Unexpected arguments: x");
    expect((await api("POST", "/v1/nodes/st-3/cleaning/steps/refresh", { body: { a: 1 } })).error).toBe("The refresh request takes no body.");
  });

  it("policy: readers read, only set_provision_state may refresh; other projects do not see the node", async () => {
    await managedNode("st-4", { owner: "proj-a" });
    expect((await as({ systemRole: "reader" }, "GET", "/v1/nodes/st-4/cleaning/steps")).status).toBe(200);
    expect((await as({ systemRole: "reader" }, "POST", "/v1/nodes/st-4/cleaning/steps/refresh")).status).toBe(403);
    expect((await as({ systemRole: "member" }, "POST", "/v1/nodes/st-4/cleaning/steps/refresh")).status).toBe(200);
    expect((await as({ projectId: "proj-a", projectRole: "reader" }, "GET", "/v1/nodes/st-4/servicing/steps")).status).toBe(200);
    expect((await as({ projectId: "proj-a", projectRole: "member" }, "POST", "/v1/nodes/st-4/servicing/steps/refresh")).status).toBe(200);
    expect((await as({ projectId: "proj-b", projectRole: "admin" }, "GET", "/v1/nodes/st-4/servicing/steps")).status).toBe(404);
  });
});

describe("step validation on PUT /states/provision", () => {
  it("manual clean: bad step / argument / registry value → 400 naming them; no steps stays Ironic's 400", async () => {
    const uuid = await registryNode("sv-1");
    let r = await provision("sv-1", { target: "clean" });
    expect(r.error).toBe('"clean_steps" is required when setting target provision state to clean');
    r = await provision("sv-1", { target: "clean", clean_steps: [] });
    expect(r.status).toBe(400);
    r = await provision("sv-1", { target: "clean", clean_steps: [{ interface: "bios", step: "nope" }] });
    expect(r.error).toBe(`Cannot clean node ${uuid}: node does not support this clean step: {'interface': 'bios', 'step': 'nope'}`);
    r = await provision("sv-1", { target: "clean", clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [], x: 1 } }] });
    expect(r.error).toContain("has these unexpected arguments: x");
    r = await provision("sv-1", { target: "clean", clean_steps: [{ interface: "bios", step: "apply_configuration" }] });
    expect(r.error).toContain("is missing these required arguments: settings (");
    r = await provision("sv-1", { target: "clean", clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: { name: "x" } } }] });
    expect(r.error).toContain("has an invalid argument settings: {'name': 'x'} is not of type 'array'");
    r = await provision("sv-1", { target: "clean", clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "LogicalProc", value: "Off" }, { name: "ServiceTag", value: "ABCDEFG" }] } }] });
    expect(r.status).toBe(400);
    expect(r.error).toBe(
      `Cannot clean node ${uuid}: clean step {'interface': 'bios', 'step': 'apply_configuration'} has invalid arguments: BIOS setting 'LogicalProc': value 'Off' is not one of the allowed values ['Enabled', 'Disabled']; BIOS setting 'ServiceTag' is read-only`,
    );
    r = await provision("sv-1", { target: "clean", clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "LogicalProc", value: "Disabled" }] } }] });
    expect(r.status).toBe(202);
    await settle();
    expect((await api("GET", "/v1/nodes/sv-1/bios/LogicalProc")).body.LogicalProc.value).toBe("Disabled");
  });

  it("deploy_steps (1.69) are checked against the registry; clean in the wrong state is refused", async () => {
    const uuid = await registryNode("sv-2");
    expect((await provision("sv-2", { target: "provide" })).status).toBe(202);
    await settle();
    let r = await provision("sv-2", { target: "active", deploy_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "PowerOnDelay", value: "x" }] }, priority: 90 }] });
    expect(r.status).toBe(400);
    expect(r.error).toContain(`Validation of deploy steps from "deploy steps" argument failed.deploy step {'interface': 'bios', 'step': 'apply_configuration'} has invalid arguments: BIOS setting 'PowerOnDelay': value 'x' is not an integer`);
    r = await provision("sv-2", { target: "active", deploy_steps: [{ interface: "deploy", step: "deploy", args: {}, priority: 10 }] });
    expect(r.error).toContain("is a core step and cannot be overridden by user steps");
    r = await provision("sv-2", { target: "clean", clean_steps: [{ interface: "vendor", step: "log_passthrough" }] });
    expect(r.error).toBe(`The requested action "clean" can not be performed on node "${uuid}" while it is in state "available".`);
    r = await provision("sv-2", { target: "active", deploy_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "PowerOnDelay", value: 12 }] }, priority: 90 }] });
    expect(r.status).toBe(202);
    await settle();
    expect((await api("GET", "/v1/nodes/sv-2/bios/PowerOnDelay")).body.PowerOnDelay.value).toBe("12");
    const history = (await api("GET", "/v1/nodes/sv-2/history")).body.history.map((h: any) => h.event);
    expect(history).toContain("Finished deploy step bios.apply_configuration");
  });

  it("unhold (1.85) and service (1.87) are version-gated", async () => {
    await managedNode("sv-3");
    expect((await provision("sv-3", { target: "unhold" }, 84)).status).toBe(406);
    expect((await provision("sv-3", { target: "service", service_steps: [{ interface: "vendor", step: "log_passthrough" }] }, 86)).status).toBe(406);
    expect((await provision("sv-3", { target: "unhold" }, 85)).status).toBe(400);
  });
});

describe("BIOS settings API", () => {
  it("shows the registry fields (≥1.74 with detail/fields, always on a single setting ≥1.74)", async () => {
    const uuid = await registryNode("bi-1");
    let r = await api("GET", "/v1/nodes/bi-1/bios");
    expect(r.body.bios).toHaveLength(10);
    expect(Object.keys(r.body.bios[0])).toEqual(["created_at", "updated_at", "name", "value", "links"]);
    r = await api("GET", "/v1/nodes/bi-1/bios?detail=True", { version: 74 });
    const byName = Object.fromEntries(r.body.bios.map((b: any) => [b.name, b]));
    expect(byName.PowerOnDelay).toMatchObject({
      name: "PowerOnDelay", value: "0", attribute_type: "Integer", allowable_values: [], lower_bound: 0, upper_bound: 300,
      min_length: null, max_length: null, read_only: false, reset_required: false, unique: false,
    });
    expect(byName.LogicalProc.allowable_values).toEqual(["Enabled", "Disabled"]);
    r = await api("GET", "/v1/nodes/bi-1/bios?fields=name,read_only");
    expect(Object.keys(r.body.bios[0])).toEqual(["created_at", "updated_at", "name", "read_only", "links"]);
    r = await api("GET", "/v1/nodes/bi-1/bios/ServiceTag");
    expect(r.body.ServiceTag).toMatchObject({ read_only: true, unique: true, attribute_type: "String", min_length: 7, max_length: 16 });
    expect(r.body.ServiceTag.links[0].href).toBe(`http://127.0.0.1:3000/baremetal/v1/nodes/${uuid}/bios/ServiceTag`);
    r = await api("GET", "/v1/nodes/bi-1/bios/ServiceTag", { version: 73 });
    expect(Object.keys(r.body.ServiceTag)).toEqual(["created_at", "updated_at", "name", "value", "links"]);
    expect((await api("GET", "/v1/nodes/bi-1/bios?fields=name", { version: 73 })).status).toBe(406);
    expect((await api("GET", "/v1/nodes/bi-1/bios?fields=bogus")).error).toBe("Field bogus is not a valid field.");
    expect((await api("GET", "/v1/nodes/bi-1/bios?fields=name&detail=True")).status).toBe(400);
  });

  it("each setting shows when it last changed", async () => {
    await managedNode("bi-2");
    const apply = async (settings: { name: string; value: unknown }[]) => {
      expect((await provision("bi-2", { target: "clean", clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings } }] })).status).toBe(202);
      await settle();
      return (await api("GET", "/v1/nodes/bi-2/bios")).body.bios;
    };
    await apply([{ name: "AssetTag", value: "r0" }, { name: "BootMode", value: "Uefi" }]);
    const rows = await apply([{ name: "AssetTag", value: "r1" }, { name: "BootMode", value: "Uefi" }]);
    expect(rows.find((b: any) => b.name === "AssetTag").updated_at).not.toBeNull();
    expect(rows.find((b: any) => b.name === "BootMode").updated_at).toBeNull();
  });

  it("fake-hardware lists exactly what apply_configuration stored, as Ironic's fake BIOS", async () => {
    await managedNode("bi-3");
    expect((await api("GET", "/v1/nodes/bi-3/bios")).body.bios).toEqual([]);
    const settings = [{ name: "NotInAnyRegistry", value: "yes" }, { name: "Count", value: 3 }, { name: "Flag", value: false }];
    expect((await provision("bi-3", { target: "clean", clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings } }] })).status).toBe(202);
    await settle();
    const rows = (await api("GET", "/v1/nodes/bi-3/bios?detail=True", { version: 74 })).body.bios;
    expect(rows.map((b: any) => [b.name, b.value])).toEqual([["Count", "3"], ["Flag", "False"], ["NotInAnyRegistry", "yes"]]);
    expect(rows[0]).toMatchObject({ attribute_type: null, allowable_values: [], read_only: null });
  });
});

describe("runbooks API (1.92, traits 1.112)", () => {
  const steps = [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "WakeOnLan", value: false }] }, order: 1 }];

  it("CRUD with version gating and Ironic-style errors", async () => {
    expect((await api("GET", "/v1/runbooks", { version: 91 })).status).toBe(404);
    expect((await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_RB0", steps }, version: 91 })).status).toBe(405);
    let r = await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_RB1", steps }, version: 92 });
    expect(r.status, r.error ?? "").toBe(201);
    expect(Object.keys(r.body)).toEqual(["uuid", "name", "steps", "disable_ramdisk", "public", "owner", "extra", "created_at", "updated_at", "links"]);
    expect(r.body).toMatchObject({ name: "CUSTOM_RB1", steps, disable_ramdisk: false, public: false, owner: null, extra: {} });
    const uuid = r.body.uuid;
    expect(r.headers.get("location")).toBe(`http://127.0.0.1:3000/baremetal/v1/runbooks/${uuid}`);
    expect((await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_RB1", steps }, version: 92 })).status).toBe(409);
    expect((await api("POST", "/v1/runbooks", { body: { name: "not-a-trait", steps }, version: 92 })).error).toMatch(/does not match '\^CUSTOM_/);
    expect((await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_RB2", steps: [] }, version: 92 })).status).toBe(400);
    expect((await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_RB2", steps: [{ interface: "bios", step: "x" }] }, version: 92 })).error).toContain("'order' is a required property");
    expect((await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_RB2", steps: [{ interface: "network", step: "x", order: 1 }] }, version: 92 })).status).toBe(400);
    expect((await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_RB2", steps, public: true, owner: "p" }, version: 92 })).error).toBe("A public runbook cannot have an owner.");
    expect((await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_RB2", steps, traits: ["CUSTOM_A"] }, version: 92 })).status).toBe(400);

    r = await api("GET", "/v1/runbooks", { version: 92 });
    expect(r.body.runbooks).toEqual([{ uuid, name: "CUSTOM_RB1", links: expect.any(Array) }]);
    r = await api("GET", "/v1/runbooks?detail=True", { version: 92 });
    expect(r.body.runbooks[0].steps).toEqual(steps);
    r = await api("GET", `/v1/runbooks/CUSTOM_RB1?fields=name,steps`, { version: 92 });
    expect(Object.keys(r.body)).toEqual(["name", "steps", "links"]);
    expect((await api("GET", `/v1/runbooks/CUSTOM_RB1?fields=traits`, { version: 92 })).status).toBe(406);
    r = await api("PATCH", `/v1/runbooks/${uuid}`, { body: [{ op: "replace", path: "/disable_ramdisk", value: true }, { op: "add", path: "/extra/a", value: 1 }], version: 92 });
    expect(r.status, r.error ?? "").toBe(200);
    expect(r.body).toMatchObject({ disable_ramdisk: true, extra: { a: 1 } });
    expect(r.body.updated_at).not.toBeNull();
    expect((await api("PATCH", `/v1/runbooks/${uuid}`, { body: [{ op: "replace", path: "/uuid", value: "x" }], version: 92 })).status).toBe(400);
    expect((await api("DELETE", `/v1/runbooks/${uuid}`, { version: 92 })).status).toBe(204);
    expect((await api("GET", `/v1/runbooks/${uuid}`, { version: 92 })).error).toBe(`Runbook ${uuid} could not be found.`);
  });

  it("1.112: free-form names, description, traits sub-resource", async () => {
    let r = await api("POST", "/v1/runbooks", { body: { name: "fix-bios.v2", steps, description: "Turns WoL off", traits: ["CUSTOM_WOL"] }, version: 112 });
    expect(r.status, r.error ?? "").toBe(201);
    expect(r.body).toMatchObject({ name: "fix-bios.v2", description: "Turns WoL off", traits: ["CUSTOM_WOL"] });
    expect((await api("GET", "/v1/runbooks/fix-bios.v2/traits", { version: 111 })).status).toBe(404);
    expect((await api("PUT", "/v1/runbooks/fix-bios.v2/traits/CUSTOM_B", { version: 112 })).status).toBe(204);
    expect((await api("GET", "/v1/runbooks/fix-bios.v2/traits", { version: 112 })).body).toEqual({ traits: ["CUSTOM_B", "CUSTOM_WOL"] });
    expect((await api("PUT", "/v1/runbooks/fix-bios.v2/traits", { body: { traits: ["CUSTOM_C"] }, version: 112 })).status).toBe(204);
    expect((await api("DELETE", "/v1/runbooks/fix-bios.v2/traits/CUSTOM_X", { version: 112 })).status).toBe(404);
    expect((await api("PUT", "/v1/runbooks/fix-bios.v2/traits/bad", { version: 112 })).status).toBe(400);
    expect((await api("GET", "/v1/runbooks/fix-bios.v2", { version: 112 })).body.traits).toEqual(["CUSTOM_C"]);
    expect((await api("DELETE", "/v1/runbooks/fix-bios.v2/traits", { version: 112 })).status).toBe(204);
    expect((await api("GET", "/v1/runbooks/fix-bios.v2/traits", { version: 112 })).body).toEqual({ traits: [] });
    r = await api("POST", "/v1/runbooks", { body: { name: "bad name!", steps }, version: 112 });
    expect(r.status).toBe(400);
  });

  it("use via provision: runbook param version gate, trait rule, visibility and policy", async () => {
    await managedNode("rb-node", { owner: "proj-a" });
    expect((await api("PUT", "/v1/nodes/rb-node/traits/CUSTOM_WOL2", { version: 82 })).status).toBe(204);
    const created = await api("POST", "/v1/runbooks", { body: { name: "wol-off", steps, traits: ["CUSTOM_WOL2"], owner: "proj-a" }, version: 112 });
    expect(created.status, created.error ?? "").toBe(201);
    expect((await provision("rb-node", { target: "clean", runbook: "wol-off" }, 82)).status).toBe(406);
    expect((await provision("rb-node", { target: "provide", runbook: "wol-off" }, 112)).error).toBe("runbook is only valid when setting target provision state to clean or service");
    expect((await provision("rb-node", { target: "clean", runbook: "nope" }, 112)).error).toBe("Runbook nope could not be found.");
    // Another project neither sees nor uses it; the owner's members may not use it (manager/admin only).
    expect((await as({ projectId: "proj-a", projectRole: "member" }, "PUT", "/v1/nodes/rb-node/states/provision", { body: { target: "clean", runbook: "wol-off" }, version: 112 })).status).toBe(403);
    const r = await as({ projectId: "proj-a", projectRole: "admin" }, "PUT", "/v1/nodes/rb-node/states/provision", { body: { target: "clean", runbook: "wol-off" }, version: 112 });
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    expect((await api("GET", "/v1/nodes/rb-node/bios/WakeOnLan")).body.WakeOnLan.value).toBe("False"); // Python's str(False), as Ironic stores it
    // Below 1.112 the runbook's name must be a node trait.
    expect((await provision("rb-node", { target: "clean", runbook: "wol-off" }, 92)).error).toContain("the node does not have the trait wol-off");
  });

  it("public/owner visibility for project callers", async () => {
    await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_PUB", steps, public: true }, version: 92 });
    await api("POST", "/v1/runbooks", { body: { name: "CUSTOM_OWNED_B", steps, owner: "proj-b" }, version: 92 });
    const list = await as({ projectId: "proj-a", projectRole: "reader" }, "GET", "/v1/runbooks", { version: 92 });
    const names = list.body.runbooks.map((x: any) => x.name);
    expect(names).toContain("CUSTOM_PUB");
    expect(names).not.toContain("CUSTOM_OWNED_B");
    expect((await as({ projectId: "proj-a", projectRole: "reader" }, "GET", "/v1/runbooks/CUSTOM_OWNED_B", { version: 92 })).status).toBe(404);
    expect((await as({ projectId: "proj-b", projectRole: "reader" }, "GET", "/v1/runbooks/CUSTOM_OWNED_B", { version: 92 })).status).toBe(200);
    expect((await as({ projectId: "proj-a", projectRole: "admin" }, "PATCH", "/v1/runbooks/CUSTOM_PUB", { body: [{ op: "replace", path: "/extra", value: { x: 1 } }], version: 92 })).status).toBe(403);
    // A project admin creates runbooks for its own project only, and cannot make them public.
    let r = await as({ projectId: "proj-a", projectRole: "admin" }, "POST", "/v1/runbooks", { body: { name: "CUSTOM_MINE", steps }, version: 92 });
    expect(r.status, r.error ?? "").toBe(201);
    expect(r.body.owner).toBe("proj-a");
    r = await as({ projectId: "proj-a", projectRole: "admin" }, "POST", "/v1/runbooks", { body: { name: "CUSTOM_MINE2", steps, public: true }, version: 92 });
    expect(r.status).toBe(403);
    r = await as({ projectId: "proj-a", projectRole: "admin" }, "PATCH", "/v1/runbooks/CUSTOM_MINE", { body: [{ op: "replace", path: "/owner", value: "proj-b" }], version: 92 });
    expect(r.status).toBe(403);
    r = await as({ projectId: "proj-a", projectRole: "member" }, "POST", "/v1/runbooks", { body: { name: "CUSTOM_MINE3", steps }, version: 92 });
    expect(r.status).toBe(403);
  });
});
