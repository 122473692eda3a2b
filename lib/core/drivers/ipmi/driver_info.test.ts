// ipmi driver_info validation, properties, masking and the ipmitool invocation (no BMC needed).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setConfig } from "../../config.ts";
import { maskSecrets } from "../../secrets.ts";
import { driverDetail, driverProperties } from "../registry.ts";
import { IPMI_PROPERTIES, parseIpmiDriverInfo } from "./driver_info.ts";
import { classifyFailure, ipmitoolInvocation } from "./ipmitool.ts";

const UUID = "1be26c0b-03f2-4d2e-ae87-c02d7f33c123";
const parse = (driverInfo: Record<string, unknown>, driverInternalInfo: Record<string, unknown> = {}) =>
  parseIpmiDriverInfo({ uuid: UUID, driverInfo, driverInternalInfo });
const msg = (driverInfo: Record<string, unknown>) => {
  try {
    parse(driverInfo);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
};
const base = { ipmi_address: "10.0.0.5" };

beforeAll(() => setConfig({ enabledHardwareTypes: ["fake-hardware", "ipmi"] }));
afterAll(() => setConfig());

describe("ipmi driver_info", () => {
  it("applies Ironic's defaults", () => {
    expect(parse({ ...base, ipmi_username: "root", ipmi_password: "calvin" })).toMatchObject({
      address: "10.0.0.5", port: 623, username: "root", password: "calvin", privLevel: "ADMINISTRATOR",
      protocolVersion: "2.0", bridging: "no", hexKgKey: null, cipherSuite: null, forceBootDevice: false,
      disableBootTimeout: true, terminalPort: null, timeoutSeconds: 10, retries: 2,
    });
    expect(parse({ ipmi_address: "[fe80::1]" }).address).toBe("fe80::1");
    expect(parse({ ipmi_address: "bmc-7.rack2.example.com", ipmi_port: "6230", ipmi_force_boot_device: "True" })).toMatchObject({
      port: 6230, forceBootDevice: true,
    });
  });

  it("says what is wrong, in Ironic's words where Ironic has them", () => {
    expect(msg({})).toBe("Missing the following IPMI credentials in node's driver_info: ['ipmi_address'].");
    expect(msg({ ipmi_address: "bad host!" })).toBe(`Invalid IPMI address "bad host!" for node ${UUID}. Must be a valid IP address or hostname.`);
    expect(msg({ ...base, ipmi_port: 70000 })).toBe('ipmi_port "70000" is not a valid port.');
    expect(msg({ ...base, ipmi_port: "abc" })).toBe('ipmi_port "abc" is not a valid port.');
    expect(msg({ ...base, ipmi_terminal_port: 0 })).toBe('ipmi_terminal_port "0" is not a valid port.');
    expect(msg({ ...base, ipmi_priv_level: "ROOT" })).toBe(
      "Invalid privilege level value:ROOT, the valid value can be one of ADMINISTRATOR, CALLBACK, OPERATOR, USER",
    );
    expect(msg({ ...base, ipmi_protocol_version: "3.0" })).toBe(
      "Invalid IPMI protocol version value 3.0, the valid value can be one of 2.0, 1.5",
    );
    expect(msg({ ...base, ipmi_bridging: "triple" })).toBe(
      "Invalid value for ipmi_bridging: triple, the valid value can be one of: ['single', 'dual', 'no']",
    );
    expect(msg({ ...base, ipmi_bridging: "dual", ipmi_target_channel: 7 })).toBe(
      "['ipmi_target_address', 'ipmi_transit_channel', 'ipmi_transit_address'] not provided",
    );
    expect(msg({ ...base, ipmi_bridging: "single", ipmi_target_channel: 7, ipmi_target_address: "0x1ff" })).toMatch(
      /^ipmi_target_address "0x1ff" is not valid/,
    );
    expect(msg({ ...base, ipmi_hex_kg_key: "abc" })).toBe("Number of ipmi_hex_kg_key characters is not even");
    expect(msg({ ...base, ipmi_hex_kg_key: "zz" })).toMatch(/only hexadecimal digits/);
    expect(msg({ ...base, ipmi_cipher_suite: "seventeen" })).toBe("Invalid cipher suite seventeen, expected a number");
    expect(msg({ ...base, ipmi_cipher_suite: 3, ipmi_protocol_version: "1.5" })).toBe("Cipher suites cannot be used with IPMI 1.5");
    expect(msg({ ...base, ipmi_force_boot_device: "maybe" })).toBe('ipmi_force_boot_device must be a boolean (true or false), got "maybe".');
    expect(msg({ ...base, ipmi_username: "a-very-long-user-name" })).toMatch(/at most 16 bytes/);
    expect(msg({ ...base, ipmi_password: "x".repeat(21) })).toMatch(/IPMI 2.0 passwords have at most 20 bytes/);
    expect(msg({ ...base, ipmi_timeout: 0 })).toBe('ipmi_timeout "0" is not valid: expected a number from 1 to 300.');
    expect(msg({ ...base, ipmi_retries: 1.5 })).toBe('ipmi_retries "1.5" is not valid: expected an integer from 0 to 10.');
  });

  it("accepts complete bridging settings", () => {
    expect(parse({
      ...base, ipmi_bridging: "dual", ipmi_target_channel: 7, ipmi_target_address: "0x72", ipmi_transit_channel: "0",
      ipmi_transit_address: "0x82", ipmi_local_address: "0x20",
    })).toMatchObject({ bridging: "dual", targetChannel: "7", targetAddress: "0x72", transitChannel: "0", transitAddress: "0x82", localAddress: "0x20" });
    // With "no", the bridging fields are ignored (as in Ironic).
    expect(parse({ ...base, ipmi_target_channel: "junk" }).targetChannel).toBeNull();
  });

  it("masks the password and the Kg key", () => {
    const shown = maskSecrets({ ...base, ipmi_username: "root", ipmi_password: "calvin", ipmi_hex_kg_key: "0102" });
    expect(shown).toEqual({ ...base, ipmi_username: "root", ipmi_password: "******", ipmi_hex_kg_key: "******" });
  });

  it("lists the driver properties and interfaces of the ipmi hardware type", () => {
    const props = driverProperties("ipmi");
    for (const key of Object.keys(IPMI_PROPERTIES)) expect(props[key]).toBeTruthy();
    expect(props.ipmi_address).toBe("IP address or hostname of the node's BMC. Required.");
    const detail = driverDetail("ipmi");
    expect(detail).toMatchObject({
      default_power_interface: "ipmitool", default_management_interface: "ipmitool", default_boot_interface: "ipxe",
      default_deploy_interface: "ramdisk", default_console_interface: "no-console", default_network_interface: "noop",
    });
    expect(detail.enabled_boot_interfaces).toEqual(["ipxe", "external-pxe"]);
  });
});

describe("ipmitool invocation", () => {
  it("never puts the password on the command line", () => {
    const { args, env } = ipmitoolInvocation(parse({ ...base, ipmi_username: "root", ipmi_password: "calvin", ipmi_port: 6230, ipmi_cipher_suite: 17 }));
    expect(args.join(" ")).not.toContain("calvin");
    expect(args).toEqual(expect.arrayContaining(["-I", "lanplus", "-H", "10.0.0.5", "-p", "6230", "-U", "root", "-E", "-C", "17", "-L", "ADMINISTRATOR"]));
    expect(env.IPMI_PASSWORD).toBe("calvin");
    expect(ipmitoolInvocation(parse({ ...base, ipmi_protocol_version: "1.5" })).args.slice(0, 2)).toEqual(["-I", "lan"]);
  });

  it("passes a printable Kg key through the environment, others with -y", () => {
    const printable = ipmitoolInvocation(parse({ ...base, ipmi_hex_kg_key: Buffer.from("kgkey").toString("hex") }));
    expect(printable.args).toContain("-K");
    expect(printable.env.IPMI_KGKEY).toBe("kgkey");
    const binary = ipmitoolInvocation(parse({ ...base, ipmi_hex_kg_key: "00ff" }));
    expect(binary.args).toEqual(expect.arrayContaining(["-y", "00ff"]));
  });

  it("bridges with -m/-b/-t/-B/-T", () => {
    const { args } = ipmitoolInvocation(parse({
      ...base, ipmi_bridging: "dual", ipmi_target_channel: 7, ipmi_target_address: "0x72", ipmi_transit_channel: 0,
      ipmi_transit_address: "0x82", ipmi_local_address: "0x20",
    }));
    expect(args.join(" ")).toContain("-m 0x20 -B 0 -T 0x82 -b 7 -t 0x72");
  });

  it("turns real BMC answers into readable errors", () => {
    const info = parse({ ...base, ipmi_username: "root" });
    const fail = (stderr: string, timedOut = false) => classifyFailure(info, "power status", { stdout: "", stderr, timedOut, code: 1, seconds: 0.1 });
    expect(fail("> RAKP 2 message indicates an error : unauthorized name\nError: Unable to establish IPMI v2 / RMCP+ session")).toMatchObject({
      kind: "auth", message: expect.stringMatching(/^IPMI authentication failed for 10\.0\.0\.5: check ipmi_username \/ ipmi_password/),
    });
    expect(fail("> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session").kind).toBe("auth");
    expect(fail("Error in open session response message : insufficient resources for session\nError: Unable to establish IPMI v2 / RMCP+ session"))
      .toMatchObject({ kind: "busy", retryable: true });
    expect(fail("Error in open session response message : no matching cipher suite").kind).toBe("cipher");
    expect(fail("Set Session Privilege Level to ADMINISTRATOR failed: Requested privilege level exceeds limit").kind).toBe("privilege");
    expect(fail("Get Auth Capabilities error\nError issuing Get Channel Authentication Capabilities request\nError: Unable to establish IPMI v2 / RMCP+ session"))
      .toMatchObject({ kind: "timeout", retryable: true, message: expect.stringMatching(/^IPMI timeout: the BMC 10\.0\.0\.5 did not answer "power status" within 10 s/) });
    expect(fail("", true).kind).toBe("timeout");
    expect(fail("Address lookup for bmc.invalid failed\nCould not open socket!").kind).toBe("resolve");
    expect(fail("Loading IANA PEN Registry...\nSet Chassis Power Control to Up/On failed: Invalid data field in request")).toMatchObject({
      kind: "command", message: 'IPMI command "power status" failed on BMC 10.0.0.5: Set Chassis Power Control to Up/On failed: Invalid data field in request',
    });
  });
});
