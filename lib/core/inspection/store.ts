// Inspection rules and inventories in the database (tables InspectionRule, NodeInventory).
import type { Dict } from "../db/nodes.ts";
import { parseJson, type Sql } from "../db/sql.ts";
import type { InspectionRuleDef, RuleAction, RuleCondition } from "./rules.ts";

export interface InspectionRuleRow {
  id: number;
  uuid: string;
  description: string | null;
  priority: number;
  phase: string;
  sensitive: unknown;
  conditions: unknown;
  actions: unknown;
  createdAt: unknown;
  updatedAt: unknown;
  [k: string]: unknown;
}

export function ruleFromRow(row: InspectionRuleRow): InspectionRuleDef {
  return {
    uuid: row.uuid,
    description: row.description,
    priority: Number(row.priority),
    phase: row.phase,
    sensitive: row.sensitive === true || row.sensitive === 1 || row.sensitive === "1" || row.sensitive === "true",
    conditions: parseJson<RuleCondition[]>(row.conditions, []),
    actions: parseJson<RuleAction[]>(row.actions, []),
  };
}

/** Rules of a phase in evaluation order (priority descending, then creation order). */
export async function loadRules(sql: Sql, phase = "main"): Promise<InspectionRuleDef[]> {
  const rows = await sql.all<InspectionRuleRow>(
    `SELECT * FROM "InspectionRule" WHERE "phase" = ? ORDER BY "priority" DESC, "id" ASC`,
    [phase],
  );
  return rows.map(ruleFromRow);
}

export async function saveInventory(sql: Sql, nodeId: number, inventory: Dict, pluginData: Dict): Promise<void> {
  const now = new Date();
  const inv = JSON.stringify(inventory);
  const pd = JSON.stringify(pluginData);
  await sql.tx(async (tx) => {
    const n = await tx.run(`UPDATE "NodeInventory" SET "inventory" = ?, "pluginData" = ?, "updatedAt" = ? WHERE "nodeId" = ?`, [inv, pd, now, nodeId]);
    if (!n) await tx.run(`INSERT INTO "NodeInventory" ("nodeId", "inventory", "pluginData", "createdAt") VALUES (?, ?, ?, ?)`, [nodeId, inv, pd, now]);
  });
}

export async function loadInventory(sql: Sql, nodeId: number): Promise<{ inventory: Dict; pluginData: Dict } | null> {
  const row = await sql.get<{ inventory: string; pluginData: string }>(
    `SELECT "inventory", "pluginData" FROM "NodeInventory" WHERE "nodeId" = ?`,
    [nodeId],
  );
  return row ? { inventory: parseJson(row.inventory, {}), pluginData: parseJson(row.pluginData, {}) } : null;
}
