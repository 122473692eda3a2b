// The Ingot process: one HTTP server for the Bare Metal API (straight to handleBaremetal, no Next
// in the path), the dashboard (Next) and Ingot's websockets under /ws/* (consoles: ./consoles.ts);
// plus the conductor, its RPC listener (./rpc.ts) and the console log capture, in-process.
// INGOT_ROLE (or opts.role) splits this: "api" serves the web side and sends conductor work over
// RPC, "conductor" runs only the conductor, its RPC listener and /api/health; "all" is both.
import { existsSync, writeFileSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { join, relative } from "node:path";
import type { Duplex } from "node:stream";
import { config as loadDotenv } from "dotenv";
import { roleFromEnv, setProcessRole, type ProcessRole } from "../core/conductor/rpc.ts";
import { sendIronicError, sendWebResponse, toWebRequest } from "./bridge.ts";
import { answerWithoutUpgrade, createGuardedServer } from "./http_guard.ts";
import { dataDir, ensureAuthSecret } from "./paths.ts";
import { ROOT } from "./root.ts";
import { logUnhandledRejections } from "./unhandled.ts";

export interface ServerOptions {
  host?: string;
  port?: number;
  dev?: boolean;
  /** Serve the dashboard through Next (default INGOT_WEB, on). Off: API (and /api/health) only, no build needed. */
  web?: boolean;
  /** all (default INGOT_ROLE, else all) | api | conductor. */
  role?: ProcessRole;
  /** The RPC listener (default INGOT_RPC_HOST / INGOT_RPC_PORT). */
  rpcHost?: string;
  rpcPort?: number;
}

export interface RunningServer {
  server: Server;
  url: string;
  role: ProcessRole;
  /** The conductor's RPC address (roles all and conductor). */
  rpcUrl: string | null;
  close(): Promise<void>;
}

function envFlag(name: string, dflt: boolean): boolean {
  const v = process.env[name];
  if (v === undefined || v === "") return dflt;
  return !/^(0|false|no|off)$/i.test(v);
}

function log(msg: string): void {
  console.log(`[ingot] ${msg}`);
}

const API_PREFIX = "/baremetal";

function isApiPath(url: string): boolean {
  if (!url.startsWith(API_PREFIX)) return false;
  const c = url.charCodeAt(API_PREFIX.length);
  return Number.isNaN(c) || c === 47 /* / */ || c === 63 /* ? */;
}

const closedDbs = new WeakSet<object>();

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  loadDotenv({ quiet: true, path: join(process.cwd(), ".env") });
  process.env.NEXT_TELEMETRY_DISABLED = "1";
  const dev = opts.dev ?? process.env.NODE_ENV !== "production";
  const host = opts.host ?? process.env.HOST ?? "127.0.0.1";
  const port = opts.port ?? Number(process.env.PORT ?? 3000);
  const role = opts.role ?? roleFromEnv();
  const serveWeb = role !== "conductor";
  const hostsConductor = role !== "api";
  // A conductor-only process has no dashboard (nor Bare Metal API).
  const web = serveWeb && (opts.web ?? envFlag("INGOT_WEB", true));
  setProcessRole(role);
  ensureAuthSecret();

  const { databaseUrl } = await import("../db/url.ts");
  const url = databaseUrl();
  if (envFlag("INGOT_AUTO_MIGRATE", false)) {
    const { migrate } = await import("../db/migrate.ts");
    const r = await migrate(url, ROOT);
    log(`migrations: ${r.applied.length} applied, ${r.alreadyApplied} already applied`);
  }

  // The connection, which this server closes when it stops.
  const { processDatabase, forgetProcessDatabase } = await import("../core/database.ts");
  const db = await processDatabase();
  // Live events span the processes of a PostgreSQL database (re-attached if a previous server of
  // this process detached them when it closed).
  const events = await import("../core/events.ts");
  await events.ensureLiveEventsBridge(url);
  const startup = await import("../core/startup.ts");
  if (!(await startup.hasIngotTables())) {
    throw new Error(`the database at ${redactUrl(url)} has no Ingot tables; run \`npm run migrate\` (or \`ingot migrate\`) first, or set INGOT_AUTO_MIGRATE=1`);
  }

  const users = await import("../core/users.ts");
  let login: { user: string; password: string | null; fromEnv: boolean } | null = null;
  if (serveWeb) {
    users.registerCredentialResolver();
    // The dashboard calls the API with its session cookie (plus the web client header).
    (await import("./session_cookie.ts")).registerApiCredentialResolver();

    // Demo fleet on an empty database.
    if (envFlag("INGOT_DEMO", true)) {
      const r = await startup.seedDemoFleetIfEmpty(Number(process.env.INGOT_DEMO_NODES ?? 200));
      if (r) log(`demo fleet: ${r.nodes} ${r.driver} nodes (${r.first ?? "-"} … ${r.last ?? "-"}) in ${r.ms} ms; INGOT_DEMO=0 disables this`);
    }

    // First start: an administrator.
    if (await startup.hasNoUsers()) {
      const fromEnv = !!process.env.INGOT_ADMIN_PASSWORD;
      const password = process.env.INGOT_ADMIN_PASSWORD || users.randomPassword();
      await startup.createFirstAdministrator(password);
      if (!fromEnv) {
        try {
          writeFileSync(join(dataDir(), "admin-password"), password + "\n", { mode: 0o600 });
        } catch {
          // data/ may be read-only; the banner below still shows it
        }
      }
      login = { user: "admin", password, fromEnv };
    }
  }

  // The conductor, in this process (roles all and conductor), with its RPC listener: the API of
  // any process sends the work for this conductor's nodes there.
  const conductor = await import("../core/conductor/index.ts");
  const dhcp = (await import("../core/dhcp/provider.ts")).dhcpProvider();
  // Machines network-boot from the conductor's files (lib/core/netboot/http_root.ts).
  const bootHttp = hostsConductor ? await import("./boot_http.ts") : null;
  const rpc = await import("./rpc.ts");
  let rpcServer: Awaited<ReturnType<typeof rpc.startRpcServer>> | null = null;
  const consoleLog = await import("../core/console/log.ts");
  if (hostsConductor) {
    rpcServer = await rpc.startRpcServer({ host: opts.rpcHost, port: opts.rpcPort, target: () => conductor.getConductor() });
    try {
      await conductor.startConductor({ rpcUrl: rpcServer.url });
    } catch (err) {
      await rpcServer.close();
      throw err;
    }
    log(`conductor ${conductor.getConductor().hostname} started; RPC on ${rpcServer.url}`);
    // Console logs: serial output of active nodes (lib/core/console/log.ts).
    const { nodeConductor } = await import("../core/services/nodes.ts");
    // As conductorApi() routes: no live owner at all counts as this process.
    const owns = async (node: import("../core/db/nodes.ts").NodeRecord) => {
      const owner = await nodeConductor(node);
      return owner === null || owner === conductor.getConductor().hostname;
    };
    await consoleLog.startConsoleCapture({ owns }).catch((err) => console.error("[ingot] console capture failed to start:", err));
    // The DHCP provider (INGOT_DHCP_PROVIDER; dnsmasq runs while the conductor does). A dnsmasq
    // that cannot start is reported and retried; the rest of Ingot works without it.
    await dhcp.start().catch((err: Error) => console.error(`[ingot] DHCP (${dhcp.name}) failed to start: ${err.message}`));
  } else {
    log("no conductor in this process (INGOT_ROLE=api): conductor work goes over RPC");
  }
  if (serveWeb) {
    // Bulk-action jobs (lib/core/jobs.ts) perform each node's action through the services — and so
    // through conductorApi(), also in an api-only process. Registered before the jobs a previous run
    // left unfinished are taken back.
    const jobsModule = await import("../core/jobs.ts");
    const { serviceJobExecutor } = await import("../core/services/job_actions.ts");
    jobsModule.setJobExecutor(serviceJobExecutor);
    const jobs = await jobsModule.recoverJobs();
    if (jobs.jobs) log(`jobs: ${jobs.jobs} resumed (${jobs.resumedWaiting} nodes still waited for, ${jobs.interrupted} interrupted)`);
    // Jobs of a process that went away for good are taken over by one of the others.
    jobsModule.startJobAdoption();
  }

  // Next for everything that is not the API (unless INGOT_WEB=0).
  let app: { close(): Promise<void> } | null = null;
  let handle: ((req: IncomingMessage, res: ServerResponse) => Promise<void>) | null = null;
  let uninstallWebFacade: (() => void) | null = null;
  if (web) {
    const { default: next } = await import("next");
    if (!dev && !existsSync(join(ROOT, ".next", "BUILD_ID"))) {
      throw new Error("no production build: run `npm run build` (or `npm start`, which builds when needed)");
    }
    // The dashboard's pages and server actions reach this process's core only through the facade
    // (lib/web/core.ts); installed before Next loads (or preloads) a page.
    const { createWebFacade } = await import("./web_facade.ts");
    const { installWebFacade } = await import("../web/core.ts");
    uninstallWebFacade = installWebFacade(createWebFacade());
    const nextApp = next({ dev, dir: ROOT, hostname: host, port });
    const nextHandle = nextApp.getRequestHandler();
    await nextApp.prepare();
    app = nextApp;
    handle = (req, res) => nextHandle(req, res);
  }

  const { handleBaremetal } = await import("../api/handler.ts");
  const origin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

  async function serveApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // handleBaremetal answers every failure itself, in Ironic's format.
    await sendWebResponse(req, res, await handleBaremetal(toWebRequest(req, res, origin)));
  }

  const servesApi = (req: IncomingMessage) => serveWeb && isApiPath(req.url ?? "/");
  const server = createGuardedServer((req, res) => {
    const u = req.url ?? "/";
    if (bootHttp?.isBootPath(u)) {
      bootHttp.serveBoot(req, res, origin).catch((err) => {
        console.error("[ingot] boot file failure:", err);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
      return;
    }
    if (servesApi(req)) {
      serveApi(req, res).catch((err) => {
        console.error("[ingot] API failure:", err);
        if (!res.headersSent) sendIronicError(req, res, 500, "Internal Server Error").catch(() => res.destroy());
        else res.end();
      });
      return;
    }
    if (!handle) {
      const body = u === "/api/health" || u.startsWith("/api/health?")
        ? `{"ok":true}`
        : serveWeb ? `{"error":"not found (the dashboard is disabled: INGOT_WEB=0)"}` : `{"error":"not found (conductor-only process: INGOT_ROLE=conductor)"}`;
      res.writeHead(body.startsWith(`{"ok"`) ? 200 : 404, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    handle(req, res).catch((err: unknown) => {
      console.error("[ingot] page failed:", err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  }, { continueLazily: servesApi });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const consoles = await import("./consoles.ts");
  const live = await import("./live.ts");
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? "/").split("?")[0];
    if (serveWeb) {
      // Next's own upgrade listener (attached on its first request) serves /_next/* (dev HMR).
      if (web && path.startsWith("/_next/")) return;
      // Ingot's console websockets (docs/consoles.md).
      if (path.startsWith("/ws/nodes/") && consoles.handleConsoleUpgrade(req, socket, head)) return;
      // Live updates for the dashboard (query invalidation).
      if (path === "/ws/events" && live.handleLiveUpgrade(req, socket, head)) return;
    }
    // Anything else that asks to switch protocols (the API, pages) is served as a plain request.
    answerWithoutUpgrade(server, req, socket);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const shownHost = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const boundPort = (server.address() as { port: number } | null)?.port ?? port;
  const publicUrl = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${boundPort}`;
  printBanner(publicUrl, dev, web, login, role, hostsConductor ? conductor.getConductor().hostname : null, rpcServer?.url ?? null);

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      if (serveWeb) (await import("../core/jobs.ts")).stopJobAdoption();
      consoles.closeConsoleWebsockets();
      live.closeLiveWebsockets();
      if (hostsConductor) await consoleLog.stopConsoleCapture();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      });
      if (hostsConductor) {
        await dhcp.stop();
        await rpcServer?.close();
        await conductor.stopConductor();
      }
      setProcessRole(null);
      // Two servers of one process (tests: an api and a conductor role) share the database.
      if (!closedDbs.has(db)) {
        closedDbs.add(db);
        // The PostgreSQL LISTEN connection of live events goes with the database (the bus stays).
        await events.rebridgeLiveEvents(null);
        await db.close();
      }
      forgetProcessDatabase();
      await app?.close().catch(() => undefined);
      uninstallWebFacade?.();
    })();
    return closing;
  };
  return { server, url: publicUrl, role, rpcUrl: rpcServer?.url ?? null, close };
}

function shortPath(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith("..") ? r : p;
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

function printBanner(
  url: string, dev: boolean, web: boolean, login: { user: string; password: string | null; fromEnv: boolean } | null,
  role: ProcessRole, conductorHost: string | null, rpcUrl: string | null,
): void {
  const roleText = role === "all" ? "all (API, dashboard and conductor)" : role === "api" ? "api (no conductor in this process)" : "conductor (no dashboard, no Bare Metal API)";
  const lines = [`Ingot is running${dev ? " (development)" : ""}`, ``, `  Role:               ${roleText}`];
  if (role !== "conductor") {
    lines.push(web ? `  Dashboard:          ${url}/` : `  Dashboard:          disabled (INGOT_WEB=0)`, `  Bare Metal API:     ${url}/baremetal`);
  } else {
    lines.push(`  Health:             ${url}/api/health`);
  }
  if (conductorHost) lines.push(`  Conductor:          ${conductorHost}`, `  Conductor RPC:      ${rpcUrl}/rpc`);
  if (role === "conductor") {
    // nothing about logins: this process serves no users
  } else if (login) {
    lines.push(``, `  Log in as:          ${login.user}`);
    lines.push(login.fromEnv ? `  Password:           (the value of INGOT_ADMIN_PASSWORD)` : `  Password:           ${login.password}`);
    if (!login.fromEnv) lines.push(`                      (also saved in ${shortPath(join(dataDir(), "admin-password"))}; shown only on this first start)`);
  } else {
    lines.push(``, `  Log in with an existing user. New users: npm run ingot -- user create <name>`);
    const saved = join(dataDir(), "admin-password");
    if (existsSync(saved)) lines.push(`  The first admin password is in ${shortPath(saved)}.`);
  }
  const width = Math.max(...lines.map((l) => l.length)) + 2;
  const bar = "─".repeat(width);
  console.log(`\n┌${bar}┐\n${lines.map((l) => `│ ${l.padEnd(width - 1)}│`).join("\n")}\n└${bar}┘\n`);
}

/** Runs the server until SIGTERM/SIGINT. */
export async function serveForever(opts: ServerOptions = {}): Promise<void> {
  logUnhandledRejections();
  let running: RunningServer;
  try {
    running = await startServer(opts);
  } catch (err) {
    console.error(`[ingot] cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    log(`${signal}: shutting down`);
    setTimeout(() => {
      console.error("[ingot] shutdown took too long; exiting");
      process.exit(1);
    }, 15_000).unref();
    running.close().then(
      () => process.exit(0),
      (err) => {
        console.error("[ingot] shutdown failed:", err);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}
