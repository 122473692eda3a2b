// Network boot settings (the `ipxe` boot interface, Ingot's boot files over HTTP, the DHCP
// provider), read from the environment once; tests override them with setNetbootSettings().
// Ironic's names in brackets: [deploy]http_url/http_root, [pxe]kernel_append_params,
// [conductor]deploy_kernel…, [dhcp]dhcp_provider, [dnsmasq]….
import { userInfo } from "node:os";
import { join, resolve } from "node:path";

export type DhcpProviderName = "none" | "dnsmasq";

export interface NetbootSettings {
  /** Base URL the machines reach Ingot's HTTP at (INGOT_PROVISIONING_URL; Ironic [deploy]http_url). */
  provisioningUrl: string | null;
  /** URL of the Bare Metal API as the agent reaches it (ipa-api-url): INGOT_AGENT_API_URL, else <provisioningUrl>/baremetal. */
  agentApiUrl: string | null;
  /** Where per-node boot files live while a node boots (INGOT_HTTP_ROOT; Ironic [deploy]http_root). */
  httpRoot: string;
  /** Kernels, ramdisks and ISOs downloaded from URLs, once each (INGOT_IMAGE_CACHE_DIR). */
  imageCacheDir: string;
  /** MiB the image cache may hold, 0 = no limit (INGOT_IMAGE_CACHE_SIZE; Ironic [pxe]image_cache_size). */
  imageCacheSizeMiB: number;
  /** Minutes an unused cached file is kept, 0 = for ever (INGOT_IMAGE_CACHE_TTL; Ironic [pxe]image_cache_ttl). */
  imageCacheTtlMinutes: number;
  /** Kernel parameters when the node has no kernel_append_params (Ironic [pxe]kernel_append_params). */
  kernelAppendParams: string;
  /** Used when driver_info has none of the pair (Ironic [conductor]deploy_kernel/…). */
  deployKernel: string | null;
  deployRamdisk: string | null;
  rescueKernel: string | null;
  rescueRamdisk: string | null;
  /** Seconds iPXE waits on a download before retrying; 0 = iPXE's own default (Ironic [pxe]ipxe_timeout). */
  ipxeTimeoutSeconds: number;
  /** INGOT_DHCP_PROVIDER (Ironic [dhcp]dhcp_provider): none | dnsmasq. */
  dhcpProvider: DhcpProviderName;
  /** dnsmasq: the provisioning interface (INGOT_DHCP_INTERFACE). */
  dhcpInterface: string | null;
  /** dnsmasq: dhcp-range value, e.g. "192.168.50.100,192.168.50.200,12h" (INGOT_DHCP_RANGE). */
  dhcpRange: string | null;
  /** dnsmasq: where it keeps its configuration, host files and leases (INGOT_DNSMASQ_DIR). */
  dnsmasqDir: string;
  /** dnsmasq: the TFTP root it serves (INGOT_TFTP_ROOT); the iPXE binaries are copied there. */
  tftpRoot: string;
  /** Where the iPXE binaries come from (INGOT_IPXE_DIR; Debian package `ipxe`). */
  ipxeDir: string;
  /** The dnsmasq program (INGOT_DNSMASQ; Debian package `dnsmasq-base`). */
  dnsmasqPath: string;
  /** User dnsmasq drops to after binding (INGOT_DNSMASQ_USER; default: the user running Ingot). */
  dnsmasqUser: string;
}

function env(name: string): string | null {
  const v = process.env[name]?.trim();
  return v ? v : null;
}

function dataDir(): string {
  return resolve(/*turbopackIgnore: true*/ process.env.INGOT_DATA_DIR || join(/*turbopackIgnore: true*/ process.cwd(), "data"));
}

const stripSlash = (url: string) => url.replace(/\/+$/, "");

/** A whole number ≥ 0 from the environment, else `fallback`; anything else stops the start. */
function count(name: string, fallback: number): number {
  const v = env(name);
  if (v === null) return fallback;
  if (!/^\d+$/.test(v)) throw new Error(`${name}: "${v}" is not a whole number (0 or more)`);
  return Number(v);
}

export function loadNetbootSettings(): NetbootSettings {
  const provisioningUrl = env("INGOT_PROVISIONING_URL");
  const provider = (env("INGOT_DHCP_PROVIDER") ?? "none").toLowerCase();
  if (provider !== "none" && provider !== "dnsmasq") throw new Error(`INGOT_DHCP_PROVIDER: "${provider}" is not one of none, dnsmasq`);
  const data = dataDir();
  const timeout = Number(env("INGOT_IPXE_TIMEOUT") ?? 0);
  return {
    provisioningUrl: provisioningUrl ? stripSlash(provisioningUrl) : null,
    agentApiUrl: env("INGOT_AGENT_API_URL") ? stripSlash(env("INGOT_AGENT_API_URL")!) : provisioningUrl ? `${stripSlash(provisioningUrl)}/baremetal` : null,
    httpRoot: resolve(env("INGOT_HTTP_ROOT") ?? join(data, "httpboot")),
    imageCacheDir: resolve(env("INGOT_IMAGE_CACHE_DIR") ?? join(data, "image-cache")),
    // Ironic's defaults: 20 GiB, a week.
    imageCacheSizeMiB: count("INGOT_IMAGE_CACHE_SIZE", 20480),
    imageCacheTtlMinutes: count("INGOT_IMAGE_CACHE_TTL", 10080),
    kernelAppendParams: process.env.INGOT_KERNEL_APPEND_PARAMS ?? "nofb nomodeset vga=normal",
    deployKernel: env("INGOT_DEPLOY_KERNEL"),
    deployRamdisk: env("INGOT_DEPLOY_RAMDISK"),
    rescueKernel: env("INGOT_RESCUE_KERNEL"),
    rescueRamdisk: env("INGOT_RESCUE_RAMDISK"),
    ipxeTimeoutSeconds: Number.isFinite(timeout) && timeout > 0 ? timeout : 0,
    dhcpProvider: provider,
    dhcpInterface: env("INGOT_DHCP_INTERFACE"),
    dhcpRange: env("INGOT_DHCP_RANGE"),
    dnsmasqDir: resolve(env("INGOT_DNSMASQ_DIR") ?? join(data, "dnsmasq")),
    tftpRoot: resolve(env("INGOT_TFTP_ROOT") ?? join(data, "tftpboot")),
    ipxeDir: env("INGOT_IPXE_DIR") ?? "/usr/lib/ipxe",
    dnsmasqPath: env("INGOT_DNSMASQ") ?? "dnsmasq",
    dnsmasqUser: env("INGOT_DNSMASQ_USER") ?? userInfo().username,
  };
}

let current: NetbootSettings | null = null;

export function netbootSettings(): NetbootSettings {
  current ??= loadNetbootSettings();
  return current;
}

/** Overrides settings (tests); pass nothing to re-read the environment on next use. */
export function setNetbootSettings(overrides?: Partial<NetbootSettings>): NetbootSettings {
  current = overrides ? { ...(current ?? loadNetbootSettings()), ...overrides } : null;
  return netbootSettings();
}
