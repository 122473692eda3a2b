// An `ipmi` node deployed by the `direct` deploy through the pyghmi fake BMC: the boot device the
// conductor sets decides what the machine boots at power on — the network (a test agent speaking
// IPA's protocol starts, lib/testing/ipa_agent.ts) or its disk. With `external-pxe` the site's
// network always serves the agent; with `ipxe` the machine asks Ingot's /boot/ for its MAC's
// script (served by Ingot's own route on a real HTTP server) and the agent starts only when
// Ingot serves the deploy ramdisk. This agent cannot power the fake BMC off, so the deploy falls
// back to a hard power off through ipmitool, as Ironic does.
import { createHash } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, powerChangeRows } from "../../../testing/api.ts";
import { createTestDb, type TestDb } from "../../../testing/env.ts";
import { FakeBmc, fakeBmcUnavailable } from "../../../testing/fake_bmc.ts";
import { enrollIpmiNode, ipxeAgentKernel, startTestBmc, stopTestBmc, TestMachine } from "../../../testing/ipmi_node.ts";
import { isBootPath, serveBoot } from "../../../server/boot_http.ts";
import { setConfig } from "../../config.ts";
import { getConductor, startConductor, stopConductor } from "../../conductor/index.ts";
import { DnsmasqProvider } from "../../dhcp/dnsmasq.ts";
import { setDhcpProvider } from "../../dhcp/provider.ts";
import { macFileName } from "../../netboot/ipxe_script.ts";
import { setNetbootSettings, type NetbootSettings } from "../../netboot/settings.ts";

const unavailable = fakeBmcUnavailable();
const MAC = "52:54:00:12:34:56";
const IMAGE = Buffer.alloc(4096, 0x5a);
let db: TestDb;
let dir = "";
let files: Server;
let filesUrl = "";
const bmc = new FakeBmc({ password: "s3cret" });
let machine: TestMachine;
/** Ingot's /boot/ on a real HTTP server (the machines' provisioning URL). */
let bootServer: Server;
let bootUrl = "";
const bootRequests: string[] = [];
const imageRequests: string[] = [];
let netboot: NetbootSettings;
/** The kernels named by the scripts Ingot served the machine, in order. */
const servedKernels: string[] = [];
/** The site's PXE (external-pxe) always serves the agent. */
const sitePxeServesAgent = async () => true;

/** What a PXE-booting machine running iPXE does: Ingot's chain asks for its MAC's script. */
async function ingotServesAgent(): Promise<boolean> {
  const kernel = await ipxeAgentKernel(bootUrl, MAC);
  if (kernel) servedKernels.push(kernel);
  return kernel !== null;
}

const hostFiles = (uuid: string) => (existsSync(join(netboot.dnsmasqDir, "hosts")) ? readdirSync(join(netboot.dnsmasqDir, "hosts")).filter((f) => f.startsWith(uuid)) : []);
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

async function settle(uuid: string) {
  for (let i = 0; i < 1000; i++) {
    await getConductor().pool.drain();
    const node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    if (!["deploying", "wait call-back", "cleaning", "clean wait", "deleting", "rescuing", "rescue wait", "unrescuing"].includes(node.provision_state) && node.reservation === null) return node;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("node did not settle");
}

async function provision(uuid: string, target: string, extra: Record<string, unknown> = {}) {
  const res = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target, ...extra } });
  expect(res.status, res.error ?? "").toBe(202);
  return settle(uuid);
}

describe("ipmi node, direct deploy", () => {
  it("has the real IPMI peer (ipmitool, pyghmi)", () => {
    expect(unavailable).toBeNull();
  });

  beforeAll(async () => {
    process.env.INGOT_API_AUTH = "noauth";
    db = await createTestDb();
    dir = await mkdtemp(join(tmpdir(), "ipmi-direct-"));
    files = createServer((req, res) => {
      if (req.url === "/disk.raw") imageRequests.push(req.url);
      if (req.url === "/disk.raw") res.writeHead(200).end(IMAGE);
      else if (req.url === "/ipa.kernel") res.writeHead(200).end("kernel bytes");
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => files.listen(0, "127.0.0.1", () => r()));
    filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    bootServer = createServer((req, res) => {
      bootRequests.push(`${req.method} ${req.url}`);
      if (isBootPath(req.url ?? "")) void serveBoot(req, res, bootUrl);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => bootServer.listen(0, "127.0.0.1", () => r()));
    bootUrl = `http://127.0.0.1:${(bootServer.address() as AddressInfo).port}`;
    await writeFile(join(dir, "deploy_ramdisk"), "ramdisk bytes");
    netboot = setNetbootSettings({
      provisioningUrl: bootUrl, agentApiUrl: `${bootUrl}/baremetal`, httpRoot: join(dir, "httpboot"), imageCacheDir: join(dir, "cache"),
      dhcpProvider: "dnsmasq", dnsmasqDir: join(dir, "dnsmasq"), deployKernel: null, deployRamdisk: null, rescueKernel: null, rescueRamdisk: null,
    });
    // The real provider's host files; dnsmasq itself is not started here (lib/core/dhcp/dnsmasq.test.ts).
    setDhcpProvider(new DnsmasqProvider(netboot));
    setConfig({
      conductorHostname: "ipmi-direct", enabledHardwareTypes: ["fake-hardware", "ipmi"], automatedClean: false,
      agentCommandWaitIntervalSeconds: 0.02, agentPowerOffWaitSeconds: 1,
    });
    machine = new TestMachine(bmc, {
      mac: MAC, disks: [{ name: "/dev/sda", size: 16 * 1024 ** 3, path: join(dir, "sda") }], networkServesAgent: sitePxeServesAgent,
      ironic: async (method, path, body) => {
        const r = await api(method, path, { body, version: 68 });
        return { status: r.status, body: r.body };
      },
    });
    await startTestBmc(bmc);
    await startConductor({ periodic: false });
  });
  afterAll(async () => {
    await stopConductor();
    await machine.stop();
    await stopTestBmc(bmc);
    await new Promise<void>((r) => files.close(() => r()));
    await new Promise<void>((r) => bootServer.close(() => r()));
    setConfig();
    setNetbootSettings();
    setDhcpProvider();
    await rm(dir, { recursive: true, force: true });
    await db.cleanup();
  });

  it("external-pxe: boots the ramdisk from the network, writes the image, then boots the disk (persistent)", async () => {
    machine.opts.networkServesAgent = sitePxeServesAgent;
    machine.booted.length = 0;
    const { uuid } = await enrollIpmiNode(bmc, {
      name: "ipmi-direct-01", macs: [MAC],
      fields: {
        boot_interface: "external-pxe", deploy_interface: "direct",
        instance_info: { image_source: `${filesUrl}/disk.raw`, image_checksum: createHash("sha256").update(IMAGE).digest("hex"), image_disk_format: "raw" },
      },
    });
    await provision(uuid, "manage");
    await provision(uuid, "provide");
    const node = await provision(uuid, "active");
    expect([node.provision_state, node.last_error, node.power_state]).toEqual(["active", null, "power on"]);
    expect((await readFile(join(dir, "sda"))).equals(IMAGE)).toBe(true);
    expect(machine.booted).toEqual(["pxe", "disk"]);
    const boot = await api("GET", `/v1/nodes/${uuid}/management/boot_device`);
    expect(boot.body).toEqual({ boot_device: "disk", persistent: true });
    const history = (await api("GET", `/v1/nodes/${uuid}/history`)).body.history as { event: string }[];
    expect(history.map((h) => h.event).join("\n")).toMatch(/the agent's power off did not take within 1 s; powering off through the power interface/);
    await remove(uuid); // frees the MAC for the next machine's node
  });

  /** An ipmi node booting through ipxe (the default) with the direct deploy and automated cleaning. */
  async function enrollIpxe(name: string, instanceInfo: Record<string, unknown>): Promise<string> {
    const { uuid, node } = await enrollIpmiNode(bmc, {
      name, macs: [MAC],
      driverInfo: {
        deploy_kernel: `${filesUrl}/ipa.kernel`, deploy_ramdisk: join(dir, "deploy_ramdisk"),
        rescue_kernel: `${filesUrl}/ipa.kernel`, rescue_ramdisk: join(dir, "deploy_ramdisk"),
      },
      fields: { deploy_interface: "direct", rescue_interface: "agent", automated_clean: true, instance_info: instanceInfo },
    });
    expect(node.boot_interface).toBe("ipxe");
    return uuid;
  }

  /** Nothing of the node is served or given to DHCP any more. */
  async function expectNothingServed(uuid: string): Promise<void> {
    expect((await fetch(`${bootUrl}/boot/${uuid}/boot.ipxe`)).status).toBe(404);
    expect((await fetch(`${bootUrl}/boot/mac/${macFileName(MAC)}`)).status).toBe(404);
    expect(hostFiles(uuid)).toEqual([]);
  }

  async function remove(uuid: string): Promise<void> {
    await provision(uuid, "deleted");
    await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "manage" } });
    await settle(uuid);
    expect((await api("DELETE", `/v1/nodes/${uuid}`)).status).toBe(204);
  }

  it("ipxe: agent cleaning, the deploy and agent rescue boot Ingot's ramdisks; active boots the disk (persistent), nothing served", async () => {
    machine.opts.networkServesAgent = ingotServesAgent;
    machine.booted.length = 0;
    servedKernels.length = 0;
    bootRequests.length = 0;
    await rm(join(dir, "sda"), { force: true });
    const uuid = await enrollIpxe("ipmi-ipxe-direct", { image_source: `${filesUrl}/disk.raw`, image_checksum: sha256(IMAGE), image_disk_format: "raw" });
    const firstEvent = bmc.events.length;
    await provision(uuid, "manage");
    const available = await provision(uuid, "provide");
    expect([available.provision_state, available.last_error]).toEqual(["available", null]);
    const history = (await api("GET", `/v1/nodes/${uuid}/history`)).body.history as { event: string }[];
    expect(history.map((h) => h.event).join("\n")).toMatch(/erase_devices_metadata/);
    expect(machine.booted).toEqual(["pxe"]);
    expect(bootRequests).toContain(`GET /boot/mac/${macFileName(MAC)}`);
    await expectNothingServed(uuid);

    const node = await provision(uuid, "active");
    expect([node.provision_state, node.last_error, node.power_state]).toEqual(["active", null, "power on"]);
    expect((await readFile(join(dir, "sda"))).equals(IMAGE)).toBe(true);
    expect(machine.booted).toEqual(["pxe", "pxe", "disk"]);
    expect((await api("GET", `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({ boot_device: "disk", persistent: true });
    await expectNothingServed(uuid);

    // Rescue: Ingot serves the rescue ramdisk until its agent has the password; unrescue boots the disk.
    let rescued = await provision(uuid, "rescue", { rescue_password: "s3cret" });
    expect([rescued.provision_state, rescued.last_error]).toEqual(["rescue", null]);
    expect(machine.agent?.rescuePassword?.hashed).toBe(true);
    await expectNothingServed(uuid);
    rescued = await provision(uuid, "unrescue");
    expect([rescued.provision_state, rescued.last_error, rescued.power_state]).toEqual(["active", null, "power on"]);
    expect(machine.booted).toEqual(["pxe", "pxe", "disk", "pxe", "disk"]);
    expect(servedKernels).toEqual(["deploy_kernel", "deploy_kernel", "rescue_kernel"]);
    expect((await api("GET", `/v1/nodes/${uuid}/management/boot_device`)).body).toEqual({ boot_device: "disk", persistent: true });
    await expectNothingServed(uuid);

    // Every power change the conductor made (no one asked through the power API) is a history row,
    // as for sim nodes: the BMC's sequence of power states and the history's are the same.
    const seen = bmc.events.slice(firstEvent).filter((e) => e.event === "power").map((e) => `power ${String(e.state)}`);
    const rows = await powerChangeRows(uuid);
    expect(rows.map((r) => r.to_state)).toEqual(seen);
    expect(rows.every((r) => r.kind === "power_change" && r.from_state !== r.to_state)).toBe(true);
    await remove(uuid);
  });

  it("image_download_source=local: Ingot caches the image and serves it to the agent at /boot/ only while it writes", async () => {
    machine.opts.networkServesAgent = ingotServesAgent;
    machine.booted.length = 0;
    bootRequests.length = 0;
    imageRequests.length = 0;
    await rm(join(dir, "sda"), { force: true });
    const uuid = await enrollIpxe("ipmi-ipxe-local", {
      image_source: `${filesUrl}/disk.raw`, image_os_hash_algo: "sha256", image_os_hash_value: sha256(IMAGE), image_download_source: "local",
    });
    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "replace", path: "/automated_clean", value: false }] });
    await provision(uuid, "manage");
    await provision(uuid, "provide");
    const node = await provision(uuid, "active");
    expect([node.provision_state, node.last_error]).toEqual(["active", null]);
    expect((await readFile(join(dir, "sda"))).equals(IMAGE)).toBe(true);
    // Ingot downloaded the image once; the agent fetched it from Ingot, which no longer serves it.
    expect(imageRequests).toEqual(["/disk.raw"]);
    expect(bootRequests).toContain(`GET /boot/agent_images/${uuid}`);
    expect((await fetch(`${bootUrl}/boot/agent_images/${uuid}`)).status).toBe(404);
    await expectNothingServed(uuid);
    await remove(uuid);
  });

  it("image_download_source=local with a wrong checksum: Ingot's cache refuses the image, deploy failed", async () => {
    machine.opts.networkServesAgent = ingotServesAgent;
    const uuid = await enrollIpxe("ipmi-ipxe-local-bad", {
      image_source: `${filesUrl}/disk.raw`, image_checksum: sha256(Buffer.from("something else")), image_download_source: "local",
    });
    await api("PATCH", `/v1/nodes/${uuid}`, { body: [{ op: "replace", path: "/automated_clean", value: false }] });
    await provision(uuid, "manage");
    await provision(uuid, "provide");
    const node = await provision(uuid, "active");
    expect(node.provision_state).toBe("deploy failed");
    expect(node.last_error).toMatch(/checksum/i);
    expect((await fetch(`${bootUrl}/boot/agent_images/${uuid}`)).status).toBe(404);
  });
});
