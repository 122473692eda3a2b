// /v1/nodes/{ident}/console/log (Ingot extension, every microversion; docs/consoles.md): the last
// N KiB of the node's console log as text/plain. The log holds serial output captured while the
// node was `active` (lib/core/console/log.ts), kept by the node's conductor.
import { conductorApi } from "../../core/conductor/rpc.ts";
import { Invalid } from "../../core/errors.ts";
import { baseHeaders } from "../http.ts";
import type { NodeContext, RouteDef } from "../router.ts";

async function getConsoleLog(ctx: NodeContext): Promise<Response> {
  const raw = ctx.url.searchParams.get("kib");
  let bytes: number | null = null;
  if (raw !== null && raw !== "") {
    const kib = Number(raw);
    if (!Number.isInteger(kib) || kib < 1) throw new Invalid(`Invalid value for kib: "${raw}" (a positive integer).`);
    bytes = kib * 1024;
  }
  // Read where the capture runs: the node's conductor (another process in the api + conductor layout).
  const data = Buffer.from(await conductorApi().readConsoleLog(ctx.node.id, bytes), "base64");
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
