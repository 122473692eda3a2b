// Waits for a node driven by a conductor in this process to come to rest.
import type { Conductor } from "../core/conductor/conductor.ts";
import { getNodeById, type NodeRecord } from "../core/db/nodes.ts";
import type { Sql } from "../core/db/sql.ts";
import { AGENT_WAIT_STATES, inStates, isProvisionState, STATES } from "../shared/states.ts";

/**
 * Drains the conductor's pool until the node is neither waiting for its agent, working
 * (transitional states) nor locked. Draining once is not enough where an agent heartbeat resumes
 * a flow from a timer, outside the pool (the sim deploy agent): the node can be locked between
 * two drains.
 */
export async function settleNode(conductor: Conductor, sql: Sql, id: number, attempts = 2000): Promise<NodeRecord> {
  for (let i = 0; ; i++) {
    await conductor.pool.drain();
    const node = (await getNodeById(sql, id))!;
    const working = isProvisionState(node.provisionState) && STATES[node.provisionState].kind === "transitional";
    const busy = inStates(node.provisionState, AGENT_WAIT_STATES) || working || node.reservation !== null;
    if (!busy || i >= attempts) return node;
    await new Promise((r) => setTimeout(r, 5));
  }
}
