// Interfaces of the `redfish` hardware type: power, management, BIOS, inspect and the
// `redfish-virtual-media` boot interface, which the generic agent-less `ramdisk` deploy
// (drivers/generic.ts) boots the instance's ISO through (README.md in this folder says exactly
// what each does).
import { isIP } from "node:net";
import { syncBiosCache } from "../../bios.ts";
import type { Dict } from "../../db/nodes.ts";
import { Invalid } from "../../errors.ts";
import type { Inventory, InventoryDisk, InventoryInterface } from "../../inspection/inventory.ts";
import type { PowerTarget } from "../../states.ts";
import {
  instanceOnLocalDisk, type BiosAttribute, type BiosInterface, type BootInterface, type DriverTask, type IndicatorDef,
  type InspectInterface, type ManagementInterface, type PowerInterface, type VirtualMedia,
} from "../base.ts";
import { biosSteps } from "../../bios.ts";
import { setMachinePower } from "../machine_power.ts";
import { RedfishClient, RedfishError } from "./client.ts";
import { checkIsoUrl, deployIso, parseRedfishDriverInfo, REDFISH_PROPERTIES, REDFISH_VMEDIA_PROPERTIES } from "./driver_info.ts";

export const clientFor = (task: Pick<DriverTask, "node">) => new RedfishClient(parseRedfishDriverInfo(task.node));

function envSeconds(name: string, fallback: number): number {
  const n = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isFinite(n) && n > 0 ? n : fallback;
}
/** Ironic [conductor]power_state_change_timeout. */
const powerStateTimeout = () => envSeconds("INGOT_REDFISH_POWER_STATE_TIMEOUT", 60);
/** Ironic [conductor]soft_power_off_timeout. */
const softPowerOffTimeout = () => envSeconds("INGOT_REDFISH_SOFT_POWER_OFF_TIMEOUT", 600);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- power ----

const POWER_STATES: Record<string, "power on" | "power off"> = {
  On: "power on", Off: "power off", PoweringOn: "power on", PoweringOff: "power off", Paused: "power on",
};

/** Reset types the system advertises (null = it does not say; Redfish then allows all). */
async function resetTypes(client: RedfishClient, system: any): Promise<string[] | null> {
  const action = system?.Actions?.["#ComputerSystem.Reset"];
  if (!action) {
    throw new RedfishError(`Redfish system ${system?.["@odata.id"] ?? "?"} on BMC ${client.bmc} has no #ComputerSystem.Reset action: it cannot be powered on or off.`, "protocol");
  }
  const allowed = action["ResetType@Redfish.AllowableValues"];
  if (Array.isArray(allowed)) return allowed.map(String);
  const infoPath = action["@Redfish.ActionInfo"];
  if (typeof infoPath === "string") {
    const info = await client.getOptional(infoPath, "read the reset types");
    const param = (info?.Parameters ?? []).find((p: { Name?: string }) => p.Name === "ResetType");
    if (Array.isArray(param?.AllowableValues)) return param.AllowableValues.map(String);
  }
  return null;
}

/** The first of `wanted` the system advertises, or null. */
const pick = (allowed: string[] | null, wanted: string[]) => (allowed === null ? wanted[0] : (wanted.find((w) => allowed.includes(w)) ?? null));

async function reset(client: RedfishClient, system: any, type: string, what: string): Promise<void> {
  const target: string = system.Actions["#ComputerSystem.Reset"].target ?? `${system["@odata.id"]}/Actions/ComputerSystem.Reset`;
  await client.post(target, { ResetType: type }, `${what} (ResetType ${type})`);
}

/** Polls PowerState until `want` (On/Off) or the timeout. */
async function waitForPower(client: RedfishClient, want: "On" | "Off", seconds: number, what: string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let delay = 100;
  let last = "";
  for (;;) {
    last = String((await client.system("read the power state")).body.PowerState ?? "unknown");
    if (last === want) return;
    if (Date.now() + delay > deadline) break;
    await sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }
  throw new RedfishError(`${what}: the Redfish BMC ${client.bmc} still reports PowerState "${last}" after ${seconds} s (expected "${want}").`, "timeout");
}

function noResetType(client: RedfishClient, system: any, allowed: string[] | null, what: string, needs: string[]): RedfishError {
  return new RedfishError(
    `The Redfish system ${system["@odata.id"]} on BMC ${client.bmc} cannot ${what}: it advertises reset types ${(allowed ?? []).join(", ") || "(none)"}, and this needs ${needs.join(" or ")}.`,
    "protocol",
  );
}

async function powerOn(task: DriverTask, client: RedfishClient, system: any, allowed: string[] | null, timeout: number): Promise<void> {
  const type = pick(allowed, ["On", "ForceOn", "PushPowerButton"]);
  if (!type) throw noResetType(client, system, allowed, "power on", ["On", "ForceOn", "PushPowerButton"]);
  await beforeBoot(task, client);
  await reset(client, system, type, "power on");
  await waitForPower(client, "On", timeout, "Power on failed");
  await afterBoot(task, client);
}

async function powerOff(client: RedfishClient, system: any, allowed: string[] | null, timeout: number, soft: boolean): Promise<void> {
  const wanted = soft ? ["GracefulShutdown", "PushPowerButton"] : ["ForceOff"];
  const type = pick(allowed, wanted);
  if (!type) throw noResetType(client, system, allowed, soft ? "soft power off" : "power off", wanted);
  await reset(client, system, type, soft ? "soft power off" : "power off");
  await waitForPower(client, "Off", timeout, soft ? "Soft power off failed (did the operating system shut down?)" : "Power off failed");
}

async function setPower(task: DriverTask, target: PowerTarget, timeoutSeconds?: number): Promise<void> {
  const client = clientFor(task);
  const timeout = timeoutSeconds && timeoutSeconds > 0 ? timeoutSeconds : powerStateTimeout();
  const softTimeout = timeoutSeconds && timeoutSeconds > 0 ? timeoutSeconds : softPowerOffTimeout();
  const { body: system } = await client.system("read the power state");
  const allowed = await resetTypes(client, system);
  const state = POWER_STATES[system.PowerState] ?? null;
  // A transition already under way towards the target: just wait for it.
  if (system.PowerState === "PoweringOn" && target === "power on") {
    await waitForPower(client, "On", timeout, "Power on failed");
    return afterBoot(task, client);
  }
  if (system.PowerState === "PoweringOff" && (target === "power off" || target === "soft power off")) {
    return waitForPower(client, "Off", target === "power off" ? timeout : softTimeout, "Power off failed");
  }
  switch (target) {
    case "power on":
      if (system.PowerState === "On") return;
      return powerOn(task, client, system, allowed, timeout);
    case "power off":
      if (system.PowerState === "Off") return;
      return powerOff(client, system, allowed, timeout, false);
    case "soft power off":
      if (system.PowerState === "Off") return;
      return powerOff(client, system, allowed, softTimeout, true);
    case "rebooting": {
      if (state === "power off") return powerOn(task, client, system, allowed, timeout);
      const type = pick(allowed, ["ForceRestart", "PowerCycle"]);
      if (type) {
        await beforeBoot(task, client);
        await reset(client, system, type, "reboot");
        await waitForPower(client, "On", timeout, "Reboot failed");
        return afterBoot(task, client);
      }
      if (!pick(allowed, ["ForceOff"])) throw noResetType(client, system, allowed, "reboot", ["ForceRestart", "PowerCycle", "ForceOff + On"]);
      await powerOff(client, system, allowed, timeout, false);
      return powerOn(task, client, system, allowed, timeout);
    }
    case "soft rebooting": {
      if (state === "power off") return powerOn(task, client, system, allowed, timeout);
      if (pick(allowed, ["GracefulRestart"])) {
        await beforeBoot(task, client);
        await reset(client, system, "GracefulRestart", "soft reboot");
        await waitForPower(client, "On", softTimeout, "Soft reboot failed");
        return afterBoot(task, client);
      }
      if (!pick(allowed, ["GracefulShutdown", "PushPowerButton"])) {
        throw noResetType(client, system, allowed, "soft reboot", ["GracefulRestart", "GracefulShutdown + On"]);
      }
      await powerOff(client, system, allowed, softTimeout, true);
      return powerOn(task, client, system, allowed, timeout);
    }
    default:
      throw new Invalid(`set_power_state called with invalid power state ${String(target)}.`);
  }
}

export const redfishPower: PowerInterface = {
  kind: "power", name: "redfish",
  properties: REDFISH_PROPERTIES,
  // Like Ironic, validation does not talk to the BMC.
  validate: async (task) => void parseRedfishDriverInfo(task.node),
  async getPowerState(task) {
    const client = clientFor(task);
    const { body } = await client.system("read the power state");
    const state = POWER_STATES[body.PowerState];
    if (!state) throw new RedfishError(`Redfish BMC ${client.bmc} reports an unknown PowerState "${String(body.PowerState)}" for ${await client.systemPath()}.`, "protocol");
    return state;
  },
  setPowerState: setPower,
  supportedPowerStates: (): PowerTarget[] => ["power on", "power off", "rebooting", "soft rebooting", "soft power off"],
};

// ---- management ----

/** Redfish BootSourceOverrideTarget ⇄ Ironic boot devices. */
const BOOT_DEVICES: Record<string, string> = {
  Pxe: "pxe", Hdd: "disk", Cd: "cdrom", BiosSetup: "bios", UefiHttp: "uefi-http", Usb: "usb", Floppy: "floppy",
};
const TARGET_OF: Record<string, string> = Object.fromEntries(Object.entries(BOOT_DEVICES).map(([k, v]) => [v, k]));

function allowedTargets(system: any): string[] {
  const allowed = system?.Boot?.["BootSourceOverrideTarget@Redfish.AllowableValues"];
  return Array.isArray(allowed) ? allowed.map(String) : Object.keys(BOOT_DEVICES);
}

/**
 * driver_internal_info keys for BMCs that cannot keep a boot device ("Continuous" not in
 * BootSourceOverrideEnabled@Redfish.AllowableValues): the device is remembered and sent again as
 * "Once" before every power on / reboot through Ingot (as Ironic's redfish management does).
 */
const FORCED_DEVICE = "redfish_boot_device";
const NEXT_ONCE = "redfish_next_boot_once";

async function setBootDeviceOn(client: RedfishClient, device: string, persistent: boolean, task?: DriverTask): Promise<void> {
  const target = TARGET_OF[device];
  const { path, body: system, etag } = await client.system("read the boot settings");
  const allowed = allowedTargets(system);
  if (!target || !allowed.includes(target)) {
    const offered = allowed.map((t) => BOOT_DEVICES[t]).filter(Boolean);
    throw new Invalid(`Invalid boot device ${device} specified: the Redfish system ${path} on BMC ${client.bmc} offers ${offered.join(", ")}.`);
  }
  const enabledValues = system.Boot?.["BootSourceOverrideEnabled@Redfish.AllowableValues"];
  const canPersist = !Array.isArray(enabledValues) || enabledValues.includes("Continuous");
  await client.patch(path, { Boot: { BootSourceOverrideTarget: target, BootSourceOverrideEnabled: persistent && canPersist ? "Continuous" : "Once" } }, `set the boot device to ${device}`, etag);
  if (!task) return;
  const dii: Dict = { ...task.node.driverInternalInfo };
  if (persistent && !canPersist) {
    dii[FORCED_DEVICE] = device;
    delete dii[NEXT_ONCE];
  } else if (persistent) {
    delete dii[FORCED_DEVICE];
    delete dii[NEXT_ONCE];
  } else if (dii[FORCED_DEVICE]) dii[NEXT_ONCE] = true; // this boot only; the remembered device after it
  if (JSON.stringify(dii) !== JSON.stringify(task.node.driverInternalInfo)) await task.update({ driverInternalInfo: dii });
}

/** Before a boot: send the remembered persistent device again (BMCs without "Continuous"). */
async function beforeBoot(task: DriverTask, client: RedfishClient): Promise<void> {
  const dii = task.node.driverInternalInfo ?? {};
  if (dii[NEXT_ONCE]) {
    const next: Dict = { ...dii };
    delete next[NEXT_ONCE];
    await task.update({ driverInternalInfo: next });
    return;
  }
  if (typeof dii[FORCED_DEVICE] === "string") await setBootDeviceOn(client, dii[FORCED_DEVICE] as string, false);
}

/** Virtual media devices of the system: its own VirtualMedia, else its managers'. */
async function vmediaDevices(client: RedfishClient): Promise<any[]> {
  const { body: system } = await client.system("find virtual media");
  let collection: string | undefined = system.VirtualMedia?.["@odata.id"];
  if (!collection) {
    for (const m of system.Links?.ManagedBy ?? []) {
      const manager = await client.getOptional(m["@odata.id"], "find virtual media");
      collection = manager?.VirtualMedia?.["@odata.id"];
      if (collection) break;
    }
  }
  if (!collection) {
    throw new RedfishError(`Redfish BMC ${client.bmc} offers no virtual media (no VirtualMedia on ${system["@odata.id"]} or its managers).`, "missing");
  }
  return client.members(collection, "list virtual media");
}

const VMEDIA_TYPES: Record<string, string[]> = { cdrom: ["CD", "DVD"], floppy: ["Floppy"], disk: ["USBStick"] };

function deviceTypeOf(dev: any): string | null {
  const types: string[] = dev.MediaTypes ?? [];
  for (const [kind, names] of Object.entries(VMEDIA_TYPES)) if (types.some((t) => names.includes(t))) return kind;
  return null;
}

async function findVmedia(client: RedfishClient, deviceType: string): Promise<any> {
  const devices = await vmediaDevices(client);
  const dev = devices.find((d) => deviceTypeOf(d) === deviceType);
  if (!dev) throw new RedfishError(`Redfish BMC ${client.bmc} has no virtual ${deviceType} device (media types offered: ${devices.flatMap((d) => d.MediaTypes ?? []).join(", ") || "none"}).`, "missing");
  return dev;
}

async function ejectDevice(client: RedfishClient, dev: any): Promise<void> {
  if (!dev.Inserted && !dev.Image) return;
  const target = dev.Actions?.["#VirtualMedia.EjectMedia"]?.target;
  if (target) await client.post(target, {}, `eject virtual media ${dev.Id}`);
  else await client.patch(dev["@odata.id"], { Image: null, Inserted: false }, `eject virtual media ${dev.Id}`);
}

/** Inserts `url` into the device of `deviceType` (ejecting other media first). Returns false if it was already there. */
export async function insertVmedia(client: RedfishClient, deviceType: string, url: string): Promise<boolean> {
  const dev = await findVmedia(client, deviceType);
  if (dev.Inserted && dev.Image === url) return false;
  await ejectDevice(client, dev);
  const target = dev.Actions?.["#VirtualMedia.InsertMedia"]?.target;
  if (target) await client.post(target, { Image: url, Inserted: true, WriteProtected: true }, `insert virtual media ${url}`);
  else await client.patch(dev["@odata.id"], { Image: url, Inserted: true }, `insert virtual media ${url}`);
  return true;
}

async function ejectVmedia(client: RedfishClient, deviceTypes?: string[]): Promise<void> {
  for (const dev of await vmediaDevices(client)) {
    const kind = deviceTypeOf(dev);
    if (deviceTypes && (!kind || !deviceTypes.includes(kind))) continue;
    await ejectDevice(client, dev);
  }
}

const LED_STATES: Record<string, string> = { Lit: "on", Off: "off", Blinking: "blinking" };
const LED_OF: Record<string, string> = { on: "Lit", off: "Off", blinking: "Blinking" };

async function systemLed(task: DriverTask, component: string, indicator: string) {
  const client = clientFor(task);
  const sys = await client.system("read the indicator LED");
  if (component !== "system" || indicator !== "led" || sys.body.IndicatorLED === undefined) {
    throw new Invalid(`Indicator ${indicator}@${component} could not be found.`);
  }
  return { client, sys };
}

export const redfishManagement: ManagementInterface = {
  kind: "management", name: "redfish",
  properties: REDFISH_PROPERTIES,
  validate: async (task) => void parseRedfishDriverInfo(task.node),
  async getSupportedBootDevices(task) {
    const { body } = await clientFor(task).system("read the boot devices");
    return allowedTargets(body).map((t) => BOOT_DEVICES[t]).filter((d): d is string => !!d);
  },
  async getBootDevice(task) {
    const { body } = await clientFor(task).system("read the boot device");
    const boot = body.Boot ?? {};
    const forced = task.node.driverInternalInfo?.[FORCED_DEVICE];
    if (typeof forced === "string" && !task.node.driverInternalInfo?.[NEXT_ONCE]) return { boot_device: forced, persistent: true };
    // A disabled override means the BMC follows its own boot order: no device is forced.
    if (boot.BootSourceOverrideEnabled === "Disabled" || !boot.BootSourceOverrideTarget || boot.BootSourceOverrideTarget === "None") {
      return { boot_device: null, persistent: null };
    }
    return { boot_device: BOOT_DEVICES[boot.BootSourceOverrideTarget] ?? null, persistent: boot.BootSourceOverrideEnabled === "Continuous" };
  },
  async setBootDevice(task, device, persistent) {
    await setBootDeviceOn(clientFor(task), device, persistent, task);
  },
  async setBootMode(task, mode) {
    const client = clientFor(task);
    const { path, body, etag } = await client.system("read the boot mode");
    const want = mode === "uefi" ? "UEFI" : "Legacy";
    const allowed = body.Boot?.["BootSourceOverrideMode@Redfish.AllowableValues"];
    if (Array.isArray(allowed) && !allowed.includes(want)) {
      throw new Invalid(`The Redfish system ${path} on BMC ${client.bmc} does not support boot mode ${mode} (it offers ${allowed.join(", ")}).`);
    }
    if (body.Boot?.BootSourceOverrideMode === want) return;
    await client.patch(path, { Boot: { BootSourceOverrideMode: want } }, `set the boot mode to ${mode}`, etag);
  },
  async setSecureBoot(task, enabled) {
    const client = clientFor(task);
    const { path, body } = await client.system("read the secure boot settings");
    const sb = body.SecureBoot?.["@odata.id"];
    if (!sb) throw new RedfishError(`The Redfish system ${path} on BMC ${client.bmc} has no SecureBoot resource: secure boot cannot be changed through Redfish.`, "missing");
    await client.patch(sb, { SecureBootEnable: enabled }, `${enabled ? "enable" : "disable"} secure boot`);
  },
  async injectNmi(task) {
    const client = clientFor(task);
    const { body } = await client.system("read the reset types");
    const allowed = await resetTypes(client, body);
    if (allowed !== null && !allowed.includes("Nmi")) throw noResetType(client, body, allowed, "inject an NMI", ["Nmi"]);
    await reset(client, body, "Nmi", "inject NMI");
  },
  async getIndicators(task): Promise<IndicatorDef[]> {
    const { body } = await clientFor(task).system("read the indicators");
    return body.IndicatorLED === undefined ? [] : [{ name: "led", component: "system", readonly: false, states: ["blinking", "off", "on"] }];
  },
  async getIndicatorState(task, component, indicator) {
    const { sys } = await systemLed(task, component, indicator);
    return LED_STATES[sys.body.IndicatorLED] ?? "unknown";
  },
  async setIndicatorState(task, component, indicator, state) {
    const { client, sys } = await systemLed(task, component, indicator);
    const led = LED_OF[String(state).toLowerCase()];
    if (!led) throw new Invalid(`Invalid indicator state ${state}: use on, off or blinking.`);
    await client.patch(sys.path, { IndicatorLED: led }, `set the indicator LED ${state}`, sys.etag);
  },
  // image_download_source is not honoured: Ingot serves no images ("local") and has no Swift, so
  // the BMC always downloads image_url itself (as with "http").
  async attachVirtualMedia(task, media: VirtualMedia) {
    const url = checkIsoUrl(media.image_url, "image_url", task.node.uuid);
    await insertVmedia(clientFor(task), media.device_type, url);
  },
  async detachVirtualMedia(task, deviceTypes) {
    await ejectVmedia(clientFor(task), deviceTypes);
  },
  async getVirtualMedia(task) {
    const out: VirtualMedia[] = [];
    for (const dev of await vmediaDevices(clientFor(task))) {
      const kind = deviceTypeOf(dev);
      if (kind && dev.Inserted && dev.Image) out.push({ device_type: kind, image_url: dev.Image, image_download_source: "http" });
    }
    return out;
  },
};

// ---- BIOS ----

interface BiosInfo {
  path: string;
  body: any;
  settingsPath: string;
}

async function biosOf(client: RedfishClient, what: string): Promise<BiosInfo | null> {
  const { body } = await client.system(what);
  const biosPath = body.Bios?.["@odata.id"];
  if (!biosPath) return null;
  const bios = (await client.get(biosPath, what)).body;
  // Pending settings go to the @Redfish.Settings object; without one the resource itself is patched.
  const settingsPath = bios["@Redfish.Settings"]?.SettingsObject?.["@odata.id"] ?? biosPath;
  return { path: biosPath, body: bios, settingsPath };
}

async function requireBios(client: RedfishClient, what: string): Promise<BiosInfo> {
  const bios = await biosOf(client, what);
  if (!bios) throw new RedfishError(`The Redfish system ${await client.systemPath()} on BMC ${client.bmc} has no Bios resource: BIOS settings cannot be read or changed through Redfish.`, "missing");
  return bios;
}

/** The AttributeRegistry named by the Bios resource, found through the Registries collection. */
async function attributeRegistry(client: RedfishClient, name: string | undefined): Promise<Map<string, any> | null> {
  if (!name) return null;
  const root = await client.root("read the BIOS registry");
  const registries = root?.Registries?.["@odata.id"];
  if (!registries) return null;
  const files: string[] = ((await client.get(registries, "read the BIOS registry")).body.Members ?? []).map((m: any) => String(m["@odata.id"]));
  // BMCs name the file differently ("…/BiosAttributeRegistry.v1_0_0", "…/BiosAttributeRegistry"):
  // read the files whose path mentions the registry's base name; an exact Registry/Id wins.
  const base = name.split(".")[0];
  const candidates = files.filter((f) => f.includes(base));
  let chosen: any = null;
  for (const path of candidates.length ? candidates : files) {
    const file = await client.getOptional(path, "read the BIOS registry");
    if (!file) continue;
    if (file.Registry === name || file.Id === name) {
      chosen = file;
      break;
    }
    if (!chosen && (String(file.Registry ?? "").startsWith(base) || String(file.Id ?? "").startsWith(base))) chosen = file;
  }
  if (!chosen) return null;
  const locations: any[] = chosen.Location ?? [];
  const loc = locations.find((l) => (l.Language ?? "en").startsWith("en") && l.Uri) ?? locations.find((l) => l.Uri);
  if (!loc) return null;
  const registry = await client.getOptional(loc.Uri, "read the BIOS registry");
  const attrs: any[] = registry?.RegistryEntries?.Attributes ?? [];
  return attrs.length ? new Map(attrs.map((a) => [a.AttributeName, a])) : null;
}

function biosAttribute(name: string, value: unknown, reg: any | undefined): BiosAttribute {
  const a: BiosAttribute = { name, value: value === null || value === undefined ? null : typeof value === "string" ? value : String(value) };
  if (!reg) return a;
  a.attribute_type = reg.Type ?? null;
  a.allowable_values = Array.isArray(reg.Value) ? reg.Value.map((v: { ValueName: string }) => v.ValueName) : null;
  a.lower_bound = reg.LowerBound ?? null;
  a.upper_bound = reg.UpperBound ?? null;
  a.min_length = reg.MinLength ?? null;
  a.max_length = reg.MaxLength ?? null;
  a.read_only = reg.ReadOnly ?? null;
  a.reset_required = reg.ResetRequired ?? null;
  a.unique = reg.IsSystemUniqueProperty ?? null;
  return a;
}

/** Redfish wants typed JSON values; the API hands strings for integers and booleans. */
function typedValue(value: unknown, reg: any | undefined): unknown {
  const type = reg?.Type;
  if (type === "Integer" && typeof value === "string" && /^-?\d+$/.test(value.trim())) return Number(value);
  if (type === "Boolean" && typeof value === "string") return value.toLowerCase() === "true";
  return value;
}

const PENDING_KEY = "redfish_bios_pending";

/** After a boot: pending BIOS settings should now be applied; refresh the cache if they are. */
async function afterBoot(task: DriverTask, client: RedfishClient): Promise<void> {
  if (!task.node.driverInternalInfo?.[PENDING_KEY]) return;
  try {
    await refreshAppliedBios(task, client);
  } catch (err) {
    // The power change itself worked; the cache is refreshed again after verify or cleaning.
    await task.history?.({ kind: "note", message: `Could not refresh the BIOS settings cache after boot: ${(err as Error).message}` }, "transition", "WARNING");
  }
}

async function refreshAppliedBios(task: DriverTask, client: RedfishClient): Promise<void> {
  const bios = await biosOf(client, "read the BIOS settings");
  if (!bios) return;
  if (bios.settingsPath !== bios.path) {
    const pending = (await client.get(bios.settingsPath, "read the pending BIOS settings")).body.Attributes ?? {};
    if (Object.keys(pending).length) return; // not applied yet (still in POST): the next cache refresh sees them
  }
  await cacheBios(task, client);
  const dii: Dict = { ...task.node.driverInternalInfo };
  delete dii[PENDING_KEY];
  await task.update({ driverInternalInfo: dii });
}

async function cacheBios(task: DriverTask, client: RedfishClient): Promise<void> {
  const bios = await biosOf(client, "read the BIOS settings");
  if (!bios) return; // no Bios resource: nothing to cache (as Ironic, which only warns)
  const registry = await attributeRegistry(client, bios.body.AttributeRegistry);
  const attrs = Object.entries(bios.body.Attributes ?? {}).map(([name, value]) => biosAttribute(name, value, registry?.get(name)));
  await syncBiosCache(task.sql, task.node.id, attrs);
}

/** Reboots a running machine so the pending settings apply (as Ironic's redfish BIOS does). */
async function rebootIfOn(task: DriverTask, client: RedfishClient, why: string): Promise<void> {
  await task.update({ driverInternalInfo: { ...task.node.driverInternalInfo, [PENDING_KEY]: true } });
  const { body } = await client.system("read the power state");
  if (body.PowerState === "On") await setMachinePower(task, "rebooting", why);
}

export const redfishBios: BiosInterface = {
  kind: "bios", name: "redfish",
  validate: async (task) => void parseRedfishDriverInfo(task.node),
  async applyConfiguration(task, settings) {
    const client = clientFor(task);
    const bios = await requireBios(client, "read the BIOS settings");
    const registry = await attributeRegistry(client, bios.body.AttributeRegistry);
    const attributes = Object.fromEntries(settings.map((s) => [s.name, typedValue(s.value, registry?.get(s.name))]));
    const body: Record<string, unknown> = { Attributes: attributes };
    // BMCs that list apply times (iDRAC, iLO) want to be told: apply at the next reset.
    const applyTimes = bios.body["@Redfish.Settings"]?.SupportedApplyTimes;
    if (bios.settingsPath !== bios.path && Array.isArray(applyTimes) && applyTimes.includes("OnReset")) {
      body["@Redfish.SettingsApplyTime"] = { ApplyTime: "OnReset" };
    }
    // A 202 here is a job that runs at the next reset (iDRAC): not waited for.
    await client.patch(bios.settingsPath, body, `apply BIOS settings ${Object.keys(attributes).join(", ")}`, undefined, false);
    await rebootIfOn(task, client, "BIOS settings apply at the reset");
  },
  async factoryReset(task) {
    const client = clientFor(task);
    const bios = await requireBios(client, "read the BIOS settings");
    const target = bios.body.Actions?.["#Bios.ResetBios"]?.target;
    if (!target) throw new RedfishError(`The Redfish Bios resource ${bios.path} on BMC ${client.bmc} has no #Bios.ResetBios action.`, "missing");
    await client.post(target, {}, "reset the BIOS to factory defaults");
    await rebootIfOn(task, client, "the BIOS factory reset applies at the reset");
  },
  async cacheBiosSettings(task) {
    await cacheBios(task, clientFor(task));
  },
  steps: [
    ...biosSteps(() => redfishBios),
    {
      step: "cache_bios_settings", description: "Reads the BIOS settings and their registry into the node's settings cache.",
      priorities: {}, abortable: false, argsinfo: null,
      run: async (task) => redfishBios.cacheBiosSettings(task),
    },
  ],
};

// ---- inspect ----

const ARCH: Record<string, string> = { "x86-64": "x86_64", x86: "i686", "ARM-A64": "aarch64", "ARM-A32": "armv7l", "PowerISA": "ppc64le", IA64: "ia64", MIPS64: "mips64" };

async function optionalMembers(client: RedfishClient, link: any, what: string): Promise<any[]> {
  const path = link?.["@odata.id"];
  if (!path) return [];
  const coll = await client.getOptional(path, what);
  if (!coll) return [];
  const out: any[] = [];
  for (const m of coll.Members ?? []) {
    const item = await client.getOptional(m["@odata.id"], what);
    if (item) out.push(item);
  }
  return out;
}

const enabled = (r: any) => !r?.Status?.State || r.Status.State === "Enabled";

export async function redfishInventory(client: RedfishClient): Promise<{ inventory: Inventory; pluginData: Dict }> {
  const { path, body: sys } = await client.system("inspect the system");
  const cpus = (await optionalMembers(client, sys.Processors, "read the processors")).filter((p) => (p.ProcessorType ?? "CPU") === "CPU" && enabled(p));
  const threads = cpus.reduce((n, p) => n + (Number(p.TotalThreads) || Number(p.TotalCores) || 0), 0);
  const cpuCount = threads || Number(sys.ProcessorSummary?.LogicalProcessorCount) || Number(sys.ProcessorSummary?.Count) || 0;
  const first = cpus[0] ?? {};
  const arch = ARCH[first.InstructionSet] ?? ARCH[first.ProcessorArchitecture] ?? "x86_64";

  const dimms = (await optionalMembers(client, sys.Memory, "read the memory")).filter(enabled);
  const dimmMiB = dimms.reduce((n, d) => n + (Number(d.CapacityMiB) || 0), 0);
  const physicalMb = dimmMiB || Math.round((Number(sys.MemorySummary?.TotalSystemMemoryGiB) || 0) * 1024);

  const nics = await optionalMembers(client, sys.EthernetInterfaces, "read the network interfaces");
  const interfaces: InventoryInterface[] = [];
  const disabledNics: string[] = [];
  for (const nic of nics) {
    const mac = String(nic.MACAddress ?? nic.PermanentMACAddress ?? "").toLowerCase();
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) continue;
    // Like Ironic's redfish inspection, only enabled NICs become ports.
    if (!enabled(nic)) {
      disabledNics.push(mac);
      continue;
    }
    interfaces.push({
      name: String(nic.Id ?? nic.Name ?? mac), mac_address: mac,
      ipv4_address: nic.IPv4Addresses?.[0]?.Address ?? null, ipv6_address: nic.IPv6Addresses?.[0]?.Address ?? null,
      has_carrier: nic.LinkStatus === "LinkUp", lldp: null, vendor: null, product: null,
      speed_mbps: typeof nic.SpeedMbps === "number" ? nic.SpeedMbps : null, pxe_enabled: null,
    });
  }

  const disks: InventoryDisk[] = [];
  for (const storage of await optionalMembers(client, sys.Storage, "read the storage")) {
    for (const d of storage.Drives ?? []) {
      const drive = await client.getOptional(d["@odata.id"], "read the drives");
      if (!drive || !enabled(drive)) continue;
      const naa = (drive.Identifiers ?? []).find((i: any) => i.DurableNameFormat === "NAA")?.DurableName ?? null;
      disks.push({
        name: String(drive.Name ?? drive.Id), model: drive.Model ?? null, size: Number(drive.CapacityBytes) || 0,
        rotational: drive.MediaType === "HDD" || Number(drive.RotationSpeedRPM) > 0, wwn: naa ? `0x${String(naa).toLowerCase()}` : null,
        serial: drive.SerialNumber ?? null, vendor: drive.Manufacturer ?? null, hctl: null, by_path: null,
      });
    }
  }
  if (!disks.length) {
    // SimpleStorage only when Storage said nothing: both usually describe the same disks.
    for (const ss of await optionalMembers(client, sys.SimpleStorage, "read the simple storage")) {
      for (const dev of ss.Devices ?? []) {
        if (!enabled(dev) || !dev.CapacityBytes) continue;
        disks.push({
          name: String(dev.Name), model: dev.Model ?? null, size: Number(dev.CapacityBytes), rotational: false,
          wwn: null, serial: null, vendor: dev.Manufacturer ?? null, hctl: null, by_path: null,
        });
      }
    }
  }

  const host = new URL(client.info.address).hostname.replace(/^\[|\]$/g, "");
  const mode = sys.Boot?.BootSourceOverrideMode;
  const inventory: Inventory = {
    cpu: {
      model_name: first.Model ?? sys.ProcessorSummary?.Model ?? null,
      frequency: first.MaxSpeedMHz ? String(first.MaxSpeedMHz) : null,
      count: cpuCount, architecture: arch, flags: [], socket_count: cpus.length || Number(sys.ProcessorSummary?.Count) || null,
    },
    memory: { total: physicalMb * 1024 * 1024, physical_mb: physicalMb },
    disks,
    interfaces,
    boot: { current_boot_mode: mode === "Legacy" ? "bios" : "uefi", pxe_interface: null },
    system_vendor: {
      product_name: sys.Model ?? null, serial_number: sys.SerialNumber ?? null, manufacturer: sys.Manufacturer ?? null,
      firmware: { vendor: null, version: sys.BiosVersion ?? null, build_date: null },
    },
    bmc_address: isIP(host) === 4 ? host : null,
    bmc_v6address: isIP(host) === 6 ? host : null,
    hostname: sys.HostName ?? null,
  };
  return { inventory, pluginData: { redfish: { system: path, system_uuid: sys.UUID ?? null, disabled_macs: disabledNics } } };
}

export const redfishInspect: InspectInterface = {
  kind: "inspect", name: "redfish",
  validate: async (task) => void parseRedfishDriverInfo(task.node),
  async inspectHardware(task) {
    const client = clientFor(task);
    const data = await redfishInventory(client);
    // Like Ironic's boot mode / secure boot cache: what the machine reports goes on the node.
    const { body: sys } = await client.system("read the boot mode");
    const sb = sys.SecureBoot?.["@odata.id"] ? await client.getOptional(sys.SecureBoot["@odata.id"], "read the secure boot state") : null;
    const secureBoot = sb && typeof sb.SecureBootCurrentBoot === "string" ? sb.SecureBootCurrentBoot === "Enabled" : null;
    await task.update({ bootMode: data.inventory.boot.current_boot_mode, secureBoot });
    if (!data.inventory.interfaces.length) {
      // Ironic's redfish inspection warns; ports can still be created by hand.
      await task.history?.(
        { kind: "inspection", message: `Redfish BMC ${client.bmc} reported no enabled network interface with a MAC address: no ports can be created` },
        "introspection", "WARNING",
      );
    }
    return data;
  },
};

// ---- boot: redfish-virtual-media ----

function bootIso(task: DriverTask): string | null {
  const v = task.node.instanceInfo?.boot_iso;
  if (v === undefined || v === null || v === "") return null;
  return checkIsoUrl(String(v), "instance_info/boot_iso", task.node.uuid);
}

/**
 * The BMC downloads an ISO (http/https URL) into its virtual CD and the machine boots it.
 * Ingot builds no ISO: the deploy ISO (driver_info deploy_iso) and the instance's boot ISO
 * (instance_info boot_iso) are URLs the operator provides.
 */
export const redfishVirtualMediaBoot: BootInterface = {
  kind: "boot", name: "redfish-virtual-media",
  properties: REDFISH_VMEDIA_PROPERTIES,
  async validate(task) {
    parseRedfishDriverInfo(task.node);
    deployIso(task.node);
    bootIso(task);
  },
  async prepareRamdisk(task) {
    const iso = deployIso(task.node);
    if (!iso) throw new Invalid(`Node ${task.node.uuid} needs driver_info/deploy_iso (an http(s) URL of a bootable ISO) to boot a ramdisk through virtual media.`);
    const client = clientFor(task);
    await insertVmedia(client, "cdrom", iso);
    await setBootDeviceOn(client, "cdrom", false, task);
  },
  async cleanUpRamdisk(task) {
    await ejectVmedia(clientFor(task), ["cdrom"]);
  },
  async prepareInstance(task) {
    const client = clientFor(task);
    // An instance the deploy wrote to the disk boots from it, whatever instance_info says.
    const iso = instanceOnLocalDisk(task.node) ? null : bootIso(task);
    if (!iso) {
      await setBootDeviceOn(client, "disk", true, task);
      return;
    }
    const inserted = await insertVmedia(client, "cdrom", iso);
    const { body } = await client.system("read the boot device");
    if (inserted || body.Boot?.BootSourceOverrideTarget !== "Cd" || body.Boot?.BootSourceOverrideEnabled !== "Continuous") {
      await setBootDeviceOn(client, "cdrom", true, task);
    }
  },
  async cleanUpInstance(task) {
    await ejectVmedia(clientFor(task), ["cdrom"]);
  },
  // `ramdisk` boots the instance's own ISO: without one there is nothing to boot.
  async validateRamdiskDeploy(task) {
    parseRedfishDriverInfo(task.node);
    if (!bootIso(task)) {
      throw new Invalid(`Node ${task.node.uuid} has no instance_info/boot_iso: the ramdisk deploy boots that ISO (an http(s) URL) through virtual media.`);
    }
  },
};
