// Storage of single-request deployments (lib/api/v1/deployments.ts, which keeps the order of
// checks and the conductor calls): a deployment is an Allocation row whose uuid is the
// deployment's and whose `extra` carries DEPLOYMENT_KEY, attached to its node.
import {
  getAllocation, insertAllocation, processAllocation, rowToAllocation, type AllocationRecord, type NewAllocation,
} from "../allocations.ts";
import {
  allocationRowByUuid, deleteAllocationRow, instanceUuidTaken, moveVolumes, pageDeploymentRows, releaseAllocation, restoreAllocationNode,
  setAllocationNode, vifsByNode, volumeTargetCount, type DeploymentFilter,
} from "../db/deployments.ts";
import { findNode, getNodeById, getNodesByIds, updateNode, type NodeChanges, type NodeRecord, type UpdateOptions } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
import { Conflict, NodeLocked, NodeNotFound, NotFound } from "../errors.ts";
import { isUuidLike } from "../uuid.ts";

export type { DeploymentFilter };

/** The key in Allocation.extra that marks an allocation as a deployment's record. */
export const DEPLOYMENT_KEY = "ingot_deployment";

/** A deployment: its allocation record and its node. */
export interface Deployment {
  alloc: AllocationRecord;
  node: NodeRecord;
}

function isDeployment(alloc: AllocationRecord): boolean {
  return Object.prototype.hasOwnProperty.call(alloc.extra, DEPLOYMENT_KEY);
}

/** The deployment with this uuid or name and its node, or null; visibility is the caller's. */
export async function deploymentNamed(ident: string): Promise<Deployment | null> {
  const db = await sql();
  const alloc = isUuidLike(ident) ? await getAllocation(db, "uuid", ident.toLowerCase()) : await getAllocation(db, "name", ident);
  if (!alloc || !isDeployment(alloc) || alloc.nodeId === null) return null;
  const node = await getNodeById(db, alloc.nodeId);
  return node ? { alloc, node } : null;
}

/** A node by uuid or name, before the caller's rights are looked at. */
export async function deploymentNode(ident: string): Promise<NodeRecord | null> {
  return findNode(await sql(), ident, true);
}

export async function deploymentNodeById(id: number): Promise<NodeRecord | null> {
  return getNodeById(await sql(), id);
}

/** VIF ids recorded on the ports/portgroups of these nodes. */
export async function recordedVifs(nodeIds: number[]): Promise<Map<number, string[]>> {
  return vifsByNode(await sql(), nodeIds);
}

/** The deployment as stored now (after a change). */
export async function reloadDeployment(alloc: AllocationRecord, nodeId: number): Promise<Deployment> {
  const db = await sql();
  const a = (await getAllocation(db, "id", alloc.id)) ?? alloc;
  const node = await getNodeById(db, nodeId);
  if (!node) throw new NodeNotFound(String(nodeId));
  return { alloc: a, node };
}

/** 409 when the uuid or name is used by an allocation, or the uuid by a node's instance. */
export async function checkDeploymentFree(uuid: string, name: string | undefined): Promise<void> {
  const db = await sql();
  if (await getAllocation(db, "uuid", uuid)) throw new Conflict(`A deployment or allocation with UUID ${uuid} already exists.`);
  if (await instanceUuidTaken(db, uuid)) throw new Conflict(`Instance ${uuid} is already associated with a node.`);
  if (name !== undefined && (await getAllocation(db, "name", name))) throw new Conflict(`A deployment or allocation with name ${name} already exists.`);
}

export async function newDeploymentAllocation(a: NewAllocation): Promise<AllocationRecord> {
  return insertAllocation(await sql(), a);
}

/** Runs the allocation's matching now; the allocation as it ends up. */
export async function allocateNow(allocId: number): Promise<AllocationRecord | null> {
  return processAllocation(await sql(), allocId);
}

export async function dropAllocation(allocId: number): Promise<void> {
  await deleteAllocationRow(await sql(), allocId);
}

/** Undoes an allocation made for a deployment that could not proceed (and the node's claim on it). */
export async function releaseDeploymentAllocation(alloc: AllocationRecord, node: NodeRecord | null): Promise<void> {
  await releaseAllocation(await sql(), alloc, node);
}

/** Writes the node; null when the options' expectations failed. */
export async function writeDeploymentNode(id: number, changes: NodeChanges, opts?: UpdateOptions): Promise<NodeRecord | null> {
  return updateNode(await sql(), id, changes, opts);
}

export async function placeAllocation(allocId: number, nodeId: number, state: string): Promise<void> {
  await setAllocationNode(await sql(), allocId, nodeId, state);
}

/** A page of deployments, after the deployment with uuid `marker`, with their nodes and recorded VIFs. */
export async function listDeploymentPage(
  filter: DeploymentFilter, page: PageRequest, marker: string | null,
): Promise<{ allocs: AllocationRecord[]; nodes: Map<number, NodeRecord>; vifs: Map<number, string[]> }> {
  const db = await sql();
  let markerRow: Record<string, unknown> | undefined;
  if (marker !== null) {
    markerRow = await allocationRowByUuid(db, marker);
    if (!markerRow) throw new NotFound(`Deployment ${marker} could not be found.`);
  }
  const rows = await pageDeploymentRows(db, DEPLOYMENT_KEY, filter, page, markerRow);
  const allocs = rows.map(rowToAllocation);
  const nodeIds = allocs.map((a) => a.nodeId!);
  const nodes = new Map<number, NodeRecord>((await getNodesByIds(db, nodeIds)).map((n) => [n.id, n]));
  const vifs = await vifsByNode(db, nodeIds);
  return { allocs, nodes, vifs };
}

export async function volumeTargetsOn(nodeId: number): Promise<number> {
  return volumeTargetCount(await sql(), nodeId);
}

/**
 * Moves the deployment `d` from its node to `to` in one transaction: the instance, its
 * allocation and its volumes. `toVersion` is the target's version the caller checked.
 */
export async function transferDeployment(d: Deployment, to: NodeRecord, toVersion: number, instanceInfo: Record<string, unknown>): Promise<void> {
  const from = d.node;
  await (await sql()).tx(async (tx) => {
    const old = await updateNode(tx, from.id, { instanceUuid: null, allocationId: null }, { expectReservation: null });
    if (!old) throw new NodeLocked(from.uuid, "another conductor");
    const fresh = await updateNode(tx, to.id, {
      instanceUuid: d.alloc.uuid, allocationId: d.alloc.id, instanceInfo, instanceName: from.instanceName,
    }, { expectReservation: null, expectVersion: toVersion });
    if (!fresh) throw new Conflict(`Node ${to.uuid} was modified concurrently, please retry.`);
    await setAllocationNode(tx, d.alloc.id, to.id);
    await moveVolumes(tx, from.id, to.id, true);
  });
}

/** Puts a deployment whose move failed back on its node, nodes as they were read before (best effort). */
export async function undoTransfer(d: Deployment, to: NodeRecord): Promise<void> {
  const from = d.node;
  await (await sql()).tx(async (tx) => {
    await moveVolumes(tx, to.id, from.id, false);
    await updateNode(tx, to.id, { instanceUuid: null, allocationId: null, instanceInfo: to.instanceInfo, instanceName: to.instanceName });
    await updateNode(tx, from.id, { instanceUuid: d.alloc.uuid, allocationId: d.alloc.id, instanceInfo: from.instanceInfo, instanceName: from.instanceName });
    await restoreAllocationNode(tx, d.alloc.id, from.id);
  }).catch(() => undefined);
}
