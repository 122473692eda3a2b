// The fleet query: parsing, filters and their negation, search, visibility, sorting, grouping, facets.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { insertNode } from "./db/nodes.ts";
import { Invalid } from "./errors.ts";
import { fleetQueryString, matchingNodeUuids, parseFleetQuery, queryFleet, type FleetQuery } from "./fleet.ts";
import { resetHashRing } from "./hashring.ts";
import type { Principal } from "./policy.ts";

let db: TestDb;
const ALL = { offset: 0, limit: 1000 };
const SYSTEM: Principal = { userId: "u1", username: "root", systemRole: "reader", projectId: null, projectRole: null };
const PROJ_A: Principal = { userId: "u2", username: "amy", systemRole: null, projectId: "proj-a", projectRole: "reader" };
const PROJ_B: Principal = { userId: "u3", username: "bob", systemRole: null, projectId: "proj-b", projectRole: "reader" };
const NOBODY: Principal = { userId: "u4", username: "nil", systemRole: null, projectId: null, projectRole: null };

const q = (s: string): FleetQuery => parseFleetQuery(new URLSearchParams(s));
const names = async (s: string, who = SYSTEM) => (await queryFleet(db.sql, who, q(s), ALL)).rows.map((r) => r.name);

beforeAll(async () => {
  db = await createTestDb();
  const mk = (name: string, extra: Record<string, unknown>, traits: string[] = []) =>
    insertNode(db.sql, { driver: "fake-hardware", provisionState: "available", powerState: "power off", name, ...extra } as never, traits);
  const a = await mk("fl-a1", { owner: "proj-a", resourceClass: "gold", driverInfo: { ipmi_address: "10.1.0.1", ipmi_password: "sesame-10.9" } }, ["CUSTOM_GPU"]);
  await mk("fl-a2", { owner: "proj-a", lessee: "proj-b", provisionState: "active", powerState: "power on", resourceClass: "gold", lastError: "disk on fire" }, ["CUSTOM_GPU", "CUSTOM_NVME"]);
  await mk("fl-a3", { owner: "proj-a", provisionState: "manageable", maintenance: true, maintenanceReason: "fan", fault: "power failure" });
  await mk("fl-b1", { owner: "proj-b", provisionState: "active", powerState: "power on", resourceClass: "silver", driverInfo: { redfish_address: "https://bmc-b1.example" } }, ["CUSTOM_NVME"]);
  await mk("fl-n1", { provisionState: "enroll", powerState: null, lastError: "no BMC" });
  await mk("fl-child", { owner: "proj-a", parentNode: a.uuid });
  await db.sql.run(`INSERT INTO "Port" ("uuid", "address", "nodeId") VALUES (?, ?, ?)`, ["p-1", "52:54:00:ab:cd:ef", a.id]);
});
afterAll(async () => db.cleanup());

describe("parseFleetQuery", () => {
  it("reads filters, negation (both spellings), search, sort and group", () => {
    const parsed = q("provision_state=active&provision_state=available&owner!=proj-a&-trait=CUSTOM_GPU&q=%20Web%20&sort=-name&group=owner&offset=5&limit=9");
    expect(parsed.filters).toEqual([
      { field: "provision_state", values: ["active", "available"], negate: false },
      { field: "owner", values: ["proj-a"], negate: true },
      { field: "trait", values: ["CUSTOM_GPU"], negate: true },
    ]);
    expect(parsed.text).toBe("web");
    expect(parsed.sort).toEqual({ key: "name", dir: "desc" });
    expect(parsed.group).toBe("owner");
    expect(q(fleetQueryString(parsed))).toEqual({ ...parsed, filters: [parsed.filters[0], parsed.filters[1], { field: "trait", values: ["CUSTOM_GPU"], negate: true }] });
  });

  it("normalises yes/no values and refuses bad input with a clear message", () => {
    expect(q("maintenance=yes").filters[0].values).toEqual(["true"]);
    expect(() => q("maintenance=maybe")).toThrow(/Invalid value 'maybe' for fleet filter maintenance/);
    expect(() => q("provision_state=flying")).toThrow(/Provision state "flying" is not valid/);
    expect(() => q("power_state=dim")).toThrow(Invalid);
    expect(() => q("fault=bad")).toThrow(/Fault "bad" is not valid/);
    expect(() => q("colour=red")).toThrow(/Unknown fleet query parameter "colour"/);
    expect(() => q("sort=driver_info")).toThrow(/Cannot sort the fleet by "driver_info"/);
    expect(() => q("group=name")).toThrow(/Cannot group the fleet by "name"/);
  });
});

describe("queryFleet", () => {
  it("system scope sees every top-level node; child nodes stay out as in the node list", async () => {
    expect((await names("")).sort()).toEqual(["fl-a1", "fl-a2", "fl-a3", "fl-b1", "fl-n1"]);
  });

  it("project scope sees only nodes it owns or leases, whatever the filter asks", async () => {
    expect((await names("", PROJ_B)).sort()).toEqual(["fl-a2", "fl-b1"]);
    expect(await names("owner=proj-a", PROJ_B)).toEqual(["fl-a2"]);
    expect(await names("", NOBODY)).toEqual([]);
  });

  it("filters and their negation, including unset values", async () => {
    expect(await names("provision_state=active")).toEqual(["fl-a2", "fl-b1"]);
    expect(await names("provision_state!=active")).toEqual(["fl-a1", "fl-a3", "fl-n1"]);
    expect(await names("provision_state=active&provision_state=enroll")).toEqual(["fl-a2", "fl-b1", "fl-n1"]);
    // "none of" keeps nodes where the field is not set
    expect(await names("owner!=proj-a")).toEqual(["fl-b1", "fl-n1"]);
    expect(await names("owner=")).toEqual(["fl-n1"]);
    expect(await names("owner!=")).toEqual(["fl-a1", "fl-a2", "fl-a3", "fl-b1"]);
    expect(await names("power_state=")).toEqual(["fl-n1"]);
    expect(await names("maintenance=true")).toEqual(["fl-a3"]);
    expect(await names("maintenance!=true")).toEqual(["fl-a1", "fl-a2", "fl-b1", "fl-n1"]);
    expect(await names("fault=power failure")).toEqual(["fl-a3"]);
    expect(await names("last_error=true")).toEqual(["fl-a2", "fl-n1"]);
    expect(await names("last_error!=true")).toEqual(["fl-a1", "fl-a3", "fl-b1"]);
    expect(await names("resource_class=gold&lessee!=proj-b")).toEqual(["fl-a1"]);
  });

  it("the default conductor group counts as not set", async () => {
    expect((await names("conductor_group=")).length).toBe(5);
    expect(await names("conductor_group!=")).toEqual([]);
    const res = await queryFleet(db.sql, SYSTEM, q("group=conductor_group"), ALL);
    expect(res.groups).toEqual([{ key: null, count: 5 }]);
    expect(res.facets!.conductor_group).toEqual([{ value: "", count: 5 }]);
  });

  it("trait filters: has one of, has none of, has no traits", async () => {
    expect(await names("trait=CUSTOM_GPU")).toEqual(["fl-a1", "fl-a2"]);
    expect(await names("trait!=CUSTOM_GPU")).toEqual(["fl-a3", "fl-b1", "fl-n1"]);
    expect(await names("trait=")).toEqual(["fl-a3", "fl-n1"]);
    expect(await names("trait=CUSTOM_NVME&trait!=CUSTOM_GPU")).toEqual(["fl-b1"]);
  });

  it("a lessee can neither read nor filter on the owner's last error", async () => {
    const rows = (await queryFleet(db.sql, PROJ_B, q(""), ALL)).rows;
    const a2 = rows.find((r) => r.name === "fl-a2")!;
    expect(a2.lastError).toBeNull();
    expect(a2.lastErrorHidden).toBe(true);
    expect(await names("last_error=true", PROJ_B)).toEqual([]);
    const owner = (await queryFleet(db.sql, PROJ_A, q("last_error=true"), ALL)).rows;
    expect(owner.map((r) => [r.name, r.lastError])).toEqual([["fl-a2", "disk on fire"]]);
  });

  it("free text over name, UUID, port MAC and BMC address, never secrets", async () => {
    expect(await names("q=FL-B")).toEqual(["fl-b1"]);
    expect(await names("q=ab:CD")).toEqual(["fl-a1"]);
    // A MAC as other tools write it: dashes, no separators, Cisco dots, or a part with dashes.
    for (const mac of ["52-54-00-AB-CD-EF", "525400abcdef", "5254.00ab.cdef", "00-ab-cd", "AB-CD-E"]) expect(await names(`q=${mac}`)).toEqual(["fl-a1"]);
    expect(await names("q=10.1.0")).toEqual(["fl-a1"]);
    expect(await names("q=bmc-b1")).toEqual(["fl-b1"]);
    expect(await names("q=sesame")).toEqual([]);
    expect(await names("q=10.9")).toEqual([]);
    expect(await names("q=%25")).toEqual([]); // LIKE wildcards are literal
    const uuid = (await queryFleet(db.sql, SYSTEM, q("q=fl-n1"), ALL)).rows[0].uuid;
    expect(await names(`q=${uuid.slice(4, 20)}`)).toEqual(["fl-n1"]);
    // BMC addresses are driver_info, which lessees may not read
    expect(await names("q=10.1.0", PROJ_A)).toEqual(["fl-a1"]);
    expect(await names("q=bmc-b1", PROJ_A)).toEqual([]);
  });

  it("sorts by any column both ways, unset last ascending, ties by UUID", async () => {
    expect(await names("sort=-name")).toEqual(["fl-n1", "fl-b1", "fl-a3", "fl-a2", "fl-a1"]);
    expect((await names("sort=resource_class")).slice(-2).sort()).toEqual(["fl-a3", "fl-n1"]);
    const asc = await queryFleet(db.sql, SYSTEM, q("sort=provision_state"), ALL);
    const desc = await queryFleet(db.sql, SYSTEM, q("sort=-provision_state"), ALL);
    expect(desc.rows.map((r) => r.uuid)).toEqual(asc.rows.map((r) => r.uuid).reverse());
    const active = asc.rows.filter((r) => r.provisionState === "active").map((r) => r.uuid);
    expect(active).toEqual([...active].sort());
  });

  it("owners and lessees sort and group by project name", async () => {
    await db.sql.run(`INSERT INTO "Project" ("id", "name") VALUES (?, ?), (?, ?)`, ["proj-a", "zeta", "proj-b", "alpha"]);
    try {
      const owners = async (s: string) => (await queryFleet(db.sql, SYSTEM, q(s), ALL)).rows.map((r) => r.owner);
      expect(await owners("sort=owner")).toEqual(["proj-b", "proj-a", "proj-a", "proj-a", null]);
      expect(await owners("sort=-owner")).toEqual([null, "proj-a", "proj-a", "proj-a", "proj-b"]);
      const g = await queryFleet(db.sql, SYSTEM, q("group=owner"), ALL);
      expect(g.groups).toEqual([{ key: "proj-b", count: 1 }, { key: "proj-a", count: 3 }, { key: null, count: 1 }]);
      expect(g.rows.map((r) => r.name)).toEqual(["fl-b1", "fl-a1", "fl-a2", "fl-a3", "fl-n1"]);
    } finally {
      await db.sql.run(`DELETE FROM "Project"`);
    }
  });

  it("groups: rows ordered by group, counts for the whole match, not just the page", async () => {
    const res = await queryFleet(db.sql, SYSTEM, q("group=owner&sort=name"), { offset: 0, limit: 2 });
    expect(res.total).toBe(5);
    expect(res.rows.map((r) => r.name)).toEqual(["fl-a1", "fl-a2"]);
    expect(res.groups).toEqual([{ key: "proj-a", count: 3 }, { key: "proj-b", count: 1 }, { key: null, count: 1 }]);
    const page2 = await queryFleet(db.sql, SYSTEM, q("group=owner&sort=name"), { offset: 2, limit: 2 });
    expect(page2.rows.map((r) => r.name)).toEqual(["fl-a3", "fl-b1"]);
  });

  it("facets count the alternatives: a field's own filter is left out, the others apply", async () => {
    const res = await queryFleet(db.sql, SYSTEM, q("provision_state=active&owner=proj-a"), ALL);
    expect(res.total).toBe(1);
    const facets = res.facets!;
    const count = (field: keyof typeof facets, value: string) => facets[field].find((v) => v.value === value)?.count ?? 0;
    // provision_state facet: owner=proj-a applies, the state filter does not
    expect(count("provision_state", "active")).toBe(1);
    expect(count("provision_state", "available")).toBe(1);
    expect(count("provision_state", "manageable")).toBe(1);
    expect(count("provision_state", "enroll")).toBe(0);
    // owner facet: active only
    expect(count("owner", "proj-a")).toBe(1);
    expect(count("owner", "proj-b")).toBe(1);
    expect(count("maintenance", "false")).toBe(1);
    expect(count("last_error", "true")).toBe(1);
    expect(facets.trait).toEqual([{ value: "CUSTOM_GPU", count: 1 }, { value: "CUSTOM_NVME", count: 1 }]);
  });

  it("conductor: the hash-ring owner, as a column to filter, group and sort on", async () => {
    const now = new Date();
    await db.sql.run(`INSERT INTO "Conductor" ("hostname", "conductorGroup", "online", "drivers", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)`,
      ["cond-1", "", true, JSON.stringify(["fake-hardware"]), now, now]);
    resetHashRing();
    const all = await queryFleet(db.sql, SYSTEM, q("group=conductor"), ALL);
    expect(all.rows.every((r) => r.conductor === "cond-1")).toBe(true);
    expect(all.groups).toEqual([{ key: "cond-1", count: 5 }]);
    expect(await names("conductor!=cond-1")).toEqual([]);
    // two conductors: nodes are split by UUID hash, each on exactly one
    await db.sql.run(`INSERT INTO "Conductor" ("hostname", "conductorGroup", "online", "drivers", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)`,
      ["cond-2", "", true, JSON.stringify(["fake-hardware"]), now, now]);
    const one = await names("conductor=cond-1");
    const two = await names("conductor=cond-2");
    expect([...one, ...two].sort()).toEqual(["fl-a1", "fl-a2", "fl-a3", "fl-b1", "fl-n1"]);
    const f = (await queryFleet(db.sql, SYSTEM, q(""), ALL)).facets!.conductor;
    expect(f.reduce((s, v) => s + v.count, 0)).toBe(5);
    expect(f.find((v) => v.value === "cond-2")?.count ?? 0).toBe(two.length);
    await db.sql.run(`DELETE FROM "Conductor"`);
  });

  it("without facets when not asked; limit 0 answers counts only", async () => {
    const res = await queryFleet(db.sql, SYSTEM, q("q=fl-a&group=owner"), { offset: 0, limit: 0 }, { facets: false });
    expect(res).toEqual({ rows: [], total: 3, groups: [{ key: "proj-a", count: 3 }], facets: null });
  });

  it("matchingNodeUuids answers every match in order, within visibility", async () => {
    const all = await queryFleet(db.sql, PROJ_A, q("sort=-name"), ALL);
    expect(await matchingNodeUuids(db.sql, PROJ_A, q("sort=-name"))).toEqual(all.rows.map((r) => r.uuid));
    expect(await matchingNodeUuids(db.sql, PROJ_B, q("provision_state!=active"))).toEqual([]);
  });
});
