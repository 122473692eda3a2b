// Serves the Bare Metal API (and /boot/, what network-booting machines fetch) on a real loopback
// port for tests that drive it with outside clients (the openstack CLI, a test agent), with the
// conductor running in-process.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { handleBaremetal } from "../api/handler.ts";
import { isBootPath, serveBoot } from "../server/boot_http.ts";
import { sendWebResponse, toWebRequest } from "../server/bridge.ts";
import { createGuardedServer } from "../server/http_guard.ts";

export interface ApiServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startApiServer(): Promise<ApiServer> {
  // The production server's own Node ⇄ web adapter and guards, so tests cross the same code.
  const server: Server = createGuardedServer((req, res) => {
    const origin = `http://${req.headers.host ?? "127.0.0.1"}`;
    if (isBootPath(req.url ?? "/")) {
      serveBoot(req, res, origin).catch(() => res.destroy());
      return;
    }
    const request = toWebRequest(req, res, origin);
    handleBaremetal(request).then((response) => sendWebResponse(req, res, response)).catch(() => res.destroy());
  }, { continueLazily: () => true });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/baremetal`,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export interface ClientTarget {
  /** The API endpoint (…/baremetal) the outside client talks to. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A whole Ingot for an outside client: a fresh database, the conductor and the API on a loopback
 * port, with INGOT_API_AUTH=noauth. stop() tears all three down.
 */
export async function startClientTarget(conductorOpts: { hostname?: string } = {}): Promise<ClientTarget> {
  process.env.INGOT_API_AUTH = "noauth";
  const { createTestDb } = await import("./env.ts");
  const env = await createTestDb();
  const conductor = await import("../core/conductor/index.ts");
  await conductor.startConductor(conductorOpts);
  // Bulk jobs run as in the server, which registers their executor when it starts.
  const { setJobExecutor } = await import("../core/jobs.ts");
  const { serviceJobExecutor } = await import("../core/services/job_actions.ts");
  setJobExecutor(serviceJobExecutor);
  const server = await startApiServer();
  return {
    url: server.url,
    async stop() {
      await server.close();
      await conductor.stopConductor();
      await env.cleanup();
    },
  };
}
