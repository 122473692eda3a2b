// What the API (and the dashboard) may ask of a conductor. Today it runs in the same process;
// the scale-out work puts a JSON-over-HTTP RPC behind the same interface, so every argument and
// result here must stay plain JSON-able data.
import type { PowerTarget, Verb } from "../states.ts";

/** Who asked, for node history and automatic lessee. */
export interface Actor {
  user: string | null;
  project: string | null;
  requestId?: string;
}

export interface StepRequest {
  interface: string;
  step: string;
  args?: Record<string, unknown>;
  priority?: number;
  order?: number;
}

export interface ProvisionParams {
  configdrive?: unknown;
  clean_steps?: StepRequest[];
  deploy_steps?: StepRequest[];
  service_steps?: StepRequest[];
  rescue_password?: string;
  disable_ramdisk?: boolean;
  runbook?: string;
}

export interface ValidationResult {
  result: boolean | null;
  reason?: string;
}

export interface BootDevice {
  boot_device: string | null;
  persistent: boolean | null;
}

export interface ConsoleInfo {
  console_enabled: boolean;
  console_info: Record<string, unknown> | null;
}

export interface VirtualMediaRequest {
  device_type: string;
  image_url: string;
  image_download_source: string;
}

export interface Indicator {
  name: string;
  component: string;
  readonly: boolean;
  states: string[];
}

/**
 * Every method takes the node's internal id. Methods that start work return once the work is
 * accepted (the API then answers 202); validation problems and lock conflicts are thrown as
 * IronicError before anything changes.
 */
export interface ConductorApi {
  readonly hostname: string;

  provision(nodeId: number, verb: Verb, params: ProvisionParams, actor: Actor, minor: number): Promise<void>;
  /** Ends an asynchronous step (node in clean wait / wait call-back / service wait) and runs the rest. */
  continueSteps(nodeId: number, actor: Actor): Promise<void>;
  /** Inspection data from a ramdisk for a node in "inspect wait" (POST /v1/continue_inspection). */
  continueInspection(nodeId: number, data: { inventory: Record<string, unknown> & { interfaces: unknown[] }; pluginData: Record<string, unknown> }, actor: Actor): Promise<void>;
  setPowerState(nodeId: number, target: PowerTarget, timeoutSeconds: number | undefined, actor: Actor): Promise<void>;
  setBootMode(nodeId: number, mode: "uefi" | "bios", actor: Actor): Promise<void>;
  setSecureBoot(nodeId: number, enabled: boolean, actor: Actor): Promise<void>;
  setConsoleMode(nodeId: number, enabled: boolean, actor: Actor): Promise<void>;
  getConsole(nodeId: number): Promise<ConsoleInfo>;
  /** The last `bytes` (null: all kept) of the node's console log, base64 (the log lives with the conductor). */
  readConsoleLog(nodeId: number, bytes: number | null): Promise<string>;
  setMaintenance(nodeId: number, on: boolean, reason: string | null, actor: Actor): Promise<void>;

  getBootDevice(nodeId: number): Promise<BootDevice>;
  setBootDevice(nodeId: number, device: string, persistent: boolean, actor: Actor): Promise<void>;
  getSupportedBootDevices(nodeId: number): Promise<string[]>;
  injectNmi(nodeId: number, actor: Actor): Promise<void>;
  getIndicators(nodeId: number): Promise<Indicator[]>;
  getIndicatorState(nodeId: number, component: string, indicator: string): Promise<string>;
  setIndicatorState(nodeId: number, component: string, indicator: string, state: string, actor: Actor): Promise<void>;

  validate(nodeId: number): Promise<Record<string, ValidationResult>>;

  vifList(nodeId: number): Promise<{ id: string }[]>;
  vifAttach(nodeId: number, vif: { id: string; port_uuid?: string; portgroup_uuid?: string }, actor: Actor): Promise<void>;
  vifDetach(nodeId: number, vifId: string, actor: Actor): Promise<void>;

  /** Virtual media (1.89 attach/detach, 1.93 get); the management interface does the work. */
  vmediaAttach(nodeId: number, media: VirtualMediaRequest, actor: Actor): Promise<void>;
  /** Ejects the given device types, or all when null. */
  vmediaDetach(nodeId: number, deviceTypes: string[] | null, actor: Actor): Promise<void>;
  vmediaGet(nodeId: number): Promise<VirtualMediaRequest[]>;

  /** Deletes the node (state rules, lock, console stop); throws on refusal. */
  destroyNode(nodeId: number, actor: Actor): Promise<void>;

  vendorPassthru(nodeId: number, method: string, httpMethod: string, body: unknown, actor: Actor): Promise<{ async: boolean; result: unknown }>;
  vendorPassthruMethods(nodeId: number): Promise<Record<string, unknown>>;
}
