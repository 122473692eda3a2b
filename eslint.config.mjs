// `npm run lint` (a step of `npm test`): typescript-eslint's recommended rules, React's rules of
// hooks, and the import boundaries between the layers of docs/design.md as the local rule ingot/layering
// (lib/lint/layering.mjs).
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import ingot from "./lib/lint/layering.mjs";

const root = dirname(fileURLToPath(import.meta.url));

// What the dashboard's browser code may not carry, and what marks server-side rendering code.
const REACT_AND_NEXT = ["react", "react-dom", "next", "next-auth", "@tanstack/react-query"];

/** The layers, lowest first; each entry says what files under `files` may not import. */
const boundaries = [
  {
    name: "shared",
    files: ["lib/shared/"],
    allowPaths: ["lib/shared/"],
    allowModules: [],
    why: "lib/shared is pure vocabulary for server and browser: it imports only lib/shared, no package and no Node",
  },
  {
    name: "core",
    files: ["lib/core/", "lib/db/"],
    forbidPaths: ["lib/api/", "lib/server/", "lib/web/", "lib/client/", "lib/cli/", "lib/bench/", "app/", "components/"],
    forbidModules: REACT_AND_NEXT,
    why: "the core sits below the API, the servers and the dashboard and never imports React or Next",
  },
  {
    name: "api",
    files: ["lib/api/"],
    forbidPaths: ["lib/web/", "lib/client/", "app/", "components/"],
    forbidModules: REACT_AND_NEXT,
    why: "the Bare Metal API is plain Request → Response handlers over the core, below the dashboard",
  },
  {
    name: "server-side",
    files: ["lib/server/", "lib/web/"],
    forbidPaths: ["lib/client/", "app/", "components/"],
    why: "the servers and the dashboard's server side sit below app/ and never reach into browser code",
  },
  {
    name: "dashboard",
    files: ["app/", "lib/web/"],
    typesOnlyFrom: ["lib/core/", "lib/db/", "lib/api/", "lib/server/"],
    why: "Next's bundle carries no copy of the core: app/ and lib/web reach it through the facade the server installs (webCore() of lib/web/core.ts) and import only types from lib/core, lib/db, lib/api and lib/server",
  },
  {
    name: "browser",
    files: ["components/", "lib/client/"],
    allowPaths: ["lib/shared/", "lib/client/", "components/"],
    allowServerActionsFrom: ["lib/web/"],
    why: 'browser code imports only lib/shared, lib/client and components (from lib/web: "use server" modules and types)',
  },
  {
    name: "sql",
    files: ["lib/api/", "lib/server/", "lib/web/", "lib/cli/", "app/", "components/"],
    forbidPaths: ["lib/core/db/sql.ts"],
    why: "SQL stays in the core's database folder; ask a repository or service of lib/core instead",
  },
  {
    name: "testing",
    files: ["lib/", "app/", "components/"],
    except: ["lib/testing/", "lib/bench/"],
    forbidPaths: ["lib/testing/"],
    why: "test harnesses and doubles are for tests (and the benchmarks), never for production code",
  },
];

export default tseslint.config(
  { ignores: ["node_modules/", ".next/", "data/", "test-results/", "playwright-report/", "next-env.d.ts"] },
  {
    files: ["**/*.{ts,tsx}"],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    plugins: { ingot, "react-hooks": reactHooks },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "ingot/layering": ["error", { root, boundaries }],
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "error",
      // A leading underscore marks a value left out on purpose (`const { a: _a, ...rest } = x`).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Process state lives in module variables: the server owns the one copy of the core, and the
    // only thing handed across to Next's bundle is the facade's slot in lib/web/core.ts.
    files: ["lib/**/*.ts", "app/**/*.{ts,tsx}", "components/**/*.{ts,tsx}"],
    ignores: ["lib/web/core.ts", "**/*.test.ts", "lib/testing/**", "lib/bench/**"],
    rules: {
      "no-restricted-globals": [
        "error",
        { name: "globalThis", message: "No singletons on globalThis: keep process state in the module (the one handoff to Next is lib/web/core.ts)." },
      ],
    },
  },
  {
    // The scripts Node runs as they are (CLI entry, bundler, Prisma generation) and configs.
    files: ["**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests and their harnesses poke at JSON answers and internals; `any` there is the point.
    // Redfish resources are untyped JSON from the BMC, read field by field.
    files: ["**/*.test.ts", "**/*.test.tsx", "e2e/**", "tests/**", "lib/testing/**", "lib/bench/**", "lib/core/drivers/redfish/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
