// Ingot's network-boot HTTP: the image cache (downloaded once from a local HTTP server, checksum
// checked, concurrent requests share one download), a node's files only while they exist (404
// otherwise), HEAD and byte ranges, the chain script, and large files streamed by the real server.
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync, existsSync, readdirSync, utimesSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../testing/env.ts";
import { setConfig } from "../core/config.ts";
import { linkedFiles, removeNodeBootFiles, writeNodeBootFiles } from "../core/netboot/http_root.ts";
import { cachedImage } from "../core/netboot/image_cache.ts";
import { setNetbootSettings } from "../core/netboot/settings.ts";
import { handleBootRequest, parseRange } from "./boot_http.ts";
import { startServer, type RunningServer } from "./server.ts";

const UUID = "5b0f1a52-4f0e-4c1c-9e55-6a0f8a1f2b10";
const BASE = "http://192.0.2.1:3000";
let dir: string;
let origin: Server;
let originUrl: string;
const originHits: Record<string, number> = {};
const kernel = randomBytes(300_000);

const get = (path: string, headers: Record<string, string> = {}, method = "GET") =>
  handleBootRequest(new Request(`http://127.0.0.1${path}`, { method, headers }));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ingot-boot-http-"));
  setNetbootSettings({ provisioningUrl: BASE, agentApiUrl: `${BASE}/baremetal`, httpRoot: join(dir, "httpboot"), imageCacheDir: join(dir, "cache") });
  origin = createServer((req, res) => {
    originHits[req.url!] = (originHits[req.url!] ?? 0) + 1;
    if (new URL(req.url!, "http://origin").pathname === "/kernel") {
      // Slow enough that concurrent cache requests overlap.
      setTimeout(() => res.end(kernel), 100);
      return;
    }
    res.writeHead(404).end("no");
  });
  await new Promise<void>((r) => origin.listen(0, "127.0.0.1", r));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => origin.close(() => r()));
  setNetbootSettings();
  rmSync(dir, { recursive: true, force: true });
});

describe("image cache", () => {
  it("downloads a URL once, also when asked for it several times at once", async () => {
    const cache = join(dir, "cache");
    const [a, b] = await Promise.all([cachedImage({ dir: cache }, `${originUrl}/kernel`), cachedImage({ dir: cache }, `${originUrl}/kernel`)]);
    expect(a).toBe(b);
    expect(readFileSync(a).equals(kernel)).toBe(true);
    expect(await cachedImage({ dir: cache }, `${originUrl}/kernel`)).toBe(a);
    expect(originHits["/kernel"]).toBe(1);
  });

  it("keys by checksum too; a wrong checksum fails the download and leaves nothing behind", async () => {
    const cache = join(dir, "cache-sum");
    const sha = createHash("sha256").update(kernel).digest("hex");
    const before = originHits["/kernel"] ?? 0;
    const good = await cachedImage({ dir: cache }, `${originUrl}/kernel`, `sha256:${sha}`);
    expect(readFileSync(good).equals(kernel)).toBe(true);
    await expect(cachedImage({ dir: cache }, `${originUrl}/kernel`, "0".repeat(64))).rejects.toThrow(
      `Downloading ${originUrl}/kernel: the sha256 checksum is ${sha}, expected ${"0".repeat(64)}.`,
    );
    expect(originHits["/kernel"]).toBe(before + 2);
    expect(readdirSync(cache)).toEqual([good.split("/").pop()]);
  });

  it("keeps to its size limit before a download: the least recently used file goes, one a node boots stays", async () => {
    const cacheDir = join(dir, "cache-limit");
    const httpRoot = join(dir, "httpboot-limit");
    const cache = { dir: cacheDir, maxBytes: 2 * kernel.length, inUse: () => linkedFiles(httpRoot) };
    const booted = await cachedImage(cache, `${originUrl}/kernel?booted`);
    await writeNodeBootFiles(httpRoot, UUID, { script: "#!ipxe\n", files: { deploy_kernel: booted }, macs: [] });
    const idle = await cachedImage(cache, `${originUrl}/kernel?idle`);
    // Both last used an hour ago, past the grace of a file just handed out.
    const hourAgo = new Date(Date.now() - 3600_000);
    for (const file of [booted, idle]) utimesSync(file, hourAgo, hourAgo);
    const next = await cachedImage(cache, `${originUrl}/kernel?next`);
    expect(readdirSync(cacheDir).sort()).toEqual([basename(booted), basename(next)].sort());
    expect(readFileSync(booted).equals(kernel)).toBe(true);
  });

  it("an unreachable or missing image is a readable error; local paths are used where they are", async () => {
    await expect(cachedImage({ dir: join(dir, "cache") }, `${originUrl}/nothing`)).rejects.toThrow(`Downloading ${originUrl}/nothing failed: HTTP 404 Not Found.`);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/kernel`;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(cachedImage({ dir: join(dir, "cache") }, gone)).rejects.toThrow(`Downloading ${gone} failed: connect ECONNREFUSED`);
    const local = join(dir, "local-ramdisk");
    writeFileSync(local, "ramdisk");
    expect(await cachedImage({ dir: join(dir, "cache") }, local)).toBe(local);
    expect(await cachedImage({ dir: join(dir, "cache") }, `file://${local}`)).toBe(local);
    await expect(cachedImage({ dir: join(dir, "cache") }, join(dir, "missing"))).rejects.toThrow(`The file ${join(dir, "missing")} does not exist`);
    await expect(cachedImage({ dir: join(dir, "cache") }, "relative/path")).rejects.toThrow("neither an http(s) URL nor an absolute local path");
  });
});

describe("/boot/ routes", () => {
  it("a node's script and files are served only while they exist", async () => {
    const kernelFile = join(dir, "k");
    writeFileSync(kernelFile, kernel);
    expect((await get(`/boot/${UUID}/boot.ipxe`)).status).toBe(404);
    await writeNodeBootFiles(join(dir, "httpboot"), UUID, { script: "#!ipxe\necho hi\n", files: { deploy_kernel: kernelFile }, macs: ["52:54:00:12:34:56"] });
    const script = await get(`/boot/${UUID}/boot.ipxe`);
    expect([script.status, await script.text()]).toEqual([200, "#!ipxe\necho hi\n"]);
    const byMac = await get("/boot/mac/52-54-00-12-34-56");
    expect([byMac.status, await byMac.text()]).toEqual([200, "#!ipxe\necho hi\n"]);
    const k = await get(`/boot/${UUID}/deploy_kernel`);
    expect(k.headers.get("content-length")).toBe(String(kernel.length));
    expect(Buffer.from(await k.arrayBuffer()).equals(kernel)).toBe(true);

    await removeNodeBootFiles(join(dir, "httpboot"), UUID);
    for (const path of [`/boot/${UUID}/boot.ipxe`, "/boot/mac/52-54-00-12-34-56", `/boot/${UUID}/deploy_kernel`]) {
      expect((await get(path)).status, path).toBe(404);
    }
    // The files themselves (cache, local paths) stay: only the links went.
    expect(existsSync(kernelFile)).toBe(true);
  });

  it("HEAD, byte ranges, 416, and no way out of the HTTP root", async () => {
    const kernelFile = join(dir, "k2");
    writeFileSync(kernelFile, kernel);
    await writeNodeBootFiles(join(dir, "httpboot"), UUID, { script: "#!ipxe\n", files: { deploy_kernel: kernelFile }, macs: [] });
    const head = await get(`/boot/${UUID}/deploy_kernel`, {}, "HEAD");
    expect([head.status, head.headers.get("content-length"), head.headers.get("accept-ranges"), head.body]).toEqual([200, String(kernel.length), "bytes", null]);
    const part = await get(`/boot/${UUID}/deploy_kernel`, { range: "bytes=100-199" });
    expect([part.status, part.headers.get("content-range"), part.headers.get("content-length")]).toEqual([206, `bytes 100-199/${kernel.length}`, "100"]);
    expect(Buffer.from(await part.arrayBuffer()).equals(kernel.subarray(100, 200))).toBe(true);
    const tail = await get(`/boot/${UUID}/deploy_kernel`, { range: "bytes=-10" });
    expect(Buffer.from(await tail.arrayBuffer()).equals(kernel.subarray(kernel.length - 10))).toBe(true);
    const open = await get(`/boot/${UUID}/deploy_kernel`, { range: `bytes=${kernel.length - 5}-` });
    expect((await open.arrayBuffer()).byteLength).toBe(5);
    const beyond = await get(`/boot/${UUID}/deploy_kernel`, { range: `bytes=${kernel.length}-` });
    expect([beyond.status, beyond.headers.get("content-range")]).toEqual([416, `bytes */${kernel.length}`]);
    expect(parseRange("bytes=0-1,5-6", 10)).toBeNull(); // several ranges: the whole file

    writeFileSync(join(dir, "secret"), "no");
    for (const path of ["/boot/../secret", "/boot/%2e%2e/secret", `/boot/${UUID}/..%2f..%2fsecret`, "/boot/.hidden", "/boot/"]) {
      expect((await get(path)).status, path).toBe(404);
    }
    expect((await get(`/boot/${UUID}/boot.ipxe`, {}, "POST")).status).toBe(405);
    await removeNodeBootFiles(join(dir, "httpboot"), UUID);
  });

  it("the chain script comes from the settings", async () => {
    const res = await get("/boot/boot.ipxe");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`chain --autofree ${BASE}/boot/mac/\${net\${netid}/mac:hexhyp}`);
  });
});

describe("the real server", () => {
  let db: TestDb;
  let srv: RunningServer;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "ingot-boot-srv-"));
    Object.assign(process.env, { INGOT_DATA_DIR: dataDir, INGOT_DEMO: "0", INGOT_WEB: "0" });
    db = await createTestDb();
    setConfig({ enabledHardwareTypes: ["fake-hardware"] });
    srv = await startServer({ web: false, port: 0, host: "127.0.0.1", dev: true });
  }, 60_000);

  afterAll(async () => {
    await srv?.close();
    setConfig();
    await db?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("routes /boot/ outside the API (no credentials) and streams a large file without holding it in memory", async () => {
    const big = join(dir, "big-ramdisk");
    const size = 256 * 1024 * 1024;
    writeFileSync(big, "");
    truncateSync(big, size); // sparse: costs no disk
    await writeNodeBootFiles(join(dir, "httpboot"), UUID, { script: "#!ipxe\n", files: { deploy_ramdisk: big }, macs: [] });
    const chain = await fetch(`${srv.url}/boot/boot.ipxe`);
    expect(chain.status).toBe(200);

    const baseline = process.memoryUsage().arrayBuffers;
    let peak = baseline;
    const res = await fetch(`${srv.url}/boot/${UUID}/deploy_ramdisk`);
    expect([res.status, res.headers.get("content-length")]).toEqual([200, String(size)]);
    let received = 0;
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.byteLength;
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    expect(received).toBe(size);
    // Buffered, the server alone would have held all 256 MB at once.
    expect(peak - baseline).toBeLessThan(64 * 1024 * 1024);

    const head = await fetch(`${srv.url}/boot/${UUID}/deploy_ramdisk`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-length"), head.headers.get("accept-ranges")]).toEqual([200, String(size), "bytes"]);
    const partial = await fetch(`${srv.url}/boot/${UUID}/deploy_ramdisk`, { headers: { range: `bytes=${size - 4}-` } });
    expect([partial.status, (await partial.arrayBuffer()).byteLength]).toEqual([206, 4]);
    await removeNodeBootFiles(join(dir, "httpboot"), UUID);
    expect((await fetch(`${srv.url}/boot/${UUID}/deploy_ramdisk`)).status).toBe(404);
  }, 60_000);
});
