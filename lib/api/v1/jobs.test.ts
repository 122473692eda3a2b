// Bulk-action jobs (Ingot extension): validation before anything runs, asynchronous actions that
// wait for the node to settle, failures with the node's last_error, the API's own policy per node,
// cancelling, restart recovery and live events.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { config, setConfig } from "../../core/config.ts";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { liveEvents, type LiveEvent } from "../../core/events.ts";
import { ActionFailed, INTERRUPTED, adoptOrphanedJobs, jobsIdle, recoverJobs, setJobExecutor } from "../../core/jobs.ts";
import { serviceJobExecutor } from "../../core/services/job_actions.ts";
import type { Principal } from "../../core/policy.ts";
import { disposeAllSimMachines } from "../../core/sim/machine.ts";
import { setSimSpeed } from "../../core/sim/timing.ts";
import { closeAllSimConsoles } from "../../core/drivers/sim/console.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  setConfig({ enabledHardwareTypes: ["fake-hardware", "sim"], automatedClean: true });
  setSimSpeed(0.002);
  await startConductor({ hostname: "jobs-conductor", periodic: false });
  setJobExecutor(serviceJobExecutor); // as the server does when it starts
});
afterAll(async () => {
  await jobsIdle();
  await stopConductor();
  await closeAllSimConsoles();
  disposeAllSimMachines();
  setSimSpeed(undefined);
  setConfig();
  await db.cleanup();
});

const settle = () => getConductor().pool.drain();

async function simNode(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api("POST", "/v1/nodes", { body: { driver: "sim", name, ...extra } });
  expect(r.status, r.error ?? "").toBe(201);
  return r.body.uuid;
}

async function manageable(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const uuid = await simNode(name, extra);
  expect((await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "manage" } })).status).toBe(202);
  await settle();
  expect((await api("GET", `/v1/nodes/${uuid}`)).body.provision_state).toBe("manageable");
  return uuid;
}

async function finished(id: string, headers: Record<string, string> = {}) {
  await jobsIdle();
  const r = await api("GET", `/v1/jobs/${id}`, { headers });
  expect(r.status, r.error ?? "").toBe(200);
  expect(r.body.finished_at).not.toBeNull();
  return r.body;
}

describe("creating a job: bad requests change nothing", () => {
  it("rejects unknown actions, bad arguments and empty selections with a 400 naming the problem", async () => {
    const uuid = await simNode("val-1");
    const sel = { kind: "nodes", uuids: [uuid] };
    const cases: [unknown, RegExp][] = [
      [{ action: "explode", selection: sel }, /action: 'explode' is not one of/],
      [{ action: "clean", selection: sel }, /args: .*clean_steps/],
      [{ action: "clean", args: { clean_steps: [] }, selection: sel }, /clean_steps/],
      [{ action: "clean", args: { clean_steps: [{ interface: "deploy" }] }, selection: sel }, /step/],
      [{ action: "deploy", args: {}, selection: sel }, /image_source/],
      [{ action: "provide", args: { force: true }, selection: sel }, /force/],
      [{ action: "add_traits", args: { traits: ["not a trait"] }, selection: sel }, /not a trait/],
      [{ action: "set_owner", args: {}, selection: sel }, /owner/],
      [{ action: "provide", selection: { kind: "nodes", uuids: [] } }, /selection/],
      [{ action: "provide", selection: { kind: "everything" } }, /selection/],
      [{ action: "provide" }, /selection/],
    ];
    for (const [body, message] of cases) {
      const r = await api("POST", "/v1/jobs", { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.error, JSON.stringify(body)).toMatch(message);
    }
    expect((await api("GET", "/v1/jobs")).body.jobs).toEqual([]);
    expect((await api("GET", `/v1/nodes/${uuid}`)).body.provision_state).toBe("enroll");
  });
});

describe("provide on five sim nodes, one failing by injection", () => {
  it("waits for each node to settle; the failing one carries its last_error", async () => {
    const uuids: string[] = [];
    for (let i = 0; i < 4; i++) uuids.push(await manageable(`prov-${i}`));
    const bad = await manageable("prov-bad", { driver_info: { sim_fail_step: "deploy.erase_devices_metadata" } });
    uuids.splice(2, 0, bad);

    const events: LiveEvent[] = [];
    const stop = liveEvents().subscribe((e) => e.type === "job" && events.push(e));
    // An extension: answers without a version header too.
    const r = await api("POST", "/v1/jobs", { version: null, body: { action: "provide", selection: { kind: "nodes", uuids } } });
    expect(r.status, r.error ?? "").toBe(201);
    expect(r.headers.get("Location")).toBe(`http://127.0.0.1:3000/baremetal/v1/jobs/${r.body.id}`);
    expect(r.body).toMatchObject({ action: "provide", state: "running", expected_state: "available", counts: { total: 5 } });

    const job = await finished(r.body.id);
    stop();
    expect(job.state).toBe("finished");
    expect(job.counts).toEqual({ total: 5, pending: 0, running: 0, waiting: 0, succeeded: 4, failed: 1, skipped: 0 });
    expect(job.items.map((i: any) => i.node_uuid)).toEqual(uuids);
    expect(job.items.map((i: any) => i.node_name)).toEqual(["prov-0", "prov-1", "prov-bad", "prov-2", "prov-3"]);
    const failed = job.items[2];
    expect(failed.state).toBe("failed");
    const node = (await api("GET", `/v1/nodes/${bad}`)).body;
    expect(node.provision_state).toBe("clean failed");
    expect(failed.message).toBe(node.last_error);
    expect(failed.message).toMatch(/erase_devices_metadata/);
    for (const i of [0, 1, 3, 4]) {
      expect(job.items[i]).toMatchObject({ state: "succeeded", message: null });
      expect(job.items[i].started_at).not.toBeNull();
      expect(job.items[i].finished_at).not.toBeNull();
      expect((await api("GET", `/v1/nodes/${uuids[i]}`)).body.provision_state).toBe("available");
    }
    // Live progress went out, and the last event says finished.
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(events.every((e) => e.type === "job" && e.id === job.id)).toBe(true);
    expect((events.at(-1) as { state: string }).state).toBe("finished");

    // Only failures, on request.
    const onlyFailed = await api("GET", `/v1/jobs/${job.id}?item_state=failed`);
    expect(onlyFailed.body.items.map((i: any) => i.node_uuid)).toEqual([bad]);
    expect((await api("GET", `/v1/jobs/${job.id}?item_state=bogus`)).status).toBe(400);
  });
});

describe("synchronous actions", () => {
  it("maintenance, traits, owner and delete report the API's answer per node", async () => {
    const a = await simNode("sync-a");
    const b = await simNode("sync-b");
    const missing = "0b6f1f5e-0000-4000-8000-000000000000";
    const run = async (action: string, args: unknown, uuids: string[]) => {
      const r = await api("POST", "/v1/jobs", { body: { action, args, selection: { kind: "nodes", uuids } } });
      expect(r.status, r.error ?? "").toBe(201);
      return finished(r.body.id);
    };

    let job = await run("maintenance_on", { reason: "rack 7 rewiring" }, [a, b, missing, a]);
    expect(job.counts.total).toBe(3); // duplicates are dropped
    expect(job.items.map((i: any) => i.state)).toEqual(["succeeded", "succeeded", "failed"]);
    expect(job.items[2]).toMatchObject({ node_uuid: missing, node_name: null, message: `Node ${missing} could not be found.` });
    expect((await api("GET", `/v1/nodes/${a}`)).body).toMatchObject({ maintenance: true, maintenance_reason: "rack 7 rewiring" });

    job = await run("add_traits", { traits: ["CUSTOM_GPU", "CUSTOM_FAST"] }, [a, b]);
    expect(job.counts.succeeded).toBe(2);
    expect((await api("GET", `/v1/nodes/${b}/traits`)).body.traits.sort()).toEqual(["CUSTOM_FAST", "CUSTOM_GPU"]);
    job = await run("remove_traits", { traits: ["CUSTOM_GPU"] }, [a]);
    expect(job.counts.succeeded).toBe(1);
    expect((await api("GET", `/v1/nodes/${a}/traits`)).body.traits).toEqual(["CUSTOM_FAST"]);

    job = await run("set_owner", { owner: "p-blue" }, [a, b]);
    expect(job.counts.succeeded).toBe(2);
    expect((await api("GET", `/v1/nodes/${b}`)).body.owner).toBe("p-blue");
    job = await run("set_owner", { owner: null }, [b]);
    expect(job.counts.succeeded).toBe(1);
    expect((await api("GET", `/v1/nodes/${b}`)).body.owner).toBeNull();

    job = await run("maintenance_off", {}, [a, b]);
    expect(job.counts.succeeded).toBe(2);
    job = await run("delete", {}, [b]);
    expect(job.counts.succeeded).toBe(1);
    expect((await api("GET", `/v1/nodes/${b}`)).status).toBe(404);
  });

  it("a filter selection takes every node matching the fleet query except the ones left out", async () => {
    const uuids: string[] = [];
    for (let i = 0; i < 4; i++) uuids.push(await simNode(`fltsel-${i}`));
    const bad = await api("POST", "/v1/jobs", { body: { action: "maintenance_on", selection: { kind: "filter", query: "colour=blue", except: [] } } });
    expect(bad.status).toBe(400);
    expect(bad.error).toMatch(/Unknown fleet query parameter "colour"/);
    const r = await api("POST", "/v1/jobs", {
      body: { action: "maintenance_on", args: { reason: "by filter" }, selection: { kind: "filter", query: "q=fltsel-&sort=-name", except: [uuids[1]], count: 3 } },
    });
    expect(r.status, r.error ?? "").toBe(201);
    expect(r.body.selection).toEqual({ kind: "filter", query: "q=fltsel-&sort=-name", except: [uuids[1]] });
    const job = await finished(r.body.id);
    expect(job.items.map((i: any) => i.node_name)).toEqual(["fltsel-3", "fltsel-2", "fltsel-0"]);
    expect(job.counts.succeeded).toBe(3);
    expect((await api("GET", `/v1/nodes/${uuids[1]}`)).body.maintenance).toBe(false);
    expect((await api("GET", `/v1/nodes/${uuids[0]}`)).body.maintenance_reason).toBe("by filter");
  });

  it("a refused asynchronous action fails at once with the API's message", async () => {
    const n = await simNode("refused-1"); // enroll: provide is not allowed from there
    const r = await api("POST", "/v1/jobs", { body: { action: "provide", selection: { kind: "nodes", uuids: [n] } } });
    const job = await finished(r.body.id);
    expect(job.items[0].state).toBe("failed");
    const direct = await api("PUT", `/v1/nodes/${n}/states/provision`, { body: { target: "provide" } });
    expect(direct.status).toBe(400);
    expect(job.items[0].message).toBe(direct.error);
  });
});

describe("policy: each node gets the API's own decision for the job's creator", () => {
  const principals: Record<string, Principal> = {
    sysadmin: { userId: "u-admin", username: "root", systemRole: "admin", projectId: null, projectRole: null },
    blue: { userId: "u-blue", username: "blue", systemRole: null, projectId: "p-own", projectRole: "member" },
    green: { userId: "u-green", username: "green", systemRole: null, projectId: "p-green", projectRole: "member" },
  };
  const as = (who: string) => ({ "X-Test-User": who });
  let own = "";
  let leased = "";
  let foreign = "";
  beforeAll(async () => {
    own = await simNode("pol-own", { owner: "p-own" });
    leased = await simNode("pol-leased", { owner: "p-landlord", lessee: "p-own" });
    foreign = await simNode("pol-foreign", { owner: "p-green" });
    delete process.env.INGOT_API_AUTH;
    setCredentialResolver(async (req) => principals[req.headers.get("X-Test-User") ?? ""] ?? null);
  });
  afterAll(() => {
    process.env.INGOT_API_AUTH = "noauth";
  });

  it("a project member's job: allowed nodes succeed, others fail with the 403/404 message", async () => {
    const uuids = [own, leased, foreign];
    const r = await api("POST", "/v1/jobs", { headers: as("blue"), body: { action: "add_traits", args: { traits: ["CUSTOM_BLUE"] }, selection: { kind: "nodes", uuids } } });
    expect(r.status, r.error ?? "").toBe(201);
    const job = await finished(r.body.id, as("blue"));
    expect(job.created_by).toEqual({ user_id: "u-blue", username: "blue", project_id: "p-own" });
    const [onOwn, onLeased, onForeign] = job.items;
    // traits:set needs owner admin: the member is refused on its own node (403), as by the API.
    const direct = await api("PUT", `/v1/nodes/${own}/traits/CUSTOM_BLUE`, { headers: as("blue") });
    expect(direct.status).toBe(403);
    expect(onOwn).toMatchObject({ state: "failed", message: direct.error, node_name: "pol-own" });
    expect(onLeased).toMatchObject({ state: "failed", message: direct.error });
    // A node the caller can't see: 404 and no name shown.
    expect(onForeign).toMatchObject({ state: "failed", node_name: null, message: `Node ${foreign} could not be found.` });

    const m = await api("POST", "/v1/jobs", { headers: as("blue"), body: { action: "maintenance_on", args: { reason: "blue's" }, selection: { kind: "nodes", uuids } } });
    const mj = await finished(m.body.id, as("blue"));
    // set_maintenance: owner member or lessee admin → the owned node only.
    expect(mj.items.map((i: any) => i.state)).toEqual(["succeeded", "failed", "failed"]);
    expect(mj.items[1].message).toBe("Access was denied to this resource.");
    expect(mj.items[2].message).toBe(`Node ${foreign} could not be found.`);
    expect((await api("GET", `/v1/nodes/${own}`, { headers: as("sysadmin") })).body.maintenance).toBe(true);
    expect((await api("GET", `/v1/nodes/${foreign}`, { headers: as("sysadmin") })).body.maintenance).toBe(false);
  });

  it("users see their own jobs; system admins see all; others get 404", async () => {
    const g = await api("POST", "/v1/jobs", { headers: as("green"), body: { action: "maintenance_off", selection: { kind: "nodes", uuids: [foreign] } } });
    expect(g.status, g.error ?? "").toBe(201);
    await finished(g.body.id, as("green"));
    const blueJobs = (await api("GET", "/v1/jobs", { headers: as("blue") })).body.jobs;
    expect(blueJobs.length).toBe(2);
    expect(blueJobs.every((j: any) => j.created_by.user_id === "u-blue")).toBe(true);
    expect((await api("GET", `/v1/jobs/${g.body.id}`, { headers: as("blue") })).status).toBe(404);
    expect((await api("POST", `/v1/jobs/${g.body.id}/cancel`, { headers: as("blue") })).status).toBe(404);
    const all = (await api("GET", "/v1/jobs", { headers: as("sysadmin") })).body.jobs;
    expect(all.map((j: any) => j.id)).toContain(g.body.id);
    expect(all.map((j: any) => j.id)).toContain(blueJobs[0].id);
    expect((await api("GET", "/v1/jobs?mine=true", { headers: as("sysadmin") })).body.jobs).toEqual([]);
    expect((await api("GET", "/v1/jobs", {})).status).toBe(401);
  });
});

describe("cancelling and paging", () => {
  it("cancel skips the nodes not started; the ones in flight finish", async () => {
    process.env.INGOT_JOB_CONCURRENCY = "1";
    try {
      const uuids: string[] = [];
      for (let i = 0; i < 6; i++) uuids.push(await manageable(`cancel-${i}`));
      const r = await api("POST", "/v1/jobs", { body: { action: "power_on", selection: { kind: "nodes", uuids } } });
      expect(r.status, r.error ?? "").toBe(201);
      const c = await api("POST", `/v1/jobs/${r.body.id}/cancel`);
      expect(c.status).toBe(200);
      expect(c.body.state).toBe("cancelled");
      const job = await finished(r.body.id);
      expect(job.state).toBe("cancelled");
      expect(job.counts.skipped).toBeGreaterThanOrEqual(4);
      expect(job.counts.pending + job.counts.running + job.counts.waiting).toBe(0);
      const skipped = job.items.filter((i: any) => i.state === "skipped");
      expect(skipped.every((i: any) => i.message === "Not started: the job was cancelled.")).toBe(true);
      for (const i of skipped) expect((await api("GET", `/v1/nodes/${i.node_uuid}`)).body.power_state).toBe("power off");
      // Cancelling a finished job changes nothing.
      expect((await api("POST", `/v1/jobs/${r.body.id}/cancel`)).body.counts).toEqual(job.counts);
    } finally {
      delete process.env.INGOT_JOB_CONCURRENCY;
    }
  });

  it("lists newest first with a limit and a next link", async () => {
    const all = (await api("GET", "/v1/jobs?limit=1000")).body.jobs;
    expect(all.length).toBeGreaterThan(3);
    const page = await api("GET", "/v1/jobs?limit=2");
    expect(page.body.jobs.map((j: any) => j.id)).toEqual(all.slice(0, 2).map((j: any) => j.id));
    const next = new URL(page.body.next);
    const page2 = await api("GET", `/v1/jobs${next.search}`);
    expect(page2.body.jobs.map((j: any) => j.id)).toEqual(all.slice(2, 4).map((j: any) => j.id));
    expect((await api("GET", "/v1/jobs?state=bogus")).status).toBe(400);
    expect((await api("GET", "/v1/jobs/not-a-job")).status).toBe(404);
  });
});

describe("running: bounded concurrency and retries of busy nodes", () => {
  it("never has more than INGOT_JOB_CONCURRENCY calls in flight, and retries a locked node", async () => {
    const uuids: string[] = [];
    for (let i = 0; i < 12; i++) uuids.push(await simNode(`conc-${i}`));
    let inFlight = 0;
    let most = 0;
    const attempts = new Map<string, number>();
    process.env.INGOT_JOB_CONCURRENCY = "3";
    const throughApi = serviceJobExecutor;
    setJobExecutor({
      async perform(action, args, uuid, principal) {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          await new Promise((r) => setTimeout(r, 20));
          const n = (attempts.get(uuid) ?? 0) + 1;
          attempts.set(uuid, n);
          // The first node is locked by someone else twice; the job tries again.
          if (uuid === uuids[0] && n <= 2) throw new ActionFailed(`Node ${uuid} is locked by host other, please retry after the current operation is completed.`, 409);
          // Any other refusal is final.
          if (uuid === uuids[1]) throw new ActionFailed("Access was denied to this resource.", 403);
          await throughApi.perform(action, args, uuid, principal);
        } finally {
          inFlight--;
        }
      },
      lastError: throughApi.lastError,
    });
    try {
      const r = await api("POST", "/v1/jobs", { body: { action: "maintenance_on", selection: { kind: "nodes", uuids } } });
      expect(r.status, r.error ?? "").toBe(201);
      const job = await finished(r.body.id);
      expect(most).toBe(3);
      expect(job.counts).toMatchObject({ succeeded: 11, failed: 1 });
      expect(attempts.get(uuids[0])).toBe(3);
      expect(attempts.get(uuids[1])).toBe(1);
      expect(job.items[1]).toMatchObject({ state: "failed", message: "Access was denied to this resource." });
    } finally {
      setJobExecutor(throughApi);
      delete process.env.INGOT_JOB_CONCURRENCY;
    }
  });
});

describe("restart recovery", () => {
  it("waiting items are re-checked, in-flight calls fail as interrupted, pending items run", async () => {
    const settled = await manageable("rec-settled"); // its "manage" finished while Ingot was down
    const mid = await simNode("rec-mid");
    const pend = await simNode("rec-pending");
    const id = "00000000-0000-4000-8000-00000000cafe";
    const principal = JSON.stringify({ userId: null, username: "noauth", systemRole: "admin", projectId: null, projectRole: null, noauth: true });
    const now = new Date();
    await db.sql.run(
      `INSERT INTO "Job" ("id", "userId", "username", "principal", "action", "args", "selection", "state", "host", "total", "createdAt", "updatedAt")
       VALUES (?, NULL, 'noauth', ?, 'manage', '{}', '{"kind":"nodes"}', 'running', ?, 3, ?, ?)`,
      [id, principal, config().conductorHostname, now, now],
    );
    const item = (pos: number, uuid: string, state: string) =>
      db.sql.run(`INSERT INTO "JobItem" ("jobId", "position", "nodeUuid", "nodeName", "state", "startedAt") VALUES (?, ?, ?, NULL, ?, ?)`, [id, pos, uuid, state, now]);
    await item(0, settled, "waiting");
    await item(1, mid, "running"); // the call may or may not have reached the node: it is enroll, not in transition
    await item(2, pend, "pending");
    // Another host's job is not touched.
    await db.sql.run(
      `INSERT INTO "Job" ("id", "userId", "username", "principal", "action", "state", "host", "total", "createdAt") VALUES ('other-host-job', NULL, 'x', ?, 'manage', 'running', 'elsewhere', 0, ?)`,
      [principal, now],
    );

    const r = await recoverJobs();
    expect(r).toEqual({ jobs: 1, resumedWaiting: 1, interrupted: 1 });
    await jobsIdle();
    await settle();
    await jobsIdle();
    const job = (await api("GET", `/v1/jobs/${id}`)).body;
    expect(job.state).toBe("finished");
    expect(job.items.map((i: any) => [i.state, i.message])).toEqual([
      ["succeeded", null],
      ["failed", INTERRUPTED],
      ["succeeded", null],
    ]);
    expect((await api("GET", `/v1/nodes/${pend}`)).body.provision_state).toBe("manageable");
    expect((await api("GET", "/v1/jobs/other-host-job")).body.state).toBe("running");
  });
});

describe("adoption of orphaned jobs", () => {
  it("a job whose host stopped renewing its lease is adopted and finished here; a live host's job is left alone", async () => {
    const waited = await manageable("adopt-waited");
    const pend = await simNode("adopt-pending");
    const principal = JSON.stringify({ userId: null, username: "noauth", systemRole: "admin", projectId: null, projectRole: null, noauth: true });
    const long = new Date(Date.now() - 10 * 60_000);
    const fresh = new Date();
    const job = async (id: string, host: string, updatedAt: Date) =>
      db.sql.run(
        `INSERT INTO "Job" ("id", "userId", "username", "principal", "action", "args", "selection", "state", "host", "total", "createdAt", "updatedAt")
         VALUES (?, NULL, 'noauth', ?, 'manage', '{}', '{"kind":"nodes"}', 'running', ?, 2, ?, ?)`,
        [id, principal, host, updatedAt, updatedAt]);
    const item = (id: string, pos: number, uuid: string, state: string) =>
      db.sql.run(`INSERT INTO "JobItem" ("jobId", "position", "nodeUuid", "nodeName", "state", "startedAt") VALUES (?, ?, ?, NULL, ?, ?)`, [id, pos, uuid, state, long]);
    const orphan = "00000000-0000-4000-8000-0000000ad0be";
    await job(orphan, "gone-host", long);
    await item(orphan, 0, waited, "waiting");
    await item(orphan, 1, pend, "pending");
    await job("alive-host-job", "alive-host", fresh);

    const r = await adoptOrphanedJobs();
    // (The restart test above left another host's job without any lease: adopted as well.)
    expect(r.adopted).toContain(orphan);
    expect(r.adopted).not.toContain("alive-host-job");
    expect(r).toMatchObject({ resumedWaiting: 1, interrupted: 0 });
    expect((await adoptOrphanedJobs()).adopted).toEqual([]); // claimed once
    await jobsIdle();
    await settle();
    await jobsIdle();
    const done = (await api("GET", `/v1/jobs/${orphan}`)).body;
    expect(done.state).toBe("finished");
    expect(done.items.map((i: any) => i.state)).toEqual(["succeeded", "succeeded"]);
    expect((await db.sql.get<{ host: string }>(`SELECT "host" FROM "Job" WHERE "id" = ?`, [orphan]))!.host).toBe(config().conductorHostname);
    expect((await api("GET", `/v1/nodes/${pend}`)).body.provision_state).toBe("manageable");
    expect((await api("GET", "/v1/jobs/alive-host-job")).body.state).toBe("running");
    // Stale enough for a shorter timeout: then it is adopted too.
    expect((await adoptOrphanedJobs(undefined, 0)).adopted).toEqual(["alive-host-job"]);
    await jobsIdle();
  });
});
