// The one visibility rule of node data for a project (Ironic's owner/lessee rule): a project sees
// the nodes it owns or leases, and what hangs off them (ports, port groups, volume connectors and
// targets, allocations). Whether a caller is limited to a project at all is policy's answer
// (lib/core/policy.ts: the *:list_all rules); this is the SQL every list and lookup then uses.
import type { SqlValue } from "./sql.ts";

export interface SqlFragment {
  text: string;
  params: SqlValue[];
}

/** Rows of nodes `project` owns or leases; `node` is the Node table's alias in the query (none: unqualified). */
export function visibleTo(project: string, node?: string): SqlFragment {
  const q = node ? `${node}.` : "";
  return { text: `(${q}"owner" = ? OR ${q}"lessee" = ?)`, params: [project, project] };
}
