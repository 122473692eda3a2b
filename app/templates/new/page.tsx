import { AppShell } from "@/components/AppShell.tsx";
import { NotAllowed } from "@/components/steps/NotAllowed.tsx";
import { StepDocumentEditor } from "@/components/steps/StepDocumentEditor.tsx";
import { authorize } from "@/lib/core/policy.ts";
import { requireViewer } from "@/lib/web/session.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "New deploy template" };

export default async function NewTemplatePage() {
  const viewer = await requireViewer();
  const canCreate = authorize("baremetal:deploy_template:create", viewer.principal);
  return (
    <AppShell viewer={viewer}>
      {canCreate ? (
        <StepDocumentEditor kind="template" ident={null} rights={{ canEdit: true, canDelete: false }} />
      ) : (
        <NotAllowed what="New deploy template" reason="Creating deploy templates needs the system admin role." />
      )}
    </AppShell>
  );
}
