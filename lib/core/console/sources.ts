// A node's console source, asked of its console interface (ConsoleInterface.source, see
// README.md): a serial source gives a SerialChannel (output with absolute offsets for resume,
// input, subscription); a graphical source serves or relays RFB over a Duplex the caller owns (the
// websocket relay). Which interfaces have one, and how they reach it, is theirs to say:
//   serial:    sim-serial (drivers/sim/console.ts), tcp-serial (interfaces.ts, tcp.ts),
//              ipmitool-sol (drivers/ipmi/console.ts, sol.ts)
//   graphical: sim-graphical (drivers/sim/console.ts), vnc-graphical (interfaces.ts, tcp.ts),
//              redfish-graphical (drivers/redfish/kvm.ts)
import type { Duplex } from "node:stream";
import type { NodeRecord } from "../db/nodes.ts";
import type { ConsoleInterface } from "../drivers/base.ts";
import { getInterface, interfacesFor } from "../drivers/registry.ts";
import type { ConsoleKind, ConsoleSource, GraphicalSession, SerialLease } from "./types.ts";

/** The node's console interface (its explicit one or the hardware type's default), or null when unknown. */
export function consoleInterfaceOf(node: NodeRecord): ConsoleInterface | null {
  if (node.consoleInterface) return getInterface("console", node.consoleInterface) ?? null;
  try {
    return interfacesFor(node).console;
  } catch {
    return null;
  }
}

/** What the node's console interface relays, or null (no-console, fake, unknown). */
export function consoleSourceOf(node: NodeRecord): ConsoleSource | null {
  return consoleInterfaceOf(node)?.source ?? null;
}

export function consoleKindOf(node: NodeRecord): ConsoleKind | null {
  return consoleSourceOf(node)?.kind ?? null;
}

/** The serial console of a node, or null when its console interface is not a serial one. */
export async function acquireSerial(node: NodeRecord): Promise<SerialLease | null> {
  const source = consoleSourceOf(node);
  return source?.kind === "serial" ? source.open(node) : null;
}

/**
 * Serves or relays the node's graphical console on `stream`, which carries the client's RFB bytes
 * both ways. Null when the console interface is not a graphical one.
 */
export async function attachGraphical(node: NodeRecord, stream: Duplex): Promise<GraphicalSession | null> {
  const source = consoleSourceOf(node);
  return source?.kind === "graphical" ? source.attach(node, stream) : null;
}
