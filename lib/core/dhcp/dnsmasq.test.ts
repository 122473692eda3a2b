// The dnsmasq DHCP provider for real: Ingot's dnsmasq in a network namespace of its own, a DHCP
// client (busybox udhcpc) in a second namespace across a veth pair. A known MAC gets a lease and
// the iPXE boot file for its firmware (BIOS, UEFI, iPXE itself), the binary comes over TFTP, an
// unknown MAC gets nothing, host entries come and go while dnsmasq runs, a killed dnsmasq is
// started again, and stop() ends it. Both namespaces are removed afterwards.
import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb } from "../../testing/env.ts";
import { startServer } from "../../server/server.ts";
import { setConfig } from "../config.ts";
import { loadNetbootSettings, type NetbootSettings } from "../netboot/settings.ts";
import { DnsmasqProvider, dnsmasqConfig, IPXE_BIOS_FILE, IPXE_UEFI_FILE } from "./dnsmasq.ts";
import { setDhcpProvider } from "./provider.ts";

const IPXE_DIR = "/usr/lib/ipxe";

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** Why this test cannot run here, or null. */
function unavailable(): string | null {
  if (process.getuid?.() !== 0) return "not root (network namespaces and DHCP's port 67 need root)";
  if (run("dnsmasq", ["--version"]).status !== 0) return "dnsmasq is not installed (Debian package dnsmasq-base)";
  if (!/udhcpc/.test(run("busybox", ["--list"]).stdout)) return "busybox with udhcpc is not installed (Debian package busybox-static)";
  if (run("ip", ["-V"]).status !== 0) return "ip is not installed (Debian package iproute2)";
  for (const f of [IPXE_BIOS_FILE, IPXE_UEFI_FILE]) if (!existsSync(join(IPXE_DIR, f))) return `${IPXE_DIR}/${f} is missing (Debian package ipxe)`;
  return null;
}

const why = unavailable();
if (why) console.warn(`[dnsmasq.test] SKIPPED: ${why}`);

const tag = `${process.pid % 100000}`;
const SRV_NS = `ingot-dhcp-${tag}-srv`;
const CLI_NS = `ingot-dhcp-${tag}-cli`;
const SRV_IF = `igs${tag}`;
const CLI_IF = `igc${tag}`;
const NODE = "0d5f8f6e-6c8e-4b43-a0a1-1f1e6a1d2c3b";
const OTHER_NODE = "a7c1c1d2-8a0c-4d0b-9a55-7b5c3d2e1f00";
const KNOWN_MAC = "52:54:00:1a:2b:01";
const LATER_MAC = "52:54:00:1a:2b:02";
const UNKNOWN_MAC = "52:54:00:1a:2b:99";

let dir: string;
let settings: NetbootSettings;
let provider: DnsmasqProvider;
const logLines: string[] = [];

function ip(...args: string[]): void {
  const r = run("ip", args);
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr}`);
}

function setClientMac(mac: string): void {
  ip("-n", CLI_NS, "link", "set", CLI_IF, "down");
  ip("-n", CLI_NS, "link", "set", CLI_IF, "address", mac);
  ip("-n", CLI_NS, "link", "set", CLI_IF, "up");
}

interface Lease {
  event: string;
  ip: string;
  bootFile: string;
  siaddr: string;
}

/** One DHCP exchange from the client namespace; extra = udhcpc -x options (client arch, user class). */
async function dhcp(extra: string[] = [], tries = 4): Promise<Lease> {
  // Asynchronous, so dnsmasq's log is read meanwhile.
  const r = await new Promise<{ stdout: string }>((resolve) => {
    execFile("ip", ["netns", "exec", CLI_NS, "busybox", "udhcpc", "-i", CLI_IF, "-n", "-q", "-f", "-t", String(tries), "-T", "1", "-s", join(dir, "udhcpc.sh"), ...extra], { timeout: 30_000 }, (_err, stdout) => resolve({ stdout }));
  });
  const line = r.stdout.split("\n").reverse().find((l) => l.startsWith("EVENT="));
  const fields = Object.fromEntries((line ?? "EVENT=none").split("|").map((kv) => kv.split("=", 2) as [string, string]));
  return { event: fields.EVENT, ip: fields.ip ?? "", bootFile: fields.boot_file ?? "", siaddr: fields.siaddr ?? "" };
}

async function until(what: string, check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(why)(`dnsmasq DHCP provider in a network namespace${why ? ` (SKIPPED: ${why})` : ""}`, () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ingot-dnsmasq-"));
    // The client's script prints what the lease said, one line.
    writeFileSync(join(dir, "udhcpc.sh"), '#!/bin/sh\necho "EVENT=$1|ip=$ip|siaddr=$siaddr|boot_file=$boot_file"\n');
    chmodSync(join(dir, "udhcpc.sh"), 0o755);
    ip("netns", "add", SRV_NS);
    ip("netns", "add", CLI_NS);
    ip("link", "add", SRV_IF, "type", "veth", "peer", "name", CLI_IF);
    ip("link", "set", SRV_IF, "netns", SRV_NS);
    ip("link", "set", CLI_IF, "netns", CLI_NS);
    ip("-n", SRV_NS, "addr", "add", "10.213.7.1/24", "dev", SRV_IF);
    ip("-n", SRV_NS, "link", "set", SRV_IF, "up");
    ip("-n", SRV_NS, "link", "set", "lo", "up");
    ip("-n", CLI_NS, "link", "set", CLI_IF, "address", KNOWN_MAC);
    ip("-n", CLI_NS, "link", "set", CLI_IF, "up");
    settings = {
      ...loadNetbootSettings(),
      provisioningUrl: "http://10.213.7.1:3000", dhcpProvider: "dnsmasq", dhcpInterface: SRV_IF, dhcpRange: "10.213.7.100,10.213.7.150,1h",
      dnsmasqDir: join(dir, "dnsmasq"), tftpRoot: join(dir, "tftpboot"), ipxeDir: IPXE_DIR, dnsmasqPath: "dnsmasq", dnsmasqUser: "root",
    };
    provider = new DnsmasqProvider(settings, { commandPrefix: ["ip", "netns", "exec", SRV_NS], log: (l) => logLines.push(l) });
  }, 60_000);

  afterAll(async () => {
    await provider?.stop();
    for (const ns of [CLI_NS, SRV_NS]) run("ip", ["netns", "del", ns]);
    const left = run("ip", ["netns", "list"]).stdout;
    rmSync(dir, { recursive: true, force: true });
    expect(left).not.toContain(SRV_NS);
    expect(left).not.toContain(CLI_NS);
  });

  it("writes its configuration: DHCP for known MACs only, the boot file by firmware, TFTP", () => {
    const conf = dnsmasqConfig(settings);
    expect(conf).toContain("dhcp-ignore=tag:!known");
    expect(conf).toContain("dhcp-boot=tag:ipxe,http://10.213.7.1:3000/boot/boot.ipxe");
    expect(conf).toContain(`interface=${SRV_IF}`);
    expect(() => dnsmasqConfig({ ...settings, dhcpInterface: null })).toThrow("needs INGOT_DHCP_INTERFACE and INGOT_DHCP_RANGE");
  });

  it("answers a known MAC with a lease and the iPXE binary for its firmware, over TFTP too", async () => {
    await provider.updateDhcp(NODE, [KNOWN_MAC.toUpperCase()]);
    await provider.start();
    expect(provider.pid).not.toBeNull();

    const bios = await dhcp();
    expect(bios).toMatchObject({ event: "bound", siaddr: "10.213.7.1", bootFile: IPXE_BIOS_FILE });
    expect(bios.ip).toMatch(/^10\.213\.7\.1\d\d$/);
    // UEFI x86-64 firmware says client architecture 7 (option 93).
    expect(await dhcp(["-x", "93:0007"])).toMatchObject({ event: "bound", bootFile: IPXE_UEFI_FILE });
    expect(await dhcp(["-x", "93:0009"])).toMatchObject({ event: "bound", bootFile: IPXE_UEFI_FILE });
    // iPXE (user class "iPXE", option 77) is sent to Ingot's chain script.
    expect(await dhcp(["-x", "77:69505845"])).toMatchObject({ event: "bound", bootFile: "http://10.213.7.1:3000/boot/boot.ipxe" });

    // udhcpc -q only asks; the address for TFTP is set by hand.
    ip("-n", CLI_NS, "addr", "add", "10.213.7.99/24", "dev", CLI_IF);
    const fetched = join(dir, "fetched.kpxe");
    const tftp = run("ip", ["netns", "exec", CLI_NS, "busybox", "tftp", "-g", "-r", IPXE_BIOS_FILE, "-l", fetched, "10.213.7.1"]);
    expect(tftp.status, tftp.stderr).toBe(0);
    expect(readFileSync(fetched).equals(readFileSync(join(IPXE_DIR, IPXE_BIOS_FILE)))).toBe(true);
    ip("-n", CLI_NS, "addr", "flush", "dev", CLI_IF);
  }, 60_000);

  it("an unknown MAC gets nothing; a MAC added while dnsmasq runs is answered at once", async () => {
    setClientMac(UNKNOWN_MAC);
    expect((await dhcp([], 2)).event).toBe("leasefail");
    expect(logLines.join("\n")).toContain(`${UNKNOWN_MAC} ignored`);

    setClientMac(LATER_MAC);
    await provider.updateDhcp(OTHER_NODE, [LATER_MAC]);
    const starts = provider.starts;
    expect(await dhcp()).toMatchObject({ event: "bound", bootFile: IPXE_BIOS_FILE });
    expect(provider.starts).toBe(starts); // no restart: dnsmasq read the new host file itself
  }, 60_000);

  it("clean-up removes the node's host entries and dnsmasq stops answering them", async () => {
    await provider.cleanDhcp(OTHER_NODE);
    expect(readdirSync(join(settings.dnsmasqDir, "hosts")).filter((f) => f.startsWith(OTHER_NODE))).toEqual([]);
    expect(readdirSync(join(settings.dnsmasqDir, "hosts")).filter((f) => f.startsWith(NODE))).toHaveLength(1);
    expect((await dhcp([], 2)).event).toBe("leasefail");
    // The other node is still answered.
    setClientMac(KNOWN_MAC);
    expect((await dhcp()).event).toBe("bound");
  }, 60_000);

  it("a dnsmasq that cannot start says why, in its own words", async () => {
    const bad = new DnsmasqProvider({ ...settings, dhcpInterface: "nosuchif0", dnsmasqDir: join(dir, "bad") }, { commandPrefix: ["ip", "netns", "exec", SRV_NS], log: () => undefined });
    await expect(bad.start()).rejects.toThrow(/^dnsmasq exited at start \(code \d+\): .*unknown interface nosuchif0/);
    await bad.stop(); // also ends the retries
    expect(bad.pid).toBeNull();
  }, 30_000);

  it("a dnsmasq that dies is started again; stop() ends it", async () => {
    const first = provider.pid!;
    process.kill(first, "SIGKILL");
    await until("dnsmasq to be started again", () => provider.pid !== null && provider.pid !== first && provider.starts >= 2);
    await until("the new dnsmasq to serve", () => logLines.some((l, i) => i > 0 && /DHCP, IP range/.test(l) && logLines.slice(0, i).some((p) => /exited/.test(p))));
    expect((await dhcp()).event).toBe("bound");

    const last = provider.pid!;
    await provider.stop();
    expect(provider.pid).toBeNull();
    expect(() => process.kill(last, 0)).toThrow();
  }, 60_000);

  it("Ingot's server starts the provider with its conductor and stops it when it closes", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "ingot-dnsmasq-srv-"));
    Object.assign(process.env, { INGOT_DATA_DIR: dataDir, INGOT_DEMO: "0", INGOT_WEB: "0" });
    const db = await createTestDb();
    setConfig({ enabledHardwareTypes: ["fake-hardware"] });
    setDhcpProvider(provider);
    try {
      const srv = await startServer({ web: false, port: 0, host: "127.0.0.1", dev: true });
      const pid = provider.pid;
      expect(pid).not.toBeNull();
      expect((await dhcp()).event).toBe("bound");
      await srv.close();
      expect(provider.pid).toBeNull();
      expect(() => process.kill(pid!, 0)).toThrow();
    } finally {
      setDhcpProvider();
      setConfig();
      await db.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
