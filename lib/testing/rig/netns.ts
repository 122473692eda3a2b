// A private provisioning network for a test: a network namespace holding a bridge with an address
// and N tap devices on it, for VMs (QEMU runs inside the namespace and opens its tap by name),
// dnsmasq and whatever else the test starts there. Nothing of it is visible outside the namespace;
// deleting the namespace removes the bridge and the taps with it. Needs root and /dev/net/tun.
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startProcess, type RigProcess } from "./process.ts";

/** Every namespace the rig makes is called `ingot-rig-<pid of the creating process>-<n>`. */
export const NETNS_PREFIX = "ingot-rig-";
export const FORWARDER = fileURLToPath(new URL("./nsforward.py", import.meta.url));
export const PYTHON = process.env.INGOT_TEST_PYTHON ?? "/usr/bin/python3";
let counter = 0;

function ip(...args: string[]): string {
  return execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Why a namespace cannot be made here, or null. */
export function netnsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return "not root (network namespaces, bridges and taps need root)";
  if (!existsSync("/dev/net/tun")) return "/dev/net/tun is missing (tap devices)";
  const probe = spawnSync("ip", ["netns", "list"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return "iproute2's `ip netns` does not work here";
  return null;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Ends the processes still in a namespace, then deletes it (its bridge and taps go with it). */
function deleteNamespace(name: string): void {
  const pids = spawnSync("ip", ["netns", "pids", name], { encoding: "utf8" }).stdout?.split(/\s+/).filter(Boolean).map(Number) ?? [];
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  spawnSync("ip", ["netns", "delete", name]);
}

/**
 * Removes namespaces left by rig runs that crashed: those named with NETNS_PREFIX whose creating
 * process is gone (a namespace of a run still going on is left alone).
 */
export function cleanupLeftoverNetworks(): string[] {
  const removed: string[] = [];
  const list = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
  for (const line of list.split("\n")) {
    const name = line.split(" ")[0];
    const m = name?.match(/^ingot-rig-(\d+)-\d+$/);
    if (!m || pidAlive(Number(m[1]))) continue;
    deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

export interface ProvisioningNetworkOptions {
  /** How many tap devices (tap0, tap1, ...) to attach to the bridge. */
  taps?: number;
  /** The bridge's address with its prefix length. */
  address?: string;
}

export class ProvisioningNetwork {
  readonly bridge = "br0";
  readonly taps: string[];
  /** The bridge's address (without prefix length). */
  readonly address: string;
  readonly prefixLength: number;
  /** A temporary directory for unix sockets and files of this network's processes. */
  readonly dir: string;
  private readonly processes = new Set<RigProcess>();
  private disposed = false;

  private constructor(readonly name: string, opts: Required<ProvisioningNetworkOptions>) {
    const [addr, prefix] = opts.address.split("/");
    this.address = addr;
    this.prefixLength = Number(prefix ?? 24);
    this.taps = Array.from({ length: opts.taps }, (_, i) => `tap${i}`);
    this.dir = mkdtempSync(join(tmpdir(), `${name}-`));
  }

  static create(opts: ProvisioningNetworkOptions = {}): ProvisioningNetwork {
    const why = netnsUnavailable();
    if (why) throw new Error(`cannot create a provisioning network: ${why}`);
    cleanupLeftoverNetworks();
    const name = `${NETNS_PREFIX}${process.pid}-${counter++}`;
    const net = new ProvisioningNetwork(name, { taps: opts.taps ?? 1, address: opts.address ?? "10.42.0.1/24" });
    try {
      ip("netns", "add", name);
      net.ipIn("link", "set", "lo", "up");
      net.ipIn("link", "add", net.bridge, "type", "bridge");
      net.ipIn("addr", "add", `${net.address}/${net.prefixLength}`, "dev", net.bridge);
      net.ipIn("link", "set", net.bridge, "up");
      for (const tap of net.taps) {
        net.ipIn("tuntap", "add", "dev", tap, "mode", "tap");
        net.ipIn("link", "set", tap, "master", net.bridge);
        net.ipIn("link", "set", tap, "up");
      }
    } catch (e) {
      net.dispose();
      throw e;
    }
    return net;
  }

  /** Runs `ip ARGS` inside the namespace. */
  ipIn(...args: string[]): string {
    return ip("-n", this.name, ...args);
  }

  /** The argv prefix that runs a command inside the namespace. */
  wrap(command: string, args: string[]): [string, string[]] {
    return ["ip", ["netns", "exec", this.name, command, ...args]];
  }

  /** Runs a command inside the namespace to completion and returns its stdout. */
  exec(command: string, args: string[]): string {
    const [cmd, argv] = this.wrap(command, args);
    return execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }

  /** exec() without blocking this process (needed when it talks to a server of this process). */
  run(command: string, args: string[]): Promise<string> {
    const [cmd, argv] = this.wrap(command, args);
    return new Promise((resolve, reject) =>
      execFile(cmd, argv, { encoding: "utf8" }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}${stderr}`)) : resolve(stdout))),
    );
  }

  /** Starts a long-running process inside the namespace; dispose() ends it. */
  spawn(command: string, args: string[], label = command): RigProcess {
    const [cmd, argv] = this.wrap(command, args);
    const p = startProcess(cmd, argv, label);
    this.track(p);
    return p;
  }

  /** Lets dispose() end a process started elsewhere (e.g. one that starts others in this namespace). */
  track(p: RigProcess): void {
    this.processes.add(p);
    void p.exited.then(() => this.processes.delete(p));
  }

  /**
   * Makes a server the test runs on a unix socket reachable inside the namespace at
   * `address:port` (e.g. the bridge address), so guests on the bridge can call it.
   */
  async exposeUnixSocket(socketPath: string, port: number, address = this.address): Promise<RigProcess> {
    const p = this.spawn(PYTHON, [FORWARDER, "--listen", `tcp:${address}:${port}`, "--connect", `unix:${socketPath}`], `forward ${address}:${port}`);
    await p.waitForEvent((e) => e.event === "ready", 10_000);
    return p;
  }

  /**
   * The other way: a unix socket (returned) whose connections reach `address:port` inside the
   * namespace (e.g. a guest's agent on 10.42.0.x:9999); Node's http(s).request takes it as socketPath.
   */
  async reachInside(address: string, port: number): Promise<string> {
    const socketPath = join(this.dir, `to-${address}-${port}.sock`);
    const p = this.spawn(PYTHON, [FORWARDER, "--listen", `unix:${socketPath}`, "--connect", `tcp:${address}:${port}`], `forward to ${address}:${port}`);
    await p.waitForEvent((e) => e.event === "ready", 10_000);
    return socketPath;
  }

  /** Ends every process started through this network, deletes the namespace and the temporary directory. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all([...this.processes].map((p) => p.stop()));
    deleteNamespace(this.name);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
