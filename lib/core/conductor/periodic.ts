// Periodic conductor work (reference §8): heartbeat, power-state sync and power-failure recovery,
// callback timeouts, and taking over nodes locked by dead conductors. Each tick handles a bounded
// batch, skips nodes someone else has locked, and logs (never throws) errors.
import { pendingBios, refreshBiosCache } from "../bios.ts";
import { config } from "../config.ts";
import { getNodeById, listNodes, type NodeRecord } from "../db/nodes.ts";
import { interfacesFor, hardwareTypeNames } from "../drivers/registry.ts";
import { publishNodeChange } from "../events.ts";
import { aliveConductors, conductorFor, resetHashRing } from "../hashring.ts";
import { recordHistory } from "../history.ts";
import { closeExpiredSessions } from "../console/sessions.ts";
import { pruneConsoleTokens } from "../console/tokens.ts";
import { AGENT_WAIT_STATES, CALLBACK_TIMEOUT_STATES, isRunningState, ProvisionState as S, RUNNING_STATES } from "../states.ts";
import type { Conductor } from "./conductor.ts";
import { errorMessage, failNode } from "./flows.ts";
import { takeOverNode, type TakeOverCause } from "./takeover.ts";
import { NodeTask, SYSTEM_ACTOR } from "./task.ts";

/** Nodes handled per task per tick, so one tick stays short. */
export const PERIODIC_BATCH = 500;

/** Runs fn over items with at most `limit` at once (one slow BMC must not hold up the others). */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

const POWER_SYNC_SKIP_STATES: readonly string[] = [S.DEPLOYWAIT, S.CLEANWAIT, S.ENROLL, S.ADOPTFAIL];

export class PeriodicTasks {
  /** Consecutive failed power reads per node id. */
  readonly powerFailures = new Map<number, number>();
  private timers: NodeJS.Timeout[] = [];
  /** The alive conductors seen last, to notice one dying or joining (sorted, joined). */
  private lastMembers: string | null = null;
  private readonly running = new Set<Promise<unknown>>();

  constructor(private readonly conductor: Conductor) {}

  private get host(): string {
    return this.conductor.hostname;
  }

  /**
   * Whether this conductor owns the node on the hash ring (or nobody alive does) and may work on
   * it now. A node still to be taken over is left alone until takeOverNodes has done so: locking
   * it first would make this host its affinity and skip the take-over.
   */
  private async owns(node: NodeRecord, alive?: Set<string>): Promise<boolean> {
    // (A node nobody handled yet is simply claimed by whoever works on it first.)
    if (alive && node.conductorAffinity !== null && this.needsTakeOver(node, alive)) return false;
    const owner = await conductorFor(await this.conductor.db(), node);
    return owner === null || owner === this.host;
  }

  /**
   * Whether the node, if this conductor owns it, must be taken over first: it is unlocked in a
   * running state (the worker that ran its operation is gone: its conductor died or restarted);
   * it was last handled by another conductor that died; or (hash ring rebalanced, or never
   * handled) by one still alive or none when it is active or has its console enabled — its boot
   * configuration and console live with that conductor. A node nobody handled yet in a stable
   * state has nothing to take over: locking it would only move its ETag under its users. A node waiting for its agent stays with an alive conductor (the agent's
   * heartbeat reaches the owner).
   */
  needsTakeOver(node: NodeRecord, alive: Set<string>): boolean {
    if (node.reservation === null && isRunningState(node.provisionState)) return true;
    const previous = node.conductorAffinity;
    if (previous === this.host) return false;
    if (previous !== null && !alive.has(previous)) return true;
    return node.provisionState === S.ACTIVE || node.consoleEnabled;
  }

  private async tryLock(node: NodeRecord): Promise<NodeTask | null> {
    try {
      return await this.conductor.lock(node.id, SYSTEM_ACTOR);
    } catch {
      return null; // busy or gone: next tick
    }
  }

  async heartbeat(): Promise<void> {
    const db = await this.conductor.db();
    await db.run(`UPDATE "Conductor" SET "updatedAt" = ?, "online" = ? WHERE "hostname" = ?`, [new Date(), true, this.host]);
  }

  /**
   * Power-state sync. The BMC is read without the node's lock (Ironic's shared task): the lock
   * is taken only to write a change, so a node whose power state is as recorded is not written
   * at all (its ETag stays put under an operator's open edit).
   */
  async syncPowerStates(): Promise<void> {
    const db = await this.conductor.db();
    const nodes = await listNodes(db, {
      filter: { maintenance: false, reserved: false, includeChildren: true },
      limit: PERIODIC_BATCH, sortKey: "updated_at", withoutTraits: true,
    });
    const enabled = hardwareTypeNames();
    const alive = await this.aliveHosts();
    await forEachConcurrently(nodes, config().powerSyncWorkers, async (candidate) => {
      if (POWER_SYNC_SKIP_STATES.includes(candidate.provisionState) || !enabled.includes(candidate.driver)) return;
      if (!(await this.owns(candidate, alive))) return;
      try {
        let actual: string | null;
        try {
          actual = await interfacesFor(candidate).power.getPowerState(NodeTask.shared(db, candidate, this.host));
        } catch (err) {
          await this.powerReadFailed(candidate, err);
          return;
        }
        this.powerFailures.delete(candidate.id);
        // BIOS settings staged for a reboot: the machine may have rebooted since (from its OS, or
        // longer than a power action waits); re-read them while it runs.
        const biosToRead = actual === "power on" && pendingBios(candidate).length > 0;
        if (!biosToRead && (actual === candidate.powerState || actual === null)) return;
        await this.withLock(candidate, async (task) => {
          const node = task.node;
          if (node.maintenance || POWER_SYNC_SKIP_STATES.includes(node.provisionState)) return;
          // Read again under the lock: a power action may have finished since the first read.
          const now = await interfacesFor(node).power.getPowerState(task);
          if (now === "power on" && pendingBios(node).length) await refreshBiosCache(task, interfacesFor(node).bios);
          if (now === task.node.powerState || now === null) return;
          await task.update({ powerState: now });
          await task.history({ kind: "power_sync", from: node.powerState, to: now }, "monitoring", node.powerState === null ? "INFO" : "WARNING");
        });
      } catch (err) {
        console.error(`power sync of node ${candidate.uuid} failed:`, err);
      }
    });
  }

  /** Runs fn holding the node's lock, if it can be taken now (else skips: next tick). */
  private async withLock(candidate: NodeRecord, fn: (task: NodeTask) => Promise<void>): Promise<void> {
    const task = await this.tryLock(candidate);
    if (!task) return;
    try {
      await fn(task);
    } finally {
      await task.release();
    }
  }

  private async powerReadFailed(candidate: NodeRecord, err: unknown): Promise<void> {
    const count = (this.powerFailures.get(candidate.id) ?? 0) + 1;
    this.powerFailures.set(candidate.id, count);
    const max = config().powerSyncMaxRetries;
    if (count < max) return;
    this.powerFailures.delete(candidate.id);
    const reason = `Power state sync failed ${count} times in a row for node ${candidate.uuid}: ${errorMessage(err)}`;
    await this.withLock(candidate, async (task) => {
      if (task.node.maintenance) return;
      await task.update({ maintenance: true, maintenanceReason: reason, fault: "power failure", lastError: reason });
      await task.history({ kind: "maintenance", message: `${reason}. Node put into maintenance (fault "power failure")` }, "monitoring", "ERROR");
    });
  }

  /** Nodes put into maintenance by power sync come back once their BMC answers. */
  async recoverPowerFailures(): Promise<void> {
    const db = await this.conductor.db();
    const nodes = await listNodes(db, {
      filter: { maintenance: true, fault: "power failure", reserved: false, includeChildren: true },
      limit: PERIODIC_BATCH, withoutTraits: true,
    });
    const alive = await this.aliveHosts();
    await forEachConcurrently(nodes, config().powerSyncWorkers, async (candidate) => {
      if (!hardwareTypeNames().includes(candidate.driver) || !(await this.owns(candidate, alive))) return;
      const task = await this.tryLock(candidate);
      if (!task) return;
      try {
        if (task.node.fault !== "power failure") return;
        let actual: string | null;
        try {
          actual = await interfacesFor(task.node).power.getPowerState(task);
        } catch {
          return; // still failing
        }
        await task.update({ maintenance: false, maintenanceReason: null, fault: null, powerState: actual ?? task.node.powerState });
        await task.history({ kind: "maintenance", message: "The BMC answers again; maintenance and fault \"power failure\" cleared" }, "monitoring");
      } catch (err) {
        console.error(`power failure recovery of node ${candidate.uuid} failed:`, err);
      } finally {
        await task.release();
      }
    });
  }

  async checkCallbackTimeouts(): Promise<void> {
    const db = await this.conductor.db();
    const cutoff = Date.now() - config().callbackTimeoutSeconds * 1000;
    const nodes = await listNodes(db, {
      filter: { provisionState: [...CALLBACK_TIMEOUT_STATES], reserved: false, maintenance: false, includeChildren: true },
      limit: PERIODIC_BATCH, sortKey: "provision_updated_at", withoutTraits: true,
    });
    const alive = await this.aliveHosts();
    for (const candidate of nodes) {
      const since = candidate.provisionUpdatedAt ?? candidate.createdAt;
      if (since.getTime() > cutoff || !(await this.owns(candidate, alive))) continue;
      const task = await this.tryLock(candidate);
      if (!task) continue;
      try {
        const node = task.node;
        if (!(CALLBACK_TIMEOUT_STATES as readonly string[]).includes(node.provisionState)) continue;
        if ((node.provisionUpdatedAt ?? node.createdAt).getTime() > cutoff) continue;
        await failNode(task, `Timeout reached while waiting for callback for node ${node.uuid}`);
      } catch (err) {
        console.error(`callback timeout handling of node ${candidate.uuid} failed:`, err);
      } finally {
        await task.release();
      }
    }
  }

  /**
   * The alive conductors (this one included). When the set changed since the last look (a
   * heartbeat went stale, or a conductor joined) the hash ring is rebuilt at once instead of
   * after its TTL, so the survivors own the dead conductor's nodes from now on.
   */
  async aliveHosts(): Promise<Set<string>> {
    const db = await this.conductor.db();
    const alive = new Set((await aliveConductors(db)).map((c) => c.hostname));
    alive.add(this.host);
    const members = [...alive].sort().join(" ");
    if (this.lastMembers !== null && members !== this.lastMembers) {
      const gone = this.lastMembers.split(" ").filter((h) => !alive.has(h));
      if (gone.length) console.warn(`conductor ${this.host}: conductor(s) ${gone.join(", ")} no longer alive; hash ring rebuilt`);
      resetHashRing();
    }
    this.lastMembers = members;
    return alive;
  }

  /**
   * Take-over (reference §8, Ironic's _sync_local_state/_do_takeover): unlocked nodes this
   * conductor now owns on the ring that need it (needsTakeOver) are taken over — operations left
   * unfinished are resumed, active nodes get their boot configuration rebuilt, a waiting deploy
   * agent is reached again, enabled consoles are restarted here — and their affinity becomes this
   * host.
   */
  async takeOverNodes(): Promise<number> {
    const db = await this.conductor.db();
    const alive = await this.aliveHosts();
    const others = [...alive].filter((h) => h !== this.host);
    // Candidates in pages (the ring, not SQL, says which are ours): any node unlocked in a running
    // state (in maintenance too: it is failed, not left there); else affinity dead, or none or an
    // alive other conductor's when active / console-enabled.
    const aliveOther = others.length ? `"conductorAffinity" IN (${others.map(() => "?").join(",")})` : "1 = 0";
    const running = RUNNING_STATES.map(() => "?").join(",");
    const nodes: NodeRecord[] = [];
    for (let after = 0; ;) {
      const rows = await db.all(
        `SELECT "id" FROM "Node" WHERE "id" > ? AND "reservation" IS NULL AND ("provisionState" IN (${running}) OR ("maintenance" = ? AND ("conductorAffinity" IS NULL OR "conductorAffinity" <> ?) AND ("provisionState" = ? OR "consoleEnabled" = ? OR ("conductorAffinity" IS NOT NULL AND NOT (${aliveOther}))))) ORDER BY "id" LIMIT ${PERIODIC_BATCH}`,
        [after, ...RUNNING_STATES, false, this.host, S.ACTIVE, true, ...others],
      );
      if (!rows.length) break;
      after = Number(rows[rows.length - 1].id);
      const page = await listNodes(db, { filter: { ids: rows.map((r) => Number(r.id)), includeChildren: true }, withoutTraits: true, limit: PERIODIC_BATCH });
      for (const n of page) if (this.needsTakeOver(n, alive) && (await this.owns(n))) nodes.push(n);
      if (rows.length < PERIODIC_BATCH || nodes.length >= PERIODIC_BATCH) break;
    }
    const enabled = hardwareTypeNames();
    let taken = 0;
    await forEachConcurrently(nodes, config().powerSyncWorkers, async (candidate) => {
      const previous = candidate.conductorAffinity;
      if (!this.needsTakeOver(candidate, alive)) return;
      // A running node is handled even without its hardware type here (failed, saying so).
      const running = isRunningState(candidate.provisionState);
      if ((!enabled.includes(candidate.driver) && !running) || !(await this.owns(candidate))) return;
      // Taking the lock makes this host the node's affinity, so `previous` is read before.
      const task = await this.tryLock(candidate);
      if (!task) return;
      let handedOff = false;
      try {
        const node = task.node;
        if (node.maintenance && !isRunningState(node.provisionState)) return;
        // Finished by its conductor meanwhile (the candidate was read before): nothing to take over.
        if (running && !isRunningState(node.provisionState) && previous !== null && alive.has(previous)) return;
        const cause: TakeOverCause = previous !== null && !alive.has(previous) ? "dead"
          : isRunningState(node.provisionState) ? "interrupted" : "rebalanced";
        handedOff = await takeOverNode(this.conductor, task, previous, cause);
        taken++;
      } catch (err) {
        console.error(`take-over of node ${candidate.uuid} failed:`, err);
      } finally {
        if (!handedOff) await task.release();
      }
    });
    return taken;
  }

  /**
   * After a restart: this conductor's own nodes (its affinity) get what take-over gives another's
   * — what lived in its previous process is rebuilt (boot configuration, sim machines: a deploy
   * agent heartbeats again at once instead of the node waiting for the callback timeout,
   * consoles) and operations its previous run left unfinished are resumed. All of them, whichever
   * conductor the ring names now: the work was this one's. Nodes in maintenance only get their
   * console back (and a running one is failed, saying why).
   */
  async resumeOwnNodes(): Promise<number> {
    const db = await this.conductor.db();
    const running = RUNNING_STATES.map(() => "?").join(",");
    const waiting = [S.ACTIVE, ...AGENT_WAIT_STATES];
    let resumed = 0;
    for (let after = 0; ;) {
      const rows = await db.all(
        `SELECT "id" FROM "Node" WHERE "id" > ? AND "reservation" IS NULL AND "conductorAffinity" = ? AND ("provisionState" IN (${running}) OR "consoleEnabled" = ? OR ("maintenance" = ? AND "provisionState" IN (${waiting.map(() => "?").join(",")}))) ORDER BY "id" LIMIT ${PERIODIC_BATCH}`,
        [after, this.host, ...RUNNING_STATES, true, false, ...waiting],
      );
      if (!rows.length) break;
      after = Number(rows[rows.length - 1].id);
      const page = await listNodes(db, { filter: { ids: rows.map((r) => Number(r.id)), includeChildren: true }, withoutTraits: true, limit: PERIODIC_BATCH });
      await forEachConcurrently(page, config().powerSyncWorkers, async (candidate) => {
        const task = await this.tryLock(candidate);
        if (!task) return;
        let handedOff = false;
        try {
          if (task.node.maintenance && !isRunningState(task.node.provisionState) && !task.node.consoleEnabled) return;
          handedOff = await takeOverNode(this.conductor, task, this.host, "restarted");
          resumed++;
        } catch (err) {
          console.error(`resuming node ${candidate.uuid} after the restart failed:`, err);
        } finally {
          if (!handedOff) await task.release();
        }
      });
      if (rows.length < PERIODIC_BATCH) break;
    }
    return resumed;
  }

  /**
   * Releases locks held by conductors that are no longer alive. The operations they were running
   * are resumed (or failed) by each node's new owner in takeOverNodes.
   */
  async checkOrphanNodes(): Promise<void> {
    const db = await this.conductor.db();
    const alive = await this.aliveHosts();
    const locked = await listNodes(db, { filter: { reserved: true, includeChildren: true }, limit: PERIODIC_BATCH, withoutTraits: true });
    for (const node of locked) {
      const owner = node.reservation!;
      if (alive.has(owner)) continue;
      try {
        // The dead holder was working on the node: its take-over names it (a lock taken without
        // setting the affinity, as allocation's, would otherwise leave an older one there).
        const released = await db.run(
          `UPDATE "Node" SET "reservation" = NULL, "targetPowerState" = NULL, "conductorAffinity" = ?, "version" = "version" + 1 WHERE "id" = ? AND "reservation" = ?`,
          [owner, node.id, owner],
        );
        if (!released) continue;
        await recordHistory(db, node, {
          event: { kind: "takeover", message: `Lock held by conductor ${owner}, which is no longer alive, was released by ${this.host}` },
          eventType: "takeover", severity: "WARNING", conductor: this.host,
        });
        const fresh = await getNodeById(db, node.id);
        if (fresh) publishNodeChange(fresh);
      } catch (err) {
        console.error(`releasing the lock of node ${node.uuid} failed:`, err);
      }
    }
  }

  /**
   * Graphical consoles: closes sessions whose console token expired (as Ironic's periodic
   * vnc-session expiry) and drops expired tokens from driver_internal_info.
   */
  async expireConsoleSessions(): Promise<number> {
    const closed = closeExpiredSessions();
    const db = await this.conductor.db();
    const rows = await db.all(`SELECT "id" FROM "Node" WHERE "driverInternalInfo" LIKE ? LIMIT ${PERIODIC_BATCH}`, ["%console_tokens%"]);
    for (const r of rows) {
      try {
        await pruneConsoleTokens(db, Number(r.id));
      } catch (err) {
        console.error(`console token pruning of node ${String(r.id)} failed:`, err);
      }
    }
    return closed;
  }

  /** One round of every task, in order (tests; also what the timers run). */
  async runOnce(): Promise<void> {
    for (const job of [
      () => this.heartbeat(), () => this.checkOrphanNodes(), () => this.takeOverNodes(), () => this.syncPowerStates(),
      () => this.recoverPowerFailures(), () => this.checkCallbackTimeouts(), () => this.expireConsoleSessions(),
    ]) {
      try {
        await job();
      } catch (err) {
        console.error("periodic task failed:", err);
      }
    }
  }

  start(): void {
    const cfg = config();
    this.every(cfg.heartbeatIntervalSeconds, () => this.heartbeat());
    this.every(cfg.powerSyncIntervalSeconds, async () => {
      await this.syncPowerStates();
      await this.recoverPowerFailures();
    });
    this.every(cfg.provisionCheckIntervalSeconds, async () => {
      await this.checkOrphanNodes();
      await this.takeOverNodes();
      await this.checkCallbackTimeouts();
    });
    // Ironic checks expired graphical console sessions every 120 s; tokens are shorter-lived here.
    this.every(Math.min(120, Math.max(1, cfg.provisionCheckIntervalSeconds)), async () => {
      await this.expireConsoleSessions();
    });
  }

  private every(seconds: number, job: () => Promise<void>): void {
    if (!(seconds > 0)) return;
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return; // a slow tick is not stacked
      busy = true;
      const p = job()
        .catch((err) => console.error("periodic task failed:", err))
        .finally(() => {
          busy = false;
          this.running.delete(p);
        });
      this.running.add(p);
    }, seconds * 1000);
    timer.unref();
    this.timers.push(timer);
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.allSettled([...this.running]);
  }
}
