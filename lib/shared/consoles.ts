// Console kinds: what each console interface shows in the dashboard and relays over its websocket
// (docs/consoles.md) — a byte stream (serial) or a screen (graphical, RFB). The server opens the
// console by the same table the node page decides what to show by.

export type ConsoleKind = "serial" | "graphical";

export const CONSOLE_INTERFACE_KINDS: Readonly<Record<string, ConsoleKind>> = {
  "sim-serial": "serial",
  "tcp-serial": "serial",
  "ipmitool-sol": "serial",
  "sim-graphical": "graphical",
  "vnc-graphical": "graphical",
  "redfish-graphical": "graphical",
};

/** The kind of a console interface, or null for interfaces without a console Ingot relays (no-console, fake). */
export function consoleKindOfInterface(name: string | null | undefined): ConsoleKind | null {
  if (!name || !Object.prototype.hasOwnProperty.call(CONSOLE_INTERFACE_KINDS, name)) return null;
  return CONSOLE_INTERFACE_KINDS[name];
}
