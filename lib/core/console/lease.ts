// Serial sources shared by every viewer of a node (a TCP serial connection, an IPMI SOL session).
import { OffsetRing } from "./ring.ts";
import { consoleSettings } from "./settings.ts";
import type { SerialChannel, SerialLease } from "./types.ts";

/** A lease on a connection shared by every viewer of a node: the last release closes it. */
export function leaseShared(hub: { channel: SerialChannel; refs: number }, close: () => void): SerialLease {
  hub.refs++;
  let released = false;
  return {
    channel: hub.channel,
    release() {
      if (released) return;
      released = true;
      if (--hub.refs <= 0) close();
    },
  };
}

/** A serial channel fed by one connection: kept output for resume, subscribers, close notification. */
export interface FedChannel {
  channel: SerialChannel;
  /** Output from the connection: kept and sent to every subscriber. */
  push(data: Buffer): void;
  /** The connection is gone: onClose callbacks run (once). */
  markClosed(): void;
  readonly closed: boolean;
}

/** `write` receives the keystrokes until the channel is closed. */
export function fedChannel(write: (data: Buffer) => void): FedChannel {
  const ring = new OffsetRing(consoleSettings().resumeBytes);
  const listeners = new Set<(d: Buffer) => void>();
  const closers: (() => void)[] = [];
  let closed = false;
  return {
    channel: {
      end: () => ring.end,
      readFrom: (offset) => ring.readFrom(offset),
      subscribe(fn) {
        listeners.add(fn);
        return () => void listeners.delete(fn);
      },
      write: (d) => void (!closed && write(d)),
      onClose(fn) {
        if (closed) fn();
        else closers.push(fn);
      },
    },
    push(d) {
      ring.append(d);
      for (const l of listeners) l(d);
    },
    markClosed() {
      closed = true;
      for (const fn of closers.splice(0)) fn();
    },
    get closed() {
      return closed;
    },
  };
}
