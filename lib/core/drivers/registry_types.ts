import type { BaseInterface, HardwareType } from "./base.ts";

/**
 * What a conductor in this process offers drivers whose hardware runs in this process too (the
 * sim driver's simulated deploy agents), so they reach it without importing the conductor.
 */
export interface ConductorHooks {
  /** The deploy agent of node `uuid` heartbeats, as a real agent's POST /v1/heartbeat would. */
  agentHeartbeat(uuid: string): Promise<void>;
}

/** What a driver file contributes: hardware types and the interface implementations they use. */
export interface DriverModule {
  hardwareTypes: HardwareType[];
  interfaces: BaseInterface[];
  /** Connects the module's in-process hardware to this process's conductor (null: disconnects). */
  connectConductor?(hooks: ConductorHooks | null): void;
}
