// The "fake" interfaces of fake-hardware (reference §10): everything succeeds instantly.
//
// Test/demo hooks read from the node's driver_info (documented in lib/core/drivers/README.md):
//   fake_fail      "<interface>.<operation>" or a list of them: that operation throws a DriverError
//                  (e.g. "deploy.deploy", "vendor.log_passthrough", "power.get_power_state",
//                  "power.set_power_state", "power.validate", "deploy.tear_down", "inspect.inspect_hardware",
//                  "rescue.rescue", "rescue.unrescue", "console.start_console", "bios.apply_configuration").
//   fake_delay_ms  every fake operation except validate sleeps this long first (like Ironic's
//                  [fake]<iface>_delay, but per node).
import { recordFirmwareFlashed } from "../db/firmware.ts";
import type { Dict } from "../db/nodes.ts";
import { DriverError, Invalid } from "../errors.ts";
import { biosSteps, biosValueString, syncBiosCache } from "../bios.ts";
import type {
  BiosInterface, BootInterface, ConsoleInterface, DeployInterface, DriverTask, FirmwareInterface,
  IndicatorDef, InspectInterface, ManagementInterface, PowerInterface, RaidInterface, RescueInterface,
  StorageInterface, VendorInterface, VendorMethod, VirtualMedia,
} from "./base.ts";
import { sleep } from "./base.ts";
import { imageWriteNeeded, requireBootTarget, volumeTargets } from "../volumes.ts";
import { fakeInspectionData } from "../inspection/inventory.ts";
import type { PowerTarget } from "../states.ts";

/** Applies the fake_delay_ms / fake_fail hooks for one operation. */
export async function fakeOp(task: DriverTask, op: string): Promise<void> {
  const info = task.node.driverInfo ?? {};
  // Validation runs synchronously inside API requests, so it is never delayed.
  const delay = op.endsWith(".validate") ? 0 : Number(info.fake_delay_ms ?? 0);
  if (Number.isFinite(delay) && delay > 0) await sleep(Math.min(delay, 600_000));
  const fail = info.fake_fail;
  const list = Array.isArray(fail) ? fail : typeof fail === "string" ? fail.split(",").map((s) => s.trim()) : [];
  if (list.includes(op)) throw new DriverError(`Fake failure of ${op} requested by driver_info.fake_fail`);
}

const noop = (op: string) => async (task: DriverTask) => fakeOp(task, op);

export const fakePower: PowerInterface = {
  kind: "power", name: "fake",
  validate: noop("power.validate"),
  async getPowerState(task) {
    await fakeOp(task, "power.get_power_state");
    return task.node.powerState; // the fake BMC echoes what is stored (null for a fresh node)
  },
  async setPowerState(task) {
    await fakeOp(task, "power.set_power_state");
  },
  supportedPowerStates: (): PowerTarget[] => ["power on", "power off", "rebooting", "soft rebooting", "soft power off"],
};

const FAKE_INDICATORS: IndicatorDef[] = [
  { name: "led-0", component: "chassis", readonly: true, states: ["off", "on"] },
  { name: "led", component: "system", readonly: false, states: ["blinking", "off", "on"] },
];

function findIndicator(component: string, indicator: string): IndicatorDef {
  const found = FAKE_INDICATORS.find((i) => i.component === component && i.name === indicator);
  if (!found) throw new Invalid(`Indicator ${indicator}@${component} could not be found.`);
  return found;
}

export const fakeManagement: ManagementInterface = {
  kind: "management", name: "fake",
  validate: noop("management.validate"),
  async getSupportedBootDevices() {
    return ["pxe"];
  },
  async getBootDevice(task) {
    await fakeOp(task, "management.get_boot_device");
    return { boot_device: "pxe", persistent: false };
  },
  async setBootDevice(task, device) {
    if (device !== "pxe") throw new Invalid(`Invalid boot device ${device} specified.`);
    await fakeOp(task, "management.set_boot_device");
  },
  async getIndicators() {
    return FAKE_INDICATORS.map((i) => ({ ...i, states: [...i.states] }));
  },
  // Virtual media: the fake BMC keeps what is inserted in driver_internal_info.fake_vmedia.
  async attachVirtualMedia(task, media) {
    await fakeOp(task, "management.attach_virtual_media");
    const current = (task.node.driverInternalInfo.fake_vmedia as Dict | undefined) ?? {};
    await task.update({ driverInternalInfo: { ...task.node.driverInternalInfo, fake_vmedia: { ...current, [media.device_type]: { ...media } } } });
  },
  async detachVirtualMedia(task, deviceTypes) {
    await fakeOp(task, "management.detach_virtual_media");
    const current = { ...((task.node.driverInternalInfo.fake_vmedia as Dict | undefined) ?? {}) };
    for (const t of deviceTypes ?? Object.keys(current)) delete current[t];
    const dii: Dict = { ...task.node.driverInternalInfo, fake_vmedia: current };
    if (Object.keys(current).length === 0) delete dii.fake_vmedia;
    await task.update({ driverInternalInfo: dii });
  },
  async getVirtualMedia(task) {
    const current = (task.node.driverInternalInfo.fake_vmedia as Dict | undefined) ?? {};
    return Object.values(current).map((m) => ({ ...(m as VirtualMedia) }));
  },
  async getIndicatorState(task, component, indicator) {
    findIndicator(component, indicator);
    const stored = (task.node.driverInternalInfo.fake_indicators as Dict | undefined)?.[`${indicator}@${component}`];
    return typeof stored === "string" ? stored : "on";
  },
  // Ironic 21.4's fake refuses all indicator writes; Ingot lets the writable one be set (kept in
  // driver_internal_info) so the dashboard can demo it.
  async setIndicatorState(task, component, indicator, state) {
    const def = findIndicator(component, indicator);
    if (def.readonly) throw new Invalid(`Indicator ${indicator}@${component} is read-only.`);
    if (!def.states.includes(state)) {
      throw new Invalid(`Indicator state ${state} is not supported by ${indicator}@${component}; valid states are: ${def.states.join(", ")}.`);
    }
    await fakeOp(task, "management.set_indicator_state");
    const current = (task.node.driverInternalInfo.fake_indicators as Dict | undefined) ?? {};
    await task.update({
      driverInternalInfo: { ...task.node.driverInternalInfo, fake_indicators: { ...current, [`${indicator}@${component}`]: state } },
    });
  },
  setBootMode: noop("management.set_boot_mode"),
  setSecureBoot: noop("management.set_secure_boot"),
};

export const fakeBoot: BootInterface = {
  kind: "boot", name: "fake",
  validate: noop("boot.validate"),
  prepareRamdisk: noop("boot.prepare_ramdisk"),
  cleanUpRamdisk: noop("boot.clean_up_ramdisk"),
  prepareInstance: noop("boot.prepare_instance"),
  cleanUpInstance: noop("boot.clean_up_instance"),
};

/**
 * Fake storage: attaching records the node's volume targets in driver_internal_info.attached_volumes
 * (detaching removes them). Unlike Ironic's fake (which always writes the image) it follows the
 * cinder/external rule, so boot from volume can be exercised without a storage service.
 */
export const fakeStorage: StorageInterface = {
  kind: "storage", name: "fake",
  async validate(task) {
    await fakeOp(task, "storage.validate");
    await requireBootTarget(task.sql, task.node, "fake");
  },
  async attachVolumes(task) {
    await fakeOp(task, "storage.attach_volumes");
    const attached = (await volumeTargets(task.sql, task.node.id)).map((t) => ({
      target_uuid: t.uuid, volume_id: t.volume_id, volume_type: t.volume_type, boot_index: t.boot_index,
    }));
    await task.update({ driverInternalInfo: { ...task.node.driverInternalInfo, attached_volumes: attached } });
  },
  async detachVolumes(task) {
    await fakeOp(task, "storage.detach_volumes");
    const dii: Dict = { ...task.node.driverInternalInfo };
    if (!("attached_volumes" in dii)) return;
    delete dii.attached_volumes;
    await task.update({ driverInternalInfo: dii });
  },
  shouldWriteImage: (task) => imageWriteNeeded(task.sql, task.node),
};

export const fakeDeploy: DeployInterface = {
  kind: "deploy", name: "fake",
  validate: noop("deploy.validate"),
  prepare: noop("deploy.prepare"),
  tearDown: noop("deploy.tear_down"),
  cleanUp: noop("deploy.clean_up"),
  takeOver: noop("deploy.take_over"),
  steps: [
    {
      step: "deploy", description: "Writes the image (the core deploy step: it can be disabled, not re-prioritised).",
      priorities: { deploy: 100 }, abortable: false, argsinfo: null, run: async (task) => fakeOp(task, "deploy.deploy"),
    },
  ],
};

// ---- fake BIOS (reference §10): the node's settings table is the whole "machine" ----

/** How Ironic stores a setting's value (a string field: Python's str() of what was given). */
function storedBiosValue(v: unknown): string | null {
  if (v === true) return "True";
  if (v === false) return "False";
  return biosValueString(v);
}

/**
 * As Ironic's fake BIOS: apply_configuration stores exactly the settings it is given (Ironic's
 * BIOSSettingList.sync_node_setting: given names are created or updated, every other one is
 * deleted), factory_reset deletes them all, cache_bios_settings reads nothing. There is no
 * registry, so any name and value is accepted. (The sim hardware type has a realistic BIOS.)
 */
export const fakeBios: BiosInterface = {
  kind: "bios", name: "fake",
  validate: noop("bios.validate"),
  async applyConfiguration(task, settings) {
    await fakeOp(task, "bios.apply_configuration");
    await syncBiosCache(task.sql, task.node.id, settings.map((s) => ({ name: s.name, value: storedBiosValue(s.value) })));
  },
  async factoryReset(task) {
    await fakeOp(task, "bios.factory_reset");
    await syncBiosCache(task.sql, task.node.id, []);
  },
  async cacheBiosSettings(task) {
    await fakeOp(task, "bios.cache_bios_settings");
  },
  // Ingot also offers the BIOS steps as deploy and service steps so deploy templates and
  // runbooks can use them (reference §10 end).
  steps: [
    ...biosSteps(() => fakeBios),
    {
      step: "cache_bios_settings", description: "Reads the BIOS settings into the node's settings cache (the fake BIOS has nothing to read).",
      priorities: { clean: 0 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      run: async (task) => fakeBios.cacheBiosSettings(task),
    },
  ],
};

/** The version a fake firmware image carries: the first dotted number in its URL, else its file name. */
export function fakeFirmwareVersion(url: string): string {
  const m = /(\d+(?:\.\d+)+)/.exec(url);
  if (m) return m[1];
  const base = url.split(/[/?#]/).filter(Boolean).pop();
  return base ?? url;
}

/** Factory versions of the fake machine's components (what initial_version shows). */
const FAKE_FIRMWARE_INITIAL: Record<string, string> = { bios: "1.0.0", bmc: "1.0.0" };

export const fakeFirmware: FirmwareInterface = {
  kind: "firmware", name: "fake",
  validate: noop("firmware.validate"),
  // Records every flashed component in FirmwareComponent (GET /v1/nodes/{n}/firmware, 1.86).
  async update(task, settings) {
    await fakeOp(task, "firmware.update");
    for (const s of settings) {
      const component = String(s.component);
      const version = fakeFirmwareVersion(String(s.url ?? ""));
      await recordFirmwareFlashed(task.sql, task.node.id, component, version, FAKE_FIRMWARE_INITIAL[component] ?? "1.0.0");
    }
  },
  steps: [
    {
      step: "update", description: "Flashes firmware components.", priorities: { clean: 0 }, abortable: false, requiresRamdisk: false,
      // A flash cut off midway is not simply started again: the operator decides.
      rerunnable: false,
      argsinfo: {
        settings: {
          description: 'A list of firmware updates, each an object with "component" and "url".', required: true, type: "array",
          items: {
            type: "object",
            properties: {
              component: { type: "string", required: true, description: "bios, bmc, or a NIC/disk id" },
              url: { type: "string", required: true, description: "Where the firmware image is" },
              checksum: { type: "string", description: "The image's checksum" },
              wait: { type: "integer", description: "Seconds to wait after the update" },
            },
          },
        },
      },
      run: async (task, args) => fakeFirmware.update(task, (args.settings as Dict[]) ?? []),
    },
  ],
};

export const fakeRaid: RaidInterface = {
  kind: "raid", name: "fake",
  validate: noop("raid.validate"),
  createConfiguration: noop("raid.create_configuration"),
  deleteConfiguration: noop("raid.delete_configuration"),
  // Ingot offers the RAID operations as clean and deploy steps (priority 0), as real RAID interfaces do.
  steps: [
    {
      step: "create_configuration", description: "Creates the node's target_raid_config.",
      priorities: { clean: 0, deploy: 0 }, abortable: false, requiresRamdisk: false,
      argsinfo: {
        create_root_volume: { description: "Whether to create the root volume. Default True.", required: false, type: "boolean" },
        create_nonroot_volumes: { description: "Whether to create the non-root volumes. Default True.", required: false, type: "boolean" },
      },
      run: async (task) => fakeRaid.createConfiguration(task),
    },
    {
      step: "delete_configuration", description: "Deletes the node's RAID configuration.",
      priorities: { clean: 0, deploy: 0 }, abortable: false, requiresRamdisk: false, argsinfo: null,
      run: async (task) => fakeRaid.deleteConfiguration(task),
    },
  ],
};

export const fakeConsole: ConsoleInterface = {
  kind: "console", name: "fake",
  validate: noop("console.validate"),
  startConsole: noop("console.start_console"),
  stopConsole: noop("console.stop_console"),
  async getConsole(task) {
    await fakeOp(task, "console.get_console");
    return {};
  },
};

export const fakeInspect: InspectInterface = {
  kind: "inspect", name: "fake",
  validate: noop("inspect.validate"),
  // As Ironic's fake inspect: finishes at once and changes nothing. With driver_info.fake_inventory
  // or fake_plugin_data (test/demo hooks) the fake machine reports a deterministic inventory per
  // node (its uuid) with those merged in, which is processed like real inspection data;
  // driver_info.fake_inspect_wait leaves the node in "inspect wait".
  async inspectHardware(task) {
    await fakeOp(task, "inspect.inspect_hardware");
    const info = task.node.driverInfo ?? {};
    const wait = info.fake_inspect_wait;
    if (wait === true || (typeof wait === "string" && ["1", "true", "yes"].includes(wait.toLowerCase()))) return "wait";
    if (info.fake_inventory === undefined && info.fake_plugin_data === undefined) return "done";
    return fakeInspectionData(task.node);
  },
};

export const fakeRescue: RescueInterface = {
  kind: "rescue", name: "fake",
  validate: noop("rescue.validate"),
  async rescue(task) {
    await fakeOp(task, "rescue.rescue");
    return "done";
  },
  unrescue: noop("rescue.unrescue"),
};

function barMethod(name: string, expected: string, opts: { async: boolean; exclusive: boolean }): VendorMethod {
  return {
    httpMethods: ["POST"],
    async: opts.async,
    description: `Test if the value of bar is ${expected}`,
    attach: false,
    requireExclusiveLock: opts.exclusive,
    validateArgs(_task, body) {
      if (body?.bar === undefined || body?.bar === null || body?.bar === "") {
        throw new Invalid(`Parameter 'bar' not passed to method '${name}'.`);
      }
    },
    async run(task, _httpMethod, body) {
      await fakeOp(task, `vendor.${name}`);
      return body.bar === expected;
    },
  };
}

export const fakeVendor: VendorInterface = {
  kind: "vendor", name: "fake",
  validate: noop("vendor.validate"),
  properties: { B1: "B1 description. Required.", B2: "B2 description. Required." },
  methods: {
    second_method: barMethod("second_method", "kazoo", { async: true, exclusive: true }),
    third_method_sync: barMethod("third_method_sync", "meow", { async: false, exclusive: true }),
    fourth_method_shared_lock: barMethod("fourth_method_shared_lock", "woof", { async: true, exclusive: false }),
  },
  steps: [
    {
      step: "log_passthrough", description: "Logs a line (the fake's automated clean step).",
      priorities: { clean: 1, service: 0 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      run: async (task) => fakeOp(task, "vendor.log_passthrough"),
    },
    {
      // Ingot test hooks: leave the node in "clean wait" until Conductor.continueSteps() (the
      // agent callback), one abortable and one not (abort then only flags abort_after).
      step: "trigger_cleanwait", description: "Waits in clean wait for a callback (not abortable).",
      priorities: { clean: 0 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      run: async (task) => {
        await fakeOp(task, "vendor.trigger_cleanwait");
        return "wait";
      },
    },
    {
      step: "trigger_cleanwait_abortable", description: "Waits in clean wait for a callback (abortable).",
      priorities: { clean: 0 }, abortable: true, argsinfo: null, requiresRamdisk: false,
      run: async (task) => {
        await fakeOp(task, "vendor.trigger_cleanwait");
        return "wait";
      },
    },
    {
      // Leaves the node waiting in "service wait" (for exercising callbacks/timeouts).
      step: "trigger_servicewait", description: "Waits in service wait for a callback.", priorities: { service: 0 }, abortable: true, argsinfo: null, requiresRamdisk: false,
      run: async (task) => {
        await fakeOp(task, "vendor.trigger_servicewait");
        return "wait";
      },
    },
  ],
};
