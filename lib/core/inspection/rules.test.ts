// The inspection rules engine: every operator, negation, multiple/loop, templating, every action,
// masking, ordering and validation messages.
import { describe, expect, it } from "vitest";
import {
  ACTIONS, applyRules, formatString, InspectionRuleFailure, OPERATORS, ruleMatches, sortRules, validateRule,
  type InspectionRuleDef, type RuleAction, type RuleCondition, type RuleTarget,
} from "./rules.ts";

function target(over: Partial<RuleTarget> = {}): RuleTarget {
  return {
    node: {
      uuid: "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", name: "node-1", driver: "fake-hardware", resource_class: null,
      properties: { cpus: 8, memory_mb: 16384, capabilities: "boot_mode:uefi" }, extra: {}, driver_info: { ipmi_address: "10.0.0.5" },
      instance_info: {}, description: null, automated_clean: null, retired: false,
    },
    traits: ["CUSTOM_OLD"],
    ports: [{ uuid: "6e9fbd3e-5a4c-4fb0-9b5e-6cfc9a63a0a1", address: "52:54:00:aa:bb:01", extra: {}, local_link_connection: {}, pxe_enabled: true, physical_network: null }],
    inventory: {
      cpu: { count: 8, architecture: "x86_64", model_name: "Xeon" },
      memory: { physical_mb: 16384 },
      interfaces: [
        { name: "eno1", mac_address: "52:54:00:aa:bb:01", ipv4_address: "192.168.1.10", has_carrier: true },
        { name: "eno2", mac_address: "52:54:00:aa:bb:02", ipv4_address: null, has_carrier: false },
      ],
      disks: [{ name: "/dev/sda", size: 480103981056, rotational: false }, { name: "/dev/sdb", size: 2000398934016, rotational: true }],
      bmc_address: "10.0.0.5",
      bmc: { password: "s3cret", user: "root" },
    },
    pluginData: { auth_token: "tok", root_disk: { name: "/dev/sda" } },
    logs: [],
    ...over,
  };
}

function rule(conditions: RuleCondition[], actions: RuleAction[], extra: Partial<InspectionRuleDef> = {}): InspectionRuleDef {
  return { uuid: extra.uuid ?? "r-1", description: null, priority: 0, phase: "main", sensitive: false, conditions, actions, ...extra };
}

const cond = (op: string, args: Record<string, unknown>, more: Partial<RuleCondition> = {}): boolean =>
  ruleMatches(rule([{ op, args, ...more }], [{ op: "log", args: { msg: "x" } }]), target());

describe("templating", () => {
  const ctx = { roots: { node: target().node, inventory: target().inventory, plugin_data: target().pluginData }, masked: new Set(["inventory", "plugin_data"]) };

  it("keeps the type of a whole placeholder and formats mixed strings Python-style", () => {
    expect(formatString("{inventory[cpu][count]}", ctx)).toBe(8);
    expect(formatString("{inventory[interfaces][0][mac_address]}", ctx)).toBe("52:54:00:aa:bb:01");
    expect(formatString("bm-{node.properties[memory_mb]}-{inventory[cpu][architecture]}", ctx)).toBe("bm-16384-x86_64");
    expect(formatString("{node.driver}", ctx)).toBe("fake-hardware");
    expect(formatString("{inventory[interfaces][-1][name]}", ctx)).toBe("eno2");
    expect(formatString("x={node.retired} y={node.description}", ctx)).toBe("x=False y=None");
    expect(formatString("{{literal}}", ctx)).toBe("{literal}");
  });

  it("leaves unresolvable strings as they are", () => {
    expect(formatString("{inventory[nope]}", ctx)).toBe("{inventory[nope]}");
    expect(formatString("a{unknown}b", ctx)).toBe("a{unknown}b");
    expect(formatString("\\d{3}", ctx)).toBe("\\d{3}");
  });

  it("masks secrets of inventory and plugin data", () => {
    expect(formatString("{inventory[bmc][password]}", ctx)).toBe("***");
    expect(formatString("{plugin_data[auth_token]}", ctx)).toBe("***");
    expect(formatString("{inventory[bmc]}", ctx)).toEqual({ password: "***", user: "root" });
    const open = { ...ctx, masked: new Set<string>() };
    expect(formatString("{inventory[bmc][password]}", open)).toBe("s3cret");
  });
});

describe("operators", () => {
  it("has exactly the in-tree set", () => {
    expect(Object.keys(OPERATORS).sort()).toEqual(
      ["contains", "eq", "gt", "in-net", "is-empty", "is-false", "is-none", "is-true", "lt", "matches", "one-of"],
    );
  });

  it("eq / lt / gt chain pairwise, fewer than two values pass", () => {
    expect(cond("eq", { values: ["{inventory[cpu][count]}", 8] })).toBe(true);
    expect(cond("eq", { values: ["{inventory[cpu][count]}", "8", 8.0] })).toBe(true);
    expect(cond("eq", { values: [1, 2] })).toBe(false);
    expect(cond("eq", { values: [{ a: [1] }, { a: [1] }] })).toBe(true);
    expect(cond("eq", { values: [1] })).toBe(true);
    expect(cond("lt", { values: [1, "{inventory[cpu][count]}", 100] })).toBe(true);
    expect(cond("lt", { values: [1, 1] })).toBe(false);
    expect(cond("gt", { values: ["{node.properties[memory_mb]}", 8192] })).toBe(true);
    expect(cond("gt", { values: ["b", "a"] })).toBe(true);
    expect(() => cond("gt", { values: [1, { a: 1 }] })).toThrow(/cannot order/);
    expect(() => cond("eq", { values: "x" })).toThrow(/expected a list/);
  });

  it("is-empty, is-none, is-true, is-false", () => {
    for (const v of ["", null, [], {}, "None", "[]", "{}", "{inventory[interfaces][1][ipv4_address]}"]) expect(cond("is-empty", { value: v })).toBe(true);
    expect(cond("is-empty", { value: "x" })).toBe(false);
    expect(cond("is-none", { value: null })).toBe(true);
    expect(cond("is-none", { value: "None" })).toBe(true);
    expect(cond("is-none", { value: "" })).toBe(false);
    for (const v of [true, 1, "yes", "True"]) expect(cond("is-true", { value: v })).toBe(true);
    for (const v of [false, 0, "no", "x", null]) expect(cond("is-true", { value: v })).toBe(false);
    for (const v of [false, 0, "No", "false", null]) expect(cond("is-false", { value: v })).toBe(true);
    expect(cond("is-false", { value: "x" })).toBe(false);
    expect(cond("is-true", { value: "{inventory[interfaces][0][has_carrier]}" })).toBe(true);
  });

  it("in-net for IPv4 and IPv6, bad input is an error", () => {
    expect(cond("in-net", { address: "{inventory[bmc_address]}", subnet: "10.0.0.0/24" })).toBe(true);
    expect(cond("in-net", { address: "10.0.1.5", subnet: "10.0.0.0/24" })).toBe(false);
    expect(cond("in-net", { address: "2001:db8::1", subnet: "2001:db8::/32" })).toBe(true);
    expect(cond("in-net", { address: "10.0.0.1", subnet: "2001:db8::/32" })).toBe(false);
    expect(() => cond("in-net", { address: "nope", subnet: "10.0.0.0/8" })).toThrow(/invalid IP address/);
    expect(() => cond("in-net", { address: "10.0.0.1", subnet: "10.0.0.0/40" })).toThrow(/invalid subnet/);
  });

  it("matches is a full match, contains searches; Python named groups work", () => {
    expect(cond("matches", { value: "{inventory[cpu][model_name]}", regex: "Xe.n" })).toBe(true);
    expect(cond("matches", { value: "Xeon Gold", regex: "Xeon" })).toBe(false);
    expect(cond("contains", { value: "Xeon Gold", regex: "Gol" })).toBe(true);
    expect(cond("contains", { value: "abc", regex: "(?P<x>b)c" })).toBe(true);
    expect(cond("matches", { value: 8, regex: "\\d" })).toBe(true);
  });

  it("one-of", () => {
    expect(cond("one-of", { value: "{inventory[cpu][architecture]}", values: ["aarch64", "x86_64"] })).toBe(true);
    expect(cond("one-of", { value: "ppc64le", values: ["aarch64", "x86_64"] })).toBe(false);
  });

  it("negation with !", () => {
    expect(cond("!eq", { values: [1, 2] })).toBe(true);
    expect(cond("! eq", { values: [1, 1] })).toBe(false);
    expect(cond("!is-empty", { value: "{inventory[cpu][model_name]}" })).toBe(true);
  });

  it("loops with multiple any / all / first / last, {item} templating and string loops", () => {
    const sizes = { op: "gt", args: { values: ["{item[size]}", 1000000000000] } };
    expect(cond(sizes.op, sizes.args, { loop: "{inventory[disks]}" })).toBe(true);
    expect(cond(sizes.op, sizes.args, { loop: "{inventory[disks]}", multiple: "all" })).toBe(false);
    expect(cond(sizes.op, sizes.args, { loop: "{inventory[disks]}", multiple: "first" })).toBe(false);
    expect(cond(sizes.op, sizes.args, { loop: "{inventory[disks]}", multiple: "last" })).toBe(true);
    // Literal loops; in loops values compare as strings (as Ironic's force_strings).
    expect(cond("eq", { values: ["{item}", "{inventory[cpu][count]}"] }, { loop: [4, 8] })).toBe(true);
    expect(cond("eq", { values: ["{item}", "{inventory[cpu][count]}"] }, { loop: [4, 8], multiple: "all" })).toBe(false);
    // A dict loop is one item.
    expect(cond("eq", { values: ["{item[a]}", "1"] }, { loop: { a: 1 } })).toBe(true);
    // Loop items may hold placeholders themselves.
    expect(cond("eq", { values: ["{item}", "x86_64"] }, { loop: ["{inventory[cpu][architecture]}"] })).toBe(true);
  });
});

describe("actions", () => {
  function run(actions: RuleAction[], t = target()): RuleTarget {
    applyRules([rule([], actions)], t);
    return t;
  }

  it("has the in-tree set except api-call", () => {
    expect(Object.keys(ACTIONS).sort()).toEqual([
      "add-trait", "del-attribute", "del-port-attribute", "extend-attribute", "extend-plugin-data", "extend-port-attribute",
      "fail", "log", "remove-trait", "set-attribute", "set-capability", "set-plugin-data", "set-port-attribute",
      "unset-capability", "unset-plugin-data",
    ]);
  });

  it("fail stops with the message", () => {
    expect(() => run([{ op: "fail", args: { msg: "too small: {inventory[cpu][count]} CPUs" } }])).toThrow(
      expect.objectContaining({ message: "too small: 8 CPUs", requested: true }),
    );
  });

  it("log records messages with their level", () => {
    const t = run([{ op: "log", args: { msg: "arch {inventory[cpu][architecture]}" } }, { op: "log", args: { msg: "w", level: "WARNING" } }]);
    expect(t.logs).toEqual([{ rule: "r-1", level: "info", message: "arch x86_64" }, { rule: "r-1", level: "warning", message: "w" }]);
  });

  it("set-attribute with / and . paths, nested creation, typed values", () => {
    const t = run([
      { op: "set-attribute", args: { path: "/properties/cpu_model", value: "{inventory[cpu][model_name]}" } },
      { op: "set-attribute", args: { path: "extra.deep.er", value: "{inventory[cpu][count]}" } },
      { op: "set-attribute", args: { path: "resource_class", value: "bm-{node.properties[memory_mb]}" } },
      { op: "set-attribute", args: { path: "/driver_info/ipmi_address", value: "{inventory[bmc_address]}" } },
    ]);
    expect(t.node.properties).toMatchObject({ cpu_model: "Xeon", cpus: 8 });
    expect(t.node.extra).toEqual({ deep: { er: 8 } });
    expect(t.node.resource_class).toBe("bm-16384");
    expect((t.node.driver_info as Record<string, unknown>).ipmi_address).toBe("10.0.0.5");
  });

  it("set-attribute refuses fields rules may not change and wrong types", () => {
    expect(() => run([{ op: "set-attribute", args: { path: "/provision_state", value: "active" } }])).toThrow(/provision_state cannot be changed/);
    expect(() => run([{ op: "set-attribute", args: { path: "/properties", value: "x" } }])).toThrow(/must be a dictionary/);
    expect(() => run([{ op: "set-attribute", args: { path: "/retired", value: "yes" } }])).toThrow(/must be a boolean/);
    expect(() => run([{ op: "set-attribute", args: { path: "/name/x", value: 1 } }])).toThrow(/not a dictionary/);
  });

  it("extend-attribute (unique) and del-attribute", () => {
    const t = run([
      { op: "extend-attribute", args: { path: "/extra/tags", value: "a" } },
      { op: "extend-attribute", args: { path: "/extra/tags", value: "a", unique: true } },
      { op: "extend-attribute", args: { path: "/extra/tags", value: "b" } },
      { op: "del-attribute", args: { path: "/properties/cpus" } },
      { op: "del-attribute", args: { path: "description" } },
    ]);
    expect(t.node.extra).toEqual({ tags: ["a", "b"] });
    expect(t.node.properties).not.toHaveProperty("cpus");
    expect(t.node.description).toBeNull();
    expect(() => run([{ op: "del-attribute", args: { path: "/properties/nope" } }])).toThrow(/does not exist/);
    expect(() => run([{ op: "extend-attribute", args: { path: "/properties/cpus", value: 1 } }])).toThrow(/not a list/);
  });

  it("set-capability / unset-capability keep the capabilities string", () => {
    const t = run([
      { op: "set-capability", args: { name: "cpu_vt", value: "true" } },
      { op: "set-capability", args: { name: "boot_mode", value: "bios" } },
      { op: "unset-capability", args: { name: "cpu_vt" } },
      { op: "set-capability", args: { name: "arch", value: "{inventory[cpu][architecture]}" } },
    ]);
    expect((t.node.properties as Record<string, unknown>).capabilities).toBe("boot_mode:bios,arch:x86_64");
  });

  it("add-trait / remove-trait", () => {
    const t = run([
      { op: "add-trait", args: { name: "CUSTOM_{inventory[cpu][count]}CPU" } },
      { op: "add-trait", args: { name: "CUSTOM_8CPU" } },
      { op: "remove-trait", args: { name: "CUSTOM_OLD" } },
      { op: "remove-trait", args: { name: "CUSTOM_NOT_THERE" } },
    ]);
    expect(t.traits).toEqual(["CUSTOM_8CPU"]);
    expect(t.logs[0]).toMatchObject({ level: "warning" });
    expect(() => run([{ op: "add-trait", args: { name: "lower-case" } }])).toThrow(/invalid trait/);
  });

  it("plugin data actions", () => {
    const t = run([
      { op: "set-plugin-data", args: { path: "a.b", value: "{inventory[cpu][count]}" } },
      { op: "extend-plugin-data", args: { path: "/list", value: 1 } },
      { op: "extend-plugin-data", args: { path: "/list", value: 1, unique: true } },
      { op: "unset-plugin-data", args: { path: "root_disk" } },
      { op: "unset-plugin-data", args: { path: "missing.key" } },
    ]);
    expect(t.pluginData).toEqual({ auth_token: "tok", a: { b: 8 }, list: [1] });
    expect(t.logs).toHaveLength(1);
  });

  it("port actions by uuid or MAC; unknown ports and fields fail", () => {
    const t = run([
      { op: "set-port-attribute", args: { port_id: "6e9fbd3e-5a4c-4fb0-9b5e-6cfc9a63a0a1", path: "physical_network", value: "physnet1" } },
      { op: "set-port-attribute", args: { port_id: "{inventory[interfaces][0][mac_address]}", path: "/extra/switch", value: "sw1" } },
      { op: "extend-port-attribute", args: { port_id: "52:54:00:AA:BB:01", path: "/extra/vlans", value: 10 } },
      { op: "set-port-attribute", args: { port_id: "52:54:00:aa:bb:01", path: "/local_link_connection/port_id", value: "Eth1" } },
      { op: "del-port-attribute", args: { port_id: "52:54:00:aa:bb:01", path: "/local_link_connection/port_id" } },
      { op: "set-port-attribute", args: { port_id: "52:54:00:aa:bb:01", path: "pxe_enabled", value: false } },
    ]);
    expect(t.ports[0]).toMatchObject({ physical_network: "physnet1", extra: { switch: "sw1", vlans: [10] }, local_link_connection: {}, pxe_enabled: false });
    expect(() => run([{ op: "set-port-attribute", args: { port_id: "nope", path: "extra/x", value: 1 } }])).toThrow(/Port nope could not be found/);
    expect(() => run([{ op: "set-port-attribute", args: { port_id: "52:54:00:aa:bb:01", path: "address", value: "x" } }])).toThrow(/cannot be changed/);
  });

  it("actions loop over items", () => {
    const t = run([
      { op: "extend-attribute", args: { path: "/extra/macs", value: "{item[mac_address]}" }, loop: "{inventory[interfaces]}" },
      { op: "add-trait", args: { name: "{item}" }, loop: ["CUSTOM_A", "CUSTOM_B"] },
      { op: "set-attribute", args: { path: "{item[path]}", value: "{item[value]}" }, loop: { path: "/extra/bmc", value: "{inventory[bmc_address]}" } },
    ]);
    expect(t.node.extra).toEqual({ macs: ["52:54:00:aa:bb:01", "52:54:00:aa:bb:02"], bmc: "10.0.0.5" });
    expect(t.traits).toEqual(["CUSTOM_OLD", "CUSTOM_A", "CUSTOM_B"]);
  });
});

describe("applyRules", () => {
  it("orders by priority (desc, then creation order), runs only matching rules and reports them", () => {
    const order = sortRules([{ priority: 1, n: "a" }, { priority: 5, n: "b" }, { priority: 1, n: "c" }]).map((r) => r.n);
    expect(order).toEqual(["b", "a", "c"]);
    const t = target();
    const applied = applyRules([
      rule([], [{ op: "set-attribute", args: { path: "/extra/who", value: "low" } }], { uuid: "low", priority: 1 }),
      rule([], [{ op: "set-attribute", args: { path: "/extra/who", value: "high" } }], { uuid: "high", priority: 9 }),
      rule([{ op: "eq", args: { values: [1, 2] } }], [{ op: "fail", args: { msg: "never" } }], { uuid: "skip", priority: 5 }),
    ], t);
    expect(applied).toEqual(["high", "low"]);
    expect(t.node.extra).toEqual({ who: "low" });
  });

  it("wraps rule errors with the rule's uuid", () => {
    expect(() => applyRules([rule([{ op: "matches", args: { value: "x", regex: "(" } }], [{ op: "log", args: { msg: "m" } }], { uuid: "bad" })], target()))
      .toThrow(InspectionRuleFailure);
    expect(() => applyRules([rule([{ op: "matches", args: { value: "x", regex: "(" } }], [{ op: "log", args: { msg: "m" } }], { uuid: "bad" })], target()))
      .toThrow(/Inspection rule bad failed: invalid regular expression/);
  });

  it("masks secrets per setting: always, never, sensitive", () => {
    const r = (sensitive: boolean) => rule([], [{ op: "set-attribute", args: { path: "/extra/pw", value: "{inventory[bmc][password]}" } }], { sensitive });
    const seen = (setting: "always" | "never" | "sensitive", sensitive: boolean) => {
      const t = target();
      applyRules([r(sensitive)], t, setting);
      return (t.node.extra as Record<string, unknown>).pw;
    };
    expect(seen("always", true)).toBe("***");
    expect(seen("never", false)).toBe("s3cret");
    expect(seen("sensitive", false)).toBe("***");
    expect(seen("sensitive", true)).toBe("s3cret");
  });

  it("writes to plugin data never store the mask", () => {
    const t = target();
    applyRules([rule([], [{ op: "set-plugin-data", args: { path: "x", value: 1 } }])], t);
    expect(t.pluginData.auth_token).toBe("tok");
  });
});

describe("validateRule", () => {
  const ok = { actions: [{ op: "log", args: { msg: "hi" } }] };

  it("fills defaults and normalizes list args", () => {
    expect(validateRule(ok)).toEqual({ description: null, priority: 0, phase: "main", sensitive: false, conditions: [], actions: [{ op: "log", args: { msg: "hi" } }] });
    const r = validateRule({ conditions: [{ op: "!eq", args: [[1, 2]] }], actions: [{ op: "set-attribute", args: ["/extra/a", 1] }] });
    expect(r.conditions).toEqual([{ op: "!eq", args: { values: [1, 2] } }]);
    expect(r.actions).toEqual([{ op: "set-attribute", args: { path: "/extra/a", value: 1 } }]);
    const looped = validateRule({ conditions: [{ op: "eq", args: { values: [] }, loop: [1] }], actions: ok.actions });
    expect(looped.conditions[0]).toEqual({ op: "eq", args: { values: [] }, loop: [1], multiple: "any" });
  });

  it.each([
    [{}, "Validation failed for inspection rule: 'actions' is a required property"],
    [{ actions: [] }, "actions must contain at least one action"],
    [{ ...ok, bogus: 1 }, "Additional properties are not allowed ('bogus' was unexpected)"],
    [{ ...ok, priority: 10000 }, "Priority must be between 0 and 9999 for user-defined rules (got 10000)."],
    [{ ...ok, priority: -1 }, "Priority must be between 0 and 9999"],
    [{ ...ok, priority: "1" }, "priority must be an integer"],
    [{ ...ok, phase: "early" }, "Invalid phase: early. Valid phases are: main"],
    [{ ...ok, sensitive: "yes" }, "sensitive must be a boolean"],
    [{ ...ok, description: "x".repeat(256) }, "description is longer than 255 characters"],
    [{ ...ok, conditions: [{ op: "equals", args: {} }] }, "Unsupported condition operator: equals"],
    [{ ...ok, conditions: [{ op: "!!eq", args: { values: [] } }] }, "Multiple exclamation marks"],
    [{ ...ok, conditions: [{ op: "eq", args: {} }] }, "Invalid parameters for condition operator eq: missing required argument(s): values"],
    [{ ...ok, conditions: [{ op: "eq", args: { values: [], value: 1 } }] }, "unexpected argument(s): value"],
    [{ ...ok, conditions: [{ op: "eq" }] }, "'args' is required"],
    [{ ...ok, conditions: [{ op: "eq", args: "x" }] }, "args must be either a list or a dictionary"],
    [{ ...ok, conditions: [{ op: "eq", args: { values: [] }, multiple: "most" }] }, "'multiple' must be one of any, all, first, last"],
    [{ ...ok, conditions: [{ op: "eq", args: { values: [] }, loop: 5 }] }, "'loop' must be a list"],
    [{ ...ok, conditions: [{ op: "matches", args: { value: "x", regex: "(" } }] }, "invalid regular expression"],
    [{ ...ok, conditions: [{ op: "in-net", args: { address: "x", subnet: "1.2.3.4/99" } }] }, "invalid subnet"],
    [{ actions: [{ op: "api-call", args: { url: "http://x" } }] }, "Unsupported action operator: api-call"],
    [{ actions: [{ op: "explode", args: {} }] }, "Unsupported action operator: explode"],
    [{ actions: [{ op: "log", args: { msg: "x", level: "loud" } }] }, "invalid log level 'loud'"],
    [{ actions: [{ op: "add-trait", args: { name: "bad" } }] }, "invalid trait 'bad'"],
    [{ actions: [{ op: "set-attribute", args: { path: "/extra/x" } }] }, "missing required argument(s): value"],
    [{ actions: [{ op: "fail", args: {} }], priority: -5 }, "Multiple validation errors occurred:"],
  ])("refuses %j", (body, message) => {
    expect(() => validateRule(body)).toThrow(expect.objectContaining({ status: 400, message: expect.stringContaining(message) }));
  });
});
