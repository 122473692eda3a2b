// `npm run bench:cluster`: the scale-out figures of issue #6. The same workload on two layouts:
//   - PostgreSQL: one API process (INGOT_ROLE=api) and 3 conductor processes (`ingot conductor`);
//     the API routes each node's work to its conductor over RPC;
//   - SQLite: one process (role all), the embedded default.
//   - PostgreSQL, one process (role all): what the database costs, without the RPC;
// Workload: N sim nodes (default 1,000; INGOT_SIM_SPEED=0) enrolled through the API, then
// manage → provide (automated cleaning) → deploy, each phase until every node is in its target
// state; then the database is filled to M nodes (default 10,000) and listed through the API.
// Needs INGOT_BENCH_PG_URL or INGOT_TEST_PG_URL (a PostgreSQL server where databases may be created).
// Options: --nodes N, --list M, --no-write (print only). Writes docs/benchmarks.md.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { openSql } from "../core/db/sql.ts";
import { seedFleet } from "../core/seed.ts";
import { Cluster, type ProcessSpec } from "../testing/cluster.ts";
import { percentile, sleep, writeBenchSection } from "./common.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) || dflt : dflt;
};
const NODES = opt("--nodes", 1000);
const LIST = opt("--list", 10000);
const WRITE = !args.includes("--no-write");
const CONCURRENCY = 32;

// Production-like timers (not the tests' seconds-long heartbeats), sim machines as fast as possible.
const ENV: Record<string, string> = {
  INGOT_HEARTBEAT_INTERVAL: "10", INGOT_HEARTBEAT_TIMEOUT: "60", INGOT_PROVISION_CHECK_INTERVAL: "60",
  INGOT_POWER_SYNC_INTERVAL: "600", INGOT_HASH_RING_TTL: "15",
  INGOT_ENABLED_HARDWARE_TYPES: "fake-hardware,sim", INGOT_SIM_SPEED: "0", INGOT_JOB_CONCURRENCY: "8",
};

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
function request(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const url = new URL(base + path);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent,
        headers: { "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json", ...(text ? { "Content-Length": Buffer.byteLength(text) } : {}) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, json: raw ? JSON.parse(raw) : null });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

async function eachConcurrently<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Every node's provision state, through the API in pages of 1,000. */
async function states(base: string): Promise<Map<string, { state: string; error: string | null }>> {
  const out = new Map<string, { state: string; error: string | null }>();
  let marker = "";
  for (;;) {
    const r = await request(base, "GET", `/v1/nodes?fields=uuid,provision_state,last_error&limit=1000${marker ? `&marker=${marker}` : ""}`);
    if (r.status !== 200) throw new Error(`listing nodes: HTTP ${r.status}`);
    for (const n of r.json.nodes) out.set(n.uuid, { state: n.provision_state, error: n.last_error });
    if (r.json.nodes.length < 1000) return out;
    marker = r.json.nodes[r.json.nodes.length - 1].uuid;
  }
}

interface Phase {
  name: string;
  seconds: number;
  failed: number;
}

/** Asks every node for `target`, then waits until all are in `want` (or failed). */
async function phase(base: string, uuids: string[], name: string, target: string, want: string): Promise<Phase> {
  const started = performance.now();
  const refused: string[] = [];
  await eachConcurrently(uuids, async (u) => {
    for (let attempt = 0; ; attempt++) {
      const r = await request(base, "PUT", `/v1/nodes/${u}/states/provision`, { target });
      if (r.status === 202) return;
      // Locked (409) or no free worker (503): retry as the Ironic client does.
      if ((r.status === 409 || r.status === 503) && attempt < 100) {
        await sleep(100);
        continue;
      }
      refused.push(`${u}: HTTP ${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      return;
    }
  });
  const pending = new Set(uuids);
  let failed = refused.length;
  for (const r of refused) pending.delete(r.slice(0, 36));
  const deadline = Date.now() + 30 * 60_000;
  while (pending.size) {
    if (Date.now() > deadline) throw new Error(`${name}: ${pending.size} nodes never reached ${want}`);
    await sleep(250);
    const now = await states(base);
    for (const u of [...pending]) {
      const s = now.get(u);
      if (!s) continue;
      if (s.state === want) pending.delete(u);
      else if (/failed$/.test(s.state)) {
        pending.delete(u);
        failed++;
        if (failed <= 3) console.error(`  ${u} ${s.state}: ${s.error}`);
      }
    }
  }
  for (const r of refused.slice(0, 3)) console.error(`  refused ${r}`);
  const seconds = (performance.now() - started) / 1000;
  console.log(`  ${name}: ${seconds.toFixed(1)} s${failed ? ` (${failed} failed)` : ""}`);
  return { name, seconds, failed };
}

interface LayoutResult {
  layout: string;
  enroll: Phase;
  phases: Phase[];
  total: number;
  listAllMs: number[];
  listDetailMs: number[];
  pageMs: number[];
}

async function runLayout(layout: string, databaseUrl: string | undefined, processes: ProcessSpec[]): Promise<LayoutResult> {
  console.log(`\n${layout}`);
  const cluster = await Cluster.start({ processes, env: ENV, databaseUrl });
  try {
    const base = cluster.apiUrl();
    // enroll
    const started = performance.now();
    const uuids: string[] = [];
    let enrollFailed = 0;
    await eachConcurrently(Array.from({ length: NODES }, (_, i) => i), async (i) => {
      const r = await request(base, "POST", "/v1/nodes", { driver: "sim", name: `bench-${String(i).padStart(5, "0")}`, resource_class: "bench" });
      if (r.status === 201) uuids.push(r.json.uuid);
      else enrollFailed++;
    });
    const enroll = { name: "enroll", seconds: (performance.now() - started) / 1000, failed: enrollFailed };
    console.log(`  enroll: ${enroll.seconds.toFixed(1)} s`);
    const phases = [
      await phase(base, uuids, "manage", "manage", "manageable"),
      await phase(base, uuids, "provide (automated cleaning)", "provide", "available"),
      await phase(base, uuids, "deploy", "active", "active"),
    ];
    const total = enroll.seconds + phases.reduce((s, p) => s + p.seconds, 0);

    // Fill to LIST nodes (straight into the database: the listing is what is measured).
    const db = await openSql(cluster.dbUrl);
    try {
      await seedFleet(db, Math.max(0, LIST - NODES), { driver: "fake-hardware", prefix: "list" });
    } finally {
      await db.close();
    }
    const listAllMs: number[] = [];
    const listDetailMs: number[] = [];
    const pageMs: number[] = [];
    for (let run = 0; run < 6; run++) {
      for (const detail of [false, true]) {
        const t0 = performance.now();
        let count = 0;
        let marker = "";
        for (;;) {
          const p0 = performance.now();
          const r = await request(base, "GET", `/v1/nodes?limit=1000${detail ? "&detail=True" : ""}${marker ? `&marker=${marker}` : ""}`);
          if (detail && run > 0) pageMs.push(performance.now() - p0);
          count += r.json.nodes.length;
          if (r.json.nodes.length < 1000) break;
          marker = r.json.nodes[r.json.nodes.length - 1].uuid;
        }
        if (count !== LIST) throw new Error(`listed ${count} nodes, expected ${LIST}`);
        // The first run warms caches and the JIT; it is not counted.
        if (run > 0) (detail ? listDetailMs : listAllMs).push(performance.now() - t0);
      }
    }
    console.log(`  list ${LIST}: ${percentile(listAllMs, 50).toFixed(0)} ms, detail ${percentile(listDetailMs, 50).toFixed(0)} ms (p50 of ${listAllMs.length})`);
    return { layout, enroll, phases, total, listAllMs, listDetailMs, pageMs };
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const pgServer = process.env.INGOT_BENCH_PG_URL || process.env.INGOT_TEST_PG_URL;
  if (!pgServer) throw new Error("set INGOT_BENCH_PG_URL (or INGOT_TEST_PG_URL) to a PostgreSQL server where databases may be created");
  process.env.INGOT_TEST_PG_URL = pgServer;
  const pgVersion = await (async () => {
    const s = await openSql(pgServer);
    try {
      return String((await s.get<{ v: string }>("SELECT current_setting('server_version') AS v"))?.v ?? "?").split(" ")[0];
    } finally {
      await s.close();
    }
  })();
  const scratch = mkdtempSync(join(tmpdir(), "ingot-bench-cluster-"));
  const load0 = (await import("node:os")).loadavg()[0];
  try {
    const pg = await runLayout("PostgreSQL: 1 API process + 3 conductors", undefined, [
      { name: "api", role: "api" }, { name: "c1", role: "conductor" }, { name: "c2", role: "conductor" }, { name: "c3", role: "conductor" },
    ]);
    const pgOne = await runLayout("PostgreSQL: one process", undefined, [{ name: "solo", role: "all" }]);
    const lite = await runLayout("SQLite: one process", `file:${join(scratch, "ingot.db")}`, [{ name: "solo", role: "all" }]);
    const load1 = (await import("node:os")).loadavg()[0];
    const md = report([pg, pgOne, lite], pgVersion, load0, load1);
    console.log("\n" + md);
    if (WRITE) {
      writeBenchSection("cluster-bench", `<!-- cluster-bench:start -->\n${md}<!-- cluster-bench:end -->`);
      console.log("docs/benchmarks.md updated");
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    agent.destroy();
  }
}

function report(rows: LayoutResult[], pgVersion: string, load0: number, load1: number): string {
  const s = (v: number) => `${v.toFixed(1)} s`;
  const ms = (v: number) => `${v.toFixed(0)} ms`;
  const rate = (p: Phase) => `${(NODES / p.seconds).toFixed(0)} nodes/s`;
  const cell = (p: Phase) => `${s(p.seconds)} (${rate(p)})${p.failed ? `, **${p.failed} failed**` : ""}`;
  const head = `| measurement | ${rows.map((r) => r.layout).join(" | ")} |\n|---|${rows.map(() => "---|").join("")}\n`;
  const line = (label: string, f: (r: LayoutResult) => string) => `| ${label} | ${rows.map(f).join(" | ")} |\n`;
  return `## Scale-out: several conductors on PostgreSQL

Made by \`npm run bench:cluster\` (lib/bench/cluster.ts) on ${new Date().toISOString().slice(0, 10)}: real processes
(\`ingot serve\` / \`ingot conductor\` under tsx, \`INGOT_WEB=0\`, \`INGOT_API_AUTH=noauth\`) on this machine
(${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; 1-minute load average ${load0.toFixed(1)} before,
${load1.toFixed(1)} after), PostgreSQL ${pgVersion} on the same machine. ${NODES.toLocaleString("en")} \`sim\` nodes with
\`INGOT_SIM_SPEED=0\`, driven through the Bare Metal API by ${CONCURRENCY} concurrent clients.

${head}${line(`enroll ${NODES.toLocaleString("en")} nodes (POST /v1/nodes)`, (r) => cell(r.enroll))}${line("manage → manageable", (r) => cell(r.phases[0]))}${line("provide → available (automated cleaning)", (r) => cell(r.phases[1]))}${line("deploy → active", (r) => cell(r.phases[2]))}${line("**enroll → active, total**", (r) => `**${s(r.total)}**`)}${line(`list ${LIST.toLocaleString("en")} nodes (GET /v1/nodes, pages of 1,000)`, (r) => `${ms(percentile(r.listAllMs, 50))} p50 (n=${r.listAllMs.length})`)}${line(`list ${LIST.toLocaleString("en")} nodes with detail=True`, (r) => `${ms(percentile(r.listDetailMs, 50))} p50, ${ms(percentile(r.pageMs, 50))} a page`)}
- Each phase is timed from the first request until every node is in its target state (polled through
  the API every 250 ms, so a phase measures up to 250 ms long). In the PostgreSQL layout every provision
  request crosses the API → conductor RPC, and each conductor owns about a third of the nodes on the hash ring.
- All processes and PostgreSQL share ${cpus().length} cores here, so this measures overhead, not scaling: the
  point of several conductors is several machines, and of PostgreSQL several writers. On one machine
  SQLite's in-process writes are cheaper. Deploying takes about as long in every layout: what bounds it
  here is CPU (the same cores run the simulated machines, which print and draw their boot screens),
  not the database.
- The listing adds ${Math.max(0, LIST - NODES).toLocaleString("en")} fake-hardware nodes written straight into the database;
  the first of 6 listing runs (warm-up) is not counted.
`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
