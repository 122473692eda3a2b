// Runbook and RunbookTrait tables (API 1.92, traits 1.112). Rows as stored; lookups that
// assemble records with their traits live in lib/core/runbooks.ts. Every write bumps `version`.
import type { RunbookRecord, RunbookRow } from "../runbooks.ts";
import { pageRows, type PageRequest } from "./page.ts";
import type { Sql, SqlValue } from "./sql.ts";

export interface RunbookFilter {
  /** Only runbooks that are public or owned by this project (callers without list_all). */
  publicOrOwner?: string;
  owner?: string;
  public?: boolean;
}

/** What a write stores: the record's own fields (extra as given, before it is known to be a dict). */
export type RunbookFields = Pick<RunbookRecord, "name" | "steps" | "disableRamdisk" | "public" | "owner" | "description"> & { extra: unknown };

export async function runbookRowByUuid(db: Sql, uuid: string): Promise<RunbookRow | undefined> {
  return db.get<RunbookRow>(`SELECT * FROM "Runbook" WHERE "uuid" = ?`, [uuid.toLowerCase()]);
}

export async function pageRunbooks(db: Sql, filter: RunbookFilter, page: PageRequest, marker?: RunbookRow): Promise<RunbookRow[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.publicOrOwner !== undefined) {
    where.push(`(r."public" = ? OR r."owner" = ?)`);
    params.push(true, filter.publicOrOwner);
  }
  if (filter.owner !== undefined) {
    where.push(`r."owner" = ?`);
    params.push(filter.owner);
  }
  if (filter.public !== undefined) {
    where.push(`r."public" = ?`);
    params.push(filter.public);
  }
  return pageRows<RunbookRow>(db, {
    select: `SELECT r.* FROM "Runbook" r`, alias: "r", where, params, ...page,
    marker: marker as Record<string, unknown> | undefined,
  });
}

/** Whether another runbook (not `exceptId`) has this name. */
export async function runbookNameTaken(db: Sql, name: string, exceptId?: number): Promise<boolean> {
  return exceptId === undefined
    ? !!(await db.get(`SELECT 1 AS x FROM "Runbook" WHERE "name" = ?`, [name]))
    : !!(await db.get(`SELECT 1 AS x FROM "Runbook" WHERE "name" = ? AND "id" <> ?`, [name, exceptId]));
}

export async function insertRunbook(db: Sql, uuid: string, rb: RunbookFields): Promise<void> {
  await db.run(
    `INSERT INTO "Runbook" ("uuid", "name", "steps", "disableRamdisk", "public", "owner", "description", "extra", "version", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
    [uuid, rb.name, JSON.stringify(rb.steps), rb.disableRamdisk, rb.public, rb.owner, rb.description, JSON.stringify(rb.extra), new Date()],
  );
}

export async function updateRunbookRow(db: Sql, id: number, rb: RunbookFields): Promise<void> {
  await db.run(
    `UPDATE "Runbook" SET "name" = ?, "steps" = ?, "disableRamdisk" = ?, "public" = ?, "owner" = ?, "description" = ?, "extra" = ?, "version" = "version" + 1, "updatedAt" = ? WHERE "id" = ?`,
    [rb.name, JSON.stringify(rb.steps), rb.disableRamdisk, rb.public, rb.owner, rb.description, JSON.stringify(rb.extra), new Date(), id],
  );
}

export async function deleteRunbookRow(db: Sql, id: number): Promise<void> {
  await db.run(`DELETE FROM "Runbook" WHERE "id" = ?`, [id]);
}

/** Replaces the runbook's traits (one transaction). */
export async function setRunbookTraits(db: Sql, id: number, traits: string[]): Promise<void> {
  await db.tx(async (tx) => {
    await tx.run(`DELETE FROM "RunbookTrait" WHERE "runbookId" = ?`, [id]);
    for (const t of traits) await tx.run(`INSERT INTO "RunbookTrait" ("runbookId", "trait") VALUES (?, ?)`, [id, t]);
  });
}

export async function insertRunbookTrait(db: Sql, id: number, trait: string): Promise<void> {
  await db.run(`INSERT INTO "RunbookTrait" ("runbookId", "trait") VALUES (?, ?)`, [id, trait]);
}

export async function deleteRunbookTrait(db: Sql, id: number, trait: string): Promise<void> {
  await db.run(`DELETE FROM "RunbookTrait" WHERE "runbookId" = ? AND "trait" = ?`, [id, trait]);
}

/** Marks the runbook changed (its traits were). */
export async function touchRunbook(db: Sql, id: number): Promise<void> {
  await db.run(`UPDATE "Runbook" SET "updatedAt" = ?, "version" = "version" + 1 WHERE "id" = ?`, [new Date(), id]);
}
