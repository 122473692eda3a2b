// What a console source is, for the console interfaces that provide one (ConsoleInterface.source
// in drivers/base.ts) and for what uses them (sources.ts, log.ts, the websocket relays). Types
// only: drivers import this without importing the console machinery or each other.
import type { Duplex } from "node:stream";
import type { ConsoleKind } from "../../shared/consoles.ts";
import type { NodeRecord } from "../db/nodes.ts";

/** Serial or graphical: lib/shared/consoles.ts, where the node page reads each interface's kind. */
export type { ConsoleKind };

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

/** Why a graphical source ended, when it can say (e.g. the BMC's close reason): the relay passes it on. */
export interface GraphicalCloseReason {
  code: number;
  reason: string;
}

export interface GraphicalSession {
  close(): void;
  onClose(fn: (why?: GraphicalCloseReason) => void): void;
}

/** A serial console Ingot relays: one channel per node, shared by every viewer and the console log. */
export interface SerialConsoleSource {
  readonly kind: "serial";
  /**
   * The console is outside Ingot (a TCP serial port, a BMC's SOL): Ingot connects only while the
   * console is enabled, the console log capture too (an IPMI SOL session is exclusive on the BMC).
   */
  readonly external: boolean;
  /** Opens (or shares) the node's serial channel; release the lease when done. */
  open(node: NodeRecord): Promise<SerialLease>;
}

/** A graphical console Ingot relays: RFB (VNC) on a stream the caller owns, both ways. */
export interface GraphicalConsoleSource {
  readonly kind: "graphical";
  /** Serves or relays the node's graphical console on `stream` (the client's RFB bytes both ways). */
  attach(node: NodeRecord, stream: Duplex): Promise<GraphicalSession>;
}

export type ConsoleSource = SerialConsoleSource | GraphicalConsoleSource;
