// redfish driver_info validation (Ironic's wording), defaults, masking and driver properties.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setConfig } from "../../config.ts";
import { maskSecrets } from "../../secrets.ts";
import { driverDetail, driverProperties } from "../registry.ts";
import { parseRedfishDriverInfo, REDFISH_PROPERTIES } from "./driver_info.ts";

const UUID = "1be26c0b-03f2-4d2e-ae87-c02d7f33c123";
const parse = (driverInfo: Record<string, unknown>) => parseRedfishDriverInfo({ uuid: UUID, driverInfo });
const msg = (driverInfo: Record<string, unknown>) => {
  try {
    parse(driverInfo);
  } catch (err) {
    return (err as Error).message;
  }
  return null;
};

beforeAll(() => setConfig({ enabledHardwareTypes: ["fake-hardware", "redfish"] }));
afterAll(() => setConfig());

describe("redfish driver_info", () => {
  it("applies Ironic's defaults: https, /redfish/v1/, verify on, auth auto", () => {
    expect(parse({ redfish_address: "10.0.0.5", redfish_username: "root", redfish_password: "calvin" })).toMatchObject({
      address: "https://10.0.0.5", rootPrefix: "/redfish/v1/", systemId: null, username: "root", password: "calvin",
      verifyCa: true, authType: "auto", timeoutSeconds: 60, connectionAttempts: 5, retryIntervalSeconds: 4,
    });
    expect(parse({ redfish_address: "http://bmc.example.com:8000/custom/root", redfish_system_id: "/redfish/v1/Systems/System.Embedded.1", redfish_verify_ca: "False", redfish_auth_type: "basic" }))
      .toMatchObject({ address: "http://bmc.example.com:8000", rootPrefix: "/custom/root/", systemId: "/redfish/v1/Systems/System.Embedded.1", verifyCa: false, authType: "basic" });
    expect(parse({ redfish_address: "[fe80::1]:8443" }).address).toBe("https://[fe80::1]:8443");
    expect(parse({ redfish_address: "10.0.0.5", redfish_verify_ca: "/etc/hostname" }).verifyCa).toBe("/etc/hostname");
    expect(parse({ redfish_address: "10.0.0.5", redfish_timeout: "2.5", redfish_connection_attempts: 2, redfish_connection_retry_interval: 0 }))
      .toMatchObject({ timeoutSeconds: 2.5, connectionAttempts: 2, retryIntervalSeconds: 0 });
  });

  it("says what is wrong, in Ironic's words", () => {
    expect(msg({})).toBe(`Missing the following Redfish properties in node ${UUID} driver_info: ['redfish_address']`);
    expect(msg({ redfish_address: "https://" })).toBe(`Invalid Redfish address https:// set in driver_info/redfish_address on node ${UUID}`);
    expect(msg({ redfish_address: "ftp://10.0.0.5" })).toBe(`Invalid Redfish address ftp://10.0.0.5 set in driver_info/redfish_address on node ${UUID}: the scheme must be https or http`);
    expect(msg({ redfish_address: 42 })).toBe(`Invalid Redfish address 42 set in driver_info/redfish_address on node ${UUID}`);
    expect(msg({ redfish_address: "10.0.0.5", redfish_system_id: 7 })).toBe(
      `Invalid value "7" set in driver_info/redfish_system_id on node ${UUID}. The value should be a path (string) to the resource that the driver will interact with. For example: /redfish/v1/Systems/1`,
    );
    expect(msg({ redfish_address: "10.0.0.5", redfish_system_id: "/redfish/v1/Systems/%zz" })).toMatch(/^Invalid value "\/redfish\/v1\/Systems\/%zz" set in driver_info\/redfish_system_id/);
    expect(parse({ redfish_address: "10.0.0.5", redfish_system_id: "/redfish/v1/Systems/System Embedded".replace(" ", "%20") }).systemId).toBe("/redfish/v1/Systems/System%20Embedded");
    expect(msg({ redfish_address: "10.0.0.5", redfish_verify_ca: "maybe" })).toBe(
      `Invalid value type set in driver_info/redfish_verify_ca on node ${UUID}. The value should be a Boolean or the path to a file/directory, not "maybe"`,
    );
    expect(msg({ redfish_address: "10.0.0.5", redfish_verify_ca: 3 })).toMatch(/not "3"$/);
    expect(msg({ redfish_address: "10.0.0.5", redfish_auth_type: "digest" })).toBe(
      `Invalid value "digest" set in driver_info/redfish_auth_type on node ${UUID}. The value should be one of "basic", "session" or "auto".`,
    );
    expect(msg({ redfish_address: "10.0.0.5", redfish_timeout: 0 })).toBe('redfish_timeout "0" is not valid: expected a number from 0.1 to 600.');
    expect(msg({ redfish_address: "10.0.0.5", redfish_connection_attempts: 1.5 })).toBe('redfish_connection_attempts "1.5" is not valid: expected an integer from 1 to 20.');
  });

  it("masks the password", () => {
    expect(maskSecrets({ redfish_address: "10.0.0.5", redfish_username: "root", redfish_password: "calvin" })).toEqual({
      redfish_address: "10.0.0.5", redfish_username: "root", redfish_password: "******",
    });
  });

  it("lists the driver properties and default interfaces of the redfish hardware type", () => {
    const props = driverProperties("redfish");
    for (const key of Object.keys(REDFISH_PROPERTIES)) expect(props[key]).toBeTruthy();
    expect(props.redfish_address).toMatch(/Required\.$/);
    expect(props.deploy_iso).toBeTruthy();
    expect(driverDetail("redfish")).toMatchObject({
      default_power_interface: "redfish", default_management_interface: "redfish", default_bios_interface: "redfish",
      default_inspect_interface: "redfish", default_boot_interface: "redfish-virtual-media", default_deploy_interface: "ramdisk",
      default_console_interface: "no-console", enabled_bios_interfaces: ["redfish", "no-bios"],
    });
  });
});
