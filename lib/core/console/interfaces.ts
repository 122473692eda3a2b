// Console interfaces for consoles outside Ingot, relayed by Ingot's websockets (docs/consoles.md):
//   tcp-serial     a raw TCP serial port: driver_info.console_tcp_address "tcp://host:port"
//                  (QEMU `-serial tcp:host:port,server,nowait`, socat, a terminal server)
//   vnc-graphical  any VNC server: driver_info.console_vnc_address "host:port" (QEMU `-vnc :N` → port 5900+N)
// and what every relayed console shares: the console_info it answers and the stop of a relayed
// graphical console (relayedGraphicalConsole, also used by sim-graphical and redfish-graphical).
// Starting checks the endpoint answers; the relay connects when a session opens (serial: one
// shared connection per node, also used by the console log capture while the node is active).
import { connect } from "node:net";
import { DriverError, Invalid } from "../errors.ts";
import type { ConsoleInterface, DriverTask } from "../drivers/base.ts";
import { closeSessions } from "./sessions.ts";
import { acquireTcpSerial, parseTcpAddress, relayVnc } from "./tcp.ts";

// The driver answers {type, path}; the API turns the path into the URL from the request's host
// (and mints the graphical console token) — lib/api/v1/node_states.ts.
export const serialConsoleInfo = (uuid: string) => ({ type: "ws", path: `/ws/nodes/${uuid}/serial` });
export const graphicalConsoleInfo = (uuid: string) => ({ type: "vnc", path: `/nodes/${uuid}/console/graphical` });

/** Drops the node's graphical console tokens (under the node's lock). */
export async function dropConsoleTokens(task: DriverTask): Promise<void> {
  const dii = task.node.driverInternalInfo ?? {};
  if (!("console_tokens" in dii)) return;
  const next = { ...dii };
  delete next.console_tokens;
  await task.update({ driverInternalInfo: next });
}

function address(task: Pick<DriverTask, "node">, key: string): { host: string; port: number } {
  const raw = task.node.driverInfo?.[key];
  if (raw === undefined || raw === null || raw === "") throw new Invalid(`Node ${task.node.uuid} is missing driver_info.${key} (tcp://host:port).`);
  const a = parseTcpAddress(raw);
  if (!a) throw new Invalid(`Node ${task.node.uuid} has an invalid driver_info.${key} "${String(raw)}": expected tcp://host:port.`);
  return a;
}

function probe(host: string, port: number, timeoutMs = 3000): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const t = setTimeout(() => {
      s.destroy();
      reject(new DriverError(`Console endpoint ${host}:${port} did not answer within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(t);
      s.destroy();
      resolve();
    });
    s.once("error", (err) => {
      clearTimeout(t);
      reject(new DriverError(`Console endpoint ${host}:${port} is not reachable: ${err.message}`));
    });
  });
}

/**
 * Stop and console_info of a serial console relayed by Ingot's /ws/nodes/{node}/serial websocket
 * (sim-serial, tcp-serial).
 */
export const relayedSerialConsole: Pick<ConsoleInterface, "stopConsole" | "getConsole"> = {
  async stopConsole(task) {
    closeSessions(task.node.uuid, "serial", 1000, "console disabled");
  },
  getConsole: async (task) => serialConsoleInfo(task.node.uuid),
};

export const tcpSerialConsole: ConsoleInterface = {
  kind: "console", name: "tcp-serial",
  validate: async (task) => void address(task, "console_tcp_address"),
  async startConsole(task) {
    const a = address(task, "console_tcp_address");
    await probe(a.host, a.port);
  },
  ...relayedSerialConsole,
  source: { kind: "serial", external: true, open: acquireTcpSerial },
};

/**
 * Stop and console_info of every graphical console relayed by Ingot's /ws/nodes/{node}/vnc
 * websocket (sim-graphical, vnc-graphical, redfish-graphical): the API mints the console token
 * from the path.
 */
export const relayedGraphicalConsole: Pick<ConsoleInterface, "stopConsole" | "getConsole"> = {
  async stopConsole(task) {
    closeSessions(task.node.uuid, "graphical", 1000, "console disabled");
    await dropConsoleTokens(task);
  },
  getConsole: async (task) => graphicalConsoleInfo(task.node.uuid),
};

export const vncGraphicalConsole: ConsoleInterface = {
  kind: "console", name: "vnc-graphical",
  validate: async (task) => void address(task, "console_vnc_address"),
  async startConsole(task) {
    const a = address(task, "console_vnc_address");
    await probe(a.host, a.port);
  },
  ...relayedGraphicalConsole,
  source: { kind: "graphical", attach: relayVnc },
};
