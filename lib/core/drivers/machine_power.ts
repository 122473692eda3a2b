// Power changes a driver makes inside a flow (deploy, rescue, BIOS settings): through the node's own
// power interface, recorded on the node and in its history like the conductor's own power actions.
import { withoutAgentBootInfo } from "../agent/internal_info.ts";
import { recordPowerChange, type DriverTask } from "./base.ts";
import { interfacesFor } from "./catalog.ts";

/** Powers the machine through the node's power interface; a power off or reboot ends the agent's boot. */
export async function setMachinePower(task: DriverTask, target: "power on" | "power off" | "rebooting", note: string): Promise<void> {
  await interfacesFor(task.node).power.setPowerState(task, target);
  const state = target === "power off" ? "power off" : "power on";
  if (target !== "power on") await task.update({ driverInternalInfo: withoutAgentBootInfo(task.node.driverInternalInfo) });
  if (target === "rebooting" && task.node.powerState === "power on") {
    await task.history?.({ kind: "note", message: `Rebooted (${note})` }, "transition");
    return;
  }
  await recordPowerChange(task, state, note);
}
