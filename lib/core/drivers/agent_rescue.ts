// The `agent` rescue interface (Ironic's AgentRescue): the node's boot interface boots the ramdisk,
// whose agent, once it called back, is given the rescue password (hashed, as the API stored it)
// through rescue.finalize_rescue; the machine then runs the ramdisk with a `rescue` user. Unrescue
// boots the instance again. One implementation for every hardware type with a boot interface.
import { agentClient, bootRamdisk } from "./direct.ts";
import { setMachinePower } from "./machine_power.ts";
import type { RescueInterface } from "./base.ts";
import { Invalid } from "../errors.ts";
// The catalog, not registry.ts: the registry imports the driver modules, which import this file.
import { interfacesFor } from "./catalog.ts";

export const agentRescue: RescueInterface = {
  kind: "rescue", name: "agent",
  async validate(task) {
    await interfacesFor(task.node).boot.validate(task);
  },
  async rescue(task) {
    await setMachinePower(task, "power off", "rescue: stopping the instance");
    await interfacesFor(task.node).boot.cleanUpInstance(task);
    await bootRamdisk(task, "rescue: booting the rescue ramdisk");
    return "wait";
  },
  async finishRescue(task) {
    const info = task.node.instanceInfo;
    const hashed = typeof info.hashed_rescue_password === "string" && info.hashed_rescue_password !== "";
    const password = hashed ? info.hashed_rescue_password : info.rescue_password;
    if (typeof password !== "string" || password === "") {
      throw new Invalid(`Node ${task.node.uuid} has no rescue password in instance_info to give its agent.`);
    }
    await agentClient(task.node).finalizeRescue(password, hashed);
    // The agent stops serving its API now (it must not stay reachable from the tenant's network).
    await interfacesFor(task.node).boot.cleanUpRamdisk(task);
  },
  async unrescue(task) {
    await setMachinePower(task, "power off", "unrescue: leaving the rescue ramdisk");
    const boot = interfacesFor(task.node).boot;
    await boot.cleanUpRamdisk(task);
    await boot.prepareInstance(task);
    await setMachinePower(task, "power on", "unrescue: booting the instance");
  },
};
