// Server modules (app/, components/ and lib/web/ files without "use client") take only components
// from "use client" modules. Anything else imported from one — a constant, a helper — is a client
// reference on the server, not the value: rendered into the page, the browser must load that
// module's chunk to hydrate it. The root layout put such a constant (the theme script) into <head>,
// and on a first visit, with the chunk not yet loaded, React's hydration failed (#418).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SERVER_SIDE_FOLDERS = ["app", "components", "lib/web"];

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name)) out.push(path);
  }
  return out;
}

const parsed = new Map<string, ts.SourceFile>();
function parse(path: string): ts.SourceFile {
  let file = parsed.get(path);
  if (!file) parsed.set(path, (file = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, false)));
  return file;
}

/** The module starts with the "use client" directive. */
function isClientModule(path: string): boolean {
  for (const statement of parse(path).statements) {
    if (!ts.isExpressionStatement(statement) || !ts.isStringLiteral(statement.expression)) return false;
    if (statement.expression.text === "use client") return true;
  }
  return false;
}

/** The repository file an import specifier names ("@/…" or relative), or null for packages. */
function resolveImport(from: string, specifier: string): string | null {
  const path = specifier.startsWith("@/") ? join(root, specifier.slice(2)) : specifier.startsWith(".") ? resolve(dirname(from), specifier) : null;
  return path && existsSync(path) ? path : null;
}

/** A React component's name: PascalCase (not an ALL_CAPS constant). */
const isComponentName = (name: string) => /^[A-Z]/.test(name) && /[a-z]/.test(name);

/** `file: name from module` for each value other than a component that a server module imports from a client module. */
function nonComponentClientImports(files: string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    if (isClientModule(file)) continue;
    for (const statement of parse(file).statements) {
      if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
      const clause = statement.importClause;
      if (!clause || clause.isTypeOnly) continue;
      const target = resolveImport(file, statement.moduleSpecifier.text);
      if (!target || !isClientModule(target)) continue;
      const names: string[] = [];
      if (clause.name) names.push("default");
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.push(`* as ${bindings.name.text}`);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) if (!element.isTypeOnly) names.push((element.propertyName ?? element.name).text);
      }
      for (const name of names.filter((n) => n !== "default" && !isComponentName(n))) {
        found.push(`${relative(root, file)}: ${name} from ${statement.moduleSpecifier.text}`);
      }
    }
  }
  return found;
}

describe("server modules and client references", () => {
  it("server modules import only components from \"use client\" modules", () => {
    const files = SERVER_SIDE_FOLDERS.flatMap((folder) => sourceFiles(join(root, folder)));
    expect(files.length).toBeGreaterThan(50);
    expect(nonComponentClientImports(files)).toEqual([]);
  });

  it("finds a constant imported from a client module (the check can fail)", () => {
    const dir = join(root, "components");
    const server = join(dir, "__server_probe__.tsx");
    const files = [server];
    const code = `import { THEME_KEY } from "./theme.ts";\nimport { ThemeToggle, applySavedTheme } from "./ThemeToggle.tsx";\nimport type { Theme } from "./theme.ts";\n`;
    parsed.set(server, ts.createSourceFile(server, code, ts.ScriptTarget.Latest, false));
    try {
      expect(nonComponentClientImports(files)).toEqual(["components/__server_probe__.tsx: applySavedTheme from ./ThemeToggle.tsx"]);
    } finally {
      parsed.delete(server);
    }
  });
});
