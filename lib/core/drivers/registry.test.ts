import { describe, expect, it } from "vitest";
import { checkInterfaceValue, driverDetail, driverProperties, getHardwareType, hardwareTypeNames, interfacesFor, resolveInterfaces } from "./registry.ts";

// From a real Ironic 21.4 (GET /v1/drivers/fake-hardware at 1.82).
const sample = {
  default_boot_interface: "fake", enabled_boot_interfaces: ["fake"],
  default_management_interface: "fake", enabled_management_interfaces: ["fake"],
  default_rescue_interface: "fake", enabled_rescue_interfaces: ["fake", "no-rescue"],
  default_raid_interface: "fake", enabled_raid_interfaces: ["fake", "no-raid"],
  default_bios_interface: "fake", enabled_bios_interfaces: ["fake", "no-bios"],
  default_deploy_interface: "fake", enabled_deploy_interfaces: ["fake"],
  default_vendor_interface: "fake", enabled_vendor_interfaces: ["fake", "no-vendor"],
  default_network_interface: "noop", enabled_network_interfaces: ["noop"],
  default_power_interface: "fake", enabled_power_interfaces: ["fake"],
  default_storage_interface: "noop", enabled_storage_interfaces: ["noop"],
  default_console_interface: "fake", enabled_console_interfaces: ["fake", "no-console", "tcp-serial", "vnc-graphical"],
  default_inspect_interface: "fake", enabled_inspect_interfaces: ["fake", "no-inspect"],
};

describe("driver registry", () => {
  it("enables ipmi and redfish (as Ironic) beside fake-hardware and sim by default", () => {
    expect(hardwareTypeNames()).toEqual(["fake-hardware", "ipmi", "redfish", "sim"]);
    expect(getHardwareType("fake-hardware")?.name).toBe("fake-hardware");
    expect(getHardwareType("ipmi")?.name).toBe("ipmi");
    expect(getHardwareType("nope")).toBeUndefined();
  });

  it("matches Ironic's fake-hardware defaults and enabled lists", () => {
    const detail = driverDetail("fake-hardware") as Record<string, unknown>;
    for (const [key, value] of Object.entries(sample)) {
      // Deliberate extension: fake and external storage are enabled for boot from volume (default stays noop).
      if (key === "enabled_storage_interfaces") expect(detail[key], key).toEqual([...(value as string[]), "fake", "external"]);
      else if (key.startsWith("default_") || key.startsWith("enabled_")) expect(detail[key], key).toEqual(value);
    }
    expect(detail.default_firmware_interface).toBe("fake");
    expect(detail.enabled_firmware_interfaces).toEqual(["fake", "no-firmware"]);
  });

  it("resolves null interface fields to defaults", () => {
    const r = resolveInterfaces({ driver: "fake-hardware", biosInterface: "no-bios", powerInterface: null });
    expect(r.bios).toBe("no-bios");
    expect(r.power).toBe("fake");
    expect(r.network).toBe("noop");
    expect(interfacesFor({ driver: "fake-hardware", biosInterface: "no-bios" }).bios.name).toBe("no-bios");
  });

  it("rejects unknown or unsupported interface values with Ironic's wording", () => {
    expect(() => checkInterfaceValue("fake-hardware", "power", "fake")).not.toThrow();
    expect(() => checkInterfaceValue("fake-hardware", "power", "foo")).toThrow(
      "Could not find the following interface in the 'ironic.hardware.interfaces.power' entrypoint: foo. Valid interfaces are ['fake'].",
    );
    expect(() => checkInterfaceValue("fake-hardware", "network", "flat")).toThrow(/Valid interfaces are \['noop'\]/);
    expect(() => checkInterfaceValue("nope", "power", "fake")).toThrow(/No conductor service registered which supports driver nope/);
  });

  it("reports driver properties like Ironic's fake-hardware", () => {
    expect(driverProperties("fake-hardware")).toEqual({ B1: "B1 description. Required.", B2: "B2 description. Required." });
  });
});
