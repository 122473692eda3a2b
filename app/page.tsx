import { Suspense } from "react";
import { AppShell } from "@/components/AppShell.tsx";
import { FleetView } from "@/components/fleet/FleetView.tsx";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";

export const dynamic = "force-dynamic";
export const metadata = { title: "Fleet" };

// The fleet table itself is a client component on GET /v1/fleet; the server only checks the session
// (the API applies the node list's policy and visibility to every request).
export default async function FleetPage() {
  const viewer = await requireViewer();
  const scopeLabel = viewer.principal.systemRole ? "" : "of your project";
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      <Suspense>
        <FleetView scopeLabel={scopeLabel} principal={viewer.principal} />
      </Suspense>
    </AppShell>
  );
}
