// Bulk-action jobs in the browser: what each action is called and which arguments it takes, and
// the requests (through the typed client). The actions and answers are lib/shared/jobs.ts.
import type { ApiJob, JobAction } from "../shared/jobs.ts";
import { isTraitName } from "../shared/traits.ts";
import type { IngotClient } from "./api.ts";
import type { NodeSelection } from "./selection.ts";

export type ArgsKind = "none" | "clean" | "deploy" | "maintenance" | "owner" | "lessee" | "traits";

export interface ActionInfo {
  action: JobAction;
  label: string;
  /** What it does, shown in the dialog. */
  description: string;
  args: ArgsKind;
  danger?: boolean;
  group: "Provisioning" | "Power" | "Maintenance" | "Ownership" | "Traits" | "Danger";
}

export const ACTIONS: readonly ActionInfo[] = [
  { action: "manage", label: "Manage", group: "Provisioning", args: "none", description: "Verify the nodes' drivers and move them to manageable." },
  { action: "provide", label: "Provide", group: "Provisioning", args: "none", description: "Clean the nodes (automated cleaning) and make them available." },
  { action: "inspect", label: "Inspect", group: "Provisioning", args: "none", description: "Inspect the hardware of manageable nodes." },
  { action: "clean", label: "Clean…", group: "Provisioning", args: "clean", description: "Run manual clean steps on manageable nodes." },
  { action: "deploy", label: "Deploy…", group: "Provisioning", args: "deploy", description: "Write an image to available nodes and boot them." },
  { action: "undeploy", label: "Undeploy", group: "Provisioning", args: "none", danger: true, description: "Tear down the instances on the nodes (their disks are cleaned)." },
  { action: "power_on", label: "Power on", group: "Power", args: "none", description: "Power the nodes on." },
  { action: "power_off", label: "Power off", group: "Power", args: "none", danger: true, description: "Power the nodes off." },
  { action: "reboot", label: "Reboot", group: "Power", args: "none", danger: true, description: "Reboot the nodes." },
  { action: "maintenance_on", label: "Maintenance on…", group: "Maintenance", args: "maintenance", description: "Put the nodes in maintenance mode." },
  { action: "maintenance_off", label: "Maintenance off", group: "Maintenance", args: "none", description: "Take the nodes out of maintenance mode." },
  { action: "set_owner", label: "Set owner…", group: "Ownership", args: "owner", description: "Set (or clear) the project that owns the nodes." },
  { action: "set_lessee", label: "Set lessee…", group: "Ownership", args: "lessee", description: "Set (or clear) the project that leases the nodes." },
  { action: "add_traits", label: "Add traits…", group: "Traits", args: "traits", description: "Add traits to the nodes." },
  { action: "remove_traits", label: "Remove traits…", group: "Traits", args: "traits", description: "Remove traits from the nodes." },
  { action: "delete", label: "Delete…", group: "Danger", args: "none", danger: true, description: "Delete the nodes from Ingot (they must be enroll, manageable or available)." },
];

export function actionInfo(action: JobAction): ActionInfo {
  return ACTIONS.find((a) => a.action === action) ?? { action, label: action, description: "", args: "none", group: "Provisioning" };
}

/** The label without its "…" (for titles like "Provide 20 nodes"). */
export function actionName(action: JobAction): string {
  return actionInfo(action).label.replace(/…$/, "");
}

/** Clean steps typed as JSON: a list of {interface, step, args?}, or a message saying what is wrong. */
export function parseCleanSteps(text: string): { steps: unknown[] } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { error: `Not valid JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(value) || value.length === 0) return { error: "Expected a non-empty list of steps." };
  for (const [i, s] of value.entries()) {
    if (!s || typeof s !== "object" || Array.isArray(s)) return { error: `Step ${i + 1} is not an object.` };
    const step = s as Record<string, unknown>;
    if (typeof step.interface !== "string" || !step.interface) return { error: `Step ${i + 1} needs an "interface" (e.g. "deploy").` };
    if (typeof step.step !== "string" || !step.step) return { error: `Step ${i + 1} needs a "step" name.` };
    if (step.args !== undefined && (typeof step.args !== "object" || step.args === null || Array.isArray(step.args))) {
      return { error: `Step ${i + 1}: "args" must be an object.` };
    }
    const extra = Object.keys(step).filter((k) => !["interface", "step", "args"].includes(k));
    if (extra.length) return { error: `Step ${i + 1} has unexpected keys: ${extra.join(", ")}.` };
  }
  return { steps: value };
}

/** Traits typed separated by spaces or commas, or a message naming the bad one. */
export function parseTraits(text: string): { traits: string[] } | { error: string } {
  const traits = [...new Set(text.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean))];
  if (!traits.length) return { error: "Give at least one trait." };
  const bad = traits.find((t) => !isTraitName(t));
  if (bad) return { error: `"${bad}" is not a trait: use CUSTOM_ and capitals, digits and _ (or a standard trait).` };
  if (traits.length > 50) return { error: "At most 50 traits at once." };
  return { traits };
}

export function createJob(api: IngotClient, action: JobAction, args: Record<string, unknown>, selection: NodeSelection): Promise<ApiJob> {
  return api.post<ApiJob>("/jobs", { action, args, selection });
}

export function cancelJob(api: IngotClient, id: string): Promise<ApiJob> {
  return api.post<ApiJob>(`/jobs/${encodeURIComponent(id)}/cancel`, {});
}

/** A job is done when nothing of it is pending, running or waiting. */
export function jobDone(job: Pick<ApiJob, "finished_at">): boolean {
  return job.finished_at !== null;
}

export function selectionCount(s: NodeSelection): number {
  return s.kind === "nodes" ? s.uuids.length : s.count;
}
