// A node's volume connectors and targets (API 1.32) as the storage interfaces and the deploy flow
// see them, and the boot-from-volume rules (reference §2.11 / §10, Ironic's cinder/external storage).
import type { Dict, NodeRecord } from "./db/nodes.ts";
import type { Sql } from "./db/sql.ts";
import { parseJson } from "./db/sql.ts";
import { Invalid } from "./errors.ts";

export interface VolumeTargetInfo {
  uuid: string;
  volume_type: string;
  volume_id: string;
  boot_index: number;
  properties: Dict;
}

export interface VolumeConnectorInfo {
  uuid: string;
  type: string;
  connector_id: string;
}

/** driver_internal_info key the conductor sets while a node is deployed to boot from a volume. */
export const BOOT_FROM_VOLUME_KEY = "boot_from_volume";

/** The boot device set for a node booting from a volume (iPXE `sanboot`, as Ironic's pxe/ipxe boot does). */
export const BOOT_FROM_VOLUME_DEVICE = "pxe";

export interface BootVolume {
  volume_id: string;
  volume_type: string;
  target_uuid: string;
}

/** The boot volume of the node's current deployment (null: the image is written to local disk). */
export function bootVolumeOf(task: { node: NodeRecord }): BootVolume | null {
  const v = task.node.driverInternalInfo[BOOT_FROM_VOLUME_KEY];
  return v && typeof v === "object" && !Array.isArray(v) ? (v as unknown as BootVolume) : null;
}

export async function volumeTargets(sql: Sql, nodeId: number): Promise<VolumeTargetInfo[]> {
  const rows = await sql.all<{ uuid: string; volumeType: string; volumeId: string; bootIndex: number; properties: unknown }>(
    `SELECT "uuid", "volumeType", "volumeId", "bootIndex", "properties" FROM "VolumeTarget" WHERE "nodeId" = ? ORDER BY "bootIndex", "id"`,
    [nodeId],
  );
  return rows.map((r) => ({
    uuid: r.uuid, volume_type: r.volumeType, volume_id: r.volumeId, boot_index: Number(r.bootIndex), properties: parseJson(r.properties, {}),
  }));
}

export async function volumeConnectors(sql: Sql, nodeId: number): Promise<VolumeConnectorInfo[]> {
  const rows = await sql.all<{ uuid: string; type: string; connectorId: string }>(
    `SELECT "uuid", "type", "connectorId" FROM "VolumeConnector" WHERE "nodeId" = ? ORDER BY "id"`,
    [nodeId],
  );
  return rows.map((r) => ({ uuid: r.uuid, type: r.type, connector_id: r.connectorId }));
}

export const bootTarget = (targets: VolumeTargetInfo[]) => targets.find((t) => t.boot_index === 0);

/**
 * Ironic's rule (storage/cinder.py, storage/external.py `should_write_image`): the image is written
 * unless instance_info has no image_source and the node has a volume target with boot_index 0.
 */
export async function imageWriteNeeded(sql: Sql, node: NodeRecord): Promise<boolean> {
  if (node.instanceInfo?.image_source !== undefined) return true;
  return !bootTarget(await volumeTargets(sql, node.id));
}

/**
 * Whether the node is explicitly asked to boot from a volume: instance_info.boot_from_volume, or
 * the `boot_from_volume:true` capability (instance_info.capabilities, as Nova passes flavor ones).
 */
export function bootFromVolumeRequested(node: NodeRecord): boolean {
  const info = node.instanceInfo ?? {};
  const truthy = (v: unknown) => v === true || (typeof v === "string" && v.toLowerCase() === "true");
  if (truthy(info.boot_from_volume)) return true;
  let caps = info.capabilities;
  if (typeof caps === "string") caps = parseJson<Dict>(caps, {});
  return !!caps && typeof caps === "object" && truthy((caps as Dict).boot_from_volume);
}

/** Connector types that can reach a target of the given volume type (Ironic's cinder validation). */
const CONNECTORS_FOR: Record<string, string[]> = { iscsi: ["iqn"], fibre_channel: ["wwpn", "wwnn"] };

/**
 * The storage interfaces' validation: a node asked to boot from a volume (see
 * bootFromVolumeRequested) must have a volume target with boot_index 0. Throws Invalid (→ 400).
 */
export async function requireBootTarget(sql: Sql, node: NodeRecord, storageName: string): Promise<void> {
  if (!bootFromVolumeRequested(node)) return;
  if (bootTarget(await volumeTargets(sql, node.id))) return;
  throw new Invalid(
    `Failed to validate ${storageName} storage interface for node ${node.uuid}: it is set to boot from volume but has no volume target with boot_index 0 (create one with POST /v1/volume/targets).`,
  );
}

/**
 * The conductor's check before a boot-from-volume deployment is accepted (throws Invalid → 400):
 * the node needs a volume connector, of a type that reaches its boot target.
 */
export async function checkVolumeConnectors(sql: Sql, node: NodeRecord, storageName: string): Promise<VolumeTargetInfo> {
  const boot = bootTarget(await volumeTargets(sql, node.id));
  if (!boot) throw new Invalid(`Node ${node.uuid} is set to boot from volume but has no volume target with boot_index 0.`);
  const connectors = await volumeConnectors(sql, node.id);
  if (connectors.length === 0) {
    throw new Invalid(
      `Node ${node.uuid} is set to boot from volume ${boot.volume_id} (volume target ${boot.uuid}, storage interface "${storageName}") but has no volume connector; create one with POST /v1/volume/connectors.`,
    );
  }
  const wanted = CONNECTORS_FOR[boot.volume_type];
  if (wanted && !connectors.some((c) => wanted.includes(c.type))) {
    throw new Invalid(
      `Node ${node.uuid} cannot boot from ${boot.volume_type} volume ${boot.volume_id}: it needs a volume connector of type ${wanted.join(" or ")} (it has ${connectors.map((c) => c.type).join(", ")}).`,
    );
  }
  return boot;
}
