// Proves the test rig on this machine: a VM booted through its virtual BMC network-boots (NIC ROM
// iPXE → DHCP from dnsmasq in the test's namespace → an iPXE script over HTTP) into the deploy
// ramdisk, whose real Ironic Python Agent then looks itself up at the test's HTTP server; and the
// test whole-disk image, booted from disk, prints its marker on the serial port, which the vBMC's
// Serial-over-LAN relays both ways.
// Runs only as root with /dev/net/tun, QEMU, iPXE ROMs, dnsmasq, ipmitool, pyghmi and the build
// tools present; the first run builds the ramdisk (~10 min), later runs use the cache.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedfishMock } from "../redfish_mock.ts";
import { buildRigArtifact, rigUnavailable } from "./environment.ts";
import { ProvisioningNetwork } from "./netns.ts";
import { RigVm } from "./vm.ts";

const HTTP_PORT = 8080;

const unavailable = rigUnavailable();

interface Recorded {
  method: string;
  url: string;
  at: number;
  /** When the answer was sent completely. */
  done?: number;
}

describe.skipIf(unavailable !== null)(`test rig${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let net: ProvisioningNetwork;
  let http: Server;
  const requests: Recorded[] = [];
  let ramdisk = "";
  let diskImage = "";
  const vms: RigVm[] = [];

  beforeAll(async () => {
    let t = Date.now();
    ramdisk = await buildRigArtifact("build-ramdisk.sh");
    console.log(`ramdisk ready in ${((Date.now() - t) / 1000).toFixed(1)} s: ${ramdisk} (initramfs ${(statSync(join(ramdisk, "initramfs.gz")).size / 1e6).toFixed(0)} MB)`);
    t = Date.now();
    diskImage = await buildRigArtifact("build-disk-image.sh");
    console.log(`disk image ready in ${((Date.now() - t) / 1000).toFixed(1)} s: ${diskImage}`);

    net = ProvisioningNetwork.create({ taps: 4 });
    const base = `http://${net.address}:${HTTP_PORT}`;
    const files: Record<string, string> = { "/vmlinuz": join(ramdisk, "vmlinuz"), "/initramfs.gz": join(ramdisk, "initramfs.gz") };
    http = createServer((req, res) => {
      const recorded: Recorded = { method: req.method ?? "", url: req.url ?? "", at: Date.now() };
      requests.push(recorded);
      res.on("finish", () => (recorded.done = Date.now()));
      const path = (req.url ?? "").split("?")[0];
      if (path === "/boot.ipxe") {
        res.setHeader("content-type", "text/plain");
        res.end(
          "#!ipxe\n" +
            `kernel ${base}/vmlinuz initrd=initramfs.gz console=ttyS0,115200 ipa-api-url=${base}/baremetal ipa-insecure=1 BOOTIF=01-\${netX/mac:hexhyp}\n` +
            `initrd ${base}/initramfs.gz\n` +
            "boot\n",
        );
      } else if (files[path]) {
        res.setHeader("content-length", statSync(files[path]).size);
        createReadStream(files[path]).pipe(res);
      } else if (path === "/baremetal" || path === "/baremetal/") {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ name: "rig", default_version: { id: "v1", version: "1.68", min_version: "1.1", status: "CURRENT" } }));
      } else {
        // nothing registered: the agent keeps polling lookup
        res.statusCode = 404;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ error_message: JSON.stringify({ faultstring: "Node not found", faultcode: "Client", debuginfo: null }) }));
      }
    });
    const socketPath = join(net.dir, "http.sock");
    await new Promise<void>((resolve) => http.listen(socketPath, resolve));
    await net.exposeUnixSocket(socketPath, HTTP_PORT);

    const [a, b, c] = net.address.split(".");
    const dnsmasq = net.spawn("dnsmasq", [
      "--conf-file=/dev/null", "--keep-in-foreground", "--log-facility=-", "--port=0", "--user=root", "--pid-file",
      "--bind-interfaces", `--interface=${net.bridge}`, `--dhcp-range=${a}.${b}.${c}.100,${a}.${b}.${c}.200,255.255.255.0,1h`,
      `--dhcp-leasefile=${join(net.dir, "dnsmasq.leases")}`, "--log-dhcp",
      "--dhcp-match=set:ipxe,175", `--dhcp-boot=tag:ipxe,${base}/boot.ipxe`,
    ], "dnsmasq");
    await new Promise((r) => setTimeout(r, 500));
    if (!dnsmasq.running) throw new Error(`dnsmasq did not start: ${dnsmasq.stderr}`);
  }, 40 * 60_000);

  afterAll(async () => {
    for (const vm of vms) await vm.dispose();
    await net?.dispose();
    await new Promise((r) => (http ? http.close(r) : r(undefined)));
    if (net) expect(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).not.toContain(net.name);
  }, 60_000);

  it("network-boots a VM through its BMC into the real agent, which looks itself up", async () => {
    const vm = await RigVm.create(net, { tap: net.taps[0], memory: 2048 });
    vms.push(vm);
    expect(vm.powerState()).toBe("off");
    vm.ipmitool("chassis", "bootdev", "pxe");
    const started = Date.now();
    vm.ipmitool("chassis", "power", "on");
    expect(vm.powerState()).toBe("on");

    const mac = vm.mac.toLowerCase();
    const lookup = await new Promise<Recorded>((resolve, reject) => {
      const poll = setInterval(() => {
        const hit = requests.find((r) => r.url.startsWith("/baremetal/v1/lookup?") && decodeURIComponent(r.url).toLowerCase().includes(mac));
        if (hit) {
          clearInterval(poll);
          resolve(hit);
        } else if (Date.now() - started > 480_000) {
          clearInterval(poll);
          reject(new Error(`no lookup within 480 s; requests: ${JSON.stringify(requests.map((r) => r.url))}\nserial:\n${vm.serialText().slice(-4000)}\nqemu: ${vm.qemuStderr()}`));
        }
      }, 500);
    });
    const script = requests.find((r) => r.url === "/boot.ipxe");
    const initramfs = requests.find((r) => r.url === "/initramfs.gz");
    const secs = (t: number | undefined) => `${(((t ?? NaN) - started) / 1000).toFixed(1)} s`;
    console.log(
      `VM start → iPXE script ${secs(script?.at)}, initramfs fetched ${secs(initramfs?.at)}..${secs(initramfs?.done)}, ` +
        `agent lookup ${secs(lookup.at)}: GET ${lookup.url}\n${vm.serialText().split("\n").filter((l) => l.includes("ingot-ramdisk:")).join("\n")}`,
    );
    expect(script).toBeDefined();
    expect(vm.serialText()).toContain("ingot-ramdisk: starting ironic-python-agent");
    vm.ipmitool("chassis", "power", "off");
    expect(vm.powerState()).toBe("off");
  }, 600_000);

  it("network-boots a UEFI VM (OVMF, the NIC ROM's EFI iPXE) into the ramdisk", async () => {
    const vm = await RigVm.create(net, { tap: net.taps[3], memory: 2048, firmware: "uefi" });
    vms.push(vm);
    vm.ipmitool("chassis", "bootdev", "pxe", "options=efiboot");
    const started = Date.now();
    vm.ipmitool("chassis", "power", "on");
    await vm.waitForSerial(/ingot-ramdisk: init started/, 300_000);
    console.log(`UEFI VM start → ramdisk /init ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(vm.events.find((e) => e.event === "qemu_start")?.argv).toContain("q35");
    vm.ipmitool("chassis", "power", "off");
    expect(vm.powerState()).toBe("off");
  }, 400_000);

  it("boots the test disk image from disk: its marker on the serial port and through Serial-over-LAN (typing too, across a power reset); an OS poweroff reads as off", async () => {
    const vm = await RigVm.create(net, { tap: net.taps[1], memory: 256, backingImage: join(diskImage, "disk.qcow2") });
    vms.push(vm);
    // SOL activated while the VM is off, as a real BMC allows: the vBMC reaches the serial port once QEMU runs.
    const sol = vm.solActivate();
    const solText = () => sol.stdout.replace(/\r/g, "");
    const solAfter = async (from: number, pattern: RegExp, ms: number) => {
      for (const end = Date.now() + ms; !pattern.test(solText().slice(from)); await new Promise((r) => setTimeout(r, 200))) {
        if (Date.now() > end || !sol.running) throw new Error(`${pattern} not through SOL within ${ms} ms (ipmitool ${sol.running ? "running" : "exited"}): ${solText().slice(-2000)} ${sol.stderr}`);
      }
    };
    // (ipmitool's "[SOL Session operational]" line is not flushed before the first console byte on a pipe)
    await vm.waitForEvent((e) => e.event === "sol_activate", 30_000);
    // One session at a time, as a real BMC.
    expect(() => vm.ipmitool("sol", "activate")).toThrow(/already active/i);

    vm.ipmitool("chassis", "bootdev", "disk");
    const started = Date.now();
    vm.ipmitool("chassis", "power", "on");
    const marker = await vm.waitForSerial(/INGOT-IMAGE-BOOTED (\S+)/, 180_000);
    console.log(`disk boot → marker ${((Date.now() - started) / 1000).toFixed(1)} s: ${marker[0]}`);
    expect(marker[1]).toMatch(/^ingot-rig-image-/);
    expect(vm.powerState()).toBe("on");
    await solAfter(0, new RegExp(`${marker[0]}[\\s\\S]*# `), 60_000);

    // Typed through SOL, run by the VM's shell (the arithmetic tells its output from the echo);
    // serial.log has it too.
    const token = `sol-${randomBytes(4).toString("hex")}`;
    sol.child.stdin.write(`echo ${token}-$((6*7))\n`);
    await solAfter(0, new RegExp(`\n${token}-42\n`), 30_000);
    await vm.waitForSerial(new RegExp(`${token}-42`), 10_000);

    // A reset is a new QEMU process: the same SOL session follows the VM into it.
    const solBefore = solText().length;
    const serialBefore = vm.serialText().length;
    vm.ipmitool("chassis", "power", "reset");
    await solAfter(solBefore, /INGOT-IMAGE-BOOTED[\s\S]*# /, 180_000);
    expect(vm.events.filter((e) => e.event === "serial_connected").length).toBeGreaterThanOrEqual(2);
    // ipmitool's escape (~. at a line start) ends the session; the vBMC lets go of the serial socket.
    sol.child.stdin.end("\n~.");
    await vm.waitForEvent((e) => e.event === "sol_deactivate", 15_000);
    await sol.exited;

    // the guest powers itself off: QEMU ends and the BMC says off (the socket's other client, a relay)
    await vm.waitForSerial(/INGOT-IMAGE-BOOTED[\s\S]*# /, 30_000, serialBefore);
    const serial = connect(await vm.serialTcpPort(), "127.0.0.1");
    await new Promise((r) => serial.once("connect", r));
    serial.write("poweroff\n");
    const deadline = Date.now() + 60_000;
    while (vm.powerState() !== "off" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
    serial.destroy();
    expect(vm.powerState()).toBe("off");
    const last = vm.events.filter((e) => e.event === "qemu_start").at(-1)!;
    expect((await vm.waitForEvent((e) => e.event === "qemu_exit" && e.pid === last.pid, 10_000)).code).toBe(0); // the guest's own power-off
  }, 420_000);

  it("drives the same VM controller through Redfish: boot override + reset boot the disk, PowerState follows the VM", async () => {
    const vm = await RigVm.create(net, { tap: net.taps[2], memory: 256, backingImage: join(diskImage, "disk.qcow2") });
    vms.push(vm);
    const bmc = new RedfishMock({ systems: [{ machine: vm.redfishMachine() }] });
    await bmc.start();
    try {
      const auth = { authorization: `Basic ${Buffer.from("root:calvin").toString("base64")}`, "content-type": "application/json" };
      const system = `${bmc.url}/redfish/v1/Systems/1`;
      const powerState = async () => ((await (await fetch(system, { headers: auth })).json()) as { PowerState: string }).PowerState;
      expect(await powerState()).toBe("Off");
      let res = await fetch(system, { method: "PATCH", headers: auth, body: JSON.stringify({ Boot: { BootSourceOverrideTarget: "Hdd", BootSourceOverrideEnabled: "Once" } }) });
      expect(res.ok).toBe(true);
      res = await fetch(`${system}/Actions/ComputerSystem.Reset`, { method: "POST", headers: auth, body: JSON.stringify({ ResetType: "On" }) });
      expect(res.ok).toBe(true);
      expect(vm.events.find((e) => e.event === "qemu_start")?.boot).toBe("disk");
      await vm.waitForSerial(/INGOT-IMAGE-BOOTED/, 180_000);
      expect(await powerState()).toBe("On");
      res = await fetch(`${system}/Actions/ComputerSystem.Reset`, { method: "POST", headers: auth, body: JSON.stringify({ ResetType: "ForceOff" }) });
      expect(res.ok).toBe(true);
      expect(vm.powerState()).toBe("off");
      expect(await powerState()).toBe("Off");
    } finally {
      await bmc.stop();
    }
  }, 300_000);
});
