// Take-over of a node by this conductor (reference §8; Ironic's _do_takeover and _start_consoles),
// the same for its own nodes after a restart, and the resume of operations a stopped conductor
// left unfinished. The heartbeats of deploy agents living in this process: agent_heartbeat.ts.
import { hardwareTypeNames, interfacesFor } from "../drivers/registry.ts";
import { AGENT_WAIT_STATES, inStates, isRunningState, ProvisionState as S } from "../states.ts";
import type { Conductor } from "./conductor.ts";
import { errorMessage, FAILURE_PREFIX, failNode, guarded, planResume, type ResumePlan } from "./flows.ts";
import type { WorkerSlot } from "./pool.ts";
import type { NodeTask } from "./task.ts";

/**
 * Why this conductor takes a node over from `previous` (the conductor that last locked it):
 * "dead" — it is no longer alive; "rebalanced" — it is alive, the hash ring gave the node to this
 * one; "interrupted" — it is alive (it may be this one) but left the node unlocked mid-operation
 * (it restarted, or its worker failed); "restarted" — this conductor's own node, after its restart.
 */
export type TakeOverCause = "dead" | "rebalanced" | "interrupted" | "restarted";

/** How the conductor that ran the node's operation stopped, as history and last_error say it. */
function stoppedText(previous: string | null, cause: TakeOverCause): string {
  if (previous === null) return "no conductor was running it";
  if (cause === "dead") return `conductor ${previous} stopped (it is no longer alive)`;
  if (cause === "restarted") return `conductor ${previous} was restarted`;
  return `conductor ${previous} stopped running it`;
}

/**
 * Takes the (locked) node over: rebuilds what lived only in the previous conductor's process
 * (boot configuration, the sim machine, the console) and resumes an operation it left unfinished
 * (planResume: deploying/cleaning/servicing from the interrupted step, the other running states
 * from their start; failed with last_error saying why when that is not safe). Records it in the
 * node's history and sets the node's conductor affinity to this host. Returns true when the task
 * was handed to a worker running the resumed operation (which releases the lock); false when the
 * caller still holds it.
 */
export async function takeOverNode(conductor: Conductor, task: NodeTask, previous: string | null, cause: TakeOverCause): Promise<boolean> {
  const node = task.node;
  const state = node.provisionState;
  const stopped = stoppedText(previous, cause);
  let plan: ResumePlan | null = null;
  let slot: WorkerSlot | null = null;
  if (isRunningState(state)) {
    plan = node.maintenance ? { resume: false, reason: "the node is in maintenance" }
      : !hardwareTypeNames().includes(node.driver) ? { resume: false, reason: `hardware type ${node.driver} is not enabled on conductor ${task.conductor}` }
      : planResume(task);
    // The worker is reserved first: with none free the node is left for the next round untouched.
    if (plan.resume) slot = conductor.pool.reserve();
  }
  try {
    const done: string[] = [];
    // A node in maintenance is left alone (as by Ironic's take-over); only its console comes back.
    if (state === S.ACTIVE && !node.maintenance) {
      // The boot configuration (PXE/iPXE files, boot-from-volume script) lived with the old
      // conductor; rebuilt here so the next reboot of the instance works.
      const ifaces = interfacesFor(node);
      await ifaces.boot.prepareInstance(task);
      await ifaces.deploy.takeOver(task);
      done.push("boot configuration rebuilt");
    } else if (inStates(state, AGENT_WAIT_STATES) && !node.maintenance) {
      // The agent keeps heartbeating; its heartbeats now reach this conductor, which continues.
      await interfacesFor(node).deploy.takeOver(task);
      done.push(`waiting for the agent's heartbeat to continue (${state})`);
    } else if (plan) {
      done.push(plan.resume ? `"${state}" resumed` : `"${state}" not resumed`);
    }
    if (node.consoleEnabled) {
      try {
        await interfacesFor(node).console.startConsole(task);
        done.push("console restarted");
      } catch (err) {
        const message = `Failed to start the console of node ${node.uuid} on take-over by ${task.conductor}: ${errorMessage(err)}`;
        await task.update({ consoleEnabled: false, lastError: message });
        await task.history({ kind: "console", message }, "console", "ERROR");
      }
    }
    await task.update({ conductorAffinity: task.conductor });
    // A node nobody handled yet (new, or from before affinities were kept) is claimed quietly.
    if (previous !== null || plan) {
      const what = done.length ? `: ${done.join("; ")}` : "";
      const event = cause === "restarted" ? `Node resumed by conductor ${task.conductor} after its restart${what}`
        : `Node taken over by conductor ${task.conductor} from ${previous === null ? "no conductor"
          : cause === "dead" ? `conductor ${previous}, which is no longer alive`
          : cause === "rebalanced" ? `conductor ${previous} (the hash ring was rebalanced)`
          : `conductor ${previous}, which left its operation unfinished`}${what}`;
      await task.history({ kind: "takeover", message: event }, "takeover", cause === "rebalanced" ? "INFO" : "WARNING");
    }
    if (!plan) return false;
    if (!plan.resume) {
      const operation = (FAILURE_PREFIX[state] ?? state).toLowerCase();
      await failNode(task, `The ${operation} of node ${node.uuid} was not resumed after ${stopped}: ${plan.reason}`, { eventType: "takeover" });
      return false;
    }
    await task.resumeInterrupted(`after ${stopped}: ${plan.what}`);
    const { flow } = plan;
    slot!.start(() => guarded(task, FAILURE_PREFIX[state] ?? state, flow));
    slot = null;
    return true;
  } finally {
    slot?.cancel();
  }
}
