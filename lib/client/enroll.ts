// Calls behind enrolling a node and checking it: hardware types and their properties, creating the
// node and its ports, validation and the inspected inventory. All public API (the CLI's calls).
import type { IngotClient } from "./api.ts";
import type { ApiDriver, ApiNode, ApiPort, ApiValidation, Dict } from "../shared/wire.ts";

const enc = encodeURIComponent;

/** Query keys: driver data is not node data (no live invalidation); per-node parts live under ["node", uuid]. */
export const enrollKeys = {
  drivers: ["drivers"] as const,
  driver: (name: string) => ["drivers", name, "detail"] as const,
  properties: (name: string) => ["drivers", name, "properties"] as const,
  /** Keyed by what the result depends on (see ValidatePanel), outside ["node", uuid]: a live event does not re-run it. */
  validate: (uuid: string, fingerprint: string) => ["validate", uuid, fingerprint] as const,
  inventory: (uuid: string) => ["node", uuid, "inventory"] as const,
};

/** The hardware types enabled on at least one alive conductor. */
export async function listDrivers(api: IngotClient): Promise<ApiDriver[]> {
  const r = await api.get<{ drivers: ApiDriver[] }>("/drivers", { query: { type: "dynamic" } });
  return r.drivers;
}

/** default_<kind>_interface / enabled_<kind>_interfaces of a hardware type. */
export async function driverDetail(api: IngotClient, name: string): Promise<Dict> {
  return api.get<Dict>(`/drivers/${enc(name)}`, { query: { detail: "true" } });
}

/** driver_info keys the hardware type understands, with their descriptions. */
export async function driverProperties(api: IngotClient, name: string): Promise<Record<string, string>> {
  return api.get<Record<string, string>>(`/drivers/${enc(name)}/properties`);
}

export async function createNode(api: IngotClient, body: Dict): Promise<ApiNode> {
  return api.post<ApiNode>("/nodes", body);
}

export async function createPort(api: IngotClient, nodeUuid: string, address: string): Promise<ApiPort> {
  return api.post<ApiPort>("/ports", { node_uuid: nodeUuid, address });
}

export async function validateNode(api: IngotClient, uuid: string): Promise<ApiValidation> {
  return api.get<ApiValidation>(`/nodes/${enc(uuid)}/validate`);
}

/** Inventory from the last inspection (1.81); a 404 means there is none yet. */
export async function nodeInventory(api: IngotClient, uuid: string): Promise<{ inventory: Dict; plugin_data: Dict }> {
  return api.get<{ inventory: Dict; plugin_data: Dict }>(`/nodes/${enc(uuid)}/inventory`);
}

/** The microversion the inventory endpoint needs. */
export const INVENTORY_MIN_MINOR = 81;
