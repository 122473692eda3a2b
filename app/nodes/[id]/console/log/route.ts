// "Download log" on the node page: the console log (docs/consoles.md) for the dashboard's session,
// through the same service as GET /baremetal/v1/nodes/{node}/console/log (lib/web/console_log.ts).
import { consoleLogDownload } from "@/lib/web/console_log.ts";
import { currentViewer } from "@/lib/web/session.ts";

export const dynamic = "force-dynamic";

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const viewer = await currentViewer();
  const { id } = await params;
  return consoleLogDownload(viewer?.principal ?? null, decodeURIComponent(id), new URL(request.url).searchParams.get("kib"));
}
