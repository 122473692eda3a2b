// What to do next with a failed node: the actions the transition table allows from its failure
// state (retry, back to manageable, undeploy, abort, …) and maintenance, each with what it does,
// gated like the actions bar (the viewer's role, locks, maintenance: components/node/actions.ts).
// Pure: unit-tested.
import { isFailed, isProvisionState, verbAllowedFrom } from "@/lib/shared/states.ts";
import type { ActionState } from "./actions.ts";

const WHAT_IT_DOES: Record<string, string> = {
  deploy: "Retry the deployment",
  rebuild: "Deploy again from the start",
  undeploy: "Undeploy (tear down, then clean)",
  manage: "Back to manageable (then fix, inspect or clean again)",
  provide: "Make it available again",
  inspect: "Retry the inspection",
  clean: "Clean again",
  rescue: "Retry the rescue",
  unrescue: "Leave rescue",
  service: "Retry the servicing",
  adopt: "Retry the adoption",
  abort: "Abort the operation",
  unhold: "Continue (unhold)",
  "maintenance on": "Set maintenance (keep it out of use while you look)",
  "maintenance off": "Clear maintenance",
};

export interface NextAction {
  state: ActionState;
  /** What choosing it does, as the button says it. */
  label: string;
}

/** The next actions for a failed node (empty when it is not failed); disabled ones keep their reason. */
export function nextActions(provisionState: string, actions: ActionState[]): NextAction[] {
  if (!isFailed(provisionState) || !isProvisionState(provisionState)) return [];
  return actions
    .filter((a) => (a.action.group === "provision" ? verbAllowedFrom(a.action.id, provisionState, Number.MAX_SAFE_INTEGER) : a.action.group === "maintenance"))
    .map((a) => ({ state: a, label: WHAT_IT_DOES[a.action.id] ?? a.label }));
}
