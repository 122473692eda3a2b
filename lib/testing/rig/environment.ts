// The provisioning environment of the rig, set up and torn down in one place (the end-to-end
// test and `npm run bench:rig` use it): a network namespace with a bridge and taps, a veth pair
// from the host into the bridge, the test disk image served over http on the bridge, a real
// Ingot server (conductor, Bare Metal API, /boot/ and, if asked, the dashboard on 127.0.0.1; its
// dnsmasq DHCP provider inside the namespace on the bridge), a relay that makes Ingot reachable
// from the namespace, and QEMU VMs behind virtual BMCs.
//
// Wiring: the machines reach Ingot at the bridge address (10.77.N.1:3000, a relay across the
// namespace to Ingot's loopback port); the conductor reaches the agent's API (https on the VM's
// DHCP address, port 9999) through the veth pair, whose host end (10.77.N.2) gives the host a
// route to the provisioning network — as a real conductor's provisioning interface does. Deleting
// the namespace deletes the pair and the route.
//
// Ingot's modules are imported only after start() has set the environment they read.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { IngotConfig } from "../../core/config.ts";
import type { RunningServer } from "../../server/server.ts";
import { createTestDb, type TestDb } from "../env.ts";
import type { OpenstackCli } from "../openstack.ts";
import { FORWARDER, netnsUnavailable, ProvisioningNetwork, PYTHON } from "./netns.ts";
import { startProcess } from "./process.ts";
import { RigVm, vmUnavailable, type VmOptions } from "./vm.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const INGOT_PORT = 3000;
const IMAGE_PORT = 8080;
/** Per phase: a VM boot under TCG on a loaded machine takes 2–5 min, a phase may boot twice. */
export const RIG_PHASE_SECONDS = 1200;
/** The environment start() sets for Ingot; stop() puts the previous values back. */
const INGOT_ENV: Record<string, string> = { INGOT_DEMO: "0", INGOT_WEB: "0", INGOT_API_AUTH: "noauth", INGOT_IPMI_RETRY_BACKOFF_MS: "500" };

/** The vendored IPA source build-ramdisk.sh packs (the same places it looks). */
function ipaTarball(): string | null {
  const candidates = [
    process.env.INGOT_IPA_TARBALL,
    join(HERE, "..", "..", "..", "..", "shared", "vendor", "ironic-python-agent-zed-eom.tar.gz"),
    "/work/shared/vendor/ironic-python-agent-zed-eom.tar.gz",
  ];
  return candidates.find((c): c is string => !!c && existsSync(c)) ?? null;
}

/** Why the rig cannot provision VMs on this machine (a reason naming what to install), or null. */
export function rigUnavailable(): string | null {
  const why = netnsUnavailable() ?? vmUnavailable();
  if (why) return why;
  for (const [tool, pkg] of [["dnsmasq", "dnsmasq-base"], ["debootstrap", "debootstrap"], ["extlinux", "extlinux"], ["cpio", "cpio"], ["sfdisk", "fdisk"]]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install ${pkg})`;
  }
  if (!existsSync("/usr/lib/ipxe/undionly.kpxe")) return "iPXE binaries are missing (apt-get install ipxe)";
  if (!existsSync("/bin/busybox") || !existsSync("/usr/lib/syslinux/mbr/mbr.bin")) return "busybox-static or syslinux-common is not installed";
  if (!ipaTarball()) return "the vendored agent source is missing (../shared/vendor/ironic-python-agent-zed-eom.tar.gz, or INGOT_IPA_TARBALL)";
  return null;
}

/** Runs a build script of the rig (cached after its first run), progress to stderr; resolves with its result directory. */
export function buildRigArtifact(script: "build-ramdisk.sh" | "build-disk-image.sh"): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", [join(HERE, script)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => process.stderr.write(d));
    child.on("exit", (code) => (code === 0 ? resolve(out.trim().split("\n").pop()!) : reject(new Error(`${script} failed (${code})`))));
  });
}

/** A /24 of 10.77.0.0/16 the host has no route to yet, starting from one picked by the pid (two runs never share one). */
function freeSubnet(): string {
  const routes = spawnSync("ip", ["-4", "route", "show"], { encoding: "utf8" }).stdout ?? "";
  for (let i = 0; i < 250; i++) {
    const subnet = `10.77.${(process.pid + i) % 250}`;
    if (!routes.includes(`${subnet}.0/24`)) return subnet;
  }
  throw new Error("no free 10.77.N.0/24 for the rig's provisioning network");
}

function ip(...args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

export interface RigEnvironmentOptions {
  /** VMs (each behind its IPMI vBMC, powered off) made at start, on tap0, tap1, ... (default 1). */
  vms?: number;
  /** Taps on the bridge (default: one per VM, at least 2); addVm() takes the free ones. */
  taps?: number;
  /** MiB of memory of each VM made at start (default 2048: the deploy ramdisk's need). */
  memory?: number;
  /** Settings on top of the rig's (automated cleaning on, erase_devices off, long call-back timeout). */
  config?: Partial<IngotConfig>;
  /**
   * Ingot serves its dashboard too (Next, from the production build: `npm run build` first; start()
   * fails without one), for a browser on the host at `server.url`.
   */
  web?: boolean;
}

export interface RigImage {
  /** The build's directory (disk.raw, disk.qcow2, their checksums, image-id). */
  dir: string;
  /** disk.raw over http on the bridge, for instance_info.image_source. */
  url: string;
  sha256: string;
  /** What the image prints on its serial port once booted: `INGOT-IMAGE-BOOTED <id> ...`. */
  id: string;
}

export class RigEnvironment {
  readonly subnet = freeSubnet();
  /** Ingot and the image server, inside the namespace. */
  readonly bridgeAddress = `${this.subnet}.1`;
  /** The host's end of the veth pair into the bridge. */
  readonly hostAddress = `${this.subnet}.2`;
  /** Where the machines reach Ingot. */
  readonly provisioningUrl = `http://${this.bridgeAddress}:${INGOT_PORT}`;
  readonly hostVeth = `ingrig${process.pid % 100000}`;
  readonly vms: RigVm[] = [];
  /** What Ingot's dnsmasq logged (DHCP requests and answers). */
  readonly dnsmasqLog: string[] = [];
  net: ProvisioningNetwork | undefined;
  db: TestDb | undefined;
  server: RunningServer | undefined;
  /** The Bare Metal API's endpoint (OS_ENDPOINT for the openstack client). */
  apiUrl = "";
  ramdisk = { dir: "", kernel: "", initramfs: "" };
  image: RigImage = { dir: "", url: "", sha256: "", id: "" };
  private dir = "";
  private savedEnv: Record<string, string | undefined> = {};
  private stopped = false;

  private constructor() {}

  /**
   * Builds (or takes from the cache) the ramdisk and the disk image, then starts everything. On a
   * failure what was started is removed before the error is thrown.
   */
  static async start(opts: RigEnvironmentOptions = {}): Promise<RigEnvironment> {
    const env = new RigEnvironment();
    try {
      await env.setUp(opts);
    } catch (err) {
      await env.stop();
      throw err;
    }
    return env;
  }

  private async setUp(opts: RigEnvironmentOptions): Promise<void> {
    const ramdiskDir = await buildRigArtifact("build-ramdisk.sh");
    this.ramdisk = { dir: ramdiskDir, kernel: join(ramdiskDir, "vmlinuz"), initramfs: join(ramdiskDir, "initramfs.gz") };
    const imageDir = await buildRigArtifact("build-disk-image.sh");
    this.image = {
      dir: imageDir,
      url: `http://${this.bridgeAddress}:${IMAGE_PORT}/disk.raw`,
      sha256: readFileSync(join(imageDir, "disk.raw.sha256"), "utf8").trim().split(/\s+/)[0],
      id: readFileSync(join(imageDir, "image-id"), "utf8").trim(),
    };
    this.dir = mkdtempSync(join(tmpdir(), "ingot-rig-env-"));

    const vms = opts.vms ?? 1;
    const net = ProvisioningNetwork.create({ taps: opts.taps ?? Math.max(vms, 2), address: `${this.bridgeAddress}/24` });
    this.net = net;
    spawnSync("ip", ["link", "del", this.hostVeth]);
    ip("link", "add", this.hostVeth, "type", "veth", "peer", "name", "tohost", "netns", net.name);
    net.ipIn("link", "set", "tohost", "master", net.bridge);
    net.ipIn("link", "set", "tohost", "up");
    ip("addr", "add", `${this.hostAddress}/24`, "dev", this.hostVeth);
    ip("link", "set", this.hostVeth, "up");

    // The test image, served over http on the bridge (the agent downloads it itself).
    const images = net.spawn(PYTHON, ["-m", "http.server", String(IMAGE_PORT), "--bind", this.bridgeAddress, "--directory", imageDir], "image server");
    await new Promise((r) => setTimeout(r, 1000));
    if (!images.running) throw new Error(`the image server did not start: ${images.stderr}`);

    for (const name of [...Object.keys(INGOT_ENV), "INGOT_DATA_DIR", "DATABASE_URL"]) this.savedEnv[name] = process.env[name];
    Object.assign(process.env, INGOT_ENV, { INGOT_DATA_DIR: join(this.dir, "data") });
    const { setConfig } = await import("../../core/config.ts");
    const { setNetbootSettings, loadNetbootSettings } = await import("../../core/netboot/settings.ts");
    const { DnsmasqProvider } = await import("../../core/dhcp/dnsmasq.ts");
    const { setDhcpProvider } = await import("../../core/dhcp/provider.ts");
    this.db = await createTestDb();
    setConfig({
      conductorHostname: "rig-conductor", enabledHardwareTypes: ["ipmi", "redfish"], automatedClean: true,
      // TCG would take hours to shred a 4 GiB disk; the metadata erase stays.
      eraseDevicesPriority: 0, callbackTimeoutSeconds: RIG_PHASE_SECONDS,
      ...opts.config,
    });
    const settings = setNetbootSettings({
      ...loadNetbootSettings(),
      provisioningUrl: this.provisioningUrl, agentApiUrl: `${this.provisioningUrl}/baremetal`,
      httpRoot: join(this.dir, "httpboot"), imageCacheDir: join(this.dir, "image-cache"),
      dhcpProvider: "dnsmasq", dhcpInterface: net.bridge, dhcpRange: `${this.subnet}.100,${this.subnet}.200,1h`,
      dnsmasqDir: join(this.dir, "dnsmasq"), tftpRoot: join(this.dir, "tftpboot"), dnsmasqUser: "root",
    });
    setDhcpProvider(new DnsmasqProvider(settings, { commandPrefix: ["ip", "netns", "exec", net.name], log: (l) => this.dnsmasqLog.push(l) }));
    const { startServer } = await import("../../server/server.ts");
    // The dashboard, when asked for, from the production build: Next's development server would
    // compile each page on first use, on the cores the VMs need.
    const web = opts.web ?? false;
    this.server = await startServer({ web, port: 0, host: "127.0.0.1", dev: !web });
    this.apiUrl = `${this.server.url}/baremetal`;
    // Ingot's loopback port, reachable in the namespace at the bridge address.
    const port = new URL(this.server.url).port;
    const socket = join(net.dir, "ingot.sock");
    const relay = startProcess(PYTHON, [FORWARDER, "--listen", `unix:${socket}`, "--connect", `tcp:127.0.0.1:${port}`], "ingot relay");
    net.track(relay);
    await relay.waitForEvent((e) => e.event === "ready", 10_000);
    await net.exposeUnixSocket(socket, INGOT_PORT);

    for (let i = 0; i < vms; i++) await this.addVm({ memory: opts.memory ?? 2048 });
  }

  /** One more VM behind its IPMI vBMC (powered off), on the first tap no VM uses. */
  async addVm(opts: VmOptions = {}): Promise<RigVm> {
    const net = this.net!;
    const tap = opts.tap ?? net.taps.find((t) => !this.vms.some((v) => (v.opts.tap ?? net.taps[0]) === t));
    if (!tap) throw new Error(`all ${net.taps.length} taps of the rig have a VM; start it with more taps`);
    const vm = await RigVm.create(net, { memory: 2048, ...opts, tap });
    this.vms.push(vm);
    return vm;
  }

  /** driver_info keys of the rig's deploy (and rescue) ramdisk, to merge into any BMC's driver_info. */
  ramdiskDriverInfo(): Record<string, string> {
    return {
      deploy_kernel: this.ramdisk.kernel, deploy_ramdisk: this.ramdisk.initramfs,
      rescue_kernel: this.ramdisk.kernel, rescue_ramdisk: this.ramdisk.initramfs,
      kernel_append_params: "%default% console=ttyS0,115200",
    };
  }

  /**
   * Enrolls an `ipmi` node for a VM through the openstack client: `ipxe` boot, `direct` deploy,
   * `agent` inspect and rescue, `ipmitool-sol` console (the vBMC's Serial-over-LAN is the VM's
   * serial port), the vBMC's credentials and the rig's ramdisk; a port with the VM's MAC. Resolves with the created node (`node create`'s JSON).
   */
  async enrollIpmiNode(cli: OpenstackCli, vm: RigVm, name: string): Promise<Record<string, any>> {
    const info = vm.driverInfo(this.ramdiskDriverInfo());
    const created = await cli.osJson("node", "create", "--driver", "ipmi", "--name", name,
      "--boot-interface", "ipxe", "--deploy-interface", "direct", "--inspect-interface", "agent", "--rescue-interface", "agent", "--console-interface", "ipmitool-sol",
      ...Object.entries(info).flatMap(([k, val]) => ["--driver-info", `${k}=${val}`]));
    await cli.osJson("port", "create", vm.mac, "--node", created.uuid);
    return created;
  }

  /** Points a node at the rig's image (`image_source` + `image_checksum`; another checksum to make it fail). */
  async setImage(cli: OpenstackCli, node: string, checksum = this.image.sha256): Promise<void> {
    await cli.os("node", "set", node, "--instance-info", `image_source=${this.image.url}`, "--instance-info", `image_checksum=${checksum}`);
  }

  /**
   * Ends everything start() made, also after a failed start: the server (its conductor and
   * dnsmasq), the VMs and their BMCs, every process in the namespace, the namespace (bridge, taps,
   * veth pair), the database and the temporary files; Ingot's settings and environment go back.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const errors: unknown[] = [];
    const attempt = async (step: () => unknown) => {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    };
    await attempt(() => this.server?.close()); // stops the conductor and dnsmasq
    await attempt(async () => (await import("../../core/dhcp/provider.ts")).setDhcpProvider());
    for (const vm of this.vms) await attempt(() => vm.dispose());
    await attempt(() => this.net?.dispose());
    spawnSync("ip", ["link", "del", this.hostVeth]);
    await attempt(() => this.db?.cleanup());
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    await attempt(async () => (await import("../../core/config.ts")).setConfig());
    await attempt(async () => (await import("../../core/netboot/settings.ts")).setNetbootSettings());
    for (const [name, value] of Object.entries(this.savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    if (errors.length) throw new AggregateError(errors, `stopping the rig environment: ${errors.map(String).join("; ")}`);
  }

  /** What stop() left behind (the namespace, the host's veth, the temporary directory): empty when all is gone. */
  leftovers(): string[] {
    const left: string[] = [];
    const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout ?? "";
    if (this.net && namespaces.split("\n").some((l) => l.split(" ")[0] === this.net!.name)) left.push(`network namespace ${this.net.name}`);
    if (spawnSync("ip", ["link", "show", this.hostVeth]).status === 0) left.push(`host veth ${this.hostVeth}`);
    if (this.dir && existsSync(this.dir)) left.push(this.dir);
    if (this.net && existsSync(this.net.dir)) left.push(this.net.dir);
    return left;
  }
}
