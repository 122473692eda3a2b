// Single-request deployments (Ingot extension): create → active, list/show, rebuild, move,
// undeploy, the allocation-request form, rollback on failure, policy and version independence.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../../core/auth.ts";
import { getConductor, startConductor, stopConductor } from "../../core/conductor/index.ts";
import { getNodeByUuid, updateNode } from "../../core/db/nodes.ts";
import type { Principal } from "../../core/policy.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";

let db: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  db = await createTestDb();
  await startConductor({ hostname: "deploy-conductor", periodic: false });
});
afterAll(async () => {
  await stopConductor();
  await db.cleanup();
});

const settle = () => getConductor().pool.drain();
let macSeq = 0;

/** An available fake-hardware node with `ports` ports on a flat network (so VIFs are recorded). */
async function availableNode(name: string, opts: { ports?: number; owner?: string; lessee?: string; rc?: string; traits?: string[] } = {}): Promise<string> {
  const r = await api("POST", "/v1/nodes", {
    body: { driver: "fake-hardware", name, resource_class: opts.rc ?? "gold", owner: opts.owner, lessee: opts.lessee },
  });
  expect(r.status, r.error ?? "").toBe(201);
  const uuid = r.body.uuid as string;
  await updateNode(db.sql, (await getNodeByUuid(db.sql, uuid))!.id, { networkInterface: "flat" });
  for (let i = 0; i < (opts.ports ?? 2); i++) {
    const p = await api("POST", "/v1/ports", { body: { address: `52:54:00:11:00:${(macSeq++).toString(16).padStart(2, "0")}`, node_uuid: uuid } });
    expect(p.status, p.error ?? "").toBe(201);
  }
  if (opts.traits?.length) expect((await api("PUT", `/v1/nodes/${name}/traits`, { body: { traits: opts.traits } })).status).toBe(204);
  expect((await api("PUT", `/v1/nodes/${name}/states/provision`, { body: { target: "manage" } })).status).toBe(202);
  await settle();
  expect((await api("PUT", `/v1/nodes/${name}/states/provision`, { body: { target: "provide" } })).status).toBe(202);
  await settle();
  // Allocations only pick nodes whose power state is known.
  expect((await api("PUT", `/v1/nodes/${name}/states/power`, { body: { target: "power off" } })).status).toBe(202);
  await settle();
  const n = (await api("GET", `/v1/nodes/${name}`)).body;
  expect(n.provision_state).toBe("available");
  expect(n.power_state).toBe("power off");
  return uuid;
}

const node = async (ident: string) => (await api("GET", `/v1/nodes/${ident}`)).body;

describe("deployments: the whole life of one deployment", () => {
  let n1 = "";
  let n2 = "";
  let dep = "";

  beforeAll(async () => {
    n1 = await availableNode("dep-n1");
    n2 = await availableNode("dep-n2");
  });

  it("creates: locks the node, attaches VIFs, sets instance_info, deploys (201)", async () => {
    const r = await api("POST", "/v1/deployments", {
      version: null, // an extension: answers at every microversion
      body: {
        node: "dep-n1", name: "web-1", image_source: "http://images/focal.qcow2", image_checksum: "abc123",
        configdrive: { user_data: "#cloud-config", meta_data: { hostname: "web-1" } }, vifs: ["vif-a", { id: "vif-b" }],
      },
    });
    expect(r.status, r.error ?? "").toBe(201);
    dep = r.body.uuid;
    expect(r.headers.get("Location")).toBe(`http://127.0.0.1:3000/baremetal/v1/deployments/${dep}`);
    expect(r.body).toMatchObject({
      name: "web-1", node_uuid: n1, image_source: "http://images/focal.qcow2", image_checksum: "abc123", traits: [],
      vifs: ["vif-a", "vif-b"], last_error: null,
    });
    expect(["deploying", "wait call-back", "active"]).toContain(r.body.state);
    expect(r.body.links[0].href).toBe(`http://127.0.0.1:3000/baremetal/v1/deployments/${dep}`);
    expect(r.body).not.toHaveProperty("configdrive");
    await settle();
    const got = await api("GET", `/v1/deployments/${dep}`, { version: null });
    expect(got.status).toBe(200);
    expect(got.body.state).toBe("active");
    expect(got.body.target_state).toBeNull();
    expect(got.body.progress).toEqual({});
    const nd = await node("dep-n1");
    expect(nd.instance_uuid).toBe(dep);
    expect(nd.allocation_uuid).toBe(dep);
    expect(nd.instance_info.image_source).toBe("http://images/focal.qcow2");
    expect(nd.instance_info.display_name).toBe("web-1");
    expect(nd.instance_info.configdrive).toBe("******");
    // by name too
    expect((await api("GET", "/v1/deployments/web-1")).body.uuid).toBe(dep);
  });

  it("lists with filters and paging", async () => {
    let r = await api("GET", "/v1/deployments");
    expect(r.status).toBe(200);
    expect(r.body.deployments.map((d: any) => d.uuid)).toEqual([dep]);
    expect(r.body.deployments[0].vifs).toEqual(["vif-a", "vif-b"]);
    expect((await api("GET", "/v1/deployments?node=dep-n1")).body.deployments).toHaveLength(1);
    expect((await api("GET", "/v1/deployments?node=dep-n2")).body.deployments).toHaveLength(0);
    expect((await api("GET", "/v1/deployments?state=active")).body.deployments).toHaveLength(1);
    expect((await api("GET", "/v1/deployments?state=deploying")).body.deployments).toHaveLength(0);
    expect((await api("GET", "/v1/deployments?state=bogus")).status).toBe(400);
    expect((await api("GET", "/v1/deployments?foo=1")).status).toBe(400);
    expect((await api("GET", "/v1/deployments?node=ghost")).status).toBe(404);
    expect((await api("GET", "/v1/deployments?limit=0")).status).toBe(400);
    r = await api("GET", "/v1/deployments?limit=1");
    expect(r.body.next).toBe(`http://127.0.0.1:3000/baremetal/v1/deployments?sort_key=id&sort_dir=asc&limit=1&marker=${dep}`);
    expect((await api("GET", `/v1/deployments?limit=1&marker=${dep}`)).body.deployments).toEqual([]);
    // plain allocations are not deployments
    expect((await api("GET", "/v1/deployments/00000000-0000-4000-8000-000000000000")).status).toBe(404);
  });

  it("refuses bad input before touching anything", async () => {
    const post = (body: unknown) => api("POST", "/v1/deployments", { body });
    const cases: [unknown, number, RegExp?][] = [
      [{ node: "dep-n2" }, 400, /image_source/],
      [{ node: "dep-n2", image_source: "" }, 400],
      [{ node: "dep-n2", image_source: 5 }, 400],
      [{ image_source: "x" }, 400, /node.*resource_class/],
      [{ node: "dep-n2", resource_class: "gold", image_source: "x" }, 400, /not both/],
      [{ node: "dep-n2", image_source: "x", bogus: 1 }, 400, /bogus/],
      [{ node: "dep-n2", image_source: "x", traits: ["lower"] }, 400],
      [{ node: "dep-n2", image_source: "x", traits: ["CUSTOM_MISSING"] }, 400, /CUSTOM_MISSING/],
      [{ node: "dep-n2", image_source: "x", vifs: "vif" }, 400],
      [{ node: "dep-n2", image_source: "x", vifs: ["a", "a"] }, 400, /twice/],
      [{ node: "dep-n2", image_source: "x", vifs: [{ id: "a", port_uuid: "nope" }] }, 400],
      [{ node: "dep-n2", image_source: "x", configdrive: 5 }, 400],
      [{ node: "dep-n2", image_source: "x", configdrive: { foo: 1 } }, 400],
      [{ node: "dep-n2", image_source: "x", image_os_hash_algo: "sha256" }, 400],
      [{ node: "dep-n2", image_source: "x", instance_info: { image_source: "y" } }, 400],
      [{ node: "dep-n2", image_source: "x", name: "bad name" }, 400],
      [{ node: "dep-n2", image_source: "x", uuid: "nope" }, 400],
      [{ node: "dep-n2", image_source: "x", name: "web-1" }, 409, /already exists/],
      [{ node: "dep-n2", image_source: "x", uuid: dep }, 409],
      [{ node: "ghost", image_source: "x" }, 404],
      [{ node: "dep-n1", image_source: "x" }, 409, /not "available"/],
      [[], 400],
    ];
    for (const [body, status, msg] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      if (msg) expect(r.error, JSON.stringify(body)).toMatch(msg);
    }
    const n = await node("dep-n2");
    expect(n.instance_uuid).toBeNull();
    expect(n.provision_state).toBe("available");
    expect((await api("GET", "/v1/allocations")).body.allocations).toHaveLength(1);
  });

  it("rebuilds with a new image and configdrive (PUT)", async () => {
    expect((await api("PUT", `/v1/deployments/${dep}`, { body: { foo: 1 } })).status).toBe(400);
    expect((await api("PUT", `/v1/deployments/${dep}`, { body: { image_source: 7 } })).status).toBe(400);
    const r = await api("PUT", `/v1/deployments/${dep}`, { body: { image_source: "http://images/jammy.qcow2", configdrive: "H4sI" } });
    expect(r.status, r.error ?? "").toBe(202);
    expect(r.body.image_source).toBe("http://images/jammy.qcow2");
    expect(r.body.image_checksum).toBeNull(); // the old image's checksum does not apply to the new one
    await settle();
    const d = (await api("GET", `/v1/deployments/${dep}`)).body;
    expect(d.state).toBe("active");
    const hist = (await api("GET", "/v1/nodes/dep-n1/history?detail=True")).body.history.map((h: any) => h.event);
    expect(hist.some((e: string) => /rebuild|deploy/i.test(e))).toBe(true);
    // protected nodes refuse (403), like the rebuild verb
    await api("PATCH", "/v1/nodes/dep-n1", { body: [{ op: "replace", path: "/protected", value: true }] });
    expect((await api("PUT", `/v1/deployments/${dep}`, { body: {} })).status).toBe(403);
    expect((await api("DELETE", `/v1/deployments/${dep}`)).status).toBe(403);
    await api("PATCH", "/v1/nodes/dep-n1", { body: [{ op: "replace", path: "/protected", value: false }] });
  });

  it("moves to another node with its image, configdrive, volumes and VIFs", async () => {
    const target = await api("POST", "/v1/volume/targets", { body: { node_uuid: n1, volume_type: "iscsi", volume_id: "data-1", boot_index: 0 } });
    expect(target.status, target.error ?? "").toBe(201);
    const conn = await api("POST", "/v1/volume/connectors", { body: { node_uuid: n1, type: "iqn", connector_id: "iqn.2024-01.org:dep" } });
    expect(conn.status, conn.error ?? "").toBe(201);
    const before = await getNodeByUuid(db.sql, n1);
    expect((await api("POST", `/v1/deployments/${dep}/move`, { body: {} })).status).toBe(400);
    expect((await api("POST", `/v1/deployments/${dep}/move`, { body: { node: "dep-n1" } })).status).toBe(400);
    expect((await api("POST", `/v1/deployments/${dep}/move`, { body: { node: "ghost" } })).status).toBe(404);
    const r = await api("POST", `/v1/deployments/${dep}/move`, { body: { node: "dep-n2" } });
    expect(r.status, r.error ?? "").toBe(202);
    expect(r.body.node_uuid).toBe(n2);
    expect(r.body.uuid).toBe(dep);
    await settle();
    const d = (await api("GET", `/v1/deployments/${dep}`)).body;
    expect(d).toMatchObject({ node_uuid: n2, state: "active", image_source: "http://images/jammy.qcow2", vifs: ["vif-a", "vif-b"] });
    const after = await getNodeByUuid(db.sql, n2);
    expect(after!.instanceUuid).toBe(dep);
    expect(after!.instanceInfo.configdrive).toBe(before!.instanceInfo.configdrive);
    expect((await api("GET", `/v1/volume/targets/${target.body.uuid}`)).body.node_uuid).toBe(n2);
    expect((await api("GET", `/v1/volume/connectors/${conn.body.uuid}`)).body.node_uuid).toBe(n2);
    const old = await node("dep-n1");
    expect(old.provision_state).toBe("available");
    expect(old.instance_uuid).toBeNull();
    expect(old.allocation_uuid).toBeNull();
    expect((await api("GET", "/v1/nodes/dep-n1/vifs")).body.vifs).toEqual([]);
    expect((await api("GET", "/v1/nodes/dep-n2/vifs")).body.vifs.map((v: any) => v.id)).toEqual(["vif-a", "vif-b"]);
    expect((await node("dep-n2")).allocation_uuid).toBe(dep);
  });

  it("undeploys with DELETE (202) and frees the allocation", async () => {
    const r = await api("DELETE", `/v1/deployments/${dep}`);
    expect(r.status, r.error ?? "").toBe(202);
    await settle();
    expect((await api("GET", `/v1/deployments/${dep}`)).status).toBe(404);
    const n = await node("dep-n2");
    expect(n.provision_state).toBe("available");
    expect(n.instance_uuid).toBeNull();
    expect(n.allocation_uuid).toBeNull();
    expect((await api("GET", "/v1/allocations")).body.allocations).toHaveLength(0);
    expect((await api("DELETE", `/v1/deployments/${dep}`)).status).toBe(404);
  });
});

describe("deployments from an allocation request", () => {
  it("picks a matching node; deploy templates follow the instance traits", async () => {
    await availableNode("alloc-n1", { rc: "silver", traits: ["CUSTOM_WOL_OFF"] });
    await availableNode("alloc-n2", { rc: "silver" });
    const tpl = await api("POST", "/v1/deploy_templates", {
      body: { name: "CUSTOM_WOL_OFF", steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [{ name: "WakeOnLan", value: "false" }] }, priority: 150 }] },
    });
    expect(tpl.status, tpl.error ?? "").toBe(201);
    const r = await api("POST", "/v1/deployments", { body: { resource_class: "silver", traits: ["CUSTOM_WOL_OFF"], image_source: "http://i/x.img" } });
    expect(r.status, r.error ?? "").toBe(201);
    expect(r.body.resource_class).toBe("silver");
    expect(r.body.traits).toEqual(["CUSTOM_WOL_OFF"]);
    await settle();
    const d = (await api("GET", `/v1/deployments/${r.body.uuid}`)).body;
    expect(d.state, d.last_error ?? "").toBe("active");
    expect(d.node_uuid).toBe((await node("alloc-n1")).uuid);
    expect((await api("GET", "/v1/nodes/alloc-n1/bios/WakeOnLan")).body.WakeOnLan.value).toBe("false");
    expect((await api("DELETE", `/v1/deployments/${r.body.uuid}`)).status).toBe(202);
    await settle();
  });

  it("answers 409 when nothing matches and leaves no allocation behind", async () => {
    const before = (await api("GET", "/v1/allocations")).body.allocations.length;
    const r = await api("POST", "/v1/deployments", { body: { resource_class: "platinum", image_source: "http://i/x.img" } });
    expect(r.status).toBe(409);
    expect(r.error).toMatch(/no available nodes match the resource class platinum/);
    const c = await api("POST", "/v1/deployments", { body: { resource_class: "silver", candidate_nodes: ["ghost"], image_source: "http://i/x.img" } });
    expect(c.status).toBe(400);
    expect((await api("GET", "/v1/allocations")).body.allocations.length).toBe(before);
  });

  it("rolls back when a VIF can not be attached (no free port)", async () => {
    await availableNode("alloc-n3", { rc: "bronze", ports: 1 });
    const r = await api("POST", "/v1/deployments", { body: { node: "alloc-n3", image_source: "http://i/x.img", vifs: ["v1", "v2"] } });
    expect(r.status).toBe(400);
    expect(r.error).toMatch(/not enough free physical ports/);
    const n = await node("alloc-n3");
    expect(n.instance_uuid).toBeNull();
    expect(n.allocation_uuid).toBeNull();
    expect(n.provision_state).toBe("available");
    expect(n.instance_info).toEqual({});
    expect((await api("GET", "/v1/nodes/alloc-n3/vifs")).body.vifs).toEqual([]);
  });
});

describe("deployments: project members without admin rights", () => {
  const principals: Record<string, Principal> = {
    sysadmin: { userId: "a", username: "a", systemRole: "admin", projectId: null, projectRole: null },
    ownerMember: { userId: "om", username: "om", systemRole: null, projectId: "p-own", projectRole: "member" },
    ownerReader: { userId: "or", username: "or", systemRole: null, projectId: "p-own", projectRole: "reader" },
    lesseeMember: { userId: "lm", username: "lm", systemRole: null, projectId: "p-lease", projectRole: "member" },
    stranger: { userId: "s", username: "s", systemRole: null, projectId: "p-else", projectRole: "admin" },
  };
  const as = (who: string) => ({ headers: { "X-Test-User": who } });
  beforeAll(async () => {
    await availableNode("pol-own", { owner: "p-own", rc: "pol" });
    await availableNode("pol-lease", { owner: "p-landlord", lessee: "p-lease", rc: "pol" });
    delete process.env.INGOT_API_AUTH;
    setCredentialResolver(async (req) => principals[req.headers.get("X-Test-User") ?? ""] ?? null);
  });
  afterAll(() => {
    process.env.INGOT_API_AUTH = "noauth";
  });

  it("owner and lessee members deploy, see, rebuild and undeploy their own; others can't", async () => {
    const body = (n: string) => ({ node: n, image_source: "http://i/x.img" });
    expect((await api("POST", "/v1/deployments", { body: body("pol-own"), ...as("stranger") })).status).toBe(404);
    expect((await api("POST", "/v1/deployments", { body: body("pol-own"), ...as("ownerReader") })).status).toBe(403);
    const own = await api("POST", "/v1/deployments", { body: body("pol-own"), ...as("ownerMember") });
    expect(own.status, own.error ?? "").toBe(201);
    expect(own.body.owner).toBe("p-own");
    const leased = await api("POST", "/v1/deployments", { body: body("pol-lease"), ...as("lesseeMember") });
    expect(leased.status, leased.error ?? "").toBe(201);
    await settle();
    // visibility
    expect((await api("GET", "/v1/deployments", as("ownerMember"))).body.deployments.map((d: any) => d.uuid)).toEqual([own.body.uuid]);
    expect((await api("GET", "/v1/deployments", as("lesseeMember"))).body.deployments.map((d: any) => d.uuid)).toEqual([leased.body.uuid]);
    expect((await api("GET", "/v1/deployments", as("stranger"))).body.deployments).toEqual([]);
    expect((await api("GET", "/v1/deployments", as("sysadmin"))).body.deployments.length).toBeGreaterThanOrEqual(2);
    expect((await api("GET", `/v1/deployments/${own.body.uuid}`, as("stranger"))).status).toBe(404);
    expect((await api("GET", `/v1/deployments/${own.body.uuid}`, as("ownerReader"))).status).toBe(200);
    expect((await api("DELETE", `/v1/deployments/${own.body.uuid}`, as("ownerReader"))).status).toBe(403);
    expect((await api("DELETE", `/v1/deployments/${own.body.uuid}`, as("lesseeMember"))).status).toBe(404);
    // rebuild and undeploy as members
    expect((await api("PUT", `/v1/deployments/${leased.body.uuid}`, { body: { image_source: "http://i/y.img" }, ...as("lesseeMember") })).status).toBe(202);
    await settle();
    expect((await api("DELETE", `/v1/deployments/${leased.body.uuid}`, as("lesseeMember"))).status).toBe(202);
    expect((await api("DELETE", `/v1/deployments/${own.body.uuid}`, as("ownerMember"))).status).toBe(202);
    await settle();
    // allocation requests only reach the caller's project's nodes
    const byRc = await api("POST", "/v1/deployments", { body: { resource_class: "pol", image_source: "http://i/x.img" }, ...as("lesseeMember") });
    expect(byRc.status, byRc.error ?? "").toBe(201);
    expect(byRc.body.node_uuid).toBe((await getNodeByUuid(db.sql, byRc.body.node_uuid))!.uuid);
    expect((await getNodeByUuid(db.sql, byRc.body.node_uuid))!.lessee).toBe("p-lease");
    expect((await api("POST", "/v1/deployments", { body: { resource_class: "pol", image_source: "x", owner: "p-own" }, ...as("lesseeMember") })).status).toBe(403);
    await settle();
    expect((await api("DELETE", `/v1/deployments/${byRc.body.uuid}`, as("lesseeMember"))).status).toBe(202);
    await settle();
  });
});
