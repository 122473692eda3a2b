// API microversions (reference §3): 1.1 .. MAX_MINOR, `latest`, no header means 1.1.
import { NotAcceptable } from "../core/errors.ts";
import { MAX_MINOR } from "../core/microversion.ts";

export { MAX_MINOR };

export const MIN_MINOR = 1;
export const MIN_VERSION = `1.${MIN_MINOR}`;
export const MAX_VERSION = `1.${MAX_MINOR}`;

export const VERSION_HEADER = "X-OpenStack-Ironic-API-Version";
export const MIN_VERSION_HEADER = "X-OpenStack-Ironic-API-Minimum-Version";
export const MAX_VERSION_HEADER = "X-OpenStack-Ironic-API-Maximum-Version";

/**
 * The minor version a request asks for. `OpenStack-API-Version: baremetal 1.N` wins over the
 * legacy header, as in Ironic. Throws NotAcceptable (406) for anything out of range or unparsable.
 */
export function requestedMinor(headers: Headers): number {
  let raw: string | null = null;
  const generic = headers.get("openstack-api-version");
  if (generic) {
    for (const part of generic.split(",")) {
      const [service, value] = part.trim().split(/\s+/, 2);
      if (service?.toLowerCase() === "baremetal" && value) raw = value;
    }
  }
  if (raw === null) raw = headers.get(VERSION_HEADER);
  if (raw === null || raw.trim() === "") return MIN_MINOR;
  return parseVersion(raw.trim());
}

export function parseVersion(raw: string): number {
  if (raw.toLowerCase() === "latest") return MAX_MINOR;
  const m = /^(\d+)\.(\d+)$/.exec(raw);
  if (!m) throw new NotAcceptable(`Invalid value for ${VERSION_HEADER} header: ${raw}`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  if (major !== 1) {
    throw new NotAcceptable(
      `Mutually exclusive versions requested. Version ${raw} requested but not supported by this service. The supported version range is: [${MIN_VERSION}, ${MAX_VERSION}].`,
    );
  }
  if (minor < MIN_MINOR || minor > MAX_MINOR) {
    throw new NotAcceptable(
      `Version ${raw} was requested but the minor version is not supported by this service. The supported version range is: [${MIN_VERSION}, ${MAX_VERSION}].`,
    );
  }
  return minor;
}

export function versionDocument(base: string) {
  return {
    id: "v1",
    links: [{ href: `${base}/v1/`, rel: "self" }],
    status: "CURRENT",
    min_version: MIN_VERSION,
    version: MAX_VERSION,
  };
}
