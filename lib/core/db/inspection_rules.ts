// InspectionRule table (API 1.96) as the API manages it; the rules engine reads it through
// lib/core/inspection/store.ts (loadRules).
import type { InspectionRuleRow } from "../inspection/store.ts";
import { pageRows, type PageRequest } from "./page.ts";
import type { Sql } from "./sql.ts";

export interface RuleValues {
  description: string | null;
  priority: number;
  phase: string;
  sensitive: boolean;
  conditions: unknown[];
  actions: unknown[];
}

export async function ruleByUuid(db: Sql, uuid: string): Promise<InspectionRuleRow | undefined> {
  return db.get<InspectionRuleRow>(`SELECT * FROM "InspectionRule" WHERE "uuid" = ?`, [uuid]);
}

export async function pageRules(db: Sql, phase: string | null, page: PageRequest, marker?: InspectionRuleRow): Promise<InspectionRuleRow[]> {
  return pageRows<InspectionRuleRow>(db, {
    select: `SELECT r.* FROM "InspectionRule" r`, alias: "r", where: phase !== null ? [`r."phase" = ?`] : [], params: phase !== null ? [phase] : [],
    ...page, marker,
  });
}

export async function insertRule(db: Sql, uuid: string, r: RuleValues): Promise<void> {
  await db.run(
    `INSERT INTO "InspectionRule" ("uuid", "description", "priority", "phase", "sensitive", "conditions", "actions", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    [uuid, r.description, r.priority, r.phase, r.sensitive, JSON.stringify(r.conditions), JSON.stringify(r.actions), new Date()],
  );
}

export async function updateRule(db: Sql, id: number, r: RuleValues): Promise<void> {
  await db.run(
    `UPDATE "InspectionRule" SET "description" = ?, "priority" = ?, "phase" = ?, "sensitive" = ?, "conditions" = ?, "actions" = ?, "updatedAt" = ? WHERE "id" = ?`,
    [r.description, r.priority, r.phase, r.sensitive, JSON.stringify(r.conditions), JSON.stringify(r.actions), new Date(), id],
  );
}

export async function deleteRuleRow(db: Sql, id: number): Promise<void> {
  await db.run(`DELETE FROM "InspectionRule" WHERE "id" = ?`, [id]);
}

export async function deleteAllRuleRows(db: Sql): Promise<void> {
  await db.run(`DELETE FROM "InspectionRule"`);
}
