// Deploy templates (reference §5.3, API 1.55; writes below → 405). Names are traits; steps are
// deploy steps {interface, step, args, priority}. ETag / If-Match on PATCH is an Ingot extension.
import { randomUUID } from "node:crypto";
import { parseJson, toDate } from "../../core/db/values.ts";
import { Invalid, PreconditionFailed } from "../../core/errors.ts";
import { deployStepSchema } from "../../core/request_schemas.ts";
import { maskSecrets } from "../../core/secrets.ts";
import {
  changeTemplate, createTemplate as insertTemplate, deleteTemplate as removeTemplate, getTemplate as loadTemplate,
  listTemplates as pageTemplates, type DeployTemplateRow,
} from "../../core/services/deploy_templates.ts";
import { DEPLOY_TEMPLATE_STEP_INTERFACES } from "../../shared/steps.ts";
import type { ApiDeployTemplate } from "../../shared/wire.ts";
import { empty, ifMatchPasses, json, links, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { isUuidLike, TRAITS_SCHEMA, validateUuid } from "../validators.ts";
import {
  parseResourceFields, parseResourceList, patchDocument, patchedSchemaCheck, pruneToSchema, renderFields, resourceNext,
  schemaCheck,
  type FieldDef,
} from "./resource_common.ts";

export interface DeployTemplateStep {
  interface: string;
  step: string;
  args: Record<string, unknown>;
  priority: number;
}

export type { DeployTemplateRow };

const DEPLOY_STEP_SCHEMA = deployStepSchema(DEPLOY_TEMPLATE_STEP_INTERFACES);
const STEPS_SCHEMA: Schema = { type: "array", items: DEPLOY_STEP_SCHEMA, minItems: 1 };

const TEMPLATE_SCHEMA: Schema = {
  type: "object",
  properties: {
    description: { type: ["string", "null"], maxLength: 255 },
    extra: { type: ["object", "null"] },
    name: TRAITS_SCHEMA,
    steps: STEPS_SCHEMA,
    uuid: { type: ["string", "null"] },
  },
  required: ["steps", "name"],
  additionalProperties: false,
};

/** Checks and normalizes steps: schema, integer priorities, no duplicate interface+step. */
export function validateTemplateSteps(steps: unknown, what = "template"): DeployTemplateStep[] {
  schemaCheck(what, STEPS_SCHEMA, steps);
  const out = (steps as Record<string, unknown>[]).map((s) => ({
    interface: s.interface as string,
    step: s.step as string,
    args: s.args as Record<string, unknown>,
    priority: Number(s.priority),
  }));
  const seen = new Set<string>();
  const dups: string[] = [];
  for (const s of out) {
    const key = `${s.interface}.${s.step}`;
    if (seen.has(key) && !dups.includes(key)) dups.push(key);
    seen.add(key);
  }
  if (dups.length) {
    const list = dups.map((k) => {
      const [iface, ...rest] = k.split(".");
      return `interface: ${iface}, step: ${rest.join(".")}`;
    });
    throw new Invalid(
      `Deploy template invalid: Duplicate deploy steps. A deploy template cannot have multiple deploy steps with the same interface and step. Duplicates: ${list.join("; ")}.`,
    );
  }
  return out;
}

type View = { base: string; minor: number };

const FIELDS: FieldDef<DeployTemplateRow & { _base: string }, ApiDeployTemplate>[] = [
  ["uuid", 1, (r) => r.uuid],
  ["created_at", 1, (r) => ts(toDate(r.createdAt))],
  ["updated_at", 1, (r) => ts(toDate(r.updatedAt))],
  ["name", 1, (r) => r.name],
  ["extra", 1, (r) => parseJson(r.extra, {})],
  ["links", 1, (r) => links(r._base, `deploy_templates/${r.uuid}`)],
  ["steps", 1, (r) => maskSecrets(parseJson<DeployTemplateStep[]>(r.steps, []))],
];

export const TEMPLATE_FIELD_VERSIONS: Record<string, number> = Object.fromEntries(
  FIELDS.map(([n]) => [n, 55]),
);
export const TEMPLATE_DEFAULT_FIELDS = ["uuid", "name"] as const;

/** One deploy template as Ironic shows it (password-like step args masked). */
export function templateView(row: DeployTemplateRow, v: View, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(FIELDS, { ...row, _base: v.base }, v.minor, fields);
}

/** ETag of a template's current state (Ingot extension). */
export function templateEtag(row: Pick<DeployTemplateRow, "uuid" | "version">): string {
  return `"${row.uuid}-${Number(row.version)}"`;
}

const SORT_COLUMNS = { id: "id", uuid: "uuid", name: "name", created_at: "createdAt", updated_at: "updatedAt" };

async function listTemplates(ctx: ApiContext): Promise<Response> {
  const p = parseResourceList(ctx, { sortColumns: SORT_COLUMNS, unsortable: ["steps", "extra"], fieldVersions: TEMPLATE_FIELD_VERSIONS });
  const page = { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit };
  const rows = await pageTemplates(page, p.marker, p.marker !== null && isUuidLike(p.marker));
  const fields = p.detail ? null : (p.fields ?? [...TEMPLATE_DEFAULT_FIELDS]);
  const body: Record<string, unknown> = { deploy_templates: rows.map((r) => templateView(r, ctx, fields)) };
  const next = resourceNext(ctx, "deploy_templates", rows.length, p, rows.at(-1)?.uuid, TEMPLATE_DEFAULT_FIELDS);
  if (next) body.next = next;
  return json(ctx, body);
}

async function createTemplate(ctx: ApiContext): Promise<Response> {
  schemaCheck("template", TEMPLATE_SCHEMA, ctx.body ?? {});
  const b = ctx.body as Record<string, unknown>;
  const name = b.name as string;
  const steps = validateTemplateSteps(b.steps);
  const uuid = b.uuid !== undefined && b.uuid !== null ? validateUuid(b.uuid, "uuid") : randomUUID();
  const row = await insertTemplate({ uuid, name, steps, extra: b.extra ?? {} });
  return json(ctx, templateView(row, ctx), 201, { Location: `${ctx.base}/v1/deploy_templates/${uuid}`, ETag: templateEtag(row) });
}

async function getTemplate(ctx: ApiContext): Promise<Response> {
  const row = await loadTemplate(ctx.params.template);
  const fields = parseResourceFields(ctx, TEMPLATE_FIELD_VERSIONS);
  return json(ctx, templateView(row, ctx, fields), 200, { ETag: templateEtag(row) });
}

/** If-Match: "*" or any listed ETag (weak or strong) matching the current one passes. */
function checkIfMatch(ctx: ApiContext, row: DeployTemplateRow): void {
  const current = templateEtag(row);
  if (ifMatchPasses(ctx.request.headers.get("if-match"), current)) return;
  throw new PreconditionFailed(`Deploy template ${row.uuid} has changed: the If-Match header does not match its current ETag ${current}.`);
}

const PATCHABLE = ["extra", "name", "steps", "description"];

async function patchTemplate(ctx: ApiContext): Promise<Response> {
  const row = await loadTemplate(ctx.params.template);
  checkIfMatch(ctx, row);
  // Patches apply to the stored (unmasked) steps.
  const current: Record<string, unknown> = {
    uuid: row.uuid, name: row.name, steps: parseJson(row.steps, []), extra: parseJson(row.extra, {}),
  };
  const { patched } = patchDocument(ctx.body, current, PATCHABLE);
  // As Ironic: each step against the step schema (keys it does not know are dropped), then the
  // whole template; errors say "Schema error for patch".
  if (Array.isArray(patched.steps)) {
    patched.steps = patched.steps.map((step) => {
      if (step === null || typeof step !== "object" || Array.isArray(step)) return step;
      patchedSchemaCheck(DEPLOY_STEP_SCHEMA, step as Record<string, unknown>);
      return pruneToSchema(DEPLOY_STEP_SCHEMA, step as Record<string, unknown>);
    });
  }
  patchedSchemaCheck(TEMPLATE_SCHEMA, patched);
  const name = patched.name as string;
  const steps = validateTemplateSteps(patched.steps);
  const extra = patched.extra ?? {};
  const fresh = await changeTemplate(row, { name, steps, extra });
  return json(ctx, templateView(fresh, ctx), 200, { ETag: templateEtag(fresh) });
}

async function deleteTemplate(ctx: ApiContext): Promise<Response> {
  const row = await loadTemplate(ctx.params.template);
  await removeTemplate(row);
  return empty(ctx, 204);
}

const V = { minVersion: 55, belowVersionStatus: 405 } as const;

export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/deploy_templates", ...V, policy: "baremetal:deploy_template:get", handler: listTemplates },
  { method: "POST", path: "/v1/deploy_templates", ...V, policy: "baremetal:deploy_template:create", handler: createTemplate },
  { method: "GET", path: "/v1/deploy_templates/:template", ...V, policy: "baremetal:deploy_template:get", handler: getTemplate },
  { method: "PATCH", path: "/v1/deploy_templates/:template", ...V, policy: "baremetal:deploy_template:update", handler: patchTemplate },
  { method: "DELETE", path: "/v1/deploy_templates/:template", ...V, policy: "baremetal:deploy_template:delete", handler: deleteTemplate },
];
