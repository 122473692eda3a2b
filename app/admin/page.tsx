import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell.tsx";
import { ProjectsSection } from "@/components/admin/ProjectsSection.tsx";
import { UsersSection } from "@/components/admin/UsersSection.tsx";
import { Banner } from "@/components/ui.tsx";
import { adminOverview } from "@/lib/web/admin.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Administration" };

export default async function AdminPage() {
  const viewer = await requireViewer();
  if (viewer.principal.systemRole !== "admin") {
    // A system admin acting in a project (header switcher) is told how to get back; anyone else
    // gets the same 404 as for a page that does not exist.
    if (viewer.user.systemRole !== "admin") notFound();
    return (
      <AppShell viewer={await shellViewer(viewer)}>
        <Banner tone="info" data-testid="admin-switch-scope">
          You are acting in a project. Choose “system admin” in the header to manage users and projects.
        </Banner>
      </AppShell>
    );
  }
  const { users, projects } = await adminOverview();
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      <div className="space-y-10">
        <div>
          <h1 className="text-2xl font-semibold tracking-tight">Administration</h1>
          <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">
            Users, projects and who may act in which project. The same is possible with <code>ingot user …</code> and <code>ingot project …</code>.
          </p>
        </div>
        <UsersSection users={users} projects={projects} selfId={viewer.user.id} />
        <ProjectsSection projects={projects} users={users} />
      </div>
    </AppShell>
  );
}
