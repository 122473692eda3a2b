// Keyset pagination shared by the repositories' list queries: one page ordered by (sort column,
// id), continuing after the marker row, NULLs first ascending and last descending (as Ironic).
import type { Sql, SqlValue } from "./sql.ts";

export interface PageQuery {
  /** `SELECT ... FROM "T" a JOIN ...` without WHERE. */
  select: string;
  /** Alias of the main table in `select` (columns are qualified with it). */
  alias: string;
  where: string[];
  params: SqlValue[];
  sortColumn: string;
  sortDir: "asc" | "desc";
  limit: number;
  /** Raw row of the marker item (continue after it). */
  marker?: Record<string, unknown> | null;
}

/** A page as the API asks for it: sort column (a bare column of the main table), direction, size. */
export interface PageRequest {
  sortColumn: string;
  sortDir: "asc" | "desc";
  limit: number;
}

/** One page ordered by (sort column, id), continuing after the marker row. */
export async function pageRows<T = Record<string, unknown>>(sql: Sql, q: PageQuery): Promise<T[]> {
  const a = q.alias;
  const col = `${a}."${q.sortColumn}"`;
  const id = `${a}."id"`;
  const dir = q.sortDir === "desc" ? "DESC" : "ASC";
  const op = dir === "DESC" ? "<" : ">";
  const where = [...q.where];
  const params = [...q.params];
  if (q.marker) {
    const mv = q.marker[q.sortColumn] as SqlValue;
    const mid = q.marker.id as SqlValue;
    if (q.sortColumn === "id") {
      where.push(`${id} ${op} ?`);
      params.push(mid);
    } else if (mv === null || mv === undefined) {
      where.push(`((${col} IS NULL AND ${id} ${op} ?)${dir === "ASC" ? ` OR ${col} IS NOT NULL` : ""})`);
      params.push(mid);
    } else {
      where.push(`(${col} ${op} ? OR (${col} = ? AND ${id} ${op} ?)${dir === "DESC" ? ` OR ${col} IS NULL` : ""})`);
      params.push(mv, mv, mid);
    }
  }
  const nulls = q.sortColumn === "id" ? "" : dir === "ASC" ? " NULLS FIRST" : " NULLS LAST";
  const order = q.sortColumn === "id" ? `${id} ${dir}` : `${col} ${dir}${nulls}, ${id} ${dir}`;
  const text = `${q.select}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ${Math.floor(q.limit)}`;
  return sql.all<T>(text, params);
}

