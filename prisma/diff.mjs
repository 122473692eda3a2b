// Writes the next migration for SQLite and PostgreSQL from the change between
// prisma/migrations/schema.snapshot.prisma and prisma/schema.prisma, using Prisma 6.19.3's
// wasm schema engine (prisma/prisma6; `npm ci --prefix prisma/prisma6` once).
// Usage: npm run db:diff -- <name>   (P6_PG_URL=postgresql://… for the PostgreSQL half;
//        without it only SQLite is written and the command says so)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:diff -- <name in snake_case>");
  process.exit(2);
}
const cli = resolve("prisma/prisma6/node_modules/prisma/build/index.js");
if (!existsSync(cli)) {
  console.error("Prisma 6 is missing: run `npm ci --prefix prisma/prisma6` first");
  process.exit(2);
}
const snapshot = "prisma/migrations/schema.snapshot.prisma";
const tmp = mkdtempSync(join(tmpdir(), "ingot-diff-"));

function prepared(source, provider, file) {
  // 6.x needs a url in the datasource and no generator; 7.x forbids the url.
  const text = existsSync(source) ? readFileSync(source, "utf8") : "";
  const body = text.replace(/generator\s+\w+\s*\{[^}]*\}/g, "").replace(/datasource\s+\w+\s*\{[^}]*\}/g, "");
  const url = provider === "sqlite" ? "file:./dummy.db" : "postgresql://dummy@localhost/dummy";
  const out = join(tmp, file);
  writeFileSync(out, `datasource db {\n  provider = "${provider}"\n  url = "${url}"\n}\n${body}`);
  return out;
}

const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
let wrote = 0;
for (const provider of ["sqlite", "postgresql"]) {
  if (provider === "postgresql" && !process.env.P6_PG_URL) {
    console.warn("P6_PG_URL is not set: skipping the PostgreSQL migration (set it to any reachable PostgreSQL)");
    continue;
  }
  const from = prepared(snapshot, provider, `from-${provider}.prisma`);
  const to = prepared("prisma/schema.prisma", provider, `to-${provider}.prisma`);
  const fromArgs = existsSync(snapshot) ? ["--from-schema-datamodel", from] : ["--from-empty"];
  const sql = execFileSync(
    process.execPath,
    [cli, "migrate", "diff", ...fromArgs, "--to-schema-datamodel", to, "--script", "--config", resolve("prisma/prisma6/prisma6.config.mjs")],
    {
      encoding: "utf8",
      env: {
        ...process.env, P6_PROVIDER: provider, P6_SCHEMA: to,
        PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", PRISMA_QUERY_ENGINE_LIBRARY: "/bin/false",
        NODE_PATH: resolve("node_modules"),
      },
    },
  );
  if (/This is an empty migration/.test(sql) || sql.trim() === "") {
    console.log(`${provider}: no changes`);
    continue;
  }
  const dir = join("prisma/migrations", provider, `${stamp}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "migration.sql"), sql);
  console.log(`wrote ${dir}/migration.sql`);
  wrote++;
}
if (wrote > 0) copyFileSync("prisma/schema.prisma", snapshot);
