// Console interfaces of the sim hardware type. The machine's serial port and framebuffer live in
// the server process; the browser (and scripts) reach them only through Ingot's websocket relays
// (lib/server/consoles.ts, docs/consoles.md), which check credentials and policy — no TCP
// listener is opened (`listenVnc` in lib/core/sim/rfb.ts remains for tests and manual debugging).
//   sim-serial     console_info {"type": "ws",  "url": "<ws base>/ws/nodes/<uuid>/serial"}
//                  source: the machine's serial port (64 KiB history), in-process
//   sim-graphical  console_info {"type": "vnc", "url": "<http base>/nodes/<uuid>/console/graphical?token=<console token>"}
//                  source: serveRfb on the machine's framebuffer, in-process
import { relayedGraphicalConsole, relayedSerialConsole } from "../../console/interfaces.ts";
import { closeSessions, listSessions } from "../../console/sessions.ts";
import type { GraphicalConsoleSource, SerialChannel, SerialConsoleSource } from "../../console/types.ts";
import type { NodeRecord } from "../../db/nodes.ts";
import { getSimMachine } from "../../sim/machine.ts";
import { machineRfbSource, serveRfb } from "../../sim/rfb.ts";
import type { ConsoleInterface } from "../base.ts";
import { driverCall, injected, machineOf } from "./common.ts";

/** Closes every console session of sim nodes (tests, server shutdown). */
export async function closeAllSimConsoles(): Promise<void> {
  for (const s of listSessions()) closeSessions(s.uuid, null, 1001, "server shutting down");
}

function simSerialChannel(node: NodeRecord): SerialChannel {
  const m = getSimMachine(node);
  const port = m.serial;
  return {
    end: () => port.bytesWritten,
    readFrom(offset) {
      const kept = port.history();
      const start = port.bytesWritten - kept.length;
      const from = Math.min(Math.max(offset, start), port.bytesWritten);
      return { offset: from, data: kept.subarray(from - start) };
    },
    subscribe: (fn) => port.subscribe(fn),
    write: (d) => port.write(d),
    onClose: (fn) => m.onDispose(fn),
  };
}

const simSerialSource: SerialConsoleSource = {
  kind: "serial",
  // The machine is Ingot's own: its output is always there to capture.
  external: false,
  open: async (node) => ({ channel: simSerialChannel(node), release: () => undefined }),
};

const simGraphicalSource: GraphicalConsoleSource = {
  kind: "graphical",
  async attach(node, stream) {
    const m = getSimMachine(node);
    const session = serveRfb(stream, machineRfbSource(m));
    m.onDispose(() => session.close());
    return { close: () => session.close(), onClose: (fn) => session.onClose(fn) };
  },
};

export const simSerialConsole: ConsoleInterface = {
  kind: "console", name: "sim-serial",
  validate: async (task) => injected(task, "console.validate"),
  async startConsole(task) {
    injected(task, "console.start_console");
    await driverCall(async () => void machineOf(task));
  },
  ...relayedSerialConsole,
  source: simSerialSource,
};

export const simGraphicalConsole: ConsoleInterface = {
  kind: "console", name: "sim-graphical",
  validate: async (task) => injected(task, "console.validate"),
  async startConsole(task) {
    injected(task, "console.start_console");
    await driverCall(async () => void machineOf(task));
  },
  ...relayedGraphicalConsole,
  source: simGraphicalSource,
};
