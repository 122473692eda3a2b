// "Download log" on the node page: the console log (docs/consoles.md) for the dashboard's session.
// Same rules as GET /baremetal/v1/nodes/{node}/console/log (see the node, then
// baremetal:node:get_console) and the same reader (lib/core/console/log.ts).
import { readConsoleLog } from "@/lib/core/console/log.ts";
import { findNode } from "@/lib/core/db/nodes.ts";
import { sql } from "@/lib/core/db/sql.ts";
import { authorize } from "@/lib/core/policy.ts";
import { currentViewer } from "@/lib/web/session.ts";

export const dynamic = "force-dynamic";

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const viewer = await currentViewer();
  if (!viewer) return text(401, "Log in to read the console log.\n");
  const { id } = await params;
  const node = await findNode(await sql(), decodeURIComponent(id), true);
  if (!node || !authorize("baremetal:node:get", viewer.principal, node)) return text(404, "Node not found.\n");
  if (!authorize("baremetal:node:get_console", viewer.principal, node)) return text(403, "Not allowed to read this node's console log.\n");
  const kibRaw = new URL(request.url).searchParams.get("kib");
  const kib = kibRaw === null ? Infinity : Number(kibRaw);
  if (kibRaw !== null && (!Number.isInteger(kib) || kib < 1)) return text(400, "kib must be a positive integer.\n");
  const body = readConsoleLog(node.uuid, Number.isFinite(kib) ? kib * 1024 : Infinity);
  const name = `${node.name ?? node.uuid}-console.log`.replace(/[^\w.-]/g, "_");
  return new Response(new Uint8Array(body), {
    status: 200,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "content-disposition": `attachment; filename="${name}"` },
  });
}
