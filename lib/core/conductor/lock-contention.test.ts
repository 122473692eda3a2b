// Lock contention (issue #6, test 4): 20 clients act on the same node at once through the Bare
// Metal API. Exactly one action runs at a time; the others get 409 (NodeLocked) and succeed when
// they retry; no action is lost.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { startApiServer, type ApiServer } from "../../testing/server.ts";
import { setConfig } from "../config.ts";
import { getNodeById, insertNode } from "../db/nodes.ts";
import { interfacesFor } from "../drivers/registry.ts";
import { listHistory } from "../history.ts";
import { startConductor, stopConductor } from "./index.ts";

let db: TestDb;
let server: ApiServer;
const HEADERS = { "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" };
const CLIENTS = 20;

beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  setConfig({ conductorHostname: "contended" });
  await startConductor({ periodic: false });
  server = await startApiServer();
});
afterAll(async () => {
  await server.close();
  await stopConductor();
  setConfig();
  await db.cleanup();
});

describe("lock contention", () => {
  it("20 clients reboot one node at once: one action at a time, the rest 409 then succeed on retry", async () => {
    // Each reboot holds the node's lock for a while (the fake BMC is slow), longer than the API
    // waits for a lock, so concurrent requests are refused rather than queued.
    const node = await insertNode(db.sql, { driver: "fake-hardware", name: "contended", provisionState: "manageable", powerState: "power on", driverInfo: { fake_delay_ms: 150 } });
    const power = interfacesFor(node).power;
    const original = power.setPowerState.bind(power);
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const spy = vi.spyOn(power, "setPowerState").mockImplementation(async (task, target, timeout) => {
      if (task.node.id === node.id) {
        inFlight++;
        calls++;
        most = Math.max(most, inFlight);
      }
      try {
        return await original(task, target, timeout);
      } finally {
        if (task.node.id === node.id) inFlight--;
      }
    });
    const statuses: number[] = [];
    const bodies: string[] = [];
    try {
      const client = async (): Promise<number> => {
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(`${server.url}/v1/nodes/${node.uuid}/states/power`, {
            method: "PUT", headers: HEADERS, body: JSON.stringify({ target: "rebooting" }),
          });
          statuses.push(res.status);
          const text = await res.text();
          if (res.status === 202) return attempt;
          bodies.push(text);
          if (res.status !== 409 || attempt > 200) throw new Error(`unexpected ${res.status}: ${text}`);
          await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
        }
      };
      const attempts = await Promise.all(Array.from({ length: CLIENTS }, client));
      expect(attempts).toHaveLength(CLIENTS);
      // Wait for the last accepted reboot to finish.
      for (let i = 0; i < 500; i++) {
        const n = (await getNodeById(db.sql, node.id))!;
        if (n.reservation === null && n.targetPowerState === null && calls === CLIENTS) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      spy.mockRestore();
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(CLIENTS);
    expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    const refusal = JSON.parse(bodies[0]);
    expect(JSON.parse(refusal.error_message).faultstring).toBe(
      `Node ${node.uuid} is locked by host contended, please retry after the current operation is completed.`,
    );
    expect(most).toBe(1);
    expect(calls).toBe(CLIENTS);
    const n = (await getNodeById(db.sql, node.id))!;
    expect([n.reservation, n.targetPowerState, n.powerState, n.lastError]).toEqual([null, null, "power on", null]);
    const history = await listHistory(db.sql, node.id);
    expect(history.filter((h) => /reboot/i.test(h.event))).toHaveLength(CLIENTS);
  }, 120_000);
});
