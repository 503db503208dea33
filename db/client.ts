import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
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
  // 64 MiB of page cache keeps index pages of big imports in memory.
  sqlite.pragma("cache_size = -65536");
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
