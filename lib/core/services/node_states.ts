// Node state use cases that are not conductor work or whose refusals come before it.
import { getNodeById, updateNode, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { Invalid, NodeLocked } from "../errors.ts";
import type { Principal } from "../policy.ts";
import { allow } from "./access.ts";

/** Stores the RAID configuration the next clean step builds (PUT …/states/raid). */
export async function setTargetRaidConfig(principal: Principal, node: NodeRecord, config: Record<string, unknown>): Promise<void> {
  allow("baremetal:node:set_raid_state", principal, node);
  if (node.raidInterface === "no-raid") {
    throw new Invalid(`Driver ${node.driver} does not support raid (disabled or not implemented).`);
  }
  if (node.reservation) throw new NodeLocked(node.uuid, node.reservation);
  const db = await sql();
  const updated = await updateNode(db, node.id, { targetRaidConfig: config }, { expectReservation: null });
  if (!updated) {
    const fresh = await getNodeById(db, node.id);
    throw new NodeLocked(node.uuid, fresh?.reservation ?? "unknown");
  }
}
