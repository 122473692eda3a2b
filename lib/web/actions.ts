"use server";
// Server actions for the login form and logout.
import { AuthError } from "next-auth";
import { redirect } from "next/navigation";
import { signIn, signOut } from "./auth.ts";

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
