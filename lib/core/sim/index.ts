// Simulated servers for the `sim` hardware type (see README.md here).
export {
  BOOT_DEVICES, DEFAULT_IMAGE, DEFAULT_ROOT_PASSWORD, disposeAllSimMachines, disposeSimMachine, faultsFrom, findSimMachine,
  getSimMachine, keysymToBytes, setSimAgentHeartbeat, listSimMachines, osFromImage, SimBmcError, SimInjectedFailure, SimInterrupted, SimMachine,
} from "./machine.ts";
export type { AgentHeartbeat, InstalledOs, MachinePhase, NetbootTarget, SimBootDevice, SimFaults, SimNodeView, SimPowerState } from "./machine.ts";
export { SerialPort, SERIAL_HISTORY_BYTES } from "./serial.ts";
export { TextScreen, COLS, ROWS, SCREEN_WIDTH, SCREEN_HEIGHT } from "./textscreen.ts";
export { Framebuffer, DamageRegion, type Rect } from "./framebuffer.ts";
export { listenVnc, machineRfbSource, serveRfb, RfbSession, ENCODING, type RfbSource, type VncListener } from "./rfb.ts";
export { SIM_BIOS_REGISTRY, SimBios, simBiosErrors } from "./bios.ts";
export { simHardware, simInventory } from "./hardware.ts";
export { PHASE_SECONDS, phaseMs, setSimSpeed, simSpeed } from "./timing.ts";
