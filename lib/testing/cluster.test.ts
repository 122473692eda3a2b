// Take-over with real processes on PostgreSQL (issue #6, tests 1–3; issue #11 below): conductors
// are killed with SIGKILL mid-operation and the survivors must finish or restore their nodes.
//
// Two topologies, each its own cluster: "routed" — one API process and conductor-only processes,
// the API routing each node to its conductor over RPC; "all" — processes of role all, each node
// handled by the process whose API was asked. Either way the conductor handling a node is killed
// while it handles it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSql, type Sql } from "../core/db/sql.ts";
import { Cluster, clusterSkipReason, FAST_CLUSTER_ENV, type ClusterProcess } from "./cluster.ts";

const skip = clusterSkipReason();
if (skip) console.warn(`lib/testing/cluster.test.ts skipped: ${skip}`);
const TOPOLOGIES = existsSync(new URL("../core/conductor/rpc.ts", import.meta.url)) ? ["routed", "all"] as const : ["all"] as const;
const HEADERS = { "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" };
const ADMIN = `Basic ${Buffer.from("admin:cluster-test-pw").toString("base64")}`;

let cluster: Cluster;
let db: Sql;
let ROUTED = false;

/**
 * One API call. A 503 ("conductor does not answer … retry": the API's hash ring still names a
 * conductor that just died, for up to its TTL) is retried, as clients of Ironic do.
 */
async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${base}${path}`, { method, headers: HEADERS, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status === 503 && attempt < 40) {
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  }
}

/** The conductor handling most of `uuids` (the one to kill), and those nodes. */
async function busiest(uuids: string[]): Promise<{ victim: ClusterProcess; victims: string[] }> {
  const by = new Map<string, string[]>();
  for (const u of uuids) {
    const host = await affinityOf(u);
    by.set(host, [...(by.get(host) ?? []), u]);
  }
  const [host, victims] = [...by.entries()].sort((a, b) => b[1].length - a[1].length)[0];
  return { victim: cluster.get(host), victims };
}

async function waitNode(uuid: string, pred: (n: any) => boolean, what: string, ms = 60_000): Promise<any> {
  const until = Date.now() + ms;
  let last: any = null;
  for (;;) {
    try {
      last = await api(cluster.apiUrl(), "GET", `/v1/nodes/${uuid}`);
      if (pred(last)) return last;
    } catch {
      // a process may be dying; ask again
    }
    if (Date.now() > until) throw new Error(`node ${uuid} never ${what}: ${JSON.stringify({ state: last?.provision_state, err: last?.last_error, res: last?.reservation })}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sim nodes enrolled and made available through `base`. */
async function availableNodes(base: string, prefix: string, count: number, extra: Record<string, unknown> = {}): Promise<string[]> {
  const uuids: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = await api(base, "POST", "/v1/nodes", {
      driver: "sim", name: `${prefix}-${i}`, instance_info: { image_source: "http://images/debian-12.qcow2" },
      driver_info: { sim_slow: 5 }, ...extra,
    });
    uuids.push(n.uuid);
    await api(base, "PUT", `/v1/nodes/${n.uuid}/states/provision`, { target: "manage" });
  }
  for (const u of uuids) await waitNode(u, (n) => n.provision_state === "manageable", "became manageable");
  for (const u of uuids) await api(base, "PUT", `/v1/nodes/${u}/states/provision`, { target: "provide" });
  for (const u of uuids) await waitNode(u, (n) => n.provision_state === "available", "became available");
  return uuids;
}

const affinityOf = async (uuid: string) =>
  String((await db.get<{ conductorAffinity: string }>(`SELECT "conductorAffinity" FROM "Node" WHERE "uuid" = ?`, [uuid]))?.conductorAffinity);

async function history(uuid: string): Promise<any[]> {
  return (await api(cluster.apiUrl(), "GET", `/v1/nodes/${uuid}/history?detail=True`)).history;
}

/** The serial console of a node through the websocket of `base`'s server: resolves with what it printed. */
async function serialConsole(base: string, uuid: string, until: RegExp, ms = 20_000): Promise<string> {
  const url = `${base.replace(/^http/, "ws").replace(/\/baremetal$/, "")}/ws/nodes/${uuid}/serial`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { Authorization: ADMIN } });
    let text = "";
    const t = setTimeout(() => {
      ws.close();
      reject(new Error(`console of ${uuid} never showed ${until}: ${text.slice(-500)}`));
    }, ms);
    ws.on("message", (data) => {
      text += data.toString();
      if (until.test(text)) {
        clearTimeout(t);
        ws.close();
        resolve(text);
      }
    });
    ws.on("close", (code, reason) => {
      if (!until.test(text)) {
        clearTimeout(t);
        reject(new Error(`console of ${uuid} closed (${code} ${reason.toString()}): ${text.slice(-300)}`));
      }
    });
    ws.on("error", (err) => {
      clearTimeout(t);
      reject(err);
    });
  });
}

/** What the conductor `proc` captured of a node's serial console (its console log file). */
async function consoleLog(proc: ClusterProcess, uuid: string, until: RegExp, ms = 20_000): Promise<string> {
  const file = join(proc.dataDir, "console-logs", `${uuid}.log`);
  const deadline = Date.now() + ms;
  let text = "";
  for (;;) {
    text = existsSync(file) ? readFileSync(file, "utf8") : "";
    if (until.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`console log of ${uuid} on ${proc.name} never showed ${until}: ${text.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!!skip).each(TOPOLOGIES)("take-over with real processes (PostgreSQL, %s)", (topology) => {
  beforeAll(async () => {
    ROUTED = topology === "routed";
    const role = ROUTED ? "conductor" : "all";
    cluster = await Cluster.start({
      env: { INGOT_SIM_SPEED: "0.02", INGOT_AUTOMATED_CLEAN: "0" },
      processes: [...(ROUTED ? [{ name: "api", role: "api" as const }] : []), { name: "c1", role }, { name: "c2", role }, { name: "c3", role }],
    });
    db = await openSql(cluster.dbUrl);
  }, 300_000);
  afterAll(async () => {
    await db?.close();
    await cluster?.stop();
  }, 60_000);

  it("1. a conductor killed while its nodes are in wait call-back: all reach active through the others", async () => {
    const base = cluster.apiUrl();
    const uuids = await availableNodes(base, "wait", 6);
    for (const u of uuids) await api(base, "PUT", `/v1/nodes/${u}/states/provision`, { target: "active" });
    for (const u of uuids) await waitNode(u, (n) => n.provision_state === "wait call-back", "waited for its agent");
    const { victim, victims } = await busiest(uuids);
    const dead = victim.name;

    await victim.kill9();
    for (const u of uuids) {
      // The lock is released just after the state is written: wait for both.
      const n = await waitNode(u, (x) => x.provision_state === "active" && x.reservation === null, "reached active (and was unlocked)", 90_000);
      expect([n.last_error, n.reservation, n.power_state]).toEqual([null, null, "power on"]);
    }
    const { nodes } = await api(cluster.apiUrl(), "GET", "/v1/nodes?fields=uuid,provision_state,reservation");
    expect(nodes.filter((n: any) => uuids.includes(n.uuid))).toHaveLength(uuids.length);
    for (const u of victims) {
      const now = await affinityOf(u);
      expect(now).not.toBe(dead);
      const h = await history(u);
      const takeover = h.find((e) => e.event_type === "takeover");
      expect(takeover?.event).toBe(`Node taken over by conductor ${now} from conductor ${dead}, which is no longer alive: waiting for the agent's heartbeat to continue (wait call-back)`);
      expect(h.some((e) => /^Finished deploy step deploy\.boot_instance/.test(e.event) && e.conductor === now)).toBe(true);
    }
  }, 240_000);

  it("3. a conductor killed during deploying: the others run the interrupted step again and its nodes reach active", async () => {
    const start = cluster.apiUrl();
    const uuids = await availableNodes(start, "dying", 4, { driver_info: { sim_slow: 10 } });
    for (const u of uuids) await api(start, "PUT", `/v1/nodes/${u}/states/provision`, { target: "active" });
    // Writing the image (after the agent's first heartbeat) is long: the conductor dies in it.
    for (const u of uuids) await waitNode(u, (n) => n.provision_state === "deploying" && n.deploy_step?.step === "write_image", "wrote its image");
    const { victim, victims } = await busiest(uuids);

    await victim.kill9();
    for (const u of uuids) {
      const n = await waitNode(u, (x) => x.provision_state === "active" && x.reservation === null, "reached active (and was unlocked)", 120_000);
      expect([n.last_error, n.reservation]).toEqual([null, null]);
    }
    for (const u of victims) {
      const now = await affinityOf(u);
      expect(now).not.toBe(victim.name);
      const h = await history(u);
      expect(h.filter((e) => e.event.startsWith('Provision state "deploying" resumed')).map((e) => [e.conductor, e.event])).toEqual([[now,
        `Provision state "deploying" resumed (event "resume"): after conductor ${victim.name} stopped (it is no longer alive): deploy step deploy.write_image was interrupted and runs again`,
      ]]);
      expect(h.filter((e) => e.severity === "ERROR")).toEqual([]);
    }
  }, 240_000);

  it("2. active nodes booted from the network: the owner is killed, rebooted nodes come back active with working consoles", async () => {
    // One conductor is left alive: it handles every node; once it is killed a new conductor (c4)
    // comes up and takes them over.
    const alive = [...cluster.processes.values()].filter((p) => !p.exited && p.role !== "api");
    expect(alive).toHaveLength(1);
    const victim = alive[0];
    const base = cluster.apiUrl();
    const uuids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const n = await api(base, "POST", "/v1/nodes", {
        driver: "sim", name: `bfv-${i}`, storage_interface: "fake", console_interface: "sim-serial", driver_info: { sim_slow: 2 },
      });
      uuids.push(n.uuid);
      await api(base, "POST", "/v1/volume/connectors", { node_uuid: n.uuid, type: "iqn", connector_id: `iqn.2004-06.org.ingot:${n.uuid}` });
      await api(base, "POST", "/v1/volume/targets", {
        node_uuid: n.uuid, volume_type: "iscsi", volume_id: `vol-${i}`, boot_index: 0,
        properties: { target_iqn: `iqn.2010-10.org.openstack:vol-${i}`, target_portal: "192.0.2.10:3260", target_lun: 0 },
      });
    }
    for (const u of uuids) await api(base, "PUT", `/v1/nodes/${u}/states/provision`, { target: "manage" });
    for (const u of uuids) await waitNode(u, (n) => n.provision_state === "manageable", "became manageable");
    for (const u of uuids) await api(base, "PUT", `/v1/nodes/${u}/states/provision`, { target: "provide" });
    for (const u of uuids) await waitNode(u, (n) => n.provision_state === "available", "became available");
    for (const u of uuids) await api(base, "PUT", `/v1/nodes/${u}/states/provision`, { target: "active" });
    for (const u of uuids) await waitNode(u, (n) => n.provision_state === "active", "reached active", 90_000);
    for (const u of uuids) await api(base, "PUT", `/v1/nodes/${u}/states/console`, { enabled: true });
    for (const u of uuids) await waitNode(u, (n) => n.console_enabled === true, "enabled its console");
    const victims = [];
    for (const u of uuids) if ((await affinityOf(u)) === victim.name) victims.push(u);
    expect(victims).toHaveLength(uuids.length);

    await victim.kill9();
    // The replacement comes once c3 is known dead (its heartbeat older than the timeout); sooner,
    // it would share the ring with c3 and take half the nodes over as a rebalance instead.
    const timeoutMs = Number(FAST_CLUSTER_ENV.INGOT_HEARTBEAT_TIMEOUT) * 1000;
    for (;;) {
      const row = await db.get<{ updatedAt: unknown }>(`SELECT "updatedAt" FROM "Conductor" WHERE "hostname" = ?`, [victim.name]);
      if (Date.now() - new Date(String(row!.updatedAt)).getTime() > timeoutMs + 500) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await cluster.spawn({ name: "c4", role: ROUTED ? "conductor" : "all" });
    for (const u of victims) {
      await waitNode(u, () => true, "answered");
      const until = Date.now() + 30_000;
      while ((await affinityOf(u)) === victim.name) {
        if (Date.now() > until) throw new Error(`node ${u} was not taken over`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // The take-over's history row follows the lock that moved the affinity.
      let h = await history(u);
      for (const end = Date.now() + 30_000; !h.some((e) => e.event_type === "takeover") && Date.now() < end; h = await history(u)) await new Promise((r) => setTimeout(r, 200));
      expect(h.find((e) => e.event_type === "takeover")?.event).toBe(
        `Node taken over by conductor c4 from conductor ${victim.name}, which is no longer alive: boot configuration rebuilt; console restarted`,
      );
    }
    const survivor = cluster.apiUrl();
    for (const u of uuids) await api(survivor, "PUT", `/v1/nodes/${u}/states/power`, { target: "rebooting" });
    for (const u of uuids) {
      const n = await waitNode(u, (x) => x.power_state === "power on" && x.target_power_state === null, "rebooted");
      expect([n.provision_state, n.console_enabled, n.last_error]).toEqual(["active", true, null]);
      // The console works on the new conductor, and shows the instance booting from its volume
      // again — which needs the boot configuration the take-over rebuilt.
      // Routed: the API process serves the websocket and relays it to c4, where the machine lives.
      const after = /sanboot iscsi:[^\n]*\n[\s\S]*login: /;
      const out = await serialConsole(survivor, u, after);
      expect(out).toMatch(/sanboot iscsi:192\.0\.2\.10::3260:0:iqn\.2010-10\.org\.openstack:vol-\d/);
      // The console log is kept by c4 (only the owner captures) and read through the API.
      expect(await consoleLog(cluster.get("c4"), u, after)).toMatch(/sanboot iscsi:/);
      const log = await fetch(`${survivor}/v1/nodes/${u}/console/log`, { headers: { Authorization: ADMIN } });
      expect(await log.text()).toMatch(after);
    }
    // No other process captured (nor created a machine for) these nodes.
    for (const p of cluster.processes.values()) {
      if (p.name === "c4" || p === victim) continue;
      for (const u of uuids) expect(existsSync(join(p.dataDir, "console-logs", `${u}.log`)), `${p.name} captured ${u}`).toBe(false);
    }
  }, 240_000);
});

// ---------------------------------------------------------------------------------------------
// Take-over and restart that finish the work (issue #11): a conductor killed mid-deploy, or the
// single all-in-one process restarted mid-deploy, and still every node reaches active — the steps
// that were running run again on the node's (new) owner, nodes waiting for their agent get their
// machine back — with none failed and none stuck. And concurrent PATCHes that all apply.

/** Node slowness for these tests: at INGOT_SIM_SPEED 0.02 the image write takes 40 × 0.02 × SLOW s. */
const SLOW = 10;
const FINISH_ENV = { INGOT_SIM_SPEED: "0.02", INGOT_AUTOMATED_CLEAN: "0" };

/** Starts the deployment of each node, through `base`. */
async function deployAll(base: string, uuids: string[]): Promise<void> {
  for (const u of uuids) await api(base, "PUT", `/v1/nodes/${u}/states/provision`, { target: "active" });
}

const writingImage = (n: any) => n.provision_state === "deploying" && n.deploy_step?.step === "write_image";

/**
 * Every node reaches active and is unlocked, without an error; none ever failed (no ERROR in its
 * history, e.g. a transition to "deploy failed") and none is left in any other state.
 */
async function expectAllActive(uuids: string[], ms: number): Promise<void> {
  for (const u of uuids) {
    const n = await waitNode(u, (x) => x.provision_state === "active" && x.reservation === null, "reached active (and was unlocked)", ms);
    expect([n.last_error, n.power_state]).toEqual([null, "power on"]);
  }
  const { nodes } = await api(cluster.apiUrl(), "GET", "/v1/nodes?fields=uuid,provision_state,reservation&limit=1000");
  const mine = nodes.filter((n: any) => uuids.includes(n.uuid));
  expect(mine.filter((n: any) => n.provision_state !== "active" || n.reservation !== null)).toEqual([]);
  expect(mine).toHaveLength(uuids.length);
  for (const u of uuids) {
    const errors = (await history(u)).filter((e) => e.severity === "ERROR").map((e) => e.event);
    expect(errors, `node ${u}`).toEqual([]);
  }
}

describe.skipIf(!!skip)("take-over that finishes the work (PostgreSQL, one API process, two conductors)", () => {
  beforeAll(async () => {
    cluster = await Cluster.start({
      env: FINISH_ENV,
      processes: [{ name: "api", role: "api" }, { name: "c1", role: "conductor" }, { name: "c2", role: "conductor" }],
    });
    db = await openSql(cluster.dbUrl);
  }, 300_000);
  afterAll(async () => {
    await db?.close();
    await cluster?.stop();
  }, 60_000);

  it("100 concurrent PATCHes without If-Match all apply; with one If-Match tag exactly one of 20 does", async () => {
    const base = cluster.apiUrl();
    const { uuid } = await api(base, "POST", "/v1/nodes", { driver: "sim", name: "patched" });
    const patch = (ops: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}/v1/nodes/${uuid}`, { method: "PATCH", headers: { ...HEADERS, ...headers }, body: JSON.stringify(ops) });
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => patch([{ op: "add", path: `/extra/k${i}`, value: i }])));
    const refused = await Promise.all(answers.filter((r) => r.status !== 200).map(async (r) => `${r.status} ${await r.text()}`));
    expect(refused).toEqual([]);
    const { extra } = await api(base, "GET", `/v1/nodes/${uuid}`);
    expect(extra).toEqual(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, i])));

    // If-Match keeps its meaning: the first write moves the tag on, every other one gets 412.
    const etag = (await fetch(`${base}/v1/nodes/${uuid}`, { headers: HEADERS })).headers.get("etag")!;
    const raced = await Promise.all(Array.from({ length: 20 }, (_, i) => patch([{ op: "add", path: `/extra/m${i}`, value: i }], { "If-Match": etag })));
    expect(raced.map((r) => r.status).sort()).toEqual([200, ...Array(19).fill(412)]);
    const after = await api(base, "GET", `/v1/nodes/${uuid}`);
    expect(Object.keys(after.extra).filter((k) => k.startsWith("m"))).toHaveLength(1);
  }, 120_000);

  it("30 sim nodes deploying, a conductor killed -9 mid-deploy: 30 of 30 active through the survivor, none failed, none stuck", async () => {
    const base = cluster.apiUrl();
    const uuids = await availableNodes(base, "finish", 30, { driver_info: { sim_slow: SLOW } });
    await deployAll(base, uuids);
    // Mid-deploy: both conductors are running deploy steps (writing images), not waiting.
    for (const u of uuids) await waitNode(u, writingImage, "was writing its image", 90_000);
    const { victim, victims } = await busiest(uuids);
    const survivor = victim.name === "c1" ? "c2" : "c1";
    expect(victims.length).toBeGreaterThan(0);

    await victim.kill9();
    await expectAllActive(uuids, 120_000);
    for (const u of victims) {
      expect(await affinityOf(u)).toBe(survivor);
      const h = await history(u);
      const resumed = h.filter((e) => e.event.startsWith('Provision state "deploying" resumed'));
      expect(resumed.map((e) => [e.conductor, e.event])).toEqual([[survivor, expect.stringMatching(
        new RegExp(`^Provision state "deploying" resumed \\(event "resume"\\): after conductor ${victim.name} stopped \\(it is no longer alive\\): deploy step deploy\\.\\w+ was interrupted and runs again$`),
      )]]);
      expect(h.some((e) => e.event.startsWith("Finished deploy step deploy.boot_instance") && e.conductor === survivor)).toBe(true);
    }
  }, 300_000);
});

// The all-in-one process on SQLite (no PostgreSQL needed; skipped in the PostgreSQL pass of
// `npm test`, which already ran it on SQLite).
describe.skipIf(!!process.env.INGOT_TEST_PG_URL)("restart of the all-in-one process mid-deploy (SQLite)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "ingot-restart-"));
    cluster = await Cluster.start({ databaseUrl: `file:${join(dir, "ingot.db")}`, env: FINISH_ENV, processes: [{ name: "solo", role: "all" }] });
    db = await openSql(cluster.dbUrl);
  }, 300_000);
  afterAll(async () => {
    await db?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("kill -9 and started again under the same name: all 30 nodes active well before the callback timeout, none failed, none stuck", async () => {
    const base = cluster.apiUrl();
    const uuids = await availableNodes(base, "restart", 30, { driver_info: { sim_slow: SLOW } });
    // Half are writing their image (running a step), half wait for their agent's first heartbeat.
    const running = uuids.slice(0, 15);
    const waiting = uuids.slice(15);
    await deployAll(base, running);
    for (const u of running) await waitNode(u, writingImage, "was writing its image", 90_000);
    await deployAll(base, waiting);
    for (const u of waiting) await waitNode(u, (n) => n.provision_state === "wait call-back", "waited for its agent");
    for (const u of running) expect(writingImage(await api(base, "GET", `/v1/nodes/${u}`)), `${u} still writing its image`).toBe(true);

    await cluster.get("solo").kill9();
    await cluster.spawn({ name: "solo", role: "all" });
    // The callback timeout is 1,800 s: a node whose agent is not reached again would sit there.
    await expectAllActive(uuids, 120_000);
    for (const u of uuids) {
      const h = await history(u);
      const resumed = h.filter((e) => e.event.startsWith("Node resumed by conductor solo after its restart"));
      expect(resumed.map((e) => e.event)).toEqual([running.includes(u)
        ? 'Node resumed by conductor solo after its restart: "deploying" resumed'
        : "Node resumed by conductor solo after its restart: waiting for the agent's heartbeat to continue (wait call-back)"]);
    }
  }, 300_000);
});
