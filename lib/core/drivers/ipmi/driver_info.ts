// driver_info of the `ipmi` hardware type: parsing, validation (worded as Ironic's ipmitool
// driver where it has wording) and the driver properties shown by GET /v1/drivers/ipmi/properties.
// Secrets (ipmi_password, ipmi_hex_kg_key) are masked centrally by lib/shared/secrets.ts.
import { isIP } from "node:net";
import type { NodeRecord } from "../../db/nodes.ts";
import { Invalid } from "../../errors.ts";

export const VALID_PRIV_LEVELS = ["ADMINISTRATOR", "CALLBACK", "OPERATOR", "USER"] as const;
export const VALID_PROTOCOL_VERSIONS = ["2.0", "1.5"] as const;
const BRIDGING_TYPES = ["single", "dual", "no"] as const;

/** Ingot defaults, overridable per node (driver_info) or per conductor (environment). */
export const IPMI_DEFAULTS = {
  /** Seconds one ipmitool run may take before it is killed. */
  timeout: 10,
  /** Further attempts after a retryable failure (timeout, BMC busy). */
  retries: 2,
} as const;

export const IPMI_PROPERTIES: Record<string, string> = {
  ipmi_address: "IP address or hostname of the node's BMC. Required.",
  ipmi_port: "remote IPMI RMCP port (UDP, 1-65535); default is 623. Optional.",
  ipmi_username: "username; default is NULL user. Optional.",
  ipmi_password: "password (never shown by the API). Optional.",
  ipmi_priv_level: `privilege level; default is ADMINISTRATOR. One of ${VALID_PRIV_LEVELS.join(", ")}. Optional.`,
  ipmi_protocol_version: 'the version of the IPMI protocol; default is "2.0" (lanplus). One of "1.5", "2.0". Optional.',
  ipmi_hex_kg_key: "Kg key for IPMIv2 authentication, in hexadecimal (never shown by the API). Optional.",
  ipmi_cipher_suite:
    "The number of a cipher suite to use. Only 3 (AES-128 with SHA1) or 17 (AES-128 with SHA256) should ever be used; 17 is preferred. The default is chosen by ipmitool. Optional.",
  ipmi_bridging: 'bridging_type; default is "no". One of "single", "dual", "no". Optional.',
  ipmi_transit_channel: 'transit channel for bridged request. Required only if ipmi_bridging is set to "dual".',
  ipmi_transit_address: 'transit address for bridged request. Required only if ipmi_bridging is set to "dual".',
  ipmi_target_channel: 'destination channel for bridged request. Required only if ipmi_bridging is set to "single" or "dual".',
  ipmi_target_address: 'destination address for bridged request. Required only if ipmi_bridging is set to "single" or "dual".',
  ipmi_local_address: 'local IPMB address for bridged requests. Used only if ipmi_bridging is set to "single" or "dual". Optional.',
  ipmi_force_boot_device:
    "Whether the boot device is sent to the BMC again each time the server is powered on, for BMCs that do not remember it across power cycles; default is False. Optional.",
  ipmi_disable_boot_timeout:
    "Whether to send the raw IPMI command that disables the BMC's 60 second timeout of the boot device setting; default is True. Optional.",
  ipmi_terminal_port:
    "node's port for the serial console (Ironic's socat/shellinabox listener). Validated (1-65535) for compatibility; Ingot's ipmitool-sol console relays through Ingot's websocket and opens no port, so it is not used. Optional.",
  ipmi_timeout: `Ingot: seconds one ipmitool command may take before it is killed (1-300); default ${IPMI_DEFAULTS.timeout} (INGOT_IPMI_TIMEOUT). Optional.`,
  ipmi_retries: `Ingot: further attempts after a timeout or a busy BMC (0-10), with exponential backoff; default ${IPMI_DEFAULTS.retries} (INGOT_IPMI_RETRIES). Optional.`,
};

export interface IpmiInfo {
  address: string;
  port: number;
  username: string | null;
  password: string;
  privLevel: (typeof VALID_PRIV_LEVELS)[number];
  protocolVersion: (typeof VALID_PROTOCOL_VERSIONS)[number];
  hexKgKey: string | null;
  cipherSuite: number | null;
  bridging: "no" | "single" | "dual";
  localAddress: string | null;
  transitChannel: string | null;
  transitAddress: string | null;
  targetChannel: string | null;
  targetAddress: string | null;
  forceBootDevice: boolean;
  disableBootTimeout: boolean;
  terminalPort: number | null;
  timeoutSeconds: number;
  retries: number;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== "";

/** Ironic's bool_from_string, but strict: unknown words are an error instead of False. */
function parseBool(key: string, value: unknown, fallback: boolean): boolean {
  if (!present(value)) return fallback;
  if (typeof value === "boolean") return value;
  const s = String(value).trim().toLowerCase();
  if (["1", "t", "true", "on", "y", "yes"].includes(s)) return true;
  if (["0", "f", "false", "off", "n", "no"].includes(s)) return false;
  throw new Invalid(`${key} must be a boolean (true or false), got "${String(value)}".`);
}

function parsePort(key: string, value: unknown): number {
  const s = String(value).trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Invalid(`${key} "${String(value)}" is not a valid port.`);
  return n;
}

/** ipmitool accepts channel numbers and IPMB addresses as decimal or 0x-prefixed hex bytes. */
function parseByte(key: string, value: unknown): string {
  const s = String(value).trim();
  const n = /^0x[0-9a-f]{1,2}$/i.test(s) ? parseInt(s, 16) : /^\d{1,3}$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 255) {
    throw new Invalid(`${key} "${String(value)}" is not valid: expected a byte, decimal (0-255) or hexadecimal (0x00-0xff).`);
  }
  return s;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

function parseNumberSetting(key: string, value: unknown, min: number, max: number, integer: boolean, fallback: number): number {
  if (!present(value)) return fallback;
  const n = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Invalid(`${key} "${String(value)}" is not valid: expected ${integer ? "an integer" : "a number"} from ${min} to ${max}.`);
  }
  return n;
}

// RFC 1123 host names (what Ironic's is_hostname_safe accepts, plus dotted FQDNs).
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/** Parses and validates a node's IPMI driver_info; throws Invalid with a clear message. */
export function parseIpmiDriverInfo(node: Pick<NodeRecord, "uuid" | "driverInfo" | "driverInternalInfo">): IpmiInfo {
  const info = node.driverInfo ?? {};
  if (!present(info.ipmi_address)) {
    throw new Invalid("Missing the following IPMI credentials in node's driver_info: ['ipmi_address'].");
  }
  const address = String(info.ipmi_address).trim();
  // Bracketed IPv6 ("[fe80::1]") is accepted and unwrapped: ipmitool wants the bare address.
  const bare = /^\[(.*)\]$/.exec(address)?.[1] ?? address;
  if (isIP(bare) === 0 && !HOSTNAME.test(bare)) {
    throw new Invalid(`Invalid IPMI address "${address}" for node ${node.uuid}. Must be a valid IP address or hostname.`);
  }

  const protocolVersion = String(info.ipmi_protocol_version ?? "2.0").trim();
  if (!(VALID_PROTOCOL_VERSIONS as readonly string[]).includes(protocolVersion)) {
    throw new Invalid(
      `Invalid IPMI protocol version value ${protocolVersion}, the valid value can be one of ${VALID_PROTOCOL_VERSIONS.join(", ")}`,
    );
  }

  const port = present(info.ipmi_port) ? parsePort("ipmi_port", info.ipmi_port) : 623;
  const terminalRaw = info.ipmi_terminal_port ?? node.driverInternalInfo?.allocated_ipmi_terminal_port;
  const terminalPort = present(terminalRaw) ? parsePort("ipmi_terminal_port", terminalRaw) : null;

  const bridging = String(info.ipmi_bridging ?? "no").trim();
  if (!(BRIDGING_TYPES as readonly string[]).includes(bridging)) {
    throw new Invalid(`Invalid value for ipmi_bridging: ${bridging}, the valid value can be one of: ['single', 'dual', 'no']`);
  }
  let localAddress: string | null = null;
  let transitChannel: string | null = null;
  let transitAddress: string | null = null;
  let targetChannel: string | null = null;
  let targetAddress: string | null = null;
  if (bridging !== "no") {
    const needed = ["ipmi_target_channel", "ipmi_target_address"];
    if (bridging === "dual") needed.push("ipmi_transit_channel", "ipmi_transit_address");
    const missing = needed.filter((k) => !present(info[k]));
    if (missing.length) throw new Invalid(`[${missing.map((k) => `'${k}'`).join(", ")}] not provided`);
    targetChannel = parseByte("ipmi_target_channel", info.ipmi_target_channel);
    targetAddress = parseByte("ipmi_target_address", info.ipmi_target_address);
    if (bridging === "dual") {
      transitChannel = parseByte("ipmi_transit_channel", info.ipmi_transit_channel);
      transitAddress = parseByte("ipmi_transit_address", info.ipmi_transit_address);
    }
    if (present(info.ipmi_local_address)) localAddress = parseByte("ipmi_local_address", info.ipmi_local_address);
  }

  const privLevel = String(info.ipmi_priv_level ?? "ADMINISTRATOR").trim();
  if (!(VALID_PRIV_LEVELS as readonly string[]).includes(privLevel)) {
    throw new Invalid(`Invalid privilege level value:${privLevel}, the valid value can be one of ${VALID_PRIV_LEVELS.join(", ")}`);
  }

  const username = present(info.ipmi_username) ? String(info.ipmi_username) : null;
  const password = present(info.ipmi_password) ? String(info.ipmi_password) : "";
  // IPMI limits (what ipmitool itself refuses): user names 16 bytes; passwords 20 (2.0) / 16 (1.5).
  if (username !== null && Buffer.byteLength(username) > 16) {
    throw new Invalid("ipmi_username is too long: IPMI user names have at most 16 bytes.");
  }
  const maxPassword = protocolVersion === "2.0" ? 20 : 16;
  if (Buffer.byteLength(password) > maxPassword) {
    throw new Invalid(`ipmi_password is too long: IPMI ${protocolVersion} passwords have at most ${maxPassword} bytes.`);
  }

  let hexKgKey: string | null = null;
  if (present(info.ipmi_hex_kg_key)) {
    hexKgKey = String(info.ipmi_hex_kg_key).trim();
    if (hexKgKey.length % 2 !== 0) throw new Invalid("Number of ipmi_hex_kg_key characters is not even");
    if (!/^[0-9a-f]*$/i.test(hexKgKey)) throw new Invalid("ipmi_hex_kg_key must contain only hexadecimal digits (0-9, a-f).");
    if (hexKgKey.length > 40) throw new Invalid("ipmi_hex_kg_key is too long: a Kg key has at most 20 bytes (40 hexadecimal digits).");
    if (protocolVersion === "1.5") throw new Invalid("ipmi_hex_kg_key cannot be used with IPMI 1.5");
  }

  let cipherSuite: number | null = null;
  if (present(info.ipmi_cipher_suite)) {
    const raw = info.ipmi_cipher_suite;
    const n = typeof raw === "number" ? raw : /^\s*\d+\s*$/.test(String(raw)) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new Invalid(`Invalid cipher suite ${String(raw)}, expected a number`);
    if (protocolVersion === "1.5") throw new Invalid("Cipher suites cannot be used with IPMI 1.5");
    cipherSuite = n;
  }

  return {
    address: bare,
    port,
    username,
    password,
    privLevel: privLevel as IpmiInfo["privLevel"],
    protocolVersion: protocolVersion as IpmiInfo["protocolVersion"],
    hexKgKey,
    cipherSuite,
    bridging: bridging as IpmiInfo["bridging"],
    localAddress,
    transitChannel,
    transitAddress,
    targetChannel,
    targetAddress,
    forceBootDevice: parseBool("ipmi_force_boot_device", info.ipmi_force_boot_device, false),
    disableBootTimeout: parseBool(
      "ipmi_disable_boot_timeout", info.ipmi_disable_boot_timeout,
      parseBool("INGOT_IPMI_DISABLE_BOOT_TIMEOUT", process.env.INGOT_IPMI_DISABLE_BOOT_TIMEOUT, true),
    ),
    terminalPort,
    timeoutSeconds: parseNumberSetting("ipmi_timeout", info.ipmi_timeout, 1, 300, false, envNumber("INGOT_IPMI_TIMEOUT", IPMI_DEFAULTS.timeout) || IPMI_DEFAULTS.timeout),
    retries: parseNumberSetting("ipmi_retries", info.ipmi_retries, 0, 10, true, Math.min(10, Math.floor(envNumber("INGOT_IPMI_RETRIES", IPMI_DEFAULTS.retries)))),
  };
}

/** "host" or "host:port" (port shown when not 623), for messages. */
export function bmcLabel(info: Pick<IpmiInfo, "address" | "port">): string {
  const host = info.address.includes(":") ? `[${info.address}]` : info.address;
  return info.port === 623 ? host : `${host}:${info.port}`;
}
