import { describe, expect, it } from "vitest";
import type { Principal } from "@/lib/shared/policy.ts";
import { nodeActions, type ActionNode } from "./actions.ts";

const admin: Principal = { userId: "u1", username: "admin", systemRole: "admin", projectId: null, projectRole: null };
const lesseeMember: Principal = { userId: "u2", username: "bob", systemRole: null, projectId: "p2", projectRole: "member" };

function reasons(node: ActionNode, who: Principal, minor?: number) {
  return Object.fromEntries(nodeActions(node, who, minor).map((a) => [a.action.id, a.disabledReason]));
}

describe("nodeActions", () => {
  it("enables exactly the verbs the transition table allows, and says why for the others", () => {
    const r = reasons({ provision_state: "manageable", power_state: "power off" }, admin);
    for (const ok of ["provide", "inspect", "clean", "adopt", "power on", "rebooting", "maintenance on", "delete"]) expect(r[ok]).toBeNull();
    expect(r.deploy).toBe('Not possible in state "manageable" (needs one of "available", "deploy failed")');
    expect(r.manage).toMatch(/^Not possible in state "manageable"/);
    expect(r["power off"]).toBe("The node is already off");
  });

  it("maintenance blocks deploy, rebuild and clean; the lock blocks the rest", () => {
    expect(reasons({ provision_state: "available", maintenance: true }, admin).deploy).toBe("The node is in maintenance: clear maintenance first");
    const locked = reasons({ provision_state: "available", reservation: "c1" }, admin);
    expect(locked.deploy).toBe("The node is locked by conductor c1 while it works on it");
    expect(locked.delete).toBe("The node is locked by conductor c1 while it works on it");
    expect(nodeActions({ provision_state: "available", maintenance: true }, admin).find((a) => a.action.id === "maintenance off")?.disabledReason).toBeNull();
  });

  it("a lessee member may not deploy (needs lessee admin) and cannot delete", () => {
    const r = reasons({ provision_state: "available", owner: "p1", lessee: "p2" }, lesseeMember);
    expect(r.deploy).toBe("Not allowed: the policy baremetal:node:set_provision_state does not grant it to you (member of your project)");
    expect(r["power on"]).toBeNull();
    expect(r.delete).toMatch(/baremetal:node:delete/);
  });

  it("abort from wait call-back needs API 1.110", () => {
    expect(reasons({ provision_state: "wait call-back" }, admin, 110).abort).toBeNull();
    expect(reasons({ provision_state: "wait call-back" }, admin, 96).abort).toBe('Not possible in state "wait call-back" at API version 1.96 (needs 1.110)');
    expect(reasons({ provision_state: "active" }, admin, 96).abort).toMatch(/^Not possible in state "active" \(needs one of /);
  });

  it("protected and power-off-disabled nodes", () => {
    const r = reasons({ provision_state: "active", protected: true, power_state: "power on", disable_power_off: true }, admin);
    expect(r.undeploy).toBe("The node is protected: unset protected first");
    expect(r["power off"]).toBe("Power off is disabled for this node (disable_power_off)");
    expect(r.rebooting).toBeNull();
    expect(r.delete).toBe("The node is protected: unset protected first");
  });
});
