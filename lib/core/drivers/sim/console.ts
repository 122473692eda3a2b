// Console interfaces of the sim hardware type. The machine's serial port and framebuffer live in
// the server process; the browser (and scripts) reach them only through Ingot's websocket relays
// (lib/server/consoles.ts, docs/consoles.md), which check credentials and policy — no TCP
// listener is opened (`listenVnc` in lib/core/sim/rfb.ts remains for tests and manual debugging).
//   sim-serial     console_info {"type": "ws",  "url": "<ws base>/ws/nodes/<uuid>/serial"}
//   sim-graphical  console_info {"type": "vnc", "url": "<http base>/nodes/<uuid>/console/graphical?token=<console token>"}
// The driver answers {type, path}; the API turns the path into the URL from the request's host
// (and mints the graphical console token) — lib/api/v1/node_states.ts.
import { closeSessions, listSessions } from "../../console/sessions.ts";
import type { ConsoleInterface, DriverTask } from "../base.ts";
import { driverCall, injected, machineOf } from "./common.ts";

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

/** Closes every console session of sim nodes (tests, server shutdown). */
export async function closeAllSimConsoles(): Promise<void> {
  for (const s of listSessions()) closeSessions(s.uuid, null, 1001, "server shutting down");
}

export const simSerialConsole: ConsoleInterface = {
  kind: "console", name: "sim-serial",
  validate: async (task) => injected(task, "console.validate"),
  async startConsole(task) {
    injected(task, "console.start_console");
    await driverCall(async () => void machineOf(task));
  },
  async stopConsole(task) {
    closeSessions(task.node.uuid, "serial", 1000, "console disabled");
  },
  async getConsole(task) {
    return serialConsoleInfo(task.node.uuid);
  },
};

export const simGraphicalConsole: ConsoleInterface = {
  kind: "console", name: "sim-graphical",
  validate: async (task) => injected(task, "console.validate"),
  async startConsole(task) {
    injected(task, "console.start_console");
    await driverCall(async () => void machineOf(task));
  },
  async stopConsole(task) {
    closeSessions(task.node.uuid, "graphical", 1000, "console disabled");
    await dropConsoleTokens(task);
  },
  async getConsole(task) {
    return graphicalConsoleInfo(task.node.uuid);
  },
};
