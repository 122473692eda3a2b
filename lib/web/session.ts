// Who is looking at the dashboard: the session's user as a policy Principal (the same one the API uses).
import { redirect } from "next/navigation";
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
  const principal = await principalForUser(db, user);
  return principal ? { user, principal } : null;
}

/** The viewer, or a redirect to the login page. */
export async function requireViewer(): Promise<Viewer> {
  const viewer = await currentViewer();
  if (!viewer) redirect("/login");
  return viewer;
}
