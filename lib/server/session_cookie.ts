// The dashboard's Auth.js session cookie as a policy Principal, for the API and websockets served
// by the custom server (Next's `auth()` is not available outside Next's request pipeline).
import { getToken } from "next-auth/jwt";
import type { Principal } from "../core/policy.ts";
import { setCredentialResolver } from "../core/auth.ts";
import { resolveCaller, sessionCaller, type Caller } from "../core/services/callers.ts";
import { PROJECT_COOKIE } from "../web/cookies.ts";

export const SESSION_COOKIES = ["authjs.session-token", "__Secure-authjs.session-token"];
/**
 * Cookie-authenticated API calls must carry this header. Browsers only send custom headers on
 * same-origin requests (no CORS is offered), so a cross-site page cannot ride the session.
 */
export const WEB_CLIENT_HEADER = "x-ingot-client";

function cookieValue(cookie: string, name: string): string | null {
  for (const part of cookie.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

/** The caller of the session in a Cookie header, or null (absent, expired, forged, disabled user). */
export async function callerFromCookie(cookie: string | null | undefined): Promise<Caller | null> {
  const secret = process.env.AUTH_SECRET;
  if (!cookie || !secret) return null;
  for (const name of SESSION_COOKIES) {
    if (!cookie.includes(`${name}=`)) continue;
    const jwt = await getToken({ req: { headers: { cookie } }, secret, salt: name, cookieName: name, secureCookie: name.startsWith("__Secure-") }).catch(() => null);
    const sub = typeof jwt?.sub === "string" ? jwt.sub : null;
    if (!sub) continue;
    return sessionCaller(sub, cookieValue(cookie, PROJECT_COOKIE));
  }
  return null;
}

export async function principalFromCookie(cookie: string | null | undefined): Promise<Principal | null> {
  return (await callerFromCookie(cookie))?.principal ?? null;
}

/** API credentials: a token or HTTP Basic first; the session cookie only with the web client header. */
export async function resolveApiCredentials(request: Request): Promise<Principal | null> {
  const h = request.headers;
  return resolveCaller({ channel: "api", headers: h, webClient: h.get(WEB_CLIENT_HEADER) === "web", session: () => principalFromCookie(h.get("cookie")) });
}

export function registerApiCredentialResolver(): void {
  setCredentialResolver(resolveApiCredentials);
}
