// The node use cases called directly, without HTTP (bulk jobs will): the same refusals, in the
// same words, as the API gives for the same caller.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setCredentialResolver } from "../auth.ts";
import { getNodeByUuid } from "../db/nodes.ts";
import { nodeEtag } from "../etag.ts";
import type { Principal } from "../policy.ts";
import { api } from "../../testing/api.ts";
import { createTestDb, type TestDb } from "../../testing/env.ts";
import { projectUser, systemUser } from "../../testing/principals.ts";
import { createNode, listNodesFor, patchNode } from "./nodes.ts";

const MINOR = 96;
const principals: Record<string, Principal> = {
  admin: systemUser("admin"),
  ownerMember: projectUser("p-own", "member"),
  lesseeMember: projectUser("p-lease", "member"),
  lesseeAdmin: projectUser("p-lease", "admin"),
  stranger: projectUser("p-other", "admin"),
};

let env: TestDb;
let uuid: string;
beforeAll(async () => {
  env = await createTestDb();
  process.env.INGOT_API_AUTH = "";
  setCredentialResolver(async (req) => principals[req.headers.get("X-Test-User") ?? ""] ?? null);
  const node = await createNode(principals.admin, { driver: "fake-hardware", name: "svc-node", owner: "p-own", lessee: "p-lease" }, MINOR);
  uuid = node.uuid;
});
afterAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  await env.cleanup();
});

/** What the API answers the same caller for the same patch. */
async function apiPatch(user: string, ops: unknown[]) {
  return api("PATCH", "/v1/nodes/svc-node", { body: ops, version: MINOR, headers: { "X-Test-User": user } });
}

describe("patchNode", () => {
  it("refuses a field the caller may not patch with the API's 403, and writes nothing", async () => {
    const ops = [{ op: "replace" as const, path: "/owner", value: "p-elsewhere" }];
    const before = (await getNodeByUuid(env.sql, uuid))!;
    const viaApi = await apiPatch("ownerMember", ops);
    expect(viaApi.status).toBe(403);
    await expect(patchNode(principals.ownerMember, "svc-node", ops, { minor: MINOR })).rejects.toMatchObject({ status: 403, message: viaApi.error });
    const after = (await getNodeByUuid(env.sql, uuid))!;
    expect(after.owner).toBe("p-own");
    expect(after.version).toBe(before.version);
  });

  it("adds instance_info for a lessee admin, not for a lessee member (the deploy path)", async () => {
    const ops = [{ op: "add" as const, path: "/instance_info/image_source", value: "http://images/x.qcow2" }];
    const viaApi = await apiPatch("lesseeMember", ops);
    await expect(patchNode(principals.lesseeMember, "svc-node", ops, { minor: MINOR })).rejects.toMatchObject({ status: viaApi.status, message: viaApi.error });
    const updated = await patchNode(principals.lesseeAdmin, "svc-node", ops, { minor: MINOR });
    expect(updated.instanceInfo).toEqual({ image_source: "http://images/x.qcow2" });
    expect((await getNodeByUuid(env.sql, uuid))!.version).toBe(updated.version);
  });

  it("answers 404 for a node the caller cannot see, as the API does", async () => {
    const ops = [{ op: "add" as const, path: "/extra/x", value: 1 }];
    const viaApi = await apiPatch("stranger", ops);
    expect(viaApi.status).toBe(404);
    await expect(patchNode(principals.stranger, "svc-node", ops, { minor: MINOR })).rejects.toMatchObject({ status: 404, message: viaApi.error });
  });

  it("refuses a stale expected ETag with 412 and applies a current one", async () => {
    const node = (await getNodeByUuid(env.sql, uuid))!;
    const ops = [{ op: "add" as const, path: "/extra/seen", value: true }];
    const stale = nodeEtag({ uuid, version: node.version - 1 });
    await expect(patchNode(principals.admin, uuid, ops, { minor: MINOR, ifMatch: stale })).rejects.toMatchObject({ status: 412 });
    expect((await getNodeByUuid(env.sql, uuid))!.version).toBe(node.version);
    const updated = await patchNode(principals.admin, uuid, ops, { minor: MINOR, ifMatch: nodeEtag(node) });
    expect(updated.extra).toMatchObject({ seen: true });
  });

  it("keeps the version gates: a field newer than the microversion is a 406", async () => {
    const ops = [{ op: "replace" as const, path: "/disable_power_off", value: true }];
    await expect(patchNode(principals.admin, uuid, ops, { minor: 94 })).rejects.toMatchObject({ status: 406 });
  });
});

describe("listNodesFor", () => {
  const page = { filter: {}, sortKey: "id", sortDir: "asc" as const, limit: 100 };
  it("gives a project caller its own and leased nodes only, and refuses another project", async () => {
    await createNode(principals.admin, { driver: "fake-hardware", name: "svc-unrelated" }, MINOR);
    const mine = await listNodesFor(principals.lesseeMember, page);
    expect(mine.map((n) => n.uuid)).toEqual([uuid]);
    await expect(listNodesFor(principals.lesseeMember, { ...page, project: "p-own" })).rejects.toMatchObject({ status: 403 });
    expect((await listNodesFor(principals.admin, page)).length).toBe(2);
  });
});

describe("createNode", () => {
  it("refuses a project admin creating a node for another project", async () => {
    await expect(createNode(principals.lesseeAdmin, { driver: "fake-hardware", owner: "p-own" }, MINOR)).rejects.toMatchObject({
      status: 400, message: "Cannot create a node as a project scoped admin with an owner other than your own project.",
    });
    const created = await createNode(principals.lesseeAdmin, { driver: "fake-hardware", name: "svc-leased-own" }, MINOR);
    expect(created.owner).toBe("p-lease");
  });
});
