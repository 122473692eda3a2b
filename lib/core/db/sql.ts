// A thin SQL layer for the provisioning core's hot paths. Prisma's ORM costs ~10 ms to map 200
// node rows here (measured; the API target for that list is under 6 ms), so the core talks SQL
// through the same drivers Prisma's adapters use: better-sqlite3 (synchronous, one connection)
// or pg (a pool). The schema and migrations stay Prisma's (prisma/schema.prisma).
// Statements use `?` placeholders and quoted camelCase identifiers, valid in both dialects.
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { databaseKind, databaseUrl, sqlitePath } from "../../db/url.ts";
import { startCheckpointer, type Checkpointer } from "./checkpointer.ts";

export type SqlValue = string | number | boolean | null | Date | undefined;

export interface Sql {
  readonly kind: "sqlite" | "postgresql";
  all<T = Record<string, unknown>>(text: string, params?: SqlValue[]): Promise<T[]>;
  get<T = Record<string, unknown>>(text: string, params?: SqlValue[]): Promise<T | undefined>;
  /** Runs a statement; resolves to the number of rows it changed. */
  run(text: string, params?: SqlValue[]): Promise<number>;
  /** Runs fn in one transaction (nested calls join the outer one). */
  tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function sqliteParam(v: SqlValue): string | number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (v instanceof Date) return v.toISOString();
  return v;
}

class SqliteSql implements Sql {
  readonly kind = "sqlite" as const;
  private readonly statements = new Map<string, import("better-sqlite3").Statement>();
  private txDepth = 0;
  private txQueue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: import("better-sqlite3").Database,
    private readonly checkpointer: Checkpointer | null = null,
  ) {}

  private prepare(text: string) {
    let st = this.statements.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.statements.set(text, st);
    }
    return st;
  }

  async all<T>(text: string, params: SqlValue[] = []): Promise<T[]> {
    return this.prepare(text).all(...params.map(sqliteParam)) as T[];
  }

  async get<T>(text: string, params: SqlValue[] = []): Promise<T | undefined> {
    return this.prepare(text).get(...params.map(sqliteParam)) as T | undefined;
  }

  async run(text: string, params: SqlValue[] = []): Promise<number> {
    return this.prepare(text).run(...params.map(sqliteParam)).changes;
  }

  async tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.txDepth > 0) return fn(this);
    // better-sqlite3 has one connection: async transactions must not interleave.
    const run = async () => {
      this.db.exec("BEGIN IMMEDIATE");
      this.txDepth++;
      try {
        const result = await fn(this);
        this.db.exec("COMMIT");
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec("ROLLBACK");
        throw err;
      } finally {
        this.txDepth--;
      }
    };
    const next = this.txQueue.then(run, run);
    this.txQueue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.checkpointer?.close();
    this.db.close();
  }
}

function toPgPlaceholders(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

function pgParam(v: SqlValue): unknown {
  return v === undefined ? null : v;
}

type PgQueryable = { query: (text: string, values?: unknown[]) => Promise<{ rows: unknown[]; rowCount: number | null }> };

class PgSql implements Sql {
  readonly kind = "postgresql" as const;
  constructor(
    private readonly client: PgQueryable,
    private readonly pool: import("pg").Pool | null,
    private readonly onClose: () => void = () => undefined,
  ) {}

  async all<T>(text: string, params: SqlValue[] = []): Promise<T[]> {
    const r = await this.client.query(toPgPlaceholders(text), params.map(pgParam));
    return r.rows as T[];
  }

  async get<T>(text: string, params: SqlValue[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, params))[0];
  }

  async run(text: string, params: SqlValue[] = []): Promise<number> {
    const r = await this.client.query(toPgPlaceholders(text), params.map(pgParam));
    return r.rowCount ?? 0;
  }

  async tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    if (!this.pool) return fn(this); // already inside a transaction
    const conn = await this.pool.connect();
    try {
      await conn.query("BEGIN");
      const result = await fn(new PgSql(conn, null));
      await conn.query("COMMIT");
      return result;
    } catch (err) {
      await conn.query("ROLLBACK").catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }

  async close(): Promise<void> {
    this.onClose();
    if (this.pool && !this.pool.ending) await this.pool.end();
  }
}

export async function openSql(url = databaseUrl()): Promise<Sql> {
  if (databaseKind(url) === "postgresql") {
    const { default: pg } = await import("pg");
    // TIMESTAMP(3) columns hold UTC without a zone: read them as UTC.
    pg.types.setTypeParser(1114, (s: string) => new Date(s.replace(" ", "T") + "Z"));
    const pool = new pg.Pool({ connectionString: url, max: Number(process.env.INGOT_DB_POOL ?? 10) });
    let closed = false;
    // An idle pooled connection that the server drops (restart, failover, pg_terminate_backend,
    // DROP DATABASE … WITH (FORCE)) emits 'error' on the pool; unhandled, that kills the process.
    // The pool discards that client by itself and the next query opens a fresh one.
    pool.on("error", (err) => {
      if (!closed) console.error(`database: idle connection lost (${err.message}); it will be replaced`);
    });
    pool.on("connect", (client) => client.on("error", () => undefined));
    return new PgSql(pool, pool, () => {
      closed = true;
    });
  }
  const { default: Database } = await import("better-sqlite3");
  const file = sqlitePath(url);
  if (file !== ":memory:") mkdirSync(dirname(resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  // NORMAL survives a process crash (kill -9) without losing a committed write; FULL also
  // survives power loss, at the price of an fsync per commit.
  const sync = (process.env.INGOT_SQLITE_SYNC ?? "NORMAL").toUpperCase();
  const synchronous = sync === "FULL" || sync === "EXTRA" ? sync : "NORMAL";
  db.pragma(`synchronous = ${synchronous}`);
  db.pragma("busy_timeout = 10000");
  db.pragma("foreign_keys = ON");
  // Checkpoints (the fsyncs) off the event loop: ./checkpointer.ts.
  return new SqliteSql(db, file === ":memory:" ? null : startCheckpointer(db, file, synchronous));
}

// Row value helpers (pure; in values.ts so code that only reads rows needs no SQL client).
export { parseJson, toBool, toBoolOrNull, toDate } from "./values.ts";

let processSql: Promise<Sql> | undefined;

/** The process-wide connection for DATABASE_URL. */
export function sql(): Promise<Sql> {
  processSql ??= openSql();
  return processSql;
}

export function setSql(s: Sql | undefined): void {
  processSql = s ? Promise.resolve(s) : undefined;
}
