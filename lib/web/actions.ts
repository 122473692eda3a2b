"use server";
// Server actions for the login form, logout and the project switcher.
import { AuthError } from "next-auth";
import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { signIn, signOut } from "./auth.ts";
import { PROJECT_COOKIE } from "./cookies.ts";
import { currentViewer } from "./session.ts";

/** Only same-site paths are followed after login. */
function safeNext(v: FormDataEntryValue | null): string {
  const s = typeof v === "string" ? v : "";
  return s.startsWith("/") && !s.startsWith("//") && !s.startsWith("/\\") ? s : "/";
}

export async function loginAction(form: FormData): Promise<void> {
  const next = safeNext(form.get("next"));
  try {
    await signIn("credentials", {
      username: String(form.get("username") ?? ""),
      password: String(form.get("password") ?? ""),
      redirectTo: next,
    });
  } catch (err) {
    if (err instanceof AuthError) {
      const user = encodeURIComponent(String(form.get("username") ?? ""));
      redirect(`/login?error=${err.type === "CredentialsSignin" ? "credentials" : "other"}&user=${user}&next=${encodeURIComponent(next)}`);
    }
    throw err; // the success redirect is thrown too
  }
}

export async function logoutAction(): Promise<void> {
  await signOut({ redirectTo: "/login" });
}

/** Acts as another of the user's projects (or, with an empty value, in their system role). */
export async function switchProjectAction(form: FormData): Promise<void> {
  const viewer = await currentViewer();
  if (!viewer) redirect("/login");
  const project = String(form.get("project") ?? "");
  const jar = await cookies();
  if (!project) jar.delete(PROJECT_COOKIE);
  else jar.set(PROJECT_COOKIE, project, { httpOnly: true, sameSite: "lax", path: "/", maxAge: 365 * 86_400 });
  // The principal is checked again on every request, so an id the user is not a member of does nothing.
  redirect("/");
}
