// Inspection rules (reference §9.2, API 1.96; below it GET → 404, other methods → 405).
// Rules are validated by the engine's validateRule (lib/core/inspection/rules.ts): every operator
// and action with its arguments, so a bad rule is a 400 that says what is wrong. Sensitive rules
// show null conditions/actions. Links point at /v1/inspection_rules/<uuid> (Ironic's point at
// /v1/inspection/<uuid>, which does not exist).
import { randomUUID } from "node:crypto";
import { parseJson, toBool, toDate } from "../../core/db/values.ts";
import { Invalid } from "../../core/errors.ts";
import { validateRule, type RuleAction, type RuleCondition } from "../../core/inspection/rules.ts";
import type { InspectionRuleRow } from "../../core/inspection/store.ts";
import {
  changeRule, createRule as insertRule, deleteAllRules as removeAllRules, deleteRule as removeRule, getRule, listRules as pageRules,
} from "../../core/services/inspection_rules.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import { patchValues } from "../jsonpatch.ts";
import type { RouteDef } from "../router.ts";
import { validateUuid } from "../validators.ts";
import {
  parseResourceFields, parseResourceList, patchDocument, renderFields, resourceNext, type FieldDef,
} from "./resource_common.ts";

/** The microversion the inspection rules API appeared in. */
const RULES_MINOR = 96;

type Row = InspectionRuleRow & { _base: string };

function conditionsView(list: RuleCondition[]): unknown[] {
  return list.map((c) => {
    const out: Record<string, unknown> = { op: c.op, args: c.args };
    if (c.loop !== undefined && !(Array.isArray(c.loop) && c.loop.length === 0)) {
      out.loop = c.loop;
      out.multiple = c.multiple ?? "any";
    } else if (c.multiple !== undefined) out.multiple = c.multiple;
    return out;
  });
}

function actionsView(list: RuleAction[]): unknown[] {
  return list.map((a) => ({ op: a.op, args: a.args, loop: a.loop ?? [] }));
}

const sensitive = (r: InspectionRuleRow) => toBool(r.sensitive);

const FIELDS: FieldDef<Row>[] = [
  ["uuid", 96, (r) => r.uuid],
  ["created_at", 96, (r) => ts(toDate(r.createdAt))],
  ["updated_at", 96, (r) => ts(toDate(r.updatedAt))],
  ["description", 96, (r) => r.description],
  ["priority", 96, (r) => Number(r.priority)],
  ["sensitive", 96, (r) => sensitive(r)],
  ["phase", 96, (r) => r.phase],
  ["conditions", 96, (r) => (sensitive(r) ? null : conditionsView(parseJson<RuleCondition[]>(r.conditions, [])))],
  ["actions", 96, (r) => (sensitive(r) ? null : actionsView(parseJson<RuleAction[]>(r.actions, [])))],
  ["links", 96, (r) => links(r._base, `inspection_rules/${r.uuid}`)],
];

/** Field → minimum version, for ?fields= (all fields are as old as the resource). */
const fieldVersions = (): Record<string, number> =>
  Object.fromEntries(FIELDS.map(([n]) => [n, RULES_MINOR]));

export const RULE_DEFAULT_FIELDS = ["uuid", "priority", "phase", "description"] as const;

/** One rule as the API shows it; `minor` only matters through the route's gate. */
export function ruleView(row: InspectionRuleRow, base: string, fields: string[] | null = null): Record<string, unknown> {
  // Fields are gated by the route itself; render as if at 1.96.
  return renderFields(FIELDS, { ...row, _base: base }, 96, fields);
}

async function loadRule(ident: string): Promise<InspectionRuleRow> {
  return getRule(validateUuid(ident, "inspection_rule_uuid"), ident);
}

const SORT_COLUMNS = {
  id: "id", uuid: "uuid", priority: "priority", phase: "phase", description: "description", sensitive: "sensitive",
  created_at: "createdAt", updated_at: "updatedAt",
};

async function listRules(ctx: ApiContext): Promise<Response> {
  const p = parseResourceList(ctx, {
    sortColumns: SORT_COLUMNS, unsortable: ["conditions", "actions"], fieldVersions: fieldVersions(),
    detailParamMinor: RULES_MINOR,
  });
  const q = ctx.url.searchParams;
  const phase = q.get("phase");
  let marker: InspectionRuleRow | undefined;
  if (p.marker !== null) marker = await loadRule(p.marker);
  const rows = await pageRules(phase, { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit }, marker);
  const fields = p.detail ? null : (p.fields ?? [...RULE_DEFAULT_FIELDS]);
  const body: Record<string, unknown> = { inspection_rules: rows.map((r) => ruleView(r, ctx.base, fields)) };
  const next = resourceNext(ctx, "inspection_rules", rows.length, p, rows.at(-1)?.uuid, RULE_DEFAULT_FIELDS);
  if (next) body.next = phase !== null ? `${next}&phase=${encodeURIComponent(phase)}` : next;
  return json(ctx, body);
}

async function showRule(ctx: ApiContext): Promise<Response> {
  const fields = parseResourceFields(ctx, fieldVersions());
  const row = await loadRule(ctx.params.rule);
  return json(ctx, ruleView(row, ctx.base, fields));
}

async function createRule(ctx: ApiContext): Promise<Response> {
  const rule = validateRule(ctx.body ?? {});
  const uuid = rule.uuid !== undefined ? validateUuid(rule.uuid, "uuid") : randomUUID();
  const row = await insertRule(uuid, rule);
  return json(ctx, ruleView(row, ctx.base), 201, { Location: `${ctx.base}/v1/inspection_rules/${uuid}` });
}

const PATCHABLE = ["description", "priority", "phase", "sensitive", "conditions", "actions"];

async function patchRule(ctx: ApiContext): Promise<Response> {
  const row = await loadRule(ctx.params.rule);
  // Patches apply to the stored rule, also for sensitive ones (whose view hides them).
  const current: Record<string, unknown> = {
    uuid: row.uuid, description: row.description, priority: Number(row.priority), phase: row.phase, sensitive: sensitive(row),
    conditions: parseJson(row.conditions, []), actions: parseJson(row.actions, []),
  };
  // Errors quote a sensitive rule's conditions and actions as its view shows them: not at all.
  const hidden = sensitive(row) ? { conditions: null, actions: null } : {};
  const { patched, ops } = patchDocument(ctx.body, current, PATCHABLE, { hidden });
  const unsetting = ops.some((o) => o.path === "/sensitive" && o.op === "remove") || patchValues(ops, "/sensitive").some((v) => v === false);
  if (sensitive(row) && unsetting) throw new Invalid("Inspection rules cannot have the sensitive flag unset.");
  const rule = validateRule(patched);
  return json(ctx, ruleView(await changeRule(row, rule), ctx.base));
}

async function deleteRule(ctx: ApiContext): Promise<Response> {
  await removeRule(await loadRule(ctx.params.rule));
  return empty(ctx, 204);
}

async function deleteAllRules(ctx: ApiContext): Promise<Response> {
  await removeAllRules();
  return empty(ctx, 204);
}

/** Writes below 1.96 answer 405, reads 404 (reference §2.3). */
function route(def: Omit<RouteDef, "minVersion" | "belowVersionStatus">): RouteDef {
  return { ...def, minVersion: RULES_MINOR, belowVersionStatus: 405 };
}

export const routes: RouteDef[] = [
  route({ method: "GET", path: "/v1/inspection_rules", policy: "baremetal:inspection_rule:get", handler: listRules }),
  route({ method: "POST", path: "/v1/inspection_rules", policy: "baremetal:inspection_rule:create", handler: createRule }),
  route({ method: "DELETE", path: "/v1/inspection_rules", policy: "baremetal:inspection_rule:delete", handler: deleteAllRules }),
  route({ method: "GET", path: "/v1/inspection_rules/:rule", policy: "baremetal:inspection_rule:get", handler: showRule }),
  route({ method: "PATCH", path: "/v1/inspection_rules/:rule", policy: "baremetal:inspection_rule:update", handler: patchRule }),
  route({ method: "DELETE", path: "/v1/inspection_rules/:rule", policy: "baremetal:inspection_rule:delete", handler: deleteRule }),
];
