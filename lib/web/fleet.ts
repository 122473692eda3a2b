// Dashboard queries: the fleet list (paged, only what the viewer may see) and one node's page.
import { findNode, type NodeRecord } from "../core/db/nodes.ts";
import { parseJson, sql, toBool, toDate, type SqlValue } from "../core/db/sql.ts";
import { authorize, isSystemScoped, type Principal } from "../core/policy.ts";

export const PAGE_SIZE = 50;

export interface FleetRow {
  uuid: string;
  name: string | null;
  provisionState: string;
  targetProvisionState: string | null;
  powerState: string | null;
  targetPowerState: string | null;
  maintenance: boolean;
  maintenanceReason: string | null;
  resourceClass: string | null;
  owner: string | null;
  lessee: string | null;
  lastError: string | null;
  provisionUpdatedAt: Date | null;
}

export interface FleetQuery {
  page?: number;
  state?: string;
  q?: string;
}

export interface FleetPage {
  rows: FleetRow[];
  /** Nodes matching the current filter. */
  total: number;
  /** Every node the viewer may see (no state/search filter). */
  visible: number;
  page: number;
  pages: number;
  pageSize: number;
  stateCounts: { state: string; count: number }[];
  projects: Map<string, string>;
}

/** SQL restricting nodes to those the principal may see (system scope: all; project: owner or lessee). */
function visibility(who: Principal): { cond: string; params: SqlValue[] } {
  if (isSystemScoped(who)) return { cond: `"parentNode" IS NULL`, params: [] };
  if (!who.projectId) return { cond: "1 = 0", params: [] };
  return { cond: `"parentNode" IS NULL AND ("owner" = ? OR "lessee" = ?)`, params: [who.projectId, who.projectId] };
}

export async function projectNames(): Promise<Map<string, string>> {
  const db = await sql();
  const rows = await db.all<{ id: string; name: string }>(`SELECT "id", "name" FROM "Project"`);
  return new Map(rows.map((r) => [r.id, r.name]));
}

export async function fleetPage(who: Principal, q: FleetQuery): Promise<FleetPage> {
  const db = await sql();
  const vis = visibility(who);
  const conds = [vis.cond];
  const params = [...vis.params];
  if (q.state) {
    conds.push(`"provisionState" = ?`);
    params.push(q.state);
  }
  if (q.q) {
    conds.push(`("name" LIKE ? OR "uuid" LIKE ? OR "instanceUuid" LIKE ? OR "instanceName" LIKE ?)`);
    const like = `%${q.q}%`;
    params.push(like, like, like, like);
  }
  const where = `WHERE ${conds.join(" AND ")}`;
  const [countRow, stateRows, projects] = await Promise.all([
    db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "Node" ${where}`, params),
    db.all<{ state: string; n: number | string }>(
      `SELECT "provisionState" AS "state", COUNT(*) AS n FROM "Node" WHERE ${vis.cond} GROUP BY "provisionState"`, vis.params),
    projectNames(),
  ]);
  const total = Number(countRow?.n ?? 0);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(Math.max(1, Math.floor(q.page ?? 1)), pages);
  const rows = await db.all(
    `SELECT "uuid", "name", "provisionState", "targetProvisionState", "powerState", "targetPowerState", "maintenance",
            "maintenanceReason", "resourceClass", "owner", "lessee", "lastError", "provisionUpdatedAt"
       FROM "Node" ${where} ORDER BY "name" IS NULL, "name", "id" LIMIT ${PAGE_SIZE} OFFSET ${(page - 1) * PAGE_SIZE}`,
    params,
  );
  const stateCounts = stateRows
    .map((r) => ({ state: r.state, count: Number(r.n) }))
    .sort((a, b) => b.count - a.count || a.state.localeCompare(b.state));
  return {
    rows: rows.map((r) => ({
      uuid: String(r.uuid),
      name: (r.name as string | null) ?? null,
      provisionState: String(r.provisionState),
      targetProvisionState: (r.targetProvisionState as string | null) ?? null,
      powerState: (r.powerState as string | null) ?? null,
      targetPowerState: (r.targetPowerState as string | null) ?? null,
      maintenance: toBool(r.maintenance),
      maintenanceReason: (r.maintenanceReason as string | null) ?? null,
      resourceClass: (r.resourceClass as string | null) ?? null,
      owner: (r.owner as string | null) ?? null,
      lessee: (r.lessee as string | null) ?? null,
      lastError: (r.lastError as string | null) ?? null,
      provisionUpdatedAt: toDate(r.provisionUpdatedAt),
    })),
    total,
    visible: stateCounts.reduce((s, x) => s + x.count, 0),
    page,
    pages,
    pageSize: PAGE_SIZE,
    stateCounts,
    projects,
  };
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
