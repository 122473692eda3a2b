// What a node's name and conductor group may be (reference §2.4): checked by the node services
// and by the API's own node-name validation.
import { Invalid } from "./errors.ts";
import { isUuidLike } from "./uuid.ts";

/** Words that cannot be node names (they are sub-paths of /v1/nodes). */
export const RESERVED_NODE_NAMES = ["maintenance", "management", "states", "vendor_passthru", "detail", "validate"];

const NAME_RE_HOSTNAME = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/;
const NAME_RE_UNRESERVED = /^[A-Za-z0-9\-._~]+$/;

/** True when `name` is a syntactically valid logical name at this microversion. */
export function isValidLogicalName(name: string, minor: number): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (isUuidLike(name)) return false;
  // Before 1.10 names had to be hostnames; from 1.10 any RFC 3986 unreserved characters.
  return minor >= 10 ? NAME_RE_UNRESERVED.test(name) : NAME_RE_HOSTNAME.test(name);
}

const CONDUCTOR_GROUP_RE = /^[a-zA-Z0-9_\-.]*$/;

/** Validates and lowercases a conductor group; null/undefined → "". */
export function validateConductorGroup(group: unknown): string {
  if (group === null || group === undefined) return "";
  if (typeof group !== "string") throw new Invalid(`Invalid conductor group ${JSON.stringify(group)}: must be a string.`);
  if (group.length > 255 || !CONDUCTOR_GROUP_RE.test(group)) {
    throw new Invalid(
      `Invalid conductor group ${group}: must be at most 255 characters of letters, numbers, dashes, dots and underscores.`,
    );
  }
  return group.toLowerCase();
}
