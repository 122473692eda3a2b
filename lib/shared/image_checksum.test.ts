import { describe, expect, it } from "vitest";
import { hashValueProblem, parseImageChecksum } from "./image_checksum.ts";

const hex = (n: number, c = "a") => c.repeat(n);

describe("image checksums (Ironic's instance_info rules)", () => {
  it("a bare digest: the algorithm from its length, lowercased", () => {
    expect(parseImageChecksum(hex(32))).toEqual({ kind: "digest", algorithm: "md5", hex: hex(32) });
    expect(parseImageChecksum(hex(40))).toEqual({ kind: "digest", algorithm: "sha1", hex: hex(40) });
    expect(parseImageChecksum(` ${hex(64, "A")} `)).toEqual({ kind: "digest", algorithm: "sha256", hex: hex(64) });
    expect(parseImageChecksum(hex(128))).toEqual({ kind: "digest", algorithm: "sha512", hex: hex(128) });
  });

  it("a bare digest of no algorithm's length is refused, saying the lengths", () => {
    expect(parseImageChecksum(hex(63))).toEqual({ error: "A checksum without an algorithm is 32 (md5), 40 (sha1), 64 (sha256) or 128 (sha512) hex digits; this one has 63." });
  });

  it("<algorithm>:<hex> must have the algorithm's length", () => {
    expect(parseImageChecksum(`SHA256:${hex(64)}`)).toEqual({ kind: "digest", algorithm: "sha256", hex: hex(64) });
    expect(parseImageChecksum(`sha512:${hex(64)}`)).toEqual({ error: "A sha512 checksum is 128 hex digits; this one has 64." });
    expect(parseImageChecksum(`crc32:${hex(8)}`)).toEqual({ error: '"crc32" is not an algorithm Ingot checks: use md5, sha1, sha256, sha512.' });
  });

  it("an http(s) URL is a checksum file; other text is refused", () => {
    expect(parseImageChecksum("https://images.example/SHA256SUMS")).toEqual({ kind: "url", url: "https://images.example/SHA256SUMS" });
    expect(parseImageChecksum("ftp://images.example/SHA256SUMS")).toEqual({ error: "Give a hex digest, <algorithm>:<hex digest>, or the http(s) URL of a checksum file." });
    expect(parseImageChecksum("not a checksum")).toHaveProperty("error");
  });

  it("image_os_hash_value: hex of the named algorithm's length", () => {
    expect(hashValueProblem("sha256", hex(64))).toBeNull();
    expect(hashValueProblem("sha256", "abc123")).toBe("A sha256 checksum is 64 hex digits; this one has 6.");
    expect(hashValueProblem("md5", hex(31) + "g")).toBe("A md5 checksum is hex digits only (0-9, a-f).");
    expect(hashValueProblem("sha1", " ")).toBe("The sha1 checksum is missing.");
  });
});
