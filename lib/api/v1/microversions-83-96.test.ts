// Microversions 1.83–1.96 (reference §3.2) end to end through the real conductor (fake-hardware):
// parent_node + children, unhold, firmware_interface + /firmware, service, port names, virtual
// media, OVN VTEP local_link_connection, no .json suffix handling, port create with node_ident,
// disable_power_off. (1.84 continue_inspection and 1.96 inspection rules are tested with the
// inspection code; 1.92 runbooks in node_steps / steps-lifecycle tests.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { getNodeByUuid, updateNode } from "../../core/db/nodes.ts";
import type { Principal } from "../../core/policy.ts";
import { api, type CallOptions } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { MAX_MINOR } from "../version.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  await startConductor({ hostname: "mv-conductor", periodic: false });
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

/** Requests default to 1.96 here (not "latest": the maximum may be lower). */
const call = (method: string, path: string, opts: CallOptions = {}) => api(method, path, { version: 96, ...opts });
const settle = () => getConductor().pool.drain();
let macSeq = 0;
const mac = () => `52:54:00:00:aa:${(macSeq++).toString(16).padStart(2, "0")}`;

async function create(body: Record<string, unknown> = {}, version: number = 96): Promise<Record<string, any>> {
  const r = await call("POST", "/v1/nodes", { body: { driver: "fake-hardware", ...body }, version });
  expect(r.status, r.error ?? "").toBe(201);
  return r.body;
}
const patch = (ident: string, ops: unknown, version: number = 96) => call("PATCH", `/v1/nodes/${ident}`, { body: ops, version });
const provision = (ident: string, body: unknown, version: number = 96) => call("PUT", `/v1/nodes/${ident}/states/provision`, { body, version });

async function toAvailable(name: string, extra: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const n = await create({ name, ...extra });
  expect((await provision(name, { target: "manage" })).status).toBe(202);
  await settle();
  expect((await provision(name, { target: "provide" })).status).toBe(202);
  await settle();
  return n;
}

describe("version range", () => {
  it("advertises the maximum and the /v1 resource keys of 1.84, 1.92 and 1.96 at their versions", async () => {
    expect(MAX_MINOR).toBeGreaterThanOrEqual(83);
    const root = await call("GET", "/", { version: null });
    expect(root.body.default_version.version).toBe(`1.${MAX_MINOR}`);
    for (const [key, since] of [["continue_inspection", 84], ["runbooks", 92], ["inspection_rules", 96]] as const) {
      expect((await call("GET", "/v1", { version: since })).body[key], key).toBeDefined();
      expect((await call("GET", "/v1", { version: since - 1 })).body[key], key).toBeUndefined();
    }
  });
});

describe("1.83 parent_node, children, include_children", () => {
  it("is hidden and refused below 1.83", async () => {
    const n = await create({ name: "pn-old" }, 82);
    expect("parent_node" in n).toBe(false);
    expect((await call("GET", "/v1/nodes/pn-old?fields=parent_node", { version: 82 })).status).toBe(406);
    expect((await call("GET", "/v1/nodes?parent_node=x", { version: 82 })).status).toBe(406);
    expect((await call("GET", "/v1/nodes?include_children=true", { version: 82 })).status).toBe(406);
    expect((await patch("pn-old", [{ op: "add", path: "/parent_node", value: "pn-old" }], 82)).status).toBe(406);
    expect((await call("POST", "/v1/nodes", { body: { driver: "fake-hardware", parent_node: "pn-old" }, version: 82 })).status).toBe(406);
    expect((await call("GET", "/v1/nodes/pn-old/children", { version: 82 })).status).toBe(404);
  });

  it("sets parent_node by name or uuid, validates it, lists children", async () => {
    const parent = await create({ name: "pn-parent" });
    expect(parent.parent_node).toBeNull();
    const child = await create({ name: "pn-child", parent_node: "pn-parent" });
    expect(child.parent_node).toBe(parent.uuid);
    const c2 = await create({ name: "pn-child2" });
    let r = await patch("pn-child2", [{ op: "add", path: "/parent_node", value: parent.uuid }]);
    expect(r.status, r.error ?? "").toBe(200);
    expect(r.body.parent_node).toBe(parent.uuid);
    // bad input
    r = await patch("pn-child2", [{ op: "replace", path: "/parent_node", value: "no-such-node" }]);
    expect(r.status).toBe(400);
    expect(r.error).toMatch(/no-such-node could not be found/);
    r = await patch("pn-child2", [{ op: "replace", path: "/parent_node", value: "pn-child2" }]);
    expect(r.status).toBe(400);
    expect(r.error).toMatch(/own parent/);
    r = await patch("pn-child2", [{ op: "replace", path: "/parent_node", value: 5 }]);
    expect(r.status).toBe(400);
    r = await call("POST", "/v1/nodes", { body: { driver: "fake-hardware", parent_node: "nope" } });
    expect(r.status).toBe(400);

    // children
    r = await call("GET", "/v1/nodes/pn-parent/children");
    expect(r.status).toBe(200);
    expect(r.body.children.sort()).toEqual([child.uuid, c2.uuid].sort());
    r = await call("GET", "/v1/nodes/pn-parent/children?detail=true");
    expect(r.body.children.map((n: any) => n.name).sort()).toEqual(["pn-child", "pn-child2"]);
    expect((await call("GET", "/v1/nodes/pn-parent/children?bogus=1")).status).toBe(400);
    expect((await call("GET", "/v1/nodes/pn-child/children")).body.children).toEqual([]);

    // hidden from lists by default
    const names = async (q: string) => (await call("GET", `/v1/nodes${q}`)).body.nodes.map((n: any) => n.name);
    expect(await names("")).not.toContain("pn-child");
    expect(await names("?include_children=true")).toContain("pn-child");
    expect((await names("?parent_node=pn-parent")).sort()).toEqual(["pn-child", "pn-child2"]);
    expect((await names(`?parent_node=${parent.uuid}`)).sort()).toEqual(["pn-child", "pn-child2"]);
    expect((await call("GET", "/v1/nodes?include_children=maybe")).status).toBe(400);

    // removal
    r = await patch("pn-child2", [{ op: "remove", path: "/parent_node" }]);
    expect(r.body.parent_node).toBeNull();
    expect(await names("")).toContain("pn-child2");
  });
});

describe("1.85 unhold and 1.87 service", () => {
  it("holds a manual clean and releases it with unhold; unhold is 406 below 1.85", async () => {
    await create({ name: "hold-1" });
    await provision("hold-1", { target: "manage" });
    await settle();
    let r = await provision("hold-1", { target: "clean", clean_steps: [{ interface: "deploy", step: "hold" }] });
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    expect((await call("GET", "/v1/nodes/hold-1")).body.provision_state).toBe("clean hold");
    expect((await provision("hold-1", { target: "unhold" }, 84)).status).toBe(406);
    r = await provision("hold-1", { target: "unhold" }, 85);
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    expect((await call("GET", "/v1/nodes/hold-1")).body.provision_state).toBe("manageable");
  });

  it("services an active node; service_step hidden below 1.87", async () => {
    await toAvailable("svc-1");
    await provision("svc-1", { target: "active" });
    await settle();
    expect((await provision("svc-1", { target: "service", service_steps: [{ interface: "deploy", step: "wait", args: { seconds: 0 } }] }, 86)).status).toBe(406);
    const r = await provision("svc-1", { target: "service", service_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "WakeOnLan", value: "false" }] } }] }, 87);
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    const n = (await call("GET", "/v1/nodes/svc-1", { version: 87 })).body;
    expect(n.provision_state).toBe("active");
    expect(n.service_step).toEqual({});
    expect("service_step" in (await call("GET", "/v1/nodes/svc-1", { version: 86 })).body).toBe(false);
    expect((await call("GET", "/v1/nodes/svc-1?fields=service_step", { version: 86 })).status).toBe(406);
  });
});

describe("1.86 firmware_interface and /firmware", () => {
  it("gates the field and the endpoint", async () => {
    const n = await create({ name: "fw-old" }, 85);
    expect("firmware_interface" in n).toBe(false);
    expect((await call("GET", "/v1/nodes/fw-old/firmware", { version: 85 })).status).toBe(404);
    expect((await patch("fw-old", [{ op: "replace", path: "/firmware_interface", value: "no-firmware" }], 85)).status).toBe(406);
    expect((await call("POST", "/v1/nodes", { body: { driver: "fake-hardware", firmware_interface: "fake" }, version: 85 })).status).toBe(406);
  });

  it("patches the interface (fake / no-firmware only) and records flashed components", async () => {
    const n = await create({ name: "fw-1" });
    expect(n.firmware_interface).toBe("fake");
    let r = await patch("fw-1", [{ op: "replace", path: "/firmware_interface", value: "no-firmware" }]);
    expect(r.status, r.error ?? "").toBe(200);
    expect(r.body.firmware_interface).toBe("no-firmware");
    r = await patch("fw-1", [{ op: "replace", path: "/firmware_interface", value: "redfish" }]);
    expect(r.status).toBe(400);
    r = await patch("fw-1", [{ op: "replace", path: "/firmware_interface", value: "fake" }]);
    expect(r.status).toBe(200);
    expect((await call("GET", "/v1/nodes/fw-1/firmware")).body).toEqual({ firmware: [] });
    await provision("fw-1", { target: "manage" });
    await settle();
    // The step is priority 0 (manual only); a bad argument names it.
    r = await provision("fw-1", { target: "clean", clean_steps: [{ interface: "firmware", step: "update", args: { settings: [{ component: "bios" }] } }] });
    expect(r.status).toBe(400);
    expect(r.error).toMatch(/url/);
    r = await provision("fw-1", {
      target: "clean",
      clean_steps: [{ interface: "firmware", step: "update", args: { settings: [{ component: "bios", url: "http://x/bios-2.1.0.bin" }, { component: "bmc", url: "http://x/bmc-7.10.bin" }] } }],
    });
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    const node = (await call("GET", "/v1/nodes/fw-1")).body;
    expect(node.provision_state, node.last_error ?? "").toBe("manageable");
    r = await call("GET", "/v1/nodes/fw-1/firmware");
    expect(r.status).toBe(200);
    expect(r.body.firmware.map((f: any) => [f.component, f.initial_version, f.current_version, f.last_version_flashed])).toEqual([
      ["bios", "1.0.0", "2.1.0", "2.1.0"],
      ["bmc", "1.0.0", "7.10", "7.10"],
    ]);
    expect(Object.keys(r.body.firmware[0])).toEqual(["created_at", "updated_at", "component", "initial_version", "current_version", "last_version_flashed"]);
    // no-firmware refuses the step
    await patch("fw-1", [{ op: "replace", path: "/firmware_interface", value: "no-firmware" }]);
    r = await provision("fw-1", { target: "clean", clean_steps: [{ interface: "firmware", step: "update", args: { settings: [{ component: "bios", url: "http://x/b-3.0.bin" }] } }] });
    expect(r.status).toBe(400);
  });

  it("driver detail shows the firmware interfaces from 1.86", async () => {
    expect((await call("GET", "/v1/drivers/fake-hardware", { version: 86 })).body.enabled_firmware_interfaces).toEqual(["fake", "no-firmware"]);
    expect((await call("GET", "/v1/drivers/fake-hardware", { version: 85 })).body.enabled_firmware_interfaces).toBeUndefined();
    expect((await call("GET", "/v1/drivers?fields=name,default_firmware_interface", { version: 85 })).status).toBe(406);
  });
});

describe("1.88 port name, 1.90 VTEP keys, 1.94 node_ident", () => {
  let node: Record<string, any>;
  beforeAll(async () => {
    node = await create({ name: "port-host" });
  });

  it("creates, shows, patches and looks ports up by name", async () => {
    let r = await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, name: "eth0-a" } });
    expect(r.status, r.error ?? "").toBe(201);
    expect(r.body.name).toBe("eth0-a");
    const uuid = r.body.uuid;
    expect((await call("GET", "/v1/ports/eth0-a")).body.uuid).toBe(uuid);
    expect((await call("GET", "/v1/ports/eth0-a", { version: 87 })).status).toBe(400);
    expect("name" in (await call("GET", `/v1/ports/${uuid}`, { version: 87 })).body).toBe(false);
    expect((await call("GET", `/v1/ports?fields=name`, { version: 87 })).status).toBe(406);
    expect((await call("GET", "/v1/ports/no-such-port")).status).toBe(404);
    // unique → 409
    r = await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, name: "eth0-a" } });
    expect(r.status).toBe(409);
    expect(r.error).toMatch(/name eth0-a already exists/);
    // bad names
    expect((await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, name: "bad name" } })).status).toBe(400);
    expect((await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, name: "11111111-2222-3333-4444-555555555555" } })).status).toBe(400);
    expect((await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, name: "p" }, version: 87 })).status).toBe(406);
    // patch (by name) and rename conflicts
    r = await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, name: "eth1-a" } });
    expect(r.status).toBe(201);
    r = await call("PATCH", "/v1/ports/eth1-a", { body: [{ op: "replace", path: "/name", value: "eth0-a" }] });
    expect(r.status).toBe(409);
    r = await call("PATCH", "/v1/ports/eth1-a", { body: [{ op: "replace", path: "/name", value: "eth1-b" }] });
    expect(r.status, r.error ?? "").toBe(200);
    expect(r.body.name).toBe("eth1-b");
    expect((await call("PATCH", "/v1/ports/eth1-b", { body: [{ op: "replace", path: "/name", value: "x" }], version: 87 })).status).toBe(400);
    r = await call("PATCH", `/v1/ports/${r.body.uuid}`, { body: [{ op: "remove", path: "/name" }] });
    expect(r.body.name).toBeNull();
    expect((await call("DELETE", "/v1/ports/eth0-a")).status).toBe(204);
  });

  it("accepts the OVN VTEP local_link_connection keys from 1.90", async () => {
    const llc = { "vtep-logical-switch": "ls1", "vtep-physical-switch": "ps1", port_id: "p1" };
    let r = await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, local_link_connection: llc } });
    expect(r.status, r.error ?? "").toBe(201);
    expect(r.body.local_link_connection).toEqual(llc);
    expect((await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, local_link_connection: llc }, version: 89 })).status).toBe(406);
    r = await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, local_link_connection: { "vtep-logical-switch": "ls1", port_id: "p1" } } });
    expect(r.status).toBe(400);
    expect(r.error).toMatch(/vtep-physical-switch/);
    r = await call("POST", "/v1/ports", { body: { address: mac(), node_uuid: node.uuid, local_link_connection: { ...llc, hostname: "h" } } });
    expect(r.status).toBe(400);
  });

  it("creates a port with node_ident (uuid or name) from 1.94, exactly one of node_uuid/node_ident", async () => {
    let r = await call("POST", "/v1/ports", { body: { address: mac(), node_ident: "port-host" } });
    expect(r.status, r.error ?? "").toBe(201);
    expect(r.body.node_uuid).toBe(node.uuid);
    r = await call("POST", "/v1/ports", { body: { address: mac(), node_ident: node.uuid } });
    expect(r.status).toBe(201);
    expect((await call("POST", "/v1/ports", { body: { address: mac(), node_ident: "port-host" }, version: 93 })).status).toBe(406);
    r = await call("POST", "/v1/ports", { body: { address: mac(), node_ident: "port-host", node_uuid: node.uuid } });
    expect(r.status).toBe(400);
    r = await call("POST", "/v1/ports", { body: { address: mac() } });
    expect(r.status).toBe(400);
    r = await call("POST", "/v1/ports", { body: { address: mac(), node_ident: "ghost" } });
    expect(r.status).toBe(400);
    expect(r.error).toMatch(/ghost could not be found/);
  });
});

describe("1.89 / 1.93 virtual media", () => {
  it("attaches, lists and detaches by device type", async () => {
    await create({ name: "vm-1" });
    expect((await call("POST", "/v1/nodes/vm-1/vmedia", { body: { device_type: "cdrom", image_url: "http://i/x.iso" }, version: 88 })).status).toBe(404);
    let r = await call("POST", "/v1/nodes/vm-1/vmedia", { body: { device_type: "cdrom", image_url: "http://i/x.iso" }, version: 89 });
    expect(r.status, r.error ?? "").toBe(204);
    r = await call("POST", "/v1/nodes/vm-1/vmedia", { body: { device_type: "disk", image_url: "http://i/d.img", image_download_source: "http" } });
    expect(r.status).toBe(204);
    expect((await call("GET", "/v1/nodes/vm-1/vmedia", { version: 92 })).status).toBe(404);
    r = await call("GET", "/v1/nodes/vm-1/vmedia", { version: 93 });
    expect(r.status).toBe(200);
    expect(r.body.vmedia).toEqual([
      { device_type: "cdrom", image_url: "http://i/x.iso", image_download_source: "local", inserted: true },
      { device_type: "disk", image_url: "http://i/d.img", image_download_source: "http", inserted: true },
    ]);
    // bad input
    for (const body of [
      {}, { device_type: "cdrom" }, { device_type: "tape", image_url: "u" }, { device_type: "cdrom", image_url: "u", image_download_source: "ftp" },
      { device_type: "cdrom", image_url: "u", extra: 1 }, { device_type: "cdrom", image_url: 5 },
    ]) {
      expect((await call("POST", "/v1/nodes/vm-1/vmedia", { body })).status, JSON.stringify(body)).toBe(400);
    }
    expect((await call("DELETE", "/v1/nodes/vm-1/vmedia?device_types=tape")).status).toBe(400);
    r = await call("DELETE", "/v1/nodes/vm-1/vmedia?device_types=cdrom", { version: 89 });
    expect(r.status).toBe(204);
    expect((await call("GET", "/v1/nodes/vm-1/vmedia")).body.vmedia.map((m: any) => m.device_type)).toEqual(["disk"]);
    expect((await call("DELETE", "/v1/nodes/vm-1/vmedia")).status).toBe(204);
    expect((await call("GET", "/v1/nodes/vm-1/vmedia")).body.vmedia).toEqual([]);
    expect((await call("DELETE", "/v1/nodes/vm-1/vmedia", { version: 88 })).status).toBe(404);
  });

  it("is refused while the node is busy (409)", async () => {
    const n = await create({ name: "vm-2" });
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { provisionState: "deploying", targetProvisionState: "active" });
    expect((await call("POST", "/v1/nodes/vm-2/vmedia", { body: { device_type: "cdrom", image_url: "http://i/x.iso" } })).status).toBe(409);
  });
});

describe("1.91 no .json suffix handling", () => {
  it("treats a trailing .json as part of the name", async () => {
    const n = await create({ name: "box.json" });
    const r = await call("GET", "/v1/nodes/box.json");
    expect(r.status).toBe(200);
    expect(r.body.uuid).toBe(n.uuid);
    await create({ name: "box" });
    expect((await call("GET", "/v1/nodes/box.json")).body.uuid).toBe(n.uuid);
    expect((await call("GET", `/v1/nodes/${n.uuid}.json`)).status).toBe(404);
  });
});

describe("1.95 disable_power_off", () => {
  it("is hidden below 1.95, settable by PATCH, and blocks power off / soft power off", async () => {
    const n = await create({ name: "dpo-1" });
    expect(n.disable_power_off).toBe(false);
    expect("disable_power_off" in (await call("GET", "/v1/nodes/dpo-1", { version: 94 })).body).toBe(false);
    expect((await patch("dpo-1", [{ op: "replace", path: "/disable_power_off", value: true }], 94)).status).toBe(406);
    let r = await patch("dpo-1", [{ op: "replace", path: "/disable_power_off", value: "maybe" }]);
    expect(r.status).toBe(400);
    r = await patch("dpo-1", [{ op: "replace", path: "/disable_power_off", value: true }]);
    expect(r.status, r.error ?? "").toBe(200);
    expect(r.body.disable_power_off).toBe(true);
    expect((await call("PUT", "/v1/nodes/dpo-1/states/power", { body: { target: "power on" } })).status).toBe(202);
    await settle();
    for (const target of ["power off", "soft power off"]) {
      r = await call("PUT", "/v1/nodes/dpo-1/states/power", { body: { target } });
      expect(r.status, target).toBe(409);
    }
    expect((await call("PUT", "/v1/nodes/dpo-1/states/power", { body: { target: "rebooting" } })).status).toBe(202);
    await settle();
    r = await patch("dpo-1", [{ op: "replace", path: "/disable_power_off", value: false }]);
    expect(r.body.disable_power_off).toBe(false);
    expect((await call("PUT", "/v1/nodes/dpo-1/states/power", { body: { target: "power off" } })).status).toBe(202);
    await settle();
    // create with it
    expect((await create({ name: "dpo-2", disable_power_off: true })).disable_power_off).toBe(true);
    expect((await call("POST", "/v1/nodes", { body: { driver: "fake-hardware", disable_power_off: true }, version: 94 })).status).toBe(406);
  });

  it("needs a system admin (policy baremetal:node:update:disable_power_off); parent_node a system member", async () => {
    const principals: Record<string, Principal> = {
      sysadmin: { userId: "a", username: "a", systemRole: "admin", projectId: null, projectRole: null },
      sysmember: { userId: "m", username: "m", systemRole: "member", projectId: null, projectRole: null },
      owner: { userId: "o", username: "o", systemRole: null, projectId: "p-own", projectRole: "admin" },
    };
    delete process.env.INGOT_API_AUTH;
    setCredentialResolver(async (req) => principals[req.headers.get("X-Test-User") ?? ""] ?? null);
    try {
      const as = (who: string) => ({ headers: { "X-Test-User": who } });
      let r = await call("POST", "/v1/nodes", { body: { driver: "fake-hardware", name: "dpo-pol", owner: "p-own" }, ...as("sysadmin") });
      expect(r.status).toBe(201);
      r = await call("PATCH", "/v1/nodes/dpo-pol", { body: [{ op: "replace", path: "/disable_power_off", value: true }], ...as("owner") });
      expect(r.status).toBe(403);
      r = await call("PATCH", "/v1/nodes/dpo-pol", { body: [{ op: "replace", path: "/disable_power_off", value: true }], ...as("sysmember") });
      expect(r.status).toBe(403);
      r = await call("PATCH", "/v1/nodes/dpo-pol", { body: [{ op: "replace", path: "/disable_power_off", value: true }], ...as("sysadmin") });
      expect(r.status).toBe(200);
      r = await call("PATCH", "/v1/nodes/dpo-pol", { body: [{ op: "add", path: "/parent_node", value: "dpo-1" }], ...as("owner") });
      expect(r.status).toBe(403);
      r = await call("PATCH", "/v1/nodes/dpo-pol", { body: [{ op: "add", path: "/parent_node", value: "dpo-1" }], ...as("sysmember") });
      expect(r.status).toBe(200);
      // owner reads firmware and vmedia, may attach media (member), others' nodes are concealed
      expect((await call("GET", "/v1/nodes/dpo-pol/firmware", as("owner"))).status).toBe(200);
      expect((await call("POST", "/v1/nodes/dpo-pol/vmedia", { body: { device_type: "cdrom", image_url: "http://i/a.iso" }, ...as("owner") })).status).toBe(204);
      expect((await call("GET", "/v1/nodes/dpo-1/vmedia", as("owner"))).status).toBe(404);
    } finally {
      process.env.INGOT_API_AUTH = "noauth";
    }
  });
});
