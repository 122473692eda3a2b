// Generates the Prisma clients (SQLite and PostgreSQL) without the schema-engine download,
// which is blocked here: generate only needs the bundled wasm.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, existsSync } from "node:fs";

const cli = "node_modules/prisma/build/index.js";
if (!existsSync(cli) || !existsSync("prisma/schema.prisma")) process.exit(0);
const env = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false", PRISMA_HIDE_UPDATE_MESSAGE: "1" };
execFileSync(process.execPath, [cli, "generate", "--schema", "prisma/schema.prisma"], { env, stdio: "inherit" });

const pgSchema = readFileSync("prisma/schema.prisma", "utf8")
  .replace(/provider\s*=\s*"sqlite"/, 'provider = "postgresql"')
  .replace(/output\s*=\s*"[^"]*"/, 'output   = "../../lib/generated/prisma-pg"');
mkdirSync("prisma/.postgres", { recursive: true });
writeFileSync("prisma/.postgres/schema.prisma", pgSchema);
execFileSync(process.execPath, [cli, "generate", "--schema", "prisma/.postgres/schema.prisma"], { env, stdio: "inherit" });
