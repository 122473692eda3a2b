// The "fake" interfaces of fake-hardware (reference §10): everything succeeds instantly.
//
// Test/demo hooks read from the node's driver_info (documented in lib/core/drivers/README.md):
//   fake_fail      "<interface>.<operation>" or a list of them: that operation throws a DriverError
//                  (e.g. "deploy.deploy", "vendor.log_passthrough", "power.get_power_state",
//                  "power.set_power_state", "power.validate", "deploy.tear_down", "inspect.inspect_hardware",
//                  "rescue.rescue", "rescue.unrescue", "console.start_console", "bios.apply_configuration").
//   fake_delay_ms  every fake operation except validate sleeps this long first (like Ironic's
//                  [fake]<iface>_delay, but per node).
import type { Dict } from "../db/nodes.ts";
import { DriverError, Invalid } from "../errors.ts";
import type {
  BiosInterface, BootInterface, ConsoleInterface, DeployInterface, DriverTask, FirmwareInterface,
  IndicatorDef, InspectInterface, ManagementInterface, PowerInterface, RaidInterface, RescueInterface,
  VendorInterface, VendorMethod,
} from "./base.ts";
import { sleep } from "./base.ts";
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

export const fakeDeploy: DeployInterface = {
  kind: "deploy", name: "fake",
  validate: noop("deploy.validate"),
  prepare: noop("deploy.prepare"),
  tearDown: noop("deploy.tear_down"),
  cleanUp: noop("deploy.clean_up"),
  takeOver: noop("deploy.take_over"),
  steps: [
    { step: "deploy", priorities: { deploy: 100 }, abortable: false, argsinfo: null, run: async (task) => fakeOp(task, "deploy.deploy") },
  ],
};

type BiosSettingInput = { name: string; value: unknown };

function checkSettings(settings: unknown): BiosSettingInput[] {
  if (!Array.isArray(settings) || settings.some((s) => !s || typeof s !== "object" || typeof (s as Dict).name !== "string")) {
    throw new Invalid("The settings argument must be a list of {\"name\": ..., \"value\": ...} objects.");
  }
  return settings as BiosSettingInput[];
}

/** Applies settings to the node's BIOS table: create/update by name; a null value deletes. */
export async function writeBiosSettings(task: DriverTask, settings: BiosSettingInput[]): Promise<void> {
  const now = new Date();
  await task.sql.tx(async (tx) => {
    for (const s of settings) {
      if (s.value === null || s.value === undefined) {
        await tx.run(`DELETE FROM "BiosSetting" WHERE "nodeId" = ? AND "name" = ?`, [task.node.id, s.name]);
        continue;
      }
      const value = typeof s.value === "string" ? s.value : JSON.stringify(s.value);
      const changed = await tx.run(
        `UPDATE "BiosSetting" SET "value" = ?, "updatedAt" = ? WHERE "nodeId" = ? AND "name" = ?`,
        [value, now, task.node.id, s.name],
      );
      if (!changed) {
        await tx.run(`INSERT INTO "BiosSetting" ("nodeId", "name", "value", "createdAt") VALUES (?, ?, ?, ?)`, [task.node.id, s.name, value, now]);
      }
    }
  });
}

const SETTINGS_ARG = {
  settings: {
    description: 'A list of BIOS settings to apply, each an object {"name": <setting>, "value": <value>}.',
    required: true,
  },
};

export const fakeBios: BiosInterface = {
  kind: "bios", name: "fake",
  validate: noop("bios.validate"),
  async applyConfiguration(task, settings) {
    await fakeOp(task, "bios.apply_configuration");
    await writeBiosSettings(task, checkSettings(settings));
  },
  async factoryReset(task) {
    await fakeOp(task, "bios.factory_reset");
    await task.sql.run(`DELETE FROM "BiosSetting" WHERE "nodeId" = ?`, [task.node.id]);
  },
  cacheBiosSettings: noop("bios.cache_bios_settings"),
  // Ingot also offers the BIOS steps as deploy steps so deploy templates can use them (reference §10 end).
  steps: [
    {
      step: "apply_configuration", priorities: { clean: 0, deploy: 0 }, abortable: false, argsinfo: SETTINGS_ARG,
      requiresRamdisk: false,
      run: async (task, args) => fakeBios.applyConfiguration(task, checkSettings(args.settings)),
    },
    {
      step: "factory_reset", priorities: { clean: 0, deploy: 0 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      run: async (task) => fakeBios.factoryReset(task),
    },
    {
      step: "cache_bios_settings", priorities: { clean: 0 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      run: async (task) => fakeBios.cacheBiosSettings(task),
    },
  ],
};

export const fakeFirmware: FirmwareInterface = {
  kind: "firmware", name: "fake",
  validate: noop("firmware.validate"),
  update: noop("firmware.update"),
  steps: [
    {
      step: "update", priorities: { clean: 0 }, abortable: false, requiresRamdisk: false,
      argsinfo: { settings: { description: 'A list of firmware updates, each an object with "component" and "url".', required: true } },
      run: async (task, args) => fakeFirmware.update(task, (args.settings as Dict[]) ?? []),
    },
  ],
};

export const fakeRaid: RaidInterface = {
  kind: "raid", name: "fake",
  validate: noop("raid.validate"),
  createConfiguration: noop("raid.create_configuration"),
  deleteConfiguration: noop("raid.delete_configuration"),
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
  async inspectHardware(task) {
    await fakeOp(task, "inspect.inspect_hardware");
    return "done";
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
      step: "log_passthrough", priorities: { clean: 1, service: 0 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      run: async (task) => fakeOp(task, "vendor.log_passthrough"),
    },
    {
      // Leaves the node waiting in "service wait" (for exercising callbacks/timeouts).
      step: "trigger_servicewait", priorities: { service: 0 }, abortable: true, argsinfo: null, requiresRamdisk: false,
      run: async (task) => {
        await fakeOp(task, "vendor.trigger_servicewait");
        return "wait";
      },
    },
  ],
};
