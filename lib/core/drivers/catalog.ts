// Every hardware type and interface implementation registered in this process, and the lookups
// the conductor and the API use. registry.ts registers Ingot's driver modules and re-exports all
// of this: import registry.ts. Only an implementation that looks up a node's other interfaces
// (the generic ramdisk deploy) imports this module, which imports no driver.
import { config } from "../config.ts";
import type { NodeRecord } from "../db/nodes.ts";
import { Invalid } from "../errors.ts";
import type { BaseInterface, HardwareType, InterfaceName, InterfaceTypes, NodeInterfaces } from "./base.ts";
import { INTERFACE_NAMES } from "./base.ts";
import type { DriverModule } from "./registry_types.ts";

export type { HardwareType, InterfaceName, NodeInterfaces } from "./base.ts";

const hardwareTypes = new Map<string, HardwareType>();
const implementations = new Map<InterfaceName, Map<string, BaseInterface>>(INTERFACE_NAMES.map((k) => [k, new Map()]));

export function registerDriverModule(mod: DriverModule): void {
  for (const impl of mod.interfaces) implementations.get(impl.kind)!.set(impl.name, impl);
  for (const type of mod.hardwareTypes) hardwareTypes.set(type.name, type);
}

/** Enabled hardware type names (config INGOT_ENABLED_HARDWARE_TYPES ∩ known), sorted. */
export function hardwareTypeNames(): string[] {
  return config().enabledHardwareTypes.filter((n) => hardwareTypes.has(n)).sort();
}

/** An enabled hardware type, or undefined. */
export function getHardwareType(name: string): HardwareType | undefined {
  return hardwareTypeNames().includes(name) ? hardwareTypes.get(name) : undefined;
}

function requireHardwareType(driver: string): HardwareType {
  const type = getHardwareType(driver);
  if (!type) {
    throw new Invalid(
      `No valid host was found. Reason: No conductor service registered which supports driver ${driver} for conductor group "${config().conductorGroup}".`,
    );
  }
  return type;
}

export type InterfaceFields = { driver: string } & Partial<Record<`${InterfaceName}Interface`, string | null>>;

/** The implementation name per interface kind for a node (unset fields → the type's default). */
export function resolveInterfaces(node: InterfaceFields): Record<InterfaceName, string> {
  const type = requireHardwareType(node.driver);
  const out = {} as Record<InterfaceName, string>;
  for (const kind of INTERFACE_NAMES) {
    const value = node[`${kind}Interface`];
    out[kind] = value ?? type.supported[kind][0];
  }
  return out;
}

/** Default implementation of one kind for a hardware type. */
export function defaultInterface(driver: string, kind: InterfaceName): string {
  return requireHardwareType(driver).supported[kind][0];
}

const pyList = (names: string[]) => `[${names.map((n) => `'${n}'`).join(", ")}]`;

/** Throws Invalid unless `value` is an implementation of `kind` the hardware type supports. */
export function checkInterfaceValue(driver: string, kind: InterfaceName, value: string): void {
  const type = requireHardwareType(driver);
  const supported = type.supported[kind];
  // Ironic words both "unknown" and "not enabled for this type" the same way.
  if (supported.includes(value) && implementations.get(kind)!.has(value)) return;
  throw new Invalid(
    `Could not find the following interface in the 'ironic.hardware.interfaces.${kind}' entrypoint: ${value}. Valid interfaces are ${pyList(supported)}.`,
  );
}

/** Driver properties (name → description) for GET /v1/drivers/{name}/properties. */
export function driverProperties(driver: string): Record<string, string> {
  const type = requireHardwareType(driver);
  const out: Record<string, string> = {};
  for (const kind of INTERFACE_NAMES) {
    const impl = implementations.get(kind)!.get(type.supported[kind][0]);
    Object.assign(out, impl?.properties ?? {});
  }
  return { ...out, ...(type.properties ?? {}) };
}

export type DriverDetail = Record<`default_${InterfaceName}_interface`, string> &
  Record<`enabled_${InterfaceName}_interfaces`, string[]>;

/** default_<kind>_interface / enabled_<kind>_interfaces for all 13 kinds (the API hides firmware < 1.86). */
export function driverDetail(driver: string): DriverDetail {
  const type = requireHardwareType(driver);
  const out: Record<string, unknown> = {};
  for (const kind of INTERFACE_NAMES) {
    out[`default_${kind}_interface`] = type.supported[kind][0];
    out[`enabled_${kind}_interfaces`] = [...type.supported[kind]];
  }
  return out as DriverDetail;
}

/** One implementation by kind and name (undefined if unknown). */
export function getInterface<K extends InterfaceName>(kind: K, name: string): InterfaceTypes[K] | undefined {
  return implementations.get(kind)!.get(name) as InterfaceTypes[K] | undefined;
}

/** The interface objects a node uses. Throws Invalid for an unknown driver or implementation. */
export function interfacesFor(node: InterfaceFields | NodeRecord): NodeInterfaces {
  const names = resolveInterfaces(node as InterfaceFields);
  const out = {} as Record<InterfaceName, BaseInterface>;
  for (const kind of INTERFACE_NAMES) {
    const impl = implementations.get(kind)!.get(names[kind]);
    if (!impl) checkInterfaceValue(node.driver, kind, names[kind]);
    out[kind] = impl!;
  }
  return out as NodeInterfaces;
}
