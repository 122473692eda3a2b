// Heartbeats of deploy agents that run in this process (the sim driver's simulated agents, reached
// through the driver modules' connectConductor hook): a node waiting for its agent continues its
// deployment/cleaning/servicing on the node's conductor — this one, or the owner on the hash ring
// over RPC (as a real agent's heartbeat reaches whichever conductor owns the node). A node being
// worked on (locked) or in another state ignores it; the agent heartbeats again later, as IPA does.
import { getNodeByUuid } from "../db/nodes.ts";
import { connectDriversToConductor } from "../drivers/registry.ts";
import { NodeLocked } from "../errors.ts";
import { conductorFor } from "../hashring.ts";
import { AGENT_WAIT_STATES, inStates } from "../states.ts";
import type { Conductor } from "./conductor.ts";
import { conductorApi } from "./rpc.ts";
import { SYSTEM_ACTOR } from "./task.ts";

async function agentHeartbeat(conductor: Conductor, uuid: string): Promise<void> {
  const db = await conductor.db();
  const node = await getNodeByUuid(db, uuid);
  if (!node || node.reservation !== null || !inStates(node.provisionState, AGENT_WAIT_STATES)) return;
  const owner = await conductorFor(db, node);
  try {
    if (owner === null || owner === conductor.hostname) await conductor.continueSteps(node.id, SYSTEM_ACTOR);
    else await conductorApi().continueSteps(node.id, SYSTEM_ACTOR);
  } catch (err) {
    if (err instanceof NodeLocked) return;
    throw err;
  }
}

/** The in-process agents' heartbeats go to `conductor` (recovery on start; tests). */
export function installAgentHeartbeat(conductor: Conductor): void {
  connectDriversToConductor({ agentHeartbeat: (uuid) => agentHeartbeat(conductor, uuid) });
}
