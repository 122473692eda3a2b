// The node and its ports as the agent is given them with each step command (Ironic sends
// node.as_dict(secure=True) and the ports): the agent reads properties.root_device,
// instance_info and the uuid; secrets are masked.
import { parseJson, toBool } from "../db/sql.ts";
import type { Dict, NodeRecord } from "../db/nodes.ts";
import type { Sql } from "../db/sql.ts";
import { maskSecrets } from "../secrets.ts";

export function agentNodeDict(node: NodeRecord): Dict {
  return {
    uuid: node.uuid,
    name: node.name,
    driver: node.driver,
    provision_state: node.provisionState,
    target_provision_state: node.targetProvisionState,
    power_state: node.powerState,
    resource_class: node.resourceClass,
    instance_uuid: node.instanceUuid,
    properties: node.properties ?? {},
    instance_info: maskSecrets(node.instanceInfo ?? {}),
    driver_info: maskSecrets(node.driverInfo ?? {}),
    driver_internal_info: maskSecrets(node.driverInternalInfo ?? {}),
    extra: node.extra ?? {},
  };
}

export async function agentPortDicts(sql: Sql, nodeId: number): Promise<Dict[]> {
  const rows = await sql.all<{ uuid: string; address: string; pxeEnabled: unknown; localLinkConnection: unknown; physicalNetwork: string | null; extra: unknown }>(
    `SELECT "uuid", "address", "pxeEnabled", "localLinkConnection", "physicalNetwork", "extra" FROM "Port" WHERE "nodeId" = ? ORDER BY "id"`,
    [nodeId],
  );
  return rows.map((r) => ({
    uuid: r.uuid, address: r.address, pxe_enabled: toBool(r.pxeEnabled),
    local_link_connection: parseJson(r.localLinkConnection, {}), physical_network: r.physicalNetwork, extra: parseJson(r.extra, {}),
  }));
}
