// POST /v1/continue_inspection (1.84): a ramdisk posts inspection data for a node in "inspect wait".
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { getNodeByUuid } from "../../core/db/nodes.ts";
import { fakeInspectionData } from "../../core/inspection/inventory.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  await startConductor({ hostname: "continue-inspection", periodic: false });
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

const settle = () => getConductor().pool.drain();

async function waitingNode(name: string): Promise<{ uuid: string; mac: string; inventory: Record<string, any> }> {
  const created = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name, driver_info: { fake_inspect_wait: true } } });
  expect(created.status, created.error ?? "").toBe(201);
  const uuid = created.body.uuid;
  const node = (await getNodeByUuid(db.sql, uuid))!;
  const { inventory } = fakeInspectionData(node);
  const mac = inventory.interfaces[0].mac_address;
  // The agent is found by a MAC the node already has a port for.
  expect((await api("POST", "/v1/ports", { body: { address: mac, node_uuid: uuid } })).status).toBe(201);
  await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "manage" } });
  await settle();
  expect((await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "inspect" } })).status).toBe(202);
  await settle();
  expect((await api("GET", `/v1/nodes/${uuid}`)).body.provision_state).toBe("inspect wait");
  return { uuid, mac, inventory };
}

describe("continue_inspection", () => {
  it("finishes the inspection of the node that owns the posted MACs", async () => {
    const { uuid, inventory } = await waitingNode("ci-ok");
    const r = await api("POST", "/v1/continue_inspection", { body: { inventory, extra_plugin_key: 1 }, version: null });
    expect(r.status, r.error ?? "").toBe(202);
    expect(r.body).toEqual({ uuid });
    await settle();
    const node = (await api("GET", `/v1/nodes/${uuid}`)).body;
    expect(node.provision_state).toBe("manageable");
    expect(node.properties.cpus).toBe(inventory.cpu.count);
    const stored = await api("GET", `/v1/nodes/${uuid}/inventory`, { version: 81 });
    expect(stored.body.inventory.cpu.count).toBe(inventory.cpu.count);
    expect(stored.body.plugin_data.extra_plugin_key).toBe(1);
    const ports = await api("GET", `/v1/ports?node=${uuid}`);
    expect(ports.body.ports.length).toBe(inventory.interfaces.length);
  });

  it("is refused for bad data, unknown machines and nodes not waiting, changing nothing", async () => {
    const { uuid, inventory } = await waitingNode("ci-bad");
    expect((await api("POST", "/v1/continue_inspection", { body: { inventory: { interfaces: [] } }, version: null })).status).toBe(400);
    expect((await api("POST", "/v1/continue_inspection", { body: {}, version: null })).error).toMatch(/'inventory' is a required property/);
    const noLookup = await api("POST", "/v1/continue_inspection", { body: { inventory: { interfaces: [{ mac_address: "not-a-mac" }] } }, version: null });
    expect(noLookup.status).toBe(400);
    expect(noLookup.error).toBe("No lookup information provided");
    const stranger = { ...inventory, interfaces: [{ mac_address: "52:54:00:ff:ff:01" }] };
    expect((await api("POST", "/v1/continue_inspection", { body: { inventory: stranger }, version: null })).status).toBe(404);
    // Between 1.2 and 1.83 the endpoint does not exist.
    expect((await api("POST", "/v1/continue_inspection", { body: { inventory }, version: 50 })).status).toBe(404);
    await settle();
    expect((await api("GET", `/v1/nodes/${uuid}`)).body.provision_state).toBe("inspect wait");
  });
});
