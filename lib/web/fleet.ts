// Dashboard queries: the fleet list (paged, only what the viewer may see).
import { sql, toBool, toDate, type SqlValue } from "../core/db/sql.ts";
import { isSystemScoped, type Principal } from "../core/policy.ts";

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
