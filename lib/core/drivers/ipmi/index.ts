// The `ipmi` hardware type: real servers through ipmitool (reference §10 driver_info names).
// Enabled by default, as in Ironic (INGOT_ENABLED_HARDWARE_TYPES).
import type { HardwareType } from "../base.ts";
import {
  flatNetwork, noBios, noConsole, noFirmware, noInspect, noopNetwork, noopStorage, noRaid, noRescue, noVendor, ramdiskDeploy,
} from "../generic.ts";
import { agentRescue } from "../agent_rescue.ts";
import { directDeploy } from "../direct.ts";
import { ipxeBoot } from "../ipxe.ts";
import type { DriverModule } from "../registry_types.ts";
import { ipmitoolSolConsole } from "./console.ts";
import { agentInspect, externalPxeBoot, ipmitoolManagement, ipmitoolPower } from "./interfaces.ts";

export const ipmiHardwareType: HardwareType = {
  name: "ipmi",
  // First entry is the default. No fake interfaces: an ipmi node talks to its BMC.
  supported: {
    bios: ["no-bios"],
    // ipxe: Ingot serves the network boot (../ipxe.ts); external-pxe: the site's PXE service does.
    boot: ["ipxe", "external-pxe"],
    // no-console first, as Ironic's default; ipmitool-sol = Serial-over-LAN (Ironic: ipmitool-socat).
    console: ["no-console", "ipmitool-sol"],
    deploy: ["ramdisk", "direct"],
    firmware: ["no-firmware"],
    // agent: in-band inspection by the ramdisk the site's network boot serves (Ironic's default too).
    inspect: ["agent", "no-inspect"],
    management: ["ipmitool"],
    network: ["noop", "flat"],
    power: ["ipmitool"],
    raid: ["no-raid"],
    rescue: ["no-rescue", "agent"],
    storage: ["noop"],
    vendor: ["no-vendor"],
  },
};

const ipmi: DriverModule = {
  hardwareTypes: [ipmiHardwareType],
  // The shared generic implementations are registered again here so the module stands alone.
  interfaces: [
    ipmitoolPower, ipmitoolManagement, ipxeBoot, externalPxeBoot, ramdiskDeploy, directDeploy, agentRescue, ipmitoolSolConsole, agentInspect,
    noBios, noConsole, noFirmware, noInspect, noopNetwork, flatNetwork, noopStorage, noRaid, noRescue, noVendor,
  ],
};
export default ipmi;
