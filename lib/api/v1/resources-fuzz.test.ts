// Bad bodies and query strings on every non-node resource: always a 4xx, never a 500.
import { afterAll, beforeAll, expect, it } from "vitest";
import { insertNode } from "../../core/db/nodes.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
let env: TestDb;
beforeAll(async () => { process.env.INGOT_API_AUTH = "noauth"; env = await createTestDb(); });
afterAll(async () => env.cleanup());
it("never answers 500 to bad input", async () => {
  const n = await insertNode(env.sql, { driver: "fake-hardware", provisionState: "enroll", name: "f1", powerState: "power off" });
  const port = (await api("POST", "/v1/ports", { body: { address: "aa:aa:aa:aa:aa:01", node_uuid: n.uuid } })).body.uuid;
  const pg = (await api("POST", "/v1/portgroups", { body: { node_uuid: n.uuid, name: "fpg" } })).body.uuid;
  const ch = (await api("POST", "/v1/chassis", { body: {} })).body.uuid;
  const vc = (await api("POST", "/v1/volume/connectors", { body: { node_uuid: n.uuid, type: "iqn", connector_id: "x" } })).body.uuid;
  const vt = (await api("POST", "/v1/volume/targets", { body: { node_uuid: n.uuid, volume_type: "iscsi", volume_id: "v", boot_index: 0 } })).body.uuid;
  const dt = (await api("POST", "/v1/deploy_templates", { body: { name: "CUSTOM_F", steps: [{ interface: "deploy", step: "x", args: {}, priority: 1 }] } })).body.uuid;
  const al = (await api("POST", "/v1/allocations", { body: { resource_class: "x", name: "fa" } })).body.uuid;
  const posts = ["/v1/ports", "/v1/portgroups", "/v1/chassis", "/v1/volume/connectors", "/v1/volume/targets", "/v1/deploy_templates", "/v1/allocations", "/v1/events", `/v1/heartbeat/${n.uuid}`];
  const patches = [`/v1/ports/${port}`, `/v1/portgroups/${pg}`, `/v1/chassis/${ch}`, `/v1/volume/connectors/${vc}`, `/v1/volume/targets/${vt}`, `/v1/deploy_templates/${dt}`, `/v1/allocations/${al}`];
  const bodies: unknown[] = [null, 1, "s", [], {}, [1], [{}], { a: 1 }, { address: 5, node_uuid: 5, name: 5, type: 5, steps: 5, resource_class: [], events: [1], uuid: 7, extra: [], traits: "x", candidate_nodes: [1], node: 1 },
    [{ op: "replace", path: "/extra", value: "x" }], [{ op: "replace", path: "/name", value: 5 }], [{ op: "remove", path: "/extra" }], [{ op: "replace", path: "/address", value: null }],
    [{ op: "replace", path: "/node_uuid", value: "nope" }], [{ op: "add", path: "/steps/-", value: 1 }], [{ op: "replace", path: "/boot_index", value: "x" }], [{ op: "replace", path: "/type", value: null }],
    [{ op: "replace", path: "/properties", value: 3 }], [{ op: "replace", path: "/local_link_connection", value: [] }], [{ op: "replace", path: "/mode", value: 3 }], [{ op: "replace", path: "/pxe_enabled", value: {} }],
    [{ op: "replace", path: "/portgroup_uuid", value: 3 }], [{ op: "replace", path: "/description", value: 3 }], [{ op: "remove", path: "/steps" }], [{ op: "remove", path: "/name" }], [{ op: "replace", path: "/volume_id", value: null }]];
  for (const path of [...posts, ...patches]) {
    for (const b of bodies) {
      const r = await api(posts.includes(path) ? "POST" : "PATCH", path, { body: b });
      if (r.status >= 500) throw new Error(`${path} ${JSON.stringify(b)} -> ${r.status} ${r.error}`);
    }
    for (const raw of ["{", "[", "nul", "\u0000"]) {
      const r = await api(posts.includes(path) ? "POST" : "PATCH", path, { rawBody: raw });
      expect(r.status, `${path} raw ${raw}`).toBe(400);
    }
  }
  for (const q of ["limit=-1", "limit=abc", "marker=x", "sort_key=zzz", "sort_dir=x", "fields=", "fields=zz", "detail=maybe", "node=", "address=", "node_uuid=", "portgroup=", "shard=", "state=", "owner=", "type=x", "detail=True&fields=uuid"]) {
    for (const p of ["/v1/ports", "/v1/portgroups", "/v1/chassis", "/v1/volume/connectors", "/v1/volume/targets", "/v1/deploy_templates", "/v1/allocations", "/v1/conductors", "/v1/drivers", "/v1/shards", "/v1/lookup"]) {
      const r = await api("GET", `${p}?${q}`);
      if (r.status >= 500) throw new Error(`${p}?${q} -> ${r.status} ${r.error}`);
    }
  }
});
