import { AppShell } from "@/components/AppShell.tsx";
import { JobsList } from "@/components/jobs/JobsList.tsx";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Jobs" };

// Any signed-in user has jobs of their own; the API lists only theirs (everyone's for system admins).
export default async function JobsPage() {
  const viewer = await requireViewer();
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      <h1 className="mb-4 text-2xl font-semibold tracking-tight">Jobs</h1>
      <JobsList />
    </AppShell>
  );
}
