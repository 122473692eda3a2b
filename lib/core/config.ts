// Conductor settings, read from the environment once. Tests may override with setConfig().
import { hostname } from "node:os";

export interface IngotConfig {
  conductorHostname: string;
  conductorGroup: string;
  /** Size of the conductor's worker pool (concurrent async operations). */
  workers: number;
  heartbeatIntervalSeconds: number;
  /** A conductor whose heartbeat is older than this is considered dead. */
  heartbeatTimeoutSeconds: number;
  powerSyncIntervalSeconds: number;
  /** Consecutive failed power reads before the node goes into maintenance (fault "power failure"). */
  powerSyncMaxRetries: number;
  /** Power reads in flight at once during power sync (Ironic: sync_power_state_workers). */
  powerSyncWorkers: number;
  /** Timeout for every *wait state (deploy/clean/inspect/rescue/service). */
  callbackTimeoutSeconds: number;
  /** How often the callback-timeout and orphan checks run. */
  provisionCheckIntervalSeconds: number;
  enabledHardwareTypes: string[];
  automatedClean: boolean;
  /** "interface.step" → priority for automated cleaning (Ironic's clean_step_priority_override). */
  cleanStepPriorityOverride: Record<string, number>;
  /** Upper bound for the reserved `wait` step. */
  maxWaitStepSeconds: number;
  /** How long the hash ring is cached. */
  hashRingTtlSeconds: number;
  /** Per HTTP call to a node's agent (Ironic's [agent]command_timeout). */
  agentCommandTimeoutSeconds: number;
  /** Attempts of one agent call while the agent cannot be reached ([agent]max_command_attempts). */
  agentMaxCommandAttempts: number;
  /** Between polls of a running agent command ([agent]command_wait_interval). */
  agentCommandWaitIntervalSeconds: number;
  /** How long to wait for the agent's own power off before a hard one (Ironic: 6 × 5 s). */
  agentPowerOffWaitSeconds: number;
  /** Automated-cleaning priority of the agent's erase_devices (null: the agent's, 10). */
  eraseDevicesPriority: number | null;
  /** Automated-cleaning priority of the agent's erase_devices_metadata (null: the agent's, 99). */
  eraseDevicesMetadataPriority: number | null;
  /** Default image_download_source of the direct deploy ([agent]image_download_source). */
  imageDownloadSource: string;
}

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

function envOptionalInt(name: string): number | null {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return null;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

function envBool(name: string, fallback: boolean): boolean {
  const raw = process.env[name]?.trim().toLowerCase();
  if (!raw) return fallback;
  return ["1", "true", "yes", "on"].includes(raw);
}

function envList(name: string, fallback: string[]): string[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  return raw.split(",").map((s) => s.trim()).filter(Boolean);
}

/** "bios.factory_reset:30,raid.delete_configuration:20" → {"bios.factory_reset": 30, ...}. */
function envPriorityMap(name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of envList(name, [])) {
    const m = /^([a-z_]+\.[A-Za-z0-9_]+):(\d+)$/.exec(item);
    if (!m) throw new Error(`${name}: "${item}" is not interface.step:priority`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}

export function loadConfig(): IngotConfig {
  return {
    conductorHostname: process.env.INGOT_CONDUCTOR_HOSTNAME?.trim() || hostname(),
    conductorGroup: (process.env.INGOT_CONDUCTOR_GROUP ?? "").trim().toLowerCase(),
    workers: Math.max(1, envInt("INGOT_WORKERS", 100)),
    heartbeatIntervalSeconds: envInt("INGOT_HEARTBEAT_INTERVAL", 10),
    heartbeatTimeoutSeconds: envInt("INGOT_HEARTBEAT_TIMEOUT", 60),
    powerSyncIntervalSeconds: envInt("INGOT_POWER_SYNC_INTERVAL", 60),
    powerSyncMaxRetries: envInt("INGOT_POWER_SYNC_MAX_RETRIES", 3),
    powerSyncWorkers: Math.max(1, envInt("INGOT_POWER_SYNC_WORKERS", 8)),
    callbackTimeoutSeconds: envInt("INGOT_CALLBACK_TIMEOUT", 1800),
    provisionCheckIntervalSeconds: envInt("INGOT_PROVISION_CHECK_INTERVAL", 60),
    // Ironic enables ipmi and redfish by default; Ingot adds its fake and simulated types.
    enabledHardwareTypes: envList("INGOT_ENABLED_HARDWARE_TYPES", ["fake-hardware", "ipmi", "redfish", "sim"]),
    automatedClean: envBool("INGOT_AUTOMATED_CLEAN", true),
    cleanStepPriorityOverride: envPriorityMap("INGOT_CLEAN_STEP_PRIORITY_OVERRIDE"),
    maxWaitStepSeconds: envInt("INGOT_MAX_WAIT_STEP_SECONDS", 30),
    hashRingTtlSeconds: envInt("INGOT_HASH_RING_TTL", 15),
    agentCommandTimeoutSeconds: envInt("INGOT_AGENT_COMMAND_TIMEOUT", 60),
    agentMaxCommandAttempts: Math.max(1, envInt("INGOT_AGENT_MAX_COMMAND_ATTEMPTS", 3)),
    agentCommandWaitIntervalSeconds: envInt("INGOT_AGENT_COMMAND_WAIT_INTERVAL", 6),
    agentPowerOffWaitSeconds: envInt("INGOT_AGENT_POWER_OFF_WAIT", 30),
    eraseDevicesPriority: envOptionalInt("INGOT_ERASE_DEVICES_PRIORITY"),
    eraseDevicesMetadataPriority: envOptionalInt("INGOT_ERASE_DEVICES_METADATA_PRIORITY"),
    imageDownloadSource: process.env.INGOT_IMAGE_DOWNLOAD_SOURCE?.trim() || "http",
  };
}

let current: IngotConfig | null = null;

export function config(): IngotConfig {
  if (!current) current = loadConfig();
  return current;
}

/** Overrides settings (tests); pass nothing to re-read the environment on next use. */
export function setConfig(overrides?: Partial<IngotConfig>): IngotConfig {
  current = overrides ? { ...(current ?? loadConfig()), ...overrides } : null;
  return config();
}
