import { AppShell } from "@/components/AppShell.tsx";
import { NotAllowed } from "@/components/steps/NotAllowed.tsx";
import { StepDocumentList } from "@/components/steps/StepDocumentList.tsx";
import { authorize } from "@/lib/shared/policy.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Deploy templates" };

export default async function TemplatesPage() {
  const viewer = await requireViewer();
  const p = viewer.principal;
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      {authorize("baremetal:deploy_template:get", p) ? (
        <StepDocumentList
          kind="template"
          canCreate={authorize("baremetal:deploy_template:create", p)}
          createReason="Creating deploy templates needs the system admin role."
        />
      ) : (
        <NotAllowed what="Deploy templates" reason="Deploy templates are visible to system readers only." />
      )}
    </AppShell>
  );
}
