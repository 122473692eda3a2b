import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { api } from "../testing/api.ts";
import { MAX_VERSION } from "./version.ts";

let env: TestDb;
beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
});
afterAll(async () => env.cleanup());

describe("root documents", () => {
  it("GET /baremetal answers the version document with absolute links", async () => {
    const r = await api("GET", "/", { version: null });
    expect(r.status).toBe(200);
    expect(r.body.name).toBe("OpenStack Ironic API");
    expect(r.body.default_version).toEqual({
      id: "v1",
      links: [{ href: "http://127.0.0.1:3000/baremetal/v1/", rel: "self" }],
      status: "CURRENT",
      min_version: "1.1",
      version: MAX_VERSION,
    });
    expect(r.body.versions).toHaveLength(1);
  });

  it("GET /v1 lists resources gated by version", async () => {
    const old = await api("GET", "/v1", { version: null });
    expect(old.status).toBe(200);
    expect(old.headers.get("X-OpenStack-Ironic-API-Version")).toBe("1.1");
    expect(Object.keys(old.body)).toEqual(["id", "links", "media_types", "version", "chassis", "nodes", "ports", "drivers"]);
    expect(old.body.nodes[0]).toEqual({ href: "http://127.0.0.1:3000/baremetal/v1/nodes/", rel: "self" });
    expect(old.body.nodes[1]).toEqual({ href: "http://127.0.0.1:3000/baremetal/nodes/", rel: "bookmark" });
    const latest = await api("GET", "/v1/", { version: "latest" });
    for (const key of ["portgroups", "volume", "lookup", "heartbeat", "conductors", "allocations", "events", "deploy_templates", "shards"]) {
      expect(latest.body[key], key).toBeDefined();
    }
  });

  it("uses the request's host in links", async () => {
    const { handleBaremetal } = await import("./handler.ts");
    const res = await handleBaremetal(new Request("http://10.1.2.3:8080/baremetal/", { headers: { Host: "ingot.example:8443" } }));
    const body = await res.json();
    expect(body.default_version.links[0].href).toBe("http://ingot.example:8443/baremetal/v1/");
  });
});

describe("version headers", () => {
  it("every response carries min/max and request ids", async () => {
    const r = await api("GET", "/v1", { version: "1.31" });
    expect(r.headers.get("X-OpenStack-Ironic-API-Minimum-Version")).toBe("1.1");
    expect(r.headers.get("X-OpenStack-Ironic-API-Maximum-Version")).toBe(MAX_VERSION);
    expect(r.headers.get("X-OpenStack-Ironic-API-Version")).toBe("1.31");
    expect(r.headers.get("Openstack-Request-Id")).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it("answers 406 out of range, without the version header, in Ironic's error format", async () => {
    const r = await api("GET", "/v1/nodes", { version: "1.999" });
    expect(r.status).toBe(406);
    expect(r.headers.get("X-OpenStack-Ironic-API-Version")).toBeNull();
    expect(r.headers.get("X-OpenStack-Ironic-API-Maximum-Version")).toBe(MAX_VERSION);
    expect(typeof r.body.error_message).toBe("string");
    const inner = JSON.parse(r.body.error_message);
    expect(inner).toEqual({
      faultcode: "Client",
      faultstring: `Version 1.999 was requested but the minor version is not supported by this service. The supported version range is: [1.1, ${MAX_VERSION}].`,
      debuginfo: null,
    });
  });
});

describe("routing errors", () => {
  it("unknown paths are 404 with an Ironic error body", async () => {
    const r = await api("GET", "/v1/no-such-thing");
    expect(r.status).toBe(404);
    expect(r.error).toBe("The resource could not be found.");
  });
  it("wrong methods on the root documents are 405", async () => {
    expect((await api("POST", "/v1", { body: {} })).status).toBe(405);
    expect((await api("DELETE", "/")).status).toBe(405);
  });
});

describe("authentication", () => {
  it("refuses anonymous callers outside noauth mode", async () => {
    process.env.INGOT_API_AUTH = "";
    try {
      const r = await api("GET", "/v1/nodes");
      expect(r.status).toBe(401);
      expect(r.error).toMatch(/Authentication required/);
      // The root documents stay public, as in Ironic.
      expect((await api("GET", "/")).status).toBe(200);
    } finally {
      process.env.INGOT_API_AUTH = "noauth";
    }
  });
});
