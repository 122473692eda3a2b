// The stock `openstack baremetal` client against the non-node resources (ports, portgroups,
// chassis, volume, drivers, conductors, allocations) on a loopback Ingot.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { insertNode, type NodeRecord } from "../../core/db/nodes.ts";
import { resetHashRing } from "../../core/hashring.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { openstackCli, requireOpenstackCli } from "../../testing/openstack.ts";
import { startApiServer, type ApiServer } from "../../testing/server.ts";

// Each step runs the Python client (a second or more per call, several on a busy machine).
vi.setConfig({ testTimeout: 180_000 });

let env: TestDb;
let server: ApiServer;
let node: NodeRecord;
const cli = openstackCli(() => server.url, 120_000);
const os = <T = any>(...args: string[]): Promise<T> => cli.osJson<T>(...args);

beforeAll(async () => {
  requireOpenstackCli();
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
  const now = new Date();
  await env.sql.run(`INSERT INTO "Conductor" ("hostname", "conductorGroup", "online", "drivers", "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)`, [
    "cli-conductor", "", true, JSON.stringify(["fake-hardware"]), now, now,
  ]);
  resetHashRing();
  node = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "available", powerState: "power off", resourceClass: "cli-rc", name: "cli-node" });
  server = await startApiServer();
}, 60_000);
afterAll(async () => {
  await server?.close();
  await env?.cleanup();
});

describe("openstack baremetal on the non-node resources", () => {
  it("drivers and conductors", async () => {
    const drivers = await os("driver", "list");
    expect(drivers).toEqual([{ "Supported driver(s)": "fake-hardware", "Active host(s)": "cli-conductor" }]);
    const show = await os("driver", "show", "fake-hardware");
    expect(show.default_power_interface).toBe("fake");
    const conductors = await os("conductor", "list");
    expect(conductors[0]).toMatchObject({ Hostname: "cli-conductor", Alive: true });
  }, 120_000);

  it("portgroup, port, chassis, volume connector", async () => {
    const pg = await os("port", "group", "create", "--node", node.uuid, "--name", "cli-pg", "--address", "52:54:00:00:00:10");
    expect(pg.name).toBe("cli-pg");
    const port = await os("port", "create", "52:54:00:00:00:01", "--node", node.uuid, "--port-group", pg.uuid);
    expect(port.port_group_uuid ?? port.portgroup_uuid).toBe(pg.uuid);
    const ports = await os("port", "list", "--long");
    expect(ports[0].Address).toBe("52:54:00:00:00:01");
    const chassis = await os("chassis", "create", "--description", "cli rack");
    expect(chassis.description).toBe("cli rack");
    const conn = await os("volume", "connector", "create", "--node", node.uuid, "--type", "iqn", "--connector-id", "iqn.cli");
    expect(conn.connector_id).toBe("iqn.cli");
  }, 120_000);

  it("allocation create --wait ends active on the node", async () => {
    const alloc = await os("allocation", "create", "--resource-class", "cli-rc", "--wait", "30");
    expect(alloc.state).toBe("active");
    expect(alloc.node_uuid).toBe(node.uuid);
  }, 120_000);
});
