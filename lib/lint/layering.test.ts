// The layering rule as eslint.config.mjs configures it: each layer of docs/design.md refuses what
// it must, lets through what it may, and the pending list can only shrink.
import { ESLint, type Linter } from "eslint";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The layering messages for `code` saved as `file`, linted with the repository's configuration. */
async function layering(file: string, code: string, overrideConfig?: Linter.Config): Promise<string[]> {
  const eslint = new ESLint({ cwd: root, overrideConfig });
  const [result] = await eslint.lintText(code, { filePath: resolve(root, file) });
  return result.messages.filter((m) => m.ruleId === "ingot/layering" || m.fatal).map((m) => m.message);
}

/** The repository's options for ingot/layering with `pending` in place of its pending list. */
async function withPending(pending: Record<string, string[]>): Promise<Linter.Config> {
  const config = await new ESLint({ cwd: root }).calculateConfigForFile(resolve(root, "components/x.tsx"));
  const [, options] = config.rules["ingot/layering"];
  return { files: ["**/*.{ts,tsx}"], rules: { "ingot/layering": ["error", { ...options, pending }] } };
}

describe("ingot/layering", () => {
  it("keeps lib/shared pure: no Node, no packages, nothing but lib/shared", async () => {
    expect(await layering("lib/shared/x.ts", `import { a } from "./states.ts";\nexport const b = a;\n`)).toEqual([]);
    const refused = await layering(
      "lib/shared/x.ts",
      `import { readFileSync } from "node:fs";\nimport { join } from "path";\nimport React from "react";\nimport { NotFound } from "../core/errors.ts";\nexport { readFileSync, join, React, NotFound };\n`,
    );
    expect(refused).toHaveLength(4);
    expect(refused[0]).toMatch(/lib\/shared\/x\.ts imports the package "node:fs": .*layer "shared"/);
    expect(refused[3]).toMatch(/imports lib\/core\/errors\.ts/);
  });

  it("keeps React, Next and the layers above out of the core", async () => {
    const refused = await layering(
      "lib/core/conductor/x.ts",
      `import { useState } from "react";\nimport { redirect } from "next/navigation";\nimport { json } from "../../api/http.ts";\nimport type { P } from "@/components/AppShell.tsx";\nexport { useState, redirect, json, type P };\n`,
    );
    expect(refused).toHaveLength(4);
    expect(refused.join("\n")).toMatch(/imports lib\/api\/http\.ts/);
    expect(refused.join("\n")).toMatch(/imports components\/AppShell\.tsx/);
    expect(await layering("lib/core/conductor/x.ts", `import { Invalid } from "../errors.ts";\nexport const e = Invalid;\n`)).toEqual([]);
  });

  it("keeps the dashboard out of the API, and the SQL client out of the API, the web side, app/ and components", async () => {
    expect(await layering("lib/api/v1/x.ts", `import { requireViewer } from "../../web/session.ts";\nexport const r = requireViewer;\n`))
      .toEqual([expect.stringMatching(/imports lib\/web\/session\.ts: .*layer "api"/)]);
    for (const [file, spec] of [["lib/api/v1/x.ts", "../../core/db/sql.ts"], ["lib/web/x.ts", "../core/db/sql"], ["app/x/page.tsx", "@/lib/core/db/sql.ts"]]) {
      expect(await layering(file, `export const db = await import("${spec}");\n`)).toContainEqual(expect.stringMatching(/imports lib\/core\/db\/sql\.ts: .*layer "sql"/));
    }
    expect(await layering("lib/core/x.ts", `import { sql } from "./db/sql.ts";\nexport const s = sql;\n`)).toEqual([]);
  });

  it("lets app/ and lib/web take only types from the core, the API and the server: the rest comes through webCore()", async () => {
    const allowed = [
      `import type { Principal } from "@/lib/core/policy.ts";`,
      `import { type Schema } from "../api/schema.ts";`,
      `import type { WebFacade } from "../server/web_facade.ts";`,
      `import { authorize } from "../shared/policy.ts";`,
      `import { webCore } from "./core.ts";`,
      `export type { NodeRecord } from "../core/db/nodes.ts";`,
    ];
    expect(await layering("lib/web/x.ts", `${allowed.join("\n")}\nexport const all = [authorize, webCore];\nexport type T = [Principal, Schema, WebFacade, import("../core/jobs.ts").JobRecord];\n`)).toEqual([]);
    const refused = await layering(
      "lib/web/x.ts",
      `import { visibleNode } from "../core/services/access.ts";\nimport { check, type Schema } from "../api/schema.ts";\nimport { PROJECT_COOKIE } from "../server/session_cookie.ts";\nexport { NotFound } from "../core/errors.ts";\nexport const all = [visibleNode, check, PROJECT_COOKIE];\nexport type S = Schema;\n`,
    );
    expect(refused).toHaveLength(4);
    expect(refused.every((m) => /imports values from lib\/(core|api|server)\/.*only `import type` may cross.*layer "dashboard"/.test(m))).toBe(true);
    expect(await layering("app/x/page.tsx", `import { nodeIfVisible } from "@/lib/core/services/access.ts";\nexport const n = nodeIfVisible;\n`))
      .toEqual([expect.stringMatching(/app\/x\/page\.tsx imports values from lib\/core\/services\/access\.ts/)]);
    expect(await layering("app/x/route.ts", `export const api = await import("@/lib/api/handler.ts");\n`)).toHaveLength(1);
    // The server side below them may import the core as it likes.
    expect(await layering("lib/server/x.ts", `import { visibleNode } from "../core/services/access.ts";\nexport const v = visibleNode;\n`)).toEqual([]);
  });

  it("lets browser code import lib/shared, lib/client, components, and from lib/web only server actions and types", async () => {
    const allowed = [
      `import { ProvisionState } from "@/lib/shared/states.ts";`,
      `import { api } from "@/lib/client/api.ts";`,
      `import { Badge } from "../Badge.tsx";`,
      `import { createUserAction } from "@/lib/web/admin-actions.ts";`,
      `import type { Viewer } from "@/lib/web/session.ts";`,
      `import { useState } from "react";`,
    ];
    expect(await layering("components/node/X.tsx", `${allowed.join("\n")}\nexport const all = [ProvisionState, api, Badge, createUserAction, useState];\nexport type V = Viewer;\n`)).toEqual([]);
    const refused = await layering(
      "components/node/X.tsx",
      `import { requireViewer } from "@/lib/web/session.ts";\nimport { authorize } from "../../lib/core/policy.ts";\nimport { routes } from "@/lib/api/v1/index.ts";\nexport { requireViewer, authorize, routes };\n`,
    );
    expect(refused).toHaveLength(3);
    expect(refused.every((m) => /layer "browser"/.test(m))).toBe(true);
    expect(await layering("lib/client/x.ts", `export type { NodeRecord } from "../core/db/nodes.ts";\nexport type P = import("../core/policy").Principal;\n`))
      .toEqual([expect.stringMatching(/imports lib\/core\/db\/nodes\.ts/), expect.stringMatching(/imports lib\/core\/policy\.ts/)]);
  });

  it("keeps test doubles out of production code but not out of tests, the benchmarks or e2e", async () => {
    const code = `import { api } from "../testing/api.ts";\nexport const t = api;\n`;
    expect(await layering("lib/server/x.ts", code)).toEqual([expect.stringMatching(/imports lib\/testing\/api\.ts: .*layer "testing"/)]);
    expect(await layering("lib/server/x.test.ts", code)).toEqual([]);
    expect(await layering("lib/bench/x.ts", code)).toEqual([]);
    expect(await layering("e2e/x.spec.ts", `import { api } from "../lib/testing/api.ts";\nexport const t = api;\n`)).toEqual([]);
  });

  it("exempts a pending file from its one layer, and reports it once it no longer crosses", async () => {
    const config = await withPending({ browser: ["components/node/X.tsx"] });
    const crossing = `import { authorize } from "@/lib/core/policy.ts";\nexport const a = authorize;\n`;
    expect(await layering("components/node/X.tsx", crossing, config)).toEqual([]);
    expect(await layering("components/node/Y.tsx", crossing, config)).toHaveLength(1);
    // Pending for "browser" only: the SQL client is still refused.
    expect(await layering("components/node/X.tsx", `${crossing}export { sql } from "@/lib/core/db/sql.ts";\n`, config))
      .toEqual([expect.stringMatching(/layer "sql"/)]);
    expect(await layering("components/node/X.tsx", `import { api } from "@/lib/client/api.ts";\nexport const a = api;\n`, config))
      .toEqual([expect.stringMatching(/components\/node\/X\.tsx no longer crosses layer "browser": remove it from pendingLayering/)]);
  });
});
