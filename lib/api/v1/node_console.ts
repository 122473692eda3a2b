// /v1/nodes/{ident}/console/log (Ingot extension, every microversion; docs/consoles.md): the last
// N KiB of the node's console log as text/plain. The log holds serial output captured while the
// node was `active` (lib/core/console/log.ts), kept by the node's conductor.
import { consoleLog, consoleLogBytes } from "../../core/services/console.ts";
import { baseHeaders } from "../http.ts";
import type { NodeContext, RouteDef } from "../router.ts";

async function getConsoleLog(ctx: NodeContext): Promise<Response> {
  const bytes = consoleLogBytes(ctx.url.searchParams.get("kib"));
  // Read where the capture runs: the node's conductor (another process in the api + conductor layout).
  const data = await consoleLog(ctx.principal, ctx.node, bytes);
  return new Response(new Uint8Array(data), {
    status: 200,
    headers: {
      ...baseHeaders(ctx.requestId, ctx.minor),
      "Content-Type": "text/plain; charset=utf-8",
      "Content-Disposition": `inline; filename="${ctx.node.uuid}-console.log"`,
    },
  });
}

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/nodes/:node/console/log", policy: "baremetal:node:get_console", handler: getConsoleLog },
];
