// The `sim` hardware type: every node is backed by a simulated server in the server process
// (lib/core/sim). Enabled with INGOT_ENABLED_HARDWARE_TYPES=...,sim; timings scale with
// INGOT_SIM_SPEED; failure injection through driver_info (see ../README.md).
import type { HardwareType } from "../base.ts";
import {
  externalStorage, flatNetwork, noBios, noConsole, noFirmware, noInspect, noopNetwork, noopStorage, noRaid, noRescue, noVendor,
} from "../generic.ts";
import { setSimAgentHeartbeat } from "../../sim/machine.ts";
import { fakeStorage } from "../fake.ts";
import type { DriverModule } from "../registry_types.ts";
import { simGraphicalConsole, simSerialConsole } from "./console.ts";
import { tcpSerialConsole, vncGraphicalConsole } from "../../console/interfaces.ts";
import {
  SIM_DRIVER_PROPERTIES, simBios, simBoot, simDeploy, simInspect, simManagement, simPower, simRaid, simRescue,
} from "./interfaces.ts";

export const simHardwareType: HardwareType = {
  name: "sim",
  supported: {
    bios: ["sim", "no-bios"],
    boot: ["sim"],
    console: ["sim-serial", "sim-graphical", "no-console", "tcp-serial", "vnc-graphical"],
    deploy: ["sim"],
    firmware: ["no-firmware"],
    inspect: ["sim", "no-inspect"],
    management: ["sim"],
    network: ["noop", "flat"],
    power: ["sim"],
    raid: ["sim", "no-raid"],
    rescue: ["sim", "no-rescue"],
    storage: ["noop", "fake", "external"],
    vendor: ["no-vendor"],
  },
  properties: SIM_DRIVER_PROPERTIES,
};

const simHardware: DriverModule = {
  hardwareTypes: [simHardwareType],
  interfaces: [
    tcpSerialConsole, vncGraphicalConsole,
    simBios, simBoot, simSerialConsole, simGraphicalConsole, simDeploy, simInspect, simManagement, simPower, simRaid,
    simRescue, noBios, noConsole, noFirmware, noInspect, noopNetwork, flatNetwork, noopStorage, fakeStorage, externalStorage,
    noRaid, noRescue, noVendor,
  ],
  // The simulated deploy agents heartbeat to the conductor of this process (machines live here).
  connectConductor(hooks) {
    setSimAgentHeartbeat(hooks ? (machine) => hooks.agentHeartbeat(machine.uuid) : null);
  },
};
export default simHardware;
