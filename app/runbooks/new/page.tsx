import { AppShell } from "@/components/AppShell.tsx";
import { NotAllowed } from "@/components/steps/NotAllowed.tsx";
import { StepDocumentEditor } from "@/components/steps/StepDocumentEditor.tsx";
import { authorize } from "@/lib/core/policy.ts";
import { requireViewer } from "@/lib/web/session.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "New runbook" };

export default async function NewRunbookPage() {
  const viewer = await requireViewer();
  const p = viewer.principal;
  const canCreate = authorize("baremetal:runbook:create", p, { owner: p.projectId });
  return (
    <AppShell viewer={viewer}>
      {canCreate ? (
        <StepDocumentEditor kind="runbook" ident={null} rights={{ canEdit: true, canDelete: false, canSetPublic: authorize("baremetal:runbook:update:public", p) }} />
      ) : (
        <NotAllowed what="New runbook" reason="Creating runbooks needs a system member or a project admin." />
      )}
    </AppShell>
  );
}
