import { AppShell } from "@/components/AppShell.tsx";
import { NotAllowed } from "@/components/steps/NotAllowed.tsx";
import { StepDocumentEditor } from "@/components/steps/StepDocumentEditor.tsx";
import { authorize } from "@/lib/shared/policy.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "New deploy template" };

type Search = Promise<{ ref?: string | string[] }>;

export default async function NewTemplatePage({ searchParams }: { searchParams: Search }) {
  const viewer = await requireViewer();
  // ?ref=<node>: offer the steps of that node (links from a node's Steps tab).
  const ref = (await searchParams).ref;
  const referenceNode = (Array.isArray(ref) ? ref[0] : ref)?.trim() || null;
  const canCreate = authorize("baremetal:deploy_template:create", viewer.principal);
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      {canCreate ? (
        <StepDocumentEditor kind="template" ident={null} referenceNode={referenceNode} rights={{ canEdit: true, canDelete: false }} />
      ) : (
        <NotAllowed what="New deploy template" reason="Creating deploy templates needs the system admin role." />
      )}
    </AppShell>
  );
}
