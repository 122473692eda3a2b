import Link from "next/link";
import { logoutAction } from "@/lib/web/actions.ts";
import type { Viewer } from "@/lib/web/session.ts";

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

function scopeLabel(viewer: Viewer, projects: Map<string, string>): string {
  const p = viewer.principal;
  if (p.systemRole) return `system ${p.systemRole}`;
  if (p.projectId) return `${projects.get(p.projectId) ?? p.projectId} · ${p.projectRole}`;
  return "no project";
}

export function AppShell({ viewer, projects, children }: { viewer: Viewer; projects: Map<string, string>; children: React.ReactNode }) {
  return (
    <div className="min-h-screen">
      <header className="sticky top-0 z-10 border-b border-slate-800 bg-slate-900 text-slate-100">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4 sm:px-6">
          <Link href="/" className="flex items-center gap-2 font-semibold tracking-tight">
            <Logo />
            <span className="text-lg">Ingot</span>
          </Link>
          <nav className="flex items-center gap-1 text-sm">
            <Link href="/" className="rounded-md px-3 py-1.5 text-slate-200 hover:bg-slate-800 hover:text-white">Fleet</Link>
            <a href="/baremetal/v1" className="rounded-md px-3 py-1.5 text-slate-400 hover:bg-slate-800 hover:text-white">API</a>
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <div className="hidden text-right leading-tight sm:block">
              <div className="font-medium" data-testid="current-user">{viewer.user.username}</div>
              <div className="text-xs text-slate-400">{scopeLabel(viewer, projects)}</div>
            </div>
            <form action={logoutAction}>
              <button type="submit" className="rounded-md border border-slate-700 px-3 py-1.5 text-slate-200 hover:border-slate-500 hover:bg-slate-800">
                Log out
              </button>
            </form>
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-7xl px-4 py-6 sm:px-6">{children}</main>
    </div>
  );
}
