// Bulk-action jobs (/v1/jobs, Ingot extension): the actions, the states of a job and of its
// items, and the answer's shape — shared by the job runner (lib/core/jobs.ts), the API and the
// dashboard's bulk actions.

export const JOB_ACTIONS = [
  "manage", "provide", "inspect", "clean", "deploy", "undeploy",
  "power_on", "power_off", "reboot", "maintenance_on", "maintenance_off",
  "set_owner", "set_lessee", "add_traits", "remove_traits", "delete",
] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

/**
 * The policy rules (lib/shared/policy.ts) the API calls of each action check on every node: a job
 * runs those calls as its creator (lib/api/v1/jobs.ts), so these decide what the viewer is offered.
 */
export const JOB_ACTION_RULES: Record<JobAction, readonly string[]> = {
  manage: ["baremetal:node:set_provision_state"],
  provide: ["baremetal:node:set_provision_state"],
  inspect: ["baremetal:node:set_provision_state"],
  clean: ["baremetal:node:set_provision_state", "baremetal:node:set_provision_state:clean_steps"],
  deploy: ["baremetal:node:update_instance_info", "baremetal:node:set_provision_state"],
  undeploy: ["baremetal:node:set_provision_state"],
  power_on: ["baremetal:node:set_power_state"],
  power_off: ["baremetal:node:set_power_state"],
  reboot: ["baremetal:node:set_power_state"],
  maintenance_on: ["baremetal:node:set_maintenance"],
  maintenance_off: ["baremetal:node:clear_maintenance"],
  set_owner: ["baremetal:node:update:owner"],
  set_lessee: ["baremetal:node:update:lessee"],
  add_traits: ["baremetal:node:traits:set"],
  remove_traits: ["baremetal:node:traits:delete"],
  delete: ["baremetal:node:delete"],
};

export function isJobAction(s: unknown): s is JobAction {
  return typeof s === "string" && (JOB_ACTIONS as readonly string[]).includes(s);
}

export type JobState = "running" | "finished" | "cancelled";
export type JobItemState = "pending" | "running" | "waiting" | "succeeded" | "failed" | "skipped";
export const ITEM_STATES: readonly JobItemState[] = ["pending", "running", "waiting", "succeeded", "failed", "skipped"];

export interface JobCounts {
  total: number;
  pending: number;
  running: number;
  waiting: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

// ---- the answers of /v1/jobs ----

export type ApiJobItem = {
  node_uuid: string;
  node_name: string | null;
  state: JobItemState;
  message: string | null;
  started_at: string | null;
  finished_at: string | null;
};

/** Which nodes a job was asked for: a list, or every node matching a fleet query except some. */
export type ApiJobSelection = { kind: "nodes" } | { kind: "filter"; query: string; except: string[] };

export type ApiJob = {
  id: string;
  action: JobAction;
  args: Record<string, unknown>;
  selection: ApiJobSelection;
  state: JobState;
  /** The provision or power state each node should end in (null: the call is the whole action). */
  expected_state: string | null;
  created_by: { user_id: string | null; username: string; project_id: string | null };
  created_at: string;
  updated_at: string | null;
  finished_at: string | null;
  counts: JobCounts;
  links: { href: string; rel: string }[];
  /** GET /v1/jobs/{id} only. */
  items?: ApiJobItem[];
};
