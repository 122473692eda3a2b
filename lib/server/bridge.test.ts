// The server writes the API's JSON bodies from their encoded parts (lib/api/http.ts encodedBody)
// instead of reading the Response: the bytes on the wire must be exactly the Response's body.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleBaremetal } from "../api/handler.ts";
import { api } from "../testing/api.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { startApiServer, type ApiServer } from "../testing/server.ts";

let env: TestDb;
let server: ApiServer;

beforeAll(async () => {
  process.env.INGOT_API_AUTH = "noauth";
  env = await createTestDb();
  server = await startApiServer();
  for (let i = 0; i < 3; i++) {
    expect((await api("POST", "/v1/nodes", { body: { driver: "fake-hardware", name: `wire-${i}`, driver_info: { ipmi_password: "pw" } } })).status).toBe(201);
  }
});
afterAll(async () => {
  await server.close();
  await env.cleanup();
});

const HEADERS = { "X-OpenStack-Ironic-API-Version": "1.82", "Content-Type": "application/json" };

function onTheWire(method: string, path: string, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const url = new URL(server.url + path);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: HEADERS }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** The same request in-process, its body read from the Response as any other caller would. */
async function inProcess(method: string, path: string): Promise<Buffer> {
  const res = await handleBaremetal(new Request(server.url + path, { method, headers: { ...HEADERS, Host: new URL(server.url).host } }));
  return Buffer.from(await res.arrayBuffer());
}

describe("API responses on the wire", () => {
  it("sends a list page (many parts) byte for byte, with its length", async () => {
    for (const path of ["/v1/nodes?detail=True", "/v1/nodes?limit=2", "/v1/nodes?fields=uuid,name,driver_info"]) {
      const wire = await onTheWire("GET", path);
      expect(wire.status).toBe(200);
      expect(Number(wire.headers["content-length"])).toBe(wire.body.length);
      expect(wire.body.equals(await inProcess("GET", path)), path).toBe(true);
    }
    const page = JSON.parse((await onTheWire("GET", "/v1/nodes?detail=True")).body.toString("utf8"));
    expect(page.nodes.map((n: { name: string }) => n.name)).toEqual(["wire-0", "wire-1", "wire-2"]);
    expect(page.nodes[0].driver_info.ipmi_password).toBe("******");
  });

  it("sends a single document and an error with their lengths", async () => {
    const created = await onTheWire("POST", "/v1/nodes", JSON.stringify({ driver: "fake-hardware", name: "wire-new" }));
    expect(created.status).toBe(201);
    expect(Number(created.headers["content-length"])).toBe(created.body.length);
    expect(JSON.parse(created.body.toString("utf8")).name).toBe("wire-new");
    const shown = await onTheWire("GET", "/v1/nodes/wire-new");
    expect(shown.body.equals(await inProcess("GET", "/v1/nodes/wire-new"))).toBe(true);
    const missing = await onTheWire("GET", "/v1/nodes/no-such-node");
    expect(missing.status).toBe(404);
    expect(Number(missing.headers["content-length"])).toBe(missing.body.length);
    expect(JSON.parse(JSON.parse(missing.body.toString("utf8")).error_message).faultstring).toMatch(/no-such-node/);
  });

  it("answers HEAD without a body", async () => {
    const head = await onTheWire("HEAD", "/v1/nodes?detail=True");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });
});
