import { describe, expect, it } from "vitest";
import { formatBytes, formatMhz, summarizeInventory } from "./inventory.ts";
import { validationFingerprint, validationRows, validationSummary } from "./validation.ts";
import type { ApiNode } from "@/lib/shared/wire.ts";

describe("hardware inventory view", () => {
  it("tolerates missing and odd fields (inventories can be set by hand)", () => {
    const s = summarizeInventory({ cpu: "x", disks: [null, { size: "12" }], interfaces: [{ name: "eth0" }], bmc_address: "0.0.0.0" });
    expect(s.cpu).toBeNull();
    expect(s.memory).toBeNull();
    expect(s.disks).toEqual([{ name: "disk 1", model: null, vendor: null, sizeBytes: 12, rotational: null, serial: null, wwn: null }]);
    expect(s.nics).toEqual([{ name: "eth0", mac: null, ipv4: null, ipv6: null, carrier: null, speedMbps: null, pxe: false }]);
    expect(s.bmc).toEqual({ v4: null, v6: null });
    expect(summarizeInventory(null).disks).toEqual([]);
  });

  it("formats sizes and frequencies", () => {
    expect(formatBytes(480103981056, true)).toBe("447.1 GiB (480 GB)");
    expect(formatBytes(1920383410176, true)).toBe("1.7 TiB (1.9 TB)");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(null)).toBe("—");
    expect(formatMhz(2400)).toBe("2.4 GHz");
    expect(formatMhz(3250)).toBe("3.25 GHz");
    expect(formatMhz(800)).toBe("800 MHz");
  });
});

describe("validation panel", () => {
  const node = { driver: "ipmi", power_interface: "ipmitool", management_interface: "ipmitool", bios_interface: "no-bios", driver_info: { ipmi_address: "h" }, properties: {}, instance_info: {} };

  it("orders the interfaces power, management, boot, deploy first and names each implementation", () => {
    const rows = validationRows(
      {
        bios: { result: null, reason: "not supported" },
        deploy: { result: false, reason: "Missing image_source" },
        management: { result: true },
        power: { result: true },
        zzz: { result: true },
      },
      node,
    );
    expect(rows.map((r) => [r.kind, r.status, r.implementation])).toEqual([
      ["power", "valid", "ipmitool"], ["management", "valid", "ipmitool"], ["deploy", "invalid", ""], ["bios", "unsupported", "no-bios"], ["zzz", "valid", ""],
    ]);
    expect(rows[2].reason).toBe("Missing image_source");
    expect(validationSummary(rows)).toEqual({ valid: 3, invalid: 1, disabled: 0, unsupported: 1 });
  });

  it("a no-* implementation's refusal reads as not enabled, not as a failure", () => {
    const rows = validationRows({ bios: { result: false, reason: "Driver ipmi does not support bios" }, network: { result: true } }, { ...node, network_interface: "noop" });
    expect(rows.map((r) => [r.kind, r.status])).toEqual([["network", "valid"], ["bios", "disabled"]]);
    expect(rows[1].reason).toBe("Driver ipmi does not support bios");
    expect(validationSummary(rows)).toEqual({ valid: 1, invalid: 0, disabled: 1, unsupported: 0 });
  });

  it("validates again when driver_info or an interface changes, not when the power state does", () => {
    const a = validationFingerprint(node as unknown as ApiNode);
    expect(validationFingerprint({ ...node, power_state: "power on", updated_at: "later" } as unknown as ApiNode)).toBe(a);
    expect(validationFingerprint({ ...node, driver_info: { ipmi_address: "other" } } as unknown as ApiNode)).not.toBe(a);
    expect(validationFingerprint({ ...node, power_interface: "fake" } as unknown as ApiNode)).not.toBe(a);
  });
});
