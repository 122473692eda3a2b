// Contract: the fleet page writes its filters in GET /v1/fleet's own language, which the server's
// parser reads as is. Tests under tests/contract/ may import both sides.
import { describe, expect, it } from "vitest";
import { queryString, viewFromParams } from "@/lib/client/fleet.ts";
import { parseFleetQuery } from "@/lib/core/fleet.ts";

describe("fleet view in the URL", () => {
  it("the query part is the API's language, accepted by the core parser as is", () => {
    const view = viewFromParams(new URLSearchParams("-maintenance=true&trait=&q=x&page=2&cols=name"));
    const qs = queryString(view);
    expect(qs).toBe("maintenance!=true&trait=&q=x");
    expect(parseFleetQuery(new URLSearchParams(qs)).filters).toEqual([
      { field: "maintenance", values: ["true"], negate: true },
      { field: "trait", values: [""], negate: false },
    ]);
  });
});
