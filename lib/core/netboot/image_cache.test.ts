import { describe, expect, it } from "vitest";
import { parseChecksum } from "./image_cache.ts";

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
