import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import Database from "better-sqlite3";
import { config } from "./config.server";
import { connection } from "./database.server";
import { recordAudit } from "./audit.server";
import { ServiceError } from "./errors.server";

export interface BackupProgress {
  copiedPages: number;
  totalPages: number;
}

export interface BackupResult {
  file: string;
  bytes: number;
  pages: number;
  /** How often SQLite restarted the copy because another process wrote meanwhile. */
  restarts: number;
  /** `PRAGMA integrity_check` of the copy: "ok", or the first problems it lists. */
  integrity: string;
  milliseconds: number;
}

/**
 * Pages per backup step: 1,024 pages (4 MiB at SQLite's default page size) keeps the progress
 * line moving while each step holds the read lock only briefly.
 */
const PAGES_PER_STEP = 1024;

/**
 * After this many restarts the rest is copied in one step. SQLite's online backup restarts from
 * the first page whenever another connection writes between two steps; with reviewers judging
 * all the time, a stepped copy of a large database might never finish. One step is one read
 * transaction: under WAL the writers carry on, and the copy is the database as of that moment.
 */
const RESTARTS_BEFORE_ONE_STEP = 2;

/**
 * Writes a consistent copy of the live database to `target` with SQLite's online backup API,
 * while the server keeps serving. The copy goes to a temporary file beside the target, is
 * checked with `PRAGMA integrity_check`, and only then renamed into place, so a failed or
 * interrupted backup never leaves a half-written file under the target's name.
 *
 * Refused: the live database itself as the target, a target that exists (unless `overwrite`),
 * a directory that does not exist.
 */
export async function backupDatabase(
  target: string,
  options: { overwrite?: boolean; actorId?: string | null; onProgress?: (progress: BackupProgress) => void } = {},
): Promise<BackupResult> {
  const started = Date.now();
  const live = resolve(config().VERDICT_DB);
  const file = resolve(target);
  if (file === live || file === `${live}-wal` || file === `${live}-shm`) {
    throw new ServiceError("invalid", `${target} is the live database; name another file`, { fields: { file: "is the live database" } });
  }
  if (!existsSync(dirname(file))) {
    throw new ServiceError("invalid", `the directory ${dirname(file)} does not exist`, { fields: { file: "its directory does not exist" } });
  }
  if (existsSync(file)) {
    if (statSync(file).isDirectory()) throw new ServiceError("invalid", `${target} is a directory; name a file`, { fields: { file: "is a directory" } });
    if (!options.overwrite) throw new ServiceError("conflict", `${target} exists; pass --force to overwrite it`, { fields: { file: "exists" } });
  }

  const partial = join(dirname(file), `.${basename(file)}.partial-${process.pid}`);
  rmSync(partial, { force: true });
  let restarts = 0;
  let lastRemaining = Number.POSITIVE_INFINITY;
  try {
    const sqlite = connection().sqlite;
    const outcome = await sqlite.backup(partial, {
      progress({ totalPages, remainingPages }) {
        // Remaining pages that grow again mean SQLite started over.
        if (remainingPages > lastRemaining) restarts++;
        lastRemaining = remainingPages;
        options.onProgress?.({ copiedPages: totalPages - remainingPages, totalPages });
        return restarts >= RESTARTS_BEFORE_ONE_STEP ? 0x7fffffff : PAGES_PER_STEP;
      },
    });
    const pages = outcome.totalPages;
    options.onProgress?.({ copiedPages: pages, totalPages: pages });
    const integrity = sealCopy(partial);
    if (integrity !== "ok") throw new Error(`the copy failed its integrity check: ${integrity}`);
    renameSync(partial, file);
    recordAudit(connection().db, { userId: options.actorId ?? null, action: "database.backup", subject: file, detail: { pages } });
    return { file, bytes: statSync(file).size, pages, restarts, integrity, milliseconds: Date.now() - started };
  } finally {
    for (const leftover of [partial, `${partial}-wal`, `${partial}-shm`, `${partial}-journal`]) rmSync(leftover, { force: true });
  }
}

/**
 * Makes the copy one self-contained file (rollback journal instead of WAL, so it never needs a
 * `-wal` beside it to be whole; the server switches it back to WAL when it opens it) and returns
 * its `PRAGMA integrity_check`: "ok", or the first findings.
 */
function sealCopy(file: string): string {
  const copy = new Database(file, { fileMustExist: true });
  try {
    copy.pragma("journal_mode = DELETE");
    const rows = copy.pragma("integrity_check", { simple: false }) as Array<{ integrity_check: string }>;
    return rows
      .slice(0, 5)
      .map((row) => row.integrity_check)
      .join("; ");
  } finally {
    copy.close();
  }
}
