// A `redfish` node end to end through the API and the conductor, against the test Redfish
// service: enroll → manage (power state + BIOS cache from the BMC) → inspect (ports) → BIOS
// apply (pending → applied at power on → cache updated) → provide → deploy (ramdisk over virtual
// media) → active → undeploy; readable errors; power sync fault while the BMC is unreachable.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, powerChangeRows } from "../../../testing/api.ts";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { RedfishMock } from "../../../testing/redfish_mock.ts";
import { setConfig } from "../../config.ts";
import { getConductor, runPeriodicTasksOnce, startConductor, stopConductor } from "../../conductor/index.ts";
import { forgetRedfishSessions } from "./client.ts";

let db: TestDb;
const bmc = new RedfishMock({ systems: [{}, { id: "2" }, { id: "bare", bios: false, secureBoot: false, storage: "none" }] });
let isoServer: Server;
let isoUrl = "";
const fast = { redfish_connection_attempts: 2, redfish_connection_retry_interval: 0.05, redfish_timeout: 2 };

async function settle(uuid: string) {
  await getConductor().pool.drain();
  return (await api("GET", `/v1/nodes/${uuid}`)).body;
}

async function provision(uuid: string, target: string, extra: Record<string, unknown> = {}) {
  const res = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target, ...extra } });
  expect(res.status, res.error ?? "").toBe(202);
  return settle(uuid);
}

async function power(uuid: string, target: string) {
  const res = await api("PUT", `/v1/nodes/${uuid}/states/power`, { body: { target } });
  expect(res.status, res.error ?? "").toBe(202);
  return settle(uuid);
}

const biosValue = async (uuid: string, name: string) => (await api("GET", `/v1/nodes/${uuid}/bios/${name}`)).body[name]?.value;

describe("redfish node through the conductor", () => {
  beforeAll(async () => {
    process.env.INGOT_API_AUTH = "noauth";
    db = await createTestDb();
    setConfig({ conductorHostname: "redfish-host", enabledHardwareTypes: ["fake-hardware", "redfish"], powerSyncMaxRetries: 2, automatedClean: true });
    await bmc.start();
    isoServer = createServer((_req, res) => res.writeHead(200).end("ISO"));
    await new Promise<void>((r) => isoServer.listen(0, "127.0.0.1", () => r()));
    isoUrl = `http://127.0.0.1:${(isoServer.address() as AddressInfo).port}/live.iso`;
    await startConductor({ periodic: false });
  });
  afterAll(async () => {
    await stopConductor();
    await bmc.stop();
    await new Promise<void>((r) => isoServer.close(() => r()));
    forgetRedfishSessions();
    setConfig();
    await db.cleanup();
  });

  it("lists the redfish driver and its properties", async () => {
    const drivers = await api("GET", "/v1/drivers");
    expect(drivers.body.drivers.map((d: { name: string }) => d.name)).toContain("redfish");
    const props = await api("GET", "/v1/drivers/redfish/properties");
    expect(props.status).toBe(200);
    expect(props.body).toMatchObject({
      redfish_address: expect.stringContaining("Required"), redfish_system_id: expect.any(String), redfish_username: expect.any(String),
      redfish_password: expect.any(String), redfish_verify_ca: expect.any(String), redfish_auth_type: expect.any(String), deploy_iso: expect.any(String),
    });
  });

  let uuid = "";

  it("enroll → manage reads power state and caches the BIOS with its registry; password masked", async () => {
    const created = await api("POST", "/v1/nodes", {
      body: { driver: "redfish", name: "rf-01", driver_info: bmc.driverInfo({ ...fast, redfish_system_id: "/redfish/v1/Systems/1" }) },
    });
    expect(created.status, created.error ?? "").toBe(201);
    uuid = created.body.uuid;
    expect(created.body.driver_info.redfish_password).toBe("******");
    expect(created.body).toMatchObject({
      power_interface: "redfish", management_interface: "redfish", bios_interface: "redfish", inspect_interface: "redfish",
      boot_interface: "redfish-virtual-media", deploy_interface: "ramdisk",
    });
    const validation = (await api("GET", `/v1/nodes/${uuid}/validate`)).body;
    expect([validation.power, validation.management, validation.boot]).toEqual([{ result: true }, { result: true }, { result: true }]);
    expect(validation.deploy.result).toBe(false);
    expect(validation.deploy.reason).toMatch(/has no instance_info\/boot_iso/);

    const node = await provision(uuid, "manage");
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["manageable", "power off", null]);
    const bios = (await api("GET", `/v1/nodes/${uuid}/bios?detail=true`)).body.bios;
    const turbo = bios.find((b: { name: string }) => b.name === "ProcTurboMode");
    expect(turbo).toMatchObject({ value: "Enabled", attribute_type: "Enumeration", allowable_values: ["Enabled", "Disabled"], reset_required: true });
    expect(bios.find((b: { name: string }) => b.name === "NumaNodesPerSocket")).toMatchObject({ value: "1", lower_bound: 1, upper_bound: 4 });
    expect(bios.find((b: { name: string }) => b.name === "ServiceTag")).toMatchObject({ read_only: true });
  });

  it("inspection reads the inventory out of band and creates ports for the enabled NICs", async () => {
    const node = await provision(uuid, "inspect");
    expect([node.provision_state, node.last_error]).toEqual(["manageable", null]);
    expect(node.properties).toMatchObject({ cpus: 128, memory_mb: 262144, cpu_arch: "x86_64" });
    const ports = (await api("GET", `/v1/ports?node=${uuid}`)).body.ports.map((p: { address: string }) => p.address).sort();
    expect(ports).toEqual(["52:54:00:aa:01:01", "52:54:00:aa:01:02"]);
    expect([node.boot_mode, node.secure_boot]).toEqual(["uefi", false]);
  });

  it("virtual media through the API (1.89 / 1.93); boot mode and secure boot through the API", async () => {
    let res = await api("POST", `/v1/nodes/${uuid}/vmedia`, { body: { device_type: "cdrom", image_url: isoUrl } });
    expect(res.status, res.error ?? "").toBe(204);
    res = await api("GET", `/v1/nodes/${uuid}/vmedia`);
    expect(res.body.vmedia).toEqual([expect.objectContaining({ device_type: "cdrom", image_url: isoUrl })]);
    expect((await api("DELETE", `/v1/nodes/${uuid}/vmedia`)).status).toBe(204);
    expect(bmc.virtualMedia[0].inserted).toBe(false);
    res = await api("POST", `/v1/nodes/${uuid}/vmedia`, { body: { device_type: "floppy", image_url: "http://127.0.0.1:1/nothing.img" } });
    expect(res.status).toBe(500); // a BMC failure, worded (Ironic: RedfishError, 500)
    expect(res.error).toMatch(/Redfish BMC .* refused insert virtual media http:\/\/127\.0\.0\.1:1\/nothing\.img .*could not be downloaded/);

    expect((await api("PUT", `/v1/nodes/${uuid}/states/boot_mode`, { body: { target: "bios" } })).status).toBe(202);
    let node = await settle(uuid);
    expect([node.boot_mode, node.last_error, bmc.system("1").boot.mode]).toEqual(["bios", null, "Legacy"]);
    expect((await api("PUT", `/v1/nodes/${uuid}/states/boot_mode`, { body: { target: "uefi" } })).status).toBe(202);
    expect((await api("PUT", `/v1/nodes/${uuid}/states/secure_boot`, { body: { target: true } })).status).toBe(202);
    node = await settle(uuid);
    expect([node.secure_boot, node.last_error, bmc.system("1").secureBoot.enable]).toEqual([true, null, true]);
    await api("PUT", `/v1/nodes/${uuid}/states/secure_boot`, { body: { target: false } });
    await settle(uuid);
  });

  it("BIOS apply while off stays pending; power on applies it and the cache follows; bad values are refused", async () => {
    const bad = await api("PUT", `/v1/nodes/${uuid}/states/provision`, {
      body: { target: "clean", clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "NumaNodesPerSocket", value: 9 }] } }] },
    });
    expect(bad.status).toBe(400);
    expect(bad.error).toMatch(/NumaNodesPerSocket': value 9 is above the upper bound 4/);

    let node = await provision(uuid, "clean", {
      clean_steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "ProcTurboMode", value: "Disabled" }, { name: "NumaNodesPerSocket", value: "2" }] } }],
    });
    expect([node.provision_state, node.last_error]).toEqual(["manageable", null]);
    expect(bmc.system("1").pending).toEqual({ ProcTurboMode: "Disabled", NumaNodesPerSocket: 2 });
    expect(bmc.system("1").lastApplyTime).toBe("OnReset");
    expect(await biosValue(uuid, "ProcTurboMode")).toBe("Enabled"); // not applied yet: the machine is off

    node = await power(uuid, "power on");
    expect([node.power_state, node.last_error]).toEqual(["power on", null]);
    expect(bmc.system("1").pending).toEqual({});
    expect(await biosValue(uuid, "ProcTurboMode")).toBe("Disabled");
    expect(await biosValue(uuid, "NumaNodesPerSocket")).toBe("2");

    // Factory reset on a running machine (the BMC answers with a task monitor): the BMC resets
    // at the next boot; the step reboots it.
    bmc.system("1").asyncBiosResetMs = 200;
    const monitorsBefore = bmc.requests.filter((r) => r.path.includes("/TaskMonitors/")).length;
    node = await provision(uuid, "clean", { clean_steps: [{ interface: "bios", step: "factory_reset" }] });
    bmc.system("1").asyncBiosResetMs = 0;
    expect(bmc.requests.filter((r) => r.path.includes("/TaskMonitors/")).length).toBeGreaterThan(monitorsBefore);
    expect([node.provision_state, node.last_error, node.power_state]).toEqual(["manageable", null, "power on"]);
    expect(await biosValue(uuid, "ProcTurboMode")).toBe("Enabled");
    // The step's reboot is in the node's history like any power change the conductor makes.
    const history = (await api("GET", `/v1/nodes/${uuid}/history?detail=True&structured=True`)).body.history as { event: string }[];
    expect(history.map((h) => h.event).join("\n")).toMatch(/Rebooted \(the BIOS factory reset applies at the reset\)/);
    await power(uuid, "power off");
  });

  it("provide → deploy (boot ISO over virtual media) → active → undeploy", async () => {
    const seen: string[] = [];
    bmc.system("1").onPowerChange = (state) => seen.push(state === "On" ? "power on" : "power off");
    const rowsBefore = (await powerChangeRows(uuid)).length;
    let node = await provision(uuid, "provide");
    expect([node.provision_state, node.last_error]).toEqual(["available", null]);

    const refused = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "active" } });
    expect(refused.status).toBe(400);
    expect(refused.error).toMatch(/has no instance_info\/boot_iso/);

    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "add", path: "/instance_info/boot_iso", value: isoUrl }] });
    node = await provision(uuid, "active");
    expect([node.provision_state, node.last_error, node.power_state]).toEqual(["active", null, "power on"]);
    expect(bmc.virtualMedia[0]).toMatchObject({ image: isoUrl, inserted: true });
    expect(bmc.system("1").bootedFrom).toBe("Cd");
    expect((await api("GET", `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({ boot_device: "cdrom", persistent: true });

    node = await provision(uuid, "deleted");
    expect([node.provision_state, node.last_error, node.power_state]).toEqual(["available", null, "power off"]);
    expect(bmc.virtualMedia[0].inserted).toBe(false);

    // Every power change the conductor made (no one asked through the power API) is a history row,
    // as for sim nodes: the machine's sequence of power states and the history's are the same.
    bmc.system("1").onPowerChange = null;
    const rows = (await powerChangeRows(uuid)).slice(rowsBefore);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(rows.map((r) => r.to_state)).toEqual(seen);
    expect(rows.every((r) => r.kind === "power_change" && r.from_state !== r.to_state)).toBe(true);
  });

  it("wrong credentials fail manage with a readable last_error", async () => {
    const created = await api("POST", "/v1/nodes", { body: { driver: "redfish", driver_info: bmc.driverInfo({ ...fast, redfish_system_id: "/redfish/v1/Systems/2", redfish_password: "nope" }) } });
    const node = await provision(created.body.uuid, "manage");
    expect(node.provision_state).toBe("enroll");
    expect(node.last_error).toMatch(/Redfish BMC http:\/\/127\.0\.0\.1:\d+ refused login for user "root": 401 There is no valid session established/);
  });

  it("a BMC managing two systems needs redfish_system_id; invalid driver_info blocks manage", async () => {
    const two = await api("POST", "/v1/nodes", { body: { driver: "redfish", driver_info: bmc.driverInfo(fast) } });
    let node = await provision(two.body.uuid, "manage");
    expect(node.last_error).toMatch(/manages 3 systems .*: set driver_info\/redfish_system_id to one of them/);
    const bad = await api("POST", "/v1/nodes", { body: { driver: "redfish", driver_info: { redfish_address: "10.0.0.5", redfish_auth_type: "digest" } } });
    const validation = (await api("GET", `/v1/nodes/${bad.body.uuid}/validate`)).body;
    expect(validation.power.result).toBe(false);
    expect(validation.power.reason).toMatch(/Invalid value "digest" set in driver_info\/redfish_auth_type/);
    node = await provision(bad.body.uuid, "manage");
    expect(node.last_error).toMatch(/redfish_auth_type/);
  });

  it("a system without Bios, SecureBoot and storage: manage and inspect work, BIOS steps and secure boot fail readably", async () => {
    const created = await api("POST", "/v1/nodes", { body: { driver: "redfish", driver_info: bmc.driverInfo({ ...fast, redfish_system_id: "/redfish/v1/Systems/bare" }) } });
    const bare = created.body.uuid as string;
    let node = await provision(bare, "manage");
    expect([node.provision_state, node.last_error]).toEqual(["manageable", null]);
    expect((await api("GET", `/v1/nodes/${bare}/bios`)).body.bios).toEqual([]);
    node = await provision(bare, "inspect");
    expect([node.provision_state, node.last_error, node.properties.local_gb]).toEqual(["manageable", null, 0]);
    node = await provision(bare, "clean", { clean_steps: [{ interface: "bios", step: "factory_reset" }] });
    expect(node.provision_state).toBe("clean failed");
    expect(node.last_error).toMatch(/has no Bios resource: BIOS settings cannot be read or changed through Redfish/);
    await provision(bare, "manage");
    await api("PUT", `/v1/nodes/${bare}/states/secure_boot`, { body: { target: true } });
    node = await settle(bare);
    expect(node.last_error).toMatch(/has no SecureBoot resource/);
    expect((await api("DELETE", `/v1/nodes/${bare}`)).status).toBe(204);
  });

  it("5xx answers are retried; a BMC failing for good gives a readable last_error", async () => {
    bmc.fail5xx = 1;
    let node = await power(uuid, "power on");
    expect([node.power_state, node.last_error]).toEqual(["power on", null]);
    bmc.fail5xx = 1000;
    node = await power(uuid, "power off");
    bmc.fail5xx = 0;
    expect(node.power_state).toBe("power on");
    expect(node.last_error).toMatch(/^Failed to change power state to "power off" for node .*: Redfish BMC http:\/\/127\.0\.0\.1:\d+ failed read the power state \(GET \/redfish\/v1\/Systems\/1\): HTTP 503 .*\(after 2 attempts\)\./);
    await power(uuid, "power off");
  });

  it("power sync sets fault \"power failure\" while the BMC is unreachable and clears it when it answers", async () => {
    const port = bmc.port;
    await bmc.stop();
    await runPeriodicTasksOnce();
    let node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    expect([node.maintenance, node.fault]).toEqual([false, null]);
    await runPeriodicTasksOnce();
    node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    expect([node.maintenance, node.fault]).toEqual([true, "power failure"]);
    expect(node.maintenance_reason).toMatch(/Redfish BMC http:\/\/127\.0\.0\.1:\d+ is unreachable \(connection refused\)/);

    await bmc.start(port);
    await runPeriodicTasksOnce();
    node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    expect([node.maintenance, node.fault, node.maintenance_reason]).toEqual([false, null, null]);
    expect(node.power_state).toBe("power off");
  }, 30_000);
});
