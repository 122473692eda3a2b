// /v1/nodes/{ident}/states/* through the real conductor (fake-hardware).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { getNodeByUuid, updateNode } from "../../core/db/nodes.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { sha256Crypt } from "../../core/shacrypt.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  await startConductor({ hostname: "api-test-conductor", periodic: false });
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

const settle = () => getConductor().pool.drain();

async function create(body: Record<string, unknown> = {}, version = 82): Promise<Record<string, any>> {
  const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", ...body }, version });
  expect(r.status, r.error ?? "").toBe(201);
  return r.body;
}
const provision = (ident: string, body: unknown, version: number | string = 82) =>
  api("PUT", `/v1/nodes/${ident}/states/provision`, { body, version });
const node = async (ident: string) => (await api("GET", `/v1/nodes/${ident}`)).body;

describe("provision flow", () => {
  it("enroll → manage → provide → active → deleted → available, with 202 + Location", async () => {
    const n = await create({ name: "flow-1" });
    expect(n.conductor).toBe("api-test-conductor");
    let r = await provision("flow-1", { target: "manage" });
    expect(r.status).toBe(202);
    expect(r.body).toBeNull();
    expect(r.headers.get("location")).toBe("http://127.0.0.1:3000/baremetal/v1/nodes/flow-1/states");
    await settle();
    expect((await node("flow-1")).provision_state).toBe("manageable");
    r = await provision("flow-1", { target: "inspect" });
    expect(r.status).toBe(202);
    await settle();
    expect((await node("flow-1")).provision_state).toBe("manageable");
    r = await provision("flow-1", { target: "provide" });
    expect(r.status).toBe(202);
    await settle();
    expect((await node("flow-1")).provision_state).toBe("available");
    r = await provision("flow-1", { target: "active", configdrive: { user_data: "#cloud-config", meta_data: { a: 1 } } });
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    let got = await node("flow-1");
    expect(got.provision_state).toBe("active");
    expect(got.target_provision_state).toBeNull();
    r = await provision("flow-1", { target: "rebuild" });
    expect(r.status).toBe(202);
    await settle();
    r = await provision("flow-1", { target: "rescue", rescue_password: "pw" });
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    expect((await node("flow-1")).provision_state).toBe("rescue");
    r = await provision("flow-1", { target: "unrescue" });
    expect(r.status).toBe(202);
    await settle();
    r = await provision("flow-1", { target: "deleted" });
    expect(r.status).toBe(202);
    await settle();
    got = await node("flow-1");
    expect(got.provision_state).toBe("available");
    const st = await api("GET", "/v1/nodes/flow-1/states");
    expect(Object.keys(st.body)).toEqual([
      "console_enabled", "last_error", "power_state", "provision_state", "target_power_state", "target_provision_state",
      "provision_updated_at", "raid_config", "target_raid_config", "boot_mode", "secure_boot",
    ]);
    expect(Object.keys((await api("GET", "/v1/nodes/flow-1/states", { version: 11 })).body)).toHaveLength(7);
  });
  it("manual clean from manageable and back", async () => {
    await create({ name: "flow-2" });
    await provision("flow-2", { target: "manage" });
    await settle();
    const r = await provision("flow-2", { target: "clean", clean_steps: [{ interface: "bios", step: "factory_reset" }] });
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    expect((await node("flow-2")).provision_state).toBe("manageable");
  });
});

describe("what a deployment and a rescue record in instance_info (as Ironic)", () => {
  const toAvailable = async (name: string, instanceInfo: Record<string, unknown>) => {
    await create({ name, instance_info: instanceInfo });
    await provision(name, { target: "manage" });
    await settle();
    await provision(name, { target: "provide" });
    await settle();
  };

  it("image_type whole-disk for a whole-disk image, partition with a kernel and ramdisk, nothing for a Glance image", async () => {
    await toAvailable("img-wd", { image_source: "http://images.example.com/ubuntu.qcow2" });
    expect((await provision("img-wd", { target: "active" })).status).toBe(202);
    await settle();
    let n = await node("img-wd");
    expect(n.provision_state).toBe("active");
    expect(n.instance_info.image_type).toBe("whole-disk");
    expect(n.driver_internal_info.is_whole_disk_image).toBe(true);

    await toAvailable("img-part", { image_source: "http://images.example.com/root.img", kernel: "http://images.example.com/vmlinuz", ramdisk: "http://images.example.com/initrd" });
    await provision("img-part", { target: "active" });
    await settle();
    n = await node("img-part");
    expect(n.instance_info.image_type).toBe("partition");
    expect(n.driver_internal_info.is_whole_disk_image).toBe(false);

    // Ironic reads a Glance image's type from Glance; without an image service nothing is recorded.
    await toAvailable("img-glance", { image_source: "0b1c8b3c-9a1d-4a4e-9a4c-6f2a9b0f1111" });
    await provision("img-glance", { target: "active" });
    await settle();
    n = await node("img-glance");
    expect(n.provision_state).toBe("active");
    expect(n.instance_info).not.toHaveProperty("image_type");

    // A given image_type is kept (anything but partition means whole disk).
    await toAvailable("img-given", { image_source: "http://images.example.com/root.img", image_type: "partition" });
    await provision("img-given", { target: "active" });
    await settle();
    expect((await node("img-given")).instance_info.image_type).toBe("partition");
  });

  it("rescue stores hashed_rescue_password (SHA-256 crypt), masked like the password", async () => {
    await toAvailable("rescue-1", { image_source: "http://images.example.com/ubuntu.qcow2" });
    await provision("rescue-1", { target: "active" });
    await settle();
    expect((await provision("rescue-1", { target: "rescue", rescue_password: "s3cret!" })).status).toBe(202);
    await settle();
    const n = await node("rescue-1");
    expect(n.provision_state).toBe("rescue");
    expect(n.instance_info).toMatchObject({ rescue_password: "******", hashed_rescue_password: "******" });
    const stored = (await getNodeByUuid(db.sql, n.uuid))!.instanceInfo;
    const hashed = stored.hashed_rescue_password as string;
    expect(hashed).toMatch(/^\$5\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{43}$/);
    expect(sha256Crypt("s3cret!", hashed.split("$")[2])).toBe(hashed);
  });
});

describe("provision validation order and texts", () => {
  it("checks in Ironic's order", async () => {
    const n = await create({ name: "val-1" });
    const bad = async (body: unknown, status: number, msg: string | RegExp, version: number = 82) => {
      const r = await provision(n.uuid, body, version);
      expect(r.status, JSON.stringify(body)).toBe(status);
      if (typeof msg === "string") expect(r.error).toBe(msg);
      else expect(r.error).toMatch(msg);
    };
    await bad({}, 400, "Missing mandatory parameter: target");
    await bad({ target: 5 }, 400, "Expected string for target: 5");
    await bad({ target: "manage", foo: 1 }, 400, "Unexpected arguments: foo");
    await bad({ target: "clean", clean_steps: "x" }, 400, "Expected types <class 'NoneType'>, <class 'list'> for clean_steps: x");
    await bad({ target: "deploy" }, 406, "Request not acceptable.", 72);
    await bad({ target: "manage" }, 406, "Request not acceptable.", 3);
    await bad({ target: "bogus" }, 400, `The requested action "bogus" can not be performed on node "${n.uuid}" while it is in state "enroll".`);
    await bad({ target: "active" }, 400, `The requested action "active" can not be performed on node "${n.uuid}" while it is in state "enroll".`);
    await bad({ target: "manage", configdrive: "abc" }, 400, "Adding a config drive is only supported when setting provision state to active, rebuild");
    await bad({ target: "manage", rescue_password: "x" }, 400, '"rescue_password" is only valid when setting target provision state to rescue');
    await bad({ target: "manage", clean_steps: [{ interface: "bios", step: "x" }] }, 400, "clean_steps is only valid when setting target provision state to clean");
    await bad({ target: "manage", disable_ramdisk: true }, 406, "disable_ramdisk is not acceptable in this API version", 69);
    await bad({ target: "manage", disable_ramdisk: true }, 400, "disable_ramdisk is supported only with manual cleaning");
    await bad({ target: "manage", deploy_steps: [] }, 406, "Request not acceptable.", 68);
    // maintenance is checked before the state machine
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { maintenance: true });
    await bad({ target: "active" }, 400, `The requested action "active" can not be performed on node "${n.uuid}" while it is in maintenance mode.`);
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { maintenance: false, provisionState: "manageable" });
    await bad({ target: "clean" }, 400, '"clean_steps" is required when setting target provision state to clean');
    // Ironic quotes jsonschema's whole error (str(ValidationError)); texts from jsonschema 4.10.3.
    await bad({ target: "clean", clean_steps: [{ interface: "foo", step: "x" }] }, 400, "Invalid clean_steps: 'foo' is not one of ['vendor', 'power', 'management', 'firmware', 'deploy', 'bios', 'raid']\n\nFailed validating 'enum' in schema['items']['properties']['interface']:\n    {'description': 'driver interface',\n     'enum': ['vendor',\n              'power',\n              'management',\n              'firmware',\n              'deploy',\n              'bios',\n              'raid']}\n\nOn instance[0]['interface']:\n    'foo'");
    await bad({ target: "clean", clean_steps: [{ step: "x" }] }, 400, /^Invalid clean_steps: 'interface' is a required property\n\nFailed validating 'required' in schema\['items'\]:\n/);
    await bad({ target: "clean", clean_steps: [{ interface: "bios", step: "x", bogus: 1 }] }, 400, /^Invalid clean_steps: Additional properties are not allowed \('bogus' was unexpected\)\n\nFailed validating 'additionalProperties' in schema\['items'\]:\n[^]*\n\nOn instance\[0\]:\n {4}\{'bogus': 1, 'interface': 'bios', 'step': 'x'\}$/);
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { provisionState: "available" });
    await bad({ target: "active", configdrive: { user_data: "x" } }, 400, "Providing a JSON object for configdrive is only supported starting with API version 1.56", 55);
    await bad({ target: "active", configdrive: { bogus: {} } }, 400, "Invalid configdrive format: Additional properties are not allowed ('bogus' was unexpected)\n\nFailed validating 'additionalProperties' in schema[0]:\n    {'additionalProperties': False,\n     'properties': {'meta_data': {'type': 'object'},\n                    'network_data': {'type': 'object'},\n                    'user_data': {'type': ['object',\n                                           'array',\n                                           'string',\n                                           'null']},\n                    'vendor_data': {'type': 'object'}},\n     'type': 'object'}\n\nOn instance:\n    {'bogus': {}}");
    await bad({ target: "active", deploy_steps: [{ interface: "deploy", step: "deploy" }] }, 400, "Invalid deploy_steps: 'args' is a required property\n\nFailed validating 'required' in schema['items']:\n    {'additionalProperties': False,\n     'properties': {'args': {'type': 'object'},\n                    'interface': {'enum': ['vendor',\n                                           'power',\n                                           'management',\n                                           'firmware',\n                                           'deploy',\n                                           'bios',\n                                           'raid'],\n                                  'type': 'string'},\n                    'priority': {'anyOf': [{'minimum': 0,\n                                            'type': 'integer'},\n                                           {'minLength': 1,\n                                            'pattern': '^[0-9]+$',\n                                            'type': 'string'}]},\n                    'step': {'minLength': 1, 'type': 'string'}},\n     'required': ['interface', 'step', 'args', 'priority'],\n     'type': 'object'}\n\nOn instance[0]:\n    {'interface': 'deploy', 'step': 'deploy'}");
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { provisionState: "active" });
    await bad({ target: "rescue" }, 400, 'A non-empty "rescue_password" is required when setting target provision state to rescue');
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { protected: true });
    await bad({ target: "deleted" }, 403, `Node ${n.uuid} is protected and cannot be undeployed, rebuilt or deleted`);
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { protected: false, provisionState: "manageable", retired: true });
    await bad({ target: "provide" }, 400, /because it is retired/);
    // locked node: FSM-invalid → 409 NodeLocked
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { reservation: "busy-host", provisionState: "deploying", targetProvisionState: "active" });
    await bad({ target: "manage" }, 409, `Node ${n.uuid} is locked by host busy-host, please retry after the current operation is completed.`);
  });
});

describe("power", () => {
  it("changes power and validates targets/timeouts/versions", async () => {
    const n = await create({ name: "pw-1" });
    let r = await api("PUT", "/v1/nodes/pw-1/states/power", { body: { target: "power on" } });
    expect(r.status).toBe(202);
    expect(r.headers.get("location")).toBe("http://127.0.0.1:3000/baremetal/v1/nodes/pw-1/states");
    await settle();
    expect((await node("pw-1")).power_state).toBe("power on");
    r = await api("PUT", "/v1/nodes/pw-1/states/power", { body: { target: "soft power off", timeout: 10 } });
    expect(r.status).toBe(202);
    await settle();
    expect((await node("pw-1")).power_state).toBe("power off");
    const bad = async (body: unknown, status: number, msg: string, version = 82) => {
      const x = await api("PUT", "/v1/nodes/pw-1/states/power", { body, version });
      expect(x.status, JSON.stringify(body)).toBe(status);
      expect(x.error).toBe(msg);
    };
    await bad({}, 400, "Missing mandatory parameter: target");
    await bad({ target: "bogus" }, 400, 'The requested action "bogus" can not be performed on node "pw-1" while it is in state "power off".');
    await bad({ target: "soft power off" }, 406, "Request not acceptable.", 26);
    await bad({ target: "power on", timeout: 5 }, 406, "Request not acceptable.", 26);
    await bad({ target: "power on", timeout: 0 }, 400, "timeout has to be positive integer");
    await bad({ target: "power on", timeout: "x" }, 400, "Expected an integer for timeout: x");
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { provisionState: "cleaning" });
    await bad({ target: "power on" }, 400, 'The requested action "power on" can not be performed on node "pw-1" while it is in state "cleaning".');
    await updateNode(db.sql, (await getNodeByUuid(db.sql, n.uuid))!.id, { provisionState: "manageable", disablePowerOff: true });
    expect((await api("PUT", "/v1/nodes/pw-1/states/power", { body: { target: "power off" } })).status).toBe(409);
  });
});

describe("raid, boot mode, secure boot, console", () => {
  it("stores target RAID config (1.12) with validation", async () => {
    await create({ name: "raid-1" });
    let r = await api("PUT", "/v1/nodes/raid-1/states/raid", { body: { logical_disks: [{ size_gb: 10, raid_level: "1" }] } });
    expect(r.status).toBe(204);
    expect((await node("raid-1")).target_raid_config).toEqual({ logical_disks: [{ size_gb: 10, raid_level: "1" }] });
    r = await api("PUT", "/v1/nodes/raid-1/states/raid", { body: { logical_disks: "x" } });
    expect(r.error).toBe("RAID config validation error: 'x' is not of type 'array'");
    r = await api("PUT", "/v1/nodes/raid-1/states/raid", { body: { foo: 1 } });
    expect(r.error).toBe("RAID config validation error: 'logical_disks' is a required property");
    r = await api("PUT", "/v1/nodes/raid-1/states/raid", { body: { logical_disks: [{ size_gb: 10 }] } });
    expect(r.error).toBe("RAID config validation error: 'raid_level' is a required property");
    // Texts from python-jsonschema on Ironic's raid_config_schema.json (a draft-04 schema).
    const raidError = async (disk: Record<string, unknown>) =>
      (await api("PUT", "/v1/nodes/raid-1/states/raid", { body: { logical_disks: [{ size_gb: 10, raid_level: "1", ...disk }] } })).error;
    expect(await raidError({ raid_level: "7" })).toBe("RAID config validation error: '7' is not one of ['JBOD', '0', '1', '2', '5', '6', '1+0', '5+0', '6+0']");
    expect(await raidError({ raid_level: 5 })).toBe("RAID config validation error: 5 is not of type 'string'");
    expect(await raidError({ size_gb: "x" })).toBe("RAID config validation error: 'x' is not one of ['MAX']");
    expect(await raidError({ number_of_physical_disks: 0 })).toBe("RAID config validation error: 0 is less than or equal to the minimum of 0");
    expect(await raidError({ physical_disks: ["a"] })).toBe("RAID config validation error: 'controller' is a dependency of 'physical_disks'");
    r = await api("PUT", "/v1/nodes/raid-1/states/raid", { body: [] });
    expect(r.error).toBe("Expected types <class 'dict'> for target_raid_config: []");
    expect((await api("PUT", "/v1/nodes/raid-1/states/raid", { body: {}, version: 11 })).status).toBe(404);
    expect((await api("PUT", "/v1/nodes/raid-1/states/raid", { body: {} })).status).toBe(204);
  });
  it("boot mode and secure boot (1.76)", async () => {
    await create({ name: "bm-1" });
    let r = await api("PUT", "/v1/nodes/bm-1/states/boot_mode", { body: { target: "foo" } });
    expect(r.error).toBe("Invalid boot mode foo requested for node. Allowed boot modes are: bios, uefi");
    r = await api("PUT", "/v1/nodes/bm-1/states/boot_mode", { body: { target: "uefi" }, version: 75 });
    expect(r.status).toBe(404);
    r = await api("PUT", "/v1/nodes/bm-1/states/boot_mode", { body: { target: "uefi" } });
    expect([202, 400]).toContain(r.status); // fake management may not support boot mode changes
    if (r.status === 202) expect(r.headers.get("location")).toMatch(/\/states$/);
    r = await api("PUT", "/v1/nodes/bm-1/states/secure_boot", { body: { target: "x" } });
    expect(r.error).toMatch(/^Invalid target: Unrecognized value 'x'/);
    await updateNode(db.sql, (await getNodeByUuid(db.sql, (await node("bm-1")).uuid))!.id, { provisionState: "deploying" });
    r = await api("PUT", "/v1/nodes/bm-1/states/boot_mode", { body: { target: "bios" } });
    expect(r.status).toBe(409);
  });
  it("console on/off", async () => {
    await create({ name: "con-1" });
    let r = await api("GET", "/v1/nodes/con-1/states/console");
    expect(r.body).toEqual({ console_enabled: false, console_info: null });
    r = await api("PUT", "/v1/nodes/con-1/states/console", { body: {} });
    expect(r.error).toBe("Missing mandatory parameter: enabled");
    r = await api("PUT", "/v1/nodes/con-1/states/console", { body: { enabled: "x" } });
    expect(r.error).toMatch(/^Invalid enabled: Unrecognized value 'x'/);
    r = await api("PUT", "/v1/nodes/con-1/states/console", { body: { enabled: true } });
    expect(r.status).toBe(202);
    expect(r.headers.get("location")).toBe("http://127.0.0.1:3000/baremetal/v1/nodes/con-1/states/console");
    await settle();
    r = await api("GET", "/v1/nodes/con-1/states/console");
    expect(r.body.console_enabled).toBe(true);
    expect(r.body.console_info).not.toBeNull();
    await api("PUT", "/v1/nodes/con-1/states/console", { body: { enabled: false } });
    await settle();
  });
});
