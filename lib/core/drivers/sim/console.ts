// Console interfaces of the sim hardware type. Starting a console opens a loopback endpoint on the
// conductor for the node's simulated machine; stopping closes it (and its sessions):
//   sim-serial     raw TCP serial port (like `socat` / QEMU `-serial tcp:`):
//                  console_info {"type": "socat", "url": "tcp://127.0.0.1:<port>"}
//   sim-graphical  VNC (RFB 3.8) server of the machine's screen:
//                  console_info {"type": "vnc", "url": "vnc://127.0.0.1:<port>"}
// Endpoints live in the server process; after a restart getConsole() re-opens them (new port).
// Both listen on loopback only: the browser consoles (websocket relays with access control) are
// a separate layer on top of getSimMachine()'s serial port and serveRfb().
import { once } from "node:events";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { listenVnc, type VncListener } from "../../sim/rfb.ts";
import type { SimMachine } from "../../sim/machine.ts";
import type { ConsoleInterface, DriverTask } from "../base.ts";
import { driverCall, injected, machineOf } from "./common.ts";

export const CONSOLE_HOST = "127.0.0.1";

interface Endpoint {
  port: number;
  close(): Promise<void>;
}

const G = globalThis as unknown as { ingotSimConsoles?: Map<string, Endpoint> };
const endpoints = (): Map<string, Endpoint> => (G.ingotSimConsoles ??= new Map());
const key = (kind: "serial" | "vnc", uuid: string) => `${kind}:${uuid}`;

/** A raw TCP serial console: bytes in are typed into the port, output goes to every client. */
export async function listenSerial(machine: SimMachine, port = 0, host = CONSOLE_HOST): Promise<Endpoint & { server: Server }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const unsubscribe = machine.serial.subscribe((data) => socket.write(data));
    socket.on("data", (d: Buffer) => machine.serial.write(d));
    const done = () => {
      unsubscribe();
      sockets.delete(socket);
    };
    socket.on("close", done);
    socket.on("error", done);
  });
  server.listen(port, host);
  await once(server, "listening");
  let closed = false;
  const ep = {
    server,
    port: (server.address() as AddressInfo).port,
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  machine.onDispose(() => void ep.close());
  return ep;
}

async function ensure(kind: "serial" | "vnc", task: Pick<DriverTask, "node">): Promise<Endpoint> {
  const k = key(kind, task.node.uuid);
  const existing = endpoints().get(k);
  if (existing) return existing;
  const m = machineOf(task);
  const ep: Endpoint = kind === "serial" ? await listenSerial(m) : await listenVnc(m, 0, CONSOLE_HOST).then((l: VncListener) => l);
  endpoints().set(k, ep);
  m.onDispose(() => endpoints().delete(k));
  return ep;
}

async function stop(kind: "serial" | "vnc", uuid: string): Promise<void> {
  const k = key(kind, uuid);
  const ep = endpoints().get(k);
  endpoints().delete(k);
  await ep?.close();
}

/** Closes every sim console endpoint (tests, server shutdown). */
export async function closeAllSimConsoles(): Promise<void> {
  const all = [...endpoints().values()];
  endpoints().clear();
  await Promise.all(all.map((e) => e.close()));
}

export const simSerialConsole: ConsoleInterface = {
  kind: "console", name: "sim-serial",
  validate: async (task) => injected(task, "console.validate"),
  async startConsole(task) {
    injected(task, "console.start_console");
    await driverCall(() => ensure("serial", task));
  },
  async stopConsole(task) {
    await stop("serial", task.node.uuid);
  },
  async getConsole(task) {
    const ep = await driverCall(() => ensure("serial", task));
    return { type: "socat", url: `tcp://${CONSOLE_HOST}:${ep.port}` };
  },
};

export const simGraphicalConsole: ConsoleInterface = {
  kind: "console", name: "sim-graphical",
  validate: async (task) => injected(task, "console.validate"),
  async startConsole(task) {
    injected(task, "console.start_console");
    await driverCall(() => ensure("vnc", task));
  },
  async stopConsole(task) {
    await stop("vnc", task.node.uuid);
  },
  async getConsole(task) {
    const ep = await driverCall(() => ensure("vnc", task));
    return { type: "vnc", url: `vnc://${CONSOLE_HOST}:${ep.port}` };
  },
};
