import { AppShell } from "@/components/AppShell.tsx";
import { NotAllowed } from "@/components/steps/NotAllowed.tsx";
import { StepDocumentEditor } from "@/components/steps/StepDocumentEditor.tsx";
import { authorize } from "@/lib/shared/policy.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";

type Params = Promise<{ name: string }>;

export async function generateMetadata({ params }: { params: Params }) {
  return { title: decodeURIComponent((await params).name) };
}

export default async function TemplatePage({ params }: { params: Params }) {
  const viewer = await requireViewer();
  const name = decodeURIComponent((await params).name);
  const p = viewer.principal;
  if (!authorize("baremetal:deploy_template:get", p)) {
    return (
      <AppShell viewer={await shellViewer(viewer)}>
        <NotAllowed what="Deploy template" reason="Deploy templates are visible to system readers only." />
      </AppShell>
    );
  }
  const canEdit = authorize("baremetal:deploy_template:update", p);
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      <StepDocumentEditor
        key={name}
        kind="template"
        ident={name}
        rights={{ canEdit, canDelete: authorize("baremetal:deploy_template:delete", p), readOnlyReason: canEdit ? undefined : "changing deploy templates needs the system admin role." }}
      />
    </AppShell>
  );
}
