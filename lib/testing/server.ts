// Serves the Bare Metal API on a real loopback port for tests that drive it with outside
// clients (the openstack CLI), with the conductor running in-process.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { handleBaremetal } from "../api/handler.ts";

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startApiServer(): Promise<ApiServer> {
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
    const response = await handleBaremetal(
      new Request(`http://${req.headers.host}${req.url}`, { method: req.method, headers, body }),
    );
    const out = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, Object.fromEntries(response.headers.entries()));
    res.end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/baremetal`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
