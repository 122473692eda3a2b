// The redfish power, management, boot and inspect interfaces against the test Redfish service.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { NodeChanges, NodeRecord } from "../../db/nodes.ts";
import { RedfishMock } from "../../../testing/redfish_mock.ts";
import type { DriverTask } from "../base.ts";
import { forgetRedfishSessions } from "./client.ts";
import { redfishInspect, redfishManagement as mgmt, redfishPower as power, redfishVirtualMediaBoot as vmedia } from "./interfaces.ts";

const bmc = new RedfishMock({
  systems: [
    {},
    { id: "limited", resetTypes: ["On", "ForceOff"], bootTargets: ["None", "Pxe", "Hdd"], secureBoot: false, storage: "SimpleStorage" },
    { id: "slow", powerTransitionMs: 300, asyncResetMs: 150, storage: "none", bios: false },
    { id: "once-only", bootEnabledValues: ["Once", "Disabled"] },
  ],
});
const iso = { server: null as null | import("node:http").Server, url: "" };

function taskFor(systemId: string, extra: Record<string, unknown> = {}, node: Partial<NodeRecord> = {}): DriverTask & { node: NodeRecord } {
  const record = {
    id: 1, uuid: "7c4a5f3e-5b8e-4a59-9d55-3f3f0c6a1a01", driver: "redfish", bootInterface: null, properties: {}, instanceInfo: {},
    driverInfo: bmc.driverInfo({ redfish_system_id: `/redfish/v1/Systems/${systemId}`, redfish_connection_attempts: 2, redfish_connection_retry_interval: 0.02, ...extra }),
    driverInternalInfo: {}, powerState: null, bootMode: null, ...node,
  } as unknown as NodeRecord;
  const task = {
    sql: undefined as never, node: record, conductor: "test",
    async update(changes: NodeChanges) {
      task.node = { ...task.node, ...(changes as Partial<NodeRecord>) };
      return task.node;
    },
  };
  return task;
}

beforeAll(async () => {
  await bmc.start();
  const { createServer } = await import("node:http");
  iso.server = createServer((req, res) => {
    if (req.url === "/missing.iso") return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": "application/octet-stream" }).end("ISO");
  });
  await new Promise<void>((r) => iso.server!.listen(0, "127.0.0.1", () => r()));
  iso.url = `http://127.0.0.1:${(iso.server!.address() as import("node:net").AddressInfo).port}`;
});
afterAll(async () => {
  await bmc.stop();
  await new Promise<void>((r) => iso.server!.close(() => r()));
});
afterEach(() => {
  bmc.delayMs = 0;
  forgetRedfishSessions();
});

describe("redfish power", () => {
  it("on, off, reboot, soft off, soft reboot with the reset types the system advertises", async () => {
    const task = taskFor("1");
    const sys = bmc.system("1");
    sys.resets = [];
    await power.setPowerState(task, "power on");
    expect(await power.getPowerState(task)).toBe("power on");
    await power.setPowerState(task, "power on"); // already on: nothing sent
    await power.setPowerState(task, "rebooting");
    await power.setPowerState(task, "soft rebooting");
    await power.setPowerState(task, "soft power off");
    expect(await power.getPowerState(task)).toBe("power off");
    await power.setPowerState(task, "rebooting"); // from off: just on
    await power.setPowerState(task, "power off");
    expect(sys.resets).toEqual(["On", "ForceRestart", "GracefulRestart", "GracefulShutdown", "On", "ForceOff"]);
  });

  it("a system advertising only On and ForceOff: reboot = off + on; soft off and NMI are refused readably", async () => {
    const task = taskFor("limited");
    const sys = bmc.system("limited");
    await power.setPowerState(task, "power on");
    sys.resets = [];
    await power.setPowerState(task, "rebooting");
    expect(sys.resets).toEqual(["ForceOff", "On"]);
    await expect(power.setPowerState(task, "soft power off")).rejects.toThrow(
      /^The Redfish system \/redfish\/v1\/Systems\/limited on BMC http:\/\/127\.0\.0\.1:\d+ cannot soft power off: it advertises reset types On, ForceOff, and this needs GracefulShutdown or PushPowerButton\.$/,
    );
    await expect(mgmt.injectNmi!(task)).rejects.toThrow(/cannot inject an NMI: it advertises reset types On, ForceOff, and this needs Nmi/);
    await power.setPowerState(task, "power off");
  });

  it("waits for slow transitions and follows the reset task; a too-short timeout is a readable error", async () => {
    const task = taskFor("slow");
    await power.setPowerState(task, "power on");
    expect(bmc.system("slow").powerState).toBe("On");
    await expect(power.setPowerState(task, "power off", 0.2)).rejects.toThrow(
      /^Power off failed: the Redfish BMC http:\/\/127\.0\.0\.1:\d+ still reports PowerState "(On|PoweringOff)" after 0\.2 s \(expected "Off"\)\.$/,
    );
    await new Promise((r) => setTimeout(r, 400));
    expect(await power.getPowerState(task)).toBe("power off");
  });

  it("a slow BMC: request timeout becomes a readable error", async () => {
    bmc.delayMs = 500;
    await expect(power.getPowerState(taskFor("1", { redfish_timeout: 0.2, redfish_auth_type: "basic" }))).rejects.toThrow(
      /^Redfish BMC http:\/\/127\.0\.0\.1:\d+ did not answer read the power state \(GET \/redfish\/v1\/Systems\/1\) within 0\.2 s \(2 attempts\)/,
    );
  });
});

describe("redfish management", () => {
  it("boot device once vs persistent; a boot consumes a one-time override", async () => {
    const task = taskFor("1");
    await power.setPowerState(task, "power off");
    await mgmt.setBootDevice(task, "pxe", false);
    expect(await mgmt.getBootDevice(task)).toEqual({ boot_device: "pxe", persistent: false });
    await power.setPowerState(task, "power on");
    expect(bmc.system("1").bootedFrom).toBe("Pxe");
    expect(await mgmt.getBootDevice(task)).toEqual({ boot_device: null, persistent: null });
    await mgmt.setBootDevice(task, "disk", true);
    await power.setPowerState(task, "rebooting");
    expect(await mgmt.getBootDevice(task)).toEqual({ boot_device: "disk", persistent: true });
    expect(bmc.system("1").bootedFrom).toBe("Hdd");
    await power.setPowerState(task, "power off");
  });

  it("a BMC that cannot keep a boot device: Ingot remembers it and sends it again before every boot", async () => {
    const task = taskFor("once-only");
    const sys = bmc.system("once-only");
    await mgmt.setBootDevice(task, "pxe", true);
    expect(sys.boot).toMatchObject({ target: "Pxe", enabled: "Once" });
    expect(task.node.driverInternalInfo).toMatchObject({ redfish_boot_device: "pxe" });
    expect(await mgmt.getBootDevice(task)).toEqual({ boot_device: "pxe", persistent: true });
    await power.setPowerState(task, "power on");
    expect(sys.bootedFrom).toBe("Pxe");
    await power.setPowerState(task, "rebooting");
    expect([sys.boots, sys.bootedFrom]).toEqual([2, "Pxe"]);
    // A one-time device wins for the next boot only.
    await mgmt.setBootDevice(task, "cdrom", false);
    await power.setPowerState(task, "rebooting");
    expect(sys.bootedFrom).toBe("Cd");
    await power.setPowerState(task, "rebooting");
    expect(sys.bootedFrom).toBe("Pxe");
    await power.setPowerState(task, "power off");
  });

  it("offers the boot devices the system advertises and refuses others", async () => {
    const task = taskFor("limited");
    expect(await mgmt.getSupportedBootDevices(task)).toEqual(["pxe", "disk"]);
    await expect(mgmt.setBootDevice(task, "cdrom", true)).rejects.toThrow(
      /^Invalid boot device cdrom specified: the Redfish system \/redfish\/v1\/Systems\/limited on BMC http:\/\/127\.0\.0\.1:\d+ offers pxe, disk\.$/,
    );
    expect(await mgmt.getSupportedBootDevices(taskFor("1"))).toEqual(["pxe", "disk", "cdrom", "bios", "uefi-http", "usb"]);
  });

  it("boot mode and secure boot; a system without SecureBoot says so", async () => {
    const task = taskFor("1");
    await mgmt.setBootMode!(task, "bios");
    expect(bmc.system("1").boot.mode).toBe("Legacy");
    await mgmt.setBootMode!(task, "uefi");
    await mgmt.setSecureBoot!(task, true);
    expect(bmc.system("1").secureBoot.enable).toBe(true);
    await mgmt.setSecureBoot!(task, false);
    await expect(mgmt.setSecureBoot!(taskFor("limited"), true)).rejects.toThrow(/has no SecureBoot resource: secure boot cannot be changed through Redfish/);
  });

  it("NMI and the system indicator LED", async () => {
    const task = taskFor("1");
    const before = bmc.system("1").nmis;
    await mgmt.injectNmi!(task);
    expect(bmc.system("1").nmis).toBe(before + 1);
    expect(await mgmt.getIndicators!(task)).toEqual([{ name: "led", component: "system", readonly: false, states: ["blinking", "off", "on"] }]);
    await mgmt.setIndicatorState!(task, "system", "led", "blinking");
    expect(await mgmt.getIndicatorState!(task, "system", "led")).toBe("blinking");
    await expect(mgmt.getIndicatorState!(task, "chassis", "led")).rejects.toThrow("Indicator led@chassis could not be found.");
  });

  it("virtual media: attach, list, detach; the BMC's download failure is readable", async () => {
    const task = taskFor("1");
    await mgmt.attachVirtualMedia!(task, { device_type: "cdrom", image_url: `${iso.url}/a.iso`, image_download_source: "http" });
    expect(await mgmt.getVirtualMedia!(task)).toEqual([{ device_type: "cdrom", image_url: `${iso.url}/a.iso`, image_download_source: "http" }]);
    // Another image replaces the inserted one (eject first).
    await mgmt.attachVirtualMedia!(task, { device_type: "cdrom", image_url: `${iso.url}/b.iso`, image_download_source: "http" });
    expect(bmc.virtualMedia[0]).toMatchObject({ image: `${iso.url}/b.iso`, inserted: true });
    await mgmt.detachVirtualMedia!(task);
    expect(await mgmt.getVirtualMedia!(task)).toEqual([]);
    await expect(mgmt.attachVirtualMedia!(task, { device_type: "cdrom", image_url: `${iso.url}/missing.iso`, image_download_source: "http" })).rejects.toThrow(
      /refused insert virtual media http:\/\/127\.0\.0\.1:\d+\/missing\.iso \(POST \/redfish\/v1\/Managers\/BMC\/VirtualMedia\/Cd\/Actions\/VirtualMedia\.InsertMedia\): HTTP 400 The image .* could not be downloaded: HTTP 404\./,
    );
  });

  it("a BMC without virtual media says so", async () => {
    const novm = new RedfishMock({ virtualMedia: false });
    await novm.start();
    try {
      const task = taskFor("1", { redfish_address: novm.url }, { instanceInfo: { boot_iso: `${iso.url}/live.iso` } });
      await expect(vmedia.prepareInstance(task)).rejects.toThrow(
        /^Redfish BMC http:\/\/127\.0\.0\.1:\d+ offers no virtual media \(no VirtualMedia on \/redfish\/v1\/Systems\/1 or its managers\)\.$/,
      );
    } finally {
      await novm.stop();
    }
  });

  it("virtual-media boot: the instance ISO becomes the persistent CD boot", async () => {
    const task = taskFor("1", {}, { instanceInfo: { boot_iso: `${iso.url}/live.iso` } });
    await vmedia.prepareInstance(task);
    expect(bmc.virtualMedia[0]).toMatchObject({ image: `${iso.url}/live.iso`, inserted: true });
    expect(await mgmt.getBootDevice(task)).toEqual({ boot_device: "cdrom", persistent: true });
    const patches = bmc.requests.filter((r) => r.method === "PATCH").length;
    await vmedia.prepareInstance(task); // already in place: nothing changes
    expect(bmc.requests.filter((r) => r.method === "PATCH").length).toBe(patches);
    await vmedia.cleanUpInstance(task);
    expect(bmc.virtualMedia[0].inserted).toBe(false);
    await expect(vmedia.validate(taskFor("1", {}, { instanceInfo: { boot_iso: "file:///x.iso" } }))).rejects.toThrow(
      /Invalid ISO URL "file:\/\/\/x\.iso" in instance_info\/boot_iso .* must be an http:\/\/ or https:\/\/ URL\./,
    );
  });
});

describe("redfish inspect", () => {
  it("builds the IPA inventory from Systems, Processors, Memory, EthernetInterfaces and Storage", async () => {
    const { inventory, pluginData } = (await redfishInspect.inspectHardware(taskFor("1"))) as Exclude<Awaited<ReturnType<typeof redfishInspect.inspectHardware>>, "wait" | "done">;
    expect(inventory.cpu).toMatchObject({ count: 128, architecture: "x86_64", socket_count: 2, frequency: "3200", model_name: expect.stringContaining("Xeon") });
    expect(inventory.memory).toEqual({ total: 262144 * 1024 * 1024, physical_mb: 262144 });
    expect(inventory.interfaces.map((i) => [i.mac_address, i.has_carrier])).toEqual([["52:54:00:aa:01:01", true], ["52:54:00:aa:01:02", false]]);
    expect(inventory.interfaces[0].ipv4_address).toBe("192.0.2.11");
    expect(pluginData).toMatchObject({ redfish: { disabled_macs: ["52:54:00:aa:01:03"] } });
    expect(inventory.disks.map((d) => [d.name, d.size, d.rotational, d.wwn])).toEqual([
      ["Drive 0", 960_197_124_096, false, "0x5000c500a1b2c310"], ["Drive 1", 4_000_787_030_016, true, "0x5000c500a1b2c311"],
    ]);
    expect(inventory.system_vendor).toMatchObject({ manufacturer: "Ingot", product_name: "Mock Server 1U", serial_number: "MOCK-1-0001" });
    expect(inventory.boot.current_boot_mode).toBe("uefi");
    expect(inventory.bmc_address).toBe("127.0.0.1");
  });

  it("falls back to SimpleStorage, and copes without any storage", async () => {
    const simple = (await redfishInspect.inspectHardware(taskFor("limited"))) as { inventory: { disks: { size: number }[] } };
    expect(simple.inventory.disks.map((d) => d.size)).toEqual([960_197_124_096, 4_000_787_030_016]);
    const none = (await redfishInspect.inspectHardware(taskFor("slow"))) as { inventory: { disks: unknown[] } };
    expect(none.inventory.disks).toEqual([]);
  });
});
