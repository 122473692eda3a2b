// The PostgreSQL bridge of the live-event bus: two buses on two connections (as two processes
// would be) see each other's events exactly once, and their own once; a dropped connection is
// re-opened. Runs only with INGOT_TEST_PG_URL (npm test starts a server for it).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { LiveEventBus, liveEvents, type LiveEvent } from "./events.ts";
import { encodeEnvelope } from "./events-pg.ts";

const pg = process.env.INGOT_TEST_PG_URL;

function conductorEvent(hostname: string): LiveEvent {
  return { type: "conductor", hostname, online: true, at: new Date().toISOString() };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("event envelope", () => {
  it("keeps every event under the NOTIFY payload limit", () => {
    const e = {
      type: "node", id: 1, uuid: "u", name: "n", provisionState: "active", targetProvisionState: null,
      powerState: null, targetPowerState: null, maintenance: false, reservation: null,
      lastError: "x".repeat(50_000), owner: null, lessee: null, at: "now",
    } as LiveEvent;
    const text = encodeEnvelope("origin", e);
    expect(Buffer.byteLength(text)).toBeLessThan(8000);
    expect(JSON.parse(text).e.lastError.startsWith("xxx")).toBe(true);
  });
});

describe.skipIf(!pg)("live events across processes (PostgreSQL)", () => {
  let env: TestDb;
  const a = new LiveEventBus();
  const b = new LiveEventBus();
  const seenA: string[] = [];
  const seenB: string[] = [];

  beforeAll(async () => {
    env = await createTestDb();
    a.subscribe((e) => seenA.push((e as { hostname: string }).hostname));
    b.subscribe((e) => seenB.push((e as { hostname: string }).hostname));
    await Promise.all([a.attachPostgres(env.url).ready(), b.attachPostgres(env.url).ready()]);
  });
  afterAll(async () => {
    await a.detach();
    await b.detach();
    await env?.cleanup();
  });

  it("delivers each event once to every subscriber, own events included", async () => {
    a.publish(conductorEvent("from-a-1"));
    b.publish(conductorEvent("from-b-1"));
    a.publish(conductorEvent("from-a-2"));
    await until(() => seenA.length >= 3 && seenB.length >= 3);
    await new Promise((r) => setTimeout(r, 300)); // an echo would arrive by now
    expect(seenA.sort()).toEqual(["from-a-1", "from-a-2", "from-b-1"]);
    expect(seenB.sort()).toEqual(["from-a-1", "from-a-2", "from-b-1"]);
  });

  it("keeps order from one publisher", async () => {
    seenB.length = 0;
    for (let i = 0; i < 50; i++) a.publish(conductorEvent(`seq-${i}`));
    await until(() => seenB.length >= 50);
    expect(seenB).toEqual(Array.from({ length: 50 }, (_, i) => `seq-${i}`));
  });

  it("re-opens a dropped listening connection and sends what was published meanwhile", async () => {
    const pid = await b.bridged()!.backendPid();
    expect(pid).toBeTypeOf("number");
    await env.sql.run("SELECT pg_terminate_backend(?)", [pid!]);
    seenA.length = 0;
    seenB.length = 0;
    b.publish(conductorEvent("while-down")); // queued until B is back
    await b.bridged()!.ready();
    await until(() => seenA.includes("while-down"), 15_000);
    // Back to normal both ways.
    a.publish(conductorEvent("after"));
    await until(() => seenB.includes("after"), 15_000);
    expect(seenB.filter((h) => h === "while-down")).toHaveLength(1);
    expect(seenA.filter((h) => h === "while-down")).toHaveLength(1);
  });

  it("bridges the process bus (liveEvents()) of a PostgreSQL database", async () => {
    const bus = liveEvents();
    await bus.bridged()!.ready();
    const mine: string[] = [];
    const off = bus.subscribe((e) => mine.push((e as { hostname: string }).hostname));
    seenB.length = 0;
    bus.publish(conductorEvent("process-bus"));
    b.publish(conductorEvent("to-process-bus"));
    await until(() => seenB.includes("process-bus") && mine.includes("to-process-bus"));
    await new Promise((r) => setTimeout(r, 300));
    off();
    expect(mine.sort()).toEqual(["process-bus", "to-process-bus"]);
  });
});
