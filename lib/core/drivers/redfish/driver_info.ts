// driver_info of the `redfish` hardware type: parsing and validation worded as Ironic's
// redfish/utils.py parse_driver_info, plus Ingot's connection settings (Ironic's [redfish]
// options, overridable per node). redfish_password is masked centrally (lib/shared/secrets.ts).
import { existsSync } from "node:fs";
import type { NodeRecord } from "../../db/nodes.ts";
import { Invalid } from "../../errors.ts";

export const AUTH_TYPES = ["basic", "session", "auto"] as const;
export type RedfishAuthType = (typeof AUTH_TYPES)[number];

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Conductor-wide defaults (Ironic's [redfish] section), read when a node is parsed. */
export const redfishDefaults = () => ({
  /** [redfish]auth_type */
  authType: (AUTH_TYPES as readonly string[]).includes(process.env.INGOT_REDFISH_AUTH_TYPE ?? "")
    ? (process.env.INGOT_REDFISH_AUTH_TYPE as RedfishAuthType) : ("auto" as RedfishAuthType),
  /** [redfish]connection_attempts: tries of one request on 5xx / connection errors. */
  connectionAttempts: Math.max(1, Math.floor(envNumber("INGOT_REDFISH_CONNECTION_ATTEMPTS", 5))),
  /** [redfish]connection_retry_interval: seconds before the first retry (doubles each time, ≤ 30 s). */
  retryInterval: envNumber("INGOT_REDFISH_CONNECTION_RETRY_INTERVAL", 4),
  /** Seconds one HTTP request may take (sushy's default). */
  timeout: envNumber("INGOT_REDFISH_TIMEOUT", 60) || 60,
});

export const REDFISH_PROPERTIES: Record<string, string> = {
  redfish_address:
    "The URL address to the Redfish controller. It must include the authority portion of the URL. If the scheme is missing, https is assumed (http is allowed). For example: https://mgmt.vendor.com. If a path is added, it is used as the API root prefix (default /redfish/v1/). Required.",
  redfish_system_id:
    "The canonical path to the ComputerSystem resource, for example /redfish/v1/Systems/1. Only required if the BMC manages more than one ComputerSystem; otherwise the only one is used. Optional.",
  redfish_username: "User account with admin/server-profile access privilege. Optional, but highly recommended.",
  redfish_password: "User account password (never shown by the API). Optional, but highly recommended.",
  redfish_verify_ca:
    "Either a Boolean value or a path to a CA bundle file or directory of trusted CAs. True (default) verifies the BMC's certificate against the system CAs; False skips verification; a path verifies against those certificates. Optional.",
  redfish_auth_type:
    'Redfish HTTP client authentication method: "basic", "session" or "auto" (session, falling back to basic when the BMC has no SessionService). Default from INGOT_REDFISH_AUTH_TYPE, else "auto". Optional.',
  redfish_timeout: "Ingot: seconds one HTTP request to the BMC may take (0.1-600); default INGOT_REDFISH_TIMEOUT, else 60. Optional.",
  redfish_connection_attempts:
    "Ingot: attempts of one request on 5xx answers and connection errors (1-20); default INGOT_REDFISH_CONNECTION_ATTEMPTS, else 5 (Ironic's [redfish]connection_attempts). Optional.",
  redfish_connection_retry_interval:
    "Ingot: seconds before the first retry, doubled for each further one up to 30 s (0-60); default INGOT_REDFISH_CONNECTION_RETRY_INTERVAL, else 4 (Ironic's [redfish]connection_retry_interval). Optional.",
};

export const REDFISH_VMEDIA_PROPERTIES: Record<string, string> = {
  deploy_iso: "URL (http/https) of the ISO inserted as virtual CD when a ramdisk is needed (redfish-virtual-media boot). Optional.",
  redfish_deploy_iso: "Deprecated alias of deploy_iso. Optional.",
};

export interface RedfishInfo {
  /** scheme://authority, e.g. https://10.0.0.5 */
  address: string;
  /** API root path, e.g. /redfish/v1/ */
  rootPrefix: string;
  systemId: string | null;
  username: string | null;
  password: string | null;
  /** true / false / a CA bundle path. */
  verifyCa: boolean | string;
  authType: RedfishAuthType;
  timeoutSeconds: number;
  connectionAttempts: number;
  retryIntervalSeconds: number;
}

const present = (v: unknown) => v !== undefined && v !== null && v !== "";

/** oslo bool_from_string(strict=True). */
function strictBool(s: string): boolean | null {
  const v = s.trim().toLowerCase();
  if (["1", "t", "true", "on", "y", "yes"].includes(v)) return true;
  if (["0", "f", "false", "off", "n", "no"].includes(v)) return false;
  return null;
}

function numberSetting(key: string, value: unknown, min: number, max: number, integer: boolean, fallback: number): number {
  if (!present(value)) return fallback;
  const n = typeof value === "number" ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new Invalid(`${key} "${String(value)}" is not valid: expected ${integer ? "an integer" : "a number"} from ${min} to ${max}.`);
  }
  return n;
}

const pyStr = (v: unknown) => (typeof v === "boolean" ? (v ? "True" : "False") : v === null ? "None" : typeof v === "object" ? JSON.stringify(v) : String(v));

/** Parses and validates a node's Redfish driver_info; throws Invalid with Ironic's wording. */
export function parseRedfishDriverInfo(node: Pick<NodeRecord, "uuid" | "driverInfo">): RedfishInfo {
  const info = node.driverInfo ?? {};
  if (!present(info.redfish_address)) {
    throw new Invalid(`Missing the following Redfish properties in node ${node.uuid} driver_info: ['redfish_address']`);
  }
  const badAddress = (address: unknown) =>
    new Invalid(`Invalid Redfish address ${pyStr(address)} set in driver_info/redfish_address on node ${node.uuid}`);
  if (typeof info.redfish_address !== "string") throw badAddress(info.redfish_address);
  let text = info.redfish_address.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badAddress(text);
  }
  if (!url.hostname || url.username || url.password || url.search || url.hash) throw badAddress(text);
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Invalid(`Invalid Redfish address ${text} set in driver_info/redfish_address on node ${node.uuid}: the scheme must be https or http`);
  }
  const address = `${url.protocol}//${url.host}`;
  let rootPrefix = url.pathname && url.pathname !== "/" ? url.pathname : "/redfish/v1/";
  if (!rootPrefix.endsWith("/")) rootPrefix += "/";

  let systemId: string | null = null;
  if (info.redfish_system_id !== undefined && info.redfish_system_id !== null) {
    const v = info.redfish_system_id;
    const bad = () => new Invalid(
      `Invalid value "${pyStr(v)}" set in driver_info/redfish_system_id on node ${node.uuid}. The value should be a path (string) to the resource that the driver will interact with. For example: /redfish/v1/Systems/1`,
    );
    if (typeof v !== "string" || !v.startsWith("/") || /\s/.test(v)) throw bad();
    try {
      // Quoted as Ironic does (urllib quote), without quoting twice what is already quoted.
      systemId = encodeURI(decodeURI(v)).replace(/\/+$/, "");
    } catch {
      throw bad(); // a malformed %-escape
    }
  }

  let verifyCa: boolean | string = true;
  const rawCa = info.redfish_verify_ca;
  const badCa = () =>
    new Invalid(
      `Invalid value type set in driver_info/redfish_verify_ca on node ${node.uuid}. The value should be a Boolean or the path to a file/directory, not "${pyStr(rawCa)}"`,
    );
  if (typeof rawCa === "boolean") verifyCa = rawCa;
  else if (typeof rawCa === "string") {
    if (existsSync(rawCa)) verifyCa = rawCa;
    else {
      const b = strictBool(rawCa);
      if (b === null) throw badCa();
      verifyCa = b;
    }
  } else if (rawCa !== undefined && rawCa !== null) throw badCa();

  const defaults = redfishDefaults();
  const authType = info.redfish_auth_type ?? defaults.authType;
  if (typeof authType !== "string" || !(AUTH_TYPES as readonly string[]).includes(authType)) {
    throw new Invalid(
      `Invalid value "${pyStr(authType)}" set in driver_info/redfish_auth_type on node ${node.uuid}. The value should be one of "basic", "session" or "auto".`,
    );
  }

  return {
    address,
    rootPrefix,
    systemId,
    username: present(info.redfish_username) ? String(info.redfish_username) : null,
    password: present(info.redfish_password) ? String(info.redfish_password) : null,
    verifyCa,
    authType: authType as RedfishAuthType,
    timeoutSeconds: numberSetting("redfish_timeout", info.redfish_timeout, 0.1, 600, false, defaults.timeout),
    connectionAttempts: numberSetting("redfish_connection_attempts", info.redfish_connection_attempts, 1, 20, true, defaults.connectionAttempts),
    retryIntervalSeconds: numberSetting("redfish_connection_retry_interval", info.redfish_connection_retry_interval, 0, 60, false, defaults.retryInterval),
  };
}

/** The deploy ISO URL for the virtual-media boot (deploy_iso, or the older redfish_deploy_iso). */
export function deployIso(node: Pick<NodeRecord, "uuid" | "driverInfo">): string | null {
  const v = node.driverInfo?.deploy_iso ?? node.driverInfo?.redfish_deploy_iso;
  if (!present(v)) return null;
  return checkIsoUrl(String(v), "driver_info/deploy_iso", node.uuid);
}

export function checkIsoUrl(value: string, where: string, uuid: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new Invalid(`Invalid ISO URL "${value}" in ${where} of node ${uuid}: the BMC downloads it, so it must be an http:// or https:// URL.`);
  }
  return value;
}
