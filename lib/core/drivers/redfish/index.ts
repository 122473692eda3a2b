// The `redfish` hardware type: servers with a DMTF Redfish BMC (iDRAC, iLO 5+, XClarity,
// Supermicro, OpenBMC ...). Enabled by default, as in Ironic (INGOT_ENABLED_HARDWARE_TYPES).
import type { HardwareType } from "../base.ts";
import {
  flatNetwork, noBios, noConsole, noFirmware, noInspect, noopNetwork, noopStorage, noRaid, noRescue, noVendor, ramdiskDeploy,
} from "../generic.ts";
import { agentRescue } from "../agent_rescue.ts";
import { directDeploy } from "../direct.ts";
import { ipxeBoot } from "../ipxe.ts";
import type { DriverModule } from "../registry_types.ts";
import { redfishBios, redfishInspect, redfishManagement, redfishPower, redfishVirtualMediaBoot } from "./interfaces.ts";
import { REDFISH_KVM_PROPERTIES, redfishGraphicalConsole } from "./kvm.ts";

export const redfishHardwareType: HardwareType = {
  name: "redfish",
  // First entry is the default (Ironic's redfish type, minus what Ingot does not have: no PXE or
  // redfish-https boot). redfish-graphical: the BMC's KVM websocket (kvm.ts).
  supported: {
    bios: ["redfish", "no-bios"],
    boot: ["redfish-virtual-media", "ipxe"],
    console: ["no-console", "redfish-graphical"],
    deploy: ["ramdisk", "direct"],
    firmware: ["no-firmware"],
    inspect: ["redfish", "no-inspect"],
    management: ["redfish"],
    network: ["noop", "flat"],
    power: ["redfish"],
    raid: ["no-raid"],
    rescue: ["no-rescue", "agent"],
    storage: ["noop"],
    vendor: ["no-vendor"],
  },
  // Read by redfish-graphical, which is not the default console (properties list the defaults').
  properties: REDFISH_KVM_PROPERTIES,
};

const redfish: DriverModule = {
  hardwareTypes: [redfishHardwareType],
  interfaces: [
    redfishPower, redfishManagement, redfishBios, redfishInspect, redfishVirtualMediaBoot, ipxeBoot, redfishGraphicalConsole,
    ramdiskDeploy, directDeploy, agentRescue, noBios, noConsole, noFirmware, noInspect, noopNetwork, flatNetwork, noopStorage, noRaid, noRescue, noVendor,
  ],
};
export default redfish;
