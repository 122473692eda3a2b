// The process's conductor: created on first use, started and stopped by index.ts. Its own module
// so the RPC routing (rpc.ts) can find it without importing index.ts, which starts it.
import { Conductor, type ConductorOptions } from "./conductor.ts";
import { PeriodicTasks } from "./periodic.ts";

export interface RunningConductor extends Conductor {
  periodic: PeriodicTasks;
}

export interface ConductorState {
  conductor?: RunningConductor;
  started?: boolean;
}
const conductorState: ConductorState = {};
export const processConductorState = (): ConductorState => conductorState;

export function createConductor(opts: ConductorOptions = {}): RunningConductor {
  const c = new Conductor(opts) as RunningConductor;
  c.periodic = new PeriodicTasks(c);
  return c;
}

/** The process-wide conductor (created on first use; not started). */
export function getConductor(): RunningConductor {
  const s = processConductorState();
  if (!s.conductor) s.conductor = createConductor();
  return s.conductor;
}
