// A dashboard login as a test needs it: the Auth.js session cookie a logged-in browser sends with
// its requests and websocket upgrades (signed with the server's AUTH_SECRET, set by startServer).
import { encode } from "next-auth/jwt";
import { SESSION_COOKIES } from "../server/session_cookie.ts";

/** `Cookie` header value of a dashboard session of the user `userId`. */
export async function sessionCookie(userId: string, username?: string): Promise<string> {
  const name = SESSION_COOKIES[0];
  const token = username === undefined ? { sub: userId } : { sub: userId, name: username };
  return `${name}=${await encode({ token, secret: process.env.AUTH_SECRET!, salt: name })}`;
}
