// Bulk-action jobs (Ingot extension, docs/api-extensions.md): one action over many nodes with
// per-node results. The job itself lives in lib/core/jobs.ts, and each node's action is performed
// by the same services the node API calls (lib/core/services/job_actions.ts); this module is the
// jobs' API: arguments, selections, views. Answers at every microversion.
import {
  ACTION_SETTLE, isJobAction, ITEM_STATES, JOB_ACTIONS, MAX_JOB_NODES,
  type Dict, type ItemState, type JobAction, type JobItemRecord, type JobRecord, type JobTarget,
} from "../../core/jobs.ts";
import {
  cancelJobFor, jobItems, listJobsFor, matchingTargets, namedTargets, startJob, visibleJob,
} from "../../core/services/jobs.ts";
import { IronicError, Invalid } from "../../core/errors.ts";
import { parseFleetQuery, type FleetQuery } from "../../core/fleet.ts";
import type { Principal } from "../../core/policy.ts";
import type { ApiJob, ApiJobItem, ApiJobSelection } from "../../shared/jobs.ts";
import { json, links, parseBool, ts, type ApiContext } from "../http.ts";
import type { RouteDef } from "../router.ts";
import { validate, type Schema } from "../schema.ts";
import { validateTraits } from "../validators.ts";

// ---------------------------------------------------------------------------------------------
// Arguments of each action (checked before anything runs)

const NO_ARGS: Schema = { type: "object", properties: {}, additionalProperties: false };
const PROJECT: Schema = { type: "string", minLength: 1, maxLength: 255, nullable: true };
const TRAITS: Schema = {
  type: "object", required: ["traits"], additionalProperties: false,
  properties: { traits: { type: "array", minItems: 1, maxItems: 50, items: { type: "string" } } },
};

export const ACTION_ARGS: Record<JobAction, Schema> = {
  manage: NO_ARGS,
  provide: NO_ARGS,
  inspect: NO_ARGS,
  clean: {
    type: "object", required: ["clean_steps"], additionalProperties: false,
    properties: {
      clean_steps: {
        type: "array", minItems: 1, maxItems: 100,
        items: {
          type: "object", required: ["interface", "step"], additionalProperties: false,
          properties: {
            interface: { type: "string", minLength: 1, maxLength: 64 },
            step: { type: "string", minLength: 1, maxLength: 255 },
            args: { type: "object" },
          },
        },
      },
      disable_ramdisk: { type: "boolean" },
    },
  },
  deploy: {
    type: "object", required: ["image_source"], additionalProperties: false,
    properties: {
      image_source: { type: "string", minLength: 1, maxLength: 2048 },
      image_checksum: { type: "string", maxLength: 255 },
      image_os_hash_algo: { type: "string", maxLength: 64 },
      image_os_hash_value: { type: "string", maxLength: 255 },
      root_gb: { type: "integer", minimum: 1 },
    },
  },
  undeploy: NO_ARGS,
  power_on: NO_ARGS,
  power_off: NO_ARGS,
  reboot: NO_ARGS,
  maintenance_on: { type: "object", additionalProperties: false, properties: { reason: { type: "string", maxLength: 255 } } },
  maintenance_off: NO_ARGS,
  set_owner: { type: "object", required: ["owner"], additionalProperties: false, properties: { owner: PROJECT } },
  set_lessee: { type: "object", required: ["lessee"], additionalProperties: false, properties: { lessee: PROJECT } },
  add_traits: TRAITS,
  remove_traits: TRAITS,
  delete: NO_ARGS,
};

/** The action's arguments, validated (400 naming the bad argument otherwise). */
export function checkActionArgs(action: JobAction, args: unknown): Dict {
  const value = validate<Dict>(ACTION_ARGS[action], args ?? {}, "args");
  if (action === "add_traits" || action === "remove_traits") {
    return { traits: validateTraits(value.traits, "args.traits") };
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Selection

const SELECTION: Schema = {
  anyOf: [
    {
      type: "object", required: ["kind", "uuids"], additionalProperties: false,
      properties: {
        kind: { type: "string", enum: ["nodes"] },
        uuids: { type: "array", minItems: 1, maxItems: MAX_JOB_NODES, items: { type: "string", minLength: 1, maxLength: 255 } },
      },
    },
    {
      type: "object", required: ["kind", "query"], additionalProperties: false,
      properties: {
        kind: { type: "string", enum: ["filter"] },
        query: { type: "string", maxLength: 8192 },
        except: { type: "array", maxItems: MAX_JOB_NODES, items: { type: "string", maxLength: 255 } },
        // What the browser counted when it asked (informational: the job holds what matches now).
        count: { type: "integer", minimum: 0 },
      },
    },
  ],
};

async function resolveSelection(principal: Principal, selection: Dict): Promise<{ targets: JobTarget[]; described: ApiJobSelection }> {
  if (selection.kind === "nodes") {
    const targets = await namedTargets(principal, selection.uuids as string[]);
    return { targets, described: { kind: "nodes" } };
  }
  // Everything matching a fleet query (as the fleet page shows it to this caller) except some.
  const query = String(selection.query ?? "").replace(/^\?/, "");
  const params = new URLSearchParams(query);
  let parsed: FleetQuery;
  try {
    parsed = parseFleetQuery(params);
  } catch (err) {
    if (err instanceof IronicError) throw err;
    throw new Invalid(`Invalid fleet query in selection: ${(err as Error).message}`);
  }
  const except = new Set((selection.except as string[] | undefined) ?? []);
  const targets = await matchingTargets(principal, parsed, except);
  return { targets, described: { kind: "filter", query, except: [...except] } };
}

// ---------------------------------------------------------------------------------------------
// Views

function itemView(item: JobItemRecord): ApiJobItem {
  return {
    node_uuid: item.nodeUuid,
    node_name: item.nodeName,
    state: item.state,
    message: item.message,
    started_at: ts(item.startedAt),
    finished_at: ts(item.finishedAt),
  };
}

function jobView(ctx: ApiContext, job: JobRecord, items?: JobItemRecord[]): ApiJob {
  const settle = ACTION_SETTLE[job.action];
  return {
    id: job.id,
    action: job.action,
    args: job.args,
    // Stored as resolveSelection described it.
    selection: job.selection as ApiJobSelection,
    state: job.state,
    expected_state: settle ? settle.expected : null,
    created_by: { user_id: job.userId, username: job.username, project_id: job.principal.projectId },
    created_at: ts(job.createdAt),
    updated_at: ts(job.updatedAt),
    finished_at: ts(job.finishedAt),
    counts: job.counts,
    links: links(ctx.base, `jobs/${job.id}`),
    ...(items ? { items: items.map(itemView) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Handlers

const CREATE_BODY: Schema = {
  type: "object", required: ["action", "selection"], additionalProperties: false,
  properties: {
    action: { type: "string", enum: JOB_ACTIONS },
    args: { type: "object" },
    selection: { type: "object" },
  },
};

async function postJob(ctx: ApiContext): Promise<Response> {
  const body = ctx.body as Dict;
  const action = body.action;
  if (!isJobAction(action)) throw new Invalid(`Unknown action ${JSON.stringify(action)}.`);
  const args = checkActionArgs(action, body.args);
  const selection = validate<Dict>(SELECTION, body.selection, "selection");
  const { targets, described } = await resolveSelection(ctx.principal, selection);
  const job = await startJob(ctx.principal, { action, args, selection: described, targets });
  return json(ctx, jobView(ctx, job), 201, { Location: `${ctx.base}/v1/jobs/${job.id}` });
}

async function loadJob(ctx: ApiContext): Promise<JobRecord> {
  return visibleJob(ctx.principal, ctx.params.job);
}

async function getOneJob(ctx: ApiContext): Promise<Response> {
  const job = await loadJob(ctx);
  const filter = ctx.url.searchParams.get("item_state");
  let states: ItemState[] | undefined;
  if (filter) {
    states = filter.split(",").map((s) => s.trim()).filter(Boolean) as ItemState[];
    const bad = states.find((s) => !ITEM_STATES.includes(s));
    if (bad) throw new Invalid(`Invalid item_state "${bad}": expected one of ${ITEM_STATES.join(", ")}.`);
  }
  return json(ctx, jobView(ctx, job, await jobItems(job, states)));
}

async function listAll(ctx: ApiContext): Promise<Response> {
  const q = ctx.url.searchParams;
  const who = ctx.principal;
  const mine = q.has("mine") ? parseBool("mine", q.get("mine")!) : false;
  const state = q.get("state") ?? undefined;
  if (state !== undefined && !["running", "finished", "cancelled"].includes(state)) {
    throw new Invalid(`Invalid state "${state}": expected running, finished or cancelled.`);
  }
  let limit = 50;
  if (q.has("limit")) {
    limit = Number(q.get("limit"));
    if (!Number.isInteger(limit) || limit < 1) throw new Invalid(`Invalid limit "${q.get("limit")}": expected a positive integer.`);
    limit = Math.min(limit, 1000);
  }
  const jobs = await listJobsFor(who, { mine, state: state as JobRecord["state"] | undefined, limit, marker: q.get("marker") ?? undefined });
  const out: Dict = { jobs: jobs.map((j) => jobView(ctx, j)) };
  if (jobs.length === limit) {
    const next = new URL(`${ctx.base}/v1/jobs`);
    for (const [k, v] of q) if (k !== "marker") next.searchParams.set(k, v);
    next.searchParams.set("marker", jobs[jobs.length - 1].id);
    out.next = next.toString();
  }
  return json(ctx, out);
}

async function postCancel(ctx: ApiContext): Promise<Response> {
  const job = await loadJob(ctx);
  return json(ctx, jobView(ctx, await cancelJobFor(job)));
}

export const routes: RouteDef[] = [
  { method: "POST", path: "/v1/jobs", body: CREATE_BODY, maxBody: 4 << 20, handler: postJob },
  { method: "GET", path: "/v1/jobs", handler: listAll },
  { method: "GET", path: "/v1/jobs/:job", handler: getOneJob },
  { method: "POST", path: "/v1/jobs/:job/cancel", handler: postCancel },
];
