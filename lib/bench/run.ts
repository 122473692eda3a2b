// `npm run bench`: starts a production Ingot server on a scratch SQLite database and measures
// the API against the targets of the foundation issue. Writes docs/benchmarks.md.
// Options: --nodes N (total for the big list, default 10000), --no-write (print only).
import { execFile, spawn } from "node:child_process";
import http from "node:http";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { migrate } from "../db/migrate.ts";
import { percentile, waitForServer } from "./common.ts";
import { openSql } from "../core/db/sql.ts";
import { seedFleet } from "../core/seed.ts";
import type { ApiHistoryEvent } from "../shared/wire.ts";

const ROOT = process.cwd();
const args = process.argv.slice(2);
const TOTAL_NODES = Number(args[args.indexOf("--nodes") + 1] || 10000) || 10000;
const WRITE = !args.includes("--no-write");
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
  const child = spawn(process.execPath, [".next/ingot/server.mjs"], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: dbUrl,
      INGOT_API_AUTH: "noauth", INGOT_DEMO: "0", INGOT_ADMIN_PASSWORD: "bench-password", NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const results: [string, string, string, string][] = [];
  try {
    await waitForServer(`${base}/`, child);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await request(base, method, path, body === undefined ? undefined : JSON.stringify(body));
      const text = res.body.toString("utf8");
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    // Warm up both paths.
    for (let i = 0; i < 50; i++) await api("GET", "/v1/nodes?limit=1");

    // 1. Sequential creates.
    const createTimes: number[] = [];
    for (let i = 0; i < 200; i++) {
      const body = JSON.stringify({ driver: "fake-hardware", name: `bench-${i}`, properties: { cpus: 8, memory_mb: 16384 } });
      const t = performance.now();
      const res = await request(base, "POST", "/v1/nodes", body);
      createTimes.push(performance.now() - t);
      if (res.status !== 201) throw new Error(`create: ${res.status}`);
    }
    results.push(["POST /v1/nodes, sequential, 200 nodes", `${ms(percentile(createTimes, 50))} p50, ${ms(createTimes.reduce((a, b) => a + b) / createTimes.length)} mean`, "13–17 ms", "≤ 1.3 ms"]);

    // 2. Detail list of 200 nodes.
    // Timed until the whole body has arrived; the client's own JSON parsing is not counted.
    const listTimes: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      const res = await request(base, "GET", "/v1/nodes?detail=True");
      listTimes.push(performance.now() - t);
      const body = JSON.parse(res.body.toString("utf8"));
      if (body.nodes.length !== 200) throw new Error(`expected 200 nodes, got ${body.nodes.length}`);
    }
    results.push(["GET /v1/nodes?detail=True, 200 nodes", `${ms(percentile(listTimes, 50))} p50`, "58–77 ms", "≤ 5.8 ms"]);

    // 3. One node enroll → active.
    const one = await api("POST", "/v1/nodes", { driver: "fake-hardware", name: "bench-one", instance_info: { image_source: "http://127.0.0.1/img.qcow2" } });
    let t = performance.now();
    await driveToActive(api, [one.uuid]);
    results.push(["1 node enroll → manageable → available → active", ms(performance.now() - t), "0.17–0.26 s", "≤ 17 ms"]);

    // 4. 50 nodes enroll → active, concurrently.
    const fifty: string[] = [];
    for (let i = 0; i < 50; i++) {
      fifty.push((await api("POST", "/v1/nodes", { driver: "fake-hardware", name: `bench-50-${i}`, instance_info: { image_source: "http://127.0.0.1/img.qcow2" } })).uuid);
    }
    t = performance.now();
    await driveToActive(api, fifty);
    results.push(["50 nodes enroll → manageable → available → active", `${((performance.now() - t) / 1000).toFixed(3)} s`, "8.7–10.9 s", "≤ 0.87 s"]);

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
  const child2 = spawn(process.execPath, [".next/ingot/server.mjs"], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: "production", PORT: String(port2), HOST: "127.0.0.1", DATABASE_URL: dbUrl,
      INGOT_API_AUTH: "noauth", INGOT_DEMO: "0", INGOT_WEB: "0", NEXT_TELEMETRY_DISABLED: "1",
      INGOT_CLEAN_STEP_PRIORITY_OVERRIDE: "raid.delete_configuration:30,bios.factory_reset:20,vendor.log_passthrough:10",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  try {
    await waitForServer(`${base2}/`, child2);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await request(base2, method, path, body === undefined ? undefined : JSON.stringify(body));
      const text = res.body.toString("utf8");
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
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
    // Keep the consoles section that `npm run bench:console` maintains.
    const file = join(ROOT, "docs", "benchmarks.md");
    const previous = existsSync(file) ? readFileSync(file, "utf8") : "";
    const consoles = /<!-- console-bench:start -->[\s\S]*<!-- console-bench:end -->/.exec(previous)?.[0];
    writeFileSync(file, consoles ? `${doc}\n${consoles}\n` : doc);
    console.log("wrote docs/benchmarks.md");
  }
}

type Api = (method: string, path: string, body?: unknown) => Promise<any>;

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

await main();
