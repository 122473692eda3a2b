import { AppShell } from "@/components/AppShell.tsx";
import { NotAllowed } from "@/components/steps/NotAllowed.tsx";
import { StepDocumentList } from "@/components/steps/StepDocumentList.tsx";
import { authorize } from "@/lib/shared/policy.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Runbooks" };

export default async function RunbooksPage() {
  const viewer = await requireViewer();
  const p = viewer.principal;
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      {authorize("baremetal:runbook:list", p) ? (
        <StepDocumentList
          kind="runbook"
          canCreate={authorize("baremetal:runbook:create", p, { owner: p.projectId })}
          createReason="Creating runbooks needs a system member or a project admin."
        />
      ) : (
        <NotAllowed what="Runbooks" reason="Listing runbooks needs a reader role in the system or a project." />
      )}
    </AppShell>
  );
}
