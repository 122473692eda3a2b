import { describe, expect, it } from "vitest";
import {
  AGENT_WAIT_STATES, ALL_STATES, CLEANING_STATES, HEARTBEAT_ALLOWED_STATES, inStates, isFailed, isProvisionState,
  LOOKUP_ALLOWED_STATES, nextState, provisionStateAtVersion, SERVICING_STATES, STATES, targetFor, VERBS, verbAllowedFrom,
  verbSourceStates, type Event, type ProvisionState, type Verb,
} from "./states.ts";

// The transition list of reference §1.2, written out independently of the table.
const EXPECTED: [string, string, string][] = [
  ["enroll", "manage", "verifying"],
  ["verifying", "done", "manageable"], ["verifying", "fail", "enroll"],
  ["manageable", "provide", "cleaning"], ["manageable", "clean", "cleaning"], ["manageable", "inspect", "inspecting"], ["manageable", "adopt", "adopting"],
  ["available", "deploy", "deploying"], ["available", "manage", "manageable"],
  ["deploying", "done", "active"], ["deploying", "fail", "deploy failed"], ["deploying", "wait", "wait call-back"], ["deploying", "hold", "deploy hold"],
  ["wait call-back", "resume", "deploying"], ["wait call-back", "hold", "deploy hold"], ["wait call-back", "fail", "deploy failed"], ["wait call-back", "abort", "deploy failed"], ["wait call-back", "delete", "deleting"],
  ["deploy hold", "unhold", "wait call-back"], ["deploy hold", "abort", "deploy failed"],
  ["deploy failed", "rebuild", "deploying"], ["deploy failed", "deploy", "deploying"], ["deploy failed", "delete", "deleting"],
  ["active", "rebuild", "deploying"], ["active", "delete", "deleting"], ["active", "rescue", "rescuing"], ["active", "service", "servicing"],
  ["deleting", "clean", "cleaning"], ["deleting", "fail", "error"],
  ["error", "rebuild", "deploying"], ["error", "delete", "deleting"],
  ["cleaning", "done", "available"], ["cleaning", "manage", "manageable"], ["cleaning", "fail", "clean failed"], ["cleaning", "wait", "clean wait"], ["cleaning", "hold", "clean hold"],
  ["clean wait", "resume", "cleaning"], ["clean wait", "hold", "clean hold"], ["clean wait", "fail", "clean failed"], ["clean wait", "abort", "clean failed"],
  ["clean hold", "unhold", "clean wait"], ["clean hold", "abort", "clean failed"],
  ["clean failed", "manage", "manageable"],
  ["inspecting", "done", "manageable"], ["inspecting", "fail", "inspect failed"], ["inspecting", "wait", "inspect wait"],
  ["inspect wait", "done", "manageable"], ["inspect wait", "resume", "inspecting"], ["inspect wait", "fail", "inspect failed"], ["inspect wait", "abort", "inspect failed"],
  ["inspect failed", "manage", "manageable"], ["inspect failed", "inspect", "inspecting"],
  ["adopting", "done", "active"], ["adopting", "fail", "adopt failed"],
  ["adopt failed", "adopt", "adopting"], ["adopt failed", "manage", "manageable"],
  ["rescuing", "done", "rescue"], ["rescuing", "wait", "rescue wait"], ["rescuing", "fail", "rescue failed"],
  ["rescue wait", "resume", "rescuing"], ["rescue wait", "fail", "rescue failed"], ["rescue wait", "abort", "rescue failed"], ["rescue wait", "delete", "deleting"],
  ["rescue", "rescue", "rescuing"], ["rescue", "unrescue", "unrescuing"], ["rescue", "delete", "deleting"],
  ["rescue failed", "rescue", "rescuing"], ["rescue failed", "unrescue", "unrescuing"], ["rescue failed", "delete", "deleting"],
  ["unrescuing", "done", "active"], ["unrescuing", "fail", "unrescue failed"],
  ["unrescue failed", "rescue", "rescuing"], ["unrescue failed", "unrescue", "unrescuing"], ["unrescue failed", "delete", "deleting"],
  ["servicing", "done", "active"], ["servicing", "fail", "service failed"], ["servicing", "wait", "service wait"], ["servicing", "hold", "service hold"],
  ["service wait", "resume", "servicing"], ["service wait", "hold", "service hold"], ["service wait", "fail", "service failed"], ["service wait", "abort", "service failed"], ["service wait", "delete", "deleting"],
  ["service hold", "service", "servicing"], ["service hold", "unhold", "service wait"], ["service hold", "fail", "service failed"], ["service hold", "abort", "service failed"],
  ["service failed", "service", "servicing"], ["service failed", "rescue", "rescuing"], ["service failed", "wait", "service wait"], ["service failed", "hold", "service hold"], ["service failed", "delete", "deleting"], ["service failed", "abort", "active"],
];

const EVENTS: Event[] = ["manage", "provide", "inspect", "deploy", "rebuild", "delete", "clean", "abort", "adopt", "rescue", "unrescue", "unhold", "service", "done", "fail", "wait", "resume", "hold"];

describe("transition table", () => {
  it("has all 30 states", () => {
    expect(ALL_STATES).toHaveLength(30);
  });

  it("has exactly the 93 transitions of the reference", () => {
    const actual: [string, string, string][] = [];
    for (const s of ALL_STATES) for (const [e, d] of Object.entries(STATES[s].on)) actual.push([s, e, d as string]);
    expect(actual).toHaveLength(93);
    expect(EXPECTED).toHaveLength(93);
    expect(new Set(actual.map((t) => t.join("|")))).toEqual(new Set(EXPECTED.map((t) => t.join("|"))));
  });

  it.each(EXPECTED)("%s --%s--> %s", (from, event, to) => {
    expect(nextState(from as ProvisionState, event as Event)).toBe(to);
  });

  it("rejects every event the table does not list", () => {
    const allowed = new Set(EXPECTED.map(([s, e]) => `${s}|${e}`));
    let rejected = 0;
    for (const s of ALL_STATES) {
      for (const e of EVENTS) {
        if (allowed.has(`${s}|${e}`)) continue;
        expect(nextState(s, e), `${s} --${e}-->`).toBeNull();
        rejected++;
      }
    }
    expect(rejected).toBe(30 * EVENTS.length - 93);
  });

  it("every destination is a known state", () => {
    for (const s of ALL_STATES) for (const d of Object.values(STATES[s].on)) expect(isProvisionState(d)).toBe(true);
  });

  it("stable states clear the target; failure states keep theirs", () => {
    expect(targetFor("active")).toBeNull();
    expect(targetFor("manageable")).toBeNull();
    expect(targetFor("deploy failed")).toBe("active");
    expect(targetFor("cleaning")).toBe("available");
    expect(targetFor("cleaning", "manageable")).toBe("manageable");
    expect(targetFor("verifying")).toBe("manageable");
  });
});

describe("API verbs", () => {
  const SOURCES: Record<Verb, string[]> = {
    active: ["available", "deploy failed"],
    deploy: ["available", "deploy failed"],
    rebuild: ["active", "deploy failed", "error"],
    deleted: ["active", "wait call-back", "deploy failed", "error", "rescue", "rescue wait", "rescue failed", "unrescue failed", "service wait", "service failed"],
    undeploy: ["active", "wait call-back", "deploy failed", "error", "rescue", "rescue wait", "rescue failed", "unrescue failed", "service wait", "service failed"],
    manage: ["enroll", "available", "clean failed", "inspect failed", "adopt failed"],
    provide: ["manageable"],
    inspect: ["manageable", "inspect failed"],
    clean: ["manageable"],
    abort: ["clean wait", "clean hold", "inspect wait", "rescue wait", "wait call-back", "deploy hold", "service wait", "service hold", "service failed"],
    adopt: ["manageable", "adopt failed"],
    rescue: ["active", "rescue", "rescue failed", "unrescue failed", "service failed"],
    unrescue: ["rescue", "rescue failed", "unrescue failed"],
    unhold: ["clean hold", "deploy hold", "service hold"],
    service: ["active", "service hold", "service failed"],
  };

  it.each(Object.entries(SOURCES))("%s is allowed from exactly its source states", (verb, sources) => {
    expect(new Set(verbSourceStates(verb as Verb))).toEqual(new Set(sources));
  });

  it("gates verbs by microversion", () => {
    expect(VERBS.manage.minVersion).toBe(4);
    expect(VERBS.deploy.minVersion).toBe(73);
    expect(VERBS.undeploy.minVersion).toBe(73);
    expect(VERBS.clean.minVersion).toBe(15);
    expect(VERBS.rescue.minVersion).toBe(38);
    expect(VERBS.unhold.minVersion).toBe(85);
    expect(VERBS.service.minVersion).toBe(87);
  });

  it("gates abort from inspect wait (1.41) and wait call-back (1.110)", () => {
    expect(verbAllowedFrom("abort", "inspect wait", 40)).toBe(false);
    expect(verbAllowedFrom("abort", "inspect wait", 41)).toBe(true);
    expect(verbAllowedFrom("abort", "wait call-back", 109)).toBe(false);
    expect(verbAllowedFrom("abort", "wait call-back", 110)).toBe(true);
    expect(verbAllowedFrom("abort", "clean wait", 13)).toBe(true);
  });

  it("requires steps or a password where the reference does", () => {
    expect(VERBS.clean.requiresOneOf).toEqual(["clean_steps", "runbook"]);
    expect(VERBS.service.requiresOneOf).toEqual(["service_steps", "runbook"]);
    expect(VERBS.rescue.requiresOneOf).toEqual(["rescue_password"]);
  });
});

describe("state sets", () => {
  it("failed: the failure states and error, nothing else", () => {
    expect(ALL_STATES.filter(isFailed).sort()).toEqual([
      "adopt failed", "clean failed", "deploy failed", "error", "inspect failed", "rescue failed", "service failed", "unrescue failed",
    ]);
    expect(isFailed("power failed")).toBe(false);
  });

  it("a cleaning or servicing under way: the state and where its steps wait or hold", () => {
    const underWay = (s: ProvisionState) => [s, nextState(s, "wait"), nextState(s, "hold")];
    expect([...CLEANING_STATES].sort()).toEqual(underWay("cleaning").sort());
    expect([...SERVICING_STATES].sort()).toEqual(underWay("servicing").sort());
  });

  it("the agent wait states are wait states whose agent may look the node up and heartbeat", () => {
    for (const s of AGENT_WAIT_STATES) {
      expect(STATES[s].kind).toBe("wait");
      expect(inStates(s, LOOKUP_ALLOWED_STATES) && inStates(s, HEARTBEAT_ALLOWED_STATES)).toBe(true);
    }
  });

  it("inStates takes any string, null included", () => {
    expect(inStates("clean wait", CLEANING_STATES)).toBe(true);
    expect(inStates("bogus", CLEANING_STATES)).toBe(false);
    expect(inStates(null, CLEANING_STATES)).toBe(false);
  });

  it("shows states as older microversions named them", () => {
    expect(provisionStateAtVersion("available", 1)).toBeNull();
    expect(provisionStateAtVersion("available", 2)).toBe("available");
    expect(provisionStateAtVersion("inspect wait", 38)).toBe("inspecting");
    expect(provisionStateAtVersion("inspect wait", 39)).toBe("inspect wait");
    expect(provisionStateAtVersion("active", 1)).toBe("active");
    expect(provisionStateAtVersion(null, 1)).toBeNull();
  });
});
