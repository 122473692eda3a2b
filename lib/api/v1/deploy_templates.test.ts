import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { openstackCli, requireOpenstackCli } from "../../testing/openstack.ts";
import { startApiServer } from "../../testing/server.ts";

// Each step runs the Python client (a second or more per call, several on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

let env: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
});
afterAll(async () => env.cleanup());

const STEPS = [
  { interface: "bios", step: "apply_configuration", args: { settings: [{ name: "LogicalProc", value: "Enabled" }], password: "x" }, priority: 150 },
];
const step = (over: Record<string, unknown> = {}) => ({ interface: "deploy", step: "x", args: {}, priority: 1, ...over });

describe("deploy templates", () => {
  let uuid: string;

  it("is 404 (GET) / 405 (writes) below 1.55", async () => {
    expect((await api("GET", "/v1/deploy_templates", { version: 54 })).status).toBe(404);
    expect((await api("POST", "/v1/deploy_templates", { version: 54, body: { name: "CUSTOM_A", steps: [step()] } })).status).toBe(405);
  });

  it("creates like the sample, masking password-like args", async () => {
    const r = await api("POST", "/v1/deploy_templates", { body: { name: "CUSTOM_GPU", steps: STEPS } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(["uuid", "created_at", "updated_at", "name", "extra", "links", "steps"]);
    expect(r.body.steps[0].args).toEqual({ settings: [{ name: "LogicalProc", value: "Enabled" }], password: "******" });
    expect(r.headers.get("ETag")).toBe(`"${r.body.uuid}-1"`);
    uuid = r.body.uuid;
  });

  it("validates names and steps (400) and uniqueness (409)", async () => {
    const post = (body: unknown) => api("POST", "/v1/deploy_templates", { body });
    expect((await post({ name: "CUSTOM_GPU", steps: [step()] })).error).toBe("A deploy template with name CUSTOM_GPU already exists.");
    expect((await post({ name: "custom_x", steps: [step()] })).error).toBe(
      "Schema error for template: 'custom_x' is not valid under any of the given schemas. Possible root cause: 'custom_x' does not match '^CUSTOM_[A-Z0-9_]+$'",
    );
    expect((await post({ name: "CUSTOM_B", steps: [] })).status).toBe(400);
    expect((await post({ name: "CUSTOM_B", steps: [step({ interface: "foo" })] })).status).toBe(400);
    expect((await post({ name: "CUSTOM_B", steps: [step({ interface: "firmware" })] })).status).toBe(400);
    expect((await post({ name: "CUSTOM_B", steps: [step({ priority: -1 })] })).status).toBe(400);
    expect((await post({ name: "CUSTOM_B", steps: [step({ priority: "x" })] })).status).toBe(400);
    expect((await post({ name: "CUSTOM_B", steps: [step({ args: [] })] })).status).toBe(400);
    expect((await post({ name: "CUSTOM_B", steps: [step({ foo: 1 })] })).status).toBe(400);
    expect((await post({ name: "CUSTOM_B", steps: [{ interface: "deploy", step: "x", priority: 1 }] })).error).toBe(
      "Schema error for template: 'args' is a required property",
    );
    const dup = await post({ name: "CUSTOM_B", steps: [step(), step({ priority: 2 })] });
    expect(dup.error).toBe(
      "Deploy template invalid: Duplicate deploy steps. A deploy template cannot have multiple deploy steps with the same interface and step. Duplicates: interface: deploy, step: x.",
    );
    expect((await post({ name: "CUSTOM_B", steps: [step()], bogus: 1 })).status).toBe(400);
    expect((await post({ name: "CUSTOM_B", uuid: "bad", steps: [step()] })).error).toBe("Expected UUID for uuid: bad");
    expect((await api("POST", "/v1/deploy_templates", { rawBody: "{nope" })).status).toBe(400);
    const std = await post({ name: "HW_CPU_X86_VMX", steps: [step({ priority: "10" })], description: "accepted, not stored" });
    expect(std.status).toBe(201);
    expect(std.body.steps[0].priority).toBe(10);
  });

  it("gets by name or uuid; lists with defaults, fields, detail, next", async () => {
    expect((await api("GET", "/v1/deploy_templates/CUSTOM_GPU")).body.uuid).toBe(uuid);
    expect((await api("GET", "/v1/deploy_templates/CUSTOM_NOPE")).error).toBe("Deploy template CUSTOM_NOPE could not be found.");
    const list = await api("GET", "/v1/deploy_templates?limit=1");
    expect(Object.keys(list.body.deploy_templates[0])).toEqual(["uuid", "name", "links"]);
    expect(list.body.next).toBe(
      `http://127.0.0.1:3000/baremetal/v1/deploy_templates?sort_key=id&sort_dir=asc&fields=uuid,name&limit=1&marker=${uuid}`,
    );
    const detail = await api("GET", "/v1/deploy_templates?detail=True&limit=1");
    expect(detail.body.next).toContain("detail=True&limit=1");
    expect(detail.body.deploy_templates[0].steps).toHaveLength(1);
    expect(Object.keys((await api("GET", "/v1/deploy_templates?fields=name,steps")).body.deploy_templates[0])).toEqual(["name", "links", "steps"]);
    expect((await api("GET", "/v1/deploy_templates?marker=CUSTOM_GPU")).status).toBe(404);
    const byName = await api("GET", "/v1/deploy_templates?sort_key=name");
    expect(byName.body.deploy_templates.map((t: any) => t.name)).toEqual(["CUSTOM_GPU", "HW_CPU_X86_VMX"]);
  });

  it("patches name/steps/extra with ETag and If-Match", async () => {
    const r = await api("PATCH", "/v1/deploy_templates/CUSTOM_GPU", {
      body: [{ op: "add", path: "/steps/1", value: step({ interface: "raid", step: "y", priority: 3 }) }, { op: "add", path: "/extra/a", value: 1 }],
      headers: { "If-Match": `"${uuid}-1"` },
    });
    expect(r.status).toBe(200);
    expect(r.body.steps).toHaveLength(2);
    expect(r.body.steps[0].args.password).toBe("******");
    expect(r.headers.get("ETag")).toBe(`"${uuid}-2"`);
    const stale = await api("PATCH", "/v1/deploy_templates/CUSTOM_GPU", {
      body: [{ op: "add", path: "/extra/b", value: 1 }], headers: { "If-Match": `"${uuid}-1"` },
    });
    expect(stale.status).toBe(412);
    expect((await api("PATCH", "/v1/deploy_templates/CUSTOM_GPU", { body: [{ op: "replace", path: "/uuid", value: "x" }] })).error).toBe(
      "Cannot patch /uuid. Only the following can be updated: extra, name, steps, description",
    );
    expect((await api("PATCH", "/v1/deploy_templates/CUSTOM_GPU", { body: [{ op: "replace", path: "/steps", value: [] }] })).status).toBe(400);
    expect((await api("PATCH", "/v1/deploy_templates/CUSTOM_GPU", { body: [{ op: "replace", path: "/name", value: "HW_CPU_X86_VMX" }] })).status).toBe(409);
    const renamed = await api("PATCH", "/v1/deploy_templates/CUSTOM_GPU", { body: [{ op: "replace", path: "/name", value: "CUSTOM_GPU2" }] });
    expect(renamed.body.name).toBe("CUSTOM_GPU2");
  });

  it("deletes", async () => {
    expect((await api("DELETE", "/v1/deploy_templates/CUSTOM_GPU2")).status).toBe(204);
    expect((await api("DELETE", "/v1/deploy_templates/CUSTOM_GPU2")).status).toBe(404);
  });
});

describe("openstack baremetal deploy template", () => {
  it("create and list --long work with the stock client", async () => {
    requireOpenstackCli();
    const server = await startApiServer();
    const { os } = openstackCli(() => server.url, 120_000);
    try {
      const created = JSON.parse(await os(
        "deploy", "template", "create", "CUSTOM_CLI",
        "--steps", '[{"interface":"bios","step":"apply_configuration","args":{"settings":[{"name":"LogicalProc","value":"Enabled"}]},"priority":150}]',
        "-f", "json",
      ));
      expect(created.name).toBe("CUSTOM_CLI");
      const list = JSON.parse(await os("deploy", "template", "list", "--long", "-f", "json"));
      const row = list.find((t: any) => t.Name === "CUSTOM_CLI");
      expect(row).toBeDefined();
      expect(row.Steps[0].priority).toBe(150);
    } finally {
      await server.close();
    }
  }, 120_000);
});

describe("deploy template step messages", () => {
  it("names the allowed interfaces like Ironic", async () => {
    const r = await api("POST", "/v1/deploy_templates", { body: { name: "CUSTOM_M", steps: [step({ interface: "vendor" })] } });
    expect(r.error).toBe("Schema error for template: 'vendor' is not one of ['power', 'management', 'deploy', 'bios', 'raid']");
  });
});
