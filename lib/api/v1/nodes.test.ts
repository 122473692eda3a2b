// /v1/nodes end to end, in-process (reference §2.3–2.6, §7).
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { getNodeByUuid, updateNode } from "../../core/db/nodes.ts";
import type { Principal } from "../../core/policy.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { MAX_MINOR } from "../version.ts";
import { handleBaremetal } from "../handler.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
});
afterAll(async () => db.cleanup());

async function create(body: Record<string, unknown> = {}, version: number | string = 82) {
  const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", ...body }, version });
  if (r.status !== 201) throw new Error(`create failed ${r.status} ${r.error}`);
  return r.body as Record<string, any>;
}

const FULL_ORDER_182 = [
  "uuid", "created_at", "updated_at", "automated_clean", "bios_interface", "boot_interface", "boot_mode", "clean_step",
  "conductor_group", "console_enabled", "console_interface", "deploy_interface", "deploy_step", "description", "driver",
  "driver_info", "driver_internal_info", "extra", "fault", "inspection_finished_at", "inspection_started_at",
  "inspect_interface", "instance_info", "instance_uuid", "last_error", "lessee", "maintenance", "maintenance_reason",
  "management_interface", "name", "network_data", "network_interface", "owner", "power_interface", "power_state",
  "properties", "protected", "protected_reason", "provision_state", "provision_updated_at", "raid_config",
  "raid_interface", "rescue_interface", "reservation", "resource_class", "retired", "retired_reason", "secure_boot",
  "shard", "storage_interface", "target_power_state", "target_provision_state", "target_raid_config", "traits",
  "vendor_interface", "links", "conductor", "allocation_uuid", "chassis_uuid", "ports", "states", "portgroups", "volume",
];

/** The same at 1.96: the 1.83–1.95 fields in their alphabetical places. */
const FULL_ORDER_196 = FULL_ORDER_182.flatMap((f) => {
  const after: Record<string, string> = { description: "disable_power_off", fault: "firmware_interface", owner: "parent_node", secure_boot: "service_step" };
  return after[f] ? [f, after[f]] : [f];
});

describe("POST /v1/nodes", () => {
  it("creates a node with Ironic's shape, Location and ETag", async () => {
    const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name: "create-1", properties: { cpus: 2 } }, version: 82 });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(FULL_ORDER_182);
    expect(r.body.provision_state).toBe("enroll");
    expect(r.body.network_interface).toBe("noop");
    expect(r.body.boot_interface).toBe("fake");
    expect(r.body.resource_class).toBeNull();
    expect(r.headers.get("location")).toBe(`http://127.0.0.1:3000/baremetal/v1/nodes/${r.body.uuid}`);
    expect(r.headers.get("etag")).toMatch(new RegExp(`^"${r.body.uuid}-\\d+"$`));
    expect(r.body.links[1].href).toBe(`http://127.0.0.1:3000/baremetal/nodes/${r.body.uuid}`);
    expect(r.body.states[0].href).toBe(`http://127.0.0.1:3000/baremetal/v1/nodes/${r.body.uuid}/states`);
  });
  it("starts in available below 1.11 and hides newer fields", async () => {
    const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware" }, version: 10 });
    expect(r.status).toBe(201);
    expect(r.body.provision_state).toBe("available");
    expect(r.body).not.toHaveProperty("resource_class");
    const old = await api("GET", `/v1/nodes/${r.body.uuid}`, { version: null });
    expect(old.body.provision_state).toBeNull(); // available shows as null below 1.2
    expect(Object.keys(old.body)).toEqual([
      "uuid", "created_at", "updated_at", "console_enabled", "driver", "driver_info", "extra", "instance_info", "instance_uuid",
      "last_error", "maintenance", "maintenance_reason", "power_state", "properties", "provision_state", "provision_updated_at",
      "reservation", "target_power_state", "target_provision_state", "links", "chassis_uuid", "ports",
    ]);
  });
  it("validates the body", async () => {
    const bad = async (body: unknown, status: number, msg: string | RegExp, version: number = 82) => {
      const r = await api("POST", "/v1/nodes", { body, version });
      expect(r.status, JSON.stringify(body)).toBe(status);
      if (typeof msg === "string") expect(r.error).toBe(msg);
      else expect(r.error).toMatch(msg);
    };
    await bad({}, 400, "Schema error for node: 'driver' is a required property");
    await bad({ driver: "fake-hardware", foo: 1 }, 400, "Schema error for node: Additional properties are not allowed ('foo' was unexpected)");
    await bad({ driver: "nope" }, 400, 'No valid host was found. Reason: No conductor service registered which supports driver nope for conductor group "".');
    await bad({ driver: "fake-hardware", conductor_group: "ABC" }, 400, /for conductor group "ABC"/);
    await bad({ driver: "fake-hardware", name: 123 }, 400, "Schema error for node: 123 is not of type 'string', 'null'");
    await bad({ driver: "fake-hardware", name: "a b" }, 400, "Cannot create node with invalid name 'a b'");
    await bad({ driver: "fake-hardware", name: "detail" }, 400, /reserved/);
    await bad({ driver: "fake-hardware", uuid: "xyz" }, 400, "Expected UUID for uuid: xyz");
    await bad({ driver: "fake-hardware", properties: [] }, 400, "Schema error for node: [] is not of type 'object', 'null'");
    await bad({ driver: "fake-hardware", resource_class: "a".repeat(81) }, 400, /is too long/);
    await bad({ driver: "fake-hardware", boot_interface: "nope" }, 400, /Could not find the following interface/);
    await bad({ driver: "fake-hardware", chassis_uuid: "1be26c0b-03f2-4d2e-ae87-c02d7f33c124" }, 400, "Chassis 1be26c0b-03f2-4d2e-ae87-c02d7f33c124 could not be found.");
    await bad({ driver: "fake-hardware", owner: "x" }, 406, "Request not acceptable.", 49);
    await bad({ driver: "fake-hardware", protected: true }, 400, /'protected' was unexpected/);
    await bad([1, 2], 400, /is not of type 'object'/);
  });
  it("enforces unique names and uuids", async () => {
    const n = await create({ name: "dup-1" });
    let r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name: "dup-1" } });
    expect(r.status).toBe(409);
    expect(r.error).toBe("A node with name dup-1 already exists.");
    r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", uuid: n.uuid } });
    expect(r.status).toBe(409);
    expect(r.error).toBe(`A node with UUID ${n.uuid} already exists.`);
  });
  it("lowercases the conductor group, coerces booleans, uses the default resource class", async () => {
    process.env.INGOT_DEFAULT_RESOURCE_CLASS = "baremetal";
    try {
      const n = await create({ maintenance: "yes", extra: null, name: null });
      expect(n.maintenance).toBe(true);
      expect(n.extra).toEqual({});
      expect(n.resource_class).toBe("baremetal");
    } finally {
      delete process.env.INGOT_DEFAULT_RESOURCE_CLASS;
    }
  });
  it("never answers 500 to garbage", async () => {
    const garbage = ["{", "null", "[]", '"x"', "1", '{"driver": {}}', '{"driver": null}', "\u0000\u0001", '{"driver":"fake-hardware","extra":"x"}', '{"driver":"fake-hardware","name":["a"]}'];
    for (const rawBody of garbage) {
      const r = await api("POST", "/v1/nodes", { rawBody });
      expect(r.status, rawBody).toBe(400);
      expect(typeof JSON.parse(r.body.error_message).faultstring).toBe("string");
    }
    const big = await api("POST", "/v1/nodes", { rawBody: JSON.stringify({ driver: "fake-hardware", extra: { x: "a".repeat(2 << 20) } }) });
    expect(big.status).toBe(413);
    for (const rawBody of ["{", "[{]", "5", '[{"op":"add"}]', '[{"op":"add","path":"/extra/a"}]', '[{"op":"replace","path":"/driver","value":5}]']) {
      const n = await create();
      const r = await api("PATCH", `/v1/nodes/${n.uuid}`, { rawBody });
      expect(r.status, rawBody).toBe(400);
    }
  });
});

describe("GET /v1/nodes (list)", () => {
  let uuids: string[] = [];
  beforeAll(async () => {
    await db.sql.run(`DELETE FROM "Node"`);
    uuids = [];
    for (let i = 0; i < 5; i++) {
      const n = await create({ name: `list-${i}`, resource_class: i % 2 ? "odd" : "even", owner: i < 2 ? "p1" : "p2", lessee: i === 4 ? "p1" : null, description: `box ${i}` });
      uuids.push(n.uuid);
    }
    await updateNode(db.sql, (await getNodeByUuid(db.sql, uuids[0]))!.id, { maintenance: true, fault: "power failure", provisionState: "available" });
    await updateNode(db.sql, (await getNodeByUuid(db.sql, uuids[1]))!.id, { instanceUuid: "1be26c0b-03f2-4d2e-ae87-c02d7f33c199", retired: true });
  });

  it("lists default fields in Ironic's order", async () => {
    const r = await api("GET", "/v1/nodes", { version: 82 });
    expect(r.status).toBe(200);
    expect(r.body.nodes).toHaveLength(5);
    expect(Object.keys(r.body.nodes[0])).toEqual(["uuid", "instance_uuid", "maintenance", "power_state", "provision_state", "name", "links"]);
    expect(r.body).not.toHaveProperty("next");
    const v1 = await api("GET", "/v1/nodes", { version: null });
    expect(Object.keys(v1.body.nodes[0])).toEqual(["uuid", "instance_uuid", "maintenance", "power_state", "provision_state", "links"]);
  });
  it("detail (path and ?detail=) gives full nodes", async () => {
    const d = await api("GET", "/v1/nodes/detail", { version: 82 });
    expect(Object.keys(d.body.nodes[0])).toEqual(FULL_ORDER_182);
    const q = await api("GET", "/v1/nodes?detail=True", { version: 82 });
    expect(Object.keys(q.body.nodes[0])).toEqual(FULL_ORDER_182);
    if (MAX_MINOR >= 96) expect(Object.keys((await api("GET", "/v1/nodes/detail", { version: 96 })).body.nodes[0])).toEqual(FULL_ORDER_196);
    expect((await api("GET", "/v1/nodes?detail=true", { version: 42 })).error).toBe("Invalid query parameter ?detail=true received.");
    expect((await api("GET", "/v1/nodes/detail?detail=true")).error).toBe("Unexpected arguments: detail");
    expect((await api("GET", "/v1/nodes/detail?fields=name")).error).toBe("Unexpected arguments: fields");
    expect((await api("GET", "/v1/nodes?fields=name&detail=true")).error).toBe("Can not specify ?detail=True and fields in the same request.");
  });
  it("fields: order, validity, version", async () => {
    const r = await api("GET", "/v1/nodes?fields=chassis_uuid,name,conductor,driver,traits,uuid&limit=1");
    expect(Object.keys(r.body.nodes[0])).toEqual(["uuid", "name", "driver", "traits", "links", "conductor", "chassis_uuid"]);
    expect(r.body.next).toContain("fields=chassis_uuid,name,conductor,driver,traits,uuid&limit=1&marker=");
    const noUuid = await api("GET", "/v1/nodes?fields=name");
    expect(Object.keys(noUuid.body.nodes[0])).toEqual(["name", "links"]);
    expect((await api("GET", "/v1/nodes?fields=foo")).error).toBe("Field foo is not a valid field.");
    expect((await api("GET", "/v1/nodes?fields=updated_at")).status).toBe(400);
    expect((await api("GET", "/v1/nodes?fields=name", { version: 7 })).status).toBe(406);
    expect((await api("GET", "/v1/nodes?fields=description", { version: 50 })).status).toBe(406);
  });
  it("paginates with next links only on full pages", async () => {
    const p1 = await api("GET", "/v1/nodes?limit=2");
    expect(p1.body.nodes).toHaveLength(2);
    expect(p1.body.next).toBe(
      `http://127.0.0.1:3000/baremetal/v1/nodes?sort_key=id&sort_dir=asc&fields=instance_uuid,maintenance,power_state,provision_state,uuid,name&limit=2&marker=${uuids[1]}`,
    );
    const p2 = await api("GET", p1.body.next.replace("http://127.0.0.1:3000/baremetal", ""));
    expect(p2.body.nodes.map((n: any) => n.uuid)).toEqual(uuids.slice(2, 4));
    const p3 = await api("GET", `/v1/nodes?limit=2&marker=${uuids[3]}`);
    expect(p3.body.nodes.map((n: any) => n.uuid)).toEqual([uuids[4]]);
    expect(p3.body).not.toHaveProperty("next");
    const det = await api("GET", "/v1/nodes/detail?limit=1&maintenance=true");
    expect(det.body.next).toBe(`http://127.0.0.1:3000/baremetal/v1/nodes/detail?sort_key=id&sort_dir=asc&maintenance=True&limit=1&marker=${uuids[0]}`);
    const mf = await api("GET", "/v1/nodes?limit=1&maintenance=false&detail=false");
    expect(mf.body.next).toContain("sort_dir=asc&detail=False&fields=");
    expect((await api("GET", "/v1/nodes?limit=0")).error).toBe("Limit must be positive");
    expect((await api("GET", "/v1/nodes?limit=abc")).error).toBe("Expected an integer for limit: abc");
    expect((await api("GET", "/v1/nodes?marker=zzz")).error).toBe("Expected UUID for marker: zzz");
  });
  it("answers an empty limit with Ironic's 400 on every list, as Ironic 21.4 does (int('') fails)", async () => {
    const lists = [
      "/v1/nodes", "/v1/nodes/detail", "/v1/ports", "/v1/portgroups", "/v1/chassis", "/v1/allocations", "/v1/deploy_templates",
      "/v1/conductors", "/v1/volume/connectors", "/v1/volume/targets", `/v1/nodes/${uuids[0]}/history`,
    ];
    for (const path of lists) {
      for (const raw of ["", "%20"]) {
        const r = await api("GET", `${path}?limit=${raw}`);
        expect([path, r.status, r.error]).toEqual([path, 400, `Expected an integer for limit: ${decodeURIComponent(raw)}`]);
      }
      // What Python's int() takes is a limit everywhere, the history included.
      for (const raw of ["%2B2", "1_0", "%202%20"]) expect([path, raw, (await api("GET", `${path}?limit=${raw}`)).status]).toEqual([path, raw, 200]);
    }
    const unknown = await api("GET", "/v1/nodes?marker=1be26c0b-03f2-4d2e-ae87-c02d7f33c123");
    expect(unknown.status).toBe(404);
    expect(unknown.error).toBe("Node 1be26c0b-03f2-4d2e-ae87-c02d7f33c123 could not be found.");
  });
  it("sorts", async () => {
    const r = await api("GET", "/v1/nodes?sort_key=name&sort_dir=desc");
    expect(r.body.nodes.map((n: any) => n.name)).toEqual(["list-4", "list-3", "list-2", "list-1", "list-0"]);
    const page = await api("GET", "/v1/nodes?sort_key=name&sort_dir=desc&limit=2");
    expect(page.body.next).toContain("sort_key=name&sort_dir=desc");
    const next = await api("GET", page.body.next.replace("http://127.0.0.1:3000/baremetal", ""));
    expect(next.body.nodes.map((n: any) => n.name)).toEqual(["list-2", "list-1"]);
    expect((await api("GET", "/v1/nodes?sort_key=properties")).error).toBe("The sort_key value properties is an invalid field for sorting");
    expect((await api("GET", "/v1/nodes?sort_key=foo")).error).toBe('The sort_key value "foo" is an invalid field for sorting');
    expect((await api("GET", "/v1/nodes?sort_dir=up")).error).toBe("Invalid sort direction: up. Acceptable values are 'asc' or 'desc'");
  });
  it("filters", async () => {
    const names = async (q: string, version = 82) => {
      const r = await api("GET", `/v1/nodes?${q}`, { version });
      expect(r.status, `${q}: ${r.error}`).toBe(200);
      return r.body.nodes.map((n: any) => n.name).sort();
    };
    expect(await names("maintenance=true")).toEqual(["list-0"]);
    expect(await names("associated=True")).toEqual(["list-1"]);
    expect(await names("associated=false")).toHaveLength(4);
    expect(await names("retired=1")).toEqual(["list-1"]);
    expect(await names("provision_state=available")).toEqual(["list-0"]);
    expect(await names("resource_class=odd")).toEqual(["list-1", "list-3"]);
    expect(await names("fault=power%20failure")).toEqual(["list-0"]);
    expect(await names("owner=p1")).toEqual(["list-0", "list-1"]);
    expect(await names("lessee=p1")).toEqual(["list-4"]);
    expect(await names("project=p1")).toEqual(["list-0", "list-1", "list-4"]);
    expect(await names("description_contains=box%203")).toEqual(["list-3"]);
    expect(await names("driver=fake-hardware")).toHaveLength(5);
    expect(await names("conductor_group=")).toHaveLength(5);
    expect(await names("instance_uuid=1be26c0b-03f2-4d2e-ae87-c02d7f33c199")).toEqual(["list-1"]);
    expect(await names("conductor=nobody")).toEqual([]);
    expect(await names("sharded=false")).toHaveLength(5);
    const bad = async (q: string, status: number, msg: string, version = 82) => {
      const r = await api("GET", `/v1/nodes?${q}`, { version });
      expect(r.status, q).toBe(status);
      expect(r.error).toBe(msg);
    };
    await bad("provision_state=bogus", 400, 'Provision state "bogus" is not valid');
    await bad("fault=bogus", 400, `Unrecognized fault "bogus" is specified, allowed faults are ('power failure', 'clean failure', 'rescue abort failure', 'service failure')`);
    await bad("associated=foo", 400, "Invalid associated: Unrecognized value 'foo', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'");
    await bad("instance_uuid=xyz", 400, "Expected UUID for instance_uuid: xyz");
    await bad("unknownparam=1", 400, "Unexpected arguments: unknownparam");
    await bad("provision_state=available", 406, "Request not acceptable.", 8);
    await bad("driver=x", 406, "Request not acceptable. The minimal required API version should be 1.16", 15);
    await bad("owner=x", 406, "Request not acceptable. The minimal required API version should be 1.50", 49);
    await bad("conductor=x", 406, "Request not acceptable. The minimal required API version should be 1.49", 48);
    await bad("shard=x", 406, "Request not acceptable. The minimal required API version should be 1.82", 81);
  });
  it("serializes a 1,000-node detail page, secrets masked", async () => {
    const now = new Date().toISOString();
    await db.sql.tx(async (tx) => {
      for (let i = 0; i < 1000; i++) {
        await tx.run(
          `INSERT INTO "Node" ("uuid", "driver", "provisionState", "createdAt", "driverInfo", "properties") VALUES (?, 'fake-hardware', 'available', ?, ?, '{"cpus": 4}')`,
          [`00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, now, JSON.stringify({ ipmi_password: "secret", ipmi_address: "10.0.0.1" })],
        );
      }
    });
    // Its speed is a benchmark (npm run bench), not an assertion here.
    const r = await api("GET", "/v1/nodes/detail?limit=1000");
    expect(r.body.nodes).toHaveLength(1000);
    expect(r.body.nodes.find((n: any) => n.driver_info.ipmi_password).driver_info.ipmi_password).toBe("******");
    await db.sql.run(`DELETE FROM "Node" WHERE "uuid" LIKE '00000000-0000-4000-8000-%'`);
  });
});

describe("GET /v1/nodes/{ident}", () => {
  it("finds by uuid or name (names ≥1.5), with fields", async () => {
    const n = await create({ name: "show-1", driver_info: { ipmi_password: "p", ipmi_username: "u" }, instance_info: { configdrive: "x", image_source: "i" } });
    const r = await api("GET", "/v1/nodes/show-1");
    expect(r.status).toBe(200);
    expect(r.body.uuid).toBe(n.uuid);
    expect(r.body.driver_info).toEqual({ ipmi_password: "******", ipmi_username: "u" });
    expect(r.body.instance_info).toEqual({ configdrive: "******", image_source: "i" });
    expect(r.headers.get("etag")).toBeTruthy();
    const old = await api("GET", "/v1/nodes/show-1", { version: 4 });
    expect(old.status).toBe(404);
    expect(old.error).toBe("Node show-1 could not be found.");
    expect((await api("GET", `/v1/nodes/${n.uuid}`, { version: 4 })).status).toBe(200);
    const f = await api("GET", "/v1/nodes/show-1?fields=name,allocation_uuid,uuid");
    expect(Object.keys(f.body)).toEqual(["uuid", "name", "links", "allocation_uuid"]);
    expect((await api("GET", "/v1/nodes/show-1?fields=links")).error).toBe("Field links is not a valid field.");
    expect((await api("GET", "/v1/nodes/nothere")).status).toBe(404);
  });
  it("shows inspect wait as inspecting below 1.39, allocation and chassis uuids", async () => {
    const n = await create();
    const node = (await getNodeByUuid(db.sql, n.uuid))!;
    await db.sql.run(`INSERT INTO "Chassis" ("uuid", "createdAt") VALUES ('2be26c0b-03f2-4d2e-ae87-c02d7f33c123', ?)`, [new Date().toISOString()]);
    const ch = await db.sql.get<{ id: number }>(`SELECT "id" FROM "Chassis"`);
    await db.sql.run(`INSERT INTO "Allocation" ("uuid", "state", "nodeId", "createdAt") VALUES ('3be26c0b-03f2-4d2e-ae87-c02d7f33c123', 'active', ?, ?)`, [node.id, new Date().toISOString()]);
    const al = await db.sql.get<{ id: number }>(`SELECT "id" FROM "Allocation"`);
    await updateNode(db.sql, node.id, { provisionState: "inspect wait", targetProvisionState: "manageable", chassisId: ch!.id, allocationId: al!.id });
    expect((await api("GET", `/v1/nodes/${n.uuid}`, { version: 38 })).body.provision_state).toBe("inspecting");
    const r = await api("GET", `/v1/nodes/${n.uuid}`);
    expect(r.body.provision_state).toBe("inspect wait");
    expect(r.body.chassis_uuid).toBe("2be26c0b-03f2-4d2e-ae87-c02d7f33c123");
    expect(r.body.allocation_uuid).toBe("3be26c0b-03f2-4d2e-ae87-c02d7f33c123");
    const list = await api("GET", `/v1/nodes/detail?chassis_uuid=2be26c0b-03f2-4d2e-ae87-c02d7f33c123`);
    expect(list.body.nodes.map((x: any) => x.allocation_uuid)).toEqual(["3be26c0b-03f2-4d2e-ae87-c02d7f33c123"]);
    await updateNode(db.sql, node.id, { allocationId: null, chassisId: null, provisionState: "manageable", targetProvisionState: null });
    await db.sql.run(`DELETE FROM "Allocation"`);
  });
});

describe("PATCH /v1/nodes/{ident}", () => {
  const patch = (ident: string, body: unknown, opts: { version?: number; headers?: Record<string, string>; q?: string } = {}) =>
    api("PATCH", `/v1/nodes/${ident}${opts.q ?? ""}`, { body, version: opts.version ?? 82, headers: opts.headers });

  it("applies add/replace/remove to the node", async () => {
    const n = await create({ name: "p-1", extra: { a: 1 } });
    const r = await patch("p-1", [
      { op: "add", path: "/extra/foo", value: "bar" },
      { op: "remove", path: "/extra/a" },
      { op: "replace", path: "/description", value: "hello" },
      { op: "add", path: "/properties/cpus", value: 4 },
      { op: "replace", path: "/maintenance", value: "true" },
    ]);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(FULL_ORDER_182);
    expect(r.body.extra).toEqual({ foo: "bar" });
    expect(r.body.description).toBe("hello");
    expect(r.body.properties).toEqual({ cpus: 4 });
    expect(r.body.maintenance).toBe(true);
    expect(r.body.updated_at).not.toBeNull();
    const off = await patch(n.uuid, [{ op: "replace", path: "/maintenance", value: false }, { op: "remove", path: "/extra" }, { op: "remove", path: "/name" }]);
    expect(off.body.maintenance).toBe(false);
    expect(off.body.extra).toEqual({});
    expect(off.body.name).toBeNull();
    const empty = await patch(n.uuid, []);
    expect(empty.status).toBe(200);
  });
  it("refuses non-patchable fields and bad values with Ironic's texts", async () => {
    const n = await create({ name: "p-2" });
    const bad = async (ops: unknown, status: number, msg: string | RegExp, version = 82, q = "") => {
      const r = await patch("p-2", ops, { version, q });
      expect(r.status, JSON.stringify(ops)).toBe(status);
      if (typeof msg === "string") expect(r.error).toBe(msg);
      else expect(r.error).toMatch(msg);
    };
    const list =
      "automated_clean, bios_interface, boot_interface, chassis_uuid, conductor_group, console_interface, deploy_interface, description, driver, driver_info, extra, firmware_interface, inspect_interface, instance_info, instance_uuid, lessee, maintenance, management_interface, name, network_data, network_interface, owner, parent_node, power_interface, properties, protected, protected_reason, raid_interface, rescue_interface, resource_class, retired, retired_reason, shard, storage_interface, vendor_interface, disable_power_off";
    await bad([{ op: "replace", path: "/uuid", value: "x" }], 400, `Cannot patch /uuid. Only the following can be updated: ${list}`);
    await bad([{ op: "replace", path: "/traits", value: [] }], 400, /^Cannot patch \/traits\./);
    await bad([{ op: "add", path: "/foo", value: 1 }], 400, /^Cannot patch \/foo\./);
    await bad([{ op: "replace", path: "/last_error", value: "x" }], 400, /^Cannot patch \/last_error\./);
    await bad([{ op: "replace", path: "/owner", value: "x" }], 406, "Request not acceptable.", 49);
    await bad([{ op: "replace", path: "/extra", value: "str" }], 400, "Schema error for patch: 'str' is not of type 'object', 'null'");
    await bad([{ op: "replace", path: "/resource_class", value: 1 }], 400, "Schema error for patch: 1 is not of type 'string', 'null'");
    await bad([{ op: "remove", path: "/driver" }], 400, "Schema error for patch: 'driver' is a required property");
    await bad([{ op: "replace", path: "/driver", value: "nope" }], 400, /No valid host was found/);
    await bad([{ op: "replace", path: "/name", value: "a b" }], 400, "Node p-2: Cannot change name to invalid name 'a b'");
    await bad([{ op: "replace", path: "/instance_uuid", value: "bad" }], 400, "Expected UUID for instance_uuid: bad");
    await bad([{ op: "replace", path: "/boot_interface", value: "nope" }], 400, /Could not find the following interface in the 'ironic.hardware.interfaces.boot' entrypoint: nope/);
    await bad([{ op: "replace", path: "/extra/a/b", value: 1 }], 400, "Couldn't apply patch '{'op': 'replace', 'path': '/extra/a/b', 'value': 1}'. Reason: member 'a' not found in {}");
    await bad([{ op: "replace", path: "/protected", value: true }], 409, `Node ${n.uuid} can only be made protected in provision states 'active' or 'rescue', the current state is 'enroll'`);
    await bad([{ op: "replace", path: "/protected_reason", value: "x" }], 400, "The protected_reason field can only be set when protected is True");
    await bad([{ op: "replace", path: "/resource_class", value: "x" }], 400, "The reset_interfaces parameter can only be used when changing the node's driver.", 82, "?reset_interfaces=true");
    await bad([{ op: "replace", path: "/driver", value: "fake-hardware" }], 406, "Request not acceptable.", 44, "?reset_interfaces=true");
    await bad([{ op: "replace", path: "/conductor_group", value: "a b" }], 400, /conductor group "a b"/);
    await bad([{ op: "replace", path: "/chassis_uuid", value: "1be26c0b-03f2-4d2e-ae87-c02d7f33c123" }], 400, "Chassis 1be26c0b-03f2-4d2e-ae87-c02d7f33c123 could not be found.");
    await bad([{ op: "remove", path: "/maintenance" }], 400, "Field `maintenance' cannot be None");
    await bad({ op: "add" }, 400, "Schema error for patch: {'op': 'add'} is not of type 'array'");
  });
  it("name uniqueness, instance association, retired/protected state rules", async () => {
    await create({ name: "p-3" });
    const n = await create({ name: "p-4" });
    let r = await patch("p-4", [{ op: "replace", path: "/name", value: "p-3" }]);
    expect(r.status).toBe(409);
    expect(r.error).toBe("A node with name p-3 already exists.");
    r = await patch("p-4", [{ op: "add", path: "/instance_uuid", value: "1be26c0b-03f2-4d2e-ae87-c02d7f33c125" }]);
    expect(r.status).toBe(200);
    r = await patch("p-4", [{ op: "replace", path: "/instance_uuid", value: "1be26c0b-03f2-4d2e-ae87-c02d7f33c126" }]);
    expect(r.status).toBe(409);
    expect(r.error).toBe(`Node ${n.uuid} is associated with instance 1be26c0b-03f2-4d2e-ae87-c02d7f33c125.`);
    r = await patch("p-4", [{ op: "remove", path: "/instance_uuid" }]);
    expect(r.body.instance_uuid).toBeNull();
    const id = (await getNodeByUuid(db.sql, n.uuid))!.id;
    await updateNode(db.sql, id, { provisionState: "available" });
    r = await patch("p-4", [{ op: "replace", path: "/retired", value: true }]);
    expect(r.status).toBe(409);
    expect(r.error).toBe(`Node ${n.uuid} can not have 'retired' set in provision state 'available', the current state is 'available'`);
    await updateNode(db.sql, id, { provisionState: "active" });
    r = await patch("p-4", [{ op: "replace", path: "/protected", value: true }, { op: "replace", path: "/protected_reason", value: "prod" }]);
    expect(r.body.protected).toBe(true);
    expect(r.body.protected_reason).toBe("prod");
    r = await patch("p-4", [{ op: "replace", path: "/boot_interface", value: "fake" }]);
    expect(r.status).toBe(200); // unchanged value is not a change
    r = await patch("p-4", [{ op: "replace", path: "/resource_class", value: "a" }]);
    expect(r.status).toBe(200); // unset → set is fine on active
    r = await patch("p-4", [{ op: "replace", path: "/resource_class", value: "b" }]);
    expect(r.status).toBe(409);
    r = await patch("p-4", [{ op: "replace", path: "/protected", value: false }]);
    expect(r.body.protected_reason).toBeNull();
  });
  it("refuses updates during transitions (409) except a lone instance_uuid removal in maintenance", async () => {
    const n = await create({ instance_uuid: "1be26c0b-03f2-4d2e-ae87-c02d7f33c127" });
    const id = (await getNodeByUuid(db.sql, n.uuid))!.id;
    await updateNode(db.sql, id, { provisionState: "deploying", targetProvisionState: "active" });
    let r = await patch(n.uuid, [{ op: "add", path: "/extra/a", value: 1 }]);
    expect(r.status).toBe(409);
    expect(r.error).toBe(`Node ${n.uuid} can not be updated while a state transition is in progress.`);
    r = await patch(n.uuid, [{ op: "remove", path: "/instance_uuid" }]);
    expect(r.status).toBe(409);
    await updateNode(db.sql, id, { maintenance: true });
    r = await patch(n.uuid, [{ op: "remove", path: "/instance_uuid" }]);
    expect(r.status).toBe(200);
    await updateNode(db.sql, id, { provisionState: "deploy failed" });
    r = await patch(n.uuid, [{ op: "add", path: "/extra/a", value: 1 }]);
    expect(r.status).toBe(200); // deploy failed is in UPDATE_ALLOWED_STATES
  });
  it("changes driver with reset_interfaces and validates interfaces", async () => {
    const n = await create();
    const r = await patch(n.uuid, [{ op: "replace", path: "/driver", value: "fake-hardware" }], { q: "?reset_interfaces=True" });
    expect(r.status).toBe(200);
    const r2 = await patch(n.uuid, [{ op: "replace", path: "/deploy_interface", value: "fake" }, { op: "remove", path: "/network_interface" }]);
    expect(r2.status).toBe(200);
    expect(r2.body.network_interface).toBe("noop");
  });
  it("ETag / If-Match, locked nodes", async () => {
    const n = await create();
    const g = await api("GET", `/v1/nodes/${n.uuid}`);
    const etag = g.headers.get("etag")!;
    const ok = await patch(n.uuid, [{ op: "add", path: "/extra/a", value: 1 }], { headers: { "If-Match": etag } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("etag")).not.toBe(etag);
    const stale = await patch(n.uuid, [{ op: "add", path: "/extra/b", value: 1 }], { headers: { "If-Match": etag } });
    expect(stale.status).toBe(412);
    const id = (await getNodeByUuid(db.sql, n.uuid))!.id;
    await db.sql.run(`UPDATE "Node" SET "reservation" = 'other-host' WHERE "id" = ?`, [id]);
    const locked = await patch(n.uuid, [{ op: "add", path: "/extra/c", value: 1 }]);
    expect(locked.status).toBe(409);
    expect(locked.error).toBe(`Node ${n.uuid} is locked by host other-host, please retry after the current operation is completed.`);
    await db.sql.run(`UPDATE "Node" SET "reservation" = NULL WHERE "id" = ?`, [id]);
  });
});

describe("DELETE /v1/nodes/{ident}", () => {
  it("deletes through the conductor", async () => {
    const n = await create({ name: "del-1" });
    const r = await api("DELETE", "/v1/nodes/del-1");
    expect(r.status).toBe(204);
    expect(r.body).toBeNull();
    expect((await api("GET", `/v1/nodes/${n.uuid}`)).status).toBe(404);
    expect((await api("DELETE", "/v1/nodes/del-1")).status).toBe(404);
    const a = await create({ name: "del-2" });
    await updateNode(db.sql, (await getNodeByUuid(db.sql, a.uuid))!.id, { provisionState: "active" });
    expect((await api("DELETE", "/v1/nodes/del-2")).status).toBe(409);
  });
});

describe("policy (project-scoped callers)", () => {
  const principals: Record<string, Principal> = {
    sysadmin: { userId: "u0", username: "admin", systemRole: "admin", projectId: null, projectRole: null },
    owner: { userId: "u1", username: "owner", systemRole: null, projectId: "own", projectRole: "admin" },
    ownerReader: { userId: "u1r", username: "owner-reader", systemRole: null, projectId: "own", projectRole: "reader" },
    lessee: { userId: "u2", username: "lessee", systemRole: null, projectId: "lease", projectRole: "member" },
    other: { userId: "u3", username: "other", systemRole: null, projectId: "else", projectRole: "admin" },
  };
  const call = async (who: string, method: string, path: string, body?: unknown) => {
    const res = await handleBaremetal(
      new Request(`http://127.0.0.1:3000/baremetal${path}`, {
        method,
        headers: { "X-Test-User": who, "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  let uuid = "";
  beforeAll(async () => {
    delete process.env.INGOT_API_AUTH;
    setCredentialResolver(async (req) => principals[req.headers.get("X-Test-User") ?? ""] ?? null);
    const n = await call("sysadmin", "POST", "/v1/nodes", { driver: "fake-hardware", owner: "own", lessee: "lease", name: "pol-1", driver_info: { ipmi_address: "1.2.3.4" } });
    uuid = n.body.uuid;
    await updateNode(db.sql, (await getNodeByUuid(db.sql, uuid))!.id, { lastError: "boom", reservation: null, driverInternalInfo: { x: 1 } });
  });
  afterEach(() => undefined);
  afterAll(() => {
    process.env.INGOT_API_AUTH = "noauth";
  });

  it("owner sees own nodes unredacted; lessee redacted; others 404", async () => {
    const o = await call("owner", "GET", `/v1/nodes/${uuid}`);
    expect(o.status).toBe(200);
    expect(o.body.last_error).toBe("boom");
    expect(o.body.driver_info).toEqual({ ipmi_address: "1.2.3.4" });
    const l = await call("lessee", "GET", `/v1/nodes/${uuid}`);
    expect(l.status).toBe(200);
    expect(l.body.last_error).toBe("** Value Redacted - Requires baremetal:node:get:last_error permission. **");
    expect(l.body.driver_info).toEqual({ content: "** Redacted - requires baremetal:node:get:driver_info permission. **" });
    expect(l.body.driver_internal_info.content).toMatch(/Redacted/);
    expect(l.body.reservation).toBe("** Redacted - requires baremetal:node:get:reservation permission. **");
    const x = await call("other", "GET", `/v1/nodes/${uuid}`);
    expect(x.status).toBe(404);
    expect(JSON.parse(x.body.error_message).faultstring).toBe(`Node ${uuid} could not be found.`);
    expect((await call("nobody", "GET", `/v1/nodes/${uuid}`)).status).toBe(401);
  });
  it("lists only owned or leased nodes; other projects → 403", async () => {
    const o = await call("owner", "GET", "/v1/nodes");
    expect(o.body.nodes.map((n: any) => n.uuid)).toEqual([uuid]);
    expect((await call("lessee", "GET", "/v1/nodes")).body.nodes.map((n: any) => n.uuid)).toEqual([uuid]);
    expect((await call("other", "GET", "/v1/nodes")).body.nodes).toEqual([]);
    expect((await call("owner", "GET", "/v1/nodes?owner=else")).status).toBe(403);
    expect((await call("owner", "GET", "/v1/nodes?project=else")).status).toBe(403);
    expect((await call("sysadmin", "GET", "/v1/nodes")).body.nodes.length).toBeGreaterThan(1);
  });
  it("per-field PATCH policies and create/delete rules", async () => {
    expect((await call("lessee", "PATCH", `/v1/nodes/${uuid}`, [{ op: "add", path: "/extra/a", value: 1 }])).status).toBe(200);
    expect((await call("lessee", "PATCH", `/v1/nodes/${uuid}`, [{ op: "add", path: "/driver_info/a", value: 1 }])).status).toBe(403);
    expect((await call("owner", "PATCH", `/v1/nodes/${uuid}`, [{ op: "add", path: "/driver_info/a", value: 1 }])).status).toBe(200);
    expect((await call("owner", "PATCH", `/v1/nodes/${uuid}`, [{ op: "replace", path: "/owner", value: "x" }])).status).toBe(403);
    expect((await call("ownerReader", "PATCH", `/v1/nodes/${uuid}`, [{ op: "add", path: "/extra/b", value: 1 }])).status).toBe(403);
    const c = await call("owner", "POST", "/v1/nodes", { driver: "fake-hardware" });
    expect(c.status).toBe(201);
    expect(c.body.owner).toBe("own");
    const c2 = await call("owner", "POST", "/v1/nodes", { driver: "fake-hardware", owner: "else" });
    expect(c2.status).toBe(400);
    expect((await call("lessee", "POST", "/v1/nodes", { driver: "fake-hardware" })).status).toBe(403);
    expect((await call("lessee", "DELETE", `/v1/nodes/${c.body.uuid}`)).status).toBe(404);
    expect((await call("owner", "DELETE", `/v1/nodes/${c.body.uuid}`)).status).toBe(204);
  });
});

describe("If-Match on every node write (Ingot extension)", () => {
  it("refuses a stale ETag on PUT sub-resources and accepts the current one", async () => {
    const created = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name: "ifmatch-put" } });
    expect(created.status).toBe(201);
    const etag = created.headers.get("ETag")!;
    const ok = await api("PUT", "/v1/nodes/ifmatch-put/traits/CUSTOM_ONE", { headers: { "If-Match": etag } });
    expect(ok.status).toBe(204);
    // The trait changed the node, so the old ETag is stale now.
    const stale = await api("PUT", "/v1/nodes/ifmatch-put/traits/CUSTOM_TWO", { headers: { "If-Match": etag } });
    expect(stale.status).toBe(412);
    expect(stale.error).toMatch(/has changed/);
    const traits = await api("GET", "/v1/nodes/ifmatch-put/traits");
    expect(traits.body.traits).toEqual(["CUSTOM_ONE"]);
    const fresh = (await api("GET", "/v1/nodes/ifmatch-put")).headers.get("ETag")!;
    expect((await api("PUT", "/v1/nodes/ifmatch-put/maintenance", { body: { reason: "x" }, headers: { "If-Match": fresh } })).status).toBe(202);
  });
});
