// The dashboard's console log download (app/nodes/[id]/console/log/route.ts) without Next: the
// same service as GET /baremetal/v1/nodes/{node}/console/log, so the log is read from the node's
// conductor wherever it runs (INGOT_ROLE=api serves the dashboard without any conductor).
import type { Principal } from "../shared/policy.ts";
import { webCore } from "./core.ts";

function text(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" } });
}

/** The download for `principal` (null: no session) of node `ident`'s log; `kib` as in the API. */
export async function consoleLogDownload(principal: Principal | null, ident: string, kib: string | null): Promise<Response> {
  if (!principal) return text(401, "Log in to read the console log.\n");
  const { nodes, consoles, errors } = webCore();
  try {
    const node = await nodes.visibleNode(principal, ident);
    const body = await consoles.consoleLog(principal, node, consoles.consoleLogBytes(kib));
    const name = `${node.name ?? node.uuid}-console.log`.replace(/[^\w.-]/g, "_");
    return new Response(new Uint8Array(body), {
      status: 200,
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "content-disposition": `attachment; filename="${name}"` },
    });
  } catch (err) {
    if (err instanceof errors.IronicError) return text(err.status, `${err.message}\n`);
    throw err;
  }
}
