// The node state and sub-resource use cases called directly, as bulk jobs and server actions do:
// a node named by uuid, a principal, no Request; refusals are the API's own (same status and text).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../auth.ts";
import { getConductor, startConductor, stopConductor } from "../conductor/index.ts";
import { getNodeByUuid, insertNode, updateNode } from "../db/nodes.ts";
import { sql } from "../db/sql.ts";
import { IronicError } from "../errors.ts";
import type { Principal } from "../policy.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { projectUser, systemUser } from "../../testing/principals.ts";
import { setPowerState, setProvisionState } from "./node_states.ts";
import { addTrait, clearMaintenance, deleteNodeAllocation, removeTrait, setMaintenance } from "./node_subresources.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  await startConductor({ hostname: "services-test-conductor", periodic: false });
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

const settle = () => getConductor().pool.drain();
const admin = systemUser("admin");
const systemReader = systemUser("reader");
const stranger = projectUser("p-other", "admin");

async function newNode(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const r = await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name, ...extra } });
  expect(r.status, r.error ?? "").toBe(201);
  return r.body.uuid as string;
}

/** The API's answer for `who` (credentials resolved per request, as the real server does). */
async function apiAs(who: Principal, method: string, path: string, body?: unknown) {
  delete process.env.INGOT_API_AUTH;
  setCredentialResolver(async () => who);
  try {
    return await api(method, path, { body });
  } finally {
    process.env.INGOT_API_AUTH = "noauth";
  }
}

/** The IronicError `run` throws (status and text), or a failure when it throws nothing. */
async function refusal(run: () => Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(IronicError);
    return { status: (err as IronicError).status, message: (err as Error).message };
  }
  throw new Error("expected a refusal");
}

describe("setProvisionState", () => {
  it("moves a node named by uuid, as a job would", async () => {
    const uuid = await newNode("svc-prov-1");
    await setProvisionState(admin, uuid, { target: "manage" });
    await settle();
    expect((await getNodeByUuid(await sql(), uuid))!.provisionState).toBe("manageable");
  });

  it("refuses a reader with the API's 403", async () => {
    const uuid = await newNode("svc-prov-2");
    const viaService = await refusal(() => setProvisionState(systemReader, uuid, { target: "manage" }));
    const viaApi = await apiAs(systemReader, "PUT", `/v1/nodes/${uuid}/states/provision`, { target: "manage" });
    expect(viaService.status).toBe(403);
    expect(viaApi.status).toBe(403);
    expect(viaService.message).toBe(viaApi.error);
  });

  it("conceals the node from another project (404), as the API does", async () => {
    const uuid = await newNode("svc-prov-3");
    const viaService = await refusal(() => setProvisionState(stranger, uuid, { target: "manage" }));
    const viaApi = await apiAs(stranger, "PUT", `/v1/nodes/${uuid}/states/provision`, { target: "manage" });
    expect(viaService.status).toBe(404);
    expect(viaApi.status).toBe(404);
    expect(viaService.message).toBe(viaApi.error);
  });

  it("refuses a transition the state machine does not allow with the API's 400", async () => {
    const uuid = await newNode("svc-prov-4");
    const viaService = await refusal(() => setProvisionState(admin, uuid, { target: "provide" }));
    const viaApi = await api("PUT", `/v1/nodes/${uuid}/states/provision`, { body: { target: "provide" } });
    expect(viaService).toEqual({
      status: 400,
      message: `The requested action "provide" can not be performed on node "${uuid}" while it is in state "enroll".`,
    });
    expect(viaApi.status).toBe(400);
    expect(viaApi.error).toBe(viaService.message);
  });

  it("follows the microversion it is given: a verb newer than it is 406", async () => {
    const uuid = await newNode("svc-prov-5");
    await setProvisionState(admin, uuid, { target: "manage" });
    await settle();
    expect((await refusal(() => setProvisionState(admin, uuid, { target: "unhold" }, { apiVersion: 80 }))).status).toBe(406);
    // the newest rules by default: unhold is known, only not allowed from manageable
    expect((await refusal(() => setProvisionState(admin, uuid, { target: "unhold" }))).status).toBe(400);
  });

  it("checks clean steps against Ironic's schema after the state checks", async () => {
    const uuid = await newNode("svc-prov-6");
    // enroll → clean is refused by state first, whatever the steps say
    expect((await refusal(() => setProvisionState(admin, uuid, { target: "clean", clean_steps: [{ bogus: 1 }] }))).message)
      .toContain('while it is in state "enroll"');
    await setProvisionState(admin, uuid, { target: "manage" });
    await settle();
    const bad = await refusal(() => setProvisionState(admin, uuid, { target: "clean", clean_steps: [{ bogus: 1 }] }));
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/^Invalid clean_steps: /);
  });
});

describe("setPowerState", () => {
  it("quotes the node as the caller named it", async () => {
    const uuid = await newNode("svc-power-1");
    const r = await refusal(() => setPowerState(admin, "svc-power-1", { target: "sideways" }));
    expect(r).toEqual({ status: 400, message: `The requested action "sideways" can not be performed on node "svc-power-1" while it is in state "None".` });
    await setPowerState(admin, uuid, { target: "power on" });
    await settle();
    expect((await getNodeByUuid(await sql(), uuid))!.powerState).toBe("power on");
  });

  it("refuses power off on a node with disable_power_off", async () => {
    const uuid = await newNode("svc-power-2");
    await updateNode(await sql(), (await getNodeByUuid(await sql(), uuid))!.id, { disablePowerOff: true });
    const r = await refusal(() => setPowerState(admin, uuid, { target: "power off" }));
    expect(r.status).toBe(409);
    expect(r.message).toContain("power off is disabled");
  });
});

describe("maintenance and traits", () => {
  it("set and clear maintenance on a node named by uuid", async () => {
    const uuid = await newNode("svc-maint-1");
    await setMaintenance(admin, uuid, "cabling");
    await settle();
    let n = (await getNodeByUuid(await sql(), uuid))!;
    expect([n.maintenance, n.maintenanceReason]).toEqual([true, "cabling"]);
    expect((await refusal(() => clearMaintenance(systemReader, uuid))).status).toBe(403);
    await clearMaintenance(admin, uuid);
    await settle();
    n = (await getNodeByUuid(await sql(), uuid))!;
    expect(n.maintenance).toBe(false);
  });

  it("add and remove traits with the API's limits and wording", async () => {
    const uuid = await newNode("svc-traits-1");
    await addTrait(admin, uuid, "CUSTOM_A");
    await addTrait(admin, uuid, "CUSTOM_A");
    expect((await getNodeByUuid(await sql(), uuid))!.traits).toEqual(["CUSTOM_A"]);
    expect(await refusal(() => removeTrait(admin, uuid, "CUSTOM_B"))).toEqual({ status: 404, message: `Node ${uuid} doesn't have a trait 'CUSTOM_B'` });
    await removeTrait(admin, uuid, "CUSTOM_A");
    expect((await getNodeByUuid(await sql(), uuid))!.traits).toEqual([]);

    const full = await insertNode(await sql(), { driver: "fake-hardware", provisionState: "enroll" }, Array.from({ length: 50 }, (_, i) => `CUSTOM_T${i}`));
    const over = await refusal(() => addTrait(admin, full.uuid, "CUSTOM_MORE"));
    expect(over).toEqual({ status: 400, message: `Could not modify traits for node ${full.uuid}: would exceed the maximum of 50 traits.` });
    await addTrait(admin, full.uuid, "CUSTOM_T0"); // one it has: no change, no refusal
  });

  it("refuses trait changes while a conductor holds the node", async () => {
    const uuid = await newNode("svc-traits-2");
    await updateNode(await sql(), (await getNodeByUuid(await sql(), uuid))!.id, { reservation: "elsewhere" });
    expect((await refusal(() => addTrait(admin, uuid, "CUSTOM_A"))).status).toBe(409);
  });
});

describe("the node's allocation", () => {
  it("answers 404 naming the node as the caller did", async () => {
    await newNode("svc-alloc-1");
    expect(await refusal(() => deleteNodeAllocation(admin, "svc-alloc-1"))).toEqual({ status: 404, message: "Allocation for node svc-alloc-1 was not found" });
  });
});
