// The `dnsmasq` DHCP provider (Ironic's [dhcp]dhcp_provider=dnsmasq): Ingot runs one dnsmasq on
// the provisioning interface and keeps it running. It answers DHCP only for MACs Ingot wrote a
// host file for (one file per port of a node that is booting from the network; dhcp-ignore for
// every other MAC), and serves the iPXE binaries over TFTP: a BIOS machine's PXE firmware gets
// undionly.kpxe, a UEFI one (client architecture 7 or 9) snponly.efi, and iPXE itself (user class
// "iPXE") the URL of Ingot's chain script, which finds the node's own script by MAC.
// New host files are picked up by dnsmasq itself (inotify); removed ones need a SIGHUP.
import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DriverError } from "../errors.ts";
import { BOOT_PATH, macFileName } from "../netboot/ipxe_script.ts";
import type { NetbootSettings } from "../netboot/settings.ts";
import type { DhcpProvider } from "./types.ts";

/** The iPXE binaries served over TFTP (Debian package `ipxe`). */
export const IPXE_BIOS_FILE = "undionly.kpxe";
export const IPXE_UEFI_FILE = "snponly.efi";

export interface DnsmasqOptions {
  /** Prepended to the command (e.g. ["ip", "netns", "exec", "prov"] to run it in a network namespace). */
  commandPrefix?: string[];
  /** Where dnsmasq's log lines go (default: the server log, prefixed). */
  log?: (line: string) => void;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** dnsmasq's configuration for the settings (no DNS, DHCP for known MACs only, TFTP). */
export function dnsmasqConfig(s: NetbootSettings): string {
  if (!s.dhcpInterface || !s.dhcpRange) throw new DriverError("The dnsmasq DHCP provider needs INGOT_DHCP_INTERFACE and INGOT_DHCP_RANGE.");
  if (!s.provisioningUrl) throw new DriverError("The dnsmasq DHCP provider needs INGOT_PROVISIONING_URL (the iPXE chain script's address).");
  return [
    "# Written by Ingot at each start: edits are lost (settings: docs/network-boot.md).",
    "port=0",
    "no-resolv",
    "no-hosts",
    `interface=${s.dhcpInterface}`,
    "bind-interfaces",
    `dhcp-range=${s.dhcpRange}`,
    `dhcp-hostsdir=${join(s.dnsmasqDir, "hosts")}`,
    `dhcp-leasefile=${join(s.dnsmasqDir, "dnsmasq.leases")}`,
    // Only machines Ingot is booting are answered.
    "dhcp-ignore=tag:!known",
    "dhcp-userclass=set:ipxe,iPXE",
    "dhcp-match=set:ipxe,175",
    "dhcp-match=set:efi,option:client-arch,7",
    "dhcp-match=set:efi,option:client-arch,9",
    `dhcp-boot=tag:ipxe,${s.provisioningUrl}${BOOT_PATH}/boot.ipxe`,
    `dhcp-boot=tag:!ipxe,tag:efi,${IPXE_UEFI_FILE}`,
    `dhcp-boot=tag:!ipxe,tag:!efi,${IPXE_BIOS_FILE}`,
    "enable-tftp",
    `tftp-root=${s.tftpRoot}`,
    "tftp-secure",
    "log-dhcp",
    "",
  ].join("\n");
}

export class DnsmasqProvider implements DhcpProvider {
  readonly name = "dnsmasq" as const;
  private child: ChildProcess | null = null;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelayMs = 1000;
  /** How many times it was (re)started: tests and the log read it. */
  starts = 0;

  constructor(
    private readonly settings: NetbootSettings,
    private readonly opts: DnsmasqOptions = {},
  ) {}

  get hostsDir(): string {
    return join(this.settings.dnsmasqDir, "hosts");
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private log(line: string): void {
    (this.opts.log ?? ((l: string) => console.log(`[dnsmasq] ${l}`)))(line);
  }

  async updateDhcp(nodeUuid: string, macs: string[]): Promise<void> {
    await mkdir(this.hostsDir, { recursive: true });
    // A node's MACs may have changed since it last booted: start from its current ports only.
    const stale = await this.removeHostFiles(nodeUuid);
    for (const raw of macs) {
      const mac = raw.trim().toLowerCase();
      if (!MAC.test(mac)) throw new DriverError(`Port address "${raw}" of node ${nodeUuid} is not a MAC address dnsmasq can answer.`);
      // A host entry marks the MAC "known" (dhcp-ignore=tag:!known drops everyone else).
      await writeFile(join(this.hostsDir, `${nodeUuid}_${macFileName(mac)}`), `${mac},set:ingot\n`);
    }
    if (stale) this.reload();
  }

  async cleanDhcp(nodeUuid: string): Promise<void> {
    if (await this.removeHostFiles(nodeUuid)) this.reload();
  }

  /** Removes the node's host files; true when there were any. */
  private async removeHostFiles(nodeUuid: string): Promise<boolean> {
    let names: string[];
    try {
      names = await readdir(this.hostsDir);
    } catch {
      return false;
    }
    const mine = names.filter((n) => n.startsWith(`${nodeUuid}_`));
    for (const n of mine) await rm(join(this.hostsDir, n), { force: true });
    return mine.length > 0;
  }

  /** dnsmasq keeps removed host files' entries until it is told to read them again. */
  private reload(): void {
    this.child?.kill("SIGHUP");
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.stopping = false;
    const s = this.settings;
    await mkdir(this.hostsDir, { recursive: true });
    await mkdir(s.tftpRoot, { recursive: true });
    for (const file of [IPXE_BIOS_FILE, IPXE_UEFI_FILE]) {
      try {
        await copyFile(join(s.ipxeDir, file), join(s.tftpRoot, file));
      } catch (err) {
        throw new DriverError(`Cannot copy ${file} from ${s.ipxeDir} to the TFTP root ${s.tftpRoot} (Debian package ipxe): ${(err as Error).message}`);
      }
    }
    await writeFile(join(s.dnsmasqDir, "dnsmasq.conf"), dnsmasqConfig(s));
    try {
      await this.launch();
    } catch (err) {
      // E.g. the interface is not up yet: keep trying (with backoff) while Ingot runs.
      if (!this.stopping) this.scheduleRestart();
      throw err;
    }
  }

  /** Starts dnsmasq and resolves once it serves DHCP; rejects with its own words when it exits first. */
  private launch(): Promise<void> {
    const s = this.settings;
    const args = [
      ...(this.opts.commandPrefix ?? []).slice(1), ...(this.opts.commandPrefix?.length ? [s.dnsmasqPath] : []),
      "--keep-in-foreground", "--log-facility=-", `--conf-file=${join(s.dnsmasqDir, "dnsmasq.conf")}`,
      "--pid-file", `--user=${s.dnsmasqUser}`,
    ];
    const command = this.opts.commandPrefix?.[0] ?? s.dnsmasqPath;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const output: string[] = [];
      const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
      this.child = child;
      this.starts++;
      const onLine = (line: string) => {
        if (!line) return;
        if (!ready) output.push(line);
        this.log(line);
        if (!ready && /DHCP, (IP range|proxy on)/.test(line)) {
          ready = true;
          this.restartDelayMs = 1000;
          resolve();
        }
      };
      let pending = "";
      const onData = (chunk: Buffer) => {
        pending += chunk.toString();
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const l of lines) onLine(l.trim());
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.on("error", (err) => {
        this.child = null;
        if (!ready) reject(new DriverError(`Cannot start dnsmasq (${command}; Debian package dnsmasq-base): ${err.message}`));
      });
      child.on("exit", (code, signal) => {
        if (this.child === child) this.child = null;
        if (!ready) {
          reject(new DriverError(`dnsmasq exited at start (${signal ?? `code ${code}`}): ${output.join(" / ") || "no output"}`));
          return;
        }
        if (this.stopping) return;
        this.log(`exited (${signal ?? `code ${code}`}); starting it again in ${this.restartDelayMs / 1000} s`);
        this.scheduleRestart();
      });
    });
  }

  private scheduleRestart(): void {
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.launch().catch((err: Error) => {
        this.log(`restart failed: ${err.message}`);
        this.restartDelayMs = Math.min(this.restartDelayMs * 2, 30_000);
        this.scheduleRestart();
      });
    }, this.restartDelayMs);
    this.restartTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const child = this.child;
    if (!child) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
    this.child = null;
  }
}
