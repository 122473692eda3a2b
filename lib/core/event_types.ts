// The live events on the process-wide bus (events.ts), in a module of their own so the PostgreSQL
// bridge (events-pg.ts) can carry them without importing the bus.

export interface NodeEvent {
  type: "node";
  id: number;
  uuid: string;
  name: string | null;
  provisionState: string;
  targetProvisionState: string | null;
  powerState: string | null;
  targetPowerState: string | null;
  maintenance: boolean;
  reservation: string | null;
  lastError: string | null;
  /** Who may see it (live updates only reach viewers of the node). */
  owner: string | null;
  lessee: string | null;
  /** True when the node was deleted. */
  deleted?: boolean;
  at: string;
}

export interface ConductorEvent {
  type: "conductor";
  hostname: string;
  online: boolean;
  at: string;
}

/** A bulk job made progress (lib/core/jobs.ts). */
export interface JobEvent {
  type: "job";
  id: string;
  state: string;
  /** The job's creator; other users (but system admins) are not told about it. */
  userId?: string | null;
  at: string;
}

export type LiveEvent = NodeEvent | ConductorEvent | JobEvent;
