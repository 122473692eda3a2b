// Which node actions the viewer may take now, and why not when they can't: the transition table
// (lib/shared/states.ts) and the policy (lib/shared/policy.ts) — both pure, the same code the API
// runs — plus the API's own refusals (maintenance, lock, protected, retired). Pure: unit-tested.
import { authorize, type Principal } from "@/lib/shared/policy.ts";
import {
  ABORT_STATE_MIN_VERSION, DELETE_ALLOWED_STATES, inStates, isProvisionState, POWER_CHANGE_REFUSED_STATES, POWER_TARGETS,
  PowerState, verbAllowedFrom, verbSourceStates, type PowerTarget, type Verb,
} from "@/lib/shared/states.ts";

/** The node fields the decision needs (Ironic's JSON names). */
export interface ActionNode {
  provision_state: string;
  power_state?: string | null;
  target_power_state?: string | null;
  maintenance?: boolean;
  reservation?: string | null;
  protected?: boolean;
  retired?: boolean;
  disable_power_off?: boolean;
  owner?: string | null;
  lessee?: string | null;
}

/** The API verbs the page offers: all but the old names of deploy and undeploy ("active", "deleted"). */
export type ProvisionAction = Exclude<Verb, "active" | "deleted">;

export type PowerAction = PowerTarget;

export type NodeAction =
  | { group: "provision"; id: ProvisionAction }
  | { group: "power"; id: PowerAction }
  | { group: "maintenance"; id: "maintenance on" | "maintenance off" }
  | { group: "delete"; id: "delete" };

export interface ActionState {
  action: NodeAction;
  label: string;
  /** null when the action is available. */
  disabledReason: string | null;
}

export const PROVISION_ACTIONS: { id: ProvisionAction; label: string }[] = [
  { id: "manage", label: "Manage" },
  { id: "inspect", label: "Inspect" },
  { id: "clean", label: "Clean…" },
  { id: "provide", label: "Provide" },
  { id: "deploy", label: "Deploy…" },
  { id: "rebuild", label: "Rebuild" },
  { id: "undeploy", label: "Undeploy" },
  { id: "rescue", label: "Rescue…" },
  { id: "unrescue", label: "Unrescue" },
  { id: "service", label: "Service…" },
  { id: "adopt", label: "Adopt" },
  { id: "unhold", label: "Unhold" },
  { id: "abort", label: "Abort" },
];

export const POWER_ACTIONS: { id: PowerAction; label: string }[] = [
  { id: "power on", label: "Power on" },
  { id: "power off", label: "Power off" },
  { id: "rebooting", label: "Reboot" },
  { id: "soft rebooting", label: "Soft reboot" },
  { id: "soft power off", label: "Soft power off" },
];

/** The viewer's role as the reasons name it ("reader of your project"). */
export function roleText(who: Principal): string {
  if (who.systemRole) return `system ${who.systemRole}`;
  if (who.projectRole) return `${who.projectRole} of your project`;
  return "no role";
}

/** Why `who` may not act under `rule` (shown on disabled actions, here and in bulk actions). */
export function denied(rule: string, who: Principal): string {
  return `Not allowed: the policy ${rule} does not grant it to you (${roleText(who)})`;
}

function fromStates(verb: Verb, minor: number): string {
  const states = verbSourceStates(verb, minor);
  return states.length === 1 ? `"${states[0]}"` : `one of ${states.map((s) => `"${s}"`).join(", ")}`;
}

function provisionReason(id: ProvisionAction, node: ActionNode, who: Principal, minor: number): string | null {
  const rule = "baremetal:node:set_provision_state";
  if (!authorize(rule, who, node)) return denied(rule, who);
  if (id === "clean" && !authorize(`${rule}:clean_steps`, who, node)) return denied(`${rule}:clean_steps`, who);
  if (id === "service" && !authorize(`${rule}:service_steps`, who, node)) return denied(`${rule}:service_steps`, who);
  if ((id === "deploy" || id === "rebuild" || id === "clean") && node.maintenance) {
    return "The node is in maintenance: clear maintenance first";
  }
  const state = node.provision_state;
  if (isProvisionState(state) && !verbAllowedFrom(id, state, minor) && verbAllowedFrom(id, state, Number.MAX_SAFE_INTEGER)) {
    const gate = id === "abort" ? ABORT_STATE_MIN_VERSION[state] : undefined;
    return `Not possible in state "${state}" at API version 1.${minor}${gate ? ` (needs 1.${gate})` : ""}`;
  }
  if (!isProvisionState(state) || !verbAllowedFrom(id, state, minor)) {
    return `Not possible in state "${state}" (needs ${fromStates(id, minor)})`;
  }
  if (node.reservation) return `The node is locked by conductor ${node.reservation} while it works on it`;
  if ((id === "rebuild" || id === "undeploy") && node.protected) return "The node is protected: unset protected first";
  if (id === "provide" && node.retired) return "The node is retired: it can't be provided";
  return null;
}

function powerReason(id: PowerAction, node: ActionNode, who: Principal): string | null {
  const rule = "baremetal:node:set_power_state";
  if (!authorize(rule, who, node)) return denied(rule, who);
  if (inStates(node.provision_state, POWER_CHANGE_REFUSED_STATES)) {
    return `Not possible in state "${node.provision_state}": cleaning controls the power`;
  }
  if (node.reservation) return `The node is locked by conductor ${node.reservation} while it works on it`;
  if (node.target_power_state) return `A power change to "${node.target_power_state}" is in progress`;
  const result = POWER_TARGETS[id].result;
  if (node.disable_power_off && result === PowerState.OFF && id !== PowerState.REBOOT && id !== PowerState.SOFT_REBOOT) {
    return "Power off is disabled for this node (disable_power_off)";
  }
  if (node.power_state === result && (id === PowerState.ON || id === PowerState.OFF || id === PowerState.SOFT_OFF)) {
    return `The node is already ${node.power_state === PowerState.ON ? "on" : "off"}`;
  }
  return null;
}

function deleteReason(node: ActionNode, who: Principal): string | null {
  if (!authorize("baremetal:node:delete", who, node)) return denied("baremetal:node:delete", who);
  if (node.protected) return "The node is protected: unset protected first";
  if (!node.maintenance && !inStates(node.provision_state, DELETE_ALLOWED_STATES)) {
    return `Not possible in state "${node.provision_state}" (needs ${DELETE_ALLOWED_STATES.map((s) => `"${s}"`).join(", ")}, or maintenance)`;
  }
  if (node.reservation) return `The node is locked by conductor ${node.reservation} while it works on it`;
  return null;
}

/** Every action, in display order, each with the reason it is disabled (or null); `minor` = negotiated API minor version. */
export function nodeActions(node: ActionNode, who: Principal, minor = Number.MAX_SAFE_INTEGER): ActionState[] {
  const out: ActionState[] = [];
  for (const a of PROVISION_ACTIONS) {
    out.push({ action: { group: "provision", id: a.id }, label: a.label, disabledReason: provisionReason(a.id, node, who, minor) });
  }
  for (const a of POWER_ACTIONS) {
    out.push({ action: { group: "power", id: a.id }, label: a.label, disabledReason: powerReason(a.id, node, who) });
  }
  if (node.maintenance) {
    const rule = "baremetal:node:clear_maintenance";
    out.push({ action: { group: "maintenance", id: "maintenance off" }, label: "Clear maintenance", disabledReason: authorize(rule, who, node) ? null : denied(rule, who) });
  } else {
    const rule = "baremetal:node:set_maintenance";
    out.push({ action: { group: "maintenance", id: "maintenance on" }, label: "Set maintenance…", disabledReason: authorize(rule, who, node) ? null : denied(rule, who) });
  }
  out.push({ action: { group: "delete", id: "delete" }, label: "Delete…", disabledReason: deleteReason(node, who) });
  return out;
}

/** The body of PUT /v1/nodes/{n}/states/provision for a verb with no extra arguments. */
export function provisionBody(id: ProvisionAction, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { target: id, ...extra };
}
