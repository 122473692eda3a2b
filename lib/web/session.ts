// Who is looking at the dashboard: the session's user as a policy Principal (the same one the API uses).
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { PROJECT_COOKIE } from "../server/session_cookie.ts";
import { sql } from "../core/db/sql.ts";
import type { Principal } from "../core/policy.ts";
import { getUser, principalForUser, type UserRecord } from "../core/users.ts";
import { auth } from "./auth.ts";

export interface Viewer {
  user: UserRecord;
  principal: Principal;
}

export async function currentViewer(): Promise<Viewer | null> {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) return null;
  const db = await sql();
  const user = await getUser(db, id);
  if (!user || user.disabled) return null;
  // The same choice the API makes for this session (lib/server/session_cookie.ts).
  const project = (await cookies()).get(PROJECT_COOKIE)?.value;
  const principal = (project ? await principalForUser(db, user, project) : null) ?? (await principalForUser(db, user));
  return principal ? { user, principal } : null;
}

/** The viewer, or a redirect to the login page. */
export async function requireViewer(): Promise<Viewer> {
  const viewer = await currentViewer();
  if (!viewer) redirect("/login");
  return viewer;
}
