// Cross-process live events on PostgreSQL: every process sharing the database LISTENs on one
// channel over a dedicated connection (a pooled connection cannot hold a LISTEN) and NOTIFYs its
// own events there. A process delivers its own events locally at once and ignores their echo, so
// each subscriber sees every event exactly once. The connection is re-opened when it drops;
// events published meanwhile are queued (bounded) and sent on reconnect.
import { randomUUID } from "node:crypto";
import type { LiveEvent } from "./event_types.ts";

export const EVENT_CHANNEL = "ingot_live_events";
/** NOTIFY payloads must stay under 8000 bytes; events are small, only free text can grow. */
const MAX_PAYLOAD = 7900;
const MAX_QUEUE = 10_000;

interface Envelope {
  o: string; // origin process
  e: LiveEvent;
}

/** Shortens the free-text fields of an event until it fits in one NOTIFY payload. */
export function encodeEnvelope(origin: string, event: LiveEvent): string {
  let text = JSON.stringify({ o: origin, e: event } satisfies Envelope);
  if (Buffer.byteLength(text) <= MAX_PAYLOAD) return text;
  const e = { ...event } as LiveEvent & { lastError?: string | null; name?: string | null };
  if (typeof e.lastError === "string") e.lastError = e.lastError.slice(0, 2000) + "…";
  text = JSON.stringify({ o: origin, e });
  if (Buffer.byteLength(text) <= MAX_PAYLOAD) return text;
  if (typeof e.lastError === "string") e.lastError = e.lastError.slice(0, 200) + "…";
  if (typeof e.name === "string") e.name = e.name.slice(0, 255);
  return JSON.stringify({ o: origin, e });
}

export class PgEventBridge {
  readonly origin = randomUUID();
  private client: import("pg").Client | null = null;
  private connected = false;
  private stopped = false;
  private queue: string[] = [];
  private sending = false;
  private retryMs = 500;
  private timer: NodeJS.Timeout | null = null;
  private readyWaiters: (() => void)[] = [];

  constructor(
    private readonly url: string,
    /** Delivers an event from another process to this process's subscribers. */
    private readonly deliver: (event: LiveEvent) => void,
  ) {}

  start(): void {
    void this.connect();
  }

  /** Resolves once the LISTEN is in place (tests, and callers that must not miss events). */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  send(event: LiveEvent): void {
    if (this.stopped) return;
    // While disconnected the oldest events go first: dashboards re-read on the next event anyway.
    if (this.queue.length >= MAX_QUEUE) this.queue.shift();
    this.queue.push(encodeEnvelope(this.origin, event));
    void this.flush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.client;
    this.client = null;
    this.connected = false;
    this.readyWaiters.splice(0).forEach((r) => r());
    if (c) await c.end().catch(() => undefined);
  }

  /** The backend pid of the listening connection (tests drop it to check reconnection). */
  async backendPid(): Promise<number | null> {
    if (!this.client || !this.connected) return null;
    const r = await this.client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return r.rows[0]?.pid ?? null;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: this.url });
    this.client = client;
    // Without these listeners a dropped connection (server restart, DROP DATABASE … FORCE, admin
    // termination) would be an unhandled 'error' and crash the process.
    client.on("error", () => this.lost(client));
    client.on("end", () => this.lost(client));
    client.on("notification", (msg) => {
      if (msg.channel !== EVENT_CHANNEL || !msg.payload) return;
      let env: Envelope;
      try {
        env = JSON.parse(msg.payload) as Envelope;
      } catch {
        return;
      }
      if (env.o === this.origin || !env.e) return; // our own: already delivered locally
      this.deliver(env.e);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${EVENT_CHANNEL}`);
    } catch (err) {
      if (!this.stopped && this.client === client) {
        console.error(`live events: cannot listen on PostgreSQL (${(err as Error).message}); retrying`);
      }
      this.lost(client);
      return;
    }
    if (this.stopped || this.client !== client) {
      await client.end().catch(() => undefined);
      return;
    }
    // The listener alone must not keep a process alive (a CLI command or a benchmark that
    // published events exits when its work is done; a server has its own listening sockets).
    (client as unknown as { connection?: { stream?: { unref?: () => void } } }).connection?.stream?.unref?.();
    this.connected = true;
    this.retryMs = 500;
    this.readyWaiters.splice(0).forEach((r) => r());
    void this.flush();
  }

  private lost(client: import("pg").Client): void {
    if (this.client !== client) return; // already handled
    this.client = null;
    this.connected = false;
    client.end().catch(() => undefined);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.retryMs);
    this.timer.unref();
    this.retryMs = Math.min(this.retryMs * 2, 10_000);
  }

  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > 0 && this.connected && this.client) {
        const client = this.client;
        const payload = this.queue[0];
        try {
          await client.query("SELECT pg_notify($1, $2)", [EVENT_CHANNEL, payload]);
          this.queue.shift();
        } catch {
          // The connection is going away; 'error'/'end' schedules the reconnect, which flushes.
          if (this.client === client) this.lost(client);
          break;
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
