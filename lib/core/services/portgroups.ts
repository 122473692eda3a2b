// Port group use cases for the API's portgroup module (lib/api/v1/portgroups.ts), which parses in
// Ironic's order and calls these at each step: they check policy (concealing what the caller may
// not see) and the rules of each write; the SQL is lib/core/db/portgroups.ts.
import { findNode, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import {
  deletePortgroupRow, insertPortgroup, pagePortgroups, portgroupAddressTaken, portgroupById, portgroupByName, portgroupByUuid,
  portgroupNameTaken, updatePortgroup, type PortgroupChanges, type PortgroupRow,
} from "../db/portgroups.ts";
import { countPortgroupPorts } from "../db/ports.ts";
import { sql } from "../db/sql.ts";
import { Invalid, NotFound } from "../errors.ts";
import type { Principal } from "../policy.ts";
import { isUuidLike } from "../uuid.ts";
import { allow, allowOrConceal, listScope } from "./access.ts";

export type { PortgroupChanges, PortgroupRow };

/** The port group with this uuid or name. */
export async function portgroupNamed(ident: string): Promise<PortgroupRow | undefined> {
  const db = await sql();
  return isUuidLike(ident) ? portgroupByUuid(db, ident) : portgroupByName(db, ident);
}

export async function portgroupWithUuid(uuid: string): Promise<PortgroupRow | undefined> {
  return portgroupByUuid(await sql(), uuid);
}

export async function listPortgroupPage(
  filter: { nodeId?: number; address?: string; project?: string | null }, page: PageRequest, marker?: PortgroupRow,
): Promise<PortgroupRow[]> {
  return pagePortgroups(await sql(), filter, page, marker);
}

/** A node by uuid (or name when `byName`), before the caller's rights are looked at. */
export async function portgroupNode(ident: string, byName: boolean): Promise<NodeRecord | null> {
  return findNode(await sql(), ident, byName);
}

export async function nameTaken(name: string, exceptId: number | null): Promise<boolean> {
  return portgroupNameTaken(await sql(), name, exceptId);
}

export async function addressTaken(address: string, exceptId: number | null): Promise<boolean> {
  return portgroupAddressTaken(await sql(), address, exceptId);
}

/** A port group with ports can neither move to another node nor go. */
export async function requireNoPorts(row: Pick<PortgroupRow, "id" | "uuid">): Promise<void> {
  if ((await countPortgroupPorts(await sql(), row.id)) > 0) {
    throw new Invalid(`Cannot complete the requested action because portgroup ${row.uuid} contains ports.`);
  }
}

export async function createPortgroupRow(uuid: string, values: PortgroupChanges & { nodeId: number }): Promise<PortgroupRow> {
  const db = await sql();
  await insertPortgroup(db, uuid, values);
  return (await portgroupByUuid(db, uuid))!;
}

export async function changePortgroup(id: number, changes: PortgroupChanges): Promise<PortgroupRow> {
  const db = await sql();
  await updatePortgroup(db, id, changes);
  return (await portgroupById(db, id))!;
}

export async function removePortgroup(id: number): Promise<void> {
  await deletePortgroupRow(await sql(), id);
}

/** The project whose port groups the caller may list (null: all), checked before the list's parameters. */
export function portgroupListProject(principal: Principal): string | null {
  return listScope(principal, "baremetal:portgroup:list", "baremetal:portgroup:list_all");
}

/**
 * The port group `ident` (uuid or name) if the caller may see it, and, when `rule` is given, may act
 * on it (403); a project-scoped caller who may not see it gets 404.
 */
export async function visiblePortgroup(principal: Principal, ident: string, rule?: string): Promise<PortgroupRow> {
  const row = await portgroupNamed(ident);
  if (!row) throw new NotFound(`Portgroup ${ident} could not be found.`);
  const target = { owner: row.nodeOwner, lessee: row.nodeLessee };
  allowOrConceal("baremetal:portgroup:get", principal, target, () => new NotFound(`Portgroup ${ident} could not be found.`));
  if (rule) allow(rule, principal, target);
  return row;
}

/** Deletes the port group `ident` if it has no ports. */
export async function deletePortgroup(principal: Principal, ident: string): Promise<void> {
  const row = await visiblePortgroup(principal, ident, "baremetal:portgroup:delete");
  await requireNoPorts(row);
  await removePortgroup(row.id);
}
