// Take-over of a node by this conductor (reference §8; Ironic's _do_takeover and _start_consoles).
// The heartbeats of deploy agents living in this process: agent_heartbeat.ts.
import { interfacesFor } from "../drivers/registry.ts";
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
      await task.history({ kind: "console", message }, "console", "ERROR");
    }
  }
  await task.update({ conductorAffinity: task.conductor });
  // A node nobody handled yet (new, or from before affinities were kept) is claimed quietly.
  if (previous !== null) {
    await task.history(
      { kind: "takeover", message: `Node taken over by conductor ${task.conductor} from ${from}${done.length ? `: ${done.join("; ")}` : ""}` },
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
      await task.history({ kind: "console", message: `Console restarted by conductor ${task.conductor} after its restart` }, "console");
    } catch (err) {
      const message = `Failed to start the console of node ${task.node.uuid} after a restart of ${task.conductor}: ${errorMessage(err)}`;
      await task.update({ consoleEnabled: false, lastError: message }).catch(() => undefined);
      await task.history({ kind: "console", message }, "console", "ERROR").catch(() => undefined);
    } finally {
      await task.release();
    }
  }
}
