// The process's conductor: getConductor() for the API, startConductor()/stopConductor() for the
// server. Start registers the Conductor row, recovers from a previous run and starts periodic tasks.
import { config } from "../config.ts";
import { hardwareTypeNames } from "../drivers/registry.ts";
import { liveEvents } from "../events.ts";
import { resetHashRing } from "../hashring.ts";
import type { Conductor, ConductorOptions } from "./conductor.ts";
import { createConductor, getConductor, processConductorState as state, type RunningConductor } from "./process.ts";
import { recoverOnStart } from "./recovery.ts";

export { Conductor, VALIDATE_INTERFACES } from "./conductor.ts";
export type { ConductorOptions } from "./conductor.ts";
export { PeriodicTasks } from "./periodic.ts";
export { getConductor, type RunningConductor } from "./process.ts";
export { NodeTask, SYSTEM_ACTOR } from "./task.ts";
export type * from "./types.ts";

export interface StartOptions extends ConductorOptions {
  /** Start the periodic timers (default true; tests call runPeriodicTasksOnce instead). */
  periodic?: boolean;
  /** Where this conductor's RPC listener answers (lib/server/rpc.ts), written to Conductor.rpcUrl. */
  rpcUrl?: string | null;
}

/** Registers this conductor, recovers, and starts the periodic tasks. Idempotent. */
export async function startConductor(opts: StartOptions = {}): Promise<RunningConductor> {
  const s = state();
  if (s.started && s.conductor) return s.conductor;
  const { periodic = true, rpcUrl = null, ...conductorOpts } = opts;
  if (!s.conductor || Object.keys(conductorOpts).length) s.conductor = createConductor(conductorOpts);
  const c = s.conductor;
  await registerConductor(c, rpcUrl);
  await recoverOnStart(c, c.periodic);
  if (periodic) c.periodic.start();
  s.started = true;
  return c;
}

/** Stops timers, waits for running work, and marks this conductor offline. */
export async function stopConductor(): Promise<void> {
  const s = state();
  const c = s.conductor;
  if (!c) return;
  await c.periodic.stop();
  await c.pool.drain();
  if (s.started) {
    const db = await c.db();
    await db.run(`UPDATE "Conductor" SET "online" = ?, "updatedAt" = ? WHERE "hostname" = ?`, [false, new Date(), c.hostname]);
    liveEvents().publish({ type: "conductor", hostname: c.hostname, online: false, at: new Date().toISOString() });
  }
  resetHashRing();
  s.started = false;
  s.conductor = undefined;
}

/** Runs every periodic task once (tests, or an operator "sync now"). */
export async function runPeriodicTasksOnce(): Promise<void> {
  await getConductor().periodic.runOnce();
}

/** Marks a conductor online in the database with its RPC address (other processes call it there). */
export async function registerConductor(c: Conductor, rpcUrl: string | null = null): Promise<void> {
  const db = await c.db();
  const now = new Date();
  const drivers = JSON.stringify(hardwareTypeNames());
  const group = config().conductorGroup;
  const updated = await db.run(
    `UPDATE "Conductor" SET "online" = ?, "conductorGroup" = ?, "drivers" = ?, "rpcUrl" = ?, "updatedAt" = ? WHERE "hostname" = ?`,
    [true, group, drivers, rpcUrl, now, c.hostname],
  );
  if (!updated) {
    await db.run(
      `INSERT INTO "Conductor" ("hostname", "conductorGroup", "online", "drivers", "rpcUrl", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [c.hostname, group, true, drivers, rpcUrl, now, now],
    );
  }
  resetHashRing();
  liveEvents().publish({ type: "conductor", hostname: c.hostname, online: true, at: now.toISOString() });
}
