// Dashboard queries for one node's page (the fleet table reads GET /v1/fleet, lib/core/fleet.ts).
import { findNode, type NodeRecord } from "../core/db/nodes.ts";
import { parseJson, sql, toBool, toDate } from "../core/db/sql.ts";
import { authorize, type Principal } from "../core/policy.ts";

export async function projectNames(): Promise<Map<string, string>> {
  const db = await sql();
  const rows = await db.all<{ id: string; name: string }>(`SELECT "id", "name" FROM "Project"`);
  return new Map(rows.map((r) => [r.id, r.name]));
}

export interface PortRow {
  uuid: string;
  address: string;
  pxeEnabled: boolean;
  physicalNetwork: string | null;
  localLinkConnection: Record<string, unknown>;
}

export interface HistoryRow {
  uuid: string;
  createdAt: Date | null;
  event: string;
  eventType: string;
  severity: string;
  user: string | null;
  state: string | null;
  targetProvisionState: string | null;
  durationSeconds: number | null;
  conductor: string | null;
}

export interface NodeView {
  node: NodeRecord;
  ports: PortRow[];
  /** null when the viewer may not read the history (lessees). */
  history: HistoryRow[] | null;
  canSeeDriverInfo: boolean;
  canSeeLastError: boolean;
  projects: Map<string, string>;
}

/** A node's page data, or null when it does not exist or the viewer may not see it. */
export async function nodeView(who: Principal, ident: string): Promise<NodeView | null> {
  const db = await sql();
  const node = await findNode(db, ident, true);
  if (!node || !authorize("baremetal:node:get", who, node)) return null;
  const canHistory = authorize("baremetal:node:history:get", who, node);
  const [portRows, historyRows, projects] = await Promise.all([
    db.all(`SELECT "uuid", "address", "pxeEnabled", "physicalNetwork", "localLinkConnection" FROM "Port" WHERE "nodeId" = ? ORDER BY "address"`, [node.id]),
    canHistory
      ? db.all(
          `SELECT "uuid", "createdAt", "event", "eventType", "severity", "user", "state", "targetProvisionState", "durationSeconds", "conductor"
             FROM "NodeHistory" WHERE "nodeId" = ? ORDER BY "createdAt", "id"`, [node.id])
      : Promise.resolve(null),
    projectNames(),
  ]);
  return {
    node,
    ports: portRows.map((p) => ({
      uuid: String(p.uuid),
      address: String(p.address),
      pxeEnabled: toBool(p.pxeEnabled),
      physicalNetwork: (p.physicalNetwork as string | null) ?? null,
      localLinkConnection: parseJson(p.localLinkConnection, {}),
    })),
    history: historyRows
      ? historyRows.map((h) => ({
          uuid: String(h.uuid),
          createdAt: toDate(h.createdAt),
          event: String(h.event),
          eventType: String(h.eventType),
          severity: String(h.severity),
          user: (h.user as string | null) ?? null,
          state: (h.state as string | null) ?? null,
          targetProvisionState: (h.targetProvisionState as string | null) ?? null,
          durationSeconds: h.durationSeconds === null || h.durationSeconds === undefined ? null : Number(h.durationSeconds),
          conductor: (h.conductor as string | null) ?? null,
        }))
      : null,
    canSeeDriverInfo: authorize("baremetal:node:get:driver_info", who, node),
    canSeeLastError: authorize("baremetal:node:get:last_error", who, node),
    projects,
  };
}

// Secrets: the core's masking (driver_info / instance_info passwords always read "******").
export { MASK, maskInstanceInfo, maskSecrets } from "../core/secrets.ts";
