// Take-over of a node by this conductor (reference §8; Ironic's _do_takeover and _start_consoles)
// and the deploy agent's heartbeat for sim machines living in this process.
import { getNodeByUuid } from "../db/nodes.ts";
import { interfacesFor } from "../drivers/registry.ts";
import { NodeLocked } from "../errors.ts";
import { conductorFor } from "../hashring.ts";
import { setSimAgentHeartbeat } from "../sim/machine.ts";
import { AGENT_WAIT_STATES, inStates, ProvisionState as S } from "../states.ts";
import type { Conductor } from "./conductor.ts";
import { errorMessage } from "./flows.ts";
import { SYSTEM_ACTOR, type NodeTask } from "./task.ts";

/**
 * Takes the (locked) node over from `previous` (a conductor that is gone or, on a rebalanced
 * hash ring, alive; null when none handled it yet): rebuilds what lived only in the old conductor. Records what was done in the
 * node's history and sets the node's conductor affinity to this host.
 */
export async function takeOverNode(task: NodeTask, previous: string | null, previousAlive = false): Promise<void> {
  const node = task.node;
  const ifaces = interfacesFor(node);
  const done: string[] = [];
  const from = !previous ? "no conductor"
    : previousAlive ? `conductor ${previous} (the hash ring was rebalanced)`
    : `conductor ${previous}, which is no longer alive`;
  if (node.provisionState === S.ACTIVE) {
    // The boot configuration (PXE/iPXE files, boot-from-volume script) lived with the old
    // conductor; rebuilt here so the next reboot of the instance works.
    await ifaces.boot.prepareInstance(task);
    await ifaces.deploy.takeOver(task);
    done.push("boot configuration rebuilt");
  } else if (inStates(node.provisionState, AGENT_WAIT_STATES)) {
    // The agent keeps heartbeating; its heartbeats now reach this conductor, which continues.
    await ifaces.deploy.takeOver(task);
    done.push(`waiting for the agent's heartbeat to continue (${node.provisionState})`);
  }
  if (node.consoleEnabled) {
    try {
      await ifaces.console.startConsole(task);
      done.push("console restarted");
    } catch (err) {
      const message = `Failed to start the console of node ${node.uuid} on take-over by ${task.conductor}: ${errorMessage(err)}`;
      await task.update({ consoleEnabled: false, lastError: message });
      await task.history(message, "console", "ERROR");
    }
  }
  await task.update({ conductorAffinity: task.conductor });
  // A node nobody handled yet (new, or from before affinities were kept) is claimed quietly.
  if (previous !== null) {
    await task.history(
      `Node taken over by conductor ${task.conductor} from ${from}${done.length ? `: ${done.join("; ")}` : ""}`,
      "takeover", previousAlive ? "INFO" : "WARNING",
    );
  }
}

/**
 * Restarts enabled consoles of nodes this conductor handled before it restarted (their console
 * lived in the previous run of this process).
 */
export async function restartOwnConsoles(conductor: Conductor): Promise<void> {
  const db = await conductor.db();
  const rows = await db.all(
    `SELECT "id" FROM "Node" WHERE "consoleEnabled" = ? AND "reservation" IS NULL AND "conductorAffinity" = ?`,
    [true, conductor.hostname],
  );
  for (const r of rows) {
    let task: NodeTask;
    try {
      task = await conductor.lock(Number(r.id), SYSTEM_ACTOR);
    } catch {
      continue;
    }
    try {
      if (!task.node.consoleEnabled) continue;
      await interfacesFor(task.node).console.startConsole(task);
      await task.history(`Console restarted by conductor ${task.conductor} after its restart`, "console");
    } catch (err) {
      const message = `Failed to start the console of node ${task.node.uuid} after a restart of ${task.conductor}: ${errorMessage(err)}`;
      await task.update({ consoleEnabled: false, lastError: message }).catch(() => undefined);
      await task.history(message, "console", "ERROR").catch(() => undefined);
    } finally {
      await task.release();
    }
  }
}

/**
 * Heartbeats of deploy agents of sim machines in this process: a node waiting for its agent
 * continues its deployment/cleaning/servicing on the node's conductor — this one, or the owner on
 * the hash ring over RPC (as a real agent's heartbeat reaches whichever conductor owns the node).
 * A node being worked on (locked) or in another state ignores it; the agent heartbeats again
 * later, as IPA does.
 */
export function installSimAgentHeartbeat(conductor: Conductor): void {
  setSimAgentHeartbeat(async (machine) => {
    const db = await conductor.db();
    const node = await getNodeByUuid(db, machine.uuid);
    if (!node || node.reservation !== null || !inStates(node.provisionState, AGENT_WAIT_STATES)) return;
    const owner = await conductorFor(db, node);
    try {
      if (owner === null || owner === conductor.hostname) await conductor.continueSteps(node.id, SYSTEM_ACTOR);
      else await (await import("./rpc.ts")).conductorApi().continueSteps(node.id, SYSTEM_ACTOR);
    } catch (err) {
      if (err instanceof NodeLocked) return;
      throw err;
    }
  });
}
