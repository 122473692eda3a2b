// console_info.url of a graphical console (docs/consoles.md): a full-page noVNC view.
// The websocket itself checks the session (or API token) and the console token.
import Link from "next/link";
import { notFound, redirect } from "next/navigation";
import { GraphicalConsoleLoader } from "@/components/GraphicalConsoleLoader.tsx";
import { webCore } from "@/lib/web/core.ts";
import { currentViewer } from "@/lib/web/session.ts";

export const dynamic = "force-dynamic";

type Params = Promise<{ id: string }>;
type Search = Promise<Record<string, string | string[] | undefined>>;

export default async function GraphicalConsolePage({ params, searchParams }: { params: Params; searchParams: Search }) {
  const { id } = await params;
  const sp = await searchParams;
  const token = Array.isArray(sp.token) ? sp.token[0] : sp.token;
  const viewer = await currentViewer();
  if (!viewer) {
    const here = `/nodes/${encodeURIComponent(decodeURIComponent(id))}/console/graphical${token ? `?token=${encodeURIComponent(token)}` : ""}`;
    redirect(`/login?next=${encodeURIComponent(here)}`);
  }
  const node = await webCore().nodes.nodeIfVisible(viewer.principal, decodeURIComponent(id));
  if (!node) notFound();
  return (
    <main className="min-h-screen bg-slate-950 text-slate-200">
      <div className="flex h-10 items-center gap-3 px-3 text-sm">
        <Link href={`/nodes/${node.uuid}`} className="text-slate-400 hover:text-slate-100">← {node.name ?? node.uuid}</Link>
        <span className="text-slate-500">graphical console</span>
      </div>
      {token ? (
        <GraphicalConsoleLoader node={node.uuid} token={token} fullPage />
      ) : (
        <p className="p-6 text-sm text-rose-300">This link has no console token: open the console from the node page.</p>
      )}
    </main>
  );
}
