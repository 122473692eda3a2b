import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { AppShell } from "@/components/AppShell.tsx";
import { NodePage } from "@/components/node/NodePage.tsx";
import { webCore } from "@/lib/web/core.ts";
import { requireViewer } from "@/lib/web/session.ts";
import { shellViewer } from "@/lib/web/shell.ts";
import { consoleWebsocketsAvailable } from "./console/support.ts";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;

export async function generateMetadata({ params }: { params: Params }) {
  const { id } = await params;
  return { title: decodeURIComponent(id) };
}

// The node page: the server only checks that the viewer may see the node (404 otherwise, as the
// API conceals nodes) and hands the viewer's principal to the client page, which reads everything
// through the public API.
export default async function Page({ params }: { params: Params }) {
  const viewer = await requireViewer();
  const { id } = await params;
  const node = await webCore().nodes.nodeIfVisible(viewer.principal, decodeURIComponent(id));
  if (!node) notFound();
  const consoles = await consoleWebsocketsAvailable((await headers()).get("host"));
  return (
    <AppShell viewer={await shellViewer(viewer)}>
      <NodePage uuid={node.uuid} principal={viewer.principal} consoleWebsockets={consoles} />
    </AppShell>
  );
}
