import { describe, expect, it } from "vitest";
import { JOB_ACTION_RULES, JOB_ACTIONS } from "./jobs.ts";
import { authorizeOnSomeNode, RULES, type Principal } from "./policy.ts";

const who = (systemRole: Principal["systemRole"], projectRole: Principal["projectRole"] = null): Principal => ({
  userId: "u", username: "u", systemRole, projectId: systemRole ? null : "p", projectRole,
});
const offered = (p: Principal) => JOB_ACTIONS.filter((a) => JOB_ACTION_RULES[a].every((r) => authorizeOnSomeNode(r, p)));

describe("JOB_ACTION_RULES", () => {
  it("names only rules the policy knows (unknown rules deny everyone)", () => {
    for (const a of JOB_ACTIONS) for (const r of JOB_ACTION_RULES[a]) expect(Object.keys(RULES), `${a}: ${r}`).toContain(r);
  });

  it("offers readers nothing, project members the node-level actions, system members and admins everything", () => {
    expect(offered(who(null, "reader"))).toEqual([]);
    expect(offered(who("reader"))).toEqual([]);
    expect(offered(who(null, "member"))).toEqual(["manage", "provide", "inspect", "clean", "deploy", "undeploy", "power_on", "power_off", "reboot", "maintenance_on", "maintenance_off", "set_lessee"]);
    expect(offered(who(null, "admin"))).toEqual(JOB_ACTIONS.filter((a) => a !== "set_owner"));
    expect(offered(who("member"))).toEqual(JOB_ACTIONS.filter((a) => a !== "delete"));
    expect(offered(who("admin"))).toEqual([...JOB_ACTIONS]);
  });
});
