// Bulk actions as jobs: one action (provide, power off, add traits, ...) over many nodes, run on
// behalf of the user who asked, with per-node results that say why each failure failed.
//
// Each node's action is performed by the services the API's handlers call (serviceJobExecutor of
// lib/core/services/job_actions.ts, which the server registers with setJobExecutor when it starts:
// the runner cannot import the services, which import it: a circle), as the job's
// creator, so it gets exactly the API's policy, state checks and error messages. Asynchronous actions wait until the node settles (no
// target state) and succeed only in the expected state; otherwise the node's last_error says why.
//
// Jobs live in the database (Job, JobItem). The process that created a job runs it (Job.host);
// on start it takes its unfinished jobs back (recoverJobs): items that were waiting keep
// waiting, items whose call was in flight are re-checked or failed as interrupted, and pending
// items run. A running job's host touches Job.updatedAt every few seconds (its lease); a job whose
// host stopped touching it for the heartbeat timeout is adopted by another process serving the
// API (adoptOrphanedJobs), which recovers it the same way — so a job outlives a host that never
// comes back. A job's host is its conductor hostname, which is stable across restarts.
import { randomUUID } from "node:crypto";
import { config } from "./config.ts";
import { parseJson, sql as processSql, toDate, type Sql, type SqlValue } from "./db/sql.ts";
import { liveEvents } from "./events.ts";
import { authorize, type Principal, type Role } from "./policy.ts";
import { FAILURE_STATES, POWER_TARGETS, VERBS, type Verb } from "./states.ts";
import { ITEM_STATES, type JobAction, type JobCounts, type JobItemState as ItemState, type JobState } from "../shared/jobs.ts";

// The actions, job and item states and counts are lib/shared/jobs.ts (the dashboard shows them).
export {
  isJobAction, ITEM_STATES, JOB_ACTIONS, type JobAction, type JobCounts, type JobItemState as ItemState, type JobState,
} from "../shared/jobs.ts";

/** What an asynchronous action waits for: the node's provision or power state, with no target left. */
export interface Settle {
  field: "provision" | "power";
  expected: string;
}

/** The stable state a provisioning verb ends in (the transition table's expectedEnd). */
const endOf = (verb: Verb): Settle => ({ field: "provision", expected: VERBS[verb].expectedEnd! });

/** Where each action ends when it worked (null: the API call itself is the whole action). */
export const ACTION_SETTLE: Record<JobAction, Settle | null> = {
  manage: endOf("manage"),
  provide: endOf("provide"),
  inspect: endOf("inspect"),
  clean: endOf("clean"),
  deploy: endOf("deploy"),
  undeploy: endOf("undeploy"),
  power_on: { field: "power", expected: POWER_TARGETS["power on"].result },
  power_off: { field: "power", expected: POWER_TARGETS["power off"].result },
  reboot: { field: "power", expected: POWER_TARGETS.rebooting.result },
  maintenance_on: null,
  maintenance_off: null,
  set_owner: null,
  set_lessee: null,
  add_traits: null,
  remove_traits: null,
  delete: null,
};

export type Dict = Record<string, unknown>;

/** A refusal from the API (or any failure of the call): `message` is what the caller would see. */
export class ActionFailed extends Error {
  constructor(message: string, readonly status: number | null = null) {
    super(message);
  }
}

/**
 * Performs one node's action as `principal` (lib/core/services/job_actions.ts; registered at
 * start-up by lib/server/server.ts, and by the tests that run jobs). `perform` resolves when every call was accepted, and throws
 * ActionFailed with the API's message otherwise; `lastError` reads the node's last_error as
 * `principal` may see it.
 */
export interface JobExecutor {
  perform(action: JobAction, args: Dict, nodeUuid: string, principal: Principal): Promise<void>;
  lastError(nodeUuid: string, principal: Principal): Promise<string | null>;
}

let executor: JobExecutor | null = null;

export function setJobExecutor(e: JobExecutor): void {
  executor = e;
}

function theExecutor(): JobExecutor {
  if (!executor) throw new Error("no job executor registered (setJobExecutor at start-up, as lib/server/server.ts does)");
  return executor;
}

export interface JobRecord {
  id: string;
  userId: string | null;
  username: string;
  principal: Principal;
  action: JobAction;
  args: Dict;
  selection: Dict;
  state: JobState;
  host: string;
  total: number;
  createdAt: Date;
  updatedAt: Date | null;
  finishedAt: Date | null;
  counts: JobCounts;
}

export interface JobItemRecord {
  position: number;
  nodeUuid: string;
  nodeName: string | null;
  state: ItemState;
  message: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A node to put in a job: its uuid (or the identifier given, when the caller can't see it) and name. */
export interface JobTarget {
  uuid: string;
  name: string | null;
}

export class JobError extends Error {}

/** How many nodes one job may hold (a whole 10,000-node fleet fits). */
export const MAX_JOB_NODES = 20_000;

function concurrency(): number {
  const n = Number(process.env.INGOT_JOB_CONCURRENCY ?? 8);
  return Number.isInteger(n) && n > 0 ? n : 8;
}

/** How often waiting nodes are looked at when no node event arrived (ms). */
const WAIT_POLL_MS = 1000;
/** How often a running job's host renews its lease (Job.updatedAt). */
const LEASE_TOUCH_MS = 5000;
/** Retries of a call refused because the node is locked or no worker was free (as ironicclient does). */
const BUSY_RETRIES = 5;
const BUSY_RETRY_MS = 1000;

export const INTERRUPTED = "Interrupted by a restart of Ingot before its result was known.";
export const CANCELLED = "Not started: the job was cancelled.";

// ---------------------------------------------------------------------------------------------
// Persistence

const EMPTY_COUNTS = (): JobCounts => ({ total: 0, pending: 0, running: 0, waiting: 0, succeeded: 0, failed: 0, skipped: 0 });

function principalFrom(v: unknown): Principal {
  const p = parseJson<Partial<Principal>>(v, {});
  const role = (r: unknown): Role | null => (r === "admin" || r === "member" || r === "reader" ? r : null);
  return {
    userId: typeof p.userId === "string" ? p.userId : null,
    username: typeof p.username === "string" ? p.username : "unknown",
    systemRole: role(p.systemRole),
    projectId: typeof p.projectId === "string" ? p.projectId : null,
    projectRole: role(p.projectRole),
    ...(p.noauth ? { noauth: true } : {}),
  };
}

function rowToJob(r: Record<string, unknown>, counts: JobCounts): JobRecord {
  return {
    id: String(r.id),
    userId: (r.userId as string | null) ?? null,
    username: String(r.username),
    principal: principalFrom(r.principal),
    action: String(r.action) as JobAction,
    args: parseJson<Dict>(r.args, {}),
    selection: parseJson<Dict>(r.selection, {}),
    state: String(r.state) as JobState,
    host: String(r.host),
    total: Number(r.total),
    createdAt: toDate(r.createdAt) ?? new Date(0),
    updatedAt: toDate(r.updatedAt),
    finishedAt: toDate(r.finishedAt),
    counts: { ...counts, total: Number(r.total) },
  };
}

function rowToItem(r: Record<string, unknown>): JobItemRecord {
  return {
    position: Number(r.position),
    nodeUuid: String(r.nodeUuid),
    nodeName: (r.nodeName as string | null) ?? null,
    state: String(r.state) as ItemState,
    message: (r.message as string | null) ?? null,
    startedAt: toDate(r.startedAt),
    finishedAt: toDate(r.finishedAt),
  };
}

async function countsFor(db: Sql, ids: string[]): Promise<Map<string, JobCounts>> {
  const out = new Map<string, JobCounts>();
  for (const id of ids) out.set(id, EMPTY_COUNTS());
  if (!ids.length) return out;
  const rows = await db.all<{ jobId: string; state: string; n: number | string }>(
    `SELECT "jobId", "state", COUNT(*) AS n FROM "JobItem" WHERE "jobId" IN (${ids.map(() => "?").join(",")}) GROUP BY "jobId", "state"`,
    ids,
  );
  for (const r of rows) {
    const c = out.get(r.jobId);
    if (c && (ITEM_STATES as readonly string[]).includes(r.state)) c[r.state as ItemState] = Number(r.n);
  }
  return out;
}

export async function getJob(db: Sql, id: string): Promise<JobRecord | null> {
  const row = await db.get(`SELECT * FROM "Job" WHERE "id" = ?`, [id]);
  if (!row) return null;
  return rowToJob(row, (await countsFor(db, [id])).get(id)!);
}

export async function getJobItems(db: Sql, id: string, states?: ItemState[]): Promise<JobItemRecord[]> {
  const filter = states?.length ? ` AND "state" IN (${states.map(() => "?").join(",")})` : "";
  const rows = await db.all(
    `SELECT "position", "nodeUuid", "nodeName", "state", "message", "startedAt", "finishedAt" FROM "JobItem" WHERE "jobId" = ?${filter} ORDER BY "position"`,
    [id, ...(states ?? [])],
  );
  return rows.map(rowToItem);
}

export interface JobListOptions {
  /** Only this user's jobs (undefined: everyone's). */
  userId?: string | null;
  state?: JobState;
  limit?: number;
  /** Jobs created before this one (paging, newest first). */
  marker?: string;
}

export async function listJobs(db: Sql, opts: JobListOptions = {}): Promise<JobRecord[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (opts.userId !== undefined) {
    if (opts.userId === null) where.push(`"userId" IS NULL`);
    else {
      where.push(`"userId" = ?`);
      params.push(opts.userId);
    }
  }
  if (opts.state) {
    where.push(`"state" = ?`);
    params.push(opts.state);
  }
  if (opts.marker) {
    const m = await db.get<{ createdAt: unknown }>(`SELECT "createdAt" FROM "Job" WHERE "id" = ?`, [opts.marker]);
    if (m) {
      where.push(`("createdAt" < ? OR ("createdAt" = ? AND "id" < ?))`);
      const at = toDate(m.createdAt)!;
      params.push(at, at, opts.marker);
    }
  }
  const limit = Math.max(1, Math.min(opts.limit ?? 50, 1000));
  const rows = await db.all(
    `SELECT * FROM "Job"${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY "createdAt" DESC, "id" DESC LIMIT ${limit}`,
    params,
  );
  const counts = await countsFor(db, rows.map((r) => String(r.id)));
  return rows.map((r) => rowToJob(r, counts.get(String(r.id))!));
}

/** Whether `who` may see (and cancel) this job: its creator, or a system admin. */
export function mayAccessJob(who: Principal, job: Pick<JobRecord, "userId">): boolean {
  if (who.noauth || who.systemRole === "admin") return true;
  return who.userId !== null && who.userId === job.userId;
}

// ---------------------------------------------------------------------------------------------
// Selection

export type JobSelection =
  | { kind: "nodes"; uuids: string[] }
  | { kind: "filter"; query: string; except: string[] };

/**
 * The nodes named by identifiers (UUIDs, or names), in the order given, without duplicates.
 * Nodes the caller can't see (or that don't exist) stay in the job under the identifier given and
 * without a name, so their item fails with the API's own message — never revealing anything.
 */
export async function targetsForIdents(db: Sql, principal: Principal, idents: string[]): Promise<JobTarget[]> {
  const found = new Map<string, { uuid: string; name: string | null; owner: string | null; lessee: string | null }>();
  const CHUNK = 400;
  for (let i = 0; i < idents.length; i += CHUNK) {
    const chunk = idents.slice(i, i + CHUNK);
    const marks = chunk.map(() => "?").join(",");
    const rows = await db.all<{ uuid: string; name: string | null; owner: string | null; lessee: string | null }>(
      `SELECT "uuid", "name", "owner", "lessee" FROM "Node" WHERE "uuid" IN (${marks}) OR "name" IN (${marks})`,
      [...chunk, ...chunk],
    );
    for (const r of rows) {
      found.set(r.uuid, r);
      if (r.name) found.set(r.name, r);
    }
  }
  const seen = new Set<string>();
  const out: JobTarget[] = [];
  for (const ident of idents) {
    const row = found.get(ident) ?? found.get(ident.toLowerCase());
    const visible = row && authorize("baremetal:node:get", principal, row);
    const target = visible ? { uuid: row.uuid, name: row.name } : { uuid: ident, name: null };
    if (seen.has(target.uuid)) continue;
    seen.add(target.uuid);
    out.push(target);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Creating, cancelling

export interface NewJob {
  principal: Principal;
  action: JobAction;
  args: Dict;
  /** How the nodes were chosen, for display (not re-resolved). */
  selection: Dict;
  targets: JobTarget[];
}

/** Stores the job with one pending item per node and starts running it in this process. */
export async function createJob(db: Sql, job: NewJob): Promise<JobRecord> {
  if (!job.targets.length) throw new JobError("No nodes were selected.");
  if (job.targets.length > MAX_JOB_NODES) {
    throw new JobError(`Too many nodes for one job: ${job.targets.length} (at most ${MAX_JOB_NODES}).`);
  }
  const id = randomUUID();
  const now = new Date();
  const p = job.principal;
  const principal = JSON.stringify({
    userId: p.userId, username: p.username, systemRole: p.systemRole, projectId: p.projectId, projectRole: p.projectRole,
    ...(p.noauth ? { noauth: true } : {}),
  });
  await db.tx(async (tx) => {
    await tx.run(
      `INSERT INTO "Job" ("id", "userId", "username", "principal", "action", "args", "selection", "state", "host", "total", "createdAt", "updatedAt")
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, p.userId, p.username, principal, job.action, JSON.stringify(job.args), JSON.stringify(job.selection), "running",
        config().conductorHostname, job.targets.length, now, now],
    );
    // Multi-row inserts keep a 10,000-node job to a few dozen statements.
    const ROWS = 200;
    for (let i = 0; i < job.targets.length; i += ROWS) {
      const chunk = job.targets.slice(i, i + ROWS);
      const params: SqlValue[] = [];
      chunk.forEach((t, k) => params.push(id, i + k, t.uuid, t.name, "pending"));
      await tx.run(
        `INSERT INTO "JobItem" ("jobId", "position", "nodeUuid", "nodeName", "state") VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
        params,
      );
    }
  });
  runner().start(id);
  publishJob(id, p.userId, "running", true);
  return (await getJob(db, id))!;
}

/**
 * Cancels a job: items not started yet become skipped; items already running or waiting finish
 * and keep their result. The job's state becomes "cancelled" (finished_at once the last one ends).
 */
export async function cancelJob(db: Sql, id: string): Promise<JobRecord | null> {
  const job = await getJob(db, id);
  if (!job) return null;
  if (job.finishedAt) return job;
  const now = new Date();
  await db.tx(async (tx) => {
    await tx.run(`UPDATE "Job" SET "state" = 'cancelled', "updatedAt" = ? WHERE "id" = ?`, [now, id]);
    await tx.run(
      `UPDATE "JobItem" SET "state" = 'skipped', "message" = ?, "finishedAt" = ? WHERE "jobId" = ? AND "state" = 'pending'`,
      [CANCELLED, now, id],
    );
  });
  const running = runner().get(id);
  if (running) running.cancel();
  else await finishIfDone(db, id);
  publishJob(id, job.userId, "cancelled", true);
  return getJob(db, id);
}

/** Marks the job finished when nothing of it is left to do. */
async function finishIfDone(db: Sql, id: string): Promise<boolean> {
  const open = await db.get<{ n: number | string }>(
    `SELECT COUNT(*) AS n FROM "JobItem" WHERE "jobId" = ? AND "state" IN ('pending', 'running', 'waiting')`, [id]);
  if (Number(open?.n ?? 0) > 0) return false;
  const now = new Date();
  await db.run(
    `UPDATE "Job" SET "state" = CASE WHEN "state" = 'cancelled' THEN 'cancelled' ELSE 'finished' END, "finishedAt" = ?, "updatedAt" = ?
     WHERE "id" = ? AND "finishedAt" IS NULL`,
    [now, now, id],
  );
  return true;
}

// ---------------------------------------------------------------------------------------------
// Live events (throttled: a 10,000-node job must not flood every dashboard)

const PUBLISH_EVERY_MS = 250;
const publishTimers = new Map<string, ReturnType<typeof setTimeout>>();

function publishJob(id: string, userId: string | null, state: string, now = false): void {
  const send = () => {
    publishTimers.delete(id);
    liveEvents().publish({ type: "job", id, state, userId, at: new Date().toISOString() });
  };
  const pending = publishTimers.get(id);
  if (now) {
    if (pending) clearTimeout(pending);
    send();
    return;
  }
  if (pending) return;
  const t = setTimeout(send, PUBLISH_EVERY_MS);
  t.unref?.();
  publishTimers.set(id, t);
}

// ---------------------------------------------------------------------------------------------
// Running

interface Waiter {
  position: number;
  settle: Settle;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isBusy(err: unknown): boolean {
  if (!(err instanceof ActionFailed)) return false;
  return err.status === 503 || (err.status === 409 && /is locked by host/i.test(err.message));
}

/** One job being run by this process. */
class RunningJob {
  private cancelled = false;
  private readonly waiting = new Map<string, Waiter>();
  private checking = false;
  private recheck = false;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lease: ReturnType<typeof setInterval> | null = null;
  private lost = false;
  private soon: ReturnType<typeof setTimeout> | null = null;
  private workersDone = false;
  private resolveDone: (() => void) | null = null;
  readonly done: Promise<void>;

  private job!: JobRecord;
  private readonly resumed: { uuid: string; position: number }[] = [];

  constructor(readonly id: string) {
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  isWaitingFor(uuid: string): boolean {
    return this.waiting.has(uuid);
  }

  cancel(): void {
    this.cancelled = true;
  }

  /** Wait for this node again (recovery of an item that was waiting before a restart). */
  resumeWaiting(uuid: string, position: number): void {
    this.resumed.push({ uuid, position });
  }

  async run(): Promise<void> {
    const db = await processSql();
    const job = await getJob(db, this.id);
    if (!job) return;
    this.job = job;
    if (job.state === "cancelled") this.cancelled = true;
    const settle = ACTION_SETTLE[job.action];
    if (settle) for (const w of this.resumed) this.waiting.set(w.uuid, { position: w.position, settle });
    try {
      this.timer = setInterval(() => this.poke(0), WAIT_POLL_MS);
      this.timer.unref?.();
      this.lease = setInterval(() => void this.touchLease(db), LEASE_TOUCH_MS);
      this.lease.unref?.();
      const pending = await db.all<{ position: number; nodeUuid: string }>(
        `SELECT "position", "nodeUuid" FROM "JobItem" WHERE "jobId" = ? AND "state" = 'pending' ORDER BY "position"`, [this.id]);
      let next = 0;
      const worker = async () => {
        while (!this.cancelled && next < pending.length) {
          const item = pending[next++];
          await this.runItem(db, Number(item.position), item.nodeUuid).catch((err) => {
            console.error(`[jobs] job ${this.id} item ${item.position} failed unexpectedly:`, err);
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency(), pending.length) }, worker));
      this.workersDone = true;
      this.poke(0);
      await this.done;
    } finally {
      if (this.timer) clearInterval(this.timer);
      if (this.lease) clearInterval(this.lease);
      if (this.soon) clearTimeout(this.soon);
      // Adopted by another process (this one looked dead): that one finishes it.
      if (!this.lost) {
        await finishIfDone(db, this.id).catch((err) => console.error(`[jobs] job ${this.id} could not be finished:`, err));
        const job = await getJob(db, this.id).catch(() => null);
        publishJob(this.id, this.job?.userId ?? null, job?.state ?? "finished", true);
      }
    }
  }

  /** Renews the lease; a job another process has adopted meanwhile is given up here. */
  private async touchLease(db: Sql): Promise<void> {
    try {
      const kept = await db.run(`UPDATE "Job" SET "updatedAt" = ? WHERE "id" = ? AND "host" = ?`, [new Date(), this.id, config().conductorHostname]);
      if (kept === 0 && !this.lost) {
        this.lost = true;
        this.cancelled = true; // no new items here; waiting ones are the adopter's now
        this.waiting.clear();
        console.error(`[jobs] job ${this.id} was adopted by another process; it runs there now`);
        this.resolveDone?.();
      }
    } catch (err) {
      console.error(`[jobs] job ${this.id}: renewing its lease failed:`, err);
    }
  }

  private async setItem(db: Sql, position: number, state: ItemState, message: string | null, from: ItemState[]): Promise<boolean> {
    const now = new Date();
    const times = state === "running" ? `, "startedAt" = ?` : state === "waiting" ? "" : `, "finishedAt" = ?`;
    const params: SqlValue[] = [state, message];
    if (times) params.push(now);
    params.push(this.id, position, ...from);
    const changed = await db.run(
      `UPDATE "JobItem" SET "state" = ?, "message" = ?${times} WHERE "jobId" = ? AND "position" = ? AND "state" IN (${from.map(() => "?").join(",")})`,
      params,
    );
    if (changed) {
      await db.run(`UPDATE "Job" SET "updatedAt" = ? WHERE "id" = ?`, [now, this.id]);
      publishJob(this.id, this.job.userId, this.cancelled ? "cancelled" : "running");
    }
    return changed > 0;
  }

  private async runItem(db: Sql, position: number, uuid: string): Promise<void> {
    // The item may have been skipped by a cancel meanwhile: only a pending item starts.
    if (!(await this.setItem(db, position, "running", null, ["pending"]))) return;
    const { action, args, principal } = this.job;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await theExecutor().perform(action, args, uuid, principal);
          break;
        } catch (err) {
          if (attempt < BUSY_RETRIES && isBusy(err)) {
            await sleep(BUSY_RETRY_MS);
            continue;
          }
          throw err;
        }
      }
    } catch (err) {
      const message = err instanceof ActionFailed ? err.message : `Unexpected error: ${(err as Error)?.message ?? String(err)}`;
      await this.setItem(db, position, "failed", message, ["running"]);
      return;
    }
    const settle = ACTION_SETTLE[action];
    if (!settle) {
      await this.setItem(db, position, "succeeded", null, ["running"]);
      return;
    }
    await this.setItem(db, position, "waiting", null, ["running"]);
    this.waiting.set(uuid, { position, settle });
    this.poke(0);
  }

  /** Looks at the waiting nodes soon (coalesced). */
  poke(delayMs = 50): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.checkWaiting();
    }, delayMs);
    this.soon.unref?.();
  }

  private async checkWaiting(): Promise<void> {
    if (this.checking) {
      this.recheck = true;
      return;
    }
    this.checking = true;
    try {
      do {
        this.recheck = false;
        await this.checkOnce();
      } while (this.recheck);
    } catch (err) {
      console.error(`[jobs] job ${this.id}: checking waiting nodes failed:`, err);
    } finally {
      this.checking = false;
    }
    if (this.workersDone && this.waiting.size === 0) this.resolveDone?.();
  }

  private async checkOnce(): Promise<void> {
    if (!this.waiting.size) return;
    const db = await processSql();
    const uuids = [...this.waiting.keys()];
    const rows = new Map<string, { provisionState: string; targetProvisionState: string | null; powerState: string | null; targetPowerState: string | null }>();
    for (let i = 0; i < uuids.length; i += 400) {
      const chunk = uuids.slice(i, i + 400);
      const found = await db.all<{ uuid: string; provisionState: string; targetProvisionState: string | null; powerState: string | null; targetPowerState: string | null }>(
        `SELECT "uuid", "provisionState", "targetProvisionState", "powerState", "targetPowerState" FROM "Node" WHERE "uuid" IN (${chunk.map(() => "?").join(",")})`,
        chunk,
      );
      for (const r of found) rows.set(r.uuid, r);
    }
    for (const uuid of uuids) {
      const w = this.waiting.get(uuid)!;
      const row = rows.get(uuid);
      if (!row) {
        this.waiting.delete(uuid);
        await this.setItem(db, w.position, "failed", "The node was deleted before the action finished.", ["waiting"]);
        continue;
      }
      // Settled: no target left, or a failure state (a failed manual clean keeps its target, as in Ironic).
      const target = w.settle.field === "provision" ? row.targetProvisionState : row.targetPowerState;
      const failed = w.settle.field === "provision" && (FAILURE_STATES as readonly string[]).includes(row.provisionState);
      if (target && !failed) continue;
      this.waiting.delete(uuid);
      const reached = w.settle.field === "provision" ? row.provisionState : row.powerState;
      if (reached === w.settle.expected) {
        await this.setItem(db, w.position, "succeeded", null, ["waiting"]);
      } else {
        const lastError = await theExecutor().lastError(uuid, this.job.principal).catch(() => null);
        const what = w.settle.field === "provision" ? "provision state" : "power state";
        await this.setItem(db, w.position, "failed",
          lastError ?? `The node ended in ${what} "${reached ?? "None"}" instead of "${w.settle.expected}".`, ["waiting"]);
      }
    }
  }
}

class JobRunner {
  private readonly jobs = new Map<string, RunningJob>();
  private readonly runs = new Set<Promise<void>>();
  private unsubscribe: (() => void) | null = null;

  get(id: string): RunningJob | undefined {
    return this.jobs.get(id);
  }

  /** Starts running a stored job in this process (no-op when it already runs here). */
  start(id: string, resumeWaiting: { uuid: string; position: number }[] = []): void {
    if (this.jobs.has(id)) return;
    this.listen();
    const running = new RunningJob(id);
    for (const w of resumeWaiting) running.resumeWaiting(w.uuid, w.position);
    this.jobs.set(id, running);
    const whole = running.run()
      .catch((err) => console.error(`[jobs] job ${id} failed:`, err))
      .finally(() => {
        this.jobs.delete(id);
        this.runs.delete(whole);
      });
    this.runs.add(whole);
  }

  /** Node changes wake the jobs waiting for that node (polling is the fallback). */
  private listen(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = liveEvents().subscribe((e) => {
      if (e.type !== "node") return;
      for (const j of this.jobs.values()) if (j.isWaitingFor(e.uuid)) j.poke();
    });
  }

  /** Resolves when every job running in this process has finished (tests). */
  async idle(): Promise<void> {
    while (this.runs.size) await Promise.all([...this.runs]);
  }

  activeCount(): number {
    return this.jobs.size;
  }
}

let jobRunner: JobRunner | undefined;

function runner(): JobRunner {
  jobRunner ??= new JobRunner();
  return jobRunner;
}

/** Waits until every job this process runs has finished (tests; also on shutdown if wanted). */
export async function jobsIdle(): Promise<void> {
  // A job started a moment ago registers itself asynchronously.
  await sleep(0);
  for (let i = 0; i < 3; i++) {
    await runner().idle();
    await sleep(5);
  }
}

// ---------------------------------------------------------------------------------------------
// Restart recovery

export interface RecoveryResult {
  jobs: number;
  resumedWaiting: number;
  interrupted: number;
}

/**
 * Takes back this host's unfinished jobs after a restart: waiting items keep waiting; items whose
 * API call was in flight keep waiting when their node is in the transition the action started,
 * and otherwise fail as interrupted; pending items run (skipped when the job was cancelled or
 * its user is gone or disabled). Then each job runs to its end.
 */
export async function recoverJobs(db?: Sql): Promise<RecoveryResult> {
  const conn = db ?? (await processSql());
  const result: RecoveryResult = { jobs: 0, resumedWaiting: 0, interrupted: 0 };
  const open = await conn.all<{ id: string }>(
    `SELECT "id" FROM "Job" WHERE "host" = ? AND "finishedAt" IS NULL ORDER BY "createdAt"`, [config().conductorHostname]);
  for (const { id } of open) await recoverJob(conn, id, result);
  return result;
}

/**
 * Adopts the unfinished jobs of hosts that stopped renewing their lease for `staleSeconds`
 * (default: the conductor heartbeat timeout) and recovers them here, as after a restart. The
 * claim is a conditional update, so of several processes looking at once only one adopts a job.
 */
export async function adoptOrphanedJobs(db?: Sql, staleSeconds = config().heartbeatTimeoutSeconds): Promise<RecoveryResult & { adopted: string[] }> {
  const conn = db ?? (await processSql());
  const me = config().conductorHostname;
  const result = { jobs: 0, resumedWaiting: 0, interrupted: 0, adopted: [] as string[] };
  const cutoff = new Date(Date.now() - staleSeconds * 1000);
  const orphans = await conn.all<{ id: string; host: string }>(
    `SELECT "id", "host" FROM "Job" WHERE "finishedAt" IS NULL AND "host" <> ? AND ("updatedAt" IS NULL OR "updatedAt" < ?) ORDER BY "createdAt"`,
    [me, cutoff]);
  for (const { id, host } of orphans) {
    const claimed = await conn.run(
      `UPDATE "Job" SET "host" = ?, "updatedAt" = ? WHERE "id" = ? AND "host" = ? AND "finishedAt" IS NULL AND ("updatedAt" IS NULL OR "updatedAt" < ?)`,
      [me, new Date(), id, host, cutoff]);
    if (!claimed) continue;
    console.log(`[jobs] adopted job ${id} from ${host}, which stopped running it`);
    result.adopted.push(id);
    await recoverJob(conn, id, result);
  }
  return result;
}

let adoptionTimer: ReturnType<typeof setInterval> | null = null;

/** Looks for orphaned jobs now and then (processes serving the API; stopped by stopJobAdoption). */
export function startJobAdoption(everyMs = 15_000): void {
  if (adoptionTimer) return;
  const look = () => void adoptOrphanedJobs().catch((err) => console.error("[jobs] adopting orphaned jobs failed:", err));
  adoptionTimer = setInterval(look, everyMs);
  adoptionTimer.unref?.();
}

export function stopJobAdoption(): void {
  if (adoptionTimer) clearInterval(adoptionTimer);
  adoptionTimer = null;
}

async function recoverJob(conn: Sql, id: string, result: RecoveryResult): Promise<void> {
  if (runner().get(id)) return;
  const job = await getJob(conn, id);
  if (!job) return;
  result.jobs++;
  const now = new Date();
  if (job.userId !== null) {
    const user = await conn.get<{ disabled: unknown }>(`SELECT "disabled" FROM "User" WHERE "id" = ?`, [job.userId]);
    const gone = !user || user.disabled === true || user.disabled === 1 || user.disabled === "1";
    if (gone) {
      await conn.run(
        `UPDATE "JobItem" SET "state" = 'skipped', "message" = ?, "finishedAt" = ? WHERE "jobId" = ? AND "state" = 'pending'`,
        ["Not started: the job's user no longer exists or is disabled.", now, id]);
    }
  }
  const settle = ACTION_SETTLE[job.action];
  const inFlight = await conn.all<{ position: number; nodeUuid: string; state: string }>(
    `SELECT "position", "nodeUuid", "state" FROM "JobItem" WHERE "jobId" = ? AND "state" IN ('running', 'waiting')`, [id]);
  const resume: { uuid: string; position: number }[] = [];
  for (const item of inFlight) {
    let keepWaiting = false;
    if (settle) {
      if (item.state === "waiting") keepWaiting = true;
      else {
        const node = await conn.get<{ targetProvisionState: string | null; targetPowerState: string | null }>(
          `SELECT "targetProvisionState", "targetPowerState" FROM "Node" WHERE "uuid" = ?`, [item.nodeUuid]);
        const target = settle.field === "provision" ? node?.targetProvisionState : node?.targetPowerState;
        keepWaiting = !!target && (settle.field === "power" || target === settle.expected);
      }
    }
    if (keepWaiting) {
      if (item.state === "running") {
        await conn.run(`UPDATE "JobItem" SET "state" = 'waiting' WHERE "jobId" = ? AND "position" = ?`, [id, item.position]);
      }
      resume.push({ uuid: item.nodeUuid, position: Number(item.position) });
      result.resumedWaiting++;
    } else {
      await conn.run(
        `UPDATE "JobItem" SET "state" = 'failed', "message" = ?, "finishedAt" = ? WHERE "jobId" = ? AND "position" = ?`,
        [INTERRUPTED, now, id, item.position]);
      result.interrupted++;
    }
  }
  runner().start(id, resume);
}
