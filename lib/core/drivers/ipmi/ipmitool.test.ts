// The ipmitool power and management interfaces against a real IPMI peer: the pyghmi fake BMC
// (fakebmc.py) on 127.0.0.1, through the real ipmitool binary.
import { createSocket } from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setConfig } from "../../config.ts";
import type { NodeChanges, NodeRecord } from "../../db/nodes.ts";
import type { DriverTask } from "../base.ts";
import { getInterface } from "../registry.ts";
import { FakeBmc, fakeBmcUnavailable } from "../../../testing/fake_bmc.ts";
import { ipmitoolManagement as mgmt, ipmitoolPower as power } from "./interfaces.ts";

// The generic ramdisk deploy works through the node's own interfaces: the ipmi type must be enabled.
const ramdiskDeploy = getInterface("deploy", "ramdisk")!;

const unavailable = fakeBmcUnavailable();

function taskFor(driverInfo: Record<string, unknown>, extra: Partial<NodeRecord> = {}): DriverTask & { node: NodeRecord } {
  const node = {
    id: 1, uuid: "7c4a5f3e-5b8e-4a59-9d55-3f3f0c6a1a01", driver: "ipmi", driverInfo, driverInternalInfo: {}, properties: {},
    instanceInfo: {}, powerState: null, bootMode: null, disablePowerOff: false, ...extra,
  } as unknown as NodeRecord;
  const task = {
    sql: undefined as never, node, conductor: "test",
    async update(changes: NodeChanges) {
      task.node = { ...task.node, ...(changes as Partial<NodeRecord>) };
      return task.node;
    },
  };
  return task;
}

/** A UDP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("ipmitool interfaces against the pyghmi fake BMC", () => {
  // npm test installs ipmitool and python3-pyghmi: a missing peer is a failure, not a skip.
  it("has the real IPMI peer (ipmitool, pyghmi)", () => {
    expect(unavailable).toBeNull();
  });

  const bmc = new FakeBmc({ password: "s3cret" });
  beforeAll(async () => {
    process.env.INGOT_IPMI_RETRY_BACKOFF_MS = "100";
    setConfig({ enabledHardwareTypes: ["fake-hardware", "ipmi"] });
    await bmc.start();
  });
  afterAll(async () => {
    delete process.env.INGOT_IPMI_RETRY_BACKOFF_MS;
    setConfig();
    await bmc.stop();
  });

  it("reads and changes the power state (on, off, reboot, soft off, soft reboot)", async () => {
    const task = taskFor(bmc.driverInfo());
    await power.validate(task);
    expect(await power.getPowerState(task)).toBe("power off");
    await power.setPowerState(task, "power on");
    expect(await power.getPowerState(task)).toBe("power on");
    await power.setPowerState(task, "power off");
    expect(await power.getPowerState(task)).toBe("power off");
    await power.setPowerState(task, "rebooting");
    expect(await power.getPowerState(task)).toBe("power on");
    const mark = bmc.events.length;
    await power.setPowerState(task, "soft rebooting");
    expect(await power.getPowerState(task)).toBe("power on");
    expect(bmc.events.slice(mark).filter((e) => e.event === "power").map((e) => e.action)).toEqual(["soft", "on"]);
    await power.setPowerState(task, "soft power off");
    expect(await power.getPowerState(task)).toBe("power off");
  });

  it("sets and reads the boot device, one-time or persistent, UEFI (raw) or legacy (chassis bootdev)", async () => {
    const uefi = taskFor(bmc.driverInfo());
    await mgmt.setBootDevice(uefi, "pxe", true);
    expect(await mgmt.getBootDevice(uefi)).toEqual({ boot_device: "pxe", persistent: true });
    expect(bmc.events.at(-1)).toMatchObject({ event: "bootdev", device: "pxe", persistent: true, efi: true });
    expect(bmc.events.at(-2)).toMatchObject({ event: "boot_timeout_disabled" });

    const legacy = taskFor(bmc.driverInfo({ ipmi_disable_boot_timeout: false }), { bootMode: "bios" });
    const mark = bmc.events.length;
    await mgmt.setBootDevice(legacy, "cdrom", false);
    expect(await mgmt.getBootDevice(legacy)).toEqual({ boot_device: "cdrom", persistent: false });
    expect(bmc.events.slice(mark)).toEqual([{ event: "bootdev", device: "cdrom", persistent: false, efi: false, valid: true }]);

    await mgmt.setBootDevice(legacy, "disk", true);
    expect(await mgmt.getBootDevice(legacy)).toEqual({ boot_device: "disk", persistent: true });
    await expect(mgmt.setBootDevice(legacy, "floppy", false)).rejects.toThrow("Invalid boot device floppy specified.");
    expect(await mgmt.getSupportedBootDevices(legacy)).toEqual(["pxe", "disk", "cdrom", "bios", "safe"]);
  });

  it("re-sends the boot device at power on with ipmi_force_boot_device", async () => {
    const task = taskFor(bmc.driverInfo({ ipmi_force_boot_device: true, ipmi_disable_boot_timeout: false }));
    await power.setPowerState(task, "power off");
    await mgmt.setBootDevice(task, "pxe", true);
    expect(task.node.driverInternalInfo).toMatchObject({ persistent_boot_device: "pxe", is_next_boot_persistent: true });
    expect(await mgmt.getBootDevice(task)).toEqual({ boot_device: "pxe", persistent: true });
    const mark = bmc.events.length;
    await power.setPowerState(task, "power on");
    expect(bmc.events.slice(mark).map((e) => e.event)).toEqual(["bootdev", "power"]);
    expect(bmc.events[mark]).toMatchObject({ device: "pxe", persistent: false });
  });

  it("injects an NMI (chassis power diag)", async () => {
    await mgmt.injectNmi!(taskFor(bmc.driverInfo()));
    expect(bmc.events.at(-1)).toMatchObject({ event: "nmi" });
  });

  it("says clearly that the password is wrong, without retrying", async () => {
    const task = taskFor(bmc.driverInfo({ ipmi_password: "wrong", ipmi_retries: 3 }));
    const started = Date.now();
    await expect(power.getPowerState(task)).rejects.toThrow(
      /^IPMI authentication failed for 127\.0\.0\.1:\d+: check ipmi_username \/ ipmi_password/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("reports an unreachable BMC as a timeout, quickly, after the configured retries", async () => {
    const port = await closedPort();
    const task = taskFor({ ipmi_address: "127.0.0.1", ipmi_port: port, ipmi_password: "x", ipmi_timeout: 1, ipmi_retries: 1 });
    const started = Date.now();
    const err = await power.getPowerState(task).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      `IPMI timeout: the BMC 127.0.0.1:${port} did not answer "power status" within 1 s (2 attempts). Check ipmi_address / ipmi_port and that the BMC is reachable from conductor.`,
    );
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it("ramdisk deploy through external-pxe: power off, network boot, power on; tear-down powers off", async () => {
    // external-pxe (the site's PXE service boots the machine); ipxe, the default, is in ../ipxe.test.ts.
    const task = taskFor(bmc.driverInfo({ ipmi_disable_boot_timeout: false }), { powerState: "power on", bootInterface: "external-pxe" });
    await power.setPowerState(task, "power on");
    const mark = bmc.events.length;
    await ramdiskDeploy.steps![0].run(task, {});
    expect(bmc.events.slice(mark).map((e) => `${e.event}:${String(e.action ?? e.device)}`)).toEqual(["power:off", "bootdev:pxe", "power:on"]);
    expect(task.node.powerState).toBe("power on");
    expect(await mgmt.getBootDevice(task)).toEqual({ boot_device: "pxe", persistent: true });
    await ramdiskDeploy.tearDown(task);
    expect(task.node.powerState).toBe("power off");
    expect(await power.getPowerState(task)).toBe("power off");
  });

  it("authenticates with a Kg key (environment for text keys, -y for binary ones) and names it when wrong", async () => {
    const kgBmc = new FakeBmc({ password: "s3cret", kg: "kgsecret" });
    await kgBmc.start();
    try {
      const hexKg = Buffer.from("kgsecret").toString("hex");
      expect(await power.getPowerState(taskFor(kgBmc.driverInfo({ ipmi_hex_kg_key: hexKg })))).toBe("power off");
      await expect(power.getPowerState(taskFor(kgBmc.driverInfo({ ipmi_hex_kg_key: "00ff" })))).rejects.toThrow(
        /^IPMI authentication failed for 127\.0\.0\.1:\d+: check ipmi_username \/ ipmi_password \/ ipmi_hex_kg_key/,
      );
    } finally {
      await kgBmc.stop();
    }
  });
});
