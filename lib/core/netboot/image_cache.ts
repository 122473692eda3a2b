// The image cache: kernels, ramdisks and ISOs given as http(s) URLs are downloaded once into the
// cache directory (keyed by URL and the checksum, when one is given) and served from there; local
// paths are used where they are. Downloads stream to disk (ramdisks are hundreds of MB), land
// under a temporary name and are renamed when complete, so a half-written file is never served;
// concurrent requests for one URL share one download.
import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseImageChecksum, type HashAlgorithm } from "../../shared/image_checksum.ts";
import { DriverError } from "../errors.ts";

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

async function download(url: string, target: string, checksum: string | null | undefined): Promise<void> {
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
 * The local file for a kernel/ramdisk/ISO source: an http(s) URL is downloaded into `cacheDir`
 * the first time (later calls find the file), a local path is checked and returned as it is.
 */
export async function cachedImage(cacheDir: string, source: string, checksum?: string | null): Promise<string> {
  if (!isHttpUrl(source)) {
    const path = localPath(source);
    if (!(await exists(path))) throw new DriverError(`The file ${path} does not exist (or is not a regular file).`);
    return path;
  }
  const target = join(cacheDir, cacheKey(source, checksum));
  if (await exists(target)) return target;
  let pending = downloads.get(target);
  if (!pending) {
    pending = (async () => {
      await mkdir(cacheDir, { recursive: true });
      await download(source, target, checksum);
      return target;
    })().finally(() => downloads.delete(target));
    downloads.set(target, pending);
  }
  return pending;
}
