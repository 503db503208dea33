import { cachePreparedStatements, checkpointInBackground, openDatabase, type Connection } from "../../db/client";
import { config } from "./config.server";

declare global {
  // Survives Vite's module reloads in development, so one process keeps one connection.
  var __verdictConnection: Connection | undefined;
  var __verdictCheckpointer: (() => Promise<void>) | undefined;
}

/** The process's shared connection; migrations run when it is first opened. */
export function connection(): Connection {
  if (!globalThis.__verdictConnection) {
    const opened = openDatabase(config().VERDICT_DB);
    cachePreparedStatements(opened.sqlite);
    globalThis.__verdictConnection = opened;
  }
  return globalThis.__verdictConnection;
}

/**
 * A connection of its own, for work that spans awaits (streamed imports and exports):
 * a transaction held open across awaits on the shared connection would swallow the
 * statements of every other request. The caller closes it.
 */
export function dedicatedConnection(): Connection {
  connection();
  return openDatabase(config().VERDICT_DB, { migrate: false });
}

/**
 * The server's shared connection leaves WAL checkpoints to a worker thread (db/client.ts,
 * checkpointInBackground), so no request waits for one. Only the server: a CLI run is short,
 * and SQLite's own checkpoint is right for it.
 */
export function checkpointOffRequests(): void {
  if (globalThis.__verdictCheckpointer || config().VERDICT_DB === ":memory:") return;
  globalThis.__verdictCheckpointer = checkpointInBackground(connection().sqlite, config().VERDICT_DB);
}

/** Closes the shared connection (tests and shutdown); the next call to connection() reopens it. */
export function closeConnection(): void {
  void globalThis.__verdictCheckpointer?.();
  globalThis.__verdictCheckpointer = undefined;
  globalThis.__verdictConnection?.sqlite.close();
  globalThis.__verdictConnection = undefined;
}
