import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { existsSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import * as schema from "./schema";

export type Db = BetterSQLite3Database<typeof schema>;
export type Sqlite = Database.Database;
export interface Connection {
  sqlite: Sqlite;
  db: Db;
}

/**
 * Opens (creating if needed) the SQLite file and sets the pragmas every connection needs.
 *
 * - WAL lets readers (exports, stats) run beside the one writer.
 * - synchronous=NORMAL: in WAL mode a commit survives a crash of the process; only a power
 *   loss can drop the last transactions. That trade is right for a labeling tool; switch to
 *   FULL if a deployment needs power-loss durability.
 * - foreign_keys=ON, because SQLite leaves them off by default.
 * - busy_timeout=5000 so a second connection waits for the writer instead of failing.
 */
export function openDatabase(file: string, options: { migrate?: boolean } = {}): Connection {
  if (file !== ":memory:") mkdirSync(dirname(resolve(file)), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  // 16 MiB of page cache (SQLite's default is 2 MiB). 64 MiB was measured no faster, for a
  // 600,000-row import (npm run bench -- import: 40.3 s against 40.2 s), for batch statistics
  // on 300,000 judgments (bench stats: 1.46 s against 1.50 s) and for the API (bench soak), where
  // filling it was most of the server's memory growth: RSS rose 69 MB in 60 s with it, 8 MB
  // with 16 MiB. The operating system's cache holds the file either way.
  sqlite.pragma("cache_size = -16384");
  const db = drizzle(sqlite, { schema });
  if (options.migrate ?? true) migrate(db, { migrationsFolder: migrationsFolder() });
  return { sqlite, db };
}

/**
 * The committed migrations folder. This module runs from db/ under tsx and from
 * build/server/ once bundled by Vite, so look upwards for it instead of assuming a depth.
 */
export function migrationsFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "migrations");
    if (existsSync(join(candidate, "meta", "_journal.json"))) return candidate;
    dir = dirname(dir);
  }
  const fromCwd = resolve("migrations");
  if (existsSync(join(fromCwd, "meta", "_journal.json"))) return fromCwd;
  throw new Error("Cannot find the migrations folder (migrations/meta/_journal.json).");
}

/**
 * Makes `sqlite.prepare` hand back a statement already prepared for the same SQL (the least
 * recently used of `max` dropped), so services and drizzle, which prepare their statements at
 * each call, stop paying for it: preparing took 13% of the server's time in `npm run bench --
 * soak`. A statement comes back with its modes reset (a caller's `.pluck()` does not leak to
 * the next), and one still busy (an `.iterate()` in progress) is never handed out twice: a
 * fresh one is prepared. Only for the server's shared connection (services/database.server.ts).
 */
export function cachePreparedStatements(sqlite: Sqlite, max = 1000): void {
  const cache = new Map<string, Database.Statement>();
  const prepare = sqlite.prepare.bind(sqlite);
  sqlite.prepare = ((source: string) => {
    const cached = cache.get(source);
    if (cached && !cached.busy) {
      cache.delete(source);
      cache.set(source, cached);
      if (cached.reader) cached.pluck(false).expand(false).raw(false);
      return cached;
    }
    const statement = prepare(source);
    if (!cached) {
      cache.set(source, statement);
      if (cache.size > max) cache.delete(cache.keys().next().value!);
    }
    return statement;
  }) as Sqlite["prepare"];
}

/**
 * How often the background checkpointer copies the write-ahead log into the database file.
 * At 1,000 judgments a second the log grows about 4 MB a second; a checkpoint every 200 ms
 * keeps up with it.
 */
const CHECKPOINT_INTERVAL_MS = 200;

/**
 * Log frames (pages) past which the connection finishes the checkpoint itself, so the log
 * starts again from its beginning: 4,000 frames is 16 MB with 4 KiB pages.
 */
const WAL_RESTART_FRAMES = 4_000;

/**
 * Moves WAL checkpoints off the connection that answers requests: SQLite otherwise runs one
 * inside whichever commit crosses 1,000 pages of log, writing and syncing the database file
 * while every request waits (the event loop is blocked). A worker thread with a connection of
 * its own runs PASSIVE checkpoints instead, which never block the writer: `npm run bench --
 * soak` went from 784 to 956 judgments/s with it.
 *
 * The worker alone never lets the log start over: SQLite rewinds the log only when a writer
 * finds every frame copied, and under steady writes new frames always arrive while the worker
 * copies (a test writing without pause grew the log past 3 GB in 8 s). So when the worker
 * reports more than WAL_RESTART_FRAMES, this connection, between two of its transactions,
 * runs a PASSIVE checkpoint itself: it has only the frames written since the worker's last pass
 * to copy, and with no write in between, the next commit rewinds the log. A passive checkpoint
 * never waits for readers (an export's long read); if one pins the log, it is tried again at the
 * worker's next report. If the worker stops, the connection checkpoints itself again, so the log
 * can never grow without bound. Returns a stop function (the connection's own checkpointing is
 * restored).
 */
export function checkpointInBackground(sqlite: Sqlite, file: string): () => Promise<void> {
  sqlite.pragma("wal_autocheckpoint = 0");
  const restore = () => {
    if (sqlite.open) sqlite.pragma("wal_autocheckpoint = 1000");
  };
  // An eval'd CommonJS worker: it runs the same from db/ under tsx and from Vite's server build,
  // where a worker file of its own would not be bundled. It reports the log's size after each
  // checkpoint ({ frames }), or a problem ({ problem }).
  const worker = new Worker(
    `const { workerData, parentPort } = require("node:worker_threads");
     const Database = require(workerData.driver);
     const db = new Database(workerData.file);
     db.pragma("busy_timeout = 5000");
     const timer = setInterval(() => {
       try {
         const [result] = db.pragma("wal_checkpoint(PASSIVE)");
         parentPort.postMessage({ frames: result.log });
       } catch (error) {
         parentPort.postMessage({ problem: String(error) });
       }
     }, workerData.interval);
     parentPort.on("message", () => { clearInterval(timer); db.close(); parentPort.close(); });`,
    { eval: true, workerData: { driver: createRequire(import.meta.url).resolve("better-sqlite3"), file: resolve(file), interval: CHECKPOINT_INTERVAL_MS } },
  );
  worker.unref();
  worker.on("message", (report: { frames?: number; problem?: string }) => {
    if (report.problem) console.error(`background checkpoint: ${report.problem}`);
    else if ((report.frames ?? 0) > WAL_RESTART_FRAMES && sqlite.open && !sqlite.inTransaction) sqlite.pragma("wal_checkpoint(PASSIVE)");
  });
  worker.on("error", restore);
  worker.on("exit", restore);
  return async () => {
    const exited = new Promise<void>((done) => worker.once("exit", () => done()));
    worker.postMessage("stop");
    await exited;
  };
}
