// Driver interfaces (reference §10): a hardware type composes one implementation per interface
// kind. Implementations only do their piece; the conductor orchestrates flows, locking and state.
import type { Dict, InterfaceName, NodeChanges, NodeRecord } from "../db/nodes.ts";
import type { Sql } from "../db/sql.ts";
import type { PowerTarget } from "../states.ts";
import type { ArgsInfo, StepKind } from "../../shared/steps.ts";
import { Invalid } from "../errors.ts";
import type { InspectionData } from "../inspection/inventory.ts";
import type { HistoryEvent, HistoryEventType, HistorySeverity } from "../history.ts";
import type { ConsoleSource } from "../console/types.ts";

export type { InterfaceName } from "../db/nodes.ts";
export { INTERFACE_NAMES } from "../db/nodes.ts";

/** What an interface sees of the running operation. `node` is kept current by update(). */
export interface DriverTask {
  readonly sql: Sql;
  node: NodeRecord;
  /** Hostname of the conductor running the task. */
  readonly conductor: string;
  /** Writes node columns and refreshes task.node. */
  update(changes: NodeChanges): Promise<NodeRecord>;
  /** Records an event in the node's history (conductor tasks; a shared, read-only task has none). */
  history?(event: HistoryEvent, eventType: HistoryEventType, severity?: HistorySeverity): Promise<void>;
}

/**
 * Records a power change a driver made inside a flow (deploy, inspection) on the node, and in its
 * history when the task keeps one (conductor tasks do).
 */
export async function recordPowerChange(task: DriverTask, state: "power on" | "power off", note: string): Promise<void> {
  if (task.node.powerState === state) return;
  const before = task.node.powerState;
  await task.update({ powerState: state });
  await task.history?.({ kind: "power_change", from: before, to: state, note }, "transition");
}

export type { ArgInfo, ArgSchema, ArgsInfo, ArgType, StepKind } from "../../shared/steps.ts";

/** Returned by a step that does not finish synchronously. */
export type StepOutcome = void | "wait";

/** What a step's deeper argument check sees (the node is known; no lock is held). */
export interface StepCheckContext {
  readonly sql: Sql;
  readonly node: NodeRecord;
}

export interface StepDecl {
  step: string;
  /** One line for the available-steps API and the dashboard. */
  description?: string;
  /** Priority per step kind the step is offered as; absent kinds do not offer it. */
  priorities: Partial<Record<StepKind, number>>;
  abortable?: boolean;
  argsinfo?: ArgsInfo | null;
  requiresRamdisk?: boolean;
  /**
   * The step writes the instance image to the local disk (or prepares the local disk to boot it);
   * the conductor drops it when the node boots from a volume (storage shouldWriteImage false).
   * Boot interfaces do not read it: the step that wrote the image records INSTANCE_ON_LOCAL_DISK_KEY.
   */
  writesImage?: boolean;
  /**
   * Whether the step may run again after being interrupted — its conductor died or restarted
   * while it ran, so it may have done part of its work or all of it. Default true: steps are
   * written so that running them again does no harm (they bring the machine to the same end
   * state). A step that must not be repeated that way (e.g. a firmware flash cut off midway) says
   * false; the operation then fails with last_error naming the step instead of resuming.
   */
  rerunnable?: boolean;
  /**
   * Checks arguments against the node's current facts (e.g. the cached BIOS registry) before the
   * step is accepted; returns one message per problem (empty = fine). Runs at API time and again
   * in the step before anything is sent to the machine.
   */
  check?(ctx: StepCheckContext, args: Dict): Promise<string[]>;
  /**
   * Returns "wait" when the step's work goes on without the conductor (the node waits, unlocked);
   * a callback (an agent's heartbeat) then ends the step, after asking onCallback when it has one.
   */
  run(task: DriverTask, args: Dict): Promise<StepOutcome>;
  /**
   * At each callback while the step waits (an agent's heartbeat): "wait" while its work still
   * runs (the command the agent was given); resolves when it is done; throws when it failed.
   */
  onCallback?(task: DriverTask): Promise<StepOutcome>;
}

export interface BaseInterface {
  readonly kind: InterfaceName;
  readonly name: string;
  /** Throws (Invalid/DriverError) when the node's settings cannot work with this interface. */
  validate(task: DriverTask): Promise<void>;
  /** driver_info keys this interface reads: name → description. */
  readonly properties?: Record<string, string>;
  readonly steps?: StepDecl[];
  /**
   * Steps known only at run time for this node (those the agent in its ramdisk reported, cached in
   * driver_internal_info); one with the name of a `steps` entry replaces it.
   */
  nodeSteps?(node: NodeRecord): StepDecl[];
}

export interface PowerInterface extends BaseInterface {
  readonly kind: "power";
  getPowerState(task: DriverTask): Promise<string | null>;
  /** Carries out a power target; the conductor records the resulting power_state. */
  setPowerState(task: DriverTask, target: PowerTarget, timeoutSeconds?: number): Promise<void>;
  supportedPowerStates(task: DriverTask): PowerTarget[];
}

export interface IndicatorDef {
  name: string;
  component: string;
  readonly: boolean;
  states: string[];
}

export interface ManagementInterface extends BaseInterface {
  readonly kind: "management";
  getSupportedBootDevices(task: DriverTask): Promise<string[]>;
  getBootDevice(task: DriverTask): Promise<{ boot_device: string | null; persistent: boolean | null }>;
  setBootDevice(task: DriverTask, device: string, persistent: boolean): Promise<void>;
  injectNmi?(task: DriverTask): Promise<void>;
  getIndicators?(task: DriverTask): Promise<IndicatorDef[]>;
  getIndicatorState?(task: DriverTask, component: string, indicator: string): Promise<string>;
  setIndicatorState?(task: DriverTask, component: string, indicator: string, state: string): Promise<void>;
  setBootMode?(task: DriverTask, mode: "uefi" | "bios"): Promise<void>;
  setSecureBoot?(task: DriverTask, enabled: boolean): Promise<void>;
  /** Virtual media (API 1.89 / 1.93). Absent = the driver does not support it. */
  attachVirtualMedia?(task: DriverTask, media: VirtualMedia): Promise<void>;
  /** Ejects the given device types (all when omitted). */
  detachVirtualMedia?(task: DriverTask, deviceTypes?: string[]): Promise<void>;
  getVirtualMedia?(task: DriverTask): Promise<VirtualMedia[]>;
}

/** Virtual media device types Ironic knows (boot_devices.VMEDIA_DEVICES). */
export const VMEDIA_DEVICE_TYPES = ["cdrom", "disk", "floppy"] as const;
export const VMEDIA_DOWNLOAD_SOURCES = ["http", "local", "swift"] as const;

export interface VirtualMedia {
  device_type: string;
  image_url: string;
  image_download_source: string;
}

export interface BootInterface extends BaseInterface {
  readonly kind: "boot";
  /** ramdiskParams: extra agent parameters (e.g. ipa-inspection-callback-url), Ironic's ramdisk_params. */
  prepareRamdisk(task: DriverTask, ramdiskParams?: RamdiskParams): Promise<void>;
  cleanUpRamdisk(task: DriverTask): Promise<void>;
  prepareInstance(task: DriverTask): Promise<void>;
  cleanUpInstance(task: DriverTask): Promise<void>;
  /**
   * For the generic `ramdisk` deploy (generic.ts), which boots the instance through this
   * interface's prepareInstance without writing an image: throws when the node lacks what that
   * needs (e.g. redfish-virtual-media: instance_info/boot_iso). Absent: this boot interface cannot
   * serve a `ramdisk` deploy.
   */
  validateRamdiskDeploy?(task: DriverTask): Promise<void>;
  /**
   * Throws when this interface cannot boot the node into the inspection ramdisk itself (Ironic's
   * validate_inspection); in-band inspection then only points the machine at the network.
   * Absent: it never can.
   */
  validateInspection?(task: DriverTask): Promise<void>;
}

/** Kernel parameters for the agent: name → value (null: the name alone). */
export type RamdiskParams = Record<string, string | null>;

export interface DeployInterface extends BaseInterface {
  readonly kind: "deploy";
  prepare(task: DriverTask): Promise<void>;
  /** Undoes a deployment; the conductor then cleans the node. */
  tearDown(task: DriverTask): Promise<void>;
  cleanUp(task: DriverTask): Promise<void>;
  takeOver(task: DriverTask): Promise<void>;
  /**
   * For clean steps that run in the agent: boots the ramdisk; "wait" = the cleaning waits in
   * `clean wait` until the agent calls back. Absent: the boot interface's prepareRamdisk is used.
   */
  prepareCleaning?(task: DriverTask): Promise<"wait" | void>;
  /** After the agent called back, before the steps run: reads the agent's clean steps. */
  refreshCleanSteps?(task: DriverTask): Promise<void>;
  /** Ends cleaning done with prepareCleaning (the machine off, the ramdisk cleaned up). */
  tearDownCleaning?(task: DriverTask): Promise<void>;
}

/** One BIOS attribute as a machine reports it: value plus registry facts (all optional). */
export interface BiosAttribute {
  name: string;
  value: string | null;
  attribute_type?: string | null;
  allowable_values?: string[] | null;
  lower_bound?: number | null;
  upper_bound?: number | null;
  min_length?: number | null;
  max_length?: number | null;
  read_only?: boolean | null;
  reset_required?: boolean | null;
  unique?: boolean | null;
}

export interface BiosInterface extends BaseInterface {
  readonly kind: "bios";
  /** Sends settings to the machine (already checked against the cached registry by the step). */
  applyConfiguration(task: DriverTask, settings: { name: string; value: unknown }[]): Promise<void>;
  factoryReset(task: DriverTask): Promise<void>;
  /** Reads the machine's settings (with registry) into the node's BiosSetting cache. */
  cacheBiosSettings(task: DriverTask): Promise<void>;
}

export interface RaidInterface extends BaseInterface {
  readonly kind: "raid";
  createConfiguration(task: DriverTask): Promise<void>;
  deleteConfiguration(task: DriverTask): Promise<void>;
}

export interface ConsoleInterface extends BaseInterface {
  readonly kind: "console";
  startConsole(task: DriverTask): Promise<void>;
  stopConsole(task: DriverTask): Promise<void>;
  getConsole(task: DriverTask): Promise<Record<string, unknown>>;
  /**
   * The console Ingot's websockets and console log reach (lib/core/console/sources.ts asks for it):
   * a serial channel or a graphical (RFB) session. Absent when there is none to relay (no-console, fake).
   */
  readonly source?: ConsoleSource;
}

export interface InspectInterface extends BaseInterface {
  readonly kind: "inspect";
  /**
   * Inspects the machine. Resolves with the inventory (Ironic Python Agent format) and plugin
   * data when inspection finished synchronously; the conductor then stores the inventory, creates
   * ports, sets properties and runs the inspection rules (lib/core/inspection/process.ts).
   * Resolves "wait" when the data will arrive later (an agent callback), leaving the node in
   * "inspect wait", and "done" when the inspection finished without reporting anything (Ironic's
   * fake inspect: the node is left as it was). Throws to fail the inspection.
   */
  inspectHardware(task: DriverTask): Promise<InspectionData | "wait" | "done">;
  /** After an agent's data arrived, before it is processed (agent inspection powers the machine off). */
  afterInspection?(task: DriverTask): Promise<void>;
}

export interface RescueInterface extends BaseInterface {
  readonly kind: "rescue";
  rescue(task: DriverTask): Promise<"done" | "wait">;
  unrescue(task: DriverTask): Promise<void>;
  /**
   * The rescue ramdisk's agent called back (node in `rescue wait`): hands it the rescue password;
   * the node is then in `rescue`. Absent: a heartbeat in `rescue wait` is only recorded.
   */
  finishRescue?(task: DriverTask): Promise<void>;
}

export interface VendorMethod {
  httpMethods: string[];
  async: boolean;
  description: string;
  attach: boolean;
  requireExclusiveLock: boolean;
  /** Checks the arguments before the call is accepted (throws Invalid). */
  validateArgs?(task: DriverTask, body: Dict): void;
  run(task: DriverTask, httpMethod: string, body: Dict): Promise<unknown>;
}

export interface VendorInterface extends BaseInterface {
  readonly kind: "vendor";
  readonly methods: Record<string, VendorMethod>;
}

export interface NetworkInterface extends BaseInterface {
  readonly kind: "network";
  vifList(task: DriverTask): Promise<{ id: string }[]>;
  vifAttach(task: DriverTask, vif: { id: string; port_uuid?: string; portgroup_uuid?: string }): Promise<void>;
  vifDetach(task: DriverTask, vifId: string): Promise<void>;
}

/**
 * Storage (reference §10): attaches/detaches the node's volumes around a deployment and says
 * whether the deploy writes the image to the local disk (false = the node boots from a volume).
 * validate() runs before a deployment is accepted. Async because the volume targets live in the
 * database (Ironic preloads them into its task).
 */
export interface StorageInterface extends BaseInterface {
  readonly kind: "storage";
  attachVolumes(task: DriverTask): Promise<void>;
  detachVolumes(task: DriverTask): Promise<void>;
  shouldWriteImage(task: DriverTask): Promise<boolean>;
}

export interface FirmwareInterface extends BaseInterface {
  readonly kind: "firmware";
  update(task: DriverTask, settings: Dict[]): Promise<void>;
}

export interface InterfaceTypes {
  bios: BiosInterface;
  boot: BootInterface;
  console: ConsoleInterface;
  deploy: DeployInterface;
  firmware: FirmwareInterface;
  inspect: InspectInterface;
  management: ManagementInterface;
  network: NetworkInterface;
  power: PowerInterface;
  raid: RaidInterface;
  rescue: RescueInterface;
  storage: StorageInterface;
  vendor: VendorInterface;
}

export type NodeInterfaces = { [K in InterfaceName]: InterfaceTypes[K] };

/** A hardware type: which implementations it supports per kind (first = default). */
export interface HardwareType {
  name: string;
  supported: { [K in InterfaceName]: string[] };
  /** Extra driver properties (name → description) beyond those of its interfaces. */
  properties?: Record<string, string>;
}

/** Raised by optional-interface placeholders (no-bios, no-console, ...). */
export class UnsupportedDriverExtension extends Invalid {
  constructor(driver: string, extension: string) {
    super(`Driver ${driver} does not support ${extension} (disabled or not implemented).`);
  }
}

/**
 * driver_internal_info key: the deploy wrote the instance onto the machine's local disk (the
 * `direct` deploy's write_image). The one fact every boot interface's prepareInstance reads to
 * boot the disk (persistent) instead of a network or virtual-media instance; it goes away with
 * the deployment (tear-down). `writesImage` on a step says something else: skip it when the node
 * boots from a volume.
 */
export const INSTANCE_ON_LOCAL_DISK_KEY = "instance_on_local_disk";

export function instanceOnLocalDisk(node: NodeRecord): boolean {
  return node.driverInternalInfo[INSTANCE_ON_LOCAL_DISK_KEY] === true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
