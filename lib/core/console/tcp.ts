// Consoles reached over plain TCP, the sources of the tcp-serial and vnc-graphical interfaces
// (interfaces.ts):
//   serial:    a raw TCP serial port (driver_info.console_tcp_address, e.g. QEMU -serial tcp:),
//              one shared, reference-counted connection per node
//   graphical: any VNC server (driver_info.console_vnc_address, e.g. QEMU -vnc), relayed byte for byte
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { NodeRecord } from "../db/nodes.ts";
import { fedChannel, leaseShared } from "./lease.ts";
import type { GraphicalSession, SerialChannel, SerialLease } from "./types.ts";

export function parseTcpAddress(value: unknown): { host: string; port: number } | null {
  if (typeof value !== "string") return null;
  const m = /^(?:tcp:\/\/)?(\[[^\]]+\]|[^:/\s]+):(\d{1,5})\/?$/.exec(value.trim());
  if (!m) return null;
  const port = Number(m[2]);
  if (!(port > 0 && port < 65536)) return null;
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

// ---- TCP serial (one shared connection per node, reference-counted) ----

interface TcpHub {
  channel: SerialChannel;
  refs: number;
  socket: Socket;
}

/** The open TCP serial hubs, by host and port. */
const tcpHubs = new Map<string, Promise<TcpHub>>();

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
      tcpHubs.delete(key);
      fed.markClosed();
    });
  });
}

/** A lease on the node's shared TCP serial connection (opened by the first lease). */
export async function acquireTcpSerial(node: NodeRecord): Promise<SerialLease> {
  const addr = parseTcpAddress(node.driverInfo?.console_tcp_address);
  if (!addr) throw new Error(`node ${node.uuid} has no valid driver_info.console_tcp_address (tcp://host:port)`);
  const key = `${node.uuid}|${addr.host}|${addr.port}`;
  let p = tcpHubs.get(key);
  if (!p) {
    p = openTcpHub(key, addr.host, addr.port);
    tcpHubs.set(key, p);
    p.catch(() => tcpHubs.delete(key));
  }
  const hub = await p;
  return leaseShared(hub, () => hub.socket.destroy());
}

// ---- VNC over TCP ----

/** Relays the node's VNC server with `stream`, byte for byte; a close on either side closes both. */
export async function relayVnc(node: NodeRecord, stream: Duplex): Promise<GraphicalSession> {
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
