// Constraint violations as both drivers report them.

/** Whether a DB error is a unique-constraint violation (SQLite or PostgreSQL). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code === "23505" || e.code === "SQLITE_CONSTRAINT_UNIQUE" || e.code === "SQLITE_CONSTRAINT_PRIMARYKEY") return true;
  return typeof e.message === "string" && /UNIQUE constraint failed|duplicate key value/i.test(e.message);
}
