// Node use cases other than state changes (lib/core/services/node_states.ts) and consoles
// (console.ts): what the API's node sub-resources and the dashboard read and write.
import type { StepKind } from "../states.ts";
import { listFirmware, type FirmwareRow } from "../db/firmware.ts";
import { getNodeById, listNodes, type NodeRecord } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { publishNodeChange } from "../events.ts";
import { authorize, type Principal } from "../policy.ts";
import { readStepCache, refreshStepCache, type StepCache } from "../steps.ts";
import { allow } from "./access.ts";

/**
 * Tells open dashboards about a write the API made itself (PATCH, traits, VIFs, …), as the
 * conductor does for its own changes.
 */
export async function publishNodeWrite(nodeId: number): Promise<void> {
  const fresh = await getNodeById(await sql(), nodeId);
  if (fresh) publishNodeChange(fresh);
}

/** The node's children the caller may see (traits loaded only when `withTraits`). */
export async function childNodes(principal: Principal, node: NodeRecord, withTraits: boolean): Promise<NodeRecord[]> {
  const children = await listNodes(await sql(), { filter: { parentNode: node.uuid }, withoutTraits: !withTraits });
  return children.filter((n) => authorize("baremetal:node:get", principal, n));
}

export async function firmwareComponents(principal: Principal, node: NodeRecord): Promise<FirmwareRow[]> {
  allow("baremetal:node:get", principal, node);
  return listFirmware(await sql(), node.id);
}

/** The node's available steps of one kind: as cached, or recomputed now (`refresh`). */
export async function availableSteps(principal: Principal, node: NodeRecord, kind: StepKind, refresh: boolean): Promise<StepCache> {
  if (!refresh) {
    allow("baremetal:node:get", principal, node);
    return readStepCache(await sql(), node, kind);
  }
  allow("baremetal:node:set_provision_state", principal, node);
  return refreshStepCache(await sql(), node, kind);
}
