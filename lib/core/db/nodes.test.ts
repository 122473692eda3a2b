import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import {
  addTrait, countNodes, findNode, insertNode, listNodes, releaseNode, removeTrait, reserveNode, setTraits, updateNode,
  type NodeRecord,
} from "./nodes.ts";

let env: TestDb;
const nodes: NodeRecord[] = [];

beforeAll(async () => {
  env = await createTestDb();
  for (let i = 0; i < 25; i++) {
    nodes.push(
      await insertNode(env.sql, {
        driver: "fake-hardware",
        name: `n-${String(i).padStart(2, "0")}`,
        provisionState: i % 2 ? "available" : "enroll",
        owner: i % 3 === 0 ? "p1" : null,
        lessee: i % 5 === 0 ? "p1" : null,
        resourceClass: i % 4 === 0 ? null : `rc-${i % 4}`,
        properties: { cpus: i },
        maintenance: i === 7,
      }),
    );
  }
});
afterAll(async () => env.cleanup());

describe("node rows", () => {
  it("round-trips dicts, booleans, dates and defaults", async () => {
    const n = await findNode(env.sql, "n-07");
    expect(n).not.toBeNull();
    expect(n!.properties).toEqual({ cpus: 7 });
    expect(n!.maintenance).toBe(true);
    expect(n!.driverInfo).toEqual({});
    expect(n!.createdAt).toBeInstanceOf(Date);
    expect(n!.updatedAt).toBeNull();
    expect(n!.automatedClean).toBeNull();
    expect(n!.version).toBe(1);
    expect(await findNode(env.sql, n!.uuid.toUpperCase())).toMatchObject({ id: n!.id });
    expect(await findNode(env.sql, "n-07", false)).toBeNull();
  });

  it("pages with a marker in both directions and with nullable sort keys", async () => {
    for (const [sortKey, sortDir] of [["id", "asc"], ["name", "desc"], ["resource_class", "asc"], ["resource_class", "desc"]] as const) {
      const all = await listNodes(env.sql, { sortKey, sortDir });
      expect(all).toHaveLength(25);
      const seen: string[] = [];
      let marker: NodeRecord | undefined;
      for (;;) {
        const page = await listNodes(env.sql, { sortKey, sortDir, limit: 4, marker });
        seen.push(...page.map((n) => n.uuid));
        if (page.length < 4) break;
        marker = page[page.length - 1];
      }
      expect(seen, `${sortKey} ${sortDir}`).toEqual(all.map((n) => n.uuid));
    }
  });

  it("filters", async () => {
    expect(await countNodes(env.sql, { provisionState: ["available"] })).toBe(12);
    expect(await countNodes(env.sql, { project: "p1" })).toBe((await listNodes(env.sql)).filter((n) => n.owner === "p1" || n.lessee === "p1").length);
    expect(await countNodes(env.sql, { maintenance: true })).toBe(1);
    expect(await countNodes(env.sql, { resourceClass: "rc-1" })).toBe(6);
    expect(await countNodes(env.sql, { search: "n-1" })).toBe(10);
  });

  it("takes the reservation lock only once", async () => {
    const id = nodes[0].id;
    expect(await reserveNode(env.sql, id, "c1")).toBe(true);
    expect(await reserveNode(env.sql, id, "c2")).toBe(false);
    expect(await updateNode(env.sql, id, { extra: { a: 1 } }, { expectReservation: null })).toBeNull();
    expect(await releaseNode(env.sql, id, "c2")).toBe(false);
    expect(await releaseNode(env.sql, id, "c1")).toBe(true);
    expect(await updateNode(env.sql, id, { extra: { a: 1 } }, { expectReservation: null })).not.toBeNull();
  });

  it("bumps the version and honours expectVersion", async () => {
    const n = (await findNode(env.sql, "n-03"))!;
    const updated = await updateNode(env.sql, n.id, { description: "x" }, { expectVersion: n.version });
    expect(updated!.version).toBe(n.version + 1);
    expect(updated!.updatedAt).toBeInstanceOf(Date);
    expect(await updateNode(env.sql, n.id, { description: "y" }, { expectVersion: n.version })).toBeNull();
  });

  it("keeps traits sorted and unique", async () => {
    const id = nodes[1].id;
    await setTraits(env.sql, id, ["CUSTOM_B", "CUSTOM_A", "CUSTOM_B"]);
    await addTrait(env.sql, id, "CUSTOM_C");
    await addTrait(env.sql, id, "CUSTOM_A");
    expect((await findNode(env.sql, nodes[1].uuid))!.traits).toEqual(["CUSTOM_A", "CUSTOM_B", "CUSTOM_C"]);
    expect(await removeTrait(env.sql, id, "CUSTOM_B")).toBe(true);
    expect(await removeTrait(env.sql, id, "CUSTOM_B")).toBe(false);
  });
});
