// The simulated server behind a `sim` node: a BMC (power, boot device, boot mode, BIOS,
// indicators) and the machine itself, which POSTs, netboots the deploy/rescue agent or boots its
// installed OS, printing what a real one prints to its serial port and text screen. Durations
// come from timing.ts (INGOT_SIM_SPEED × driver_info.sim_slow).
//
// Machines live in the server process: getSimMachine(node) creates one lazily per node uuid
// (deterministic from the uuid, resumed from the node's stored power/provision state) and
// refreshes its settings from the node; node deletion disposes it.
import type { Dict } from "../db/nodes.ts";
import { liveEvents } from "../events.ts";
import type { InspectionData } from "../inspection/inventory.ts";
import { AGENT_WAIT_STATES, inStates, ProvisionState as S, type ProvisionState } from "../states.ts";
import { SimBios, type SimBiosChange } from "./bios.ts";
import { formatBytes, simHardware, simInventory, type SimHardware } from "./hardware.ts";
import { SerialPort } from "./serial.ts";
import { ShellConsole, type ShellAccount, type ShellHost } from "./shell.ts";
import { TextScreen } from "./textscreen.ts";
import { type Phase, phaseMs, simSpeed } from "./timing.ts";

export type SimPowerState = "power on" | "power off";
export type MachinePhase =
  /** powered off */
  | "off"
  /** firmware power-on self test */
  | "post"
  /** firmware setup screen (boot device "bios") */
  | "setup"
  /** PXE / HTTP boot and ramdisk download */
  | "netboot"
  /** the deploy or rescue agent is running */
  | "agent"
  /** boot loader and OS kernel starting */
  | "loader"
  /** the installed OS is up (login prompt) */
  | "os"
  /** nothing bootable was found */
  | "halted"
  /** an orderly OS shutdown */
  | "shutdown";

export const BOOT_DEVICES = ["pxe", "disk", "cdrom", "bios", "uefihttp"] as const;
export type SimBootDevice = (typeof BOOT_DEVICES)[number];
export type NetbootTarget = "agent" | "rescue" | "volume";

/** A SAN volume the machine can boot from over iSCSI (boot from volume; iPXE `sanboot`). */
export interface SanVolume {
  volumeId: string;
  /** iSCSI target IQN, portal and LUN (from the volume target's properties, else derived). */
  targetIqn: string;
  portal: string;
  lun: number;
  os: InstalledOs;
}

export interface InstalledOs {
  id: string;
  name: string;
  prettyName: string;
  versionId: string;
  kernel: string;
  image: string;
}

/** Failure injection, from the node's driver_info (see lib/core/drivers/README.md). */
export interface SimFaults {
  /** "<interface>.<step or operation>" names that fail (sim_fail_step). */
  failSteps: string[];
  /** The BMC does not answer (sim_bmc_down): power/management calls time out. */
  bmcDown: boolean;
  /** Multiplier of every duration for this machine (sim_slow). */
  slow: number;
}

/** What the machine needs to know about its node (a NodeRecord fits). */
export interface SimNodeView {
  uuid: string;
  name?: string | null;
  driverInfo?: Dict | null;
  instanceInfo?: Dict | null;
  powerState?: string | null;
  provisionState?: string;
  bootMode?: string | null;
  secureBoot?: boolean | null;
  /** Not "noop": the instance boots from a SAN volume (boot from volume), not the local disk. */
  storageInterface?: string | null;
  /** Where the sim driver keeps the machine's record (SIM_MACHINE_KEY) for a later restore. */
  driverInternalInfo?: Dict | null;
}

/**
 * driver_internal_info key: what the simulated server is doing, as the sim driver last recorded it
 * (SimMachine.record()). The real server outlives the process simulating it; a conductor that
 * recreates the machine (take-over, restart) restores it from this mid-operation, where the
 * provision state alone cannot tell (e.g. in "deploying": is the agent running, is the image
 * written?).
 */
export const SIM_MACHINE_KEY = "sim_machine";

export interface SimMachineRecord {
  /** The deploy agent runs (or is booting): netboot serves it. */
  agent: boolean;
  /** The image on the root disk (its instance_info.image_source), null when blank or wiped. */
  disk: string | null;
}

function recordOf(node: SimNodeView): SimMachineRecord | null {
  const r = node.driverInternalInfo?.[SIM_MACHINE_KEY];
  if (!r || typeof r !== "object" || Array.isArray(r)) return null;
  const rec = r as Dict;
  return { agent: rec.agent === true, disk: typeof rec.disk === "string" && rec.disk ? rec.disk : null };
}

/**
 * What the deploy agent does when it heartbeats: it reaches the Bare Metal API, which hands the
 * heartbeat to the node's conductor (set by the conductor through the sim driver module's
 * connectConductor; see lib/core/conductor/agent_heartbeat.ts).
 */
export type AgentHeartbeat = (machine: SimMachine) => Promise<void>;

/** Provision states in which the node's disk holds its instance. */
const DEPLOYED_STATES: readonly ProvisionState[] = [
  S.ACTIVE, S.RESCUE, S.RESCUING, S.RESCUEWAIT, S.RESCUEFAIL, S.UNRESCUING, S.UNRESCUEFAIL, S.SERVICING,
  S.SERVICEWAIT, S.SERVICEHOLD, S.SERVICEFAIL, S.DELETING, S.ADOPTING,
];

/** Root password of deployed instances unless instance_info.sim_root_password says otherwise. */
export const DEFAULT_ROOT_PASSWORD = "ingot";

export class SimBmcError extends Error {}
/** A machine operation overtaken by a power change (the machine was reset or switched off). */
export class SimInterrupted extends Error {}
/** A failure the node's driver_info asked for (sim_fail_step). */
export class SimInjectedFailure extends Error {}

function truthy(v: unknown): boolean {
  return v === true || (typeof v === "string" && ["1", "true", "yes", "on"].includes(v.trim().toLowerCase())) || v === 1;
}

export function faultsFrom(driverInfo: Dict | null | undefined): SimFaults {
  const info = driverInfo ?? {};
  const fail = info.sim_fail_step;
  const failSteps = (Array.isArray(fail) ? fail.map(String) : typeof fail === "string" ? fail.split(",") : [])
    .map((s) => s.trim())
    .filter(Boolean);
  const slow = Number(info.sim_slow ?? 1);
  return { failSteps, bmcDown: truthy(info.sim_bmc_down), slow: Number.isFinite(slow) && slow > 0 ? Math.min(slow, 1000) : 1 };
}

/** The OS an image turns into, recognised from its name (Ubuntu unless it says otherwise). */
export function osFromImage(image: string): InstalledOs {
  const s = image.toLowerCase();
  if (s.includes("rocky")) return { id: "rocky", name: "Rocky Linux", prettyName: "Rocky Linux 9.5 (Blue Onyx)", versionId: "9.5", kernel: "5.14.0-503.14.1.el9_5.x86_64", image };
  if (s.includes("centos")) return { id: "centos", name: "CentOS Stream", prettyName: "CentOS Stream 9", versionId: "9", kernel: "5.14.0-547.el9.x86_64", image };
  if (s.includes("fedora")) return { id: "fedora", name: "Fedora Linux", prettyName: "Fedora Linux 41 (Cloud Edition)", versionId: "41", kernel: "6.11.4-301.fc41.x86_64", image };
  if (s.includes("debian")) return { id: "debian", name: "Debian GNU/Linux", prettyName: "Debian GNU/Linux 12 (bookworm)", versionId: "12", kernel: "6.1.0-28-amd64", image };
  return { id: "ubuntu", name: "Ubuntu", prettyName: "Ubuntu 24.04.1 LTS", versionId: "24.04", kernel: "6.8.0-49-generic", image };
}

export const DEFAULT_IMAGE = "http://images.ingot.local/ubuntu-24.04-server-cloudimg-amd64.img";

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type PhaseListener = (phase: MachinePhase) => void;

export class SimMachine implements ShellHost {
  readonly hw: SimHardware;
  readonly bios: SimBios;
  readonly serial = new SerialPort();
  readonly screen = new TextScreen();
  faults: SimFaults = { failSteps: [], bmcDown: false, slow: 1 };

  power: SimPowerState = "power off";
  phase: MachinePhase = "off";
  /** Where the BMC boots from when no one-time device is set. */
  persistentBootDevice: SimBootDevice = "disk";
  /** A one-time boot device, consumed by the next boot. */
  nextBootDevice: SimBootDevice | null = null;
  /** What the provisioning network serves this machine when it netboots (null: nothing). */
  netboot: NetbootTarget | null = null;
  /** The volume served for `netboot === "volume"` (boot from volume), null when none is attached. */
  sanVolume: SanVolume | null = null;
  /** The running OS came from the SAN volume (not the local disk). */
  private bootedFromSan = false;
  /** The OS on the root disk (null: blank or wiped). */
  disk: InstalledOs | null = null;
  /** RAID volumes created through the BMC. */
  raidVolumes: Dict[] = [];
  readonly indicators = new Map<string, string>([["led@system", "off"], ["led-0@chassis", "on"]]);

  private hostName: string;
  private rootPassword = DEFAULT_ROOT_PASSWORD;
  private rescuePassword: string | null = null;
  private gen = 0;
  private bootedAt = 0;
  private kernelT0 = 0;
  private shell: ShellConsole | null = null;
  private readonly phaseListeners = new Set<PhaseListener>();
  private readonly disposers: (() => void)[] = [];
  private disposed = false;
  /** Why the last boot stopped (for waiters), e.g. "no bootable device". */
  private haltReason = "";

  constructor(readonly uuid: string, node: SimNodeView = { uuid }) {
    this.hw = simHardware(uuid, node.driverInfo ?? {});
    this.bios = new SimBios(this.hw);
    this.hostName = `node-${uuid.slice(0, 8)}`;
    this.screen.cursorVisible = false;
    this.serial.setInputHandler((data) => this.onInput(data));
    this.configure(node);
  }

  // ---- settings from the node ----

  /** Refreshes fault injection and instance details from the node (cheap; every driver call). */
  configure(node: SimNodeView): void {
    this.faults = faultsFrom(node.driverInfo);
    const ii = node.instanceInfo ?? {};
    const display = typeof ii.display_name === "string" && ii.display_name ? ii.display_name : node.name;
    this.hostName = sanitizeHostname(display) ?? `node-${this.uuid.slice(0, 8)}`;
    this.rootPassword = typeof ii.sim_root_password === "string" && ii.sim_root_password ? ii.sim_root_password : DEFAULT_ROOT_PASSWORD;
    this.rescuePassword = typeof ii.rescue_password === "string" && ii.rescue_password ? ii.rescue_password : this.rescuePassword;
  }

  /**
   * On first creation: takes over what the node says about the machine. The real server outlives
   * the process that simulated it (a restart, or another conductor taking the node over), so what
   * it ran goes on: the instance stays up, a deploy agent keeps running and heartbeating. What
   * lived in the dead process only (the network boot configuration, `netboot`) is gone until the
   * new conductor rebuilds it (boot.prepare_instance on take-over). Outside the deployed states the
   * driver's record (SIM_MACHINE_KEY) says whether the agent runs and what the disk holds, so an
   * interrupted step can run again on the machine as it was.
   */
  restore(node: SimNodeView): void {
    if (node.bootMode === "bios") this.bios.setNow("BootMode", "Bios");
    if (node.secureBoot === true && this.bootMode === "uefi") this.bios.setNow("SecureBoot", "Enabled");
    const deployed = inStates(node.provisionState, DEPLOYED_STATES);
    const fromVolume = !!node.storageInterface && node.storageInterface !== "noop";
    const record = deployed ? null : recordOf(node);
    if (deployed && fromVolume) {
      // The instance is on its SAN volume; the BMC keeps booting from the network.
      this.persistentBootDevice = "pxe";
    } else if (deployed) {
      const image = node.instanceInfo?.image_source;
      this.disk = osFromImage(typeof image === "string" && image ? image : DEFAULT_IMAGE);
    } else if (record?.disk) {
      this.disk = osFromImage(record.disk);
    }
    if (node.powerState === "power on") {
      if (deployed && (this.disk || fromVolume)) this.resumeRunningOs();
      else if (inStates(node.provisionState, AGENT_WAIT_STATES) || record?.agent) this.resumeRunningAgent();
      else this.powerOn();
    }
  }

  /** What restore() needs to bring this machine back mid-operation (the driver stores it). */
  record(): SimMachineRecord {
    return { agent: this.netboot === "agent", disk: this.disk?.image ?? null };
  }

  get hostname_(): string {
    return this.hostName;
  }

  get bootMode(): "uefi" | "bios" {
    return this.bios.get("BootMode") === "Bios" ? "bios" : "uefi";
  }

  get secureBoot(): boolean {
    return this.bios.get("SecureBoot") === "Enabled";
  }

  /** A snapshot for dashboards and tests. */
  status(): Dict {
    return {
      power: this.power, phase: this.phase, boot_device: this.nextBootDevice ?? this.persistentBootDevice,
      persistent: this.nextBootDevice === null, boot_mode: this.bootMode, secure_boot: this.secureBoot,
      netboot: this.netboot, os: this.disk?.prettyName ?? null, san_volume: this.sanVolume?.volumeId ?? null, uptime_seconds: this.phase === "off" ? 0 : Math.round((Date.now() - this.bootedAt) / 1000),
      pending_bios: this.bios.pending(), logged_in: this.shell?.loggedInUser ?? null,
    };
  }

  // ---- events ----

  onPhase(listener: PhaseListener): () => void {
    this.phaseListeners.add(listener);
    return () => this.phaseListeners.delete(listener);
  }

  private setPhase(phase: MachinePhase): void {
    if (this.phase === phase) return;
    this.phase = phase;
    for (const l of [...this.phaseListeners]) {
      try {
        l(phase);
      } catch (err) {
        console.error("sim phase listener failed:", err);
      }
    }
  }

  /**
   * Resolves when the machine reaches one of `phases`; rejects when it stops elsewhere (powered
   * off, halted, firmware setup) or after `timeoutMs`.
   */
  waitFor(phases: MachinePhase[], what: string, timeoutMs = 3_600_000): Promise<MachinePhase> {
    if (phases.includes(this.phase)) return Promise.resolve(this.phase);
    return new Promise((resolve, reject) => {
      const stops: MachinePhase[] = ["off", "halted", "setup"];
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out waiting for ${what} (machine is in phase "${this.phase}")`));
      }, timeoutMs);
      const off = this.onPhase((p) => {
        if (phases.includes(p)) {
          clearTimeout(timer);
          off();
          resolve(p);
        } else if (stops.includes(p)) {
          clearTimeout(timer);
          off();
          const why = p === "off" ? "the machine was powered off" : p === "setup" ? "the machine entered firmware setup" : `the boot stopped: ${this.haltReason}`;
          reject(new SimInterrupted(`${what} did not happen: ${why}`));
        }
      });
    });
  }

  // ---- output ----

  /** Prints to the serial port and the screen ("\n" → CRLF). */
  output(text: string): void {
    if (this.disposed) return;
    const buf = this.serial.output(text);
    this.screen.write(buf.toString("utf8"));
  }

  private kernelStamp(): string {
    // Kernel time in "realistic" seconds, whatever INGOT_SIM_SPEED compresses it to.
    const t = (Date.now() - this.kernelT0) / 1000 / Math.max(1e-3, simSpeed() * this.faults.slow);
    return `[${t.toFixed(6).padStart(12)}]`;
  }

  private klog(text: string): void {
    this.output(`${this.kernelStamp()} ${text}\n`);
  }

  /** One agent log line, as the Ironic Python Agent writes them to the console. */
  agentLog(level: "INFO" | "WARNING" | "ERROR" | "DEBUG", module: string, message: string): void {
    const ts = new Date().toISOString().replace("T", " ").replace("Z", "");
    this.output(`${ts} 873 ${level} ironic_python_agent.${module} [-] ${message}\n`);
  }

  // ---- timing ----

  private ms(phase: Phase, fraction = 1): number {
    return phaseMs(phase, this.faults.slow, fraction);
  }

  /** Sleeps, then throws SimInterrupted if the machine was reset or switched off meanwhile. */
  private async sleep(gen: number, ms: number): Promise<void> {
    await delay(ms);
    if (gen !== this.gen || this.disposed) throw new SimInterrupted("the machine was reset or powered off");
  }

  /** Prints `lines` spread over the duration of `phase`. */
  private async script(gen: number, phase: Phase, lines: string[], print: (l: string) => void = (l) => this.output(`${l}\n`)): Promise<void> {
    const step = this.ms(phase) / Math.max(1, lines.length);
    for (const line of lines) {
      await this.sleep(gen, step);
      print(line);
    }
  }

  // ---- the BMC ----

  /** A request to the BMC: answers after a short delay, or times out when sim_bmc_down is set. */
  async bmc<T>(operation: string, fn: () => T | Promise<T>): Promise<T> {
    if (this.faults.bmcDown) {
      await delay(phaseMs("bmcTimeout", this.faults.slow));
      throw new SimBmcError(`BMC ${this.hw.bmcAddress} did not answer ${operation}: timed out after ${Math.round(phaseMs("bmcTimeout", this.faults.slow) / 100) / 10} s`);
    }
    await delay(phaseMs("bmcCall", this.faults.slow));
    return fn();
  }

  /** Throws SimInjectedFailure when driver_info.sim_fail_step names `op`. */
  checkFailure(op: string, message?: string): void {
    if (this.faults.failSteps.includes(op)) {
      throw new SimInjectedFailure(message ?? `simulated failure of ${op} (driver_info.sim_fail_step)`);
    }
  }

  shouldFail(op: string): boolean {
    return this.faults.failSteps.includes(op);
  }

  setBootDevice(device: SimBootDevice, persistent: boolean): void {
    if (persistent) {
      this.persistentBootDevice = device;
      this.nextBootDevice = null;
    } else this.nextBootDevice = device;
  }

  get bootDevice(): { boot_device: SimBootDevice; persistent: boolean } {
    return { boot_device: this.nextBootDevice ?? this.persistentBootDevice, persistent: this.nextBootDevice === null };
  }

  setBootMode(mode: "uefi" | "bios"): void {
    this.bios.setNow("BootMode", mode === "bios" ? "Bios" : "Uefi");
    if (mode === "bios") this.bios.setNow("SecureBoot", "Disabled");
  }

  setSecureBoot(enabled: boolean): void {
    if (enabled && this.bootMode !== "uefi") throw new Error("Secure boot requires UEFI boot mode");
    this.bios.setNow("SecureBoot", enabled ? "Enabled" : "Disabled");
  }

  /** Staged and immediate BIOS changes; see SimBios.apply. */
  applyBios(settings: SimBiosChange[]): { applied: string[]; pending: string[] } {
    return this.bios.apply(settings);
  }

  // ---- power ----

  powerOn(): void {
    if (this.power === "power on" || this.disposed) return;
    this.power = "power on";
    this.startBoot();
  }

  /** Hard power off: immediate. */
  powerOff(): void {
    this.gen++;
    this.power = "power off";
    this.shell = null;
    this.screen.reset();
    this.screen.cursorVisible = false;
    this.screen.render();
    this.setPhase("off");
  }

  /** Hard reset (or power on when off). */
  reset(): void {
    if (this.power === "power off") return this.powerOn();
    this.startBoot();
  }

  /** ACPI power button: the OS (or agent) shuts down in order, then the machine switches off. */
  async softPowerOff(): Promise<void> {
    if (this.power === "power off") return;
    await this.shutdown();
    this.powerOff();
  }

  async softReboot(): Promise<void> {
    if (this.power === "power off") return this.powerOn();
    await this.shutdown();
    this.reset();
  }

  private async shutdown(): Promise<void> {
    const gen = this.gen;
    if (this.phase !== "os" && this.phase !== "agent") return;
    this.shell = null;
    this.setPhase("shutdown");
    await this.script(gen, "softShutdown", [
      "         Stopping session-1.scope - Session 1 of User root...",
      "[  OK  ] Stopped target multi-user.target - Multi-User System.",
      "[  OK  ] Stopped systemd-logind.service - User Login Management.",
      "[  OK  ] Unmounted /boot/efi.",
      "[  OK  ] Reached target shutdown.target - System Shutdown.",
    ].map((l) => `\r${l}`));
    this.klog("reboot: Power down");
  }

  /** The OS was already running before the server process started: print its prompt again. */
  private resumeRunningOs(): void {
    this.power = "power on";
    this.bootedAt = Date.now();
    this.kernelT0 = Date.now();
    this.screen.cursorVisible = true;
    this.startOs();
  }

  /** The deploy agent was already running (and waiting for its conductor): it keeps heartbeating. */
  private resumeRunningAgent(): void {
    this.power = "power on";
    this.netboot = "agent";
    this.bootedAt = Date.now();
    this.kernelT0 = Date.now();
    this.setPhase("agent");
    this.agentLog("INFO", "agent", `Heartbeat to http://${this.hw.provisioningServer}:6385 resumed; node ${this.uuid}`);
    this.startHeartbeats(this.gen);
  }

  /**
   * The deploy agent heartbeats while it runs (first at once, then every agentHeartbeat), until
   * the machine reboots or powers off. A failing heartbeat is logged and retried, as IPA does.
   */
  private startHeartbeats(gen: number): void {
    const beat = async () => {
      if (gen !== this.gen || this.disposed || this.phase !== "agent" || this.netboot !== "agent") return;
      const hook = registry.heartbeat;
      if (hook) {
        try {
          await hook(this);
        } catch (err) {
          this.agentLog("WARNING", "agent", `Heartbeat failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      if (gen !== this.gen || this.disposed) return;
      setTimeout(() => void beat(), Math.max(50, this.ms("agentHeartbeat"))).unref();
    };
    setTimeout(() => void beat(), 0).unref();
  }

  // ---- the boot ----

  private startBoot(): void {
    const gen = ++this.gen;
    this.shell = null;
    this.bootedAt = Date.now();
    this.boot(gen).catch((err) => {
      if (!(err instanceof SimInterrupted)) console.error(`sim machine ${this.uuid}: boot failed:`, err);
    });
  }

  private async boot(gen: number): Promise<void> {
    this.setPhase("post");
    this.screen.cursorVisible = true;
    this.output("\x1b[0m\x1b[2J\x1b[H");
    const hw = this.hw;
    const mode = this.bootMode === "uefi" ? "UEFI" : "BIOS (Legacy)";
    await this.script(gen, "post", [
      `\x1b[1;37m${hw.manufacturer} ${hw.product}\x1b[0m`,
      `BIOS Version: ${hw.firmwareVersion}  (${hw.firmwareDate})   Service Tag: ${hw.serviceTag}`,
      "",
      `Processor: ${hw.cpu.sockets} x ${hw.cpu.model} @ ${(hw.cpu.mhz / 1000).toFixed(2)}GHz`,
      `Memory:    ${hw.memoryMb / 1024} GB DDR5 4800 MT/s ... OK`,
      `Initializing PCIe ... ${hw.nics.length} network adapter(s), ${hw.disks.length} storage device(s)`,
      ...hw.nics.map((n) => `  ${n.name}: ${n.mac.toUpperCase()}  ${n.speedMbps >= 1000 ? `${n.speedMbps / 1000} Gbps` : `${n.speedMbps} Mbps`}  link ${n.carrier ? "up" : "down"}`),
      ...hw.disks.map((d) => `  ${d.name.replace("/dev/", "")}: ${d.model} ${formatBytes(d.size)}`),
      `BMC IP address: ${hw.bmcAddress}`,
      `Boot mode: ${mode}   Secure Boot: ${this.secureBoot ? "Enabled" : "Disabled"}`,
      "",
      "F2 = System Setup   F10 = Lifecycle Controller   F11 = Boot Manager   F12 = PXE Boot",
    ]);
    if (this.bios.get("MemTest") === "true") {
      this.output("Testing memory ");
      await this.script(gen, "memTest", ["....", "....", "....", " OK\n"], (l) => this.output(l));
    }
    if (this.bios.hasPending) {
      const names = this.bios.applyPending();
      this.output(`Applying ${names.length} pending BIOS setting(s): ${names.join(", ")}\n`);
      await this.sleep(gen, this.ms("biosApply"));
      this.output("BIOS configuration updated.\n");
    }
    const first = this.nextBootDevice ?? this.persistentBootDevice;
    this.nextBootDevice = null;
    const order: SimBootDevice[] = [first, ...(["disk", "pxe"] as SimBootDevice[]).filter((d) => d !== first)];
    for (const device of order) {
      if (device === "bios") {
        this.output("\nEntering System Setup...\n");
        this.output("\x1b[2J\x1b[H\x1b[1;37;44m System Setup \x1b[0m\n\n  System BIOS\n  iDRAC Settings\n  Device Settings\n\n  (simulated: reset the machine to leave setup)\n");
        this.setPhase("setup");
        return;
      }
      if (device === "cdrom") {
        this.output("\nBooting from virtual CD/DVD ... no media present.\n");
        await this.sleep(gen, this.ms("bmcCall"));
        continue;
      }
      if (device === "pxe" || device === "uefihttp") {
        if (await this.netbootFrom(gen, device === "uefihttp")) return;
        continue;
      }
      if (await this.bootDisk(gen)) return;
    }
    this.haltReason = "no bootable device";
    this.output(this.bootMode === "uefi"
      ? "\nBdsDxe: No bootable option or device was found.\nBdsDxe: Press any key to enter the Boot Manager Menu.\n"
      : "\nNo boot device available. Press F1 to retry boot, F2 for system setup.\n");
    this.setPhase("halted");
  }

  private async netbootFrom(gen: number, http: boolean): Promise<boolean> {
    this.setPhase("netboot");
    const nic = this.hw.nics[0];
    const srv = this.hw.provisioningServer;
    const uefi = this.bootMode === "uefi";
    this.output(`\n>>Start ${http ? "HTTP" : "PXE"} over IPv4 on MAC: ${nic.mac.toUpperCase()}.\n`);
    if (!this.netboot) {
      await this.script(gen, "pxeTimeout", ["  Station IP address is " + (nic.ipv4 ?? "0.0.0.0"), `  PXE-E18: Server response timeout.`]);
      this.output(`${http ? "HTTP" : "PXE"} boot failed: nothing to boot for this machine.\n`);
      return false;
    }
    const loader = http ? `http://${srv}:8080/boot/${uefi ? "snponly.efi" : "undionly.kpxe"}` : uefi ? "snponly.efi" : "undionly.kpxe";
    await this.script(gen, "pxe", [
      `  Station IP address is ${nic.ipv4}`,
      `  Server IP address is ${srv}`,
      `  NBP filename is ${loader}`,
      `  NBP filesize is ${uefi ? 1_031_168 : 90_421} Bytes`,
      " Downloading NBP file...",
      "  Succeed to download NBP file.",
      "",
      `iPXE initialising devices... ok`,
      `net0: ${nic.mac} using ${nic.name} on ${nic.pci} (Ethernet) [open]`,
      `Configuring (net0 ${nic.mac})...... ok`,
    ]);
    const kind = this.netboot;
    const base = `http://${srv}:8080/${this.uuid}`;
    if (kind === "volume") return this.sanboot(gen, base);
    this.output(`${base}/${kind === "rescue" ? "rescue" : "deploy"}_kernel... ok\n${base}/${kind === "rescue" ? "rescue" : "deploy"}_ramdisk... `);
    await this.script(gen, "ramdiskDownload", ["25%", "50%", "75%", "ok\n"], (l) => this.output(l === "ok\n" ? l : `${l} `));
    await this.bootAgent(gen, kind);
    return true;
  }

  /** iPXE boots the instance from its iSCSI volume (the local disk is not touched). */
  private async sanboot(gen: number, base: string): Promise<boolean> {
    const vol = this.sanVolume;
    this.output(`${base}/boot.ipxe... ok\n`);
    if (!vol) {
      this.output("No SAN volume is configured for this machine.\n");
      return false;
    }
    // iPXE's iSCSI URI: iscsi:<server>:<protocol>:<port>:<lun>:<target iqn>
    const [server, port = "3260"] = vol.portal.split(":");
    const uri = `iscsi:${server}::${port}:${vol.lun}:${vol.targetIqn}`;
    await this.script(gen, "pxe", [
      `sanboot ${uri}`,
      `Registered SAN device 0x80 (volume ${vol.volumeId})`,
      "Booting from SAN device 0x80",
    ]);
    return this.bootDisk(gen, vol.os, `SAN volume ${vol.volumeId}`);
  }

  private async bootAgent(gen: number, kind: NetbootTarget): Promise<void> {
    this.kernelT0 = Date.now();
    const srv = this.hw.provisioningServer;
    const lines = [
      "Linux version 6.1.0-ipa (builder@ingot) (gcc 12.2.0) #1 SMP PREEMPT_DYNAMIC",
      `Command line: ipa-api-url=http://${srv}:6385 ipa-insecure=1 console=tty0 console=ttyS0,115200n8 BOOTIF=01-${this.hw.nics[0].mac.replace(/:/g, "-")}`,
      `DMI: ${this.hw.manufacturer} ${this.hw.product}, BIOS ${this.hw.firmwareVersion} ${this.hw.firmwareDate}`,
      `Memory: ${this.hw.memoryMb * 1024 - 2_000_000}K/${this.hw.memoryMb * 1024}K available`,
      `smpboot: Allowing ${this.hw.cpu.threads} CPUs, 0 hotplug CPUs`,
      "Freeing unused kernel image (initmem) memory: 3240K",
      "Run /init as init process",
      "systemd[1]: Detected architecture x86-64.",
      "systemd[1]: Hostname set to <localhost>.",
      ...this.hw.nics.map((n) => `${n.vendor === "0x15b3" ? "mlx5_core" : "igb"} ${n.pci} ${n.name}: renamed from eth${this.hw.nics.indexOf(n)}`),
      ...this.hw.disks.map((d) => `sd ${d.hctl}: [${d.name.replace("/dev/", "")}] ${Math.round(d.size / 512)} 512-byte logical blocks: (${formatBytes(d.size)})`),
      "systemd[1]: Started ironic-python-agent.service - Ironic Python Agent.",
    ];
    this.setPhase("netboot");
    await this.script(gen, "agentBoot", lines, (l) => this.klog(l));
    this.agentLog("INFO", "agent", `Starting ironic-python-agent version 9.13.0 (${kind === "rescue" ? "rescue" : "deploy"} ramdisk)`);
    this.agentLog("INFO", "hardware", "Hardware manager GenericHardwareManager is ready; found " + `${this.hw.disks.length} disk(s), ${this.hw.nics.length} NIC(s)`);
    this.agentLog("INFO", "agent", `Heartbeat to http://${srv}:6385 succeeded; node ${this.uuid}`);
    if (kind === "rescue") {
      this.output(`\nIronic rescue ramdisk (${this.hw.product})\n`);
      this.shell = new ShellConsole(this);
      this.setPhase("agent");
      this.shell.start();
      return;
    }
    this.setPhase("agent");
    this.startHeartbeats(gen);
  }

  private async bootDisk(gen: number, os: InstalledOs | null = this.disk, from?: string): Promise<boolean> {
    this.bootedFromSan = from !== undefined;
    const dev = from ? "sda" : this.hw.disks[0].name.replace("/dev/", "");
    if (!os) {
      this.output(`\nBooting from hard disk ${dev} ... no boot loader found.\n`);
      await this.sleep(gen, this.ms("bmcCall"));
      return false;
    }
    this.setPhase("loader");
    this.output(this.bootMode === "uefi" ? `\nBooting "${os.name}" (UEFI, ${from ?? dev})\n` : `\nBooting from ${from ?? `hard disk ${dev}`}...\n`);
    await this.script(gen, "grub", [
      "GRUB loading.",
      "Welcome to GRUB!",
      "",
      `  Booting \`${os.prettyName}, with Linux ${os.kernel}'`,
      "Loading initial ramdisk ...",
    ]);
    this.kernelT0 = Date.now();
    const lines = [
      `Linux version ${os.kernel} (buildd@ingot) (gcc 13.2.0) #1 SMP PREEMPT_DYNAMIC`,
      `Command line: BOOT_IMAGE=/vmlinuz-${os.kernel} root=LABEL=cloudimg-rootfs ro console=tty0 console=ttyS0,115200n8`,
      `DMI: ${this.hw.manufacturer} ${this.hw.product}, BIOS ${this.hw.firmwareVersion} ${this.hw.firmwareDate}`,
      `smpboot: Total of ${this.hw.cpu.threads} processors activated`,
      `EXT4-fs (${dev}1): mounted filesystem with ordered data mode.`,
      `systemd[1]: systemd running in system mode`,
      `systemd[1]: Hostname set to <${this.hostName}>.`,
      "cloud-init[812]: Cloud-init v. 24.3 running 'init' ... Up 9.41 seconds.",
      `cloud-init[812]: ci-info: | ${this.hw.nics[0].name} | True | ${this.hw.nics[0].ipv4} | ${this.hw.nics[0].mac} |`,
      "systemd[1]: Reached target multi-user.target - Multi-User System.",
    ];
    await this.script(gen, "osBoot", lines, (l) => this.klog(l));
    this.startOs();
    return true;
  }

  private startOs(): void {
    this.shell = new ShellConsole(this);
    this.setPhase("os");
    this.shell.start();
  }

  // ---- input ----

  private onInput(data: Buffer): void {
    if (this.power === "power off") return;
    if (this.shell && (this.phase === "os" || this.phase === "agent")) this.shell.input(data);
  }

  /**
   * An X11 keysym from a VNC client; keys go to the console like serial input. Ctrl-Alt-Del
   * reboots a running OS or agent (as systemd's ctrl-alt-del.target does) and resets the machine
   * in its firmware.
   */
  keyEvent(down: boolean, keysym: number, mods: { ctrl: boolean; alt?: boolean }): void {
    if (!down) return;
    if (mods.ctrl && mods.alt && (keysym === 0xffff || keysym === 0xff9f)) return this.ctrlAltDel();
    const bytes = keysymToBytes(keysym, mods.ctrl);
    if (bytes) this.serial.write(bytes);
  }

  private ctrlAltDel(): void {
    if (this.power !== "power on") return;
    if (this.phase === "os" || this.phase === "agent") {
      this.output("\n");
      this.klog("systemd[1]: Received SIGINT (Ctrl-Alt-Del): rebooting.");
      return void this.softReboot().catch(() => undefined);
    }
    this.reset();
  }

  // ---- the deploy/rescue agent (what the ramdisk does when asked) ----

  private requireAgent(what: string): number {
    if (this.power !== "power on" || this.phase !== "agent" || this.netboot !== "agent") {
      throw new SimInterrupted(`cannot ${what}: the deploy agent is not running (machine phase "${this.phase}")`);
    }
    return this.gen;
  }

  /** Netboots the deploy or rescue agent (one-time boot from the network) and waits for it. */
  async bootIntoAgent(kind: NetbootTarget, http = false): Promise<void> {
    this.netboot = kind;
    this.setBootDevice(http ? "uefihttp" : "pxe", false);
    if (this.power === "power on") this.reset();
    else this.powerOn();
    await this.waitFor(["agent"], `the ${kind === "rescue" ? "rescue" : "deploy"} agent to start`);
  }

  /**
   * Netboots the deploy agent without waiting for it (the deploy step then waits for the agent's
   * heartbeat in "wait call-back", as with a real ramdisk).
   */
  startAgent(): void {
    this.netboot = "agent";
    this.setBootDevice("pxe", false);
    if (this.power === "power on") this.reset();
    else this.powerOn();
  }

  /** Boots the installed OS from disk and waits for its login prompt. */
  async bootIntoOs(): Promise<void> {
    if (this.netboot === "volume") return this.bootIntoVolume();
    this.setBootDevice("disk", true);
    if (this.power === "power on") this.reset();
    else this.powerOn();
    await this.waitFor(["os"], "the instance to boot");
  }

  /** Boots the instance from its SAN volume (persistent network boot, iPXE sanboot) and waits for it. */
  async bootIntoVolume(): Promise<void> {
    this.netboot = "volume";
    this.setBootDevice("pxe", true);
    if (this.power === "power on") this.reset();
    else this.powerOn();
    await this.waitFor(["os"], "the instance to boot from its volume");
  }

  /** Reboots into whatever ran before (agent or OS) and waits for it — BIOS changes apply in POST. */
  async rebootAndWait(): Promise<void> {
    const was = this.phase;
    if (was === "agent" && this.netboot) return this.bootIntoAgent(this.netboot);
    if (was === "os") return this.bootIntoOs();
    this.reset();
    await this.waitFor(["os", "agent", "halted", "setup"], "the machine to finish POST");
  }

  /** An agent command that only logs and takes a moment. */
  async agentCommand(name: string, message: string, phase: Phase = "agentCommand"): Promise<void> {
    const gen = this.requireAgent(name);
    this.agentLog("INFO", "extensions.standby", message);
    await this.sleep(gen, this.ms(phase));
  }

  /** Writes an image to the root disk, reporting progress (percent) as it goes. */
  async writeImage(image: string, onProgress?: (percent: number, message: string) => unknown): Promise<InstalledOs> {
    const gen = this.requireAgent("write the image");
    const root = this.hw.disks[0];
    this.agentLog("INFO", "extensions.standby", `Downloading image ${image}`);
    this.disk = null;
    const failAt = this.shouldFail("deploy.write_image") ? 40 : 101;
    for (let pct = 5; pct <= 100; pct += 5) {
      await this.sleep(gen, this.ms("imageWrite", 1 / 20));
      if (pct >= failAt) {
        const msg = `Error writing image to device ${root.name}: [Errno 5] Input/output error (simulated failure requested by driver_info.sim_fail_step)`;
        this.agentLog("ERROR", "extensions.standby", msg);
        throw new SimInjectedFailure(msg);
      }
      if (pct % 10 === 0) {
        const message = `Writing image to ${root.name}: ${pct}%`;
        this.agentLog("INFO", "extensions.standby", message);
        await onProgress?.(pct, message);
      }
    }
    this.disk = osFromImage(image);
    this.agentLog("INFO", "extensions.standby", `Image ${image} written to device ${root.name} (${this.disk.prettyName})`);
    return this.disk;
  }

  async installBootloader(): Promise<void> {
    const gen = this.requireAgent("install the boot loader");
    const root = this.hw.disks[0].name;
    this.agentLog("INFO", "extensions.image", this.bootMode === "uefi"
      ? `Installing the boot loader: EFI partition ${root}15, boot entry "ironic1" added`
      : `Installing GRUB2 on ${root}`);
    await this.sleep(gen, this.ms("bootloader"));
    this.persistentBootDevice = "disk";
  }

  async eraseMetadata(): Promise<void> {
    const gen = this.requireAgent("erase devices");
    for (const d of this.hw.disks) this.agentLog("INFO", "hardware", `Erasing metadata (partition tables, filesystem signatures) on ${d.name}`);
    await this.sleep(gen, this.ms("eraseMetadata"));
    this.disk = null;
    this.agentLog("INFO", "hardware", "Finished erasing metadata on all devices");
  }

  async eraseDevices(): Promise<void> {
    const gen = this.requireAgent("erase devices");
    for (const d of this.hw.disks) {
      this.agentLog("INFO", "hardware", `Shredding ${d.name} (1 pass of random data)`);
      await this.sleep(gen, this.ms("eraseDevices"));
    }
    this.disk = null;
    this.agentLog("INFO", "hardware", "Finished erasing all devices");
  }

  /** The agent powers the machine off (tear_down_agent). */
  async agentPowerOff(): Promise<void> {
    const gen = this.requireAgent("power off");
    this.agentLog("INFO", "extensions.standby", "Powering off the node (syncing file systems first)");
    await this.sleep(gen, this.ms("powerOff"));
    this.klog("reboot: Power down");
    this.powerOff();
  }

  /** Out-of-band inspection through the BMC. */
  async inspect(): Promise<InspectionData> {
    return this.bmc("inspection", async () => {
      await delay(this.ms("inspect"));
      return this.inventory();
    });
  }

  inventory(): InspectionData {
    return simInventory(this.hw, { bootMode: this.bootMode, hostname: this.phase === "os" ? this.hostName : null });
  }

  async configureRaid(volumes: Dict[]): Promise<void> {
    await this.bmc("RAID configuration", async () => {
      await delay(this.ms("raid"));
      this.raidVolumes = volumes.map((v) => ({ ...v }));
      if (volumes.length) this.disk = null; // new volumes start blank
    });
  }

  // ---- ShellHost ----

  hostname(): string {
    return this.phase === "agent" ? "rescue" : this.hostName;
  }

  issue(): string {
    if (this.phase === "agent") return `Ironic rescue ramdisk ${this.hostname()} ttyS0`;
    const os = this.bootedFromSan && this.sanVolume ? this.sanVolume.os : this.disk;
    return `${os?.prettyName ?? "Linux"} ${this.hostName} ttyS0`;
  }

  accounts(): ShellAccount[] {
    if (this.phase === "agent") return this.rescuePassword ? [{ user: "rescue", password: this.rescuePassword, home: "/home/rescue" }] : [];
    return [{ user: "root", password: this.rootPassword, home: "/root" }];
  }

  file(path: string): string | null {
    const os = this.bootedFromSan && this.sanVolume ? this.sanVolume.os : this.disk;
    const norm = path.replace(/\/+/g, "/");
    switch (norm) {
      case "/etc/hostname":
        return `${this.hostname()}\n`;
      case "/etc/os-release":
        if (this.phase === "agent" || !os) return 'NAME="Ironic Python Agent"\nID=ipa\nPRETTY_NAME="Ironic Python Agent ramdisk"\n';
        return [
          `PRETTY_NAME="${os.prettyName}"`, `NAME="${os.name}"`, `VERSION_ID="${os.versionId}"`, `ID=${os.id}`,
          `HOME_URL="https://example.invalid/${os.id}"`, "",
        ].join("\n");
      case "/etc/machine-id":
        return `${this.uuid.replace(/-/g, "")}\n`;
      case "/proc/cpuinfo":
        return `processor\t: 0\nmodel name\t: ${this.hw.cpu.model}\ncpu MHz\t\t: ${this.hw.cpu.mhz}.000\ncpu cores\t: ${this.hw.cpu.cores}\n`;
      case "/proc/meminfo":
        return `MemTotal:       ${this.hw.memoryMb * 1024 - 2_000_000} kB\n`;
      default:
        return null;
    }
  }

  listing(path: string): string[] | null {
    const norm = path === "/" ? "/" : path.replace(/\/+$/, "");
    const dirs: Record<string, string[]> = {
      "/": ["bin", "boot", "dev", "etc", "home", "lib", "proc", "root", "run", "sys", "tmp", "usr", "var"],
      "/root": [],
      "/home": this.phase === "agent" ? ["rescue"] : [],
      "/home/rescue": [],
      "/etc": ["hostname", "hosts", "machine-id", "os-release", "passwd", "ssh"],
      "/boot": this.disk ? [`config-${this.disk.kernel}`, "efi", "grub", `initrd.img-${this.disk.kernel}`, `vmlinuz-${this.disk.kernel}`] : [],
      "/dev": [...this.hw.disks.map((d) => d.name.replace("/dev/", "")), "null", "ttyS0", "tty0", "zero"],
      "/proc": ["cpuinfo", "meminfo", "uptime"],
      "/tmp": [],
      "/var": ["cache", "lib", "log", "tmp"],
    };
    return dirs[norm] ?? null;
  }

  uname(all: boolean): string {
    const kernel = this.phase === "agent" ? "6.1.0-ipa" : (this.disk?.kernel ?? "6.8.0");
    return all ? `Linux ${this.hostname()} ${kernel} #1 SMP PREEMPT_DYNAMIC x86_64 x86_64 x86_64 GNU/Linux` : "Linux";
  }

  ipAddr(): string {
    const lines = ["1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000",
      "    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00", "    inet 127.0.0.1/8 scope host lo"];
    this.hw.nics.forEach((n, i) => {
      const state = n.carrier ? "UP" : "DOWN";
      lines.push(`${i + 2}: ${n.name}: <BROADCAST,MULTICAST${n.carrier ? ",UP,LOWER_UP" : ""}> mtu 1500 qdisc mq state ${state} group default qlen 1000`);
      lines.push(`    link/ether ${n.mac} brd ff:ff:ff:ff:ff:ff`);
      if (n.ipv4 && n.carrier) lines.push(`    inet ${n.ipv4}/24 brd ${n.ipv4.replace(/\.\d+$/, ".255")} scope global dynamic ${n.name}`);
    });
    return lines.join("\n");
  }

  uptime(): string {
    const secs = Math.max(0, Math.round((Date.now() - this.bootedAt) / 1000));
    const h = Math.floor(secs / 3600);
    const m = Math.floor((secs % 3600) / 60);
    const now = new Date().toISOString().slice(11, 19);
    return ` ${now} up ${h ? `${h}:${String(m).padStart(2, "0")}` : `${m} min`},  1 user,  load average: 0.08, 0.03, 0.01`;
  }

  lsblk(): string {
    const rows = ["NAME      MAJ:MIN RM   SIZE RO TYPE MOUNTPOINTS"];
    this.hw.disks.forEach((d, i) => {
      rows.push(`${d.name.replace("/dev/", "").padEnd(9)} ${String(8 + i * 0).padStart(3)}:${String(i * 16).padEnd(3)}  0 ${formatBytes(d.size).padStart(6)}  0 disk`);
      if (i === 0 && this.disk && this.phase === "os") rows.push(`└─${d.name.replace("/dev/", "")}1   8:1    0 ${formatBytes(d.size).padStart(6)}  0 part /`);
    });
    return rows.join("\n");
  }

  reboot(): void {
    this.output("\n");
    void this.softReboot().catch(() => undefined);
  }

  poweroff(): void {
    this.output("\n");
    void this.softPowerOff().catch(() => undefined);
  }

  // ---- lifetime ----

  /** Registers cleanup to run when the machine is disposed (console listeners, sessions). */
  onDispose(fn: () => void): void {
    if (this.disposed) fn();
    else this.disposers.push(fn);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.gen++;
    this.power = "power off";
    this.setPhase("off");
    this.disposed = true;
    this.serial.setInputHandler(null);
    for (const fn of this.disposers.splice(0)) {
      try {
        fn();
      } catch (err) {
        console.error("sim machine disposer failed:", err);
      }
    }
    this.phaseListeners.clear();
  }
}

function sanitizeHostname(name: unknown): string | null {
  if (typeof name !== "string") return null;
  const h = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 63);
  return h || null;
}

/** X11 keysyms → console bytes (printable Latin-1, Enter, BackSpace, Tab, Escape, arrows, Ctrl+letter). */
export function keysymToBytes(keysym: number, ctrl = false): Buffer | null {
  if (keysym >= 0x20 && keysym <= 0x7e) {
    if (ctrl) {
      const upper = String.fromCharCode(keysym).toUpperCase().charCodeAt(0);
      if (upper >= 0x40 && upper <= 0x5f) return Buffer.from([upper - 0x40]);
    }
    return Buffer.from([keysym]);
  }
  switch (keysym) {
    case 0xff0d: // Return
    case 0xff8d: // KP_Enter
      return Buffer.from([0x0d]);
    case 0xff08:
      return Buffer.from([0x7f]);
    case 0xff09:
      return Buffer.from([0x09]);
    case 0xff1b:
      return Buffer.from([0x1b]);
    case 0xff52:
      return Buffer.from("\x1b[A");
    case 0xff54:
      return Buffer.from("\x1b[B");
    case 0xff53:
      return Buffer.from("\x1b[C");
    case 0xff51:
      return Buffer.from("\x1b[D");
    default:
      return null;
  }
}

// ---- the process-wide registry ----

interface Registry {
  machines: Map<string, SimMachine>;
  unsubscribe?: () => void;
  heartbeat?: AgentHeartbeat | null;
}
const registry: Registry = { machines: new Map() };

/**
 * The machine of a sim node: created on first use (resumed from the node's stored state), then
 * refreshed from the node's driver_info / instance_info on every call.
 */
export function getSimMachine(node: SimNodeView): SimMachine {
  let m = registry.machines.get(node.uuid);
  if (m && !m.isDisposed) {
    m.configure(node);
    return m;
  }
  m = new SimMachine(node.uuid, node);
  registry.machines.set(node.uuid, m);
  m.restore(node);
  // Node deletion disposes the machine (the conductor publishes a deleted NodeEvent).
  registry.unsubscribe ??= liveEvents().subscribe((e) => {
    if (e.type === "node" && e.deleted) disposeSimMachine(e.uuid);
  });
  return m;
}

/** Where deploy agents of this process send their heartbeats (null: nowhere). */
export function setSimAgentHeartbeat(fn: AgentHeartbeat | null): void {
  registry.heartbeat = fn;
}

/** The machine of a node uuid if one exists (never creates). */
export function findSimMachine(uuid: string): SimMachine | undefined {
  const m = registry.machines.get(uuid);
  return m && !m.isDisposed ? m : undefined;
}

export function listSimMachines(): SimMachine[] {
  return [...registry.machines.values()].filter((m) => !m.isDisposed);
}

export function disposeSimMachine(uuid: string): void {
  const m = registry.machines.get(uuid);
  registry.machines.delete(uuid);
  m?.dispose();
}

/** Disposes every machine (tests, server shutdown). */
export function disposeAllSimMachines(): void {
  for (const uuid of [...registry.machines.keys()]) disposeSimMachine(uuid);
  registry.unsubscribe?.();
  registry.unsubscribe = undefined;
}
