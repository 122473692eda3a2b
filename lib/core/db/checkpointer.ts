// SQLite copies its write-ahead log back into the database file in a checkpoint, which it runs
// inside whichever commit takes the WAL past 1,000 pages: every ~80 node writes here, two fsyncs
// that stall the event loop (and every request waiting on it) for 5–25 ms on this machine. A
// worker thread with its own connection checkpoints every CHECKPOINT_INTERVAL_MS instead (PASSIVE:
// it never waits for, nor blocks, the writer), so commits only append to the WAL.
//
// While writes never pause, the WAL cannot start over (it restarts only when a transaction begins
// with every frame copied), so the main connection keeps SQLite's own checkpoint as a bound, at
// MAIN_AUTOCHECKPOINT_PAGES: the worker has copied nearly all of it by then, and the WAL restarts.
// Durability is unchanged: a commit is in the WAL before it is acknowledged either way, and the
// worker syncs as the main connection would (same `synchronous`).
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const CHECKPOINT_INTERVAL_MS = 200;
const MAIN_AUTOCHECKPOINT_PAGES = 10_000;
/** SQLite's default, for a connection whose worker stopped. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1_000;

// CommonJS source of the worker (eval'd: nothing to ship beside the bundled server).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("synchronous = " + workerData.synchronous);
const timer = setInterval(() => {
  try {
    db.pragma("wal_checkpoint(PASSIVE)");
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
}, workerData.intervalMs);
parentPort.on("message", (msg) => {
  if (msg !== "close") return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  close(): Promise<void>;
}

/**
 * Checkpoints `file` (in WAL mode) from a worker thread and lets `db`'s own checkpoints wait for
 * a much larger WAL. Should the worker stop, `db` checkpoints as SQLite does by default again.
 */
export function startCheckpointer(db: import("better-sqlite3").Database, file: string, synchronous: string): Checkpointer {
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { driver, file, synchronous, intervalMs: CHECKPOINT_INTERVAL_MS },
    resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 8 },
  });
  // A server exits without waiting for it; close() stops it in order.
  worker.unref();
  let stopped = false;
  const fallBack = (why: string) => {
    if (stopped) return;
    stopped = true;
    console.error(`[ingot] SQLite checkpoint worker stopped (${why}); the connection checkpoints by itself again`);
    if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  };
  worker.on("message", (msg: { error?: string }) => {
    if (msg.error) console.error(`[ingot] SQLite checkpoint failed: ${msg.error}`);
  });
  worker.on("error", (err) => fallBack(err.message));
  worker.on("exit", (code) => fallBack(`exit code ${code}`));
  db.pragma(`wal_autocheckpoint = ${MAIN_AUTOCHECKPOINT_PAGES}`);
  return {
    async close() {
      if (stopped) return;
      stopped = true;
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      // Keep the process alive until it has closed its connection (a CLI awaits this at its end).
      worker.ref();
      worker.postMessage("close");
      await exited;
    },
  };
}
