// Prisma 6.19.3 config for writing migration SQL only (scripts/db-diff.mjs).
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: process.env.P6_SCHEMA,
  async adapter() {
    return process.env.P6_PROVIDER === "postgresql"
      ? new PrismaPg({ connectionString: process.env.P6_PG_URL })
      : new PrismaBetterSqlite3({ url: ":memory:" });
  },
};
