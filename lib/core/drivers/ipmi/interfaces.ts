// Interfaces of the `ipmi` hardware type: `ipmitool` power and management, the `external-pxe`
// boot interface (which the generic agent-less `ramdisk` deploy, drivers/generic.ts, boots the
// instance through) and `agent` inspection (see README.md in this folder for exactly what they do
// and do not do).
import type { Dict } from "../../db/nodes.ts";
import { DriverError, Invalid } from "../../errors.ts";
import type { PowerTarget } from "../../states.ts";
import { instanceOnLocalDisk, recordPowerChange, type BootInterface, type DriverTask, type InspectInterface, type ManagementInterface, type PowerInterface } from "../base.ts";
import { netbootSettings } from "../../netboot/settings.ts";
// The catalog (not registry.ts, which imports this driver): agent inspection asks the node's boot interface.
import { interfacesFor } from "../catalog.ts";
import { bmcLabel, IPMI_PROPERTIES, parseIpmiDriverInfo, type IpmiInfo } from "./driver_info.ts";
import { ipmitool, requireIpmitool } from "./ipmitool.ts";

export type PowerReading = "power on" | "power off";

const info = (task: DriverTask) => parseIpmiDriverInfo(task.node);

/** Validation never talks to the BMC (as Ironic); it checks driver_info and that ipmitool is here. */
async function validateIpmi(task: DriverTask): Promise<void> {
  info(task);
  requireIpmitool();
}

function envSeconds(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}

/** Seconds to wait for a power state after a request (Ironic [conductor]power_state_change_timeout). */
const powerStateTimeout = () => envSeconds("INGOT_IPMI_POWER_STATE_TIMEOUT", 60);
/** Seconds a soft power off may take (Ironic [conductor]soft_power_off_timeout). */
const softPowerOffTimeout = () => envSeconds("INGOT_IPMI_SOFT_POWER_OFF_TIMEOUT", 600);

// ---- power ----

export async function readPowerState(ipmi: IpmiInfo): Promise<PowerReading> {
  const { stdout } = await ipmitool(ipmi, ["power", "status"]);
  const m = /Chassis Power is (on|off)/i.exec(stdout);
  if (!m) throw new DriverError(`The BMC ${bmcLabel(ipmi)} gave an unexpected answer to "power status": ${stdout.trim() || "(nothing)"}`);
  return m[1].toLowerCase() === "on" ? "power on" : "power off";
}

/** Polls `power status` until `want` (backoff 0.25 s → 2 s) or the timeout. */
async function waitForPower(ipmi: IpmiInfo, want: PowerReading, seconds: number, what: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let delay = 250;
  let last: PowerReading | null = null;
  for (;;) {
    last = await readPowerState(ipmi);
    if (last === want) return;
    if (Date.now() + delay > deadline) break;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 2000);
  }
  throw new DriverError(`${what}: the BMC ${bmcLabel(ipmi)} still reports "${last}" after ${seconds} s (expected "${want}").`);
}

async function chassisPower(ipmi: IpmiInfo, action: "on" | "off" | "soft" | "diag" | "reset" | "cycle"): Promise<void> {
  await ipmitool(ipmi, ["power", action]);
}

async function powerOn(task: DriverTask, ipmi: IpmiInfo, timeout: number): Promise<void> {
  await ensureNextBootDevice(task, ipmi);
  await chassisPower(ipmi, "on");
  await waitForPower(ipmi, "power on", timeout, "Power on failed");
}

async function powerOff(ipmi: IpmiInfo, timeout: number): Promise<void> {
  await chassisPower(ipmi, "off");
  await waitForPower(ipmi, "power off", timeout, "Power off failed");
}

async function softPowerOff(ipmi: IpmiInfo, timeout: number): Promise<void> {
  await chassisPower(ipmi, "soft");
  await waitForPower(ipmi, "power off", timeout, "Soft power off failed (the operating system did not shut down; does it handle the ACPI power button?)");
}

export const ipmitoolPower: PowerInterface = {
  kind: "power", name: "ipmitool",
  properties: IPMI_PROPERTIES,
  // Like Ironic, validation does not talk to the BMC (it is called often and BMCs are fragile).
  validate: validateIpmi,
  async getPowerState(task) {
    return readPowerState(info(task));
  },
  async setPowerState(task, target: PowerTarget, timeoutSeconds?: number) {
    const ipmi = info(task);
    const timeout = timeoutSeconds && timeoutSeconds > 0 ? timeoutSeconds : powerStateTimeout();
    switch (target) {
      case "power on":
        return powerOn(task, ipmi, timeout);
      case "power off":
        return powerOff(ipmi, timeout);
      case "soft power off":
        return softPowerOff(ipmi, timeoutSeconds && timeoutSeconds > 0 ? timeoutSeconds : softPowerOffTimeout());
      case "rebooting":
        // Off then on (not "power reset"): some BMCs refuse "off" when already off, and a reset of
        // a powered-off machine does nothing on others.
        if ((await readPowerState(ipmi)) !== "power off") await powerOff(ipmi, timeout);
        return powerOn(task, ipmi, timeout);
      case "soft rebooting":
        if (task.node.disablePowerOff) {
          throw new Invalid(`Soft reboot is not possible with IPMI on node ${task.node.uuid}: it needs a power off, and disable_power_off is set.`);
        }
        if ((await readPowerState(ipmi)) !== "power off") {
          await softPowerOff(ipmi, timeoutSeconds && timeoutSeconds > 0 ? timeoutSeconds : softPowerOffTimeout());
        }
        return powerOn(task, ipmi, timeout);
      default:
        throw new Invalid(`set_power_state called with invalid power state ${String(target)}.`);
    }
  },
  supportedPowerStates: (): PowerTarget[] => ["power on", "power off", "rebooting", "soft rebooting", "soft power off"],
};

// ---- management ----

export const IPMI_BOOT_DEVICES = ["pxe", "disk", "cdrom", "bios", "safe"] as const;
export type IpmiBootDevice = (typeof IPMI_BOOT_DEVICES)[number];

/** Device selector byte of the boot flags (IPMI 2.0 table 28-14, bits 5..2). */
const BOOT_SELECTOR: Record<IpmiBootDevice, number> = { pxe: 0x04, disk: 0x08, safe: 0x0c, cdrom: 0x14, bios: 0x18 };

/** The node's boot mode as Ironic decides it: reported mode, requested mode, capability, default uefi. */
export function nodeBootMode(task: DriverTask): "uefi" | "bios" {
  const node = task.node;
  const caps = node.properties?.capabilities;
  const capMode = typeof caps === "string" ? /(?:^|,)boot_mode:(uefi|bios)(?:,|$)/.exec(caps)?.[1] : (caps as Dict | undefined)?.boot_mode;
  const candidates = [node.bootMode, node.instanceInfo?.deploy_boot_mode, capMode, process.env.INGOT_DEFAULT_BOOT_MODE];
  for (const c of candidates) if (c === "uefi" || c === "bios") return c;
  return "uefi";
}

const hex = (n: number) => `0x${n.toString(16).padStart(2, "0")}`;

/** Sends the boot device to the BMC (no bookkeeping). */
async function sendBootDevice(task: DriverTask, ipmi: IpmiInfo, device: IpmiBootDevice, persistent: boolean): Promise<void> {
  if (ipmi.disableBootTimeout) {
    // Without this the BMC forgets a one-time boot device after 60 s (IPMI boot option 3).
    await ipmitool(ipmi, ["raw", "0x00", "0x08", "0x03", "0x08"]);
  }
  if (nodeBootMode(task) === "uefi") {
    // "chassis bootdev" cannot combine efiboot and persistent on every ipmitool: set the boot
    // flags directly (valid + persistent? + EFI, then the device selector).
    let selector = BOOT_SELECTOR[device];
    if (device === "disk" && String(task.node.properties?.vendor ?? "").toLowerCase() === "supermicro") selector = 0x24; // Supermicro's UEFI hard disk
    await ipmitool(ipmi, ["raw", "0x00", "0x08", "0x05", persistent ? "0xe0" : "0xa0", hex(selector), "0x00", "0x00", "0x00"]);
    return;
  }
  await ipmitool(ipmi, ["chassis", "bootdev", device, ...(persistent ? ["options=persistent"] : [])]);
}

/**
 * ipmi_force_boot_device: the BMC is told the device each time the machine is powered on, and
 * the choice is kept in driver_internal_info (persistent_boot_device / is_next_boot_persistent).
 */
async function ensureNextBootDevice(task: DriverTask, ipmi: IpmiInfo): Promise<void> {
  if (!ipmi.forceBootDevice) return;
  const dii = task.node.driverInternalInfo ?? {};
  if (dii.is_next_boot_persistent === false) {
    // The one-time device was sent with the request; afterwards the persistent one applies again.
    await task.update({ driverInternalInfo: { ...dii, is_next_boot_persistent: true } });
    return;
  }
  const device = dii.persistent_boot_device;
  if (typeof device === "string" && (IPMI_BOOT_DEVICES as readonly string[]).includes(device)) {
    await sendBootDevice(task, ipmi, device as IpmiBootDevice, false);
  }
}

function parseBootDevice(stdout: string): { boot_device: string | null; persistent: boolean | null } {
  const selector = /Boot Device Selector : (.*)/.exec(stdout)?.[1] ?? "";
  let device: string | null = null;
  if (/PXE/i.test(selector)) device = "pxe";
  else if (/Hard-Drive/i.test(selector)) device = /Safe-Mode/i.test(selector) ? "safe" : "disk";
  else if (/BIOS/i.test(selector)) device = "bios";
  else if (/CD\/DVD/i.test(selector)) device = "cdrom";
  if (/Boot Flag Invalid/i.test(stdout)) device = null;
  return { boot_device: device, persistent: device === null ? null : /Options apply to all future boots/i.test(stdout) };
}

export const ipmitoolManagement: ManagementInterface = {
  kind: "management", name: "ipmitool",
  properties: IPMI_PROPERTIES,
  validate: validateIpmi,
  async getSupportedBootDevices() {
    return [...IPMI_BOOT_DEVICES];
  },
  async getBootDevice(task) {
    const ipmi = info(task);
    const dii = task.node.driverInternalInfo ?? {};
    if (ipmi.forceBootDevice && typeof dii.persistent_boot_device === "string" && dii.is_next_boot_persistent !== false) {
      return { boot_device: dii.persistent_boot_device, persistent: true };
    }
    const { stdout } = await ipmitool(ipmi, ["chassis", "bootparam", "get", "5"]);
    return parseBootDevice(stdout);
  },
  async setBootDevice(task, device, persistent) {
    if (!(IPMI_BOOT_DEVICES as readonly string[]).includes(device)) throw new Invalid(`Invalid boot device ${device} specified.`);
    const ipmi = info(task);
    if (ipmi.forceBootDevice) {
      const dii: Dict = { ...task.node.driverInternalInfo, is_next_boot_persistent: persistent };
      if (persistent) dii.persistent_boot_device = device;
      await sendBootDevice(task, ipmi, device as IpmiBootDevice, false);
      await task.update({ driverInternalInfo: dii });
      return;
    }
    await sendBootDevice(task, ipmi, device as IpmiBootDevice, persistent);
  },
  async injectNmi(task) {
    await chassisPower(info(task), "diag");
  },
};

// ---- boot: external PXE ----

/**
 * Ingot has no DHCP/TFTP/iPXE service yet. `external-pxe` only points the machine at the network
 * (boot device pxe); whatever PXE service runs on that network (dnsmasq, a netboot server, ...)
 * decides what it boots. Nothing is written or served by Ingot.
 */
export const externalPxeBoot: BootInterface = {
  kind: "boot", name: "external-pxe",
  validate: validateIpmi,
  // The ramdisk is whatever the network serves: the machine boots from it once.
  async prepareRamdisk(task) {
    await ipmitoolManagement.setBootDevice(task, "pxe", false);
  },
  cleanUpRamdisk: async () => undefined,
  // An image written to the local disk boots from it; otherwise the network serves the instance.
  async prepareInstance(task) {
    await ipmitoolManagement.setBootDevice(task, instanceOnLocalDisk(task.node) ? "disk" : "pxe", true);
  },
  cleanUpInstance: async () => undefined,
  // `ramdisk` boots whatever the network serves: the BMC settings are all it needs.
  validateRamdiskDeploy: validateIpmi,
};

// ---- inspect: agent (in-band, by the inspection ramdisk Ingot or the site's network boot serves) ----

async function inspectionPowerOff(task: DriverTask, ipmi: IpmiInfo, note: string): Promise<void> {
  if ((await readPowerState(ipmi)) !== "power off") await powerOff(ipmi, powerStateTimeout());
  await recordPowerChange(task, "power off", note);
}

/**
 * The node's boot interface when it can boot the inspection ramdisk itself (managed inspection,
 * e.g. `ipxe` with a deploy kernel and ramdisk), else null (as Ironic, the machine is then only
 * pointed at the network and the site's PXE service boots it).
 */
async function managedInspectionBoot(task: DriverTask): Promise<BootInterface | null> {
  const boot = interfacesFor(task.node).boot;
  if (!boot.validateInspection) return null;
  try {
    await boot.validateInspection(task);
    return boot;
  } catch {
    return null;
  }
}

/**
 * `agent`: the machine boots from the network once and is powered on; the node waits in
 * `inspect wait` until the inspection ramdisk (Ironic Python Agent) posts its inventory to
 * `POST /v1/continue_inspection` (matched by MAC or BMC address), which creates ports and sets
 * properties; then the machine is powered off, as Ironic does. The ramdisk is the deploy ramdisk
 * served by the node's boot interface when it can (told the callback URL on its kernel command
 * line), else whatever the site's PXE service serves. No answer within INGOT_CALLBACK_TIMEOUT
 * fails the inspection.
 */
export const agentInspect: InspectInterface = {
  kind: "inspect", name: "agent",
  validate: validateIpmi,
  async inspectHardware(task) {
    const ipmi = info(task);
    await inspectionPowerOff(task, ipmi, "inspection");
    const boot = await managedInspectionBoot(task);
    const apiUrl = netbootSettings().agentApiUrl;
    if (boot && apiUrl) await boot.prepareRamdisk(task, { "ipa-inspection-callback-url": `${apiUrl}/v1/continue_inspection` });
    else await sendBootDevice(task, ipmi, "pxe", false);
    await powerOn(task, ipmi, powerStateTimeout());
    await recordPowerChange(task, "power on", "inspection");
    return "wait";
  },
  async afterInspection(task) {
    await inspectionPowerOff(task, info(task), "inspection finished");
    // Nothing is served any more (a boot interface that served nothing has nothing to undo).
    if (interfacesFor(task.node).boot.validateInspection) await interfacesFor(task.node).boot.cleanUpRamdisk(task);
  },
};
