// ESLint rule `ingot/layering`: the import boundaries between the layers of docs/design.md, checked on
// every import, re-export, `import()` and `import("…")` type of a file.
//
// Options: { root, boundaries, pending }.
// - root: the repository folder (paths below are relative to it, with "/").
// - boundaries: [{ name, files, except?, tests?, allowPaths?, forbidPaths?, typesOnlyFrom?,
//   allowModules?, forbidModules?, allowServerActionsFrom?, why }]. A boundary applies to the files
//   under one of `files` (folder prefixes ending in "/", or exact files) and not under `except`;
//   test files (*.test.ts(x), e2e/, tests/) are left alone unless `tests: true`. Imports of
//   repository files are checked against `allowPaths` (only these) or `forbidPaths` (not these);
//   package and Node imports against `allowModules` / `forbidModules` ("react" covers
//   "react/jsx-runtime"; "node:" covers every Node builtin, with or without the prefix). Under
//   `allowServerActionsFrom`, type-only imports and imports of "use server" modules pass: Next
//   turns those into references, so no server code reaches the browser. From files under
//   `typesOnlyFrom`, only type-only imports pass (`import type`, `export type`, `import("…")`
//   types): they vanish when compiled, so the importing bundle carries none of that code.
// - pending: { boundaryName: [file, …] } — files that still cross a boundary while their move is
//   under way. Each is exempt from that boundary only, and reported once it no longer crosses it,
//   so the list can only shrink.
import { builtinModules } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";

const NODE_BUILTINS = new Set(builtinModules);
const TEST_FILE = /\.test\.tsx?$/;
const TEST_FOLDERS = ["e2e/", "tests/"];

const toPosix = (path) => path.split(sep).join("/");
export const isTestFile = (file) => TEST_FILE.test(file) || TEST_FOLDERS.some((folder) => file.startsWith(folder));

/** Whether a repository path lies under one of `prefixes` (folders end in "/", files compare whole). */
function under(file, prefixes) {
  const bare = withoutExtension(file);
  return prefixes.some((p) => (p.endsWith("/") ? file.startsWith(p) : bare === withoutExtension(p)));
}

function withoutExtension(path) {
  return path.replace(/\.(tsx?|mjs|js)$/, "").replace(/\/index$/, "");
}

/** Whether a package or Node specifier is one of `modules`. */
function isModule(spec, modules) {
  const isBuiltin = spec.startsWith("node:") || NODE_BUILTINS.has(spec.split("/")[0]);
  return modules.some((m) => (m === "node:" ? isBuiltin : spec === m || spec.startsWith(`${m}/`)));
}

/** The repository path a relative or `@/` specifier names (null for packages and Node). */
function repoPath(root, fromFile, spec) {
  let absolute;
  if (spec.startsWith("@/")) absolute = resolve(root, spec.slice(2));
  else if (spec.startsWith(".")) absolute = resolve(root, dirname(fromFile), spec);
  else return null;
  return toPosix(relative(root, absolute));
}

/** The TypeScript file a repository path names (extension and /index optional), or null. */
function sourceFile(root, path) {
  const candidates = [path, `${path}.ts`, `${path}.tsx`, `${path}/index.ts`];
  return candidates.find((c) => /\.tsx?$/.test(c) && existsSync(resolve(root, c))) ?? null;
}

const serverActionCache = new Map();
/** Whether the module at a repository path starts with the "use server" directive. */
function isServerActionModule(root, path) {
  if (serverActionCache.has(path)) return serverActionCache.get(path);
  const file = sourceFile(root, path);
  const answer = file !== null && /^\s*(\/\/[^\n]*\n\s*)*["']use server["']/.test(readFileSync(resolve(root, file), "utf8"));
  serverActionCache.set(path, answer);
  return answer;
}

/** Why `spec` may not be imported from a file under `boundary`, or null when it may. */
function crossing(boundary, root, file, spec, typeOnly) {
  const target = repoPath(root, file, spec);
  if (target === null) {
    if (boundary.allowModules && !isModule(spec, boundary.allowModules)) return `imports the package "${spec}"`;
    if (boundary.forbidModules && isModule(spec, boundary.forbidModules)) return `imports "${spec}"`;
    return null;
  }
  if (boundary.typesOnlyFrom && !typeOnly && under(target, boundary.typesOnlyFrom)) {
    return `imports values from ${sourceFile(root, target) ?? target} (only \`import type\` may cross)`;
  }
  const forbidden =
    (boundary.allowPaths && !under(target, boundary.allowPaths)) || (boundary.forbidPaths && under(target, boundary.forbidPaths));
  if (!forbidden) return null;
  if (boundary.allowServerActionsFrom && under(target, boundary.allowServerActionsFrom) && (typeOnly || isServerActionModule(root, target))) {
    return null;
  }
  return `imports ${sourceFile(root, target) ?? target}`;
}

/** @type {import("eslint").Rule.RuleModule} */
export const layering = {
  meta: {
    type: "problem",
    docs: { description: "Imports follow the layers of docs/design.md" },
    schema: [{ type: "object", additionalProperties: true }],
    messages: {
      crosses: "{{file}} {{what}}: {{why}} (layer \"{{name}}\" of eslint.config.mjs; docs/design.md).",
      stale: "{{file}} no longer crosses layer \"{{name}}\": remove it from pendingLayering in eslint.config.mjs.",
    },
  },
  create(context) {
    const { root, boundaries, pending = {} } = context.options[0];
    const file = toPosix(relative(root, context.filename));
    const applying = boundaries.filter(
      (b) => under(file, b.files) && !(b.except && under(file, b.except)) && (b.tests || !isTestFile(file)),
    );
    if (applying.length === 0) return {};
    const isPending = (b) => (pending[b.name] ?? []).includes(file);
    const crossed = new Set();

    function check(node, source, typeOnly) {
      if (!source || source.type !== "Literal" || typeof source.value !== "string") return;
      for (const boundary of applying) {
        const what = crossing(boundary, root, file, source.value, typeOnly);
        if (what === null) continue;
        crossed.add(boundary.name);
        if (!isPending(boundary)) {
          context.report({ node: source, messageId: "crosses", data: { file, what, why: boundary.why, name: boundary.name } });
        }
      }
    }

    return {
      ImportDeclaration: (node) =>
        check(node, node.source, node.importKind === "type" || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === "type"))),
      ExportNamedDeclaration: (node) => check(node, node.source, node.exportKind === "type"),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === "type"),
      ImportExpression: (node) => check(node, node.source, false),
      TSImportType: (node) => check(node, node.argument?.type === "TSLiteralType" ? node.argument.literal : node.source, true),
      TSExternalModuleReference: (node) => check(node, node.expression, false),
      "Program:exit"(program) {
        for (const boundary of applying) {
          if (isPending(boundary) && !crossed.has(boundary.name)) {
            context.report({ node: program, loc: { line: 1, column: 0 }, messageId: "stale", data: { file, name: boundary.name } });
          }
        }
      },
    };
  },
};

export default { meta: { name: "ingot" }, rules: { layering } };
