// Contract: the node page's hardware panel reads the inventory the server records (the fake
// inspect interface's, in the IPA format). Tests under tests/contract/ may import both sides.
import { describe, expect, it } from "vitest";
import { summarizeInventory } from "@/components/node/inventory.ts";
import { fakeInspectionData } from "@/lib/core/inspection/inventory.ts";

describe("hardware inventory view", () => {
  it("reads the inventory the fake inspect interface records", () => {
    const node = { uuid: "0b6f1d52-5f0c-4f3e-9c1e-2b8f3a1d9e77", name: "inv-1", driverInfo: {} };
    const { inventory } = fakeInspectionData(node);
    const s = summarizeInventory(inventory);
    expect(s.cpu).toMatchObject({ model: inventory.cpu.model_name, count: inventory.cpu.count, architecture: "x86_64" });
    expect(s.cpu!.frequencyMhz).toBe(Number(inventory.cpu.frequency));
    expect(s.memory).toEqual({ physicalMb: inventory.memory.physical_mb, totalBytes: inventory.memory.total });
    expect(s.disks.map((d) => d.name)).toEqual(inventory.disks.map((d) => d.name));
    expect(s.nics.map((n) => n.mac)).toEqual(inventory.interfaces.map((i) => i.mac_address.toLowerCase()));
    // the PXE NIC is the one the boot section names
    expect(s.nics.filter((n) => n.pxe).map((n) => n.mac)).toEqual([inventory.boot.pxe_interface]);
    expect(s.bmc.v4).toBe(inventory.bmc_address);
    expect(s.bmc.v6).toBeNull(); // "::/0" is the agent's "no address"
    expect(s.system).toMatchObject({ manufacturer: inventory.system_vendor.manufacturer, product: inventory.system_vendor.product_name });
    expect(s.hostname).toBe("inv-1");
  });
});
