import { describe, expect, it } from "vitest";
import { MAX_MINOR, parseVersion, requestedMinor } from "./version.ts";

const h = (init: Record<string, string>) => new Headers(init);

describe("microversion negotiation", () => {
  it("defaults to 1.1 without a header", () => {
    expect(requestedMinor(h({}))).toBe(1);
  });
  it("reads the legacy header", () => {
    expect(requestedMinor(h({ "X-OpenStack-Ironic-API-Version": "1.31" }))).toBe(31);
  });
  it("prefers OpenStack-API-Version: baremetal", () => {
    expect(requestedMinor(h({ "OpenStack-API-Version": "baremetal 1.40", "X-OpenStack-Ironic-API-Version": "1.31" }))).toBe(40);
  });
  it("ignores other services in OpenStack-API-Version", () => {
    expect(requestedMinor(h({ "OpenStack-API-Version": "compute 2.1", "X-OpenStack-Ironic-API-Version": "1.9" }))).toBe(9);
  });
  it("maps latest (any case) to the maximum", () => {
    expect(parseVersion("latest")).toBe(MAX_MINOR);
    expect(parseVersion("LATEST")).toBe(MAX_MINOR);
  });
  it.each([
    ["1.0", /minor version is not supported/],
    [`1.${MAX_MINOR + 1}`, /minor version is not supported.*\[1\.1, 1\.\d+\]/],
    ["2.1", /Mutually exclusive versions/],
    ["abc", /Invalid value for X-OpenStack-Ironic-API-Version/],
    ["1.", /Invalid value/],
  ])("rejects %s with 406", (raw, message) => {
    try {
      parseVersion(raw);
      expect.unreachable();
    } catch (err) {
      expect((err as { status: number }).status).toBe(406);
      expect((err as Error).message).toMatch(message);
    }
  });
  it("supports at least 1.82", () => {
    expect(MAX_MINOR).toBeGreaterThanOrEqual(82);
  });
});
