// The `sim` interfaces: each one drives its piece of the node's simulated machine
// (lib/core/sim/machine.ts). Flows, locking and states stay in the conductor.
import { biosSteps, syncBiosCache } from "../../bios.ts";
import type { Dict } from "../../db/nodes.ts";
import { DriverError, Invalid } from "../../errors.ts";
import { BOOT_DEVICES, DEFAULT_IMAGE, osFromImage, type SimBootDevice } from "../../sim/machine.ts";
import type { PowerTarget } from "../../states.ts";
import type {
  BiosInterface, BootInterface, DeployInterface, DriverTask, IndicatorDef, InspectInterface, ManagementInterface,
  PowerInterface, RaidInterface, RescueInterface,
} from "../base.ts";
import { bmc, driverCall, injected, machineOf, recordMachine, reportProgress, simStep } from "./common.ts";
import { bootTarget, bootVolumeOf, volumeTargets } from "../../volumes.ts";
import type { SanVolume } from "../../sim/machine.ts";

/** driver_info keys every sim interface understands (GET /v1/drivers/sim/properties). */
export const SIM_DRIVER_PROPERTIES: Record<string, string> = {
  sim_fail_step: 'Failure injection: "<interface>.<step or operation>" (or a list / comma-separated string) that fails, e.g. "deploy.write_image", "deploy.boot_instance", "bios.apply_configuration", "power.set_power_state", "inspect.inspect_hardware". Optional.',
  sim_bmc_down: "Failure injection: true makes the BMC stop answering (power and management calls time out). Optional.",
  sim_slow: "Multiplier of every duration for this node (e.g. 5 = five times slower). Optional, default 1.",
  sim_bmc_address: "The BMC address the simulated machine reports. Optional (derived from the node uuid).",
};

const validateWith = (op: string) => async (task: DriverTask) => injected(task, op);

// ---- power ----

export const simPower: PowerInterface = {
  kind: "power", name: "sim",
  properties: SIM_DRIVER_PROPERTIES,
  validate: validateWith("power.validate"),
  async getPowerState(task) {
    injected(task, "power.get_power_state");
    return bmc(task, "get_power_state", (m) => m.power);
  },
  async setPowerState(task, target: PowerTarget, timeoutSeconds) {
    injected(task, "power.set_power_state");
    const m = machineOf(task);
    await bmc(task, `set_power_state(${target})`, () => undefined);
    await driverCall(async () => {
      switch (target) {
        case "power on":
          return m.powerOn();
        case "power off":
          return m.powerOff();
        case "rebooting":
          return m.reset();
        case "soft power off":
        case "soft rebooting": {
          const work = target === "soft power off" ? m.softPowerOff() : m.softReboot();
          if (!timeoutSeconds) return work;
          let timer: NodeJS.Timeout | undefined;
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the machine did not finish "${target}" within ${timeoutSeconds} s`)), timeoutSeconds * 1000);
          });
          try {
            return await Promise.race([work, timeout]);
          } finally {
            clearTimeout(timer);
          }
        }
        default:
          throw new Invalid(`Unsupported power target ${target}`);
      }
    });
  },
  supportedPowerStates: (): PowerTarget[] => ["power on", "power off", "rebooting", "soft rebooting", "soft power off"],
};

// ---- management ----

const SIM_INDICATORS: IndicatorDef[] = [
  { name: "led-0", component: "chassis", readonly: true, states: ["off", "on"] },
  { name: "led", component: "system", readonly: false, states: ["blinking", "off", "on"] },
];

function findIndicator(component: string, indicator: string): IndicatorDef {
  const found = SIM_INDICATORS.find((i) => i.component === component && i.name === indicator);
  if (!found) throw new Invalid(`Indicator ${indicator}@${component} could not be found.`);
  return found;
}

export const simManagement: ManagementInterface = {
  kind: "management", name: "sim",
  validate: validateWith("management.validate"),
  async getSupportedBootDevices() {
    return [...BOOT_DEVICES];
  },
  async getBootDevice(task) {
    return bmc(task, "get_boot_device", (m) => m.bootDevice);
  },
  async setBootDevice(task, device, persistent) {
    if (!(BOOT_DEVICES as readonly string[]).includes(device)) throw new Invalid(`Invalid boot device ${device} specified.`);
    injected(task, "management.set_boot_device");
    await bmc(task, "set_boot_device", (m) => m.setBootDevice(device as SimBootDevice, persistent));
  },
  async injectNmi(task) {
    await bmc(task, "inject_nmi", (m) => {
      if (m.power !== "power on") throw new DriverError("Cannot inject an NMI into a powered off machine");
      m.output("\nUhhuh. NMI received for unknown reason 3d on CPU 0.\nDazed and confused, but trying to continue\n");
    });
  },
  async getIndicators() {
    return SIM_INDICATORS.map((i) => ({ ...i, states: [...i.states] }));
  },
  async getIndicatorState(task, component, indicator) {
    findIndicator(component, indicator);
    return bmc(task, "get_indicator_state", (m) => m.indicators.get(`${indicator}@${component}`) ?? "off");
  },
  async setIndicatorState(task, component, indicator, state) {
    const def = findIndicator(component, indicator);
    if (def.readonly) throw new Invalid(`Indicator ${indicator}@${component} is read-only.`);
    if (!def.states.includes(state)) {
      throw new Invalid(`Indicator state ${state} is not supported by ${indicator}@${component}; valid states are: ${def.states.join(", ")}.`);
    }
    await bmc(task, "set_indicator_state", (m) => m.indicators.set(`${indicator}@${component}`, state));
  },
  async setBootMode(task, mode) {
    injected(task, "management.set_boot_mode");
    await bmc(task, "set_boot_mode", (m) => m.setBootMode(mode));
  },
  async setSecureBoot(task, enabled) {
    injected(task, "management.set_secure_boot");
    await bmc(task, "set_secure_boot", (m) => m.setSecureBoot(enabled));
  },
};

// ---- boot ----

export const simBoot: BootInterface = {
  kind: "boot", name: "sim",
  validate: validateWith("boot.validate"),
  /** Serves the deploy ramdisk, netboots the machine into it and waits for the agent. */
  async prepareRamdisk(task) {
    injected(task, "boot.prepare_ramdisk");
    const m = machineOf(task);
    try {
      await driverCall(() => m.bootIntoAgent("agent"));
    } finally {
      await recordMachine(task);
    }
  },
  /** Stops serving the ramdisk and switches the machine off (the end of cleaning). */
  async cleanUpRamdisk(task) {
    const m = machineOf(task);
    m.netboot = null;
    if (m.power === "power on") await bmc(task, "power off", (mm) => mm.powerOff());
    await recordMachine(task);
  },
  /** Boots from the local disk from now on, or (boot from volume) keeps serving the iPXE sanboot script. */
  async prepareInstance(task) {
    const m = machineOf(task);
    if (bootVolumeOf(task)) {
      m.sanVolume ??= await sanVolumeFor(task);
      m.netboot = "volume";
      await bmc(task, "set_boot_device", (mm) => mm.setBootDevice("pxe", true));
      return;
    }
    m.netboot = null;
    await bmc(task, "set_boot_device", (mm) => mm.setBootDevice("disk", true));
  },
  /** Stops serving the instance's boot-from-volume script (nothing is served for local boot). */
  async cleanUpInstance(task) {
    const m = machineOf(task);
    if (m.netboot === "volume") m.netboot = null;
    m.sanVolume = null;
  },
};

// ---- deploy ----

/** The SAN volume the machine boots from: the node's boot target (properties.target_iqn/… when given). */
async function sanVolumeFor(task: DriverTask): Promise<SanVolume> {
  const target = bootTarget(await volumeTargets(task.sql, task.node.id));
  if (!target) throw new DriverError(`Node ${task.node.uuid} has no volume target with boot_index 0 to boot from.`);
  const p = target.properties;
  const image = typeof p.image === "string" && p.image ? p.image : DEFAULT_IMAGE;
  return {
    volumeId: target.volume_id,
    targetIqn: typeof p.target_iqn === "string" ? p.target_iqn : `iqn.2010-10.org.openstack:volume-${target.volume_id}`,
    portal: typeof p.target_portal === "string" ? p.target_portal : "192.0.2.10:3260",
    lun: typeof p.target_lun === "number" ? p.target_lun : 0,
    os: osFromImage(image),
  };
}

function imageOf(task: DriverTask): string {
  const src = task.node.instanceInfo?.image_source;
  return typeof src === "string" && src ? src : DEFAULT_IMAGE;
}

export const simDeploy: DeployInterface = {
  kind: "deploy", name: "sim",
  validate: validateWith("deploy.validate"),
  async prepare(task) {
    injected(task, "deploy.prepare");
    const dii: Dict = { ...task.node.driverInternalInfo };
    delete dii.deploy_progress;
    await task.update({ driverInternalInfo: dii });
    machineOf(task).netboot = "agent";
  },
  /** Powers the machine off; the instance stays on disk until cleaning erases it. */
  async tearDown(task) {
    injected(task, "deploy.tear_down");
    await bmc(task, "power off", (m) => m.powerOff());
    await recordMachine(task);
  },
  async cleanUp(task) {
    const m = machineOf(task);
    m.netboot = null;
    m.sanVolume = null;
  },
  /**
   * Adoption (the machine already runs the instance), and take-over by another conductor: the
   * machine is looked up here, which recreates it from the node in this process if needed.
   */
  async takeOver(task) {
    const m = machineOf(task);
    if (task.node.provisionState === "adopting" && !bootVolumeOf(task)) m.disk ??= osFromImage(imageOf(task));
  },
  steps: [
    simStep("deploy", {
      step: "deploy", description: "Netboots the deploy agent; the node waits in \"wait call-back\" for its first heartbeat (the core deploy step).",
      priorities: { deploy: 100 }, abortable: false, argsinfo: null,
      async run(task, m) {
        await reportProgress(task, "deploy", 0, "Booting the deploy ramdisk");
        // As with a real ramdisk, the conductor does not sit waiting: the agent's heartbeat
        // (handled by whichever conductor owns the node by then) continues the deployment.
        m.startAgent();
        return "wait";
      },
    }),
    simStep("deploy", {
      step: "write_image", description: "Writes instance_info.image_source to the root disk, reporting progress.",
      priorities: { deploy: 80 }, abortable: false, argsinfo: null, requiresRamdisk: true, writesImage: true,
      async run(task, m) {
        const image = imageOf(task);
        await reportProgress(task, "write_image", 0, `Writing ${image}`);
        await m.writeImage(image, (pct, message) => reportProgress(task, "write_image", pct, message));
      },
    }, { failInside: true }),
    simStep("deploy", {
      step: "prepare_instance_boot", description: "Installs the boot loader and makes the disk the boot device.",
      priorities: { deploy: 60 }, abortable: false, argsinfo: null, requiresRamdisk: true, writesImage: true,
      async run(_task, m) {
        await m.installBootloader();
      },
    }),
    simStep("deploy", {
      step: "tear_down_agent", description: "Shuts the deploy agent down (powers the machine off).",
      priorities: { deploy: 40 }, abortable: false, argsinfo: null, requiresRamdisk: true,
      async run(_task, m) {
        await m.agentPowerOff();
      },
    }),
    simStep("deploy", {
      step: "switch_to_tenant_network", description: "Moves the node's ports to the tenant network.",
      priorities: { deploy: 30 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      async run(task) {
        await bmc(task, "network switch", () => undefined);
      },
    }),
    simStep("deploy", {
      step: "boot_instance", description: "Boots the instance from disk (or from its volume) and waits for its login prompt.",
      priorities: { deploy: 20 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      async run(task, m) {
        if (bootVolumeOf(task)) {
          m.sanVolume = await sanVolumeFor(task);
          await reportProgress(task, "boot_instance", 0, `Booting the instance from volume ${m.sanVolume.volumeId}`);
          await m.bootIntoVolume();
          return;
        }
        await reportProgress(task, "boot_instance", 0, "Booting the instance");
        m.netboot = null;
        await m.bootIntoOs();
      },
    }),
    simStep("deploy", {
      step: "erase_devices_metadata", description: "Wipes partition tables and filesystem signatures of every disk.",
      priorities: { clean: 99 }, abortable: true, argsinfo: null, requiresRamdisk: true,
      async run(_task, m) {
        await m.eraseMetadata();
      },
    }),
    simStep("deploy", {
      step: "erase_devices", description: "Overwrites every disk with random data (slow).",
      priorities: { clean: 0 }, abortable: true, argsinfo: null, requiresRamdisk: true,
      async run(_task, m) {
        await m.eraseDevices();
      },
    }),
  ],
};

// ---- BIOS ----

export const simBios: BiosInterface = {
  kind: "bios", name: "sim",
  validate: validateWith("bios.validate"),
  /**
   * Sends the settings to the BMC, which enforces its registry. Settings marked reset_required are
   * staged; when the machine is running it is rebooted so they apply (as Ironic's redfish BIOS
   * interface does), otherwise they wait for the next power on.
   */
  async applyConfiguration(task, settings) {
    injected(task, "bios.apply_configuration");
    const result = await bmc(task, "BIOS settings", (m) => m.applyBios(settings));
    const m = machineOf(task);
    if (result.pending.length && m.power === "power on") await driverCall(() => m.rebootAndWait());
    await recordMachine(task);
  },
  async factoryReset(task) {
    injected(task, "bios.factory_reset");
    await bmc(task, "BIOS factory reset", (m) => m.bios.factoryReset());
    const m = machineOf(task);
    if (m.bios.hasPending && m.power === "power on") await driverCall(() => m.rebootAndWait());
  },
  async cacheBiosSettings(task) {
    injected(task, "bios.cache_bios_settings");
    const attrs = await bmc(task, "read BIOS settings", (m) => m.bios.report());
    await syncBiosCache(task.sql, task.node.id, attrs);
  },
  steps: [
    ...biosSteps(() => simBios),
    {
      step: "cache_bios_settings", description: "Reads the BIOS settings and registry into the node's settings cache.",
      priorities: { clean: 0 }, abortable: false, argsinfo: null, requiresRamdisk: false,
      run: async (task) => simBios.cacheBiosSettings(task),
    },
  ],
};

// ---- RAID ----

const RAID_LEVELS = ["0", "1", "5", "6", "1+0", "5+0", "6+0", "JBOD"];

function raidVolumes(task: DriverTask): Dict[] {
  const disks = task.node.targetRaidConfig?.logical_disks;
  if (!Array.isArray(disks) || !disks.length) {
    throw new Invalid(`Node ${task.node.uuid} has no target_raid_config with logical_disks to create.`);
  }
  return disks.map((d, i) => {
    const disk = (d ?? {}) as Dict;
    const level = String(disk.raid_level ?? "");
    if (!RAID_LEVELS.includes(level)) throw new Invalid(`logical_disks[${i}]: raid_level ${JSON.stringify(disk.raid_level)} is not one of ${RAID_LEVELS.join(", ")}`);
    if (disk.size_gb !== "MAX" && !(typeof disk.size_gb === "number" && disk.size_gb > 0)) {
      throw new Invalid(`logical_disks[${i}]: size_gb must be a positive number or "MAX"`);
    }
    return { ...disk, controller: "RAID.Integrated.1-1", volume_name: disk.volume_name ?? `Disk.Virtual.${i}:RAID.Integrated.1-1` };
  });
}

export const simRaid: RaidInterface = {
  kind: "raid", name: "sim",
  validate: validateWith("raid.validate"),
  async createConfiguration(task) {
    injected(task, "raid.create_configuration");
    const volumes = raidVolumes(task);
    const m = machineOf(task);
    await driverCall(() => m.configureRaid(volumes));
    await task.update({ raidConfig: { logical_disks: volumes } });
  },
  async deleteConfiguration(task) {
    injected(task, "raid.delete_configuration");
    const m = machineOf(task);
    await driverCall(() => m.configureRaid([]));
    await task.update({ raidConfig: {} });
  },
  steps: [
    {
      step: "create_configuration", description: "Creates the volumes of the node's target_raid_config through the BMC.",
      priorities: { clean: 0, deploy: 0 }, abortable: false, requiresRamdisk: false,
      argsinfo: {
        create_root_volume: { description: "Whether to create the root volume. Default True.", required: false, type: "boolean" },
        create_nonroot_volumes: { description: "Whether to create the non-root volumes. Default True.", required: false, type: "boolean" },
      },
      run: async (task) => simRaid.createConfiguration(task),
    },
    {
      step: "delete_configuration", description: "Deletes every RAID volume.",
      priorities: { clean: 0, deploy: 0 }, abortable: false, requiresRamdisk: false, argsinfo: null,
      run: async (task) => simRaid.deleteConfiguration(task),
    },
  ],
};

// ---- inspection ----

export const simInspect: InspectInterface = {
  kind: "inspect", name: "sim",
  validate: validateWith("inspect.validate"),
  /** Out-of-band inspection: the BMC reports the inventory (IPA format) synchronously. */
  async inspectHardware(task) {
    injected(task, "inspect.inspect_hardware");
    const m = machineOf(task);
    return driverCall(() => m.inspect());
  },
};

// ---- rescue ----

export const simRescue: RescueInterface = {
  kind: "rescue", name: "sim",
  validate: validateWith("rescue.validate"),
  /** Netboots the rescue ramdisk; the user "rescue" logs in with instance_info.rescue_password. */
  async rescue(task) {
    injected(task, "rescue.rescue");
    const m = machineOf(task);
    try {
      await driverCall(() => m.bootIntoAgent("rescue"));
    } finally {
      await recordMachine(task);
    }
    return "done";
  },
  async unrescue(task) {
    injected(task, "rescue.unrescue");
    const m = machineOf(task);
    m.netboot = null;
    try {
      await driverCall(() => m.bootIntoOs());
    } finally {
      await recordMachine(task);
    }
  },
};

