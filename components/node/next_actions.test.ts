import { describe, expect, it } from "vitest";
import type { Principal } from "@/lib/shared/policy.ts";
import { nodeActions } from "./actions.ts";
import { nextActions } from "./next_actions.ts";

const admin: Principal = { userId: "u1", username: "admin", systemRole: "admin", projectId: null, projectRole: null };
const ownerReader: Principal = { userId: "u3", username: "rita", systemRole: null, projectId: "p1", projectRole: "reader" };

describe("nextActions", () => {
  it("a failed deploy: retry, rebuild, undeploy and maintenance, from the transition table", () => {
    const node = { provision_state: "deploy failed", power_state: "power off", owner: "p1" };
    const next = nextActions(node.provision_state, nodeActions(node, admin));
    expect(next.map((n) => [n.state.action.id, n.label, n.state.disabledReason])).toEqual([
      ["deploy", "Retry the deployment", null],
      ["rebuild", "Deploy again from the start", null],
      ["undeploy", "Undeploy (tear down, then clean)", null],
      ["maintenance on", "Set maintenance (keep it out of use while you look)", null],
    ]);
  });
  it("a failed cleaning goes back to manageable; a reader sees the same actions disabled with the reason", () => {
    const node = { provision_state: "clean failed", power_state: "power off", owner: "p1", maintenance: true };
    const next = nextActions(node.provision_state, nodeActions(node, ownerReader));
    expect(next.map((n) => n.state.action.id)).toEqual(["manage", "maintenance off"]);
    for (const n of next) expect(n.state.disabledReason).toMatch(/^Not allowed: the policy .* does not grant it to you \(reader of your project\)$/);
  });
  it("nothing for a node that has not failed", () => {
    expect(nextActions("active", nodeActions({ provision_state: "active" }, admin))).toEqual([]);
  });
});
