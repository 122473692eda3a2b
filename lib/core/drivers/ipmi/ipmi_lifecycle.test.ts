// An `ipmi` node end to end through the API and the conductor, against the pyghmi fake BMC:
// enroll → manage (reads the power state through the BMC) → provide → deploy (ramdisk, external-pxe) → active,
// clear errors for bad credentials, and power sync setting / clearing fault "power failure".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../../../testing/api.ts";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { setConfig } from "../../config.ts";
import { getConductor, runPeriodicTasksOnce, startConductor, stopConductor } from "../../conductor/index.ts";
import { fakeInspectionData } from "../../inspection/inventory.ts";
import { FakeBmc, fakeBmcUnavailable } from "../../../testing/fake_bmc.ts";
import { enrollIpmiNode, startTestBmc, stopTestBmc } from "../../../testing/ipmi_node.ts";

const unavailable = fakeBmcUnavailable();

let db: TestDb;
const bmc = new FakeBmc({ password: "s3cret" });

async function settle(uuid: string) {
  await getConductor().pool.drain();
  return (await api("GET", `/v1/nodes/${uuid}`)).body;
}

async function provision(uuid: string, target: string) {
  const res = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target } });
  expect(res.status, res.error ?? "").toBe(202);
  return settle(uuid);
}

describe("ipmi node through the conductor", () => {
  // npm test installs ipmitool and python3-pyghmi: a missing peer is a failure, not a skip.
  it("has the real IPMI peer (ipmitool, pyghmi)", () => {
    expect(unavailable).toBeNull();
  });

  beforeAll(async () => {
    process.env.INGOT_API_AUTH = "noauth";
    db = await createTestDb();
    setConfig({ conductorHostname: "ipmi-host", enabledHardwareTypes: ["fake-hardware", "ipmi"], powerSyncMaxRetries: 2, automatedClean: true });
    await startTestBmc(bmc);
    await startConductor({ periodic: false });
  });
  afterAll(async () => {
    await stopConductor();
    await stopTestBmc(bmc);
    setConfig();
    await db.cleanup();
  });

  it("lists the ipmi driver and its properties", async () => {
    const drivers = await api("GET", "/v1/drivers");
    expect(drivers.body.drivers.map((d: { name: string }) => d.name)).toContain("ipmi");
    const props = await api("GET", "/v1/drivers/ipmi/properties");
    expect(props.status).toBe(200);
    expect(props.body).toMatchObject({
      ipmi_address: expect.stringContaining("Required"), ipmi_password: expect.any(String), ipmi_bridging: expect.any(String),
      ipmi_priv_level: expect.any(String), ipmi_port: expect.any(String), ipmi_terminal_port: expect.any(String),
    });
  });

  it("a new ipmi node network-boots through Ingot (ipxe) unless told otherwise", async () => {
    const { uuid, node } = await enrollIpmiNode(bmc, { name: "default-boot" });
    expect(node).toMatchObject({ boot_interface: "ipxe", deploy_interface: "ramdisk" });
    // ipxe needs a deploy kernel/ramdisk and a port (../ipxe.test.ts deploys that way).
    expect((await api("GET", `/v1/nodes/${uuid}/validate`)).body.boot.result).toBe(false);
    expect((await api("DELETE", `/v1/nodes/${uuid}`)).status).toBe(204);
  });

  it("enroll → manage → provide → deploy → active → undeploy (external-pxe), with the password masked", async () => {
    // external-pxe: the site's own PXE service boots the machine; Ingot only sets the boot device.
    const { uuid, node: created } = await enrollIpmiNode(bmc, { name: "real-01", fields: { boot_interface: "external-pxe" } });
    expect(created.driver_info.ipmi_password).toBe("******");
    expect(created).toMatchObject({ power_interface: "ipmitool", management_interface: "ipmitool", deploy_interface: "ramdisk", boot_interface: "external-pxe" });

    const validation = await api("GET", `/v1/nodes/${uuid}/validate`);
    expect(validation.body.power).toEqual({ result: true });
    expect(validation.body.management).toEqual({ result: true });
    expect(validation.body.deploy).toEqual({ result: true });

    let node = await provision(uuid, "manage");
    expect(node.provision_state).toBe("manageable");
    expect(node.power_state).toBe("power off"); // read from the BMC during verification
    expect(node.last_error).toBeNull();

    node = await provision(uuid, "provide");
    expect(node.provision_state).toBe("available");

    node = await provision(uuid, "active");
    expect(node.provision_state, node.last_error ?? "").toBe("active");
    expect(node.power_state).toBe("power on");
    const boot = await api("GET", `/v1/nodes/${uuid}/management/boot_device`);
    expect(boot.body).toEqual({ boot_device: "pxe", persistent: true });

    // Power through the API.
    const off = await api("PUT", `/v1/nodes/${uuid}/states/power`, { body: { target: "power off" } });
    expect(off.status).toBe(202);
    node = await settle(uuid);
    expect(node.power_state).toBe("power off");
    await api("PUT", `/v1/nodes/${uuid}/states/power`, { body: { target: "rebooting" } });
    node = await settle(uuid);
    expect([node.power_state, node.last_error]).toEqual(["power on", null]);

    node = await provision(uuid, "deleted");
    expect(node.provision_state).toBe("available");
    expect(node.power_state).toBe("power off");
    expect((await api("DELETE", `/v1/nodes/${uuid}`)).status).toBe(204); // keeps the power sync test short
  });

  it("agent inspection: network boot into the ramdisk, its inventory through continue_inspection, then power off", async () => {
    const { uuid, node: created } = await enrollIpmiNode(bmc, { name: "inspect-01" });
    expect(created.inspect_interface).toBe("agent");
    expect((await api("GET", `/v1/nodes/${uuid}/validate`)).body.inspect).toEqual({ result: true });
    expect((await provision(uuid, "manage")).provision_state).toBe("manageable");

    let node = await provision(uuid, "inspect");
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["inspect wait", "power on", null]);
    // The BMC was told: boot from the network once, power on.
    expect((await api("GET", `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({ boot_device: "pxe", persistent: false });

    // What the inspection ramdisk posts: found by the BMC address the machine reports.
    const data = fakeInspectionData({ uuid, name: "inspect-01", driverInfo: {} });
    const inventory = { ...data.inventory, bmc_address: "127.0.0.1" };
    const posted = await api("POST", "/v1/continue_inspection", { version: "1.84", body: { inventory, ...data.pluginData } });
    expect(posted.status, posted.error ?? "").toBe(202);
    expect(posted.body).toEqual({ uuid });
    node = await settle(uuid);
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["manageable", "power off", null]);
    const ports = (await api("GET", `/v1/ports?node=${uuid}`)).body.ports.map((p: { address: string }) => p.address).sort();
    const macs = (inventory.interfaces as { mac_address: string }[]).map((i) => i.mac_address.toLowerCase()).sort();
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(macs).toContain(p);
    expect((await api("GET", `/v1/nodes/${uuid}/inventory`)).body.inventory.cpu).toEqual(inventory.cpu);
    expect((await api("DELETE", `/v1/nodes/${uuid}`)).status).toBe(204);
  });

  it("a wrong password fails verification with a clear last_error", async () => {
    const { uuid } = await enrollIpmiNode(bmc, { driverInfo: { ipmi_password: "nope" } });
    const node = await provision(uuid, "manage");
    expect(node.provision_state).toBe("enroll");
    expect(node.last_error).toMatch(/IPMI authentication failed for 127\.0\.0\.1:\d+: check ipmi_username \/ ipmi_password/);
  });

  it("invalid driver_info shows in validate and blocks manage", async () => {
    const created = await api("POST", "/v1/nodes", { body: { driver: "ipmi", driver_info: { ipmi_address: "10.1.1.1", ipmi_priv_level: "ROOT" } } });
    const validation = await api("GET", `/v1/nodes/${created.body.uuid}/validate`);
    expect(validation.body.power).toEqual({
      result: false, reason: "Invalid privilege level value:ROOT, the valid value can be one of ADMINISTRATOR, CALLBACK, OPERATOR, USER",
    });
    const node = await provision(created.body.uuid, "manage");
    expect(node.provision_state).toBe("enroll");
    expect(node.last_error).toContain("Invalid privilege level value:ROOT");
  });

  it("power sync sets fault \"power failure\" while the BMC is down and clears it when it answers", async () => {
    const { uuid } = await enrollIpmiNode(bmc, { driverInfo: { ipmi_timeout: 1 } });
    expect((await provision(uuid, "manage")).provision_state).toBe("manageable");

    await bmc.stop();
    await runPeriodicTasksOnce();
    let node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    expect([node.maintenance, node.fault]).toEqual([false, null]);
    await runPeriodicTasksOnce();
    node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    expect([node.maintenance, node.fault]).toEqual([true, "power failure"]);
    expect(node.maintenance_reason).toMatch(/Power state sync failed 2 times in a row .*IPMI timeout: the BMC 127\.0\.0\.1:\d+ did not answer "power status" within 1 s/);

    await bmc.start(); // same port
    await runPeriodicTasksOnce();
    node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    expect([node.maintenance, node.fault, node.maintenance_reason]).toEqual([false, null, null]);
    expect(node.power_state).toBe("power off");
  }, 30_000);
});
