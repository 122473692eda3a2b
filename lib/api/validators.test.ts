import { describe, expect, it } from "vitest";
import {
  isUuidLike, isValidLogicalName, normalizeMac, validateConductorGroup, validateNodeName, validateTrait, validateTraits, validateUuid,
} from "./validators.ts";

describe("validators", () => {
  it("isUuidLike", () => {
    expect(isUuidLike("1be26c0b-03f2-4d2e-ae87-c02d7f33c123")).toBe(true);
    expect(isUuidLike("1BE26C0B03F24D2EAE87C02D7F33C123")).toBe(true);
    expect(isUuidLike("{1be26c0b-03f2-4d2e-ae87-c02d7f33c123}")).toBe(true);
    expect(isUuidLike("node-1")).toBe(false);
    expect(isUuidLike(5)).toBe(false);
    expect(validateUuid("1BE26C0B-03f2-4d2e-ae87-c02d7f33c123")).toBe("1be26c0b-03f2-4d2e-ae87-c02d7f33c123");
    expect(() => validateUuid("xyz", "marker")).toThrow("Expected UUID for marker: xyz");
  });
  it("node names", () => {
    expect(validateNodeName("node-1.a_b~c", 82)).toBe("node-1.a_b~c");
    expect(validateNodeName(null, 82)).toBeNull();
    expect(() => validateNodeName("a b", 82)).toThrow("Cannot create node with invalid name 'a b'");
    expect(() => validateNodeName("1be26c0b-03f2-4d2e-ae87-c02d7f33c123", 82)).toThrow("invalid name");
    expect(() => validateNodeName("detail", 82)).toThrow('The word "detail" is reserved and can not be used as a node name.');
    expect(() => validateNodeName("x".repeat(256), 82)).toThrow();
    expect(() => validateNodeName(5, 82)).toThrow("is not of type 'string', 'null'");
    // hostname rules before 1.10
    expect(isValidLogicalName("a_b", 9)).toBe(false);
    expect(isValidLogicalName("host.example.com", 9)).toBe(true);
    expect(isValidLogicalName("a_b", 10)).toBe(true);
  });
  it("traits", () => {
    expect(validateTrait("CUSTOM_GPU_1")).toBe("CUSTOM_GPU_1");
    expect(validateTrait("HW_CPU_X86_VMX")).toBe("HW_CPU_X86_VMX");
    expect(() => validateTrait("CUSTOM_a")).toThrow(
      "Schema error for trait: 'CUSTOM_a' is not valid under any of the given schemas. Possible root cause: 'CUSTOM_a' does not match '^CUSTOM_[A-Z0-9_]+$'",
    );
    expect(() => validateTrait("bad")).toThrow();
    expect(() => validateTrait("FOO_BAR")).toThrow();
    expect(() => validateTrait(`CUSTOM_${"A".repeat(250)}`)).toThrow();
    expect(validateTraits(["CUSTOM_A", "CUSTOM_A", "CUSTOM_B"])).toEqual(["CUSTOM_A", "CUSTOM_B"]);
    expect(() => validateTraits("x")).toThrow("Schema error for body: 'x' is not of type 'array'");
    expect(() => validateTraits(Array.from({ length: 51 }, (_, i) => `CUSTOM_${i}`))).toThrow("too many traits");
  });
  it("MAC addresses", () => {
    expect(normalizeMac("52:54:00:AB:CD:EF")).toBe("52:54:00:ab:cd:ef");
    expect(normalizeMac("52-54-00-ab-cd-ef")).toBe("52:54:00:ab:cd:ef");
    expect(normalizeMac("525400abcdef")).toBe("52:54:00:ab:cd:ef");
    expect(() => normalizeMac("zz")).toThrow("Expected a MAC address but received zz.");
    expect(() => normalizeMac("52:54:00:ab:cd")).toThrow();
    expect(() => normalizeMac(null)).toThrow();
  });
  it("conductor groups", () => {
    expect(validateConductorGroup("Rack-1.A_b")).toBe("rack-1.a_b");
    expect(validateConductorGroup(null)).toBe("");
    expect(() => validateConductorGroup("a b")).toThrow("Invalid conductor group");
    expect(() => validateConductorGroup("x".repeat(256))).toThrow();
    expect(() => validateConductorGroup(5)).toThrow();
  });
});
