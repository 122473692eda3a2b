import Link from "next/link";
import { authorize } from "@/lib/shared/policy.ts";
import { logoutAction, switchProjectAction } from "@/lib/web/actions.ts";
import type { ShellViewer } from "@/lib/web/shell.ts";
import { LiveUpdates } from "./LiveUpdates.tsx";
import { NavLinks } from "./NavLinks.tsx";
import { ThemeToggle } from "./ThemeToggle.tsx";

export function Logo({ className = "h-7 w-7" }: { className?: string }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden>
      <defs>
        <linearGradient id="ingot-g" x1="0" x2="1" y1="0" y2="1">
          <stop offset="0" stopColor="#fbbf24" />
          <stop offset="1" stopColor="#d97706" />
        </linearGradient>
      </defs>
      <path d="M6 21 L10 11 H22 L26 21 Z" fill="url(#ingot-g)" />
      <path d="M10 11 H22 L20 8 H12 Z" fill="#fde68a" />
      <rect x="5" y="21" width="22" height="3" rx="1" fill="#b45309" />
    </svg>
  );
}

/**
 * The page frame of every signed-in page: navigation, who is signed in and as what, live updates.
 * The page reads `viewer` on the server (lib/web/shell.ts shellViewer).
 */
export function AppShell({ viewer, children }: { viewer: ShellViewer; children: React.ReactNode }) {
  const { principal: p, projectName, memberships } = viewer;
  const scope = p.systemRole ? `system ${p.systemRole}` : projectName ? `${projectName} · ${p.projectRole}` : "no project";
  const links = [{ href: "/", label: "Fleet" }];
  if (authorize("baremetal:deploy_template:get", p)) links.push({ href: "/templates", label: "Templates" });
  if (authorize("baremetal:runbook:list", p)) links.push({ href: "/runbooks", label: "Runbooks" });
  links.push({ href: "/jobs", label: "Jobs" });
  if (p.systemRole === "admin") links.push({ href: "/admin", label: "Admin" });
  links.push({ href: "/account/tokens", label: "Tokens" });
  // Users with a system role or several projects choose what they act as.
  const choices = [
    ...(viewer.userSystemRole ? [{ value: "", label: `system ${viewer.userSystemRole}` }] : []),
    ...memberships.map((m) => ({ value: m.projectId, label: `${m.projectName} · ${m.role}` })),
  ];
  return (
    <div className="min-h-screen">
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-amber-400 px-3 py-2 text-sm font-medium text-slate-900 focus:not-sr-only focus:fixed focus:left-2 focus:top-2"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-30 border-b border-slate-800 bg-slate-900 text-slate-100">
        <div className="mx-auto flex h-14 max-w-[100rem] items-center gap-4 px-4 sm:px-6 lg:gap-6">
          <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
            <Logo />
            <span className="text-lg">Ingot</span>
          </Link>
          <NavLinks links={links} />
          <a href="/baremetal/v1" className="hidden rounded-md px-3 py-1.5 text-sm text-slate-400 hover:bg-slate-800 hover:text-white lg:block">API</a>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <div className="hidden text-right leading-tight sm:block">
              <div className="font-medium" data-testid="current-user">{viewer.username}</div>
              {choices.length > 1 ? (
                <form action={switchProjectAction}>
                  <label className="sr-only" htmlFor="scope-switch">Act as</label>
                  <select
                    id="scope-switch"
                    name="project"
                    defaultValue={p.systemRole ? "" : (p.projectId ?? "")}
                    className="bg-transparent text-right text-xs text-slate-400"
                    data-testid="scope-switch"
                  >
                    {choices.map((c) => <option key={c.value} value={c.value} className="text-slate-900">{c.label}</option>)}
                  </select>
                  <button type="submit" className="ml-1 text-xs text-slate-400 underline">switch</button>
                </form>
              ) : (
                <div className="text-xs text-slate-400" data-testid="current-scope">{scope}</div>
              )}
            </div>
            <ThemeToggle />
            <form action={logoutAction}>
              <button type="submit" className="whitespace-nowrap rounded-md border border-slate-700 px-3 py-1.5 text-slate-200 hover:border-slate-500 hover:bg-slate-800">
                Log out
              </button>
            </form>
          </div>
        </div>
      </header>
      <LiveUpdates>
        <main id="main" tabIndex={-1} className="mx-auto max-w-[100rem] px-4 py-6 focus:outline-none sm:px-6">{children}</main>
      </LiveUpdates>
    </div>
  );
}
