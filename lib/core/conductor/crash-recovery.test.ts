// Kill -9 the server while nodes are deploying; on restart every deployment resumes where it was
// interrupted (the step that was running runs again) and finishes: none is failed, none is left
// locked or in a transitional state, none is lost. (With sim nodes, and the same against PostgreSQL
// conductors: lib/testing/cluster.test.ts.)
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../db/migrate.ts";

const dir = mkdtempSync(join(tmpdir(), "ingot-crash-"));
const dbUrl = `file:${join(dir, "crash.db")}`;
const port = 4100 + Math.floor(Math.random() * 800);
const base = `http://127.0.0.1:${port}/baremetal`;
const HEADERS = { "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" };
let server: ChildProcess | null = null;

function startServer(): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "lib/server/main.ts"], {
    cwd: process.cwd(),
    env: {
      ...process.env, PORT: String(port), HOST: "127.0.0.1", DATABASE_URL: dbUrl, INGOT_API_AUTH: "noauth",
      INGOT_DEMO: "0", INGOT_WEB: "0", INGOT_CONDUCTOR_HOSTNAME: "crash-test", INGOT_ADMIN_PASSWORD: "crash-test-pw",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
}

async function waitUp(child: ChildProcess): Promise<void> {
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited (${child.exitCode}): ${stderr}`);
    try {
      if ((await fetch(`${base}/`)).ok) return;
    } catch {
      // starting
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not start: ${stderr}`);
}

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

async function waitState(uuid: string, state: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    const n = await api("GET", `/v1/nodes/${uuid}`);
    if (n.provision_state === state) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${uuid} never reached ${state}`);
}

beforeAll(async () => {
  await migrate(dbUrl);
  server = startServer();
  await waitUp(server);
}, 60_000);

afterAll(async () => {
  server?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

describe("crash recovery", () => {
  it("kills the server mid-deploy; on restart every deployment resumes and finishes", async () => {
    const uuids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const n = await api("POST", "/v1/nodes", { driver: "fake-hardware", name: `crash-${i}`, instance_info: { image_source: "http://127.0.0.1/img.qcow2" } });
      uuids.push(n.uuid);
      await api("PUT", `/v1/nodes/${n.uuid}/states/provision`, { target: "manage" });
      await waitState(n.uuid, "manageable");
      await api("PUT", `/v1/nodes/${n.uuid}/states/provision`, { target: "provide" });
      await waitState(n.uuid, "available");
      // Every fake operation now takes a while: the deploy is still running when we kill.
      await api("PATCH", `/v1/nodes/${n.uuid}`, [{ op: "add", path: "/driver_info/fake_delay_ms", value: 1500 }]);
      await api("PUT", `/v1/nodes/${n.uuid}/states/provision`, { target: "active" });
    }
    for (const u of uuids) await waitState(u, "deploying");

    server!.kill("SIGKILL");
    await new Promise((r) => server!.once("exit", r));
    server = startServer();
    await waitUp(server);

    const { nodes } = await api("GET", "/v1/nodes/detail");
    expect(nodes.filter((n: any) => uuids.includes(n.uuid))).toHaveLength(uuids.length);
    for (const u of uuids) await waitState(u, "active");
    for (const u of uuids) {
      const n = await api("GET", `/v1/nodes/${u}`);
      expect([n.provision_state, n.last_error, n.reservation]).toEqual(["active", null, null]);
      const { history } = await api("GET", `/v1/nodes/${u}/history?detail=True`);
      expect(history.filter((h: any) => /^Provision state "deploying" resumed \(event "resume"\): after conductor crash-test was restarted: /.test(h.event))).toHaveLength(1);
      expect(history.filter((h: any) => h.severity === "ERROR")).toEqual([]);
    }
  }, 120_000);
});
