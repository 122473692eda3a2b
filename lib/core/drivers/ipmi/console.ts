// `ipmitool-sol`: the serial console of the `ipmi` hardware type, IPMI Serial-over-LAN relayed by
// Ingot's serial websocket (docs/consoles.md). Ironic's equivalents are `ipmitool-socat` /
// `ipmitool-shellinabox`, which listen on a conductor port (ipmi_terminal_port); Ingot relays
// in-process, so no port is opened and ipmi_terminal_port is only validated.
//   start  validates driver_info, then `sol deactivate` (frees a stale session and proves the BMC
//          answers and accepts the credentials; a failure becomes last_error)
//   stop   closes the websocket sessions and this process's `sol activate`, then `sol deactivate`
//          on the BMC (ends a session held by another Ingot process too; best effort)
//   info   {"type": "ws", "url": "<ws base>/ws/nodes/<uuid>/serial"}, as tcp-serial
//   source one shared `ipmitool … sol activate` per node (sol.ts), connected only while enabled
import { serialConsoleInfo } from "../../console/interfaces.ts";
import { closeSessions } from "../../console/sessions.ts";
import { Invalid } from "../../errors.ts";
import type { ConsoleInterface, DriverTask } from "../base.ts";
import { IPMI_PROPERTIES, parseIpmiDriverInfo } from "./driver_info.ts";
import { acquireIpmiSol, closeIpmiSol, deactivateSol } from "./sol.ts";

/** driver_info as the power interface wants it, and SOL's own need: RMCP+ (IPMI 2.0). */
function info(task: DriverTask) {
  const ipmi = parseIpmiDriverInfo(task.node);
  if (ipmi.protocolVersion !== "2.0") {
    throw new Invalid(`Serial-over-LAN needs IPMI 2.0 (lanplus); node ${task.node.uuid} has ipmi_protocol_version ${ipmi.protocolVersion}.`);
  }
  return ipmi;
}

export const ipmitoolSolConsole: ConsoleInterface = {
  kind: "console", name: "ipmitool-sol",
  properties: IPMI_PROPERTIES,
  validate: async (task) => void info(task),
  async startConsole(task) {
    await deactivateSol(info(task));
  },
  async stopConsole(task) {
    closeSessions(task.node.uuid, "serial", 1000, "console disabled");
    await closeIpmiSol(task.node.uuid);
    // Best effort, as Ironic (it accepts ipmitool's failure here): the console is off for Ingot
    // whatever the BMC says, and an unreachable BMC must not keep it "enabled".
    try {
      await deactivateSol(parseIpmiDriverInfo(task.node));
    } catch (err) {
      console.warn(`[ipmi] node ${task.node.uuid}: sol deactivate on console stop failed: ${(err as Error).message}`);
    }
  },
  getConsole: async (task) => serialConsoleInfo(task.node.uuid),
  // SOL is exclusive on the BMC: Ingot holds it only while the console is enabled.
  source: { kind: "serial", external: true, open: acquireIpmiSol },
};
