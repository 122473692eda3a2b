// Start-up recovery (reference §8): undo what a previous run of this conductor left behind.
import { listNodes } from "../db/nodes.ts";
import { conductorFor } from "../hashring.ts";
import { STUCK_STATES_TREATED_AS_FAIL } from "../states.ts";
import type { Conductor } from "./conductor.ts";
import { failNode } from "./flows.ts";
import type { PeriodicTasks } from "./periodic.ts";
import { SYSTEM_ACTOR } from "./task.ts";
import { installAgentHeartbeat } from "./agent_heartbeat.ts";
import { restartOwnConsoles } from "./takeover.ts";

export async function recoverOnStart(conductor: Conductor, periodic: PeriodicTasks): Promise<void> {
  const db = await conductor.db();
  const host = conductor.hostname;
  // Locks and power actions of a previous run of this host can never finish.
  await db.run(`UPDATE "Node" SET "targetPowerState" = NULL, "version" = "version" + 1 WHERE "reservation" = ?`, [host]);
  await db.run(`UPDATE "Node" SET "reservation" = NULL, "version" = "version" + 1 WHERE "reservation" = ?`, [host]);
  await db.run(`UPDATE "Node" SET "targetPowerState" = NULL, "version" = "version" + 1 WHERE "reservation" IS NULL AND "targetPowerState" IS NOT NULL`);

  const stuck = await listNodes(db, {
    filter: { provisionState: [...STUCK_STATES_TREATED_AS_FAIL], reserved: false, includeChildren: true },
    withoutTraits: true,
  });
  for (const node of stuck) {
    const owner = await conductorFor(db, node);
    if (owner !== null && owner !== host) continue;
    let task;
    try {
      task = await conductor.lock(node.id, SYSTEM_ACTOR);
    } catch {
      continue;
    }
    try {
      await failNode(
        task,
        `Conductor ${host} was restarted while the node was in state "${task.node.provisionState}"; the operation did not complete`,
        { eventType: "startup failure" },
      );
    } catch (err) {
      console.error(`recovery of node ${node.uuid} failed:`, err);
    } finally {
      await task.release();
    }
  }
  await periodic.checkOrphanNodes();
  // Deploy agents of sim machines recreated here heartbeat to this conductor.
  installAgentHeartbeat(conductor);
  await restartOwnConsoles(conductor);
  await periodic.takeOverNodes();
}
