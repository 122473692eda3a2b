// Entry point: `tsx lib/server/main.ts` (NODE_ENV=production after `next build`).
import { serveForever } from "./server.ts";

await serveForever();
