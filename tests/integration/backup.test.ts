import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCli, setUpTempDatabase } from "./helpers";

// `backup FILE` copies the live database with SQLite's online backup while reviewers keep
// judging in another process; the README's restore steps (stop, copy back, start) bring it back.
const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

const PROMPTS = 3000;
let batchId = "";

beforeAll(async () => {
  // Long texts, so the database spans many backup steps (about 14 MB, over 3,000 pages).
  const filler = "lorem ipsum dolor sit amet ".repeat(80);
  const path = join(dir, "big.jsonl");
  writeFileSync(path, "");
  for (let start = 0; start < PROMPTS; start += 500) {
    const lines = Array.from({ length: 500 }, (_, k) => {
      const i = start + k;
      return JSON.stringify({ id: `p${i}`, prompt: `Question ${i}? ${filler}`, responses: [{ model: "a", text: `A${i} ${filler}` }, { model: "b", text: `B${i} ${filler}` }] });
    });
    writeFileSync(path, lines.join("\n") + "\n", { flag: "a" });
    await yieldToLoop();
  }
  await importFile(path, { dataset: "big" });
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  for (const name of ["ann", "bob"]) insert.run(`u-${name}`, name, name);
  batchId = createBatch({ dataset: "big", name: "Backup", task: "pairwise", overlap: 1, reviewers: ["ann", "bob"] }).id;
}, 120_000);

function judgmentIds(db: Database.Database): Set<string> {
  return new Set((db.prepare("SELECT id FROM judgments").all() as Array<{ id: string }>).map((row) => row.id));
}

describe("backup FILE", () => {
  const copy = join(dir, "copy.db");
  let before = new Set<string>();

  it("writes a consistent copy while another process keeps submitting judgments", async () => {
    const reviewers = spawn(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "tests/integration/workers/reviewer-loop.ts"), batchId, "u-ann", "u-bob"], {
      env: { ...process.env, VERDICT_DB: dbPath },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let workerOut = "";
    reviewers.stdout.on("data", (chunk: Buffer) => (workerOut += chunk.toString()));
    const workerDone = new Promise<number | null>((resolve) => reviewers.on("exit", resolve));

    // Wait until the reviewers are well under way, then note what is committed before the backup begins.
    const reader = new Database(dbPath, { readonly: true });
    for (let waited = 0; judgmentIds(reader).size < 200; waited += 50) {
      if (waited > 60_000) throw new Error("the reviewer process made no judgments");
      await new Promise((r) => setTimeout(r, 50));
    }
    before = judgmentIds(reader);
    const run = await runCli(["backup", copy, "--json"]);
    const during = judgmentIds(reader).size;
    reader.close();
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { file: string; pages: number; integrity: string; bytes: number; restarts: number };
    expect(result).toMatchObject({ file: copy, integrity: "ok" });
    expect(result.pages).toBeGreaterThan(1024);
    expect(run.stderr).toMatch(/backup 100%: [\d,]+ of [\d,]+ pages/);

    expect(await workerDone).toBe(0);
    expect(JSON.parse(workerOut).errors).toEqual([]);
    // The reviewers kept working through the backup: the copy is a moment of a moving database.
    expect(during).toBeGreaterThan(before.size);

    const restored = new Database(copy, { readonly: true });
    expect(restored.pragma("integrity_check", { simple: true })).toBe("ok");
    // One self-contained file: rollback journal, no -wal needed beside it.
    expect(restored.pragma("journal_mode", { simple: true })).toBe("delete");
    const inCopy = judgmentIds(restored);
    for (const id of before) expect(inCopy.has(id)).toBe(true);
    // Consistent: every judgment in the copy has its pair and its submitted assignment.
    const orphans = restored
      .prepare(
        `SELECT count(*) AS n FROM judgments j
          WHERE NOT EXISTS (SELECT 1 FROM preference_pairs p WHERE p.judgment_id = j.id)
             OR NOT EXISTS (SELECT 1 FROM assignments a WHERE a.id = j.assignment_id AND a.status = 'submitted')`,
      )
      .get() as { n: number };
    expect(orphans.n).toBe(0);
    const submitted = restored.prepare("SELECT count(*) AS n FROM assignments WHERE status = 'submitted'").get() as { n: number };
    expect(submitted.n).toBe(inCopy.size);
    restored.close();
    // Nothing but the copy is left behind (no partial file).
    expect(readdirSync(dir).filter((name) => name.includes("partial"))).toEqual([]);
  }, 180_000);

  it("is restored by stopping, copying the file back and starting again", async () => {
    const restoredCount = judgmentIds(new Database(copy, { readonly: true })).size;
    expect(judgmentIds(sqlite()).size).toBe(PROMPTS);
    // Stop: the app's connection closes. Copy back over the live file, without its old WAL.
    closeConnection();
    for (const suffix of ["-wal", "-shm"]) rmSync(`${dbPath}${suffix}`, { force: true });
    copyFileSync(copy, dbPath);
    // Start: the CLI opens the database as the server does (migrations on open) and reads it.
    const stats = await runCli(["stats", "--batch", batchId, "--json"]);
    expect(stats.status, stats.stderr).toBe(0);
    expect((JSON.parse(stats.stdout) as { judgments: number }).judgments).toBe(restoredCount);
    expect(sqlite().pragma("integrity_check", { simple: true })).toBe("ok");
    expect(sqlite().pragma("journal_mode", { simple: true })).toBe("wal");
    expect(judgmentIds(sqlite()).size).toBe(restoredCount);
  }, 60_000);

  it("refuses the live database, an existing file without --force, and a missing directory", async () => {
    const live = await runCli(["backup", dbPath, "--json"]);
    expect(live.status).toBe(1);
    expect(JSON.parse(live.stdout).error).toMatchObject({ code: "invalid", details: { fields: { file: "is the live database" } } });

    const exists = await runCli(["backup", copy]);
    expect(exists.status).toBe(1);
    expect(exists.stderr).toContain("exists; pass --force to overwrite it");
    const forced = await runCli(["backup", copy, "--force", "--json"]);
    expect(forced.status, forced.stderr).toBe(0);

    const missing = await runCli(["backup", join(dir, "no-such-dir", "copy.db")]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("does not exist");
    expect(existsSync(join(dir, "no-such-dir"))).toBe(false);

    const usage = await runCli(["backup"]);
    expect(usage.status).toBe(2);
  }, 60_000);

  it("records the backup in the audit log", () => {
    const rows = sqlite().prepare("SELECT subject FROM audit_log WHERE action = 'database.backup'").all() as Array<{ subject: string }>;
    expect(rows.map((row) => row.subject)).toContain(copy);
  });
});
