// Stored values as both drivers return them (SQLite: text dates, 0/1 booleans, JSON text;
// PostgreSQL: Date, boolean, JSON text), read the same way everywhere.

export function toDate(v: string | Date): Date;
export function toDate(v: unknown): Date | null;
export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  if (typeof v === "number") return new Date(v);
  const s = String(v);
  // SQLite's CURRENT_TIMESTAMP default has no "T" and no zone; it is UTC.
  return new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : s.replace(" ", "T") + "Z");
}

export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === "1" || v === "true";
}

export function toBoolOrNull(v: unknown): boolean | null {
  return v === null || v === undefined ? null : toBool(v);
}

export function parseJson<T = Record<string, unknown>>(v: unknown, fallback: T): T {
  if (v === null || v === undefined || v === "") return fallback;
  if (typeof v !== "string") return v as T;
  try {
    return JSON.parse(v) as T;
  } catch {
    return fallback;
  }
}
