// DeployTemplate table (API 1.55). Rows as stored (the API renders them); every update bumps
// `version` (the template's ETag) and only applies to the version the caller read.
import { pageRows, type PageRequest } from "./page.ts";
import type { Sql } from "./sql.ts";
import { isUuidLike } from "../uuid.ts";

export interface DeployTemplateRow {
  id: number;
  uuid: string;
  name: string;
  steps: unknown;
  extra: unknown;
  version: number;
  createdAt: unknown;
  updatedAt: unknown;
  [k: string]: unknown;
}

export async function templateByUuid(db: Sql, uuid: string): Promise<DeployTemplateRow | undefined> {
  return db.get<DeployTemplateRow>(`SELECT * FROM "DeployTemplate" WHERE "uuid" = ?`, [uuid.toLowerCase()]);
}

/** The template with this uuid or name. */
export async function findTemplate(db: Sql, ident: string): Promise<DeployTemplateRow | undefined> {
  return isUuidLike(ident) ? templateByUuid(db, ident) : db.get<DeployTemplateRow>(`SELECT * FROM "DeployTemplate" WHERE "name" = ?`, [ident]);
}

/** Templates named like one of `names`, oldest first. */
export async function templatesNamed(db: Sql, names: string[]): Promise<DeployTemplateRow[]> {
  if (!names.length) return [];
  return db.all<DeployTemplateRow>(`SELECT * FROM "DeployTemplate" WHERE "name" IN (${names.map(() => "?").join(",")}) ORDER BY "id"`, names);
}

export async function pageTemplates(db: Sql, page: PageRequest, marker?: DeployTemplateRow): Promise<DeployTemplateRow[]> {
  return pageRows<DeployTemplateRow>(db, { select: `SELECT t.* FROM "DeployTemplate" t`, alias: "t", where: [], params: [], ...page, marker });
}

/** Whether another template (not `exceptId`) has this name. */
export async function templateNameTaken(db: Sql, name: string, exceptId?: number): Promise<boolean> {
  return exceptId === undefined
    ? !!(await db.get(`SELECT 1 AS x FROM "DeployTemplate" WHERE "name" = ?`, [name]))
    : !!(await db.get(`SELECT 1 AS x FROM "DeployTemplate" WHERE "name" = ? AND "id" <> ?`, [name, exceptId]));
}

export async function insertTemplate(db: Sql, t: { uuid: string; name: string; steps: unknown; extra: unknown }): Promise<void> {
  await db.run(`INSERT INTO "DeployTemplate" ("uuid", "name", "steps", "extra", "version", "createdAt") VALUES (?, ?, ?, ?, 1, ?)`, [
    t.uuid, t.name, JSON.stringify(t.steps), JSON.stringify(t.extra ?? {}), new Date(),
  ]);
}

/** Writes the template if it is still at `version`; false when someone changed it meanwhile. */
export async function updateTemplate(db: Sql, id: number, version: number, t: { name: string; steps: unknown; extra: unknown }): Promise<boolean> {
  const n = await db.run(
    `UPDATE "DeployTemplate" SET "name" = ?, "steps" = ?, "extra" = ?, "version" = "version" + 1, "updatedAt" = ? WHERE "id" = ? AND "version" = ?`,
    [t.name, JSON.stringify(t.steps), JSON.stringify(t.extra), new Date(), id, version],
  );
  return n > 0;
}

export async function deleteTemplateRow(db: Sql, id: number): Promise<void> {
  await db.run(`DELETE FROM "DeployTemplate" WHERE "id" = ?`, [id]);
}
