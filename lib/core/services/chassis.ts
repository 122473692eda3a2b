// Chassis use cases (reference §2.7): policy, existence and the rules of each write; the API
// parses and renders. Errors are the API's.
import { randomUUID } from "node:crypto";
import {
  countChassisNodes, deleteChassisRow, findChassis, insertChassis, pageChassis, updateChassis, type ChassisRecord,
} from "../db/chassis.ts";
import { getNodeByUuid, listNodes, type ListOptions, type NodeRecord } from "../db/nodes.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
import { isUniqueViolation } from "../db/unique.ts";
import { Conflict, Invalid, NodeNotFound, NotFound } from "../errors.ts";
import type { Principal } from "../policy.ts";
import { isUuidLike } from "../uuid.ts";
import { allow } from "./access.ts";

export type { ChassisRecord };

function notFound(ident: string): NotFound {
  return new NotFound(`Chassis ${ident} could not be found.`);
}

async function load(ident: string): Promise<ChassisRecord> {
  if (!isUuidLike(ident)) throw new Invalid(`Expected UUID for chassis_uuid: ${ident}`);
  const row = await findChassis(await sql(), ident);
  if (!row) throw notFound(ident);
  return row;
}

/** The chassis `ident` for a caller who passes `rule` (get, update or delete: checked first). */
export async function getChassis(principal: Principal, ident: string, rule = "baremetal:chassis:get"): Promise<ChassisRecord> {
  allow(rule, principal);
  return load(ident);
}

/** The chassis whose nodes are listed (it must exist before the caller's rights are looked at). */
export async function chassisForNodeList(principal: Principal, ident: string): Promise<ChassisRecord> {
  const row = await load(ident);
  allow("baremetal:chassis:get", principal);
  allow("baremetal:node:list", principal);
  return row;
}

export async function listChassis(principal: Principal, page: PageRequest, marker: string | null): Promise<ChassisRecord[]> {
  allow("baremetal:chassis:get", principal);
  const rows = await pageChassis(await sql(), page, marker ?? undefined);
  if (!rows) throw notFound(marker!);
  return rows;
}

export async function createChassis(principal: Principal, input: { uuid?: string; description: string | null; extra: unknown }): Promise<ChassisRecord> {
  allow("baremetal:chassis:create", principal);
  const uuid = input.uuid ?? randomUUID();
  try {
    return await insertChassis(await sql(), { uuid, description: input.description, extra: input.extra });
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`Chassis with UUID ${uuid} already exists.`);
    throw err;
  }
}

export async function changeChassis(principal: Principal, row: ChassisRecord, changes: { description?: string | null; extra?: unknown }): Promise<ChassisRecord> {
  allow("baremetal:chassis:update", principal);
  return updateChassis(await sql(), row.id, changes);
}

export async function deleteChassis(principal: Principal, row: ChassisRecord): Promise<void> {
  allow("baremetal:chassis:delete", principal);
  const db = await sql();
  if ((await countChassisNodes(db, row.id)) > 0) throw new Invalid(`Cannot complete the requested action because chassis ${row.uuid} contains nodes.`);
  await deleteChassisRow(db, row.id);
}

/** A page of the chassis' nodes (every node, children included) after the node `marker`. */
export async function chassisNodes(
  principal: Principal, row: ChassisRecord, page: Omit<ListOptions, "filter" | "marker">, marker: string | null,
): Promise<NodeRecord[]> {
  allow("baremetal:node:list", principal);
  const db = await sql();
  let markerNode: NodeRecord | undefined;
  if (marker !== null) {
    markerNode = (await getNodeByUuid(db, marker)) ?? undefined;
    if (!markerNode) throw new NodeNotFound(marker);
  }
  return listNodes(db, { ...page, filter: { chassisId: row.id, includeChildren: true }, marker: markerNode });
}
