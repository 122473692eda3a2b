// What of a node a caller below the policy's filter threshold may not read (reference §7.3): the
// texts shown instead, and the view a failed PATCH may quote. The API's serializer
// (lib/api/node_view.ts) and the node services (lib/core/services/nodes.ts) share them.
import type { NodeRecord } from "./db/nodes.ts";
import type { PatchView } from "./jsonpatch.ts";
import { authorize, hasRole, type Principal } from "./policy.ts";
import { ALWAYS_MASKED_INSTANCE_KEYS } from "./secrets.ts";

export const REDACTED_LAST_ERROR = "** Value Redacted - Requires baremetal:node:get:last_error permission. **";
export const REDACTED_RESERVATION = "** Redacted - requires baremetal:node:get:reservation permission. **";
export const REDACTED_DII = { content: "** Redacted - Requires baremetal:node:get:driver_internal_info permission. **" };
export const REDACTED_DRIVER_INFO = { content: "** Redacted - requires baremetal:node:get:driver_info permission. **" };

/** Callers at or above baremetal:node:get:filter_threshold (system reader) see everything. */
export function aboveThreshold(p: Principal): boolean {
  return p.noauth === true || hasRole(p.systemRole, "reader");
}

export function mayReadDriverInfo(n: Pick<NodeRecord, "owner" | "lessee">, p: Principal): boolean {
  return aboveThreshold(p) || authorize("baremetal:node:get:driver_info", p, { owner: n.owner, lessee: n.lessee });
}

/** The node's last_error as GET shows it to `p`: the text, or the redaction notice. */
export function lastErrorSeenBy(n: Pick<NodeRecord, "owner" | "lessee" | "lastError">, p: Principal): string | null {
  if (aboveThreshold(p) || authorize("baremetal:node:get:last_error", p, { owner: n.owner, lessee: n.lessee })) return n.lastError;
  return REDACTED_LAST_ERROR;
}

/**
 * What a failed PATCH may quote of the node's stored fields to this caller: what GET shows it
 * (secrets masked, driver_info redacted for callers who may not read it).
 */
export function nodePatchView(n: NodeRecord, p: Principal): PatchView {
  return {
    hidden: mayReadDriverInfo(n, p) ? {} : { driver_info: REDACTED_DRIVER_INFO },
    alsoMasked: { instance_info: ALWAYS_MASKED_INSTANCE_KEYS },
  };
}
