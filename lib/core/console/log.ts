// The console log: each node's serial output captured while an instance runs on it (provision
// state `active`, and the instance's boot at the end of a deploy — never during cleaning or the
// agent's part of a deployment, which can carry secrets), bounded by
// INGOT_CONSOLE_LOG_KB (oldest dropped), kept in memory and in data/console-logs/<uuid>.log
// (rewritten to the bound when it would exceed it) so a restart does not lose it.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, appendFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { findNode, listNodes, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { liveEvents, type NodeEvent } from "../events.ts";
import { ProvisionState as S } from "../states.ts";
import { findStepImpl, type NodeStep } from "../steps.ts";
import { OffsetRing } from "./ring.ts";
import { consoleSettings } from "./settings.ts";
import { acquireSerial, consoleSourceOf } from "./sources.ts";
import type { SerialLease } from "./types.ts";

const FLUSH_MS = 250;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function consoleLogDir(): string {
  const data = resolve(/*turbopackIgnore: true*/ process.env.INGOT_DATA_DIR || join(/*turbopackIgnore: true*/ process.cwd(), "data"));
  return join(data, "console-logs");
}

class ConsoleLog {
  readonly ring: OffsetRing;
  private pending: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(readonly uuid: string) {
    const cap = consoleSettings().logBytes;
    this.ring = new OffsetRing(cap);
    try {
      if (existsSync(this.file)) this.ring.append(readFileSync(this.file));
    } catch (err) {
      console.error(`[console] cannot read ${this.file}:`, err);
    }
  }

  get file(): string {
    return join(consoleLogDir(), `${this.uuid}.log`);
  }

  append(data: Buffer): void {
    if (!data.length) return;
    this.ring.resize(consoleSettings().logBytes);
    this.ring.append(data);
    this.pending.push(Buffer.from(data));
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
    this.timer.unref?.();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.pending.length) return;
    const chunk = Buffer.concat(this.pending);
    this.pending = [];
    try {
      mkdirSync(consoleLogDir(), { recursive: true });
      const size = existsSync(this.file) ? statSync(this.file).size : 0;
      if (size + chunk.length > this.ring.capacity) writeFileSync(this.file, this.ring.tail(this.ring.capacity), { mode: 0o600 });
      else appendFileSync(this.file, chunk, { mode: 0o600 });
    } catch (err) {
      console.error(`[console] cannot write ${this.file}:`, err);
    }
  }

  tail(bytes: number): Buffer {
    this.ring.resize(consoleSettings().logBytes);
    return this.ring.tail(bytes);
  }
}

interface Capture {
  lease: SerialLease;
  off: () => void;
}

interface LogState {
  logs: Map<string, ConsoleLog>;
  captures: Map<string, Capture>;
  pending: Map<string, Promise<void>>;
  unsubscribe?: () => void;
  /** Whether this process's conductor owns the node (only the owner captures: it has the console). */
  owns?: (node: NodeRecord) => Promise<boolean>;
}
const logState: LogState = { logs: new Map(), captures: new Map(), pending: new Map() };

function logOf(uuid: string): ConsoleLog {
  const s = logState;
  let l = s.logs.get(uuid);
  if (!l) {
    l = new ConsoleLog(uuid);
    s.logs.set(uuid, l);
  }
  return l;
}

/** Appends output to the node's console log (the capture calls this). */
export function appendConsoleLog(uuid: string, data: Buffer): void {
  logOf(uuid).append(data);
}

/** The last `bytes` of the node's console log (empty when there is none). */
export function readConsoleLog(uuid: string, bytes = Infinity): Buffer {
  if (!UUID_RE.test(uuid)) return Buffer.alloc(0);
  const s = logState;
  const l = s.logs.get(uuid) ?? (existsSync(join(consoleLogDir(), `${uuid}.log`)) ? logOf(uuid) : null);
  if (!l) return Buffer.alloc(0);
  return l.tail(Number.isFinite(bytes) ? bytes : l.ring.capacity);
}

/** Forgets a node's console log (node deleted). */
export function deleteConsoleLog(uuid: string): void {
  stopCapture(uuid);
  const s = logState;
  const l = s.logs.get(uuid);
  s.logs.delete(uuid);
  l?.flush();
  rmSync(join(consoleLogDir(), `${uuid}.log`), { force: true });
}

/** Whether the node's serial output is being captured now. */
export function isCapturing(uuid: string): boolean {
  return logState.captures.has(uuid);
}

function stopCapture(uuid: string): void {
  const s = logState;
  const c = s.captures.get(uuid);
  if (!c) return;
  s.captures.delete(uuid);
  c.off();
  c.lease.release();
  s.logs.get(uuid)?.flush();
}

/**
 * Whether the node's serial output is the instance's: in `active`, and in a deploy from the step
 * that tears the agent down (the last deploy step needing the agent) on, so the instance's boot —
 * which the live console shows — is in the log too. Cleaning and the agent's work stay out (they
 * can carry secrets).
 */
function instanceOutput(node: NodeRecord): boolean {
  if (node.provisionState === S.ACTIVE) return true;
  if (node.provisionState !== S.DEPLOYING) return false;
  const steps = node.driverInternalInfo?.deploy_steps;
  const index = node.driverInternalInfo?.deploy_step_index;
  if (!Array.isArray(steps) || typeof index !== "number") return false;
  let lastAgentStep = -1;
  (steps as NodeStep[]).forEach((s, i) => {
    if (findStepImpl(node, "deploy", s.interface, s.step)?.requiresRamdisk) lastAgentStep = i;
  });
  return lastAgentStep >= 0 && index >= lastAgentStep;
}

/**
 * Only the instance's output (see instanceOutput); external serial consoles (tcp-serial, ipmitool-sol) only while the console is
 * enabled (that is when Ingot connects; an IPMI SOL session is exclusive on the BMC); only on the
 * node's conductor.
 */
async function shouldCapture(node: NodeRecord): Promise<boolean> {
  if (!instanceOutput(node)) return false;
  const source = consoleSourceOf(node);
  if (source?.kind !== "serial" || (source.external && !node.consoleEnabled)) return false;
  const owns = logState.owns;
  return owns ? owns(node) : true;
}

/** Starts or stops the node's capture to match its state. */
export function syncCapture(node: NodeRecord): Promise<void> {
  const s = logState;
  const prev = s.pending.get(node.uuid) ?? Promise.resolve();
  const next = prev.then(async () => {
    const want = await shouldCapture(node).catch((err) => {
      console.error(`[console] cannot tell who captures node ${node.uuid}: ${(err as Error).message}`);
      return false;
    });
    if (!want) return stopCapture(node.uuid);
    if (s.captures.has(node.uuid)) return;
    const lease = await acquireSerial(node).catch((err) => {
      console.error(`[console] cannot capture the console of node ${node.uuid}: ${(err as Error).message}`);
      return null;
    });
    if (!lease) return;
    const uuid = node.uuid;
    const off = lease.channel.subscribe((d) => appendConsoleLog(uuid, d));
    s.captures.set(uuid, { lease, off });
    lease.channel.onClose(() => {
      if (s.captures.get(uuid)?.lease === lease) stopCapture(uuid);
    });
  });
  const done = next.finally(() => {
    if (s.pending.get(node.uuid) === done) s.pending.delete(node.uuid);
  });
  s.pending.set(node.uuid, done);
  return done;
}

async function onNodeEvent(e: NodeEvent): Promise<void> {
  // A deleted node's log goes with it (memory and file).
  if (e.deleted) return deleteConsoleLog(e.uuid);
  // Cheap filter: only nodes that are active or deploying now, or were being captured, need a look.
  const instanceStates: string[] = [S.ACTIVE, S.DEPLOYING];
  if (!instanceStates.includes(e.provisionState) && !isCapturing(e.uuid)) return;
  if (!instanceStates.includes(e.provisionState)) return void (await syncCapture({ uuid: e.uuid, provisionState: e.provisionState } as NodeRecord));
  // A deploy already captured stays captured until it ends (no lookup per progress update).
  if (e.provisionState === S.DEPLOYING && isCapturing(e.uuid)) return;
  const node = await findNode(await sql(), e.uuid);
  if (node) await syncCapture(node);
}

/**
 * Follows node changes and captures the serial output of active nodes with a serial console
 * (the server calls this once at start; also picks up nodes already active). `owns` limits it to
 * the nodes of this process's conductor: with several processes, events reach every one of them.
 */
export async function startConsoleCapture(opts: { owns?: (node: NodeRecord) => Promise<boolean> } = {}): Promise<void> {
  const s = logState;
  if (s.unsubscribe) return;
  s.owns = opts.owns;
  s.unsubscribe = liveEvents().subscribe((e) => {
    if (e.type === "node") onNodeEvent(e).catch((err) => console.error("[console] capture failed:", err));
  });
  const db = await sql();
  for (let marker: NodeRecord | undefined; ; ) {
    const page = await listNodes(db, { filter: { provisionState: [S.ACTIVE], includeChildren: true }, limit: 500, marker, withoutTraits: true });
    for (const n of page) await syncCapture(n);
    if (page.length < 500) break;
    marker = page[page.length - 1];
  }
}

/** Stops every capture and flushes the logs (server shutdown, tests). */
export async function stopConsoleCapture(): Promise<void> {
  const s = logState;
  s.unsubscribe?.();
  s.unsubscribe = undefined;
  s.owns = undefined;
  await Promise.allSettled([...s.pending.values()]);
  for (const uuid of [...s.captures.keys()]) stopCapture(uuid);
  for (const l of s.logs.values()) l.flush();
}

/** Tests: forget everything in memory (files stay). */
export async function resetConsoleLogs(): Promise<void> {
  await stopConsoleCapture();
  logState.logs.clear();
}
