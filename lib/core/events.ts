// Process-wide bus of live changes. The conductor publishes a NodeEvent on every node change so
// websocket handlers can invalidate dashboard queries. Listeners must not throw into the publisher.
// On PostgreSQL the bus spans every process of the database (lib/core/events-pg.ts).
import { EventEmitter } from "node:events";
import { databaseKind, databaseUrl } from "../db/url.ts";
import { PgEventBridge } from "./events-pg.ts";
import type { NodeRecord } from "./db/nodes.ts";
import type { LiveEvent, NodeEvent } from "./event_types.ts";

export type { ConductorEvent, JobEvent, LiveEvent, NodeEvent } from "./event_types.ts";

type Listener = (event: LiveEvent) => void;

export class LiveEventBus {
  private readonly emitter = new EventEmitter();
  private bridge: PgEventBridge | null = null;
  constructor() {
    this.emitter.setMaxListeners(0);
  }
  /** Subscribes; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    const safe: Listener = (e) => {
      try {
        listener(e);
      } catch (err) {
        console.error("live event listener failed:", err);
      }
    };
    this.emitter.on("event", safe);
    return () => this.emitter.off("event", safe);
  }
  /** Delivers to this process's subscribers now, and to other processes through the bridge. */
  publish(event: LiveEvent): void {
    this.emitter.emit("event", event);
    this.bridge?.send(event);
  }
  /** Connects the bus to every other process of this PostgreSQL database. */
  attachPostgres(url: string): PgEventBridge {
    if (this.bridge) return this.bridge;
    this.bridge = new PgEventBridge(url, (e) => this.emitter.emit("event", e));
    this.bridge.start();
    return this.bridge;
  }
  async detach(): Promise<void> {
    const b = this.bridge;
    this.bridge = null;
    await b?.stop();
  }
  bridged(): PgEventBridge | null {
    return this.bridge;
  }
  listenerCount(): number {
    return this.emitter.listenerCount("event");
  }
}

let processBus: LiveEventBus | undefined;

/** Whether the bus of a process on this database spans processes (PostgreSQL, unless switched off). */
function bridgeWanted(url: string): boolean {
  return databaseKind(url) === "postgresql" && process.env.INGOT_LIVE_EVENTS_BRIDGE !== "off";
}

/** The process's bus; on PostgreSQL (DATABASE_URL) it is bridged to the other processes. */
export function liveEvents(): LiveEventBus {
  if (!processBus) {
    const bus = new LiveEventBus();
    const url = databaseUrl();
    if (bridgeWanted(url)) bus.attachPostgres(url);
    processBus = bus;
  }
  return processBus;
}

/**
 * Bridges the process bus to `url` when it is PostgreSQL and no bridge is attached (a server
 * starting after another one of this process detached it); resolves once it listens.
 */
export async function ensureLiveEventsBridge(url: string): Promise<void> {
  const bus = liveEvents();
  if (!bus.bridged() && bridgeWanted(url)) await bus.attachPostgres(url).ready();
}

/**
 * Points the process bus's bridge at another database (url), or only stops it (null). Its
 * subscribers stay. Tests switch databases with it; a bus not created yet bridges itself lazily.
 */
export async function rebridgeLiveEvents(url: string | null): Promise<void> {
  const bus = processBus;
  if (!bus) return;
  await bus.detach();
  if (url && bridgeWanted(url)) await bus.attachPostgres(url).ready();
}

export function nodeEvent(node: NodeRecord, extra: Partial<NodeEvent> = {}): NodeEvent {
  return {
    type: "node",
    id: node.id,
    uuid: node.uuid,
    name: node.name,
    provisionState: node.provisionState,
    targetProvisionState: node.targetProvisionState,
    powerState: node.powerState,
    targetPowerState: node.targetPowerState,
    maintenance: node.maintenance,
    reservation: node.reservation,
    lastError: node.lastError,
    owner: node.owner,
    lessee: node.lessee,
    at: new Date().toISOString(),
    ...extra,
  };
}

export function publishNodeChange(node: NodeRecord, extra: Partial<NodeEvent> = {}): void {
  liveEvents().publish(nodeEvent(node, extra));
}
