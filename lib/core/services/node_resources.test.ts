// Ports, port groups, volume objects and allocations: the services' own policy and state checks,
// called directly (the API tests cover the same answers through HTTP).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getNodeByUuid, updateNode } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { IronicError } from "../errors.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { projectUser, systemUser } from "../../testing/principals.ts";
import { allocationListProject, allocationOwnerFor, candidateNodeUuids } from "./allocations.ts";
import { deletePortgroup } from "./portgroups.ts";
import { deletePort, nodeToMoveTo, visiblePort } from "./ports.ts";
import { deleteVolumeObject, mayViewTargetProperties, visibleVolumeRow, type TargetRow } from "./volume.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
});
afterAll(async () => {
  await db.cleanup();
});

const admin = systemUser("admin");
const systemReader = systemUser("reader");
const ownerAdmin = projectUser("p-own", "admin");
const ownerMember = projectUser("p-own", "member");
const stranger = projectUser("p-other", "admin");

async function refusal(run: () => Promise<unknown> | unknown): Promise<{ status: number; message: string }> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(IronicError);
    return { status: (err as IronicError).status, message: (err as Error).message };
  }
  throw new Error("expected a refusal");
}

async function post(path: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  const r = await api("POST", path, { body });
  expect(r.status, r.error ?? "").toBe(201);
  return r.body;
}

let seq = 0;
const mac = () => `52:54:00:00:10:${(++seq).toString(16).padStart(2, "0")}`;

describe("ports", () => {
  it("conceal a port from another project (404) but answer 403 to a system reader who may only read", async () => {
    const node = await post("/v1/nodes", { driver: "fake-hardware", owner: "p-own" });
    const port = await post("/v1/ports", { node_uuid: node.uuid, address: mac() });
    expect((await visiblePort(ownerAdmin, port.uuid, false)).uuid).toBe(port.uuid);
    expect(await refusal(() => visiblePort(stranger, port.uuid, false))).toEqual({ status: 404, message: `Port ${port.uuid} could not be found.` });
    expect((await visiblePort(systemReader, port.uuid, false)).uuid).toBe(port.uuid);
    expect((await refusal(() => deletePort(systemReader, port.uuid, false))).status).toBe(403);
  });

  it("refuse to delete a port with a VIF on a deployed node, unless the node is in maintenance", async () => {
    const node = await post("/v1/nodes", { driver: "fake-hardware" });
    const port = await post("/v1/ports", { node_uuid: node.uuid, address: mac(), extra: { vif_port_id: "vif-1" } });
    const id = (await getNodeByUuid(await sql(), node.uuid))!.id;
    await updateNode(await sql(), id, { provisionState: "active" });
    expect(await refusal(() => deletePort(admin, port.uuid, false))).toEqual({
      status: 409,
      message: `Cannot delete port ${port.uuid} because node ${node.uuid} is active and the port has a VIF attached. Detach the VIF or put the node in maintenance first.`,
    });
    await updateNode(await sql(), id, { maintenance: true });
    await deletePort(admin, port.uuid, false);
    expect((await api("GET", `/v1/ports/${port.uuid}`)).status).toBe(404);
  });

  it("move only onto a node being set up or in maintenance", async () => {
    const target = await post("/v1/nodes", { driver: "fake-hardware" });
    await updateNode(await sql(), (await getNodeByUuid(await sql(), target.uuid))!.id, { provisionState: "available" });
    const r = await refusal(() => nodeToMoveTo(admin, target.uuid, "baremetal:port:update", "Port", "p-1"));
    expect(r.status).toBe(409);
    expect(r.message).toMatch(new RegExp(`^Port p-1 can not be associated to node ${target.uuid} unless the node is in a .* state or in maintenance mode\\.$`));
    expect(await refusal(() => nodeToMoveTo(stranger, target.uuid, "baremetal:port:update", "Port", "p-1")))
      .toEqual({ status: 400, message: `Node ${target.uuid} could not be found.` });
  });
});

describe("port groups", () => {
  it("refuse to delete a port group that has ports", async () => {
    const node = await post("/v1/nodes", { driver: "fake-hardware" });
    const pg = await post("/v1/portgroups", { node_uuid: node.uuid, address: mac(), name: "svc-pg-1" });
    const port = await post("/v1/ports", { node_uuid: node.uuid, address: mac(), portgroup_uuid: pg.uuid });
    expect(await refusal(() => deletePortgroup(admin, "svc-pg-1"))).toEqual({
      status: 400, message: `Cannot complete the requested action because portgroup ${pg.uuid} contains ports.`,
    });
    await deletePort(admin, port.uuid, false);
    await deletePortgroup(admin, "svc-pg-1");
    expect((await api("GET", `/v1/portgroups/${pg.uuid}`)).status).toBe(404);
  });
});

describe("volume", () => {
  it("hide target properties from project callers and delete only while the node is off", async () => {
    const node = await post("/v1/nodes", { driver: "fake-hardware", owner: "p-own" });
    const target = await post("/v1/volume/targets", { node_uuid: node.uuid, volume_type: "iscsi", volume_id: "v-1", boot_index: 0 });
    const row = (await visibleVolumeRow(ownerAdmin, "target", target.uuid)) as TargetRow;
    expect(mayViewTargetProperties(systemReader, row)).toBe(true);
    expect(mayViewTargetProperties(ownerAdmin, row)).toBe(false);
    expect((await refusal(() => visibleVolumeRow(stranger, "target", target.uuid))).status).toBe(404);
    expect(await refusal(() => visibleVolumeRow(admin, "target", "not-a-uuid"))).toEqual({ status: 400, message: "Expected UUID for target_uuid: not-a-uuid" });
    await updateNode(await sql(), (await getNodeByUuid(await sql(), node.uuid))!.id, { powerState: "power on" });
    expect(await refusal(() => deleteVolumeObject(ownerAdmin, "target", target.uuid))).toEqual({
      status: 400,
      message: `The requested action "volume target deletion" can not be performed on node "${node.uuid}" while it is in state "power on".`,
    });
  });
});

describe("allocations", () => {
  it("project members allocate for their own project only", () => {
    expect(allocationOwnerFor(ownerMember, null)).toBe("p-own");
    expect(allocationOwnerFor(ownerMember, "p-own")).toBe("p-own");
    expect(() => allocationOwnerFor(ownerMember, "p-other")).toThrow(IronicError);
    expect(allocationOwnerFor(admin, "p-other")).toBe("p-other");
    expect(() => allocationOwnerFor(systemReader, null)).toThrow(IronicError);
    expect(allocationListProject(ownerMember)).toBe("p-own");
    expect(allocationListProject(systemReader)).toBeNull();
  });

  it("count candidate nodes the caller cannot see as missing", async () => {
    const mine = await post("/v1/nodes", { driver: "fake-hardware", owner: "p-own", name: "svc-cand-1" });
    await post("/v1/nodes", { driver: "fake-hardware", owner: "p-else", name: "svc-cand-2" });
    expect(await candidateNodeUuids(ownerMember, ["svc-cand-1", mine.uuid])).toEqual([mine.uuid]);
    expect(await refusal(() => candidateNodeUuids(ownerMember, ["svc-cand-1", "svc-cand-2", "nope"])))
      .toEqual({ status: 400, message: "Nodes cannot be found: svc-cand-2, nope" });
  });
});
