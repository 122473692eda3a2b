import { describe, expect, it } from "vitest";
import { IPMI_PROPERTIES } from "@/lib/core/drivers/ipmi/driver_info.ts";
import { driverFields, emptyForm, formErrors, interfaceChoices, needOf, nodeBody, parseKeyValueLines, parseMacs } from "./enroll.ts";

describe("enroll form from a hardware type's properties", () => {
  it("reads Ironic's Required / Optional / Required only if wording", () => {
    expect(needOf("IP address or hostname of the node's BMC. Required.")).toBe("required");
    expect(needOf("B1 description. Required.")).toBe("required");
    expect(needOf("Required. The URL of the BMC")).toBe("required");
    expect(needOf('transit channel for bridged request. Required only if ipmi_bridging is set to "dual".')).toBe("conditional");
    expect(needOf("username; default is NULL user. Optional.")).toBe("optional");
    expect(needOf("Multiplier of every duration. Optional, default 1.")).toBe("optional");
    // "required" inside other words or sentences is not a requirement.
    expect(needOf("Whether a reboot is required after the change. Optional.")).toBe("optional");
  });

  it("puts the ipmi hardware type's required fields first, keeps the driver's order, masks passwords and keys", () => {
    const fields = driverFields(IPMI_PROPERTIES);
    expect(fields[0]).toMatchObject({ name: "ipmi_address", need: "required", secret: false, help: "IP address or hostname of the node's BMC." });
    expect(fields.filter((f) => f.need === "required").map((f) => f.name)).toEqual(["ipmi_address"]);
    const names = fields.map((f) => f.name);
    // the driver's order among the optional ones; conditional (bridging) fields last
    expect(names.slice(1, 4)).toEqual(["ipmi_port", "ipmi_username", "ipmi_password"]);
    expect(names.slice(-4).every((n) => fields.find((f) => f.name === n)!.need === "conditional")).toBe(true);
    expect(fields.filter((f) => f.secret).map((f) => f.name).sort()).toEqual(["ipmi_hex_kg_key", "ipmi_password"]);
    expect(fields.find((f) => f.name === "ipmi_username")!.help).toBe("username; default is NULL user.");
  });

  it("offers interface choices only where the hardware type has several", () => {
    const detail = {
      default_power_interface: "ipmitool", enabled_power_interfaces: ["ipmitool"],
      default_network_interface: "noop", enabled_network_interfaces: ["noop", "flat"],
      default_console_interface: "no-console", enabled_console_interfaces: null,
    };
    expect(interfaceChoices(detail)).toEqual([{ kind: "network", defaultName: "noop", options: ["noop", "flat"] }]);
  });

  it("builds the node body from what was filled in; secrets exactly as typed", () => {
    const form = {
      ...emptyForm("ipmi"), name: " r1-node ", resourceClass: "baremetal.large", owner: "p1",
      driverInfo: { ipmi_address: " 10.0.0.5 ", ipmi_password: " s3cret ", ipmi_username: "", ipmi_port: "6230" },
      extraDriverInfo: "ipmi_timeout=3\n# a comment\n\nipmi_port=1",
      interfaces: { network: "flat", boot: "" },
    };
    expect(nodeBody(form)).toEqual({
      driver: "ipmi", name: "r1-node", resource_class: "baremetal.large", owner: "p1",
      // the field above wins over the same key in the extra lines (formErrors reports it, too)
      driver_info: { ipmi_address: "10.0.0.5", ipmi_password: " s3cret ", ipmi_port: "6230", ipmi_timeout: "3" },
      network_interface: "flat",
    });
    expect(nodeBody(emptyForm("fake-hardware"))).toEqual({ driver: "fake-hardware" });
  });

  it("checks the cheap things: a hardware type, required fields, key=value lines, MAC addresses", () => {
    const fields = driverFields(IPMI_PROPERTIES);
    expect(formErrors(emptyForm(), [])).toEqual({ driver: "Choose a hardware type." });
    const form = { ...emptyForm("ipmi"), extraDriverInfo: "novalue\nipmi_port=1", driverInfo: { ipmi_port: "623" }, macs: "52:54:00:aa:bb:cc zz:zz" };
    const errors = formErrors(form, fields);
    expect(errors["driver_info.ipmi_address"]).toBe("ipmi_address is required by the ipmi hardware type.");
    expect(errors.extraDriverInfo).toBe("ipmi_port is already set in the field above.");
    expect(errors.macs).toMatch(/^Not a MAC address: zz:zz/);
    expect(formErrors({ ...emptyForm("ipmi"), driverInfo: { ipmi_address: "10.0.0.5" } }, fields)).toEqual({});
  });

  it("parses key=value lines and never repeats a secret-looking line in an error", () => {
    expect(parseKeyValueLines("a=1\n b = x=y \n")).toEqual({ pairs: [["a", "1"], ["b", "x=y"]], errors: [] });
    expect(parseKeyValueLines("mypassword\n=v").errors).toEqual(['Line 1: expected key=value, got "******"', 'Line 2: expected key=value, got "=v"']);
  });

  it("normalizes MAC addresses and drops duplicates", () => {
    expect(parseMacs("52:54:00:AA:BB:CC, 52-54-00-aa-bb-cd\n52:54:00:aa:bb:cc")).toEqual({ macs: ["52:54:00:aa:bb:cc", "52:54:00:aa:bb:cd"], invalid: [] });
    expect(parseMacs("52:54:00:aa:bb 52:54:00:aa-bb:cc").invalid).toEqual(["52:54:00:aa:bb", "52:54:00:aa-bb:cc"]);
    expect(parseMacs("  ")).toEqual({ macs: [], invalid: [] });
  });
});
