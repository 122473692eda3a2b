// Compiles the server (lib/server/main.ts and everything it imports from lib/) into one ES module
// at .next/ingot/server.mjs, so production runs on plain node: running TypeScript through tsx's
// loader costs a second V8 isolate (about 35 MB resident) and transpiling at every start.
// Packages stay external and resolve from node_modules as usual.
import { build } from "esbuild";

await build({
  entryPoints: ["lib/server/main.ts"],
  outfile: ".next/ingot/server.mjs",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  sourcemap: true,
  logLevel: "warning",
  // Some dependencies still call require(); give ESM output one.
  banner: { js: 'import { createRequire as __ingotCreateRequire } from "node:module"; const require = __ingotCreateRequire(import.meta.url);' },
});
