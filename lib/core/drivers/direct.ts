// The `direct` deploy (Ironic's AgentDeploy): the node's boot interface boots the deploy ramdisk,
// whose Ironic Python Agent looks the node up and heartbeats; the conductor then drives it over
// its command API (lib/core/agent/client.ts) to write a whole-disk image, and boots the machine
// from its disk. Cleaning runs the agent's clean steps the same way. One implementation for every
// hardware type with a power and a boot interface: it only uses the node's own interfaces.
import { AgentClient, AgentCommandFailed, EXECUTE_STEP, PREPARE_IMAGE, type AgentClientOptions } from "../agent/client.ts";
import { agentCalledBack, withoutAgentBootInfo } from "../agent/internal_info.ts";
import { agentNodeDict, agentPortDicts } from "../agent/node_dict.ts";
import { config } from "../config.ts";
import type { Dict, NodeRecord } from "../db/nodes.ts";
import { DriverError, Invalid } from "../errors.ts";
import { linkAgentImage, unlinkAgentImage } from "../netboot/http_root.ts";
import { cachedImage, imageCache, parseChecksum } from "../netboot/image_cache.ts";
import { BOOT_PATH } from "../netboot/ipxe_script.ts";
import { netbootSettings } from "../netboot/settings.ts";
import { HASH_ALGORITHMS, hashValueProblem, IMAGE_DOWNLOAD_SOURCES, isHashAlgorithm, parseImageChecksum } from "../../shared/image_checksum.ts";
import type { StepKind } from "../../shared/steps.ts";
import type { DeployInterface, DriverTask, StepDecl } from "./base.ts";
import { INSTANCE_ON_LOCAL_DISK_KEY, recordPowerChange, sleep } from "./base.ts";
// The catalog, not registry.ts: the registry imports the driver modules, which import this file.
import { interfacesFor } from "./catalog.ts";
import { setMachinePower } from "./machine_power.ts";

// ---- the agent and the machine ----

function clientOptions(): Partial<AgentClientOptions> {
  const c = config();
  return {
    callTimeoutMs: c.agentCommandTimeoutSeconds * 1000,
    maxAttempts: c.agentMaxCommandAttempts,
    retryDelayMs: Math.min(2000, c.agentCommandWaitIntervalSeconds * 1000),
  };
}

/** A client for the agent that called back for this node. */
export function agentClient(node: NodeRecord): AgentClient {
  return AgentClient.forNode(node, clientOptions());
}

/** Boots the deploy ramdisk: the boot interface prepares it, the machine (re)starts. */
export async function bootRamdisk(task: DriverTask, why: string): Promise<void> {
  await task.update({ driverInternalInfo: withoutAgentBootInfo(task.node.driverInternalInfo) });
  await interfacesFor(task.node).boot.prepareRamdisk(task);
  const power = await interfacesFor(task.node).power.getPowerState(task);
  await setMachinePower(task, power === "power on" ? "rebooting" : "power on", why);
}

/**
 * Powers the machine off, by the agent when it is there (it syncs its disks first), else (or if
 * the machine stays on) through the power interface, as Ironic's tear_down_agent does.
 */
export async function powerOffThroughAgent(task: DriverTask, note: string): Promise<void> {
  const power = interfacesFor(task.node).power;
  if (agentCalledBack(task.node.driverInternalInfo)) {
    const client = agentClient(task.node);
    try {
      await client.sync();
      await client.powerOff();
      const waitMs = config().agentPowerOffWaitSeconds * 1000;
      const step = Math.max(100, waitMs / 6);
      for (let waited = 0; waited <= waitMs; waited += step) {
        if ((await power.getPowerState(task)) === "power off") {
          await task.update({ driverInternalInfo: withoutAgentBootInfo(task.node.driverInternalInfo) });
          await recordPowerChange(task, "power off", `${note} (by the agent)`);
          return;
        }
        await sleep(step);
      }
      await task.history?.({ kind: "note", message: `${note}: the agent's power off did not take within ${waitMs / 1000} s; powering off through the power interface` }, "transition", "WARNING");
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      await task.history?.({ kind: "note", message: `${note}: the agent could not power the machine off (${why}); powering off through the power interface` }, "transition", "WARNING");
    }
  }
  await setMachinePower(task, "power off", note);
}

// ---- the image ----

const DISK_FORMATS = ["raw", "qcow2"];
/** http: the agent downloads image_source itself; local: Ingot caches it and serves it at /boot/. */
const DOWNLOAD_SOURCES: readonly string[] = IMAGE_DOWNLOAD_SOURCES;

function str(v: unknown): string | null {
  return typeof v === "string" && v.trim() !== "" ? v.trim() : null;
}

/** Whether instance_info describes a partition image (kernel and ramdisk of its own). */
function isPartitionImage(info: Dict): boolean {
  return info.image_type === "partition" || str(info.kernel) !== null || str(info.ramdisk) !== null;
}

/**
 * The image_info for the agent's standby.prepare_image, from instance_info (Ironic's
 * build_instance_info_for_deploy for http images); Invalid naming every problem.
 */
export function imageInfoFor(node: NodeRecord): Dict {
  const info = node.instanceInfo ?? {};
  const source = str(info.image_source);
  const prefix = `Node ${node.uuid} cannot be deployed by the direct deploy interface`;
  if (!source) throw new Invalid(`${prefix}: instance_info/image_source (the http(s) URL of a whole-disk image) is missing.`);
  if (!/^https?:\/\//i.test(source)) {
    throw new Invalid(`${prefix}: instance_info/image_source must be an http(s) URL of a whole-disk image (Glance images are not supported): ${source}`);
  }
  if (isPartitionImage(info)) {
    throw new Invalid(`${prefix}: partition images (instance_info/kernel, ramdisk or image_type "partition") are not supported; give a whole-disk image.`);
  }
  const diskFormat = str(info.image_disk_format);
  if (diskFormat !== null && !DISK_FORMATS.includes(diskFormat)) {
    throw new Invalid(`${prefix}: instance_info/image_disk_format must be one of ${DISK_FORMATS.join(", ")}, not ${diskFormat}.`);
  }
  const downloadSource = imageDownloadSource(node);
  if (!DOWNLOAD_SOURCES.includes(downloadSource)) {
    throw new Invalid(`${prefix}: image_download_source "${downloadSource}" is not supported; use "http" (the agent downloads the image from its URL) or "local" (Ingot caches it and serves it to the agent).`);
  }
  if (downloadSource === "local" && !netbootSettings().provisioningUrl) {
    throw new Invalid(`${prefix}: image_download_source "local" needs INGOT_PROVISIONING_URL, the address the machines reach Ingot at.`);
  }
  const out: Dict = {
    id: source.split("/").filter(Boolean).pop() ?? source,
    urls: [source],
    container_format: "bare",
    stream_raw_images: true,
    image_type: "whole-disk",
    node_uuid: node.uuid,
  };
  if (diskFormat) out.disk_format = diskFormat;
  Object.assign(out, agentChecksum(info, prefix));
  const hints = node.properties?.root_device;
  if (hints !== undefined && (hints === null || typeof hints !== "object" || Array.isArray(hints))) {
    throw new Invalid(`${prefix}: properties/root_device must be an object of root device hints.`);
  }
  return out;
}

/**
 * The checksum fields of the agent's image_info from instance_info (lib/shared/image_checksum.ts):
 * image_os_hash_algo/value win over image_checksum, as in Ironic. The agent verifies md5 and a
 * checksum file's URL through `checksum`, any other algorithm through os_hash_algo/os_hash_value.
 */
function agentChecksum(info: Dict, prefix: string): Dict {
  const algo = str(info.image_os_hash_algo);
  const value = str(info.image_os_hash_value);
  if (algo || value) {
    if (!algo || !value) throw new Invalid(`${prefix}: instance_info/image_os_hash_algo and image_os_hash_value must be given together.`);
    if (!isHashAlgorithm(algo)) throw new Invalid(`${prefix}: instance_info/image_os_hash_algo must be one of ${HASH_ALGORITHMS.join(", ")}, not ${algo}.`);
    const problem = hashValueProblem(algo, value);
    if (problem) throw new Invalid(`${prefix}: instance_info/image_os_hash_value: ${problem}`);
    return { os_hash_algo: algo, os_hash_value: value.toLowerCase() };
  }
  const checksum = str(info.image_checksum);
  if (!checksum) {
    throw new Invalid(`${prefix}: an image checksum is required: set instance_info/image_checksum, or image_os_hash_algo and image_os_hash_value.`);
  }
  const parsed = parseImageChecksum(checksum);
  if ("error" in parsed) throw new Invalid(`${prefix}: instance_info/image_checksum: ${parsed.error}`);
  if (parsed.kind === "url") return { checksum: parsed.url };
  if (parsed.algorithm === "md5") return { checksum: parsed.hex };
  return { os_hash_algo: parsed.algorithm, os_hash_value: parsed.hex };
}

/** instance_info, then driver_info, then the setting (Ironic's order). */
function imageDownloadSource(node: NodeRecord): string {
  return str(node.instanceInfo?.image_download_source) ?? str(node.driverInfo?.image_download_source) ?? config().imageDownloadSource;
}

/** The checksum the image cache verifies while downloading ("algo:hex"), or null when it cannot (a checksum file's URL). */
function cacheChecksum(imageInfo: Dict): string | null {
  const given = typeof imageInfo.os_hash_algo === "string" ? `${imageInfo.os_hash_algo}:${String(imageInfo.os_hash_value)}` : String(imageInfo.checksum ?? "");
  try {
    parseChecksum(given);
    return given;
  } catch {
    return null;
  }
}

/**
 * image_download_source=local: Ingot downloads the image once into its image cache (checksum
 * verified) and the agent fetches it from Ingot's /boot/ while write_image runs. Returns the
 * image_info with Ingot's URL; http leaves it as it is.
 */
async function imageInfoForAgent(node: NodeRecord, imageInfo: Dict): Promise<Dict> {
  if (imageDownloadSource(node) !== "local") return imageInfo;
  const s = netbootSettings();
  const cached = await cachedImage(imageCache(), (imageInfo.urls as string[])[0], cacheChecksum(imageInfo));
  const path = await linkAgentImage(s.httpRoot, node.uuid, cached);
  return { ...imageInfo, urls: [`${s.provisioningUrl}${BOOT_PATH}/${path}`] };
}

// ---- steps that run in the agent ----

interface AgentStep {
  step: string;
  interface: string;
  priority: number;
  abortable?: boolean;
  argsinfo?: Dict | null;
  reboot_requested?: boolean;
}

/** The automated-cleaning priority the operator set for an agent step (Ironic's [deploy] options). */
function configuredCleanPriority(step: string): number | null {
  if (step === "erase_devices") return config().eraseDevicesPriority;
  if (step === "erase_devices_metadata") return config().eraseDevicesMetadataPriority;
  return null;
}

/**
 * A step executed by the agent (clean.execute_clean_step / deploy.execute_deploy_step): started,
 * then the node waits (clean wait / wait call-back / service wait, unlocked: abortable steps can be
 * aborted) until a heartbeat finds the command ended, as Ironic's agent steps do.
 */
function agentStepDecl(kind: "clean" | "deploy", s: AgentStep, description: string): StepDecl {
  const priority = kind === "clean" ? (configuredCleanPriority(s.step) ?? s.priority) : s.priority;
  return {
    step: s.step,
    description,
    priorities: { [kind]: priority },
    abortable: s.abortable ?? false,
    argsinfo: (s.argsinfo as StepDecl["argsinfo"]) ?? null,
    requiresRamdisk: true,
    async run(task, args) {
      const client = agentClient(task.node);
      const node = agentNodeDict(task.node);
      const ports = await agentPortDicts(task.sql, task.node.id);
      const step = { step: s.step, interface: s.interface, priority: priority, reboot_requested: s.reboot_requested ?? false, abortable: s.abortable ?? false, args };
      const version = (task.node.driverInternalInfo.hardware_manager_version as Dict | undefined) ?? null;
      if (kind === "clean") await client.startCleanStep(step, node, ports, version);
      else await client.startDeployStep(step, node, ports, version);
      return "wait";
    },
    onCallback: async (task) => ((await agentClient(task.node).commandResult(EXECUTE_STEP[kind])) ? undefined : "wait"),
  };
}

/**
 * The clean steps of IPA's GenericHardwareManager on the deploy interface (IPA Zed, its
 * priorities): offered before the agent has told its own list, so that automated cleaning knows
 * it needs the ramdisk and manual cleaning can name them; the agent's list replaces them.
 */
const DEFAULT_AGENT_CLEAN_STEPS: AgentStep[] = [
  { step: "erase_devices_metadata", interface: "deploy", priority: 99, abortable: true },
  { step: "erase_devices", interface: "deploy", priority: 10, abortable: true },
  ...["erase_devices_express", "erase_pstore", "burnin_cpu", "burnin_disk", "burnin_memory", "burnin_network"]
    .map((step) => ({ step, interface: "deploy", priority: 0, abortable: true })),
];

/** The steps the agent reported (driver_internal_info.agent_cached_<kind>_steps) on the deploy interface. */
function cachedAgentSteps(node: NodeRecord, kind: "clean" | "deploy"): AgentStep[] {
  const cached = node.driverInternalInfo[`agent_cached_${kind}_steps`];
  if (!Array.isArray(cached)) return [];
  return (cached as AgentStep[]).filter((s) => s && s.interface === "deploy" && typeof s.step === "string" && typeof s.priority === "number");
}

/** IPA answers steps grouped by hardware manager; Ironic keeps one list. */
function flattenAgentSteps(bySource: unknown): AgentStep[] {
  if (!bySource || typeof bySource !== "object") return [];
  return Object.values(bySource as Record<string, AgentStep[]>).flat().filter((s) => s && typeof s.step === "string");
}

/** Asks the agent for its steps of `kind`; caches them and the hardware manager versions. */
async function refreshAgentSteps(task: DriverTask, kind: "clean" | "deploy"): Promise<void> {
  const client = agentClient(task.node);
  const node = agentNodeDict(task.node);
  const ports = await agentPortDicts(task.sql, task.node.id);
  const answer = kind === "clean" ? await client.getCleanSteps(node, ports) : await client.getDeploySteps(node, ports);
  const steps = flattenAgentSteps(answer[`${kind}_steps`]);
  await task.update({
    driverInternalInfo: {
      ...task.node.driverInternalInfo,
      [`agent_cached_${kind}_steps`]: steps,
      hardware_manager_version: answer.hardware_manager_version ?? null,
    },
  });
}

// ---- the deploy steps (Ironic's AgentDeploy priorities) ----

function conductorStep(step: string, priority: number, description: string, run: StepDecl["run"], writesImage = false): StepDecl {
  return { step, description, priorities: { deploy: priority }, requiresRamdisk: false, writesImage, run };
}

const DEPLOY_STEPS: StepDecl[] = [
  conductorStep("deploy", 100, "Boots the deploy ramdisk and waits for its agent to call back", async (task) => {
    await bootRamdisk(task, "deploy: booting the deploy ramdisk");
    return "wait";
  }),
  {
    ...conductorStep("write_image", 80, "The agent downloads the image, checks its checksum and writes it to the root disk", async (task) => {
      const imageInfo = await imageInfoForAgent(task.node, imageInfoFor(task.node));
      try {
        // get_deploy_steps also makes the agent cache the node, with its root device hints.
        await refreshAgentSteps(task, "deploy");
        await agentClient(task.node).startPrepareImage(imageInfo);
      } catch (err) {
        await unlinkAgentImage(netbootSettings().httpRoot, task.node.uuid);
        throw err;
      }
      return "wait";
    }, true),
    async onCallback(task) {
      let written: boolean;
      try {
        written = (await agentClient(task.node).commandResult(PREPARE_IMAGE)) !== null;
      } catch (err) {
        await unlinkAgentImage(netbootSettings().httpRoot, task.node.uuid);
        // The agent's text alone may not name the image (IPA passes requests' connection errors on as they are).
        if (err instanceof AgentCommandFailed) throw new DriverError(`The agent could not download and write image ${String(task.node.instanceInfo.image_source)}: ${err.message}`);
        throw err;
      }
      if (!written) return "wait";
      // Served only while the agent writes it.
      await unlinkAgentImage(netbootSettings().httpRoot, task.node.uuid);
      await task.update({ driverInternalInfo: { ...task.node.driverInternalInfo, [INSTANCE_ON_LOCAL_DISK_KEY]: true } });
    },
  },
  conductorStep("prepare_instance_boot", 60, "Makes the machine boot the written image from its disk (the boot interface)", async (task) => {
    // The deploy ramdisk is done with (ipxe: its script and DHCP host entries go; virtual media: ejected).
    const boot = interfacesFor(task.node).boot;
    await boot.cleanUpRamdisk(task);
    await boot.prepareInstance(task);
  }, true),
  conductorStep("tear_down_agent", 40, "Powers the machine off through the agent (else through the power interface)", async (task) => {
    await powerOffThroughAgent(task, "deploy: agent torn down");
  }),
  conductorStep("switch_to_tenant_network", 30, "Moves the machine to the tenant network (nothing to do with flat/noop networks)", async () => undefined),
  conductorStep("boot_instance", 20, "Powers the machine on into the deployed image", async (task) => {
    await setMachinePower(task, "power on", "deploy: booting the instance");
  }),
];

function deployStepNames(): Set<string> {
  return new Set(DEPLOY_STEPS.map((d) => d.step));
}

function agentSteps(node: NodeRecord, kind: StepKind): StepDecl[] {
  if (kind === "service") return [];
  const conductorOwned = kind === "deploy" ? deployStepNames() : new Set<string>();
  return cachedAgentSteps(node, kind)
    .filter((s) => !conductorOwned.has(s.step))
    .map((s) => agentStepDecl(kind, s, `Runs in the agent (reported by the agent on node ${node.uuid})`));
}

export const directDeploy: DeployInterface = {
  kind: "deploy", name: "direct",
  properties: {
    image_download_source: 'How the agent gets the image: "http" (from instance_info/image_source itself) or "local" (Ingot downloads it once into its image cache and serves it at /boot/; needs INGOT_PROVISIONING_URL). Optional; instance_info/image_download_source wins; default INGOT_IMAGE_DOWNLOAD_SOURCE ("http").',
  },
  get steps(): StepDecl[] {
    return [...DEPLOY_STEPS, ...DEFAULT_AGENT_CLEAN_STEPS.map((s) => agentStepDecl("clean", s, "Runs in the agent"))];
  },
  nodeSteps(node) {
    return [...agentSteps(node, "clean"), ...agentSteps(node, "deploy")];
  },
  async validate(task) {
    await interfacesFor(task.node).boot.validate(task);
    imageInfoFor(task.node);
  },
  async prepare(task) {
    imageInfoFor(task.node);
    if ((await interfacesFor(task.node).power.getPowerState(task)) !== "power off") {
      await setMachinePower(task, "power off", "deploy: preparing");
    }
  },
  async tearDown(task) {
    await setMachinePower(task, "power off", "tear down");
  },
  async cleanUp(task) {
    await unlinkAgentImage(netbootSettings().httpRoot, task.node.uuid);
    await interfacesFor(task.node).boot.cleanUpRamdisk(task);
  },
  takeOver: async () => undefined,
  async prepareCleaning(task) {
    await bootRamdisk(task, "cleaning: booting the ramdisk");
    return "wait";
  },
  async refreshCleanSteps(task) {
    await refreshAgentSteps(task, "clean");
  },
  async tearDownCleaning(task) {
    await powerOffThroughAgent(task, "cleaning finished");
    await interfacesFor(task.node).boot.cleanUpRamdisk(task);
  },
};
