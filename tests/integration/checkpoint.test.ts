import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { checkpointInBackground, openDatabase } from "../../db/client";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A file database with the app's pragmas and ~8 MB written in 40 commits. */
function writeRows() {
  const dir = mkdtempSync(join(tmpdir(), "verdict-checkpoint-"));
  dirs.push(dir);
  const file = join(dir, "test.db");
  const { sqlite } = openDatabase(file, { migrate: false });
  sqlite.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)");
  const insert = sqlite.prepare("INSERT INTO t (body) VALUES (?)");
  return { sqlite, file, write: () => sqlite.transaction(() => { for (let i = 0; i < 200; i++) insert.run("x".repeat(1000)); })() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("checkpointInBackground", () => {
  it("copies the log into the database file from its worker while the connection commits without checkpointing", async () => {
    const { sqlite, file, write } = writeRows();
    const stop = checkpointInBackground(sqlite, file);
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    for (let i = 0; i < 40; i++) write();
    // The worker checkpoints every 200 ms: the rows reach the database file itself.
    await expect.poll(() => statSync(file).size, { timeout: 5_000 }).toBeGreaterThan(7_000_000);
    await stop();
    // Stopped, the connection checkpoints itself again.
    expect(sqlite.pragma("wal_autocheckpoint", { simple: true })).toBe(1000);
    sqlite.close();
  });

  it("lets the log start over while writes never pause (the worker alone left it growing: past 3 GB in 8 s)", async () => {
    const { sqlite, file } = writeRows();
    const stop = checkpointInBackground(sqlite, file);
    // The log file is cut back to 1 MB each time it starts over, so its size shows whether it does.
    sqlite.pragma("journal_size_limit = 1048576");
    const insert = sqlite.prepare("INSERT INTO t (body) VALUES (?)");
    // About 5,000 commits a second for 2 s, the event loop free between batches of 25.
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      for (let i = 0; i < 25; i++) sqlite.transaction(() => insert.run("x".repeat(200)))();
      await sleep(5);
    }
    const commits = sqlite.prepare("SELECT count(*) FROM t").pluck().get() as number;
    expect(commits).toBeGreaterThan(1_000);
    // Without the rewind the log holds every commit's page: several MB per second, never cut back.
    const end = statSync(`${file}-wal`).size;
    expect(end).toBeLessThan(commits * 4096 * 0.5);
    await stop();
    sqlite.close();
  });

  it("(control) without the worker, a connection that does not checkpoint leaves the rows in the log", async () => {
    const { sqlite, file, write } = writeRows();
    sqlite.pragma("wal_autocheckpoint = 0");
    for (let i = 0; i < 40; i++) write();
    await sleep(600);
    expect(statSync(file).size).toBeLessThan(1_000_000);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(7_000_000);
    sqlite.close();
  });
});
