import type { BaseInterface, HardwareType } from "./base.ts";

/** What a driver file contributes: hardware types and the interface implementations they use. */
export interface DriverModule {
  hardwareTypes: HardwareType[];
  interfaces: BaseInterface[];
}
