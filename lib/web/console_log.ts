// The dashboard's console log download (app/nodes/[id]/console/log/route.ts) without Next: the
// same service as GET /baremetal/v1/nodes/{node}/console/log, so the log is read from the node's
// conductor wherever it runs (INGOT_ROLE=api serves the dashboard without any conductor).
import { IronicError } from "../core/errors.ts";
import type { Principal } from "../core/policy.ts";
import { visibleNode } from "../core/services/access.ts";
import { consoleLog, consoleLogBytes } from "../core/services/console.ts";

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

/** The download for `principal` (null: no session) of node `ident`'s log; `kib` as in the API. */
export async function consoleLogDownload(principal: Principal | null, ident: string, kib: string | null): Promise<Response> {
  if (!principal) return text(401, "Log in to read the console log.\n");
  try {
    const node = await visibleNode(principal, ident);
    const body = await consoleLog(principal, node, consoleLogBytes(kib));
    const name = `${node.name ?? node.uuid}-console.log`.replace(/[^\w.-]/g, "_");
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "content-disposition": `attachment; filename="${name}"` },
    });
  } catch (err) {
    if (err instanceof IronicError) return text(err.status, `${err.message}\n`);
    throw err;
  }
}
