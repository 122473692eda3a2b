import { describe, expect, it } from "vitest";
import { emptyForm, interfaceChoices, needOf, nodeBody, parseKeyValueLines, parseMacs } from "./enroll.ts";

describe("enroll form from a hardware type's properties", () => {
  it("reads Ironic's Required / Optional / Required only if wording", () => {
    expect(needOf("IP address or hostname of the node's BMC. Required.")).toBe("required");
    expect(needOf("B1 description. Required.")).toBe("required");
    expect(needOf("Required. The URL of the BMC")).toBe("required");
    expect(needOf('transit channel for bridged request. Required only if ipmi_bridging is set to "dual".')).toBe("conditional");
    expect(needOf("username; default is NULL user. Optional.")).toBe("optional");
    // Needed in some cases only (rescue, or no server-wide default): enrolling without it is allowed.
    expect(needOf("URL or absolute local path of the rescue kernel. Required for rescue mode.")).toBe("conditional");
    expect(needOf("Path of the deployment kernel. Required unless the setting INGOT_DEPLOY_KERNEL gives one.")).toBe("conditional");
    expect(needOf("Multiplier of every duration. Optional, default 1.")).toBe("optional");
    // "required" inside other words or sentences is not a requirement.
    expect(needOf("Whether a reboot is required after the change. Optional.")).toBe("optional");
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
