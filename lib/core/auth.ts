// Who is calling: INGOT_API_AUTH=noauth trusts everyone as a system admin (local use and tests);
// otherwise an API token (X-Auth-Token) or HTTP Basic with a user's password.
import { NotAuthorized } from "./errors.ts";
import { NOAUTH_PRINCIPAL, type Principal } from "./policy.ts";

export function authMode(): "noauth" | "ingot" {
  return process.env.INGOT_API_AUTH === "noauth" ? "noauth" : "ingot";
}

export interface AuthOptions {
  /** Anonymous callers get an unprivileged principal instead of a 401. */
  optional?: boolean;
}

export const ANONYMOUS: Principal = {
  userId: null, username: "anonymous", systemRole: null, projectId: null, projectRole: null,
};

type CredentialResolver = (request: Request) => Promise<Principal | null>;
let resolver: CredentialResolver | null = null;

/** The user/token store registers how credentials are checked (lib/core/users.ts). */
export function setCredentialResolver(fn: CredentialResolver): void {
  resolver = fn;
}

export async function authenticate(request: Request, opts: AuthOptions = {}): Promise<Principal> {
  if (authMode() === "noauth") return NOAUTH_PRINCIPAL;
  const who = resolver ? await resolver(request) : null;
  if (who) return who;
  if (opts.optional) return ANONYMOUS;
  throw new NotAuthorized("Authentication required: send X-Auth-Token or HTTP Basic credentials.");
}
