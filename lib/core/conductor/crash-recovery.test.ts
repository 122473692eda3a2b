// Kill -9 the server while nodes are deploying; on restart no node is left in a transitional
// state or locked, none is lost, and each can be deployed again.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../db/migrate.ts";
import { UNSTABLE_STATES } from "../states.ts";

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
  const uuids: string[] = [];

  it("kills the server mid-deploy and recovers every node on restart", async () => {
    for (let i = 0; i < 8; i++) {
      const n = await api("POST", "/v1/nodes", { driver: "fake-hardware", name: `crash-${i}`, instance_info: { image_source: "http://127.0.0.1/img.qcow2" } });
      uuids.push(n.uuid);
      await api("PUT", `/v1/nodes/${n.uuid}/states/provision`, { target: "manage" });
      await waitState(n.uuid, "manageable");
      await api("PUT", `/v1/nodes/${n.uuid}/states/provision`, { target: "provide" });
      await waitState(n.uuid, "available");
      // Every fake operation now takes a minute: the deploy will still be running when we kill.
      await api("PATCH", `/v1/nodes/${n.uuid}`, [{ op: "add", path: "/driver_info/fake_delay_ms", value: 60000 }]);
      await api("PUT", `/v1/nodes/${n.uuid}/states/provision`, { target: "active" });
    }
    for (const u of uuids) await waitState(u, "deploying");

    server!.kill("SIGKILL");
    await new Promise((r) => server!.once("exit", r));
    server = startServer();
    await waitUp(server);

    const { nodes } = await api("GET", "/v1/nodes/detail");
    const mine = nodes.filter((n: any) => uuids.includes(n.uuid));
    expect(mine).toHaveLength(uuids.length);
    for (const n of mine) {
      expect(UNSTABLE_STATES).not.toContain(n.provision_state);
      expect(n.provision_state).toBe("deploy failed");
      expect(n.reservation).toBeNull();
      expect(n.last_error).toMatch(/restart|crash|did not complete/i);
    }
    const history = await api("GET", `/v1/nodes/${uuids[0]}/history?detail=True`);
    expect(history.history.some((h: any) => h.severity === "ERROR")).toBe(true);
  }, 120_000);

  it("deploys the recovered nodes again", async () => {
    for (const u of uuids) {
      await api("PATCH", `/v1/nodes/${u}`, [{ op: "remove", path: "/driver_info/fake_delay_ms" }]);
      await api("PUT", `/v1/nodes/${u}/states/provision`, { target: "active" });
    }
    for (const u of uuids) await waitState(u, "active");
  }, 60_000);
});
