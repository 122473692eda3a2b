// How long things take on a simulated server. Every duration is "realistic seconds" multiplied by
// the process-wide speed (INGOT_SIM_SPEED: 1 = real time, 0.01 = a hundred times faster, 0 = as
// fast as possible) and by the node's own slowness (driver_info.sim_slow).

/** Realistic durations in seconds at speed 1. */
export const PHASE_SECONDS = {
  /** A BMC answering one request (power state, boot device, ...); power sync asks each node in turn. */
  bmcCall: 0.05,
  /** How long a request to a BMC that does not answer waits before timing out. */
  bmcTimeout: 20,
  /** Hard power off / reset taking effect. */
  powerOff: 1,
  /** Firmware POST up to the boot device selection (memory training, option ROMs). */
  post: 25,
  /** Extra POST time when the BIOS MemTest setting is Enabled. */
  memTest: 12,
  /** Applying pending BIOS settings during POST. */
  biosApply: 4,
  /** DHCP, NBP download and iPXE start for a network boot. */
  pxe: 6,
  /** A PXE attempt that gets no answer (nothing to boot from the network). */
  pxeTimeout: 8,
  /** Downloading the deploy kernel and ramdisk. */
  ramdiskDownload: 5,
  /** Deploy/rescue ramdisk kernel boot up to the agent's first heartbeat. */
  agentBoot: 16,
  /** Between two heartbeats of a running deploy agent. */
  agentHeartbeat: 5,
  /** An agent command without real work (bookkeeping steps). */
  agentCommand: 1,
  /** Writing the instance image to the root disk (progress is reported along the way). */
  imageWrite: 40,
  /** Wiping partition tables and filesystem signatures. */
  eraseMetadata: 3,
  /** Overwriting every disk (shred); per disk. */
  eraseDevices: 90,
  /** Installing the boot loader / setting up the boot entry. */
  bootloader: 3,
  /** Boot loader menu and kernel load. */
  grub: 3,
  /** OS kernel boot up to the login prompt. */
  osBoot: 14,
  /** An orderly OS shutdown (soft power off / soft reboot). */
  softShutdown: 5,
  /** Out-of-band hardware inspection through the BMC. */
  inspect: 4,
  /** A RAID controller creating or deleting volumes. */
  raid: 6,
} as const;

export type Phase = keyof typeof PHASE_SECONDS;

let speedOverride: number | undefined;

function envSpeed(): number {
  const raw = process.env.INGOT_SIM_SPEED;
  if (raw === undefined || raw.trim() === "") return 1;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 1;
}

/** The process-wide speed factor (INGOT_SIM_SPEED, default 1). */
export function simSpeed(): number {
  return speedOverride ?? envSpeed();
}

/** Overrides the speed factor (tests); undefined re-reads INGOT_SIM_SPEED. */
export function setSimSpeed(speed: number | undefined): void {
  speedOverride = speed;
}

/** Milliseconds a phase lasts for a machine with slowness `slow` (driver_info.sim_slow). */
export function phaseMs(phase: Phase, slow = 1, fraction = 1): number {
  return Math.max(0, PHASE_SECONDS[phase] * 1000 * simSpeed() * slow * fraction);
}
