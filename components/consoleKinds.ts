// Which console interfaces the dashboard can show (plain module: used by server and client components).
/** Console interfaces whose output is a byte stream (the serial websocket). */
export const SERIAL_CONSOLES: readonly string[] = ["sim-serial", "tcp-serial", "ipmitool-sol", "ipmitool-socat"];
/** Console interfaces with a screen (the VNC websocket). */
export const GRAPHICAL_CONSOLES: readonly string[] = ["sim-graphical", "vnc-graphical", "redfish-graphical"];
