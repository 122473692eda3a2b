// Contract: the enroll dialog builds its form from what GET /v1/drivers/{name}/properties answers
// (here the ipmi hardware type's own properties). Tests under tests/contract/ may import both sides.
import { describe, expect, it } from "vitest";
import { driverFields, emptyForm, formErrors } from "@/components/fleet/enroll.ts";
import { IPMI_PROPERTIES } from "@/lib/core/drivers/ipmi/driver_info.ts";

describe("enroll form from the ipmi hardware type's properties", () => {
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
});
