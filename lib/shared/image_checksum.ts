// Image checksums as instance_info gives them, with Ironic's rules (ironic/common/checksum_utils.py):
// - image_checksum: a bare hex digest (the algorithm told by its length), "<algorithm>:<hex>", or
//   the http(s) URL of a checksum file (the agent reads the image's line from it);
// - image_os_hash_algo + image_os_hash_value: the algorithm named, the digest in hex.
// Shared by the direct deploy's validation (lib/core/drivers/direct.ts) and the dashboard's forms,
// so both say the same thing about the same value.

export const HASH_ALGORITHMS = ["md5", "sha1", "sha256", "sha512"] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/** Hex digits of each algorithm's digest. */
export const HEX_LENGTH: Record<HashAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

export function isHashAlgorithm(v: unknown): v is HashAlgorithm {
  return typeof v === "string" && (HASH_ALGORITHMS as readonly string[]).includes(v);
}

/** The algorithm whose digest has `length` hex digits. */
export function algorithmOfHexLength(length: number): HashAlgorithm | undefined {
  return HASH_ALGORITHMS.find((a) => HEX_LENGTH[a] === length);
}

export type ImageChecksum = { kind: "url"; url: string } | { kind: "digest"; algorithm: HashAlgorithm; hex: string };

const LENGTHS_TEXT = HASH_ALGORITHMS.map((a) => `${HEX_LENGTH[a]} (${a})`).join(", ").replace(/, ([^,]*)$/, " or $1");
const HEX = /^[0-9a-f]+$/i;

/** Why `hex` is not a digest of `algorithm`, or null when it is one. */
export function hashValueProblem(algorithm: HashAlgorithm, hex: string): string | null {
  const v = hex.trim();
  if (!v) return `The ${algorithm} checksum is missing.`;
  if (!HEX.test(v)) return `A ${algorithm} checksum is hex digits only (0-9, a-f).`;
  if (v.length !== HEX_LENGTH[algorithm]) return `A ${algorithm} checksum is ${HEX_LENGTH[algorithm]} hex digits; this one has ${v.length}.`;
  return null;
}

/** An image_checksum as Ironic reads it, or why it is not one. */
export function parseImageChecksum(value: string): ImageChecksum | { error: string } {
  const v = value.trim();
  if (/^https?:\/\/\S+$/i.test(v)) return { kind: "url", url: v };
  const prefixed = /^([a-z0-9]+):(.*)$/i.exec(v);
  if (prefixed && !/^[a-z][a-z0-9+.-]*:\/\//i.test(v)) {
    const algorithm = prefixed[1].toLowerCase();
    if (!isHashAlgorithm(algorithm)) return { error: `"${prefixed[1]}" is not an algorithm Ingot checks: use ${HASH_ALGORITHMS.join(", ")}.` };
    const problem = hashValueProblem(algorithm, prefixed[2]);
    return problem ? { error: problem } : { kind: "digest", algorithm, hex: prefixed[2].trim().toLowerCase() };
  }
  if (!HEX.test(v)) {
    return { error: "Give a hex digest, <algorithm>:<hex digest>, or the http(s) URL of a checksum file." };
  }
  const algorithm = algorithmOfHexLength(v.length);
  if (!algorithm) return { error: `A checksum without an algorithm is ${LENGTHS_TEXT} hex digits; this one has ${v.length}.` };
  return { kind: "digest", algorithm, hex: v.toLowerCase() };
}

/** Where the agent gets the image from (image_download_source) with the direct deploy. */
export const IMAGE_DOWNLOAD_SOURCES = ["http", "local"] as const;
