// Hostile requests against the real server on a loopback port (issue 11): whatever the method,
// path, headers or body, the answer is an Ironic-format 4xx, never a 5xx or a dropped connection,
// and the connection (or, where the answer says "Connection: close", the server) still serves the
// next request. Raw sockets, because ordinary clients refuse to send most of this.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openSql, setSql } from "../core/db/sql.ts";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { head, RawConnection, type RawResponse } from "../testing/raw_http.ts";
import { startServer, type RunningServer } from "./server.ts";

/** The engine's collector, to compare memory at rest (the test process is not started with --expose-gc). */
function collectGarbage(): () => Promise<void> {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  return async () => {
    // Buffers' memory is released by a sweeper after the collection: give it its turns.
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
}

const PASSWORD = "hostile-input-admin-pw";
const AUTH = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString("base64")}`;
const API = "/baremetal";

let db: TestDb;
let srv: RunningServer;
let port: number;
const saved = { ...process.env };
const ids: Record<string, string> = {};

/** Asserts an Ironic error body: {"error_message": "<JSON string of faultcode/faultstring/debuginfo>"}. */
function expectIronicError(r: RawResponse, status: number, what: string): string {
  expect(r.status, `${what}: ${r.body.toString().slice(0, 300)}`).toBe(status);
  expect(r.headers["content-type"], what).toMatch(/^application\/json/);
  const outer = JSON.parse(r.body.toString("utf8"));
  expect(Object.keys(outer), what).toEqual(["error_message"]);
  expect(typeof outer.error_message, what).toBe("string");
  const inner = JSON.parse(outer.error_message);
  expect(inner.faultcode, what).toBe("Client");
  expect(typeof inner.faultstring, what).toBe("string");
  expect(inner.faultstring.length, what).toBeGreaterThan(0);
  expect(inner.debuginfo, what).toBeNull();
  return inner.faultstring as string;
}

function authed(method: string, path: string, extra: Record<string, string | number> = {}): string {
  return head(method, `${API}${path}`, { Authorization: AUTH, "X-OpenStack-Ironic-API-Version": "latest", ...extra });
}

function jsonRequest(method: string, path: string, body: string): [string, string] {
  return [authed(method, path, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }), body];
}

/** A normal request on `conn` answers 200: the connection survived whatever came before. */
async function expectUsable(conn: RawConnection, what: string): Promise<void> {
  const r = await conn.request(authed("GET", "/v1/nodes?limit=1"));
  expect(r.status, `${what}: the next request on the same connection`).toBe(200);
  expect(JSON.parse(r.body.toString()).nodes, what).toBeInstanceOf(Array);
}

/** The server closed `conn` after its answer (it said so), and still serves a new connection. */
async function expectClosedThenServerUsable(conn: RawConnection, r: RawResponse, what: string): Promise<void> {
  expect(r.headers.connection, what).toBe("close");
  expect(await conn.closedByServer(), `${what}: closed after the answer`).toBe(true);
  conn.close();
  const fresh = await RawConnection.open(port);
  try {
    await expectUsable(fresh, what);
  } finally {
    fresh.close();
  }
}

async function create(path: string, body: unknown): Promise<string> {
  const conn = await RawConnection.open(port);
  try {
    const r = await conn.request(...jsonRequest("POST", path, JSON.stringify(body)));
    expect(r.status, `${path}: ${r.body}`).toBe(201);
    return JSON.parse(r.body.toString()).uuid;
  } finally {
    conn.close();
  }
}

beforeAll(async () => {
  db = await createTestDb();
  // The server gets a connection of its own (it closes it); db.sql stays the test's.
  setSql(await openSql(db.url));
  delete process.env.INGOT_API_AUTH;
  Object.assign(process.env, {
    INGOT_DEMO: "0", INGOT_DATA_DIR: db.dir, INGOT_RPC_SECRET: "hostile-input-secret", INGOT_ADMIN_PASSWORD: PASSWORD,
  });
  srv = await startServer({ role: "all", port: 0, dev: false, web: false });
  port = Number(new URL(srv.url).port);

  ids.node = await create("/v1/nodes", { driver: "fake-hardware", name: "hostile-1" });
  ids.chassis = await create("/v1/chassis", { description: "c" });
  ids.port = await create("/v1/ports", { address: "52:54:00:00:00:01", node_uuid: ids.node });
  ids.portgroup = await create("/v1/portgroups", { node_uuid: ids.node, name: "hostile-pg" });
  ids.connector = await create("/v1/volume/connectors", { node_uuid: ids.node, type: "iqn", connector_id: "iqn.x" });
  ids.target = await create("/v1/volume/targets", { node_uuid: ids.node, volume_type: "iscsi", volume_id: "v1", boot_index: 0 });
  ids.template = await create("/v1/deploy_templates", { name: "CUSTOM_HOSTILE", steps: [{ interface: "deploy", step: "x", args: {}, priority: 1 }] });
  ids.allocation = await create("/v1/allocations", { resource_class: "hostile", name: "hostile-a" });
  ids.runbook = await create("/v1/runbooks", { name: "CUSTOM_HOSTILE_RB", steps: [{ interface: "bios", step: "apply_configuration", args: { settings: [] }, order: 1 }] });
  ids.rule = await create("/v1/inspection_rules", { description: "r", actions: [{ op: "add-trait", args: { name: "CUSTOM_X" } }] });
}, 60_000);

afterAll(async () => {
  await srv?.close();
  process.env = saved;
  await db?.cleanup();
});

describe("hostile query strings", () => {
  const LISTS = () => [
    "/v1/nodes", "/v1/nodes/detail", `/v1/chassis/${ids.chassis}/nodes`, `/v1/chassis/${ids.chassis}/nodes/detail`,
    "/v1/ports", "/v1/ports/detail", `/v1/nodes/${ids.node}/ports`, `/v1/portgroups/${ids.portgroup}/ports`,
    "/v1/portgroups", "/v1/portgroups/detail", `/v1/nodes/${ids.node}/portgroups`,
    "/v1/chassis", "/v1/chassis/detail", "/v1/volume/connectors", "/v1/volume/targets",
    `/v1/nodes/${ids.node}/volume/connectors`, `/v1/nodes/${ids.node}/volume/targets`,
    "/v1/deploy_templates", "/v1/allocations", "/v1/conductors", "/v1/runbooks", "/v1/inspection_rules", "/v1/deployments",
  ];
  // Names every plain object inherits: a lookup that is not restricted to own keys finds them.
  const INHERITED = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "__defineGetter__", "toLocaleString"];

  it("sort_key naming an inherited property is a 400 on every list, on a connection that stays open", async () => {
    const conn = await RawConnection.open(port);
    try {
      for (const path of LISTS()) {
        for (const key of INHERITED) {
          const what = `GET ${path}?sort_key=${key}`;
          const r = await conn.request(authed("GET", `${path}?sort_key=${encodeURIComponent(key)}`));
          expect(expectIronicError(r, 400, what), what).toContain("sort_key");
        }
      }
      await expectUsable(conn, "after the sort keys");
    } finally {
      conn.close();
    }
  });

  it("fields naming an inherited property is a 400 on every list that takes fields", async () => {
    const conn = await RawConnection.open(port);
    try {
      for (const path of LISTS().filter((p) => !p.endsWith("/detail") && p !== "/v1/deployments")) {
        for (const key of INHERITED) {
          const what = `GET ${path}?fields=${key}`;
          expectIronicError(await conn.request(authed("GET", `${path}?fields=${encodeURIComponent(key)}`)), 400, what);
        }
      }
      await expectUsable(conn, "after the fields");
    } finally {
      conn.close();
    }
  });
});

describe("deeply nested bodies", () => {
  const nestedArrays = (n: number) => "[".repeat(n) + "]".repeat(n);
  const nestedObjects = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);

  it("10,000 nested arrays as (or inside) a POST/PUT body are a 400, also on routes without credentials", async () => {
    const conn = await RawConnection.open(port);
    try {
      const posts = [
        "/v1/nodes", "/v1/ports", "/v1/portgroups", "/v1/chassis", "/v1/volume/connectors", "/v1/volume/targets",
        "/v1/deploy_templates", "/v1/allocations", "/v1/runbooks", "/v1/inspection_rules", "/v1/deployments", "/v1/jobs",
        "/v1/events", `/v1/nodes/${ids.node}/vifs`, `/v1/nodes/${ids.node}/vendor_passthru?method=x`,
        `/v1/heartbeat/${ids.node}`, "/v1/continue_inspection",
      ];
      const puts = [`/v1/nodes/${ids.node}/states/provision`, `/v1/nodes/${ids.node}/states/power`, `/v1/nodes/${ids.node}/traits`, `/v1/nodes/${ids.node}/management/boot_device`];
      for (const [method, paths] of [["POST", posts], ["PUT", puts]] as const) {
        for (const path of paths) {
          for (const body of [nestedArrays(10_000), `{"extra": ${nestedArrays(10_000)}, "driver": "fake-hardware"}`, `{"x": ${nestedObjects(5_000)}}`]) {
            const what = `${method} ${path} with ${body.slice(0, 12)}…`;
            expectIronicError(await conn.request(...jsonRequest(method, path, body)), 400, what);
          }
        }
      }
      await expectUsable(conn, "after the nested POSTs");
    } finally {
      conn.close();
    }
  });

  it("a PATCH with 5,000 nested objects is a 400 on every patchable resource, and so is a patch that builds such depth", async () => {
    const conn = await RawConnection.open(port);
    try {
      const patches = [
        `/v1/nodes/${ids.node}`, `/v1/ports/${ids.port}`, `/v1/portgroups/${ids.portgroup}`, `/v1/chassis/${ids.chassis}`,
        `/v1/volume/connectors/${ids.connector}`, `/v1/volume/targets/${ids.target}`, `/v1/deploy_templates/${ids.template}`,
        `/v1/allocations/${ids.allocation}`, `/v1/runbooks/${ids.runbook}`, `/v1/inspection_rules/${ids.rule}`,
      ];
      for (const path of patches) {
        const deep = `[{"op": "add", "path": "/extra/deep", "value": ${nestedObjects(5_000)}}]`;
        expectIronicError(await conn.request(...jsonRequest("PATCH", path, deep)), 400, `PATCH ${path} (5,000 objects)`);
        // Each value is shallow, but every operation nests the next one inside the previous.
        const ops = [`{"op": "add", "path": "/extra/d", "value": ${nestedObjects(60)}}`];
        for (let i = 1; i < 100; i++) ops.push(`{"op": "add", "path": "/extra/d${"/a".repeat(60 * i)}", "value": ${nestedObjects(60)}}`);
        const what = `PATCH ${path} (100 operations, each 60 levels deeper)`;
        expectIronicError(await conn.request(...jsonRequest("PATCH", path, `[${ops.join(",")}]`)), 400, what);
      }
      // Nothing was stored: the node still renders.
      const node = await conn.request(authed("GET", `/v1/nodes/${ids.node}`));
      expect(node.status).toBe(200);
      expect(JSON.parse(node.body.toString()).extra).toEqual({});
      await expectUsable(conn, "after the nested PATCHes");
    } finally {
      conn.close();
    }
  });
});

describe("methods", () => {
  it("TRACE, TRACK and methods no route has are a 405 on a connection that stays open", async () => {
    const conn = await RawConnection.open(port);
    try {
      for (const method of ["TRACE", "PROPFIND", "MKCOL", "LOCK", "PURGE", "SEARCH", "COPY", "OPTIONS", "M-SEARCH"]) {
        for (const path of ["/v1/nodes", `/v1/nodes/${ids.node}`, "/v1", ""]) {
          expectIronicError(await conn.request(authed(method, path)), 405, `${method} ${API}${path}`);
        }
      }
      // A method token the HTTP parser does not know cannot be answered on an open connection.
      for (const method of ["TRACK", "FOO", "get"]) {
        const c = await RawConnection.open(port);
        const r = await c.request(authed(method, "/v1/nodes"));
        expectIronicError(r, 405, `${method} ${API}/v1/nodes`);
        await expectClosedThenServerUsable(c, r, method);
      }
      await expectUsable(conn, "after the methods");
    } finally {
      conn.close();
    }
  });

  it("CONNECT is answered with a 405 (not a dropped connection)", async () => {
    for (const target of [`${API}/v1/nodes`, "127.0.0.1:22", "example.com:443"]) {
      const conn = await RawConnection.open(port);
      const r = await conn.request(head("CONNECT", target, { Authorization: AUTH }));
      expectIronicError(r, 405, `CONNECT ${target}`);
      await expectClosedThenServerUsable(conn, r, `CONNECT ${target}`);
    }
  });
});

describe("malformed and unusual requests", () => {
  it("a request the HTTP parser rejects gets Ironic's 400, then the connection closes", async () => {
    for (const [what, raw] of [
      ["a control character in a header", `GET ${API}/v1/nodes HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n`],
      ["a Content-Length that is no number", `POST ${API}/v1/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n`],
      ["both Content-Length and chunked", `POST ${API}/v1/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
      ["a broken chunk size", `POST ${API}/v1/nodes HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n`],
      ["a space in the request target", `GET ${API}/v1/no des HTTP/1.1\r\nHost: x\r\n\r\n`],
    ]) {
      const conn = await RawConnection.open(port);
      const r = await conn.request(raw);
      expectIronicError(r, 400, what);
      await expectClosedThenServerUsable(conn, r, what);
    }
  });

  it("an Expect other than 100-continue is a 417", async () => {
    const conn = await RawConnection.open(port);
    const r = await conn.request(authed("GET", "/v1/nodes", { Expect: "teapot" }));
    expectIronicError(r, 417, "Expect: teapot");
    conn.close();
  });

  it("a request asking to upgrade the connection (curl --http2) is served as plain HTTP/1.1", async () => {
    const upgrade = { Connection: "Upgrade, HTTP2-Settings", Upgrade: "h2c", "HTTP2-Settings": "AAMAAABkAAQCAAAAAAIAAAAA" };
    const conn = await RawConnection.open(port);
    const r = await conn.request(authed("GET", "/v1/nodes?limit=1", upgrade));
    expect(r.status, r.body.toString()).toBe(200);
    expect(JSON.parse(r.body.toString()).nodes).toHaveLength(1);
    await expectClosedThenServerUsable(conn, r, "GET with Upgrade: h2c");
    // The same rules as any request: no credentials, no answer but Ironic's 401.
    const anonymous = await RawConnection.open(port);
    const denied = await anonymous.request(head("GET", `${API}/v1/nodes`, upgrade));
    expectIronicError(denied, 401, "anonymous GET with Upgrade: h2c");
    await expectClosedThenServerUsable(anonymous, denied, "anonymous GET with Upgrade: h2c");
    // Its body is no longer parsed once the parser let go of the connection.
    const withBody = await RawConnection.open(port);
    const refused = await withBody.request(...jsonRequest("POST", "/v1/nodes", "{}").map((x, i) => (i === 0 ? x.replace("\r\n\r\n", "\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n") : x)) as [string, string]);
    expectIronicError(refused, 400, "POST with Upgrade: h2c");
    await expectClosedThenServerUsable(withBody, refused, "POST with Upgrade: h2c");
  });
});

describe("oversized request heads", () => {
  it("a long URL is a 414, a large header a 431, each readable, and the server carries on", async () => {
    for (const size of [20_000, 200_000]) {
      const conn = await RawConnection.open(port);
      const r = await conn.request(authed("GET", `/v1/nodes?name=${"a".repeat(size)}`));
      expectIronicError(r, 414, `URL of ${size} bytes`);
      if (r.headers.connection === "close") await expectClosedThenServerUsable(conn, r, `URL of ${size} bytes`);
      else await expectUsable(conn, `URL of ${size} bytes`);
      conn.close();
    }
    for (const [what, extra] of [
      ["a 20 kB header", { "X-Big": "b".repeat(20_000) }],
      ["a 200 kB header", { "X-Big": "b".repeat(200_000) }],
      ["3,000 headers", Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`X-H${i}`, "v".repeat(20)]))],
    ] as const) {
      const conn = await RawConnection.open(port);
      const r = await conn.request(authed("GET", "/v1/nodes", extra));
      expectIronicError(r, 431, what);
      if (r.headers.connection === "close") await expectClosedThenServerUsable(conn, r, what);
      else await expectUsable(conn, what);
      conn.close();
    }
    // The moderate cases keep the connection; only a head past what the parser buffers closes it.
    const conn = await RawConnection.open(port);
    try {
      expectIronicError(await conn.request(authed("GET", `/v1/nodes?name=${"a".repeat(20_000)}`)), 414, "20 kB URL");
      expectIronicError(await conn.request(authed("GET", "/v1/nodes", { "X-Big": "b".repeat(20_000) })), 431, "20 kB header");
      await expectUsable(conn, "after the moderate heads");
    } finally {
      conn.close();
    }
  });
});

describe("bodies", () => {
  const MiB = 1 << 20;

  /** Sends `total` bytes of body in chunks until the server answers; returns the answer and what was sent. */
  async function sendUntilAnswered(conn: RawConnection, requestHead: string, total: number, timeoutMs = 60_000): Promise<{ r: RawResponse; sent: number }> {
    await conn.write(requestHead);
    const answer = conn.response(timeoutMs);
    let answered = false;
    answer.then(() => (answered = true), () => (answered = true));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    while (sent < total && !answered) {
      const n = Math.min(chunk.length, total - sent);
      if (!(await conn.write(n === chunk.length ? chunk : chunk.subarray(0, n)))) break;
      sent += n;
    }
    return { r: await answer, sent };
  }

  it("a body over the route's cap is a 413; a small excess is read past and the connection stays open", async () => {
    const conn = await RawConnection.open(port);
    try {
      const body = `{"driver": "fake-hardware", "extra": {"x": "${"x".repeat(MiB + 100_000)}"}}`;
      const r = await conn.request(...jsonRequest("POST", "/v1/nodes", body));
      expectIronicError(r, 413, "1.1 MiB node");
      expect(r.headers.connection).not.toBe("close");
      await expectUsable(conn, "after a 413");
      // Chunked, so the size is only known while reading.
      await conn.write(authed("POST", "/v1/nodes", { "Content-Type": "application/json", "Transfer-Encoding": "chunked" }));
      for (let i = 0; i < 24; i++) await conn.write(`10000\r\n${" ".repeat(0x10000)}\r\n`);
      await conn.write("0\r\n\r\n");
      expectIronicError(await conn.response(), 413, "1.5 MiB chunked");
      await expectUsable(conn, "after a chunked 413");
    } finally {
      conn.close();
    }
  });

  it("bodies over the old 32 MiB bridge cap and over the 64 MiB provision cap get a readable 413, not a reset", async () => {
    for (const [path, method, size] of [["/v1/nodes", "POST", 40 * MiB], [`/v1/nodes/${ids.node}/states/provision`, "PUT", 70 * MiB]] as const) {
      const conn = await RawConnection.open(port);
      const { r, sent } = await sendUntilAnswered(conn, authed(method, path, { "Content-Type": "application/json", "Content-Length": size }), size);
      expectIronicError(r, 413, `${size} bytes to ${path}`);
      // Refused on the declared length, before the body.
      expect(sent).toBeLessThan(size);
      await expectClosedThenServerUsable(conn, r, `${size} bytes to ${path}`);
    }
  });

  it("a request without credentials is refused before its body is read", async () => {
    // Only the first 64 KiB of a declared 30 MB arrive: the 401 must come without the rest.
    const conn = await RawConnection.open(port);
    await conn.write(head("POST", `${API}/v1/nodes`, { "Content-Type": "application/json", "Content-Length": 30_000_000 }));
    await conn.write(Buffer.alloc(64 * 1024, 0x20));
    const r = await conn.response(10_000);
    expectIronicError(r, 401, "unauthenticated 30 MB POST");
    await expectClosedThenServerUsable(conn, r, "unauthenticated 30 MB POST");

    // With Expect: 100-continue the client is not even asked for the body.
    const c2 = await RawConnection.open(port);
    const r2 = await c2.request(head("POST", `${API}/v1/nodes`, { "Content-Type": "application/json", "Content-Length": 30_000_000, Expect: "100-continue" }), undefined, 10_000);
    expect(r2.interim).toEqual([]);
    expectIronicError(r2, 401, "unauthenticated POST expecting 100-continue");
    await expectClosedThenServerUsable(c2, r2, "unauthenticated POST expecting 100-continue");

    // A small unauthenticated body is read past: the connection stays open.
    const c3 = await RawConnection.open(port);
    try {
      const small = await c3.request(head("POST", `${API}/v1/nodes`, { "Content-Type": "application/json", "Content-Length": 20 }), `{"driver": "fake"}  `);
      expectIronicError(small, 401, "small unauthenticated POST");
      expect(small.headers.connection).not.toBe("close");
      await expectUsable(c3, "after a small 401");
    } finally {
      c3.close();
    }
  });

  it("an authenticated request with Expect: 100-continue is asked for its body and served", async () => {
    const conn = await RawConnection.open(port);
    try {
      const body = JSON.stringify({ driver: "fake-hardware", name: "hostile-expect" });
      await conn.write(authed("POST", "/v1/nodes", { "Content-Type": "application/json", "Content-Length": body.length, Expect: "100-continue" }));
      // The 100 arrives before any body byte was sent.
      await conn.write(body);
      const r = await conn.response();
      expect(r.interim).toEqual([100]);
      expect(r.status, r.body.toString()).toBe(201);
      await expectUsable(conn, "after 100-continue");
    } finally {
      conn.close();
    }
  });

  it("16 concurrent unauthenticated 30 MB POSTs are all answered 401 from what arrived first, and memory returns to its level", async () => {
    const gc = collectGarbage();
    await gc();
    const before = process.memoryUsage().external;
    // Each client offers only 8 MiB of its declared 30 MB: a server that waits for a body it
    // will refuse never answers.
    const results = await Promise.all(Array.from({ length: 16 }, async () => {
      const conn = await RawConnection.open(port);
      try {
        return await sendUntilAnswered(conn, head("POST", `${API}/v1/nodes`, { "Content-Type": "application/json", "Content-Length": 30_000_000 }), 8 * MiB, 10_000);
      } finally {
        conn.close();
      }
    }));
    for (const { r } of results) expectIronicError(r, 401, "one of 16 unauthenticated 30 MB POSTs");
    // Once the connections are gone, nothing of the bodies is left.
    const deadline = Date.now() + 10_000;
    while ((await new Promise<number>((resolve) => srv.server.getConnections((_e, n) => resolve(n)))) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await gc();
    expect(process.memoryUsage().external - before).toBeLessThan(16 * MiB);
    const conn = await RawConnection.open(port);
    try {
      await expectUsable(conn, "after the concurrent POSTs");
    } finally {
      conn.close();
    }
  });
});
