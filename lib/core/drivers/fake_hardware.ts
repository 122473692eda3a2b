// fake-hardware (reference §10 and samples/get-driver-fake-hardware.json): every op instant.
import { tcpSerialConsole, vncGraphicalConsole } from "../console/interfaces.ts";
import type { HardwareType } from "./base.ts";
import {
  fakeBios, fakeBoot, fakeConsole, fakeDeploy, fakeFirmware, fakeInspect, fakeManagement, fakePower,
  fakeRaid, fakeRescue, fakeStorage, fakeVendor,
} from "./fake.ts";
import {
  externalStorage, flatNetwork, noBios, noConsole, noFirmware, noInspect, noopNetwork, noopStorage, noRaid, noRescue, noVendor,
} from "./generic.ts";
import type { DriverModule } from "./registry_types.ts";

export const fakeHardwareType: HardwareType = {
  name: "fake-hardware",
  // First entry is the default; lists match Ironic's enabled interfaces for fake-hardware.
  supported: {
    bios: ["fake", "no-bios"],
    boot: ["fake"],
    console: ["fake", "no-console", "tcp-serial", "vnc-graphical"],
    deploy: ["fake"],
    firmware: ["fake", "no-firmware"],
    inspect: ["fake", "no-inspect"],
    management: ["fake"],
    network: ["noop"],
    power: ["fake"],
    raid: ["fake", "no-raid"],
    rescue: ["fake", "no-rescue"],
    storage: ["noop", "fake", "external"],
    vendor: ["fake", "no-vendor"],
  },
};

const fakeHardware: DriverModule = {
  hardwareTypes: [fakeHardwareType],
  interfaces: [
    tcpSerialConsole, vncGraphicalConsole,
    fakeBios, fakeBoot, fakeConsole, fakeDeploy, fakeFirmware, fakeInspect, fakeManagement, fakePower, fakeRaid,
    fakeRescue, fakeVendor, noBios, noConsole, noFirmware, noInspect, noopNetwork, flatNetwork, noopStorage, fakeStorage,
    externalStorage, noRaid, noRescue, noVendor,
  ],
};
export default fakeHardware;
