// The `ipxe` boot interface on ipmi nodes, against the pyghmi fake BMC, with Ingot's own HTTP
// routes and the dnsmasq provider's host files (dnsmasq itself is exercised in
// lib/core/dhcp/dnsmasq.test.ts): validation in Ironic's words, the deploy and rescue ramdisk
// served only while the node boots it (kernel from a URL through the cache, ramdisk from a local
// path), the `ramdisk` deploy booting the instance over the network, and local boot.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { FakeBmc, fakeBmcUnavailable } from "../../testing/fake_bmc.ts";
import { enrollIpmiNode, startTestBmc, stopTestBmc } from "../../testing/ipmi_node.ts";
import { RedfishMock } from "../../testing/redfish_mock.ts";
import { handleBootRequest } from "../../server/boot_http.ts";
import { setConfig } from "../config.ts";
import { getConductor, startConductor, stopConductor } from "../conductor/index.ts";
import { getNodeByUuid, updateNode, type NodeChanges } from "../db/nodes.ts";
import { DnsmasqProvider } from "../dhcp/dnsmasq.ts";
import { setDhcpProvider } from "../dhcp/provider.ts";
import { setNetbootSettings, type NetbootSettings } from "../netboot/settings.ts";
import type { DriverTask } from "./base.ts";
import { ipxeBoot } from "./ipxe.ts";
import { ipmitoolManagement } from "./ipmi/interfaces.ts";
import { forgetRedfishSessions } from "./redfish/client.ts";

const BASE = "http://192.0.2.10:3000";
const MAC = "52:54:00:c0:ff:01";
const bmc = new FakeBmc({ password: "s3cret" });
let db: TestDb;
let dir: string;
let settings: NetbootSettings;
let origin: Server;
let originUrl: string;
let kernelHits = 0;
const deployKernel = randomBytes(4096);

const boot = (path: string) => handleBootRequest(new Request(`http://127.0.0.1${path}`));

async function settle(uuid: string) {
  await getConductor().pool.drain();
  return (await api("GET", `/v1/nodes/${uuid}`)).body;
}

async function provision(uuid: string, target: string) {
  const res = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target } });
  expect(res.status, res.error ?? "").toBe(202);
  return settle(uuid);
}

/** A node with a port; driver_info merged over the BMC's. */
async function enroll(name: string, driverInfo: Record<string, unknown>, port = true): Promise<string> {
  return (await enrollIpmiNode(bmc, { name, driverInfo, macs: port ? [MAC] : [] })).uuid;
}

/** A conductor-like task over the node's row (the interface under test, no flow around it). */
async function taskOf(uuid: string, changes: NodeChanges = {}): Promise<DriverTask> {
  let node = (await getNodeByUuid(db.sql, uuid))!;
  if (Object.keys(changes).length) node = (await updateNode(db.sql, node.id, changes))!;
  const task: DriverTask = {
    sql: db.sql, node, conductor: "ipxe-host",
    async update(c) {
      task.node = (await updateNode(db.sql, task.node.id, c))!;
      return task.node;
    },
  };
  return task;
}

/** Deletes a node the test moved into a state by hand (the API refuses to delete it there). */
async function remove(uuid: string): Promise<void> {
  await taskOf(uuid, { provisionState: "manageable" });
  expect((await api("DELETE", `/v1/nodes/${uuid}`)).status).toBe(204);
}

const hostFiles = (uuid: string) => (existsSync(join(settings.dnsmasqDir, "hosts")) ? readdirSync(join(settings.dnsmasqDir, "hosts")).filter((f) => f.startsWith(uuid)) : []);

describe("ipxe boot interface", () => {
  it("has the real IPMI peer (ipmitool, pyghmi)", () => {
    expect(fakeBmcUnavailable()).toBeNull();
  });

  beforeAll(async () => {
    process.env.INGOT_API_AUTH = "noauth";
    dir = mkdtempSync(join(tmpdir(), "ingot-ipxe-"));
    writeFileSync(join(dir, "deploy_ramdisk"), "ramdisk bytes");
    writeFileSync(join(dir, "rescue_kernel"), "rescue kernel");
    writeFileSync(join(dir, "rescue_ramdisk"), "rescue ramdisk");
    writeFileSync(join(dir, "instance_kernel"), "instance kernel");
    writeFileSync(join(dir, "instance_ramdisk"), "instance ramdisk");
    origin = createServer((req, res) => {
      if (req.url === "/ipa.kernel") {
        kernelHits++;
        res.end(deployKernel);
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
    originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
    settings = setNetbootSettings({
      provisioningUrl: BASE, agentApiUrl: `${BASE}/baremetal`, httpRoot: join(dir, "httpboot"), imageCacheDir: join(dir, "cache"),
      kernelAppendParams: "nofb nomodeset vga=normal", dhcpProvider: "dnsmasq", dnsmasqDir: join(dir, "dnsmasq"),
      deployKernel: null, deployRamdisk: null, rescueKernel: null, rescueRamdisk: null,
    });
    // The real provider's host files; dnsmasq itself is not started here.
    setDhcpProvider(new DnsmasqProvider(settings));
    db = await createTestDb();
    setConfig({ conductorHostname: "ipxe-host", enabledHardwareTypes: ["ipmi", "redfish"], automatedClean: true });
    await startTestBmc(bmc);
    await startConductor({ periodic: false });
  }, 60_000);

  afterAll(async () => {
    await stopConductor();
    await stopTestBmc(bmc);
    await new Promise<void>((r) => origin.close(() => r()));
    setConfig();
    setNetbootSettings();
    setDhcpProvider();
    await db.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is the ipmi default, offered by redfish, and lists its driver_info", async () => {
    const ipmi = await api("GET", "/v1/drivers/ipmi");
    expect([ipmi.body.default_boot_interface, ipmi.body.enabled_boot_interfaces]).toEqual(["ipxe", ["ipxe", "external-pxe"]]);
    const redfish = await api("GET", "/v1/drivers/redfish");
    expect([redfish.body.default_boot_interface, redfish.body.enabled_boot_interfaces]).toEqual(["redfish-virtual-media", ["redfish-virtual-media", "ipxe"]]);
    const props = (await api("GET", "/v1/drivers/ipmi/properties")).body;
    expect(Object.keys(props)).toEqual(expect.arrayContaining(["deploy_kernel", "deploy_ramdisk", "rescue_kernel", "rescue_ramdisk", "kernel_append_params"]));
  });

  it("validation: deploy kernel/ramdisk, a port and the provisioning URL, in Ironic's words", async () => {
    const bare = await enroll("ipxe-bare", {});
    expect((await api("GET", `/v1/nodes/${bare}/validate`)).body.boot).toEqual({
      result: false,
      reason: "Cannot validate PXE bootloader. Some parameters were missing in node's driver_info and configuration. Missing are: ['deploy_kernel', 'deploy_ramdisk']",
    });
    const half = await enroll("ipxe-half", { deploy_kernel: `${originUrl}/ipa.kernel` }, false);
    expect((await api("GET", `/v1/nodes/${half}/validate`)).body.boot.reason).toBe(`Node ${half} does not have any port associated with it`);
    await api("POST", "/v1/ports", { body: { node_uuid: half, address: "52:54:00:c0:ff:02" } });
    expect((await api("GET", `/v1/nodes/${half}/validate`)).body.boot.reason).toMatch(/Missing are: \['deploy_ramdisk'\]$/);

    // The settings' pair is used when driver_info names neither.
    setNetbootSettings({ deployKernel: `${originUrl}/ipa.kernel`, deployRamdisk: join(dir, "deploy_ramdisk") });
    try {
      expect((await api("GET", `/v1/nodes/${bare}/validate`)).body.boot).toEqual({ result: true });
      setNetbootSettings({ provisioningUrl: null, agentApiUrl: null });
      expect((await api("GET", `/v1/nodes/${bare}/validate`)).body.boot.reason).toMatch(/^iPXE boot is enabled but no HTTP URL or HTTP root was specified: set INGOT_PROVISIONING_URL/);
    } finally {
      setNetbootSettings({ ...settings });
    }
    for (const uuid of [bare, half]) expect((await api("DELETE", `/v1/nodes/${uuid}`)).status).toBe(204);
  });

  it("prepareRamdisk serves the deploy ramdisk to the node's MAC and boots it once from the network; cleanUpRamdisk takes it all back", async () => {
    const uuid = await enroll("ipxe-deploy", {
      deploy_kernel: `${originUrl}/ipa.kernel`, deploy_ramdisk: join(dir, "deploy_ramdisk"), kernel_append_params: "%default% console=ttyS0,115200n8",
    });
    expect((await boot(`/boot/${uuid}/boot.ipxe`)).status).toBe(404);
    const task = await taskOf(uuid, { provisionState: "cleaning" });
    await ipxeBoot.prepareRamdisk(task);

    const script = await (await boot(`/boot/${uuid}/boot.ipxe`)).text();
    expect(script).toMatch(new RegExp(
      `^kernel ${BASE}/boot/${uuid}/deploy_kernel selinux=0 troubleshoot=0 text nofb nomodeset vga=normal console=ttyS0,115200n8 ` +
        `ipa-api-url=${BASE}/baremetal ipa-global-request-id=req-[0-9a-f-]{36} BOOTIF=\\$\\{mac\\} initrd=deploy_ramdisk \\|\\| goto retry$`, "m",
    ));
    expect(script).toContain(`initrd ${BASE}/boot/${uuid}/deploy_ramdisk || goto retry`);
    expect(await (await boot("/boot/mac/52-54-00-c0-ff-01")).text()).toBe(script);
    expect(Buffer.from(await (await boot(`/boot/${uuid}/deploy_kernel`)).arrayBuffer()).equals(deployKernel)).toBe(true);
    expect(await (await boot(`/boot/${uuid}/deploy_ramdisk`)).text()).toBe("ramdisk bytes");
    expect(hostFiles(uuid)).toEqual([`${uuid}_52-54-00-c0-ff-01`]);
    expect(await ipmitoolManagement.getBootDevice(task)).toEqual({ boot_device: "pxe", persistent: false });

    // A second boot of the ramdisk finds the kernel in the cache.
    await ipxeBoot.prepareRamdisk(task);
    expect(kernelHits).toBe(1);

    await ipxeBoot.cleanUpRamdisk(task);
    for (const path of [`/boot/${uuid}/boot.ipxe`, "/boot/mac/52-54-00-c0-ff-01", `/boot/${uuid}/deploy_kernel`]) expect((await boot(path)).status, path).toBe(404);
    expect(hostFiles(uuid)).toEqual([]);
    await remove(uuid);
  });

  it("rescue: the rescue kernel and ramdisk while the node is being rescued", async () => {
    const uuid = await enroll("ipxe-rescue", { deploy_kernel: `${originUrl}/ipa.kernel`, deploy_ramdisk: join(dir, "deploy_ramdisk") });
    const task = await taskOf(uuid, { provisionState: "rescuing" });
    await expect(ipxeBoot.prepareRamdisk(task)).rejects.toThrow(
      "Cannot validate PXE bootloader. Some parameters were missing in node's driver_info and configuration. Missing are: ['rescue_kernel', 'rescue_ramdisk']",
    );
    await task.update({ driverInfo: { ...task.node.driverInfo, rescue_kernel: join(dir, "rescue_kernel"), rescue_ramdisk: `file://${join(dir, "rescue_ramdisk")}` } });
    await ipxeBoot.prepareRamdisk(task);
    const script = await (await boot(`/boot/${uuid}/boot.ipxe`)).text();
    expect(script).toMatch(new RegExp(`kernel ${BASE}/boot/${uuid}/rescue_kernel .* initrd=rescue_ramdisk \\|\\| goto retry`));
    expect(await (await boot(`/boot/${uuid}/rescue_ramdisk`)).text()).toBe("rescue ramdisk");
    expect((await boot(`/boot/${uuid}/deploy_kernel`)).status).toBe(404);
    await ipxeBoot.cleanUpRamdisk(task);
    await remove(uuid);
  });

  it("`ramdisk` deploy boots instance_info's kernel and ramdisk from Ingot (persistent pxe); undeploy stops serving them", async () => {
    const uuid = await enroll("ipxe-instance", { deploy_kernel: `${originUrl}/ipa.kernel`, deploy_ramdisk: join(dir, "deploy_ramdisk") });
    expect((await provision(uuid, "manage")).provision_state).toBe("manageable");
    expect((await provision(uuid, "provide")).provision_state).toBe("available");
    expect((await api("GET", `/v1/nodes/${uuid}/validate`)).body.deploy).toEqual({
      result: false, reason: "Cannot validate PXE bootloader. Some parameters were missing in node's instance_info. Missing are: ['kernel', 'ramdisk']",
    });
    await api("PATCH", `/v1/nodes/${uuid}`, {
      body: [
        { op: "add", path: "/instance_info/kernel", value: join(dir, "instance_kernel") },
        { op: "add", path: "/instance_info/ramdisk", value: join(dir, "instance_ramdisk") },
        { op: "add", path: "/instance_info/kernel_append_params", value: "console=ttyS0 quiet" },
      ],
    });
    const node = await provision(uuid, "active");
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["active", "power on", null]);
    expect((await api("GET", `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({ boot_device: "pxe", persistent: true });
    const script = await (await boot(`/boot/${uuid}/boot.ipxe`)).text();
    expect(script).toContain(`kernel ${BASE}/boot/${uuid}/kernel root=/dev/ram0 text console=ttyS0 quiet initrd=ramdisk || goto retry`);
    expect(script).not.toContain("ipa-api-url");
    expect(await (await boot(`/boot/${uuid}/ramdisk`)).text()).toBe("instance ramdisk");
    expect(hostFiles(uuid)).toHaveLength(1);

    const after = await provision(uuid, "deleted");
    expect([after.provision_state, after.power_state]).toEqual(["available", "power off"]);
    expect((await boot(`/boot/${uuid}/boot.ipxe`)).status).toBe(404);
    expect(hostFiles(uuid)).toEqual([]);
    expect((await api("DELETE", `/v1/nodes/${uuid}`)).status).toBe(204);
  }, 60_000);

  it("agent inspection boots the deploy ramdisk from Ingot with the inspection callback; the callback ends serving it", async () => {
    const uuid = await enroll("ipxe-inspect", { deploy_kernel: `${originUrl}/ipa.kernel`, deploy_ramdisk: join(dir, "deploy_ramdisk") });
    expect((await provision(uuid, "manage")).provision_state).toBe("manageable");
    let node = await provision(uuid, "inspect");
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["inspect wait", "power on", null]);
    expect((await api("GET", `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({ boot_device: "pxe", persistent: false });
    const script = await (await boot("/boot/mac/52-54-00-c0-ff-01")).text();
    expect(script).toMatch(new RegExp(`ipa-api-url=${BASE}/baremetal ipa-inspection-callback-url=${BASE}/baremetal/v1/continue_inspection ipa-global-request-id=`));
    expect(hostFiles(uuid)).toHaveLength(1);

    const { fakeInspectionData } = await import("../inspection/inventory.ts");
    const data = fakeInspectionData({ uuid, name: "ipxe-inspect", driverInfo: {} });
    const inventory = { ...data.inventory, interfaces: [{ name: "eth0", mac_address: MAC, ipv4_address: "192.0.2.50", has_carrier: true }] };
    const posted = await api("POST", "/v1/continue_inspection", { version: "1.84", body: { inventory, ...data.pluginData } });
    expect(posted.status, posted.error ?? "").toBe(202);
    node = await settle(uuid);
    expect([node.provision_state, node.power_state, node.last_error]).toEqual(["manageable", "power off", null]);
    expect((await boot(`/boot/${uuid}/boot.ipxe`)).status).toBe(404);
    expect(hostFiles(uuid)).toEqual([]);
    expect((await api("DELETE", `/v1/nodes/${uuid}`)).status).toBe(204);
  }, 60_000);

  it("a redfish node boots the same way: the BMC is told to boot from the network once, then from disk", async () => {
    const rf = new RedfishMock();
    await rf.start();
    try {
      const created = await api("POST", "/v1/nodes", {
        body: {
          driver: "redfish", name: "ipxe-redfish", boot_interface: "ipxe",
          driver_info: rf.driverInfo({ redfish_connection_attempts: 2, redfish_connection_retry_interval: 0.05, deploy_kernel: `${originUrl}/ipa.kernel`, deploy_ramdisk: join(dir, "deploy_ramdisk") }),
        },
      });
      expect(created.status, created.error ?? "").toBe(201);
      const uuid = created.body.uuid as string;
      await api("POST", "/v1/ports", { body: { node_uuid: uuid, address: "52:54:00:c0:ff:0a" } });
      expect((await api("GET", `/v1/nodes/${uuid}/validate`)).body.boot).toEqual({ result: true });
      const task = await taskOf(uuid, { provisionState: "deploying" });
      await ipxeBoot.prepareRamdisk(task);
      expect([rf.system().boot.target, rf.system().boot.enabled]).toEqual(["Pxe", "Once"]);
      expect(await (await boot("/boot/mac/52-54-00-c0-ff-0a")).text()).toContain(`kernel ${BASE}/boot/${uuid}/deploy_kernel `);
      await ipxeBoot.cleanUpRamdisk(task);
      await ipxeBoot.prepareInstance(task);
      expect([rf.system().boot.target, rf.system().boot.enabled]).toEqual(["Hdd", "Continuous"]);
      expect((await boot("/boot/mac/52-54-00-c0-ff-0a")).status).toBe(404);
      await remove(uuid);
    } finally {
      await rf.stop();
      forgetRedfishSessions();
    }
  }, 60_000);

  it("an instance the deploy wrote to the local disk: boot device disk (persistent), nothing served, whatever instance_info says", async () => {
    const uuid = await enroll("ipxe-local", { deploy_kernel: `${originUrl}/ipa.kernel`, deploy_ramdisk: join(dir, "deploy_ramdisk") });
    // instance_on_local_disk is what the direct deploy's write_image records; kernel/ramdisk would be netbooted without it.
    const task = await taskOf(uuid, {
      provisionState: "deploying", driverInternalInfo: { instance_on_local_disk: true },
      instanceInfo: { kernel: join(dir, "instance_kernel"), ramdisk: join(dir, "instance_ramdisk") },
    });
    await ipxeBoot.prepareRamdisk(task);
    await ipxeBoot.prepareInstance(task);
    expect(await ipmitoolManagement.getBootDevice(task)).toEqual({ boot_device: "disk", persistent: true });
    expect((await boot(`/boot/${uuid}/boot.ipxe`)).status).toBe(404);
    expect(hostFiles(uuid)).toEqual([]);
    await remove(uuid);
  });
});
