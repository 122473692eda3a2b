// Runbooks (reference §5.4, API 1.92; description and traits 1.112): CRUD, the traits
// sub-resource, public/owner rules. Using a runbook is `PUT …/states/provision` with
// {"target": "clean"|"service", "runbook": ident} (node_states.ts; the conductor runs it).
import {
  addRunbookTrait, changeRunbook, createRunbook as insertRunbook, deleteRunbook as removeRunbook, listRunbooks as pageRunbooks,
  loadRunbook, mayUseRunbook, removeRunbookTrait, replaceRunbookTraits, runbookVisible, type RunbookFilter,
} from "../../core/services/runbooks.ts";
import { randomUUID } from "node:crypto";
import { Forbidden, Invalid, NotFound } from "../../core/errors.ts";
import { authorize, isSystemScoped } from "../../core/policy.ts";
import type { RunbookRecord } from "../../core/runbooks.ts";
import { maskSecrets } from "../../core/secrets.ts";
import { STEP_INTERFACES } from "../../shared/steps.ts";
import type { ApiRunbook } from "../../shared/wire.ts";
import { empty, json, links, ts, type ApiContext } from "../http.ts";
import { pyRepr } from "../../shared/pyrepr.ts";
import type { RouteDef } from "../router.ts";
import type { Schema } from "../schema.ts";
import { validateTrait, validateTraits, validateUuid } from "../validators.ts";
import {
  bodyBool, parseResourceFields, parseResourceList, patchDocument, renderFields, resourceNext,
  schemaCheck, type FieldDef,
} from "./resource_common.ts";

const STEP_SCHEMA: Schema = {
  type: "object",
  required: ["interface", "step", "order"],
  additionalProperties: false,
  properties: {
    interface: { type: "string", enum: STEP_INTERFACES },
    step: { type: "string", minLength: 1, maxLength: 255 },
    args: { type: "object" },
    order: { type: "integer", minimum: 0 },
  },
};
const STEPS_SCHEMA: Schema = { type: "array", minItems: 1, items: STEP_SCHEMA };

const NAME_RE = /^[A-Za-z0-9\-._~]+$/;

// ---- visibility and policy ----

export { mayUseRunbook, runbookVisible };

async function loadVisible(ctx: ApiContext, ident: string): Promise<RunbookRecord> {
  const rb = await loadRunbook(ident);
  if (!runbookVisible(ctx.principal, rb)) {
    if (isSystemScoped(ctx.principal)) throw new Forbidden();
    throw new NotFound(`Runbook ${ident} could not be found.`);
  }
  return rb;
}

function requireRule(ctx: ApiContext, rule: string, rb: Pick<RunbookRecord, "owner">): void {
  if (!authorize(rule, ctx.principal, { owner: rb.owner })) throw new Forbidden();
}

// ---- validation ----

function validateName(name: unknown, minor: number): string {
  if (minor < 112) return validateTrait(name, "runbook");
  if (typeof name !== "string" || name.length < 1 || name.length > 255 || !NAME_RE.test(name)) {
    throw new Invalid(`Schema error for runbook: ${pyRepr(name)} does not match '^[A-Za-z0-9\\-._~]+$'`);
  }
  return name;
}

interface StoredStep {
  interface: string;
  step: string;
  args: Record<string, unknown>;
  order: number;
}

export function validateRunbookSteps(steps: unknown): StoredStep[] {
  schemaCheck("runbook", STEPS_SCHEMA, steps);
  return (steps as Record<string, unknown>[])
    .map((s) => ({ interface: s.interface as string, step: s.step as string, args: (s.args as Record<string, unknown>) ?? {}, order: Number(s.order) }))
    .sort((a, b) => a.order - b.order);
}

function validateOwner(owner: unknown): string | null {
  if (owner === undefined || owner === null) return null;
  if (typeof owner !== "string" || owner.length > 255) throw new Invalid(`Schema error for runbook: ${pyRepr(owner)} is not of type 'string', 'null'`);
  return owner;
}

function validateDescription(d: unknown): string | null {
  if (d === undefined || d === null) return null;
  if (typeof d !== "string") throw new Invalid(`Schema error for runbook: ${pyRepr(d)} is not of type 'string', 'null'`);
  if (d.length > 255) throw new Invalid(`Schema error for runbook: ${pyRepr(d)} is too long`);
  return d;
}

function checkPublicOwner(pub: boolean, owner: string | null): void {
  if (pub && owner) throw new Invalid("A public runbook cannot have an owner.");
}

// ---- view ----

type Row = RunbookRecord & { _base: string };

const FIELDS: FieldDef<Row, ApiRunbook>[] = [
  ["uuid", 92, (r) => r.uuid],
  ["name", 92, (r) => r.name],
  ["description", 112, (r) => r.description],
  ["steps", 92, (r) => maskSecrets(r.steps)],
  ["disable_ramdisk", 92, (r) => r.disableRamdisk],
  ["public", 92, (r) => r.public],
  ["owner", 92, (r) => r.owner],
  ["traits", 112, (r) => r.traits],
  ["extra", 92, (r) => r.extra],
  ["created_at", 92, (r) => ts(r.createdAt)],
  ["updated_at", 92, (r) => ts(r.updatedAt)],
  ["links", 92, (r) => links(r._base, `runbooks/${r.uuid}`)],
];
const FIELD_VERSIONS: Record<string, number> = Object.fromEntries(FIELDS.map(([n, v]) => [n, v]));
const DEFAULT_FIELDS = ["uuid", "name"] as const;

export function runbookView(rb: RunbookRecord, ctx: Pick<ApiContext, "base" | "minor">, fields: string[] | null = null): Record<string, unknown> {
  return renderFields(FIELDS, { ...rb, _base: ctx.base }, ctx.minor, fields);
}

// ---- handlers ----

const SORT_COLUMNS = { id: "id", uuid: "uuid", name: "name", created_at: "createdAt", updated_at: "updatedAt", owner: "owner", public: "public" };

async function listRunbooks(ctx: ApiContext): Promise<Response> {
  if (!authorize("baremetal:runbook:list", ctx.principal)) throw new Forbidden();
  const p = parseResourceList(ctx, { sortColumns: SORT_COLUMNS, unsortable: ["steps", "extra", "traits"], fieldVersions: FIELD_VERSIONS });
  const filter: RunbookFilter = {};
  if (!authorize("baremetal:runbook:list_all", ctx.principal)) {
    if (!ctx.principal.projectId) throw new Forbidden();
    filter.publicOrOwner = ctx.principal.projectId;
  }
  const q = ctx.url.searchParams;
  if (q.has("project")) filter.owner = q.get("project")!;
  if (q.has("public")) filter.public = bodyBool("public", q.get("public"));
  const page = { sortColumn: p.sortColumn, sortDir: p.sortDir as "asc" | "desc", limit: p.limit };
  const records = await pageRunbooks(filter, page, p.marker);
  const fields = p.detail ? null : (p.fields ?? [...DEFAULT_FIELDS]);
  const body: Record<string, unknown> = { runbooks: records.map((r) => runbookView(r, ctx, fields)) };
  const next = resourceNext(ctx, "runbooks", records.length, p, records.at(-1)?.uuid, DEFAULT_FIELDS);
  if (next) body.next = next;
  return json(ctx, body);
}

const CREATE_KEYS_92 = ["uuid", "name", "steps", "disable_ramdisk", "public", "owner", "extra"];
const CREATE_KEYS_112 = [...CREATE_KEYS_92, "description", "traits"];

function bodyObj(ctx: ApiContext): Record<string, unknown> {
  const b = ctx.body;
  if (b === null || typeof b !== "object" || Array.isArray(b)) throw new Invalid(`Schema error for runbook: ${pyRepr(b)} is not of type 'object'`);
  return b as Record<string, unknown>;
}

async function createRunbook(ctx: ApiContext): Promise<Response> {
  const b = bodyObj(ctx);
  const allowed = ctx.minor >= 112 ? CREATE_KEYS_112 : CREATE_KEYS_92;
  const extraKeys = Object.keys(b).filter((k) => !allowed.includes(k));
  if (extraKeys.length) {
    throw new Invalid(`Schema error for runbook: Additional properties are not allowed (${extraKeys.map((k) => pyRepr(k)).join(", ")} ${extraKeys.length === 1 ? "was" : "were"} unexpected)`);
  }
  if (!("name" in b)) throw new Invalid("Schema error for runbook: 'name' is a required property");
  if (!("steps" in b)) throw new Invalid("Schema error for runbook: 'steps' is a required property");
  const name = validateName(b.name, ctx.minor);
  const steps = validateRunbookSteps(b.steps);
  const uuid = b.uuid !== undefined && b.uuid !== null ? validateUuid(b.uuid, "uuid") : randomUUID();
  const disableRamdisk = b.disable_ramdisk === undefined || b.disable_ramdisk === null ? false : bodyBool("disable_ramdisk", b.disable_ramdisk);
  const pub = b.public === undefined || b.public === null ? false : bodyBool("public", b.public);
  let owner = validateOwner(b.owner);
  const description = validateDescription(b.description);
  const extra = b.extra ?? {};
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) throw new Invalid(`Schema error for runbook: ${pyRepr(extra)} is not of type 'object'`);
  const traits = b.traits === undefined || b.traits === null ? [] : validateTraits(b.traits, "runbook");
  const who = ctx.principal;
  // Project callers create runbooks for their own project; public or foreign owners need system rights.
  if (!authorize("baremetal:runbook:update:owner", who)) {
    if (owner !== null && owner !== who.projectId) throw new Forbidden();
    if (!pub) owner = who.projectId;
  }
  if (pub && !authorize("baremetal:runbook:update:public", who)) throw new Forbidden();
  checkPublicOwner(pub, owner);
  if (!authorize("baremetal:runbook:create", who, { owner })) throw new Forbidden();
  const fresh = await insertRunbook(uuid, { name, steps, disableRamdisk, public: pub, owner, description, extra }, traits);
  return json(ctx, runbookView(fresh, ctx), 201, { Location: `${ctx.base}/v1/runbooks/${uuid}` });
}

async function showRunbook(ctx: ApiContext): Promise<Response> {
  const rb = await loadVisible(ctx, ctx.params.runbook);
  const fields = parseResourceFields(ctx, FIELD_VERSIONS);
  return json(ctx, runbookView(rb, ctx, fields));
}

async function patchRunbook(ctx: ApiContext): Promise<Response> {
  const rb = await loadVisible(ctx, ctx.params.runbook);
  requireRule(ctx, "baremetal:runbook:update", rb);
  const patchable = ["name", "steps", "disable_ramdisk", "public", "owner", "extra", ...(ctx.minor >= 112 ? ["description"] : [])];
  const current: Record<string, unknown> = {
    name: rb.name, steps: rb.steps, disable_ramdisk: rb.disableRamdisk, public: rb.public, owner: rb.owner, extra: rb.extra,
    description: rb.description,
  };
  const { patched } = patchDocument(ctx.body, current, patchable);
  if (patched.name === undefined || patched.name === null) throw new Invalid("Schema error for runbook: 'name' is a required property");
  const name = patched.name === rb.name ? rb.name : validateName(patched.name, ctx.minor);
  const steps = validateRunbookSteps(patched.steps);
  const disableRamdisk = patched.disable_ramdisk === undefined || patched.disable_ramdisk === null ? false : bodyBool("disable_ramdisk", patched.disable_ramdisk);
  const pub = patched.public === undefined || patched.public === null ? false : bodyBool("public", patched.public);
  const owner = validateOwner(patched.owner);
  const description = validateDescription(patched.description);
  const extra = patched.extra ?? {};
  if (typeof extra !== "object" || Array.isArray(extra)) throw new Invalid(`Schema error for runbook: ${pyRepr(extra)} is not of type 'object'`);
  if (pub !== rb.public) requireRule(ctx, "baremetal:runbook:update:public", rb);
  if (owner !== rb.owner) requireRule(ctx, "baremetal:runbook:update:owner", rb);
  checkPublicOwner(pub, owner);
  const changed = await changeRunbook(rb, { name, steps, disableRamdisk, public: pub, owner, description, extra });
  return json(ctx, runbookView(changed, ctx));
}

async function deleteRunbook(ctx: ApiContext): Promise<Response> {
  const rb = await loadVisible(ctx, ctx.params.runbook);
  requireRule(ctx, "baremetal:runbook:delete", rb);
  await removeRunbook(rb);
  return empty(ctx, 204);
}

// ---- traits (1.112) ----

async function listTraits(ctx: ApiContext): Promise<Response> {
  const rb = await loadVisible(ctx, ctx.params.runbook);
  return json(ctx, { traits: rb.traits });
}

async function putTraits(ctx: ApiContext): Promise<Response> {
  const rb = await loadVisible(ctx, ctx.params.runbook);
  requireRule(ctx, "baremetal:runbook:update", rb);
  const b = bodyObj(ctx);
  const extraKeys = Object.keys(b).filter((k) => k !== "traits");
  if (extraKeys.length) throw new Invalid(`Unexpected arguments: ${extraKeys.join(", ")}`);
  if (!("traits" in b)) throw new Invalid("Missing mandatory parameter: traits");
  const traits = validateTraits(b.traits, "body");
  await replaceRunbookTraits(rb, traits);
  return empty(ctx, 204);
}

async function addTrait(ctx: ApiContext): Promise<Response> {
  const rb = await loadVisible(ctx, ctx.params.runbook);
  requireRule(ctx, "baremetal:runbook:update", rb);
  const trait = validateTrait(ctx.params.trait);
  if (!rb.traits.includes(trait)) {
    if (rb.traits.length >= 50) throw new Invalid(`Could not modify traits for runbook: too many traits (${rb.traits.length + 1}), the maximum is 50.`);
    await addRunbookTrait(rb, trait);
  }
  return empty(ctx, 204);
}

async function deleteTraits(ctx: ApiContext): Promise<Response> {
  const rb = await loadVisible(ctx, ctx.params.runbook);
  requireRule(ctx, "baremetal:runbook:update", rb);
  await replaceRunbookTraits(rb, []);
  return empty(ctx, 204);
}

async function deleteTrait(ctx: ApiContext): Promise<Response> {
  const rb = await loadVisible(ctx, ctx.params.runbook);
  requireRule(ctx, "baremetal:runbook:update", rb);
  const trait = ctx.params.trait;
  if (!rb.traits.includes(trait)) throw new NotFound(`Runbook ${rb.uuid} doesn't have a trait '${trait}'`);
  await removeRunbookTrait(rb, trait);
  return empty(ctx, 204);
}

const V = { minVersion: 92, belowVersionStatus: 405 } as const;
const VT = { minVersion: 112 } as const;

// Policies are checked in the handlers: they depend on the runbook's owner and `public`.
export const routes: RouteDef[] = [
  { method: "GET", path: "/v1/runbooks", ...V, handler: listRunbooks },
  { method: "POST", path: "/v1/runbooks", ...V, handler: createRunbook },
  { method: "GET", path: "/v1/runbooks/:runbook", ...V, handler: showRunbook },
  { method: "PATCH", path: "/v1/runbooks/:runbook", ...V, handler: patchRunbook },
  { method: "DELETE", path: "/v1/runbooks/:runbook", ...V, handler: deleteRunbook },
  { method: "GET", path: "/v1/runbooks/:runbook/traits", ...VT, handler: listTraits },
  { method: "PUT", path: "/v1/runbooks/:runbook/traits", ...VT, handler: putTraits },
  { method: "DELETE", path: "/v1/runbooks/:runbook/traits", ...VT, handler: deleteTraits },
  { method: "PUT", path: "/v1/runbooks/:runbook/traits/:trait", ...VT, handler: addTrait },
  { method: "DELETE", path: "/v1/runbooks/:runbook/traits/:trait", ...VT, handler: deleteTrait },
];
