// A real Ingot cluster for tests: several processes (`ingot serve` with INGOT_ROLE all|api, or
// `ingot conductor`) against one fresh PostgreSQL database, each with its own conductor
// hostname, port and data directory. Processes can be killed with SIGKILL (a crash) and
// everything is torn down (processes stopped, database dropped) by stop().
//
// Needs INGOT_TEST_PG_URL (a PostgreSQL server where databases may be created): without it
// clusterSkipReason() says why and the cluster tests skip.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrate } from "../db/migrate.ts";
import { pgAdmin } from "./env.ts";

export type ClusterRole = "all" | "api" | "conductor";

export interface ProcessSpec {
  /** Also the conductor hostname (INGOT_CONDUCTOR_HOSTNAME) of processes hosting a conductor. */
  name: string;
  role: ClusterRole;
  /** Extra environment for this process. */
  env?: Record<string, string>;
}

export interface ClusterProcess {
  readonly name: string;
  readonly role: ClusterRole;
  /** The HTTP port (Bare Metal API for all/api). */
  readonly port: number;
  /** The Bare Metal API endpoint (…/baremetal), null for conductor-only processes. */
  readonly apiUrl: string | null;
  readonly child: ChildProcess;
  /** Its INGOT_DATA_DIR (console logs, secrets). */
  readonly dataDir: string;
  /** stdout+stderr so far (for failure messages). */
  output(): string;
  /** kill -9: the process dies at once, without any shutdown. */
  kill9(): Promise<void>;
  readonly exited: boolean;
}

export interface ClusterOptions {
  processes: ProcessSpec[];
  /**
   * An existing database to use (e.g. `file:/tmp/x/ingot.db`, migrated here, left in place by
   * stop()); default: a fresh PostgreSQL database on INGOT_TEST_PG_URL, dropped by stop().
   */
  databaseUrl?: string;
  /** Environment for every process (after the harness's defaults). */
  env?: Record<string, string>;
}

/** Short heartbeats and checks, so a take-over happens within seconds. */
export const FAST_CLUSTER_ENV: Record<string, string> = {
  INGOT_HEARTBEAT_INTERVAL: "1",
  INGOT_HEARTBEAT_TIMEOUT: "3",
  INGOT_PROVISION_CHECK_INTERVAL: "1",
  INGOT_POWER_SYNC_INTERVAL: "2",
  INGOT_HASH_RING_TTL: "1",
};

/** Why cluster tests cannot run here (null: they can). */
export function clusterSkipReason(): string | null {
  return process.env.INGOT_TEST_PG_URL
    ? null
    : "cluster tests need PostgreSQL: set INGOT_TEST_PG_URL=postgresql://user@host:port/db (npm test starts one)";
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Cluster {
  readonly processes = new Map<string, ClusterProcess>();
  private readonly dirs: string[] = [];
  private readonly secret = randomBytes(24).toString("hex");

  private constructor(
    readonly dbUrl: string,
    private readonly dropDb: () => Promise<void>,
    private readonly env: Record<string, string>,
  ) {}

  /** Creates and migrates a database, then starts the processes (in order) and waits for each. */
  static async start(opts: ClusterOptions): Promise<Cluster> {
    if (opts.databaseUrl) return Cluster.boot(new Cluster(opts.databaseUrl, async () => undefined, opts.env ?? {}), opts);
    const server = process.env.INGOT_TEST_PG_URL;
    if (!server) throw new Error(clusterSkipReason()!);
    const name = `ingot_cluster_${randomBytes(6).toString("hex")}`;
    await pgAdmin(server, `CREATE DATABASE "${name}"`);
    const u = new URL(server);
    u.pathname = `/${name}`;
    return Cluster.boot(new Cluster(u.toString(), () => pgAdmin(server, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`), opts.env ?? {}), opts);
  }

  private static async boot(cluster: Cluster, opts: ClusterOptions): Promise<Cluster> {
    try {
      await migrate(cluster.dbUrl);
      for (const spec of opts.processes) await cluster.spawn(spec);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  get(name: string): ClusterProcess {
    const p = this.processes.get(name);
    if (!p) throw new Error(`no cluster process ${name}`);
    return p;
  }

  /** The API endpoint of the first live process serving the API. */
  apiUrl(): string {
    for (const p of this.processes.values()) if (p.apiUrl && !p.exited) return p.apiUrl;
    throw new Error("no live process serves the Bare Metal API");
  }

  /** Starts one more process and waits until it is up (API answering, conductor registered). */
  async spawn(spec: ProcessSpec): Promise<ClusterProcess> {
    if (this.processes.has(spec.name) && !this.processes.get(spec.name)!.exited) throw new Error(`${spec.name} is already running`);
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), `ingot-cluster-${spec.name}-`));
    this.dirs.push(dataDir);
    const args = ["--import", "tsx", "lib/cli/main.ts", spec.role === "conductor" ? "conductor" : "serve"];
    const child = spawn(process.execPath, args, {
      cwd: process.cwd(),
      env: {
        ...process.env,
        NODE_ENV: "test",
        DATABASE_URL: this.dbUrl, HOST: "127.0.0.1", PORT: String(port), INGOT_WEB: "0", INGOT_DEMO: "0",
        INGOT_API_AUTH: "noauth", INGOT_ADMIN_PASSWORD: "cluster-test-pw", INGOT_DATA_DIR: dataDir,
        INGOT_ROLE: spec.role, INGOT_CONDUCTOR_HOSTNAME: spec.name, INGOT_RPC_HOST: "127.0.0.1", INGOT_RPC_PORT: "0",
        INGOT_RPC_SECRET: this.secret,
        ...FAST_CLUSTER_ENV, ...this.env, ...spec.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const keep = (d: Buffer) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    let exited = false;
    const exit = new Promise<void>((resolve) => child.once("exit", () => {
      exited = true;
      resolve();
    }));
    const proc: ClusterProcess = {
      name: spec.name, role: spec.role, port, child, dataDir,
      apiUrl: spec.role === "conductor" ? null : `http://127.0.0.1:${port}/baremetal`,
      output: () => out,
      get exited() {
        return exited;
      },
      async kill9() {
        if (exited) return;
        child.kill("SIGKILL");
        await exit;
      },
    };
    this.processes.set(spec.name, proc);
    await this.waitUp(proc);
    return proc;
  }

  private async waitUp(p: ClusterProcess): Promise<void> {
    const deadline = Date.now() + 90_000;
    const { openSql } = await import("../core/db/sql.ts");
    const sql = await openSql(this.dbUrl);
    try {
      for (;;) {
        if (p.exited) throw new Error(`${p.name} exited while starting (code ${p.child.exitCode}):\n${p.output()}`);
        let up = true;
        if (p.apiUrl) {
          try {
            up = (await fetch(`${p.apiUrl}/`)).ok;
          } catch {
            up = false;
          }
        }
        if (up && p.role !== "api") {
          const row = await sql.get(`SELECT "online" FROM "Conductor" WHERE "hostname" = ?`, [p.name]);
          up = !!row && (row.online === true || row.online === 1);
        }
        if (up) return;
        if (Date.now() > deadline) throw new Error(`${p.name} did not come up within 90 s:\n${p.output()}`);
        await sleep(100);
      }
    } finally {
      await sql.close();
    }
  }

  /** Stops every process (SIGTERM, then SIGKILL), drops the database, removes data directories. */
  async stop(): Promise<void> {
    await Promise.all([...this.processes.values()].map(async (p) => {
      if (p.exited) return;
      const gone = new Promise<void>((r) => p.child.once("exit", () => r()));
      p.child.kill("SIGTERM");
      const t = setTimeout(() => p.child.kill("SIGKILL"), 5_000);
      await gone;
      clearTimeout(t);
    }));
    try {
      await this.dropDb();
    } finally {
      for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    }
  }
}
