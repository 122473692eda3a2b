import { redirect } from "next/navigation";
import { Logo } from "@/components/AppShell.tsx";
import { loginAction } from "@/lib/web/actions.ts";
import { currentViewer } from "@/lib/web/session.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Log in" };

type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function LoginPage({ searchParams }: { searchParams: Search }) {
  const sp = await searchParams;
  const str = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v) ?? "";
  if (await currentViewer()) redirect("/");
  const error = str(sp.error);
  const next = str(sp.next) || "/";
  const input =
    "mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm placeholder:text-slate-400 focus:border-amber-500 focus:outline-none focus:ring-2 focus:ring-amber-500/30 dark:border-slate-700 dark:bg-slate-950";
  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center text-center">
          <Logo className="h-12 w-12" />
          <h1 className="mt-3 text-2xl font-semibold tracking-tight">Sign in to Ingot</h1>
          <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">Bare-metal provisioning</p>
        </div>
        <form action={loginAction} className="rounded-xl border border-slate-200 bg-white p-6 shadow-sm dark:border-slate-800 dark:bg-slate-900">
          {error && (
            <div role="alert" data-testid="login-error" className="mb-4 rounded-md border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-700 dark:border-rose-900/60 dark:bg-rose-950/40 dark:text-rose-200">
              {error === "credentials" ? "Wrong user name or password." : "Sign-in failed. Please try again."}
            </div>
          )}
          <input type="hidden" name="next" value={next} />
          <label className="block text-sm font-medium text-slate-700 dark:text-slate-300">
            User name
            <input name="username" autoComplete="username" required autoFocus defaultValue={str(sp.user)} className={input} />
          </label>
          <label className="mt-4 block text-sm font-medium text-slate-700 dark:text-slate-300">
            Password
            <input name="password" type="password" autoComplete="current-password" required className={input} />
          </label>
          <button type="submit" className="mt-6 w-full rounded-md bg-amber-500 px-3 py-2 text-sm font-semibold text-slate-950 shadow-sm hover:bg-amber-400 focus:outline-none focus:ring-2 focus:ring-amber-500/50">
            Sign in
          </button>
        </form>
        <p className="mt-6 text-center text-xs text-slate-500 dark:text-slate-400">
          The first administrator&apos;s password is printed when the server starts for the first time.
        </p>
      </div>
    </main>
  );
}
