import { describe, expect, it } from "vitest";
import { fieldOfRefusal, imageFormErrors, imageFormFrom, imageInstanceInfo, imagePatchOps, type ImageForm } from "./deploy_image.ts";

const SHA256 = "0123456789abcdef".repeat(4);
const form = (f: Partial<ImageForm>): ImageForm => ({ image_source: "http://images.example/disk.qcow2", checksum_algo: "", checksum: "", image_download_source: "", ...f });

describe("the deploy form's image fields", () => {
  it("start from instance_info: os_hash over image_checksum, unknown download sources left out", () => {
    expect(imageFormFrom({ image_source: "http://i/x", image_checksum: "c".repeat(32), image_os_hash_algo: "sha256", image_os_hash_value: SHA256, image_download_source: "local" }))
      .toEqual({ image_source: "http://i/x", checksum_algo: "sha256", checksum: SHA256, image_download_source: "local" });
    expect(imageFormFrom({ image_source: "http://i/x", image_checksum: `sha512:${"a".repeat(128)}`, image_download_source: "swift" }))
      .toEqual({ image_source: "http://i/x", checksum_algo: "", checksum: `sha512:${"a".repeat(128)}`, image_download_source: "" });
    expect(imageFormFrom({})).toEqual({ image_source: "", checksum_algo: "", checksum: "", image_download_source: "" });
  });

  it("check the checksum with the direct deploy's rules, at the field", () => {
    expect(imageFormErrors(form({ checksum_algo: "sha256", checksum: SHA256 }), { checksumRequired: true })).toEqual({});
    expect(imageFormErrors(form({ checksum_algo: "sha256", checksum: SHA256.slice(1) }), { checksumRequired: false }))
      .toEqual({ checksum: "A sha256 checksum is 64 hex digits; this one has 63." });
    expect(imageFormErrors(form({ checksum: "xyz" }), { checksumRequired: false })).toHaveProperty("checksum");
    expect(imageFormErrors(form({}), { checksumRequired: false })).toEqual({});
    expect(imageFormErrors(form({ image_source: " " }), { checksumRequired: true }))
      .toEqual({ image_source: "An image is required (URL or Glance id).", checksum: "The direct deploy needs the image's checksum." });
  });

  it("give image_checksum, or image_os_hash_algo/value when an algorithm is chosen", () => {
    expect(imageInstanceInfo(form({ checksum: ` ${SHA256} ` }))).toEqual({ image_source: "http://images.example/disk.qcow2", image_checksum: SHA256 });
    expect(imageInstanceInfo(form({ checksum_algo: "sha256", checksum: SHA256, image_download_source: "http" })))
      .toEqual({ image_source: "http://images.example/disk.qcow2", image_os_hash_algo: "sha256", image_os_hash_value: SHA256, image_download_source: "http" });
  });

  it("patch instance_info in one go, removing the checksum keys the form replaces", () => {
    const current = { image_source: "http://old", image_checksum: "c".repeat(32), image_download_source: "local" };
    expect(imagePatchOps(form({ checksum_algo: "sha256", checksum: SHA256 }), current, true)).toEqual([
      { op: "add", path: "/instance_info/image_source", value: "http://images.example/disk.qcow2" },
      { op: "add", path: "/instance_info/image_os_hash_algo", value: "sha256" },
      { op: "add", path: "/instance_info/image_os_hash_value", value: SHA256 },
      { op: "remove", path: "/instance_info/image_checksum" },
      { op: "remove", path: "/instance_info/image_download_source" },
    ]);
    // Not shown (not a direct deploy): image_download_source is left as it is.
    expect(imagePatchOps(form({}), current, false)).toEqual([
      { op: "add", path: "/instance_info/image_source", value: "http://images.example/disk.qcow2" },
      { op: "remove", path: "/instance_info/image_checksum" },
    ]);
  });

  it("find the field a refusal from the API is about", () => {
    expect(fieldOfRefusal("Node x cannot be deployed by the direct deploy interface: instance_info/image_os_hash_value: A sha256 checksum is 64 hex digits; this one has 3.")).toBe("checksum");
    expect(fieldOfRefusal('Node x …: image_download_source "local" needs INGOT_PROVISIONING_URL, the address the machines reach Ingot at.')).toBe("image_download_source");
    expect(fieldOfRefusal("Node x …: instance_info/image_os_hash_algo must be one of md5, sha1, sha256, sha512, not crc32.")).toBe("checksum_algo");
    expect(fieldOfRefusal("Node x …: partition images (instance_info/kernel, ramdisk or image_type \"partition\") are not supported")).toBeNull();
  });
});
