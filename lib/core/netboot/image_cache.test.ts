import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { parseChecksum, pruneImageCache } from "./image_cache.ts";
import { loadNetbootSettings } from "./settings.ts";

describe("parseChecksum (the image cache's download check)", () => {
  it("reads prefixed and bare digests as the direct deploy validates them", () => {
    expect(parseChecksum(`SHA256:${"AB".repeat(32)}`)).toEqual(["sha256", "ab".repeat(32)]);
    expect(parseChecksum("0".repeat(32))).toEqual(["md5", "0".repeat(32)]);
  });

  it("refuses what the direct deploy refuses, saying why", () => {
    // sha384 is not an algorithm the deploy checks; the cache used to accept it.
    expect(() => parseChecksum(`sha384:${"0".repeat(96)}`)).toThrow(/"sha384" is not an algorithm Ingot checks/);
    expect(() => parseChecksum(`sha256:${"0".repeat(40)}`)).toThrow(/64 hex digits; this one has 40/);
    expect(() => parseChecksum("https://images.example/SHA256SUMS")).toThrow(/verifies digests only/);
  });
});

describe("pruneImageCache", () => {
  const HOUR = 3600_000;
  let dir: string;
  /** A cache file of `size` bytes last used `ago` ms before `now`. */
  const file = (name: string, size: number, ago: number) => {
    const path = join(dir, name);
    writeFileSync(path, Buffer.alloc(size));
    const when = new Date(now - ago);
    utimesSync(path, when, when);
    return path;
  };
  const now = Date.now();
  beforeEach(() => void (dir = mkdtempSync(join(tmpdir(), "ingot-image-cache-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("removes files unused for longer than the TTL, unless in use, and partial downloads a day old", async () => {
    const stale = file("stale", 10, 8 * 24 * HOUR);
    const staleInUse = file("stale-in-use", 10, 8 * 24 * HOUR);
    file("fresh", 10, HOUR);
    const leftPartial = file("x.part-1-1", 10, 2 * 24 * HOUR);
    file("y.part-2-2", 10, HOUR);
    const removed = await pruneImageCache({ dir, ttlMs: 7 * 24 * HOUR, inUse: async () => new Set([staleInUse]) }, 0, now);
    expect(removed.sort()).toEqual([leftPartial, stale].sort());
    expect(readdirSync(dir).sort()).toEqual(["fresh", "stale-in-use", "y.part-2-2"]);
  });

  it("makes room for the incoming file, least recently used first, never a file in use or just handed out", async () => {
    const oldest = file("oldest", 100, 3 * HOUR);
    const older = file("older", 100, 2 * HOUR);
    const inUse = file("in-use", 100, 4 * HOUR);
    file("just-handed-out", 100, 60_000);
    const removed = await pruneImageCache({ dir, maxBytes: 300, inUse: async () => new Set([inUse]) }, 100, now);
    expect(removed).toEqual([oldest, older]);
    expect(readdirSync(dir).sort()).toEqual(["in-use", "just-handed-out"]);
  });

  it("says so when what must stay leaves no room, and removes nothing it must keep", async () => {
    const inUse = file("in-use", 300, 4 * HOUR);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      expect(await pruneImageCache({ dir, maxBytes: 2 * 2 ** 20, inUse: async () => new Set([inUse]) }, 2 * 2 ** 20, now)).toEqual([]);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/holds more than its 2 MiB limit \(INGOT_IMAGE_CACHE_SIZE\)/));
    } finally {
      warn.mockRestore();
    }
  });
});

describe("the image cache's settings", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("are Ironic's defaults unless set; a value that is not a whole number stops the start", () => {
    vi.stubEnv("INGOT_IMAGE_CACHE_SIZE", "");
    vi.stubEnv("INGOT_IMAGE_CACHE_TTL", "0");
    expect(loadNetbootSettings()).toMatchObject({ imageCacheSizeMiB: 20480, imageCacheTtlMinutes: 0 });
    vi.stubEnv("INGOT_IMAGE_CACHE_SIZE", "20G");
    expect(() => loadNetbootSettings()).toThrow('INGOT_IMAGE_CACHE_SIZE: "20G" is not a whole number (0 or more)');
  });
});
