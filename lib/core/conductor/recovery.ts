// Start-up recovery (reference §8): undo what a previous run of this conductor left behind, and
// pick up its work where that run stopped.
import type { Conductor } from "./conductor.ts";
import type { PeriodicTasks } from "./periodic.ts";
import { installAgentHeartbeat } from "./agent_heartbeat.ts";

export async function recoverOnStart(conductor: Conductor, periodic: PeriodicTasks): Promise<void> {
  const db = await conductor.db();
  const host = conductor.hostname;
  // Locks and power actions of a previous run of this host can never finish.
  await db.run(`UPDATE "Node" SET "targetPowerState" = NULL, "version" = "version" + 1 WHERE "reservation" = ?`, [host]);
  await db.run(`UPDATE "Node" SET "reservation" = NULL, "version" = "version" + 1 WHERE "reservation" = ?`, [host]);
  await db.run(`UPDATE "Node" SET "targetPowerState" = NULL, "version" = "version" + 1 WHERE "reservation" IS NULL AND "targetPowerState" IS NOT NULL`);
  await periodic.checkOrphanNodes();
  // Deploy agents of sim machines recreated here heartbeat to this conductor.
  installAgentHeartbeat(conductor);
  // The previous run's nodes resume as another conductor's would be taken over: operations it
  // was running continue (the interrupted step runs again), machines and consoles come back.
  await periodic.resumeOwnNodes();
  await periodic.takeOverNodes();
}
