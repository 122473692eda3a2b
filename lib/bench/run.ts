// `npm run bench`: starts a production Ingot server on a scratch SQLite database and measures
// the API against the targets of the foundation issue. Writes docs/benchmarks.md.
// Options: --nodes N (total for the big list, default 10000), --no-write (print only).
// `npm run bench -- --vs-ironic [URL]`: the first four measures against a real Ironic (default
// http://127.0.0.1:6385, noauth, empty: ../shared/peers/ironic-up.sh) and an Ingot API server, in one
// run with the same client, printing Ironic's time over Ingot's per measure (see sideBySide below).
import { type ChildProcess, execFile, spawn } from "node:child_process";
import http from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { migrate } from "../db/migrate.ts";
import { percentile, waitForServer, writeBenchSection } from "./common.ts";
import { openSql } from "../core/db/sql.ts";
import { seedFleet } from "../core/seed.ts";
import type { ApiHistoryEvent } from "../shared/wire.ts";

const ROOT = process.cwd();
const args = process.argv.slice(2);
const TOTAL_NODES = Number(args[args.indexOf("--nodes") + 1] || 10000) || 10000;
const WRITE = !args.includes("--no-write");
const VS_IRONIC = args.includes("--vs-ironic")
  ? (/^https?:/.test(args[args.indexOf("--vs-ironic") + 1] ?? "") ? args[args.indexOf("--vs-ironic") + 1].replace(/\/$/, "") : "http://127.0.0.1:6385")
  : null;
const run = promisify(execFile);

const HEADERS = { "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" };

// A lean keep-alive client (like curl in a loop): Node's fetch adds about 1 ms to a POST here.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(base: string, method: string, path: string, body?: string): Promise<{ status: number; body: Buffer }> {
  const url = new URL(base + path);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method, agent,
        headers: { ...HEADERS, ...(body !== undefined ? { "Content-Length": Buffer.byteLength(body) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

async function main() {
  if (!existsSync(join(ROOT, ".next", "BUILD_ID")) || !existsSync(join(ROOT, ".next", "ingot", "server.mjs"))) {
    console.log("no production build yet: running `npm run build` first");
    await run("npm", ["run", "build"], { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" }, maxBuffer: 1 << 26 });
  }
  const dir = mkdtempSync(join(tmpdir(), "ingot-bench-"));
  const dbUrl = `file:${join(dir, "bench.db")}`;
  await migrate(dbUrl, ROOT);
  const port = 3900 + Math.floor(Math.random() * 90);
  const base = `http://127.0.0.1:${port}/baremetal`;
  const child = startIngot(port, dbUrl, { INGOT_ADMIN_PASSWORD: "bench-password" });
  const results: [string, string, string, string][] = [];
  try {
    await waitForServer(`${base}/`, child);
    const api = apiFor(base);
    await warmUp(api);

    const createTimes = await timeCreates(base, "bench");
    results.push(["POST /v1/nodes, sequential, 200 nodes", `${ms(percentile(createTimes, 50))} p50, ${ms(mean(createTimes))} mean`, "13–17 ms", "≤ 1.3 ms"]);

    const listTimes = await timeDetailList(base);
    results.push(["GET /v1/nodes?detail=True, 200 nodes", `${ms(percentile(listTimes, 50))} p50`, "58–77 ms", "≤ 5.8 ms"]);

    results.push(["1 node enroll → manageable → available → active", ms(await timeToActive(api, "bench-one", 1)), "0.17–0.26 s", "≤ 17 ms"]);
    results.push(["50 nodes enroll → manageable → available → active", `${((await timeToActive(api, "bench-50", 50)) / 1000).toFixed(3)} s`, "8.7–10.9 s", "≤ 0.87 s"]);
    let t: number;

    // 5. The real client: deploy --wait.
    if (existsSync("/usr/bin/openstack")) {
      const node = await api("POST", "/v1/nodes", { driver: "fake-hardware", name: "bench-cli", instance_info: { image_source: "http://127.0.0.1/img.qcow2" } });
      await driveTo(api, node.uuid, "manage", "manageable");
      await driveTo(api, node.uuid, "provide", "available");
      const env = { ...process.env, OS_AUTH_TYPE: "none", OS_ENDPOINT: base };
      t = performance.now();
      await run("/usr/bin/python3", ["/usr/bin/openstack", "baremetal", "node", "deploy", node.uuid, "--wait", "120"], { env });
      const deployWait = performance.now() - t;
      t = performance.now();
      await run("/usr/bin/python3", ["/usr/bin/openstack", "baremetal", "node", "show", node.uuid, "-f", "value", "-c", "uuid"], { env });
      results.push(["`openstack baremetal node deploy --wait` (real client)", `${(deployWait / 1000).toFixed(2)} s (a bare \`node show\`: ${((performance.now() - t) / 1000).toFixed(2)} s)`, "≈ 11 s (measured here)", "≈ 1 s"]);
    }

    // 6. 10,000 nodes: paged detail list and memory.
    const sql = await openSql(dbUrl);
    const existing = Number((await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "Node"`))!.n);
    await seedFleet(sql, TOTAL_NODES - existing, { prefix: "bench-seed", driver: "fake-hardware" });
    await sql.close();
    const pageTimes: number[] = [];
    for (let round = 0; round < 3; round++) {
      t = performance.now();
      let path: string | undefined = "/v1/nodes?detail=True&limit=1000";
      let count = 0;
      while (path) {
        const res = await request(base, "GET", path);
        const body = JSON.parse(res.body.toString("utf8")) as { nodes: unknown[]; next?: string };
        count += body.nodes.length;
        path = body.next?.slice(base.length);
      }
      pageTimes.push(performance.now() - t);
      if (count !== TOTAL_NODES) throw new Error(`expected ${TOTAL_NODES} nodes, listed ${count}`);
    }
    results.push([`GET /v1/nodes?detail=True, all ${TOTAL_NODES} nodes in pages of 1000`, `${ms(percentile(pageTimes, 50))} for all pages (${ms(percentile(pageTimes, 50) / Math.ceil(TOTAL_NODES / 1000))} a page)`, "–", "–"]);
    const mem = rssMb(child.pid!);
    results.push([`server resident memory with ${TOTAL_NODES} nodes (after listing them)`, `${mem.rss.toFixed(0)} MB (peak ${mem.peak.toFixed(0)} MB)`, "–", "≤ 300 MB"]);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
  }

  // Lifecycle (issue 3): automated cleaning with three steps, and the available-steps call.
  const port2 = port + 1;
  const base2 = `http://127.0.0.1:${port2}/baremetal`;
  const child2 = startIngot(port2, dbUrl, {
    INGOT_WEB: "0",
    INGOT_CLEAN_STEP_PRIORITY_OVERRIDE: "raid.delete_configuration:30,bios.factory_reset:20,vendor.log_passthrough:10",
  });
  try {
    await waitForServer(`${base2}/`, child2);
    const api = apiFor(base2);
    const cleaners: string[] = [];
    for (let i = 0; i < 50; i++) cleaners.push((await api("POST", "/v1/nodes", { driver: "fake-hardware", name: `bench-clean-${i}` })).uuid);
    await Promise.all(cleaners.map((u) => driveTo(api, u, "manage", "manageable")));
    let t = performance.now();
    await Promise.all(cleaners.map((u) => driveTo(api, u, "provide", "available")));
    const cleanSeconds = (performance.now() - t) / 1000;
    const steps = await api("GET", `/v1/nodes/${cleaners[0]}/history?detail=True&structured=True`);
    const ran = steps.history.filter((h: ApiHistoryEvent) => h.structured?.kind === "step_finished" && h.structured.step_kind === "clean").length;
    if (ran !== 3) throw new Error(`expected 3 clean steps per node, history shows ${ran}`);
    results.push(["50 nodes through automated cleaning, 3 steps each (manageable → available)", `${cleanSeconds.toFixed(3)} s`, "–", "–"]);

    const uuids: string[] = [];
    for (let path: string | undefined = "/v1/nodes?limit=1000"; path && uuids.length < 1000; ) {
      const page = await api("GET", path);
      uuids.push(...page.nodes.map((n: { uuid: string }) => n.uuid));
      path = page.next?.slice(base2.length);
    }
    for (const round of ["first call (computed and cached)", "cached"]) {
      const times: number[] = [];
      t = performance.now();
      for (const u of uuids.slice(0, 1000)) {
        const t0 = performance.now();
        const res = await request(base2, "GET", `/v1/nodes/${u}/cleaning/steps`);
        times.push(performance.now() - t0);
        if (res.status !== 200) throw new Error(`steps: ${res.status}`);
      }
      results.push([`GET /v1/nodes/{node}/cleaning/steps for 1,000 nodes, ${round}`, `${((performance.now() - t) / 1000).toFixed(3)} s (${ms(percentile(times, 50))} p50 a call)`, "–", "–"]);
    }
  } finally {
    child2.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dir, { recursive: true, force: true });
  }

  const table = [
    "| measurement | Ingot | real Ironic 21.4 (same machine) | target |",
    "|---|---|---|---|",
    ...results.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  console.log(table);
  if (WRITE) {
    const doc = `# Benchmarks

Made by \`npm run bench\` (lib/bench/run.ts) on ${new Date().toISOString().slice(0, 10)}: a production build of Ingot
(custom server, SQLite, \`INGOT_API_AUTH=noauth\`, fake-hardware) on this machine (${cpus().length} cores,
${Math.round(totalmem() / 2 ** 30)} GiB), driven over loopback with keep-alive by the benchmark process.
The Ironic figures are those of the foundation issue, measured on the same kind of machine.

${table}

Notes:
- "enroll → active" runs manage, provide (automated cleaning with fake-hardware's clean steps) and deploy,
  polling each node every 2 ms until it reaches the state.
- Requests go over loopback through a keep-alive \`node:http\` client; times are until the whole
  response has arrived (the client's JSON parsing is not counted).
- The real-client line includes the client's own start-up (Python, about 0.8 s here); compare it with the bare \`node show\`.
`;
    // This part is what precedes the first section another benchmark maintains; keep those.
    const file = join(ROOT, "docs", "benchmarks.md");
    const previous = existsSync(file) ? readFileSync(file, "utf8") : "";
    const firstSection = previous.search(/<!-- [\w-]+:start -->/);
    writeFileSync(file, firstSection >= 0 ? `${doc}\n${previous.slice(firstSection)}` : doc);
    console.log("wrote docs/benchmarks.md");
  }
}

type Api = (method: string, path: string, body?: unknown) => Promise<any>;

/** The JSON API at `base` (…/baremetal for Ingot, the root for Ironic); any 4xx/5xx throws. */
function apiFor(base: string): Api {
  return async (method, path, body) => {
    const res = await request(base, method, path, body === undefined ? undefined : JSON.stringify(body));
    const text = res.body.toString("utf8");
    if (res.status >= 400) throw new Error(`${method} ${base}${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
}

/** The bundled production server on a migrated database, no authentication, no demo fleet. */
function startIngot(port: number, dbUrl: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [".next/ingot/server.mjs"], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: dbUrl,
      INGOT_API_AUTH: "noauth", INGOT_DEMO: "0", NEXT_TELEMETRY_DISABLED: "1", ...env,
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

async function warmUp(api: Api): Promise<void> {
  for (let i = 0; i < 50; i++) await api("GET", "/v1/nodes?limit=1");
}

/** Measure 1: 200 sequential creates; the time of each. */
async function timeCreates(base: string, prefix: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const body = JSON.stringify({ driver: "fake-hardware", name: `${prefix}-${i}`, properties: { cpus: 8, memory_mb: 16384 } });
    const t = performance.now();
    const res = await request(base, "POST", "/v1/nodes", body);
    times.push(performance.now() - t);
    if (res.status !== 201) throw new Error(`create: ${res.status} ${res.body.toString("utf8")}`);
  }
  return times;
}

/**
 * Measure 2: the detail list of those 200 nodes (the only ones), 50 times; timed until the whole
 * body has arrived (the client's own JSON parsing is not counted).
 */
async function timeDetailList(base: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    const res = await request(base, "GET", "/v1/nodes?detail=True");
    times.push(performance.now() - t);
    const body = JSON.parse(res.body.toString("utf8"));
    if (body.nodes.length !== 200) throw new Error(`expected 200 nodes, got ${body.nodes.length}`);
  }
  return times;
}

/** Measures 3 and 4: `count` new nodes enroll → active, concurrently; the time for all of them. */
async function timeToActive(api: Api, prefix: string, count: number): Promise<number> {
  const uuids: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = count === 1 ? prefix : `${prefix}-${i}`;
    uuids.push((await api("POST", "/v1/nodes", { driver: "fake-hardware", name, instance_info: { image_source: "http://127.0.0.1/img.qcow2" } })).uuid);
  }
  const t = performance.now();
  await driveToActive(api, uuids);
  return performance.now() - t;
}

async function driveTo(api: Api, uuid: string, verb: string, state: string): Promise<void> {
  await api("PUT", `/v1/nodes/${uuid}/states/provision`, { target: verb });
  for (;;) {
    const n = await api("GET", `/v1/nodes/${uuid}?fields=provision_state,last_error`);
    if (n.provision_state === state) return;
    if (n.last_error) throw new Error(`${uuid}: ${n.last_error}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function driveToActive(api: Api, uuids: string[]): Promise<void> {
  await Promise.all(
    uuids.map(async (u) => {
      await driveTo(api, u, "manage", "manageable");
      await driveTo(api, u, "provide", "available");
      await driveTo(api, u, "active", "active");
    }),
  );
}

const SIDE_BY_SIDE_RUNS = args.includes("--runs") ? Math.max(1, Number(args[args.indexOf("--runs") + 1]) || 1) : 1;

/**
 * Measures 1–4 against a real Ironic at `ironicBase` and against Ingot, with the same client and
 * requests: per measure Ironic first, then Ingot. Ingot is the bundled production server of main()
 * (rebuilt from the sources here, without the Next build: INGOT_WEB=0 leaves the API's path as it
 * is), fresh for each run. Ironic must hold no nodes at the start (the list measure lists exactly
 * the 200 created); after each run the nodes made on it are deleted again, so `--runs N` repeats
 * the whole comparison N times. The table gives each measure's median over the runs.
 */
async function sideBySide(ironicBase: string): Promise<void> {
  await run(process.execPath, ["lib/server/bundle.mjs"], { cwd: ROOT });
  const ironic = apiFor(ironicBase);
  const ironicVersion = (await ironic("GET", "/")).default_version?.version ?? "?";
  const measures = [
    "POST /v1/nodes, sequential, 200 nodes (p50)",
    "GET /v1/nodes?detail=True, 200 nodes (p50 of 50)",
    "1 node enroll → manageable → available → active",
    "50 nodes enroll → manageable → available → active",
  ];
  const perRun: { ironic: number[]; ingot: number[] }[] = [];
  const load0 = loadavg()[0];
  for (let r = 0; r < SIDE_BY_SIDE_RUNS; r++) {
    if ((await ironic("GET", "/v1/nodes?limit=1")).nodes.length) {
      throw new Error(`Ironic at ${ironicBase} already holds nodes; start it on an empty database (ironic-down.sh, then ironic-up.sh)`);
    }
    const dir = mkdtempSync(join(tmpdir(), "ingot-bench-"));
    const dbUrl = `file:${join(dir, "bench.db")}`;
    await migrate(dbUrl, ROOT);
    const port = 3900 + Math.floor(Math.random() * 90);
    const ingotBase = `http://127.0.0.1:${port}/baremetal`;
    const child = startIngot(port, dbUrl, { INGOT_WEB: "0" });
    const targets = [{ base: ironicBase, api: ironic }, { base: ingotBase, api: apiFor(ingotBase) }];
    const result = { ironic: [] as number[], ingot: [] as number[] };
    try {
      await waitForServer(`${ingotBase}/`, child);
      for (const target of targets) await warmUp(target.api);
      const measure = async (fn: (target: (typeof targets)[number]) => Promise<number>) => {
        result.ironic.push(await fn(targets[0]));
        result.ingot.push(await fn(targets[1]));
      };
      await measure(async (target) => percentile(await timeCreates(target.base, "bench"), 50));
      await measure(async (target) => percentile(await timeDetailList(target.base), 50));
      await measure((target) => timeToActive(target.api, "bench-one", 1));
      await measure((target) => timeToActive(target.api, "bench-50", 50));
    } finally {
      child.kill("SIGTERM");
      await deleteAllNodes(ironic);
      await new Promise((res) => setTimeout(res, 500));
      rmSync(dir, { recursive: true, force: true });
    }
    perRun.push(result);
    console.log(`run ${r + 1}: ${measures.map((m, i) => `${m.split(",")[0].split(" enroll")[0]}: ${ms(result.ironic[i])} vs ${ms(result.ingot[i])} (×${(result.ironic[i] / result.ingot[i]).toFixed(1)})`).join("; ")}`);
  }
  const load1 = loadavg()[0];

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const shown = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(3)} s` : ms(v));
  const rows = measures.map((label, i) => {
    const ir = median(perRun.map((p) => p.ironic[i]));
    const ing = median(perRun.map((p) => p.ingot[i]));
    const ratios = perRun.map((p) => p.ironic[i] / p.ingot[i]);
    const spread = perRun.length > 1 ? ` (runs: ${ratios.map((x) => `×${x.toFixed(1)}`).join(", ")})` : "";
    return `| ${label} | ${shown(ir)} | ${shown(ing)} | **×${(ir / ing).toFixed(1)}**${spread} |`;
  });
  // As openSql reads INGOT_SQLITE_SYNC (the server inherits this environment).
  const syncAsked = (process.env.INGOT_SQLITE_SYNC ?? "").toUpperCase();
  const sync = syncAsked === "FULL" || syncAsked === "EXTRA" ? syncAsked : "NORMAL";
  const command = `${process.env.INGOT_SQLITE_SYNC ? `INGOT_SQLITE_SYNC=${process.env.INGOT_SQLITE_SYNC} ` : ""}npm run bench -- --vs-ironic${VS_IRONIC === "http://127.0.0.1:6385" ? "" : ` ${ironicBase}`}${SIDE_BY_SIDE_RUNS > 1 ? ` --runs ${SIDE_BY_SIDE_RUNS}` : ""}`;
  const section = `<!-- ironic-bench:start -->
## Side by side with Ironic

Made by \`${command}\` (lib/bench/run.ts) on ${new Date().toISOString().slice(0, 10)}: real Ironic ${ironicVersion === "1.82" ? "21.4" : `(API ${ironicVersion})`}
(\`../shared/peers/ironic-up.sh\`: one process, SQLite, noauth, fake-hardware) and Ingot (the bundled
production server, SQLite with WAL and \`synchronous=${sync}\`, \`INGOT_API_AUTH=noauth\`, \`INGOT_WEB=0\`) on this
machine (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; 1-minute load average ${load0.toFixed(1)} before, ${load1.toFixed(1)} after), driven by one
keep-alive client with the same requests, each measure on Ironic and then on Ingot.
${perRun.length > 1 ? `Medians of ${perRun.length} runs (a fresh Ingot each run; Ironic's nodes deleted after each).` : "One run."}

| measurement | real Ironic 21.4 | Ingot | Ironic ÷ Ingot |
|---|---|---|---|
${rows.join("\n")}

- The ratio is Ironic's ${perRun.length > 1 ? "median over Ingot's; in brackets each run's own ratio" : "time over Ingot's"}. Times are until the
  whole response has arrived (the client's JSON parsing is not counted); the list is over exactly the 200
  nodes created before it; "enroll → active" polls each node every 2 ms.
- Ironic's SQLite (oslo.db's defaults) commits through a rollback journal with an fsync per commit,
  so its times follow the disk's fsync latency; ${sync === "NORMAL"
    ? "Ingot's WAL with `synchronous=NORMAL` keeps every acknowledged write\n  across a crash of the process without an fsync per commit (`INGOT_SQLITE_SYNC=FULL` adds one, for power loss)."
    : `Ingot's WAL with \`synchronous=${sync}\` fsyncs each commit as well.`}
- Server and client share the 2 cores with each other and, at a load average like the one above, with
  other work: absolute times move a lot from run to run; compare within a run.
<!-- ironic-bench:end -->
`;
  console.log(`\n${section}`);
  if (WRITE) {
    writeBenchSection("ironic-bench", section);
    console.log("wrote the side-by-side section of docs/benchmarks.md");
  }
}

/** Deletes every node (maintenance first where the provision state does not allow deleting). */
async function deleteAllNodes(api: Api): Promise<void> {
  for (;;) {
    const { nodes } = await api("GET", "/v1/nodes?fields=uuid,provision_state,maintenance&limit=1000");
    if (!nodes.length) return;
    for (const n of nodes as { uuid: string; provision_state: string; maintenance: boolean }[]) {
      if (!n.maintenance && !["enroll", "manageable", "available"].includes(n.provision_state)) {
        await api("PATCH", `/v1/nodes/${n.uuid}`, [{ op: "replace", path: "/maintenance", value: true }]);
      }
      await api("DELETE", `/v1/nodes/${n.uuid}`);
    }
  }
}

await (VS_IRONIC ? sideBySide(VS_IRONIC) : main());
