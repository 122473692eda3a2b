import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { countNodes, findNode, listNodes } from "./db/nodes.ts";
import { toDate } from "./db/values.ts";
import { historySentence } from "./history.ts";
import { loadInventory } from "./inspection/store.ts";
import { simHardware } from "./sim/hardware.ts";
import { seedFleet } from "./seed.ts";
import { isProvisionState, nextState, type Event, type ProvisionState } from "./states.ts";

let t: TestDb;
beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.cleanup();
});

describe("seedFleet", () => {
  it("creates a realistic demo fleet quickly", async () => {
    const r = await seedFleet(t.sql, 1000, { driver: "fake-hardware" });
    expect(r.nodes).toBe(1000);
    expect(r.ms).toBeLessThan(10_000);
    expect(await countNodes(t.sql)).toBe(1000);
    const nodes = await listNodes(t.sql);
    const states = new Set(nodes.map((n) => n.provisionState));
    for (const s of ["enroll", "manageable", "available", "active", "deploy failed", "clean failed"]) expect(states).toContain(s);
    for (const n of nodes) {
      expect(isProvisionState(n.provisionState)).toBe(true);
      expect(n.driver).toBe("fake-hardware");
      expect(n.name).toMatch(/^demo-\d{4,}$/);
    }
    expect(nodes.some((n) => n.maintenance)).toBe(true);
    expect(nodes.filter((n) => n.provisionState.endsWith("failed")).every((n) => !!n.lastError)).toBe(true);
    const active = nodes.find((n) => n.provisionState === "active")!;
    expect(active.instanceInfo.image_source).toBeTruthy();
    expect(active.powerState).toBeDefined();
    expect(nodes.some((n) => n.traits.length > 0)).toBe(true);
    expect(new Set(nodes.map((n) => n.owner)).size).toBeGreaterThan(2);

    const ports = await t.sql.all<{ nodeId: number; address: string }>(`SELECT "nodeId", "address" FROM "Port"`);
    expect(new Set(ports.map((p) => p.address)).size).toBe(ports.length);
    const perNode = new Map<number, number>();
    for (const p of ports) perNode.set(p.nodeId, (perNode.get(p.nodeId) ?? 0) + 1);
    expect(perNode.size).toBe(1000);
    expect(Math.max(...perNode.values())).toBeLessThanOrEqual(2);
    const history = await t.sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "NodeHistory" WHERE "nodeId" = ?`, [active.id]);
    expect(Number(history?.n)).toBeGreaterThan(1);
    // Seeded rows are transitions as the conductor writes them (sentence and fields from one typed event).
    const kinds = await t.sql.all<{ kind: string; severity: string; n: number }>(`SELECT "kind", "severity", COUNT(*) AS n FROM "NodeHistory" GROUP BY "kind", "severity"`);
    expect(new Set(kinds.map((k) => `${k.kind}/${k.severity}`))).toEqual(new Set(["provision_transition/INFO", "provision_transition/ERROR"]));
  });

  it("each node's history is a path through the transition table from enroll to its state, in time order, its last failure its last_error", async () => {
    const nodes = await listNodes(t.sql, { limit: 2000 });
    const rows = await t.sql.all<{ nodeId: number; event: string; fromState: string; toState: string; provisionEvent: string; severity: string; createdAt: string; error: string | null }>(
      `SELECT "nodeId", "event", "fromState", "toState", "provisionEvent", "severity", "createdAt", "error" FROM "NodeHistory" ORDER BY "id"`,
    );
    const byNode = new Map<number, typeof rows>();
    for (const r of rows) byNode.set(r.nodeId, [...(byNode.get(r.nodeId) ?? []), r]);
    for (const n of nodes) {
      const h = byNode.get(n.id) ?? [];
      let at = "enroll";
      let last = 0;
      for (const row of h) {
        expect(row.fromState, `${n.name}: ${row.event}`).toBe(at);
        expect(nextState(row.fromState as ProvisionState, row.provisionEvent as Event)).toBe(row.toState);
        expect(row.event).toBe(historySentence({ kind: "provision_transition", from: row.fromState, to: row.toState, provisionEvent: row.provisionEvent, ...(row.severity === "ERROR" ? { note: n.lastError! } : {}) }));
        const time = toDate(row.createdAt).getTime();
        expect(time).toBeGreaterThanOrEqual(last);
        expect(time).toBeLessThan(Date.now());
        last = time;
        at = row.toState;
      }
      expect(at, n.name ?? "").toBe(n.provisionState);
      if (n.lastError) expect(h.at(-1)?.severity).toBe("ERROR");
    }
  });

  it("continues the numbering on a second run", async () => {
    const r = await seedFleet(t.sql, 5);
    expect(r.first).toBe("demo-1001");
    expect(await findNode(t.sql, "demo-1005")).not.toBeNull();
  });

  it("makes sim nodes when sim is enabled: sim interfaces, some graphical, some active with the console on", async () => {
    const r = await seedFleet(t.sql, 300, { prefix: "simdemo" });
    expect(r.driver).toBe("sim"); // the default INGOT_ENABLED_HARDWARE_TYPES includes sim
    const nodes = (await listNodes(t.sql, { limit: 2000 })).filter((n) => n.name?.startsWith("simdemo-"));
    expect(nodes).toHaveLength(300);
    for (const n of nodes) {
      expect(n.driver).toBe("sim");
      expect(n.powerInterface).toBe("sim");
      expect(["sim-serial", "sim-graphical"]).toContain(n.consoleInterface);
      if (n.consoleEnabled) expect(["active", "rescue"]).toContain(n.provisionState);
    }
    expect(nodes.some((n) => n.consoleInterface === "sim-graphical")).toBe(true);
    expect(nodes.filter((n) => n.consoleEnabled).length).toBeGreaterThan(10);
    // Inspected sim nodes have the inventory their machine reports, and the properties and ports
    // inspection derives from it (the Hardware tab, properties and ports agree).
    const inspected = nodes.filter((n) => !["enroll", "inspect failed", "adopt failed"].includes(n.provisionState) && n.provisionState !== "manageable");
    expect(inspected.length).toBeGreaterThan(100);
    for (const n of inspected.slice(0, 50)) {
      const inv = await loadInventory(t.sql, n.id);
      expect(inv, n.name ?? "").not.toBeNull();
      const hw = simHardware(n.uuid, n.driverInfo);
      expect((inv!.inventory as { cpu: { model_name: string } }).cpu.model_name).toBe(hw.cpu.model);
      expect(n.properties.memory_mb).toBe(hw.memoryMb);
      const ports = await t.sql.all<{ address: string }>(`SELECT "address" FROM "Port" WHERE "nodeId" = ? ORDER BY "address"`, [n.id]);
      expect(ports.map((p) => p.address)).toEqual(hw.nics.map((x) => x.mac.toLowerCase()).sort());
    }
    expect(new Set(nodes.map((n) => n.owner)).size).toBeGreaterThan(2);
  });
});
