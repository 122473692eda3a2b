// Who is calling, decided once for every way in: the Bare Metal API, the websockets and the
// dashboard all end here (lib/server/session_cookie.ts reads the HTTP side, lib/web/session.ts
// the Next side; both hand over what they found).
import { sql } from "../db/sql.ts";
import type { Principal } from "../policy.ts";
import { getUser, principalForUser, resolveCredentials, verifyPassword, type UserRecord } from "../users.ts";

export interface Caller {
  user: UserRecord;
  principal: Principal;
}

/**
 * A dashboard session's user (the Auth.js subject) acting in `project` (the project switcher's
 * choice) when that is one of theirs, else in their default scope. Null for unknown or disabled users.
 */
export async function sessionCaller(userId: string, project: string | null | undefined): Promise<Caller | null> {
  const db = await sql();
  const user = await getUser(db, userId);
  if (!user || user.disabled) return null;
  const principal = (project ? await principalForUser(db, user, project) : null) ?? (await principalForUser(db, user));
  return principal ? { user, principal } : null;
}

/** The user behind a dashboard login form (null: unknown, disabled or wrong password). */
export async function passwordUser(username: string, password: string): Promise<UserRecord | null> {
  return verifyPassword(await sql(), username, password);
}

export type Channel = "api" | "websocket";

/**
 * The principal behind explicit credentials (X-Auth-Token, Authorization: Bearer or Basic, or a
 * websocket's ?token=), else behind the session — `session` resolves the session cookie and is
 * asked only when the channel allows it:
 * - api: the cookie counts only with the web client header (`webClient`), and never when
 *   credentials were sent (wrong credentials are a 401, not a fallback);
 * - websocket: browsers cannot set headers on a websocket, so stale credentials fall back to the
 *   session cookie; a ?token= is final.
 */
export async function resolveCaller(opts: {
  channel: Channel;
  headers: Headers;
  queryToken?: string | null;
  webClient?: boolean;
  session: () => Promise<Principal | null>;
}): Promise<Principal | null> {
  if (opts.queryToken) return resolveCredentials({ headers: new Headers({ "x-auth-token": opts.queryToken }) });
  const h = opts.headers;
  if (h.has("x-auth-token") || h.has("authorization")) {
    const p = await resolveCredentials({ headers: h });
    if (p || opts.channel === "api") return p;
  }
  if (opts.channel === "api" && !opts.webClient) return null;
  return opts.session();
}
