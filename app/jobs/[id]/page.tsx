import Link from "next/link";
import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell.tsx";
import { JobProgress } from "@/components/jobs/JobProgress.tsx";
import { webCore } from "@/lib/web/core.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Job" };

type Params = Promise<{ id: string }>;

// Only the job's creator (or a system admin) sees it; anyone else gets a 404, like the API.
export default async function JobPage({ params }: { params: Params }) {
  const viewer = await requireViewer();
  const { id } = await params;
  const job = await webCore().jobs.jobIfVisible(viewer.principal, decodeURIComponent(id));
  if (!job) notFound();
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      <p className="mb-2 text-sm"><Link href="/jobs" className="text-slate-500 hover:underline dark:text-slate-400">← Jobs</Link></p>
      <JobProgress id={job.id} showTitle />
    </AppShell>
  );
}
