// Console sources behind one interface (see README.md): a serial source gives a SerialChannel
// (output with absolute offsets for resume, input, subscription); a graphical source serves or
// relays RFB over a Duplex the caller owns (the websocket relay).
//   serial:    sim-serial (the sim machine's serial port, in-process)
//              tcp-serial (a raw TCP serial port, driver_info.console_tcp_address, e.g. QEMU -serial tcp:)
//              ipmitool-sol (IPMI Serial-over-LAN: one shared `ipmitool sol activate` per node, drivers/ipmi/sol.ts)
//   graphical: sim-graphical (serveRfb on the sim framebuffer, in-process)
//              vnc-graphical (any VNC server, driver_info.console_vnc_address, e.g. QEMU -vnc), relayed over TCP
//              redfish-graphical (the BMC's KVM: RFB over a websocket, e.g. OpenBMC /kvm/0; drivers/redfish/kvm.ts)
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { NodeRecord } from "../db/nodes.ts";
import { acquireIpmiSol } from "../drivers/ipmi/sol.ts";
import { attachRedfishKvm } from "../drivers/redfish/kvm.ts";
import { interfacesFor } from "../drivers/registry.ts";
import { getSimMachine } from "../sim/machine.ts";
import { machineRfbSource, serveRfb } from "../sim/rfb.ts";
import { fedChannel, leaseShared } from "./lease.ts";
import { consoleKindOfInterface, type ConsoleKind } from "../../shared/consoles.ts";

/** Serial consoles outside Ingot: connected only while the console is enabled (the log capture too). */
export const EXTERNAL_SERIAL_INTERFACES = ["tcp-serial", "ipmitool-sol"] as const;
export type { ConsoleKind } from "../../shared/consoles.ts";

/** The console interface name of a node (its explicit one or the hardware type's default). */
export function consoleInterfaceOf(node: NodeRecord): string {
  if (node.consoleInterface) return node.consoleInterface;
  try {
    return interfacesFor(node).console.name;
  } catch {
    return "no-console";
  }
}

/** Which console the node's interface has (lib/shared/consoles.ts, the table the node page reads too). */
export function consoleKindOf(node: NodeRecord): ConsoleKind | null {
  return consoleKindOfInterface(consoleInterfaceOf(node));
}

/** A live serial console: output addressed by absolute byte offsets, input, close notification. */
export interface SerialChannel {
  /** Offset one past the newest output byte. */
  end(): number;
  /** Kept output from `offset` (clamped to the oldest byte kept). */
  readFrom(offset: number): { offset: number; data: Buffer };
  /** Every output byte from now on; returns the unsubscribe function. */
  subscribe(onData: (data: Buffer) => void): () => void;
  /** Keystrokes into the console. */
  write(data: Buffer): void;
  /** Called once when the source goes away (TCP peer closed, machine disposed). */
  onClose(fn: () => void): void;
}

export interface SerialLease {
  channel: SerialChannel;
  release(): void;
}

// ---- sim serial ----

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

// ---- TCP serial (one shared connection per node, reference-counted) ----

export function parseTcpAddress(value: unknown): { host: string; port: number } | null {
  if (typeof value !== "string") return null;
  const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:/\s]+):(\d{1,5})\/?$/.exec(value.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) return null;
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

interface TcpHub {
  channel: SerialChannel;
  refs: number;
  socket: Socket;
}

const G = globalThis as unknown as { ingotTcpSerialHubs?: Map<string, Promise<TcpHub>> };
const hubs = (): Map<string, Promise<TcpHub>> => (G.ingotTcpSerialHubs ??= new Map());

function openTcpHub(key: string, host: string, port: number): Promise<TcpHub> {
  return new Promise<TcpHub>((resolve, reject) => {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const fed = fedChannel((d) => socket.write(d));
    socket.on("data", (d: Buffer) => fed.push(d));
    const timer = setTimeout(() => socket.destroy(new Error(`timed out connecting to ${host}:${port}`)), 5000);
    socket.once("connect", () => {
      clearTimeout(timer);
      resolve({ channel: fed.channel, refs: 0, socket });
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      hubs().delete(key);
      fed.markClosed();
    });
  });
}

async function acquireTcp(node: NodeRecord): Promise<SerialLease> {
  const addr = parseTcpAddress(node.driverInfo?.console_tcp_address);
  if (!addr) throw new Error(`node ${node.uuid} has no valid driver_info.console_tcp_address (tcp://host:port)`);
  const key = `${node.uuid}|${addr.host}|${addr.port}`;
  let p = hubs().get(key);
  if (!p) {
    p = openTcpHub(key, addr.host, addr.port);
    hubs().set(key, p);
    p.catch(() => hubs().delete(key));
  }
  const hub = await p;
  return leaseShared(hub, () => hub.socket.destroy());
}


/** The serial console of a node, or null when its console interface is not a serial one. */
export async function acquireSerial(node: NodeRecord): Promise<SerialLease | null> {
  switch (consoleInterfaceOf(node)) {
    case "sim-serial":
      return { channel: simSerialChannel(node), release: () => undefined };
    case "tcp-serial":
      return acquireTcp(node);
    case "ipmitool-sol":
      return acquireIpmiSol(node);
    default:
      return null;
  }
}

// ---- graphical ----

/** Why a graphical source ended, when it can say (e.g. the BMC's close reason): the relay passes it on. */
export interface GraphicalCloseReason {
  code: number;
  reason: string;
}

export interface GraphicalSession {
  close(): void;
  onClose(fn: (why?: GraphicalCloseReason) => void): void;
}

/**
 * Serves (sim) or relays (VNC over TCP) the node's graphical console on `stream`, which carries
 * the client's RFB bytes both ways. Null when the console interface is not a graphical one.
 */
export async function attachGraphical(node: NodeRecord, stream: Duplex): Promise<GraphicalSession | null> {
  switch (consoleInterfaceOf(node)) {
    case "sim-graphical": {
      const m = getSimMachine(node);
      const session = serveRfb(stream, machineRfbSource(m));
      m.onDispose(() => session.close());
      return { close: () => session.close(), onClose: (fn) => session.onClose(fn) };
    }
    case "vnc-graphical": {
      const addr = parseTcpAddress(node.driverInfo?.console_vnc_address);
      if (!addr) throw new Error(`node ${node.uuid} has no valid driver_info.console_vnc_address (host:port)`);
      const socket = connect({ host: addr.host, port: addr.port });
      socket.setNoDelay(true);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => socket.destroy(new Error(`timed out connecting to ${addr.host}:${addr.port}`)), 5000);
        socket.once("connect", () => {
          clearTimeout(timer);
          resolve();
        });
        socket.once("error", (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      const closers: (() => void)[] = [];
      let closed = false;
      const close = () => {
        if (closed) return;
        closed = true;
        socket.destroy();
        stream.destroy();
        for (const fn of closers.splice(0)) fn();
      };
      stream.on("data", (d: Buffer) => socket.write(d));
      socket.on("data", (d: Buffer) => stream.write(d));
      socket.on("close", close);
      socket.on("error", close);
      stream.on("close", close);
      stream.on("error", close);
      return { close, onClose: (fn) => (closed ? fn() : void closers.push(fn)) };
    }
    case "redfish-graphical":
      return attachRedfishKvm(node, stream);
    default:
      return null;
  }
}
