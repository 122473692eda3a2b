// The `ipxe` boot interface (Ironic's ipxe), shared by `ipmi` and `redfish`: Ingot itself serves
// what the machine network-boots. prepareRamdisk makes the node's iPXE script (the deploy or
// rescue kernel and ramdisk from driver_info, through the image cache), asks the DHCP provider
// to answer the node's MACs and sets the boot device to pxe; cleanUpRamdisk undoes both. An
// instance is booted from the local disk (boot device disk, persistent) when the deploy wrote it
// there (instanceOnLocalDisk: the `direct` deploy's write_image), else — the `ramdisk` deploy —
// over the network: instance_info kernel/ramdisk or boot_iso. The management interface sets boot devices; the DHCP provider (lib/core/dhcp)
// is asked through its seam, never by name.
import { randomUUID } from "node:crypto";
import type { Dict } from "../db/nodes.ts";
import { nodePxeMacs } from "../db/ports.ts";
import { dhcpProvider } from "../dhcp/provider.ts";
import { Invalid } from "../errors.ts";
import { removeNodeBootFiles, writeNodeBootFiles } from "../netboot/http_root.ts";
import { cachedImage, imageCache } from "../netboot/image_cache.ts";
import { BOOT_PATH, nodeScript, type NodeScript, type RamdiskMode } from "../netboot/ipxe_script.ts";
import { netbootSettings, type NetbootSettings } from "../netboot/settings.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import { ProvisionState as S } from "../states.ts";
import { instanceOnLocalDisk, type BootInterface, type DriverTask } from "./base.ts";
// The catalog, not registry.ts: the registry imports the driver modules, which import this file.
import { interfacesFor } from "./catalog.ts";

export const IPXE_PROPERTIES: Record<string, string> = {
  // Not plain "Required.": the settings give the pair when driver_info has neither (ramdiskSources).
  deploy_kernel: "URL (http/https) or absolute local path of the deployment kernel. Required unless the setting INGOT_DEPLOY_KERNEL gives one.",
  deploy_ramdisk: "URL (http/https) or absolute local path of the deployment ramdisk (with the Ironic Python Agent). Required unless the setting INGOT_DEPLOY_RAMDISK gives one.",
  rescue_kernel: "URL or absolute local path of the rescue kernel. Required for rescue mode, unless the setting INGOT_RESCUE_KERNEL gives one.",
  rescue_ramdisk: "URL or absolute local path of the rescue ramdisk (with the agent). Required for rescue mode, unless the setting INGOT_RESCUE_RAMDISK gives one.",
  kernel_append_params: "Extra kernel parameters for the ramdisk, e.g. \"console=ttyS0,115200\"; \"%default%\" stands for the setting INGOT_KERNEL_APPEND_PARAMS. Optional.",
};

const LABELS: Record<RamdiskMode, [string, string]> = { deploy: ["deploy_kernel", "deploy_ramdisk"], rescue: ["rescue_kernel", "rescue_ramdisk"] };

/** Rescue while the node is being rescued, else deploy (Ironic rescue_or_deploy_mode). */
export function ramdiskMode(state: string): RamdiskMode {
  return state === S.RESCUING || state === S.RESCUEWAIT ? "rescue" : "deploy";
}

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim() : null);

/**
 * The kernel and ramdisk of a mode: both from driver_info, or — when driver_info has neither —
 * both from the settings (mixing the two is an operator's mistake, as Ironic says).
 */
export function ramdiskSources(driverInfo: Dict, mode: RamdiskMode, s: NetbootSettings = netbootSettings()): { kernel: string; ramdisk: string } {
  const [k, r] = LABELS[mode];
  let pair: [string | null, string | null] = [str(driverInfo[k]), str(driverInfo[r])];
  if (!pair[0] && !pair[1]) pair = mode === "deploy" ? [s.deployKernel, s.deployRamdisk] : [s.rescueKernel, s.rescueRamdisk];
  const missing = [k, r].filter((_, i) => !pair[i]);
  if (missing.length) {
    throw new Invalid(`Cannot validate PXE bootloader. Some parameters were missing in node's driver_info and configuration. Missing are: ${pyRepr(missing)}`);
  }
  return { kernel: pair[0]!, ramdisk: pair[1]! };
}

/** Ironic's kernel_append_params: instance_info (instance boot), then driver_info, else the setting; "%default%" = the setting. */
export function kernelAppendParams(task: DriverTask, forInstance: boolean, s: NetbootSettings = netbootSettings()): string {
  const given = (forInstance ? str(task.node.instanceInfo?.kernel_append_params) : null) ?? str(task.node.driverInfo?.kernel_append_params);
  return given === null ? s.kernelAppendParams : given.replaceAll("%default%", s.kernelAppendParams);
}

function provisioningUrl(s: NetbootSettings): string {
  if (!s.provisioningUrl || !s.agentApiUrl) {
    throw new Invalid("iPXE boot is enabled but no HTTP URL or HTTP root was specified: set INGOT_PROVISIONING_URL to the address the machines reach Ingot at.");
  }
  return s.provisioningUrl;
}

async function pxeMacs(task: DriverTask): Promise<string[]> {
  const macs = await nodePxeMacs(task.sql, task.node.id);
  if (!macs.length) throw new Invalid(`Node ${task.node.uuid} does not have any port associated with it`);
  return macs;
}

function checkInstanceSources(node: { instanceInfo: Dict }): void {
  if (node.instanceInfo?.image_source && node.instanceInfo?.boot_iso) {
    throw new Invalid("An 'image_source' and 'boot_iso' parameter may not be specified at the same time");
  }
}

/** What validate checks (Ironic's _validate_common): the HTTP address, ports, deploy kernel/ramdisk. */
async function validateIpxe(task: DriverTask): Promise<void> {
  provisioningUrl(netbootSettings());
  await pxeMacs(task);
  checkInstanceSources(task.node);
  ramdiskSources(task.node.driverInfo ?? {}, "deploy");
}

/**
 * How the instance boots over the network, or null for the local disk: an instance the deploy
 * wrote to the disk boots from it; otherwise (`ramdisk`) instance_info's boot_iso or kernel+ramdisk.
 */
function instanceNetboot(task: DriverTask): { kind: "iso"; iso: string } | { kind: "ramdisk"; kernel: string; ramdisk: string } | null {
  if (instanceOnLocalDisk(task.node)) return null;
  const ii = task.node.instanceInfo ?? {};
  const iso = str(ii.boot_iso);
  if (iso) return { kind: "iso", iso };
  const kernel = str(ii.kernel);
  const ramdisk = str(ii.ramdisk);
  if (kernel && ramdisk) return { kind: "ramdisk", kernel, ramdisk };
  return null;
}

/** Serves the script and files to the node's MACs and points DHCP at Ingot. */
async function serveNodeBoot(task: DriverTask, script: NodeScript, files: Record<string, string>, macs: string[]): Promise<void> {
  const s = netbootSettings();
  await writeNodeBootFiles(s.httpRoot, task.node.uuid, { script: nodeScript(script), files, macs });
  await dhcpProvider().updateDhcp(task.node.uuid, macs);
}

async function stopNodeBoot(task: DriverTask): Promise<void> {
  await removeNodeBootFiles(netbootSettings().httpRoot, task.node.uuid);
  await dhcpProvider().cleanDhcp(task.node.uuid);
}

const fileUrl = (base: string, uuid: string, name: string) => `${base}${BOOT_PATH}/${uuid}/${name}`;

/** The boot device change, except on nodes already active or being adopted (take-over, as Ironic). */
async function setInstanceBootDevice(task: DriverTask, device: "pxe" | "disk"): Promise<void> {
  if (task.node.provisionState === S.ACTIVE || task.node.provisionState === S.ADOPTING) return;
  await interfacesFor(task.node).management.setBootDevice(task, device, true);
}

export const ipxeBoot: BootInterface = {
  kind: "boot", name: "ipxe",
  properties: IPXE_PROPERTIES,
  validate: validateIpxe,

  async prepareRamdisk(task, ramdiskParams) {
    const s = netbootSettings();
    const base = provisioningUrl(s);
    const macs = await pxeMacs(task);
    const mode = ramdiskMode(task.node.provisionState);
    const sources = ramdiskSources(task.node.driverInfo ?? {}, mode, s);
    const [kernelName, ramdiskName] = LABELS[mode];
    const files = {
      [kernelName]: await cachedImage(imageCache(), sources.kernel),
      [ramdiskName]: await cachedImage(imageCache(), sources.ramdisk),
    };
    await serveNodeBoot(task, {
      kind: "ramdisk", mode,
      kernelUrl: fileUrl(base, task.node.uuid, kernelName), ramdiskUrl: fileUrl(base, task.node.uuid, ramdiskName), ramdiskName,
      appendParams: kernelAppendParams(task, false, s), agentApiUrl: s.agentApiUrl!,
      globalRequestId: `req-${randomUUID()}`, ramdiskParams, timeoutSeconds: s.ipxeTimeoutSeconds,
    }, files, macs);
    // One boot from the network: the machine's own boot order applies afterwards.
    await interfacesFor(task.node).management.setBootDevice(task, "pxe", false);
  },

  cleanUpRamdisk: stopNodeBoot,

  async prepareInstance(task) {
    const netboot = instanceNetboot(task);
    if (!netboot) {
      await stopNodeBoot(task);
      await setInstanceBootDevice(task, "disk");
      return;
    }
    const s = netbootSettings();
    const base = provisioningUrl(s);
    const macs = await pxeMacs(task);
    const uuid = task.node.uuid;
    if (netboot.kind === "iso") {
      await serveNodeBoot(task, { kind: "instance-iso", isoUrl: fileUrl(base, uuid, "boot_iso") }, { boot_iso: await cachedImage(imageCache(), netboot.iso) }, macs);
    } else {
      const files = { kernel: await cachedImage(imageCache(), netboot.kernel), ramdisk: await cachedImage(imageCache(), netboot.ramdisk) };
      await serveNodeBoot(task, {
        kind: "instance-ramdisk", kernelUrl: fileUrl(base, uuid, "kernel"), ramdiskUrl: fileUrl(base, uuid, "ramdisk"), ramdiskName: "ramdisk",
        appendParams: kernelAppendParams(task, true, s), timeoutSeconds: s.ipxeTimeoutSeconds,
      }, files, macs);
    }
    await setInstanceBootDevice(task, "pxe");
  },

  cleanUpInstance: stopNodeBoot,

  // Managed in-band inspection: the same deploy ramdisk, served by Ingot.
  validateInspection: validateIpxe,

  // `ramdisk` boots instance_info's kernel and ramdisk (or boot_iso) from Ingot over the network.
  async validateRamdiskDeploy(task) {
    await validateIpxe(task);
    const ii = task.node.instanceInfo ?? {};
    if (str(ii.boot_iso)) return;
    const missing = ["kernel", "ramdisk"].filter((k) => !str(ii[k]));
    if (missing.length) throw new Invalid(`Cannot validate PXE bootloader. Some parameters were missing in node's instance_info. Missing are: ${pyRepr(missing)}`);
  },
};
