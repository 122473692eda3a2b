// Where the database is: DATABASE_URL, else a SQLite file under data/.
export const DEFAULT_DATABASE_URL = "file:./data/ingot.db";

export function databaseUrl(): string {
  return process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
}

export function databaseKind(url: string): "sqlite" | "postgresql" {
  return /^postgres(ql)?:\/\//.test(url) ? "postgresql" : "sqlite";
}

/** The file path of a `file:` SQLite URL (":memory:" stays as it is). */
export function sqlitePath(url: string): string {
  const path = url.replace(/^file:/, "").replace(/\?.*$/, "");
  return path === "" ? ":memory:" : path;
}
