// A node operation holding the node's lock (Node.reservation = this conductor's hostname).
// All node writes go through here so that each one checks the lock, is published as a live event,
// and every provision state change follows the transition table and lands in node history.
import type { Dict, NodeChanges, NodeRecord } from "../db/nodes.ts";
import { getNodeById, releaseNode, reserveNode, updateNode } from "../db/nodes.ts";
import type { Sql } from "../db/sql.ts";
import type { DriverTask } from "../drivers/base.ts";
import { NodeLocked, NodeNotFound } from "../errors.ts";
import { publishNodeChange } from "../events.ts";
import { recordHistory, type HistoryEvent, type HistoryEventType, type HistorySeverity } from "../history.ts";
import type { Event, ProvisionState } from "../states.ts";
import { isProvisionState, isRunningState, nextState, STATES, targetFor } from "../states.ts";
import type { Actor } from "./types.ts";

export const SYSTEM_ACTOR: Actor = { user: null, project: null };

export interface LockOptions {
  /** Extra attempts when the node is locked (Ironic: 3 tries, 1 s apart). 0 = fail fast. */
  retries?: number;
  retryIntervalMs?: number;
}

export class NodeTask implements DriverTask {
  private released = false;

  private constructor(
    readonly sql: Sql,
    public node: NodeRecord,
    readonly conductor: string,
    readonly actor: Actor,
  ) {}

  /** Takes the node's lock; throws NodeNotFound / NodeLocked. */
  static async acquire(sql: Sql, nodeId: number, conductor: string, actor: Actor, opts: LockOptions = {}): Promise<NodeTask> {
    const retries = opts.retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      if (await reserveNode(sql, nodeId, conductor, { affinity: true })) {
        const node = await getNodeById(sql, nodeId);
        if (!node) throw new NodeNotFound(String(nodeId));
        return new NodeTask(sql, node, conductor, actor);
      }
      const node = await getNodeById(sql, nodeId);
      if (!node) throw new NodeNotFound(String(nodeId));
      if (attempt >= retries) throw new NodeLocked(node.uuid, node.reservation ?? "unknown");
      await new Promise((r) => setTimeout(r, opts.retryIntervalMs ?? 1000));
    }
  }

  /** A task that does not hold the lock (shared): reads only; update() refuses. */
  static shared(sql: Sql, node: NodeRecord, conductor: string): DriverTask {
    return {
      sql, node, conductor,
      update: async () => {
        throw new Error(`node ${node.uuid} is not locked by this task`);
      },
    };
  }

  get isReleased(): boolean {
    return this.released;
  }

  /** Writes columns (only while we still hold the lock), refreshes node, publishes the change. */
  async update(changes: NodeChanges): Promise<NodeRecord> {
    const fresh = await updateNode(this.sql, this.node.id, changes, { expectReservation: this.conductor });
    if (!fresh) throw new Error(`lost the lock on node ${this.node.uuid}`);
    this.node = fresh;
    publishNodeChange(fresh);
    return fresh;
  }

  async refresh(): Promise<NodeRecord> {
    const fresh = await getNodeById(this.sql, this.node.id);
    if (!fresh) throw new NodeNotFound(this.node.uuid);
    this.node = fresh;
    return fresh;
  }

  async updateDriverInternalInfo(patch: Dict, remove: string[] = []): Promise<NodeRecord> {
    const dii: Dict = { ...this.node.driverInternalInfo, ...patch };
    for (const k of remove) delete dii[k];
    return this.update({ driverInternalInfo: dii });
  }

  async history(event: HistoryEvent, eventType: HistoryEventType, severity: HistorySeverity = "INFO", durationSeconds?: number | null): Promise<void> {
    await recordHistory(this.sql, this.node, {
      event, eventType, severity, user: this.actor.user, project: this.actor.project, conductor: this.conductor,
      durationSeconds: durationSeconds ?? null,
    });
  }

  /**
   * Moves the node along `event` per the transition table. Returns the new state.
   * `target` overrides target_provision_state (manual cleaning: manageable); otherwise a flow's
   * existing target is kept while the node stays in the same family of states.
   */
  async transition(
    event: Event,
    opts: { target?: ProvisionState | null; changes?: NodeChanges; eventType?: HistoryEventType; severity?: HistorySeverity; note?: string } = {},
  ): Promise<ProvisionState> {
    const from = this.node.provisionState;
    if (!isProvisionState(from)) throw new Error(`node ${this.node.uuid} has unknown provision state "${from}"`);
    const to = nextState(from, event);
    if (!to) throw new Error(`no transition "${event}" from "${from}" for node ${this.node.uuid}`);
    let target: ProvisionState | null;
    if (opts.target !== undefined) target = targetFor(to, opts.target);
    else {
      const current = this.node.targetProvisionState;
      const sameFamily = STATES[to].target !== null && STATES[to].target === STATES[from].target;
      target = sameFamily && current && isProvisionState(current) ? targetFor(to, current) : targetFor(to);
    }
    const now = new Date();
    const since = this.node.provisionUpdatedAt ?? this.node.createdAt;
    const duration = since ? Math.max(0, (now.getTime() - since.getTime()) / 1000) : null;
    await this.update({ ...(opts.changes ?? {}), provisionState: to, targetProvisionState: target, provisionUpdatedAt: now });
    await this.history(
      { kind: "provision_transition", from, to, provisionEvent: event, note: opts.note },
      opts.eventType ?? "transition",
      opts.severity ?? (STATES[to].kind === "failure" || to === "error" ? "ERROR" : "INFO"),
      duration === null ? null : Math.round(duration * 1000) / 1000,
    );
    return to;
  }

  /**
   * Records that the operation of the node's running state, interrupted when the conductor running
   * it stopped, continues here: the node keeps its state (RUNNING_STATES in the transition table).
   */
  async resumeInterrupted(note: string): Promise<void> {
    const state = this.node.provisionState;
    if (!isRunningState(state)) throw new Error(`node ${this.node.uuid} is in "${state}", not a running state: nothing to resume`);
    await this.history({ kind: "provision_resumed", state, note }, "provisioning", "WARNING");
  }

  /** Whether `event` is possible from the node's current state. */
  can(event: Event): boolean {
    return isProvisionState(this.node.provisionState) && nextState(this.node.provisionState, event) !== null;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (await releaseNode(this.sql, this.node.id, this.conductor)) {
      const fresh = await getNodeById(this.sql, this.node.id);
      if (fresh) {
        this.node = fresh;
        publishNodeChange(fresh);
      }
    }
  }
}
