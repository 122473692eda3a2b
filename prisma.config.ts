import "dotenv/config";
import { defineConfig } from "prisma/config";

// For `prisma validate` (in `npm run lint`). The core reads the database through lib/core/db/sql.ts,
// not a generated client; migrations are applied by lib/db/migrate.ts.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations/sqlite" },
});
