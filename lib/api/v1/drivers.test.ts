import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConductor, stopConductor } from "../../core/conductor/index.ts";
import { setConfig } from "../../core/config.ts";
import { insertNode } from "../../core/db/nodes.ts";
import { resetHashRing } from "../../core/hashring.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { MAX_MINOR } from "../version.ts";

let env: TestDb;
const BASE = "http://127.0.0.1:3000/baremetal";
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
  const now = new Date();
  await env.sql.run(`INSERT INTO "Conductor" ("hostname", "conductorGroup", "online", "drivers", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)`, [
    "cond-a", "", true, JSON.stringify(["fake-hardware"]), now, now,
  ]);
  // A conductor that stopped heartbeating is not alive.
  const old = new Date(Date.now() - 5 * 60_000);
  await env.sql.run(`INSERT INTO "Conductor" ("hostname", "conductorGroup", "online", "drivers", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)`, [
    "cond-dead", "g1", true, JSON.stringify(["fake-hardware"]), old, old,
  ]);
  resetHashRing();
});
afterAll(async () => env.cleanup());

describe("drivers", () => {
  it("lists hardware types of alive conductors like the sample", async () => {
    const r = await api("GET", "/v1/drivers");
    expect(r.body).toEqual({
      drivers: [
        {
          name: "fake-hardware",
          hosts: ["cond-a"],
          links: [
            { href: `${BASE}/v1/drivers/fake-hardware`, rel: "self" },
            { href: `${BASE}/drivers/fake-hardware`, rel: "bookmark" },
          ],
          properties: [
            { href: `${BASE}/v1/drivers/fake-hardware/properties`, rel: "self" },
            { href: `${BASE}/drivers/fake-hardware/properties`, rel: "bookmark" },
          ],
          type: "dynamic",
        },
      ],
    });
    expect(Object.keys((await api("GET", "/v1/drivers", { version: 1 })).body.drivers[0])).toEqual(["name", "hosts", "links"]);
    expect((await api("GET", "/v1/drivers?type=classic")).body.drivers).toEqual([]);
    expect((await api("GET", "/v1/drivers?type=foo")).error).toBe('"type" filter must be one of "classic" or "dynamic", if specified.');
    expect((await api("GET", "/v1/drivers?type=dynamic", { version: 29 })).status).toBe(406);
    expect((await api("GET", "/v1/drivers?detail=True", { version: 29 })).status).toBe(406);
  });

  it("detail and single driver carry default/enabled interfaces (no firmware at 1.82)", async () => {
    const r = await api("GET", "/v1/drivers/fake-hardware", { version: 82 });
    expect(r.body.default_power_interface).toBe("fake");
    expect(r.body.enabled_network_interfaces).toEqual(expect.arrayContaining(["noop"]));
    expect(r.body.default_firmware_interface).toBeUndefined();
    expect(Object.keys(r.body).filter((k) => k.startsWith("default_"))).toHaveLength(12);
    if (MAX_MINOR >= 86) {
      const at86 = await api("GET", "/v1/drivers/fake-hardware", { version: 86 });
      expect(at86.body.default_firmware_interface).toBe("fake");
      expect(Object.keys(at86.body).filter((k) => k.startsWith("default_"))).toHaveLength(13);
    }
    const detail = await api("GET", "/v1/drivers?detail=True");
    expect(detail.body.drivers[0].default_deploy_interface).toBe("fake");
    expect(Object.keys((await api("GET", "/v1/drivers/fake-hardware", { version: 13 })).body)).toEqual(["name", "hosts", "links"]);
  });

  it("fields (1.77)", async () => {
    expect((await api("GET", "/v1/drivers?fields=name,hosts")).body.drivers[0]).toEqual({
      name: "fake-hardware", hosts: ["cond-a"], links: expect.any(Array),
    });
    expect((await api("GET", "/v1/drivers?fields=name", { version: 76 })).status).toBe(406);
    expect((await api("GET", "/v1/drivers?fields=bogus")).error).toBe('Field(s) "bogus" are not valid');
    expect((await api("GET", "/v1/drivers?detail=True&fields=name")).status).toBe(400);
  });

  it("404s and sub-resources", async () => {
    const r = await api("GET", "/v1/drivers/bogus");
    expect(r.status).toBe(404);
    expect(r.error).toBe("Could not find the following driver(s) or hardware type(s): bogus.");
    expect((await api("GET", "/v1/drivers/bogus/properties")).error).toBe("The driver 'bogus' is unknown.");
    const props = await api("GET", "/v1/drivers/fake-hardware/properties");
    expect(props.body).toMatchObject({ B1: "B1 description. Required.", B2: "B2 description. Required." });
    const raid = await api("GET", "/v1/drivers/fake-hardware/raid/logical_disk_properties");
    expect(Object.keys(raid.body)).toContain("raid_level");
    expect((await api("GET", "/v1/drivers/fake-hardware/raid/logical_disk_properties", { version: 11 })).status).toBe(406);
    expect((await api("GET", "/v1/drivers/fake-hardware/vendor_passthru/methods")).body).toEqual({});
    expect((await api("POST", "/v1/drivers/fake-hardware/vendor_passthru?method=foo", { body: {} })).error).toBe("No handler for method foo");
    expect((await api("GET", "/v1/drivers/fake-hardware/vendor_passthru")).error).toBe("Missing mandatory parameter: method");
  });
});

describe("conductors", () => {
  it("is gated at 1.49", async () => {
    expect((await api("GET", "/v1/conductors", { version: 48 })).status).toBe(404);
  });

  it("lists default fields with alive computed from the heartbeat", async () => {
    const r = await api("GET", "/v1/conductors");
    expect(r.body.conductors).toEqual([
      { hostname: "cond-a", conductor_group: "", links: expect.any(Array), alive: true },
      { hostname: "cond-dead", conductor_group: "g1", links: expect.any(Array), alive: false },
    ]);
    const page = await api("GET", "/v1/conductors?limit=1");
    expect(page.body.next).toBe(`${BASE}/v1/conductors?sort_key=id&sort_dir=asc&fields=hostname,conductor_group,alive&limit=1&marker=cond-a`);
    expect((await api("GET", "/v1/conductors?limit=1&marker=cond-a")).body.conductors[0].hostname).toBe("cond-dead");
    const detail = await api("GET", "/v1/conductors?detail=True");
    expect(Object.keys(detail.body.conductors[0])).toEqual(["created_at", "updated_at", "hostname", "conductor_group", "drivers", "links", "alive"]);
    expect((await api("GET", "/v1/conductors?fields=hostname,drivers")).body.conductors[0]).toEqual({
      hostname: "cond-a", drivers: ["fake-hardware"], links: expect.any(Array),
    });
  });

  it("gets one by hostname", async () => {
    const r = await api("GET", "/v1/conductors/cond-a");
    expect(r.body.drivers).toEqual(["fake-hardware"]);
    expect(r.body.links[0].href).toBe(`${BASE}/v1/conductors/cond-a`);
    const missing = await api("GET", "/v1/conductors/nope");
    expect(missing.status).toBe(404);
    expect(missing.error).toBe("Conductor nope could not be found.");
  });
});

describe("shards", () => {
  it("groups nodes with a shard (1.82)", async () => {
    await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", shard: "s1" });
    await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", shard: "s1" });
    await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", shard: "s2" });
    await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll" });
    expect((await api("GET", "/v1/shards")).body).toEqual({ shards: [{ name: "s1", count: 2 }, { name: "s2", count: 1 }] });
    expect((await api("GET", "/v1/shards", { version: 81 })).status).toBe(404);
  });
});

describe("events", () => {
  const ev = {
    event: "network.bind_port", port_id: "11111111-1111-1111-1111-111111111111", mac_address: "aa:bb:cc:dd:ee:ff", status: "ACTIVE",
  };
  it("accepts valid network events with 204", async () => {
    expect((await api("POST", "/v1/events", { body: { events: [ev] } })).status).toBe(204);
    expect((await api("POST", "/v1/events", { body: { events: [ev] }, version: 53 })).status).toBe(404);
  });
  it("rejects bad events with 400", async () => {
    expect((await api("POST", "/v1/events", { body: { events: [] } })).error).toMatch(/^Schema error for evts:/);
    expect((await api("POST", "/v1/events", { body: {} })).error).toBe("Schema error for evts: 'events' is a required property");
    expect((await api("POST", "/v1/events", { body: { events: [{ ...ev, event: "bogus" }] } })).status).toBe(400);
    expect((await api("POST", "/v1/events", { body: { events: [{ ...ev, foo: 1 }] } })).status).toBe(400);
    expect((await api("POST", "/v1/events", { body: { events: [{ ...ev, port_id: "x" }] } })).error).toBe("Expected UUID for port_id: x");
    expect((await api("POST", "/v1/events", { rawBody: "{" })).status).toBe(400);
  });
});

describe("a conductor with the default hardware types and no ipmitool", () => {
  beforeAll(async () => {
    delete process.env.INGOT_ENABLED_HARDWARE_TYPES;
    process.env.INGOT_IPMITOOL = "/nonexistent/ipmitool";
    setConfig();
    await startConductor({ hostname: "cond-default", periodic: false });
  });
  afterAll(async () => {
    await stopConductor();
    delete process.env.INGOT_IPMITOOL;
  });

  it("starts and offers ipmi and redfish (as Ironic) beside fake-hardware and sim", async () => {
    const r = await api("GET", "/v1/drivers");
    const hosts = Object.fromEntries(r.body.drivers.map((d: { name: string; hosts: string[] }) => [d.name, d.hosts]));
    expect(hosts).toEqual({ "fake-hardware": ["cond-a", "cond-default"], ipmi: ["cond-default"], redfish: ["cond-default"], sim: ["cond-default"] });
    expect((await api("GET", "/v1/drivers/ipmi")).body.default_power_interface).toBe("ipmitool");
    expect((await api("GET", "/v1/drivers/redfish")).body.default_power_interface).toBe("redfish");
  });

  it("validating an ipmi node says ipmitool is missing; a redfish node validates", async () => {
    const ipmi = await api("POST", "/v1/nodes", { body: { driver: "ipmi", driver_info: { ipmi_address: "127.0.0.1" } } });
    expect(ipmi.status, ipmi.error ?? "").toBe(201);
    const v = (await api("GET", `/v1/nodes/${ipmi.body.uuid}/validate`)).body;
    const missing = { result: false, reason: 'ipmitool is not installed on this conductor (looked for "/nonexistent/ipmitool"; install the Debian package ipmitool).' };
    expect(v.power).toEqual(missing);
    expect(v.management).toEqual(missing);
    const redfish = await api("POST", "/v1/nodes", { body: { driver: "redfish", driver_info: { redfish_address: "https://127.0.0.1:8000", redfish_system_id: "/redfish/v1/Systems/1" } } });
    expect(redfish.status, redfish.error ?? "").toBe(201);
    expect((await api("GET", `/v1/nodes/${redfish.body.uuid}/validate`)).body.power).toEqual({ result: true });
  });
});
