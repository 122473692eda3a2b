// The image_info the direct deploy gives the agent, from instance_info's checksum fields.
import { describe, expect, it } from "vitest";
import type { NodeRecord } from "../db/nodes.ts";
import { imageInfoFor } from "./direct.ts";

const SHA256 = "ab".repeat(32);
const node = (instanceInfo: Record<string, unknown>) =>
  ({ uuid: "1be26c0b-03f2-4d2e-ae87-c02d7f33c123", instanceInfo: { image_source: "http://images.example/disk.raw", ...instanceInfo }, driverInfo: {}, properties: {} }) as unknown as NodeRecord;

describe("direct deploy: image checksums", () => {
  it("a bare sha256 or sha256:<hex> image_checksum goes to the agent as os_hash", () => {
    for (const image_checksum of [SHA256.toUpperCase(), `sha256:${SHA256}`]) {
      expect(imageInfoFor(node({ image_checksum }))).toMatchObject({ os_hash_algo: "sha256", os_hash_value: SHA256 });
      expect(imageInfoFor(node({ image_checksum }))).not.toHaveProperty("checksum");
    }
  });

  it("md5 and a checksum file's URL go as `checksum`, as the agent verifies them", () => {
    expect(imageInfoFor(node({ image_checksum: `md5:${"c".repeat(32)}` }))).toMatchObject({ checksum: "c".repeat(32) });
    expect(imageInfoFor(node({ image_checksum: "http://images.example/SHA256SUMS" }))).toMatchObject({ checksum: "http://images.example/SHA256SUMS" });
  });

  it("image_os_hash_algo/value win over image_checksum", () => {
    const info = imageInfoFor(node({ image_checksum: "c".repeat(32), image_os_hash_algo: "sha256", image_os_hash_value: SHA256 }));
    expect(info).toMatchObject({ os_hash_algo: "sha256", os_hash_value: SHA256 });
    expect(info).not.toHaveProperty("checksum");
  });

  it("refuses what the agent could never verify, naming the field", () => {
    expect(() => imageInfoFor(node({ image_checksum: "abc" }))).toThrow(/instance_info\/image_checksum: A checksum without an algorithm is .* this one has 3\./);
    expect(() => imageInfoFor(node({ image_os_hash_algo: "sha256", image_os_hash_value: "abc" }))).toThrow(/instance_info\/image_os_hash_value: A sha256 checksum is 64 hex digits; this one has 3\./);
    expect(() => imageInfoFor(node({ image_os_hash_algo: "crc32", image_os_hash_value: "abcd1234" }))).toThrow(/instance_info\/image_os_hash_algo must be one of md5, sha1, sha256, sha512, not crc32/);
    expect(() => imageInfoFor(node({ image_os_hash_value: SHA256 }))).toThrow(/image_os_hash_algo and image_os_hash_value must be given together/);
  });
});
