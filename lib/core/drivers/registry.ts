// Hardware types and interface implementations known to Ingot. New hardware types (sim, ipmi,
// redfish) are added by writing a DriverModule file and listing it in DRIVER_MODULES. The lookups
// live in catalog.ts and are re-exported here, so importing this module means the drivers are
// registered.
import { registerDriverModule } from "./catalog.ts";
import fakeHardware from "./fake_hardware.ts";
import ipmiHardware from "./ipmi/index.ts";
import redfishHardware from "./redfish/index.ts";
import simHardware from "./sim/index.ts";
import type { ConductorHooks, DriverModule } from "./registry_types.ts";

export * from "./catalog.ts";

// `sim` is known but not enabled by default (INGOT_ENABLED_HARDWARE_TYPES=fake-hardware,sim enables it).
const DRIVER_MODULES: DriverModule[] = [fakeHardware, simHardware, ipmiHardware, redfishHardware];

for (const mod of DRIVER_MODULES) registerDriverModule(mod);

/** Hands every driver module what this process's conductor offers (conductor/agent_heartbeat.ts). */
export function connectDriversToConductor(hooks: ConductorHooks | null): void {
  for (const mod of DRIVER_MODULES) mod.connectConductor?.(hooks);
}
