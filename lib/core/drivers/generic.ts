// Implementations shared by every hardware type: the "no-*" placeholders for optional
// interfaces, noop network/storage, the flat network's VIF bookkeeping on ports, and the agent-less
// `ramdisk` deploy, which works through the node's own power and boot interfaces.
import type { Dict } from "../db/nodes.ts";
import { parseJson, toBool } from "../db/sql.ts";
import { Conflict, Invalid, NotFound } from "../errors.ts";
import type {
  BiosInterface, BootInterface, ConsoleInterface, DeployInterface, DriverTask, FirmwareInterface, InspectInterface,
  NetworkInterface, RaidInterface, RescueInterface, StorageInterface, VendorInterface,
} from "./base.ts";
import { recordPowerChange, UnsupportedDriverExtension } from "./base.ts";
// The catalog, not registry.ts: the registry imports the driver modules, which import this file.
import { interfacesFor } from "./catalog.ts";
import { setMachinePower } from "./machine_power.ts";
import { imageWriteNeeded, requireBootTarget } from "../volumes.ts";
import { updatePortgroup } from "../db/portgroups.ts";
import { updatePort } from "../db/ports.ts";

const unsupported = (extension: string) => async (task: DriverTask): Promise<never> => {
  throw new UnsupportedDriverExtension(task.node.driver, extension);
};

export const noBios: BiosInterface = {
  kind: "bios", name: "no-bios",
  validate: unsupported("bios"),
  applyConfiguration: unsupported("bios"),
  factoryReset: unsupported("bios"),
  cacheBiosSettings: async () => undefined, // called after cleaning; nothing to cache
};

export const noConsole: ConsoleInterface = {
  kind: "console", name: "no-console",
  validate: unsupported("console"),
  startConsole: unsupported("console"),
  stopConsole: unsupported("console"),
  getConsole: unsupported("console"),
};

export const noInspect: InspectInterface = {
  kind: "inspect", name: "no-inspect",
  validate: unsupported("inspect"),
  inspectHardware: unsupported("inspect"),
};

export const noRaid: RaidInterface = {
  kind: "raid", name: "no-raid",
  validate: unsupported("raid"),
  createConfiguration: unsupported("raid"),
  deleteConfiguration: unsupported("raid"),
};

export const noRescue: RescueInterface = {
  kind: "rescue", name: "no-rescue",
  validate: unsupported("rescue"),
  rescue: unsupported("rescue"),
  unrescue: unsupported("rescue"),
};

export const noVendor: VendorInterface = {
  kind: "vendor", name: "no-vendor",
  validate: unsupported("vendor"),
  methods: {},
};

export const noFirmware: FirmwareInterface = {
  kind: "firmware", name: "no-firmware",
  validate: unsupported("firmware"),
  update: unsupported("firmware"),
};

export const noopStorage: StorageInterface = {
  kind: "storage", name: "noop",
  validate: async () => undefined,
  attachVolumes: async () => undefined,
  detachVolumes: async () => undefined,
  shouldWriteImage: async () => true,
};

/**
 * Ironic's `external` storage: the volumes are attached and detached outside Ingot (by the
 * storage system or an operator); Ingot only boots from them. The image is not written when the
 * node has a boot target (boot_index 0) and no instance_info.image_source.
 */
export const externalStorage: StorageInterface = {
  kind: "storage", name: "external",
  validate: (task) => requireBootTarget(task.sql, task.node, "external"),
  attachVolumes: async () => undefined,
  detachVolumes: async () => undefined,
  shouldWriteImage: (task) => imageWriteNeeded(task.sql, task.node),
};

// ---- deploy: ramdisk (no agent) ----

type RamdiskBoot = BootInterface & Required<Pick<BootInterface, "validateRamdiskDeploy">>;

/** The node's boot interface, when it can boot an instance for `ramdisk`. */
function ramdiskBoot(task: DriverTask): RamdiskBoot {
  const boot = interfacesFor(task.node).boot;
  if (!boot.validateRamdiskDeploy) {
    throw new Invalid(`The ramdisk deploy of node ${task.node.uuid} cannot boot an instance through boot interface ${boot.name}.`);
  }
  return boot as RamdiskBoot;
}

async function ramdiskPowerOff(task: DriverTask, note: string): Promise<void> {
  const power = interfacesFor(task.node).power;
  if ((await power.getPowerState(task)) !== "power off") await setMachinePower(task, "power off", note);
  else await recordPowerChange(task, "power off", note);
}

/**
 * `ramdisk` (as Ironic's): an agent-less deploy for any hardware type whose boot interface can
 * boot the instance by itself (validateRamdiskDeploy). The deploy step powers the machine off
 * through the node's power interface, asks its boot interface to prepare the instance's boot
 * (external-pxe: network boot, persistent; redfish-virtual-media: instance_info/boot_iso as
 * virtual CD) and powers it on; the node is then `active`. It writes no image and waits for no
 * agent. Tear-down powers the machine off.
 */
export const ramdiskDeploy: DeployInterface = {
  kind: "deploy", name: "ramdisk",
  validate: async (task) => ramdiskBoot(task).validateRamdiskDeploy(task),
  prepare: async () => undefined,
  tearDown: async (task) => ramdiskPowerOff(task, "tear down"),
  cleanUp: async () => undefined,
  takeOver: async () => undefined,
  steps: [
    {
      step: "deploy",
      // Worded as the available-steps API has always answered it.
      description: "Boots the machine from its boot ISO (virtual media for redfish, network boot for ipmi); no image is written.",
      priorities: { deploy: 100 }, abortable: false, argsinfo: null,
      async run(task) {
        const boot = ramdiskBoot(task);
        await ramdiskPowerOff(task, "deploy");
        await boot.prepareInstance(task);
        await setMachinePower(task, "power on", "deploy");
      },
    },
  ],
};

/** Ironic's noop network: VIF calls are accepted and do nothing (verified against Ironic 21.4). */
export const noopNetwork: NetworkInterface = {
  kind: "network", name: "noop",
  validate: async () => undefined,
  vifList: async () => [],
  vifAttach: async () => undefined,
  vifDetach: async () => undefined,
};

// ---- VIFs recorded on ports (flat/neutron style) ----

export const VIF_KEY = "tenant_vif_port_id";

interface PortRow {
  id: number;
  uuid: string;
  pxeEnabled: unknown;
  internalInfo: unknown;
  portgroupId: number | null;
}

async function nodePorts(task: DriverTask): Promise<{ id: number; uuid: string; pxe: boolean; info: Dict; portgroupId: number | null }[]> {
  const rows = await task.sql.all<PortRow>(
    `SELECT "id", "uuid", "pxeEnabled", "internalInfo", "portgroupId" FROM "Port" WHERE "nodeId" = ? ORDER BY "id"`,
    [task.node.id],
  );
  return rows.map((r) => ({ id: r.id, uuid: r.uuid, pxe: toBool(r.pxeEnabled), info: parseJson(r.internalInfo, {}), portgroupId: r.portgroupId }));
}

async function nodePortgroups(task: DriverTask): Promise<{ id: number; uuid: string; info: Dict }[]> {
  const rows = await task.sql.all<{ id: number; uuid: string; internalInfo: unknown }>(
    `SELECT "id", "uuid", "internalInfo" FROM "Portgroup" WHERE "nodeId" = ? ORDER BY "id"`,
    [task.node.id],
  );
  return rows.map((r) => ({ id: r.id, uuid: r.uuid, info: parseJson(r.internalInfo, {}) }));
}

export async function listVifsOnPorts(task: DriverTask): Promise<{ id: string }[]> {
  const out: { id: string }[] = [];
  for (const pg of await nodePortgroups(task)) if (typeof pg.info[VIF_KEY] === "string") out.push({ id: pg.info[VIF_KEY] as string });
  for (const p of await nodePorts(task)) if (typeof p.info[VIF_KEY] === "string") out.push({ id: p.info[VIF_KEY] as string });
  return out;
}

export async function attachVifToPort(task: DriverTask, vif: { id: string; port_uuid?: string; portgroup_uuid?: string }): Promise<void> {
  if ((await listVifsOnPorts(task)).some((v) => v.id === vif.id)) {
    throw new Conflict(`Unable to attach VIF ${vif.id}, it is already attached to node ${task.node.uuid}.`);
  }
  if (vif.portgroup_uuid) {
    const pg = (await nodePortgroups(task)).find((g) => g.uuid === vif.portgroup_uuid);
    if (!pg) throw new NotFound(`Portgroup ${vif.portgroup_uuid} could not be found.`);
    if (pg.info[VIF_KEY]) throw new Conflict(`Portgroup ${pg.uuid} already has a VIF attached.`);
    await updatePortgroup(task.sql, pg.id, { internalInfo: { ...pg.info, [VIF_KEY]: vif.id } });
    return;
  }
  const ports = await nodePorts(task);
  let port;
  if (vif.port_uuid) {
    port = ports.find((p) => p.uuid === vif.port_uuid);
    if (!port) throw new NotFound(`Port ${vif.port_uuid} could not be found.`);
    if (port.info[VIF_KEY]) throw new Conflict(`Port ${port.uuid} already has a VIF attached.`);
  } else {
    // Prefer free PXE-enabled ports, as Ironic does.
    const free = ports.filter((p) => !p.info[VIF_KEY]);
    port = free.find((p) => p.pxe) ?? free[0];
  }
  if (!port) throw new Invalid(`Unable to attach VIF ${vif.id}, not enough free physical ports.`);
  await updatePort(task.sql, port.id, { internalInfo: { ...port.info, [VIF_KEY]: vif.id } });
}

export async function detachVifFromPort(task: DriverTask, vifId: string): Promise<void> {
  for (const pg of await nodePortgroups(task)) {
    if (pg.info[VIF_KEY] === vifId) {
      const { [VIF_KEY]: _drop, ...rest } = pg.info;
      await updatePortgroup(task.sql, pg.id, { internalInfo: rest });
      return;
    }
  }
  for (const p of await nodePorts(task)) {
    if (p.info[VIF_KEY] === vifId) {
      const { [VIF_KEY]: _drop, ...rest } = p.info;
      await updatePort(task.sql, p.id, { internalInfo: rest });
      return;
    }
  }
  throw new Invalid(`VIF ${vifId} is not attached to bare metal node ${task.node.uuid}`);
}

/** Flat network: VIFs are recorded on the node's ports/portgroups. */
export const flatNetwork: NetworkInterface = {
  kind: "network", name: "flat",
  validate: async () => undefined,
  vifList: listVifsOnPorts,
  vifAttach: attachVifToPort,
  vifDetach: detachVifFromPort,
};

