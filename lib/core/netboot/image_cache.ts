// The image cache: kernels, ramdisks and ISOs given as http(s) URLs are downloaded once into the
// cache directory (keyed by URL and the checksum, when one is given) and served from there; local
// paths are used where they are. Downloads stream to disk (ramdisks are hundreds of MB), land
// under a temporary name and are renamed when complete, so a half-written file is never served;
// concurrent requests for one URL share one download. Before each download the cache is pruned
// as Ironic's image cache is ([pxe]image_cache_size / image_cache_ttl): files unused for longer
// than the TTL go, then the least recently used until the new file fits in the size limit; a file
// a node boots or downloads now (linked from the HTTP root) is never removed.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, utimes } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseImageChecksum, type HashAlgorithm } from "../../shared/image_checksum.ts";
import { DriverError } from "../errors.ts";
import { linkedFiles } from "./http_root.ts";
import { netbootSettings } from "./settings.ts";

export interface ImageCache {
  dir: string;
  /** Bytes the cache may hold; 0 or absent: no limit. */
  maxBytes?: number;
  /** A file unused for this long is removed at the next download; 0 or absent: kept. */
  ttlMs?: number;
  /** The files in use now (never removed). */
  inUse?: () => Promise<ReadonlySet<string>>;
}

/** The image cache the settings describe; what the HTTP root links to is in use. */
export function imageCache(): ImageCache {
  const s = netbootSettings();
  return { dir: s.imageCacheDir, maxBytes: s.imageCacheSizeMiB * 2 ** 20, ttlMs: s.imageCacheTtlMinutes * 60_000, inUse: () => linkedFiles(s.httpRoot) };
}

/**
 * "<algorithm>:<hex>" or a bare hex digest (algorithm by its length) → [algorithm, digest], by the
 * rules the direct deploy validates with; a checksum file's URL cannot be verified while downloading.
 */
export function parseChecksum(checksum: string): [HashAlgorithm, string] {
  const parsed = parseImageChecksum(checksum);
  if ("error" in parsed) throw new DriverError(`"${checksum}" is not a checksum Ingot understands: ${parsed.error}`);
  if (parsed.kind === "url") throw new DriverError(`"${checksum}" is a checksum file's URL; the image cache verifies digests only.`);
  return [parsed.algorithm, parsed.hex];
}

export const isHttpUrl = (source: string) => /^https?:\/\//i.test(source);

/** A local path (absolute, or a file:// URL) for a source that is not an http(s) URL. */
export function localPath(source: string): string {
  if (/^file:\/\//i.test(source)) return fileURLToPath(source);
  if (!isAbsolute(source)) throw new DriverError(`"${source}" is neither an http(s) URL nor an absolute local path.`);
  return source;
}

/** File name of a cached URL: a hash of the URL and checksum (no user-controlled names on disk). */
export function cacheKey(url: string, checksum?: string | null): string {
  return createHash("sha256").update(url).update("\n").update(checksum ?? "").digest("hex");
}

const downloads = new Map<string, Promise<string>>();

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function download(cache: ImageCache, url: string, target: string, checksum: string | null | undefined): Promise<void> {
  const partial = `${target}.part-${process.pid}-${Date.now()}`;
  const what = `Downloading ${url}`;
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (err) {
    throw new DriverError(`${what} failed: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new DriverError(`${what} failed: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}.`);
  }
  const [algo, expected] = checksum ? parseChecksum(checksum) : [null, null];
  await pruneImageCache(cache, Number(res.headers.get("content-length")) || 0);
  const hash = algo ? createHash(algo) : null;
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash?.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), hashing, createWriteStream(partial, { mode: 0o644 }));
    const got = hash?.digest("hex");
    if (got !== undefined && got !== expected) {
      throw new DriverError(`${what}: the ${algo} checksum is ${got}, expected ${expected}.`);
    }
    await rename(partial, target);
  } catch (err) {
    await rm(partial, { force: true });
    if (err instanceof DriverError) throw err;
    throw new DriverError(`${what} failed: ${(err as Error).message}`);
  }
}

/**
 * The local file for a kernel/ramdisk/ISO source: an http(s) URL is downloaded into the cache
 * the first time (later calls find the file, marking it used), a local path is checked and
 * returned as it is.
 */
export async function cachedImage(cache: ImageCache, source: string, checksum?: string | null): Promise<string> {
  if (!isHttpUrl(source)) {
    const path = localPath(source);
    if (!(await exists(path))) throw new DriverError(`The file ${path} does not exist (or is not a regular file).`);
    return path;
  }
  const target = join(cache.dir, cacheKey(source, checksum));
  if (await exists(target)) {
    const now = new Date();
    await utimes(target, now, now); // last used: the pruning's order
    return target;
  }
  let pending = downloads.get(target);
  if (!pending) {
    pending = (async () => {
      await mkdir(cache.dir, { recursive: true });
      await download(cache, source, target, checksum);
      return target;
    })().finally(() => downloads.delete(target));
    downloads.set(target, pending);
  }
  return pending;
}

/** A file handed out this recently may be about to be linked: pruning leaves it. */
const HANDED_OUT_GRACE_MS = 10 * 60_000;
/** A partial download this old was left by a process that stopped. */
const STALE_PARTIAL_MS = 24 * 3600_000;

/**
 * Makes room for a download of `incomingBytes`: removes files unused for longer than the TTL,
 * then the least recently used until the cache and the new file fit in its size limit, never a
 * file in use or handed out within HANDED_OUT_GRACE_MS. Returns the removed paths.
 */
export async function pruneImageCache(cache: ImageCache, incomingBytes = 0, now = Date.now()): Promise<string[]> {
  const names = await readdir(cache.dir).catch(() => [] as string[]);
  const inUse = (await cache.inUse?.()) ?? new Set<string>();
  const files: { path: string; size: number; used: number }[] = [];
  const removed: string[] = [];
  const remove = async (path: string) => {
    await rm(path, { force: true });
    removed.push(path);
  };
  for (const name of names) {
    const path = join(cache.dir, name);
    const st = await stat(path).catch(() => null);
    if (!st?.isFile()) continue;
    if (name.includes(".part-")) {
      if (now - st.mtimeMs > STALE_PARTIAL_MS) await remove(path);
      continue;
    }
    files.push({ path, size: st.size, used: st.mtimeMs });
  }
  const removable = (f: { path: string; used: number }) => !inUse.has(f.path) && now - f.used > HANDED_OUT_GRACE_MS;
  const kept: typeof files = [];
  for (const f of files) {
    if (cache.ttlMs && removable(f) && now - f.used > cache.ttlMs) await remove(f.path);
    else kept.push(f);
  }
  if (cache.maxBytes) {
    let total = kept.reduce((sum, f) => sum + f.size, 0);
    for (const f of kept.sort((a, b) => a.used - b.used)) {
      if (total + incomingBytes <= cache.maxBytes) break;
      if (!removable(f)) continue;
      await remove(f.path);
      total -= f.size;
    }
    if (total + incomingBytes > cache.maxBytes) {
      const mib = (n: number) => Math.ceil(n / 2 ** 20);
      console.warn(`image cache ${cache.dir}: ${mib(total)} MiB are in use or just handed out; with this download of ${mib(incomingBytes)} MiB it holds more than its ${mib(cache.maxBytes)} MiB limit (INGOT_IMAGE_CACHE_SIZE)`);
    }
  }
  return removed;
}
