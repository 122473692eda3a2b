import { describe, expect, it } from "vitest";
import { ApiError } from "./api.ts";
import { errorText, isRedacted, isRedactedDict, isStale, lockHolder } from "./node.ts";

describe("node page client helpers", () => {
  it("recognises what the API redacts", () => {
    expect(isRedacted("** Redacted - requires baremetal:node:get:reservation permission. **")).toBe(true);
    expect(isRedacted("** Value Redacted - Requires baremetal:node:get:last_error permission. **")).toBe(true);
    expect(isRedacted("conductor-1")).toBe(false);
    expect(isRedactedDict({ content: "** Redacted - requires baremetal:node:get:driver_info permission. **" })).toBe(true);
    expect(isRedactedDict({ content: "x", other: 1 })).toBe(false);
    expect(lockHolder({ reservation: "** Redacted - requires baremetal:node:get:reservation permission. **" })).toBeNull();
    expect(lockHolder({ reservation: "c1" })).toBe("c1");
  });

  it("a stale ETag reads as a change by someone else; other errors keep the API's words", () => {
    expect(isStale(new ApiError(412, "Node x has changed"))).toBe(true);
    expect(errorText(new ApiError(412, "Node x has changed"))).toMatch(/changed by someone else/);
    expect(errorText(new ApiError(400, "Invalid name"))).toBe("Invalid name");
  });
});
