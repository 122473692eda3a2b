import { AppShell } from "@/components/AppShell.tsx";
import { NotAllowed } from "@/components/steps/NotAllowed.tsx";
import { StepDocumentEditor } from "@/components/steps/StepDocumentEditor.tsx";
import { authorize } from "@/lib/shared/policy.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "New runbook" };

type Search = Promise<{ ref?: string | string[] }>;

export default async function NewRunbookPage({ searchParams }: { searchParams: Search }) {
  const viewer = await requireViewer();
  // ?ref=<node>: offer the steps of that node (links from a node's Steps tab).
  const ref = (await searchParams).ref;
  const referenceNode = (Array.isArray(ref) ? ref[0] : ref)?.trim() || null;
  const p = viewer.principal;
  const canCreate = authorize("baremetal:runbook:create", p, { owner: p.projectId });
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      {canCreate ? (
        <StepDocumentEditor kind="runbook" ident={null} referenceNode={referenceNode} rights={{ canEdit: true, canDelete: false, canSetPublic: authorize("baremetal:runbook:update:public", p) }} />
      ) : (
        <NotAllowed what="New runbook" reason="Creating runbooks needs a system member or a project admin." />
      )}
    </AppShell>
  );
}
