// No import circles in lib/, app/ or components/ (import_cycles.ts says how they are found).
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { importCycles, importGraph } from "./import_cycles.ts";

const REPO = fileURLToPath(new URL("../..", import.meta.url));

let graph: Map<string, string[]>;
beforeAll(() => {
  graph = importGraph();
});

describe("import circles", () => {
  it("finds a circle, a self-import and nothing else in a small graph", () => {
    const small = new Map([
      ["/r/a.ts", ["/r/b.ts", "/r/d.ts"]],
      ["/r/b.ts", ["/r/c.ts"]],
      ["/r/c.ts", ["/r/a.ts"]],
      ["/r/d.ts", ["/r/d.ts", "/outside.ts"]],
      ["/r/e.ts", ["/r/a.ts"]],
    ]);
    expect(importCycles(small).map((c) => c.map((f) => f.replace(/^.*\//, "")))).toEqual([["a.ts", "b.ts", "c.ts"], ["d.ts"]]);
  });

  it("reads imports of every kind", () => {
    const imports = (file: string) => (graph.get(join(REPO, file)) ?? []).map((f) => relative(REPO, f));
    // import type, a re-export, and the `@/` alias of a component.
    expect(imports("lib/core/console/sessions.ts")).toContain("lib/core/console/types.ts");
    expect(imports("lib/core/drivers/registry.ts")).toContain("lib/core/drivers/catalog.ts");
    expect(imports("components/node/NodePage.tsx")).toContain("components/format.ts");
    // await import()
    expect(imports("lib/server/server.ts")).toContain("lib/core/conductor/index.ts");
  });

  it("there are none among the sources", () => {
    expect(importCycles(graph)).toEqual([]);
  });
});
