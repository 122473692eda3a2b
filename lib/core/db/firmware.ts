// FirmwareComponent: what a node's firmware update steps flashed (GET /v1/nodes/{n}/firmware, 1.86).
import { toDate, type Sql } from "./sql.ts";

export interface FirmwareRow {
  component: string;
  initialVersion: string;
  currentVersion: string | null;
  lastVersionFlashed: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

export async function listFirmware(db: Sql, nodeId: number): Promise<FirmwareRow[]> {
  const rows = await db.all<FirmwareRow>(
    `SELECT "component", "initialVersion", "currentVersion", "lastVersionFlashed", "createdAt", "updatedAt" FROM "FirmwareComponent" WHERE "nodeId" = ? ORDER BY "component"`,
    [nodeId],
  );
  return rows.map((r) => ({ ...r, createdAt: toDate(r.createdAt), updatedAt: toDate(r.updatedAt) }));
}

/** Records that `version` was flashed to `component` (first time: `initialVersion` was there before). */
export async function recordFirmwareFlashed(db: Sql, nodeId: number, component: string, version: string, initialVersion: string): Promise<void> {
  const now = new Date();
  const row = await db.get<{ id: number }>(`SELECT "id" FROM "FirmwareComponent" WHERE "nodeId" = ? AND "component" = ?`, [nodeId, component]);
  if (row) {
    await db.run(`UPDATE "FirmwareComponent" SET "currentVersion" = ?, "lastVersionFlashed" = ?, "updatedAt" = ? WHERE "id" = ?`, [version, version, now, row.id]);
  } else {
    await db.run(
      `INSERT INTO "FirmwareComponent" ("nodeId", "component", "initialVersion", "currentVersion", "lastVersionFlashed", "createdAt") VALUES (?, ?, ?, ?, ?, ?)`,
      [nodeId, component, initialVersion, version, version, now],
    );
  }
}
