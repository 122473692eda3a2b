// A virtual server of the test rig: a virtual BMC (vbmc.py, IPMI on 127.0.0.1) whose power on
// starts a QEMU VM inside a provisioning network's namespace, on one of its taps. The test drives
// it like a real server (ipmitool, or Ingot's ipmitool driver through driverInfo()) and reads
// what the VM prints on its serial port (the log, the socket, or Serial-over-LAN through the vBMC).
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ipmitoolPath } from "../../core/drivers/ipmi/ipmitool.ts";
import { fakeBmcUnavailable } from "../fake_bmc.ts";
import type { MockMachine } from "../redfish_mock.ts";
import { FORWARDER, PYTHON, type ProvisioningNetwork } from "./netns.ts";
import { startProcess, type JsonEvent, type RigProcess } from "./process.ts";

const VBMC = fileURLToPath(new URL("./vbmc.py", import.meta.url));
/** IPA refuses disks under 4 GiB unless root device hints are given. */
export const DEFAULT_DISK_BYTES = 4 * 1024 ** 3;

/** Why the rig cannot run VMs here, or null. */
export function vmUnavailable(): string | null {
  const bmc = fakeBmcUnavailable();
  if (bmc) return bmc;
  for (const [tool, pkg] of [["qemu-system-x86_64", "qemu-system-x86"], ["qemu-img", "qemu-utils"]]) {
    const probe = spawnSync(tool, ["--version"], { encoding: "utf8" });
    if (probe.error || probe.status !== 0) return `${tool} is not installed (apt-get install ${pkg})`;
  }
  if (!existsSync("/usr/lib/ipxe/qemu/efi-virtio.rom")) return "QEMU's iPXE NIC ROMs are missing (apt-get install ipxe-qemu)";
  return null;
}

/** A locally administered MAC in QEMU's 52:54:00 range. */
export function randomMac(): string {
  return ["52", "54", "00", ...randomBytes(3).toString("hex").match(/../g)!].join(":");
}

export interface VmOptions {
  /** Which tap of the network (default tap0). */
  tap?: string;
  mac?: string;
  name?: string;
  /** MiB of memory; the deploy ramdisk (~300 MB packed, ~1 GB unpacked) wants 2048 or more. */
  memory?: number;
  firmware?: "bios" | "uefi";
  /** The disk: a new sparse qcow2 of diskBytes, on top of `backingImage` when given (qcow2 or raw). */
  diskBytes?: number;
  backingImage?: string;
  user?: string;
  password?: string;
}

export class RigVm {
  readonly mac: string;
  readonly name: string;
  readonly dir: string;
  readonly disk: string;
  readonly user: string;
  readonly password: string;
  port = 0;
  private bmc: RigProcess | null = null;

  private constructor(readonly net: ProvisioningNetwork, readonly opts: VmOptions) {
    this.mac = opts.mac ?? randomMac();
    this.name = opts.name ?? `vm-${this.mac.replace(/:/g, "").slice(-6)}`;
    this.dir = join(net.dir, this.name);
    this.disk = join(this.dir, "disk.qcow2");
    this.user = opts.user ?? "admin";
    this.password = opts.password ?? "secret";
  }

  /** Creates the VM's disk and starts its BMC (the VM itself is off until powered on). */
  static async create(net: ProvisioningNetwork, opts: VmOptions = {}): Promise<RigVm> {
    const vm = new RigVm(net, opts);
    mkdirSync(vm.dir, { recursive: true });
    const size = String(opts.diskBytes ?? DEFAULT_DISK_BYTES);
    const backing = opts.backingImage
      ? ["-b", opts.backingImage, "-F", opts.backingImage.endsWith(".qcow2") ? "qcow2" : "raw"]
      : [];
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", ...backing, vm.disk, size]);
    await vm.startBmc();
    return vm;
  }

  private async startBmc(): Promise<void> {
    const o = this.opts;
    const bmc = startProcess(PYTHON, [
      VBMC, "--port", String(this.port), "--user", this.user, "--password", this.password,
      "--name", this.name, "--netns", this.net.name, "--tap", o.tap ?? this.net.taps[0], "--mac", this.mac,
      "--disk", this.disk, "--disk-format", "qcow2", "--memory", String(o.memory ?? 2048),
      "--firmware", o.firmware ?? "bios", "--workdir", this.dir,
    ], `vbmc ${this.name}`);
    this.net.track(bmc); // a crashed test still ends it when the network is disposed
    this.bmc = bmc;
    const ready = await bmc.waitForEvent((e) => e.event === "ready", 10_000);
    this.port = Number(ready.port);
  }

  /** What the vBMC reported: power actions, qemu_start (with its argv and boot device), qemu_exit, bootdev. */
  get events(): JsonEvent[] {
    return this.bmc?.events ?? [];
  }

  waitForEvent(match: (e: JsonEvent) => boolean, timeoutMs: number): Promise<JsonEvent> {
    if (!this.bmc) return Promise.reject(new Error(`${this.name}: the BMC is not running`));
    return this.bmc.waitForEvent(match, timeoutMs);
  }

  get serialLog(): string {
    return join(this.dir, "serial.log");
  }

  /** The unix socket of the VM's first serial port (interactive; serialText() has everything printed). */
  get serialSocket(): string {
    return join(this.dir, "serial.sock");
  }

  /**
   * The serial port on a TCP port of the host's 127.0.0.1 (what a `tcp-serial` console connects
   * to; QEMU itself is in the namespace, so a relay to its unix socket). Ended with the network.
   * QEMU serves one client of the socket at a time: not while a SOL session (solActivate()) holds it.
   */
  async serialTcpPort(): Promise<number> {
    const relay = startProcess(PYTHON, [FORWARDER, "--listen", "tcp:127.0.0.1:0", "--connect", `unix:${this.serialSocket}`], `serial relay ${this.name}`);
    this.net.track(relay);
    const ready = await relay.waitForEvent((e) => e.event === "ready", 10_000);
    return Number(ready.port);
  }

  /** Everything the VM printed on its serial port so far (all power-ons). */
  serialText(): string {
    return existsSync(this.serialLog) ? readFileSync(this.serialLog, "latin1") : "";
  }

  /** What QEMU itself printed (errors starting the VM). */
  qemuStderr(): string {
    const f = join(this.dir, "qemu.stderr");
    return existsSync(f) ? readFileSync(f, "utf8") : "";
  }

  /** Waits until the serial output (from `fromOffset` on) matches; returns the match. */
  async waitForSerial(pattern: RegExp, timeoutMs: number, fromOffset = 0): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.serialText().slice(fromOffset).match(pattern);
      if (m) return m;
      if (Date.now() > deadline) {
        throw new Error(`${this.name}: ${pattern} not on the serial port within ${timeoutMs} ms; last output:\n${this.serialText().slice(-3000)}\nqemu: ${this.qemuStderr()}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private ipmitoolArgs(command: string[]): string[] {
    return ["-I", "lanplus", "-H", "127.0.0.1", "-p", String(this.port), "-U", this.user, "-P", this.password, "-R", "2", "-N", "5", ...command];
  }

  /** Runs ipmitool (lanplus) against this VM's BMC; returns stdout. */
  ipmitool(...command: string[]): string {
    return execFileSync(ipmitoolPath(), this.ipmitoolArgs(command), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  /**
   * `ipmitool -I lanplus … sol activate` on this VM's BMC, as an operator's terminal runs it: its
   * stdout is the VM's serial output (after ipmitool's "[SOL Session operational…]"), its stdin
   * goes to the VM; end of stdin ends the session. Ended with the network.
   */
  solActivate(): RigProcess {
    const sol = startProcess(ipmitoolPath(), this.ipmitoolArgs(["sol", "activate"]), `sol ${this.name}`);
    this.net.track(sol);
    return sol;
  }

  /** "on" | "off" as the BMC reports it (QEMU running or not). */
  powerState(): string {
    return this.ipmitool("chassis", "power", "status").trim().replace(/^Chassis Power is /, "");
  }

  /**
   * This VM as the machine behind a Redfish mock system (RedfishMock's `machine`): its power and
   * boot device go through the vBMC, so Redfish and IPMI drive the same QEMU controller.
   * Boot targets other than Pxe and Hdd (virtual media) are not supported: the VM boots its default order.
   */
  redfishMachine(): MockMachine {
    return {
      powerOn: (bootFrom) => {
        this.ipmitool("chassis", "bootdev", bootFrom.startsWith("Pxe") ? "pxe" : bootFrom.startsWith("Hdd") ? "disk" : "none");
        this.ipmitool("chassis", "power", "on");
      },
      powerOff: () => void this.ipmitool("chassis", "power", "off"),
      isOn: () => this.powerState() === "on",
    };
  }

  /** driver_info for an Ingot node managed through this VM's BMC. */
  driverInfo(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { ipmi_address: "127.0.0.1", ipmi_port: this.port, ipmi_username: this.user, ipmi_password: this.password, ...extra };
  }

  /** Stops the BMC, which ends the VM. */
  async dispose(): Promise<void> {
    await this.bmc?.stop(8000);
    this.bmc = null;
  }
}
