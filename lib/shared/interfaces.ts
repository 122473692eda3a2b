// The interface kinds a hardware type is composed of (reference §10): a node has one
// implementation of each, named in its `<kind>_interface` fields.

export const INTERFACE_NAMES = [
  "bios", "boot", "console", "deploy", "firmware", "inspect", "management", "network", "power",
  "raid", "rescue", "storage", "vendor",
] as const;
export type InterfaceName = (typeof INTERFACE_NAMES)[number];
