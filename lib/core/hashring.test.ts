import { describe, expect, it } from "vitest";
import { HashRing, HASH_PARTITIONS, ringLookup, type ConductorInfo } from "./hashring.ts";

describe("hash ring", () => {
  it("is stable and spreads keys over hosts", () => {
    const ring = new HashRing(["a", "b", "c"]);
    expect(ring.size).toBe(3 * HASH_PARTITIONS);
    for (let i = 0; i < 50; i++) expect(new HashRing(["c", "a", "b"]).hostFor(`node-${i}`)).toBe(ring.hostFor(`node-${i}`));
    const many: Record<string, number> = {};
    for (let i = 0; i < 3000; i++) many[ring.hostFor(`node-${i}`)!] = (many[ring.hostFor(`node-${i}`)!] ?? 0) + 1;
    for (const h of ["a", "b", "c"]) expect(many[h]).toBeGreaterThan(500);
  });

  it("moves only the removed host's keys", () => {
    const full = new HashRing(["a", "b", "c"]);
    const less = new HashRing(["a", "b"]);
    for (let i = 0; i < 500; i++) {
      const before = full.hostFor(`k${i}`);
      if (before !== "c") expect(less.hostFor(`k${i}`)).toBe(before);
    }
    expect(new HashRing([]).hostFor("x")).toBeNull();
  });

  it("maps by conductor group and driver over alive conductors", () => {
    const base = { id: 1, online: true, rpcUrl: null, createdAt: new Date(), updatedAt: new Date() };
    const conductors: ConductorInfo[] = [
      { ...base, hostname: "h1", conductorGroup: "", drivers: ["fake-hardware"], alive: true },
      { ...base, hostname: "h2", conductorGroup: "rack", drivers: ["fake-hardware"], alive: true },
      { ...base, hostname: "h3", conductorGroup: "rack", drivers: ["fake-hardware"], alive: false },
    ];
    const lookup = ringLookup(conductors);
    expect(lookup({ uuid: "u1", driver: "fake-hardware", conductorGroup: "" })).toBe("h1");
    expect(lookup({ uuid: "u1", driver: "fake-hardware", conductorGroup: "RACK" })).toBe("h2");
    expect(lookup({ uuid: "u1", driver: "ipmi", conductorGroup: "" })).toBeNull();
  });
});
