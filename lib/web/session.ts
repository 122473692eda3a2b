// Who is looking at the dashboard: the session's user as a policy Principal (the same one the API uses).
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import type { Caller } from "../core/services/callers.ts";
import { auth } from "./auth.ts";
import { PROJECT_COOKIE } from "./cookies.ts";
import { webCore } from "./core.ts";

/** Who is looking at the dashboard (the same Caller the API and websockets resolve). */
export type Viewer = Caller;

export async function currentViewer(): Promise<Viewer | null> {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) return null;
  // The same choice the API makes for this session (lib/server/session_cookie.ts).
  return webCore().callers.sessionCaller(id, (await cookies()).get(PROJECT_COOKIE)?.value);
}

/** The viewer, or a redirect to the login page. */
export async function requireViewer(): Promise<Viewer> {
  const viewer = await currentViewer();
  if (!viewer) redirect("/login");
  return viewer;
}
