// `npm run bench:console`: the console targets of issue 4, on a production Ingot server with a
// scratch SQLite database:
//   1. keystroke echo through the serial websocket on loopback, p99 with 100 consoles open and
//      typing at once (sim nodes at their login prompt, which echoes);
//   2. one console streaming 1 MB/s (a tcp-serial node fed by a local TCP source) into the
//      dashboard's xterm.js view in Chromium: does the browser keep up?
// Writes (or replaces) the "Consoles" section of docs/benchmarks.md. Options: --no-write.
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Socket } from "node:net";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "@playwright/test";
import WebSocket from "ws";
import { percentile, sleep, waitForServer, writeBenchSection } from "./common.ts";
import { CHROMIUM_LAUNCH_OPTIONS } from "../testing/browser.ts";
import { openSql } from "../core/db/sql.ts";
import { seedFleet } from "../core/seed.ts";
import { migrate } from "../db/migrate.ts";

const ROOT = process.cwd();
const WRITE = !process.argv.includes("--no-write");
const CONSOLES = 100;
const KEYS_PER_CONSOLE = 30;
const STREAM_BYTES_PER_S = 1 << 20;
const STREAM_SECONDS = 10;
const PASSWORD = "bench-password";
const BASIC = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;
const HEADERS = { Authorization: BASIC, "X-OpenStack-Ironic-API-Version": "latest", "Content-Type": "application/json" };
const run = promisify(execFile);
interface ApiNode {
  uuid: string;
  driver: string;
  provision_state: string;
  power_state: string | null;
  maintenance: boolean;
  console_interface: string;
  console_enabled: boolean;
}

/** Opens a serial websocket; resolves after the hello. */
function openSerial(wsBase: string, uuid: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${wsBase}/ws/nodes/${uuid}/serial`, { headers: { Authorization: BASIC } });
    ws.once("message", (data, isBinary) => {
      if (isBinary) return reject(new Error("no hello"));
      resolve(ws);
    });
    ws.once("close", (code) => reject(new Error(`closed ${code}`)));
    ws.once("error", reject);
  });
}

/** A local "serial port" that writes `rate` bytes/s of kernel-log-like text to whoever connects. */
function streamSource(rate: number) {
  let sent = 0;
  const sockets = new Set<Socket>();
  let n = 0;
  const line = () => {
    n++;
    const t = (n / 1000).toFixed(6).padStart(12);
    return `[${t}] \x1b[32mingot-bench\x1b[0m: stream line ${n} ${"lorem ipsum dolor sit amet ".repeat(2)}\r\n`;
  };
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => sockets.delete(s));
    s.on("data", () => undefined);
  });
  let timer: NodeJS.Timeout | null = null;
  return {
    server,
    get sent() {
      return sent;
    },
    start() {
      const tickMs = 10;
      const per = Math.round((rate * tickMs) / 1000);
      const started = performance.now();
      timer = setInterval(() => {
        // Keep to the rate over the whole run (timers drift).
        const due = Math.round(((performance.now() - started) / 1000) * rate) - sent;
        if (due < per / 2) return;
        let chunk = "";
        while (chunk.length < due) chunk += line();
        const buf = Buffer.from(chunk.slice(0, due), "latin1");
        for (const s of sockets) s.write(buf);
        sent += buf.length;
      }, tickMs);
    },
    stop() {
      if (timer) clearInterval(timer);
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

async function main() {
  if (!existsSync(join(ROOT, ".next", "BUILD_ID")) || !existsSync(join(ROOT, ".next", "ingot", "server.mjs"))) {
    console.log("no production build yet: running `npm run build` first");
    await run("npm", ["run", "build"], { cwd: ROOT, env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" }, maxBuffer: 1 << 26 });
  }
  const dir = mkdtempSync(join(tmpdir(), "ingot-bench-console-"));
  const dbUrl = `file:${join(dir, "bench.db")}`;
  await migrate(dbUrl, ROOT);
  // A sim fleet big enough for 100 running instances with a serial console.
  const sql = await openSql(dbUrl);
  await seedFleet(sql, 450, { driver: "sim", prefix: "bench" });
  await sql.close();

  const port = 3900 + Math.floor(Math.random() * 90);
  const origin = `http://127.0.0.1:${port}`;
  const wsBase = `ws://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [".next/ingot/server.mjs"], {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: "production", PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: dbUrl, INGOT_DATA_DIR: dir,
      INGOT_DEMO: "0", INGOT_ADMIN_PASSWORD: PASSWORD, NEXT_TELEMETRY_DISABLED: "1", INGOT_ENABLED_HARDWARE_TYPES: "fake-hardware,sim",
      INGOT_SIM_SPEED: "0", AUTH_SECRET: "bench-only-secret-bench-only-secret-0123456789",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const source = streamSource(STREAM_BYTES_PER_S);
  const rows: [string, string, string][] = [];
  const notes: string[] = [];
  try {
    await waitForServer(`${origin}/api/health`, child);
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(`${origin}/baremetal${path}`, { method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : null;
    };
    const enable = async (uuids: string[]) => {
      for (const u of uuids) await api("PUT", `/v1/nodes/${u}/states/console`, { enabled: true });
      for (const u of uuids) {
        for (let i = 0; ; i++) {
          if ((await api("GET", `/v1/nodes/${u}/states/console`)).console_enabled) break;
          if (i > 300) throw new Error(`console of ${u} not enabled`);
          await sleep(20);
        }
      }
    };

    // ---- 1. echo with 100 consoles open ----
    const all: ApiNode[] = (await api("GET", "/v1/nodes/detail?limit=1000")).nodes;
    const running = all.filter((n) => n.provision_state === "active" && n.power_state === "power on" && !n.maintenance && n.console_interface === "sim-serial").slice(0, CONSOLES);
    if (running.length < CONSOLES) throw new Error(`only ${running.length} running sim-serial nodes`);
    await enable(running.filter((n) => !n.console_enabled).map((n) => n.uuid));
    const sockets = await Promise.all(running.map((n) => openSerial(wsBase, n.uuid)));
    await sleep(500); // let the backlog (boot output) arrive
    /** Types `keys` keys on the console, one every `gapMs`, and returns the echo round-trip times. */
    const typeOn = async (ws: WebSocket, keys: number, gapMs: number): Promise<number[]> => {
      const out: number[] = [];
      for (let k = 0; k < keys; k++) {
        const ch = String.fromCharCode(97 + (k % 26));
        const t0 = performance.now();
        await new Promise<void>((resolve, reject) => {
          const timeout = setTimeout(() => reject(new Error("no echo within 5 s")), 5000);
          const onMsg = (data: Buffer, isBinary: boolean) => {
            if (isBinary && data.includes(ch.charCodeAt(0))) {
              clearTimeout(timeout);
              ws.off("message", onMsg);
              resolve();
            }
          };
          ws.on("message", onMsg);
          ws.send(Buffer.from(ch));
        });
        out.push(performance.now() - t0);
        ws.send(Buffer.from("\x7f")); // backspace: keep the login line short
        await sleep(gapMs);
      }
      return out;
    };
    const fmt = (v: number[]) =>
      `p50 ${percentile(v, 50).toFixed(2)} ms, p90 ${percentile(v, 90).toFixed(2)} ms, **p99 ${percentile(v, 99).toFixed(2)} ms**, max ${Math.max(...v).toFixed(2)} ms`;
    // (a) one operator typing (10 keys/s) while 100 consoles are open; the other 99 are watched.
    const one = await typeOn(sockets[0], 300, 100);
    rows.push([`keystroke echo, serial websocket, ${CONSOLES} consoles open, one typing at 10 keys/s (${one.length} keys)`, fmt(one), "p99 < 10 ms"]);
    // (b) all 100 typing at once at 10 keys/s each (1,000 keys/s into the server).
    const all100 = (await Promise.all(sockets.map(async (ws, i) => {
      await sleep(i); // spread the consoles over the typing interval
      return typeOn(ws, KEYS_PER_CONSOLE, 100);
    }))).flat();
    rows.push([`keystroke echo, ${CONSOLES} consoles open and all typing at 10 keys/s each (${all100.length} keys)`, fmt(all100), "(stress; no target)"]);
    for (const ws of sockets) ws.close();

    // ---- 2. 1 MB/s into Chromium ----
    await new Promise<void>((r) => source.server.listen(0, "127.0.0.1", () => r()));
    const srcPort = (source.server.address() as AddressInfo).port;
    const node = await api("POST", "/v1/nodes", {
      driver: "sim", name: "bench-stream", console_interface: "tcp-serial", driver_info: { console_tcp_address: `tcp://127.0.0.1:${srcPort}` },
    });
    await enable([node.uuid]);
    const browser = await chromium.launch(CHROMIUM_LAUNCH_OPTIONS);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${origin}/login`);
      await page.getByLabel("User name").fill("admin");
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(`${origin}/`);
      await page.goto(`${origin}/nodes/${node.uuid}`);
      await page.getByTestId("serial-phase").filter({ hasText: "connected" }).waitFor({ timeout: 20_000 });
      const term = page.getByTestId("serial-terminal");
      type Sample = { offset: number; parsed: number; pending: number; frames: number; t: number };
      const sample = () =>
        term.evaluate((el) => {
          const s = (el as HTMLElement & { ingotSerial: { offset: number; parsedBytes: number; pendingWrites: number } }).ingotSerial;
          const w = window as unknown as { __frames?: number };
          return { offset: s.offset, parsed: s.parsedBytes, pending: s.pendingWrites, frames: w.__frames ?? 0, t: performance.now() };
        }) as Promise<Sample>;
      // Count animation frames: a browser that falls behind stops painting.
      // (a string: tsx's name helpers do not exist in the page)
      await page.evaluate(`(() => { window.__frames = 0; const tick = () => { window.__frames++; requestAnimationFrame(tick); }; requestAnimationFrame(tick); })()`);
      source.start();
      await sleep(1000); // ramp up
      const first = await sample();
      const sentFirst = source.sent;
      let maxLag = 0;
      let maxPending = 0;
      for (let i = 0; i < STREAM_SECONDS; i++) {
        await sleep(1000);
        const s = await sample();
        maxLag = Math.max(maxLag, source.sent - s.parsed);
        maxPending = Math.max(maxPending, s.pending);
      }
      const last = await sample();
      const sentLast = source.sent;
      source.stop();
      // Drain: how long until the browser has processed everything that was sent?
      const drainStart = performance.now();
      let drained = await sample();
      while (drained.parsed < sentLast && performance.now() - drainStart < 30_000) {
        await sleep(50);
        drained = await sample();
      }
      const secs = (last.t - first.t) / 1000;
      const mb = (b: number) => (b / (1 << 20)).toFixed(2);
      rows.push([
        `1 MB/s of console output into the dashboard's xterm.js (Chromium ${browser.version()}, ${STREAM_SECONDS} s)`,
        `source ${mb((sentLast - sentFirst) / secs)} MB/s, received ${mb((last.offset - first.offset) / secs)} MB/s, **rendered ${mb((last.parsed - first.parsed) / secs)} MB/s**; ` +
          `max backlog ${(maxLag / 1024).toFixed(0)} KiB (${maxPending} writes queued); all output processed ${((performance.now() - drainStart) / 1000).toFixed(2)} s after the source stopped; ` +
          `${((last.frames - first.frames) / secs).toFixed(0)} frames/s painted`,
        "keeps up with 1 MB/s",
      ]);
    } finally {
      await browser.close();
    }
  } finally {
    source.stop();
    child.kill("SIGTERM");
    await sleep(500);
    rmSync(dir, { recursive: true, force: true });
  }

  const table = ["| measurement | result | target |", "|---|---|---|", ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
  console.log(table);
  if (WRITE) {
    const section = `<!-- console-bench:start -->
## Consoles

Made by \`npm run bench:console\` (lib/bench/console.ts) on ${new Date().toISOString().slice(0, 10)}: a production build of Ingot
(custom server, SQLite, \`INGOT_SIM_SPEED=0\`) on this machine (${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB), over loopback.

${table}

Notes:
- Echo: ${CONSOLES} sim nodes running their OS, each console's websocket open (Basic credentials on the upgrade) and
  typing at its login prompt (one console, then all ${CONSOLES} at once); the time is from sending a key to receiving
  the frame with its echo (the sim's line discipline, websocket relay and \`ws\` framing included). The benchmark
  client runs on the same ${cpus().length} cores as the server.
- Stream: a local TCP "serial port" writes ${STREAM_BYTES_PER_S / (1 << 20)} MB/s of kernel-log-like lines with colour escapes to a
  \`tcp-serial\` node; the dashboard's node page shows it in the serial tab (the real component). "Rendered" is
  what xterm.js has processed (its write callbacks), "backlog" the bytes sent but not yet processed.${notes.length ? `\n- ${notes.join("\n- ")}` : ""}
<!-- console-bench:end -->
`;
    writeBenchSection("console-bench", section);
    console.log("wrote the Consoles section of docs/benchmarks.md");
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
