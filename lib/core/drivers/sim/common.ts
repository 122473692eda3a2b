// Shared helpers of the sim interfaces: the node's machine, BMC calls and machine errors as
// DriverErrors, step progress in driver_internal_info, and step declarations with the agent's
// log line and failure injection.
import type { Dict } from "../../db/nodes.ts";
import { DriverError, IronicError } from "../../errors.ts";
import { getSimMachine, SIM_MACHINE_KEY, SimBmcError, type SimMachine, type SimMachineRecord } from "../../sim/machine.ts";
import { recordPowerChange, type DriverTask, type StepDecl, type StepKind, type StepOutcome } from "../base.ts";

export function machineOf(task: Pick<DriverTask, "node">): SimMachine {
  return getSimMachine(task.node);
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs machine work, turning its errors into DriverErrors (Invalid & co. pass through). */
export async function driverCall<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DriverError || err instanceof IronicError) throw err;
    throw new DriverError(messageOf(err));
  }
}

/** A request to the node's BMC (times out when driver_info.sim_bmc_down is set). */
export function bmc<T>(task: Pick<DriverTask, "node">, operation: string, fn: (m: SimMachine) => T | Promise<T>): Promise<T> {
  const m = machineOf(task);
  return driverCall(async () => {
    try {
      return await m.bmc(operation, () => fn(m));
    } catch (err) {
      if (err instanceof SimBmcError) throw new DriverError(`${err.message}`);
      throw err;
    }
  });
}

/**
 * Records the machine's power state on the node after an interface switched it as part of an
 * operation (as Ironic's node_power_action does), so power sync does not see an out-of-band change;
 * and what it runs (SIM_MACHINE_KEY), so a conductor recreating it mid-operation finds it as it was.
 */
export async function recordMachine(task: DriverTask): Promise<void> {
  const m = machineOf(task);
  const record = m.record();
  const stored = task.node.driverInternalInfo?.[SIM_MACHINE_KEY] as Partial<SimMachineRecord> | undefined;
  const sameRecord = stored?.agent === record.agent && (stored?.disk ?? null) === record.disk;
  // The conductor's own power changes belong in the node's history like an operator's (the
  // timeline's power lane), so they go through recordPowerChange, not a bare column write.
  if (task.node.powerState !== m.power) await recordPowerChange(task, m.power, task.node.provisionState);
  if (!sameRecord) await task.update({ driverInternalInfo: { ...task.node.driverInternalInfo, [SIM_MACHINE_KEY]: record } });
}

/** Fails `op` when the node's driver_info.sim_fail_step names it. */
export function injected(task: Pick<DriverTask, "node">, op: string): void {
  const m = machineOf(task);
  if (m.shouldFail(op)) throw new DriverError(`Simulated failure of ${op} (requested by driver_info.sim_fail_step)`);
}

/** The step kind a node is running, from its provision state. */
export function runningKind(state: string): StepKind {
  if (state.startsWith("clean")) return "clean";
  if (state.startsWith("servic")) return "service";
  return "deploy";
}

export const progressKey = (kind: StepKind) => `${kind}_progress`;

/** Records a running step's progress in driver_internal_info.<kind>_progress. */
export async function reportProgress(task: DriverTask, step: string, percent: number, message: string): Promise<void> {
  const kind = runningKind(task.node.provisionState);
  await task.update({
    driverInternalInfo: {
      ...task.node.driverInternalInfo,
      [progressKey(kind)]: { step, percent, message, updated_at: new Date().toISOString() },
    },
  });
}

async function clearProgress(task: DriverTask): Promise<void> {
  const kind = runningKind(task.node.provisionState);
  if (!(progressKey(kind) in task.node.driverInternalInfo)) return;
  const dii: Dict = { ...task.node.driverInternalInfo };
  delete dii[progressKey(kind)];
  await task.update({ driverInternalInfo: dii });
}

function pyArgs(args: Dict): string {
  const entries = Object.entries(args).map(([k, v]) => `'${k}': ${typeof v === "string" ? `'${v}'` : JSON.stringify(v)}`);
  return `{${entries.join(", ")}}`;
}

export interface SimStepDecl extends Omit<StepDecl, "run"> {
  run(task: DriverTask, machine: SimMachine, args: Dict): Promise<StepOutcome>;
}

/**
 * A step of a sim interface: the agent logs it (when running), driver_info.sim_fail_step can fail
 * it, machine errors become DriverErrors, and its progress entry is cleared when it finishes.
 */
export function simStep(iface: string, decl: SimStepDecl, opts: { failInside?: boolean } = {}): StepDecl {
  const name = `${iface}.${decl.step}`;
  return {
    ...decl,
    async run(task, args) {
      const m = machineOf(task);
      const kind = runningKind(task.node.provisionState);
      if (m.phase === "agent" && m.netboot === "agent") {
        m.agentLog("INFO", "extensions.deploy", `Executing ${kind} step {'interface': '${iface}', 'step': '${decl.step}', 'args': ${pyArgs(args)}}`);
      }
      if (!opts.failInside && m.shouldFail(name)) {
        const msg = `Simulated failure of ${kind} step ${name} (requested by driver_info.sim_fail_step)`;
        if (m.phase === "agent") m.agentLog("ERROR", "extensions.deploy", msg);
        throw new DriverError(msg);
      }
      let outcome: StepOutcome;
      try {
        outcome = await driverCall(() => decl.run(task, m, args));
      } finally {
        await recordMachine(task).catch(() => undefined);
      }
      if (outcome === "wait") return "wait"; // finished (and logged) when the callback comes
      if (m.phase === "agent" && m.netboot === "agent") {
        m.agentLog("INFO", "extensions.deploy", `${kind[0].toUpperCase()}${kind.slice(1)} step ${name} completed`);
      }
      await clearProgress(task);
    },
  };
}
