// Inspection rules for the API's module (lib/api/v1/inspection_rules.ts); policy is the route's
// (system rules), validation the rules engine's (lib/core/inspection/rules.ts).
import {
  deleteAllRuleRows, deleteRuleRow, insertRule, pageRules, ruleByUuid, updateRule, type RuleValues,
} from "../db/inspection_rules.ts";
import type { PageRequest } from "../db/page.ts";
import { sql } from "../db/sql.ts";
import { isUniqueViolation } from "../db/unique.ts";
import { Conflict, NotFound } from "../errors.ts";
import type { InspectionRuleRow } from "../inspection/store.ts";

export type { RuleValues };

/** The rule with this (already checked) uuid; `ident` is how the caller named it. */
export async function getRule(uuid: string, ident = uuid): Promise<InspectionRuleRow> {
  const row = await ruleByUuid(await sql(), uuid);
  if (!row) throw new NotFound(`Rule ${ident} could not be found.`);
  return row;
}

export async function listRules(phase: string | null, page: PageRequest, marker?: InspectionRuleRow): Promise<InspectionRuleRow[]> {
  return pageRules(await sql(), phase, page, marker);
}

export async function createRule(uuid: string, rule: RuleValues): Promise<InspectionRuleRow> {
  const db = await sql();
  if (await ruleByUuid(db, uuid)) throw new Conflict(`A rule with UUID ${uuid} already exists.`);
  try {
    await insertRule(db, uuid, rule);
  } catch (err) {
    if (isUniqueViolation(err)) throw new Conflict(`A rule with UUID ${uuid} already exists.`);
    throw err;
  }
  return getRule(uuid);
}

export async function changeRule(row: InspectionRuleRow, rule: RuleValues): Promise<InspectionRuleRow> {
  await updateRule(await sql(), row.id, rule);
  return getRule(row.uuid);
}

export async function deleteRule(row: InspectionRuleRow): Promise<void> {
  await deleteRuleRow(await sql(), row.id);
}

export async function deleteAllRules(): Promise<void> {
  await deleteAllRuleRows(await sql());
}
