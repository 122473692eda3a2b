// Chassis table (reference §2.7).
import { pageRows, type PageRequest } from "./page.ts";
import { parseJson, toDate, type Sql } from "./sql.ts";

export interface ChassisRecord {
  id: number;
  uuid: string;
  description: string | null;
  extra: Record<string, unknown>;
  createdAt: Date | null;
  updatedAt: Date | null;
}

function toChassis(r: Record<string, unknown>): ChassisRecord {
  return {
    id: r.id as number, uuid: r.uuid as string, description: (r.description as string | null) ?? null,
    extra: parseJson(r.extra, {}), createdAt: toDate(r.createdAt), updatedAt: toDate(r.updatedAt),
  };
}

async function rowByUuid(db: Sql, uuid: string): Promise<Record<string, unknown> | undefined> {
  return db.get(`SELECT * FROM "Chassis" WHERE "uuid" = ?`, [uuid.toLowerCase()]);
}

export async function findChassis(db: Sql, uuid: string): Promise<ChassisRecord | null> {
  const row = await rowByUuid(db, uuid);
  return row ? toChassis(row) : null;
}

/** One page after the chassis `marker` (a uuid; null when it does not exist). */
export async function pageChassis(db: Sql, page: PageRequest, marker?: string): Promise<ChassisRecord[] | null> {
  let markerRow: Record<string, unknown> | undefined;
  if (marker !== undefined) {
    markerRow = await rowByUuid(db, marker);
    if (!markerRow) return null;
  }
  const rows = await pageRows(db, { select: `SELECT c.* FROM "Chassis" c`, alias: "c", where: [], params: [], ...page, marker: markerRow });
  return rows.map(toChassis);
}

/** Inserts a chassis; a duplicate uuid throws the driver's unique violation. */
export async function insertChassis(db: Sql, c: { uuid: string; description: string | null; extra: unknown }): Promise<ChassisRecord> {
  await db.run(`INSERT INTO "Chassis" ("uuid", "description", "extra", "createdAt") VALUES (?, ?, ?, ?)`, [c.uuid, c.description, JSON.stringify(c.extra ?? {}), new Date()]);
  return (await findChassis(db, c.uuid))!;
}

/** Writes the given fields; returns the chassis as stored afterwards. */
export async function updateChassis(db: Sql, id: number, changes: { description?: string | null; extra?: unknown }): Promise<ChassisRecord> {
  const sets: [string, string | null][] = [];
  if (changes.description !== undefined) sets.push(["description", changes.description]);
  if (changes.extra !== undefined) sets.push(["extra", JSON.stringify(changes.extra)]);
  if (sets.length) {
    await db.run(`UPDATE "Chassis" SET ${sets.map(([k]) => `"${k}" = ?`).join(", ")}, "updatedAt" = ? WHERE "id" = ?`, [...sets.map(([, v]) => v), new Date(), id]);
  }
  return toChassis((await db.get(`SELECT * FROM "Chassis" WHERE "id" = ?`, [id]))!);
}

export async function countChassisNodes(db: Sql, id: number): Promise<number> {
  const n = await db.get<{ n: number | string }>(`SELECT COUNT(*) AS n FROM "Node" WHERE "chassisId" = ?`, [id]);
  return Number(n?.n ?? 0);
}

export async function deleteChassisRow(db: Sql, id: number): Promise<void> {
  await db.run(`DELETE FROM "Chassis" WHERE "id" = ?`, [id]);
}

/** The id of the chassis with this uuid (nodes link to a chassis by uuid). */
export async function chassisIdOf(db: Sql, uuid: string): Promise<number | null> {
  return (await db.get<{ id: number }>(`SELECT "id" FROM "Chassis" WHERE "uuid" = ?`, [uuid.toLowerCase()]))?.id ?? null;
}
