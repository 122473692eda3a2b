// Serial sources shared by every viewer of a node (a TCP serial connection, an IPMI SOL session).
import type { SerialChannel, SerialLease } from "./sources.ts";

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
