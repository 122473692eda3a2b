import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell.tsx";
import { StepDocumentEditor } from "@/components/steps/StepDocumentEditor.tsx";
import { authorize } from "@/lib/shared/policy.ts";
import { webCore } from "@/lib/web/core.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";

type Params = Promise<{ name: string }>;

export async function generateMetadata({ params }: { params: Params }) {
  return { title: decodeURIComponent((await params).name) };
}

export default async function RunbookPage({ params }: { params: Params }) {
  const viewer = await requireViewer();
  const name = decodeURIComponent((await params).name);
  const p = viewer.principal;
  // Rights depend on the runbook's owner; a runbook the viewer may not see does not exist for them.
  const rb = await webCore().runbooks.runbookIfVisible(p, name);
  if (!rb) notFound();
  const target = { owner: rb.owner };
  const canEdit = authorize("baremetal:runbook:update", p, target);
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      <StepDocumentEditor
        key={name}
        kind="runbook"
        ident={name}
        rights={{
          canEdit,
          canDelete: authorize("baremetal:runbook:delete", p, target),
          canSetPublic: authorize("baremetal:runbook:update:public", p, target),
          readOnlyReason: canEdit ? undefined : "changing this runbook needs a system member or an admin of its owner project.",
        }}
      />
    </AppShell>
  );
}
