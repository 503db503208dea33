import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../db/client";
import { startFakeOpenAI, type FakeServer } from "../support/fake-openai";
import { errorOf, setUpTempDatabase } from "./helpers";

const { dir, dbPath } = setUpTempDatabase({ VERDICT_SEED: "none" });
const { importFile } = await import("~/services/imports.server");
const { connection, closeConnection } = await import("~/services/database.server");
const { STALE_AFTER_MS } = await import("~/services/sampling.server");
const jobs = await import("~/services/sampling-jobs.server");

const KEY = "sk-bg-8c1f0e2a9d4b7365";
process.env.BG_SAMPLE_KEY = KEY;

let server: FakeServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await jobs.samplingRunsSettled();
  closeConnection();
  await server.close();
});

async function dataset(name: string, count: number) {
  const file = join(dir, `${name}.jsonl`);
  writeFileSync(file, Array.from({ length: count }, (_, i) => JSON.stringify({ id: `p${i + 1}`, prompt: `${name} question ${i + 1}` })).join("\n") + "\n");
  await importFile(file, { dataset: name, format: "native" });
}

/** How many responses each (prompt, external id) has: a duplicate would show as 2. */
function copies(name: string): Map<string, number> {
  const rows = connection()
    .sqlite.prepare<[string], { key: string; copies: number }>(
      `SELECT p.external_id || '/' || r.model || '/' || r.external_id AS key, COUNT(*) AS copies FROM responses r
       JOIN prompts p ON p.id = r.prompt_id JOIN datasets d ON d.id = p.dataset_id WHERE d.name = ? GROUP BY p.id, r.model, r.external_id`,
    )
    .all(name);
  return new Map(rows.map((r) => [r.key, r.copies]));
}

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const options = (name: string, extra: Record<string, unknown> = {}) => ({ dataset: name, endpoint: server.url, model: "bg-llm", n: "2", concurrency: "2", api_key_env: "BG_SAMPLE_KEY", ...extra });

describe("sampling jobs in the background", () => {
  it("starts without waiting, shows progress while it runs, and ends done with every sample once", async () => {
    await dataset("bg", 10);
    server.behave = () => ({ kind: "ok", delayMs: 20 });
    const started = Date.now();
    const id = jobs.startSamplingJob(options("bg"), null);
    expect(Date.now() - started).toBeLessThan(500);
    expect(jobs.samplingJob(id)).toMatchObject({ state: "running", here: true, cancellable: true, resumable: false, endpoint: server.url, apiKeyEnv: "BG_SAMPLE_KEY" });
    await until(() => jobs.samplingJob(id).progress.stored >= 4, "4 samples");
    const midway = jobs.samplingJob(id);
    expect(midway.state).toBe("running");
    expect(midway.progress.total).toBe(20);
    expect(midway.progress.ratePerSecond).toBeGreaterThan(0);
    expect(midway.progress.etaMs).toBeGreaterThan(0);
    await until(() => jobs.samplingJob(id).state === "done", "done");
    expect(jobs.samplingJob(id)).toMatchObject({ state: "done", here: false, resumable: false, progress: { stored: 20, remaining: 0, percent: 100, failed: 0 } });
    expect([...copies("bg").values()]).toEqual(Array(20).fill(1));
    expect(server.requests.slice(-20).every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
    expect(jobs.listSamplingJobs("bg").map((j) => j.id)).toEqual([id]);
  });

  it("cancel stops a run at once, keeps what it stored, and resume finishes it without duplicates", async () => {
    await dataset("stop", 30);
    server.behave = () => ({ kind: "ok", delayMs: 400 });
    const id = jobs.startSamplingJob(options("stop", { n: "1", concurrency: "3" }), null);
    await until(() => jobs.samplingJob(id).progress.stored >= 3, "3 samples");
    const asked = Date.now();
    await jobs.cancelSamplingJob(id, null);
    // The three requests in flight (400 ms each) are dropped, not waited for.
    expect(Date.now() - asked).toBeLessThan(300);
    const cancelled = jobs.samplingJob(id);
    expect(cancelled).toMatchObject({ state: "cancelled", resumable: true, cancellable: false });
    const kept = copies("stop").size;
    expect(kept).toBe(cancelled.progress.stored);
    expect(kept).toBeLessThan(30);
    // Nothing new is asked after the cancel (a request already on the wire may still land at first).
    await new Promise((r) => setTimeout(r, 100));
    const requestsAfter = server.requests.length;
    await new Promise((r) => setTimeout(r, 600));
    expect(server.requests.length).toBe(requestsAfter);
    expect(copies("stop").size).toBe(kept);

    server.behave = () => ({ kind: "ok", delayMs: 5 });
    jobs.resumeSamplingJob(id, null);
    await until(() => jobs.samplingJob(id).state === "done", "resumed job done");
    expect(jobs.samplingJob(id).progress).toMatchObject({ stored: 30, total: 30, remaining: 0 });
    expect([...copies("stop").values()]).toEqual(Array(30).fill(1));
  });

  it("a running job whose heartbeat stopped shows as interrupted and resumes to completion without duplicates", async () => {
    await dataset("crashed", 8);
    // What a SIGKILLed process leaves: a job marked running, half its samples stored, no heartbeat for a while.
    const { createSamplingJob, runSamplingJob, parseSamplingOptions } = await import("~/services/sampling.server");
    const id = createSamplingJob(parseSamplingOptions(options("crashed")));
    server.behave = () => ({ kind: "ok", delayMs: 5 });
    const half = new AbortController();
    await runSamplingJob(id, { apiKey: KEY, signal: half.signal, onProgress: (p) => p.done >= 6 && half.abort() }, server.url);
    const partial = copies("crashed").size;
    expect(partial).toBeGreaterThanOrEqual(6);
    expect(partial).toBeLessThan(16);
    const sqlite = connection().sqlite;
    sqlite.prepare("UPDATE sampling_jobs SET status = 'running', finished_at = NULL, updated_at = ? WHERE id = ?").run(Date.now() - STALE_AFTER_MS - 1000, id);
    expect(jobs.samplingJob(id)).toMatchObject({ state: "interrupted", resumable: true, cancellable: true, here: false });

    // A request the abort cut off may still reach the fake server a moment later: let it land
    // before counting, so the count below is only the resumed run's.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const before = server.requests.length;
    jobs.resumeSamplingJob(id, null);
    expect(jobs.samplingJob(id).state).toBe("running");
    // The run claimed it: a second resume is refused, not a second run.
    expect(() => jobs.resumeSamplingJob(id, null)).toThrow("this job is running");
    await until(() => jobs.samplingJob(id).state === "done", "resumed job done");
    expect(server.requests.length - before).toBe(16 - partial);
    expect([...copies("crashed").values()]).toEqual(Array(16).fill(1));
    expect(jobs.samplingJob(id).progress).toMatchObject({ stored: 16, remaining: 0 });
  });

  it("of two processes claiming the same interrupted job only one wins", async () => {
    await dataset("race", 2);
    const { createSamplingJob, parseSamplingOptions } = await import("~/services/sampling.server");
    const id = createSamplingJob(parseSamplingOptions(options("race")));
    const sqlite = connection().sqlite;
    sqlite.prepare("UPDATE sampling_jobs SET updated_at = ? WHERE id = ?").run(Date.now() - 60_000, id);
    const seen = sqlite.prepare<[string], { status: string; updated_at: number }>("SELECT status, updated_at FROM sampling_jobs WHERE id = ?").get(id)!;
    // Another process: its own connection to the same file, having read the same row.
    const other = openDatabase(dbPath, { migrate: false });
    try {
      const results = [jobs.claimSamplingJob(other.sqlite, id, seen), jobs.claimSamplingJob(sqlite, id, seen)];
      expect(results).toEqual([true, false]);
    } finally {
      other.sqlite.close();
    }
    expect(jobs.samplingJob(id).state).toBe("running");
    // The winner's heartbeat is fresh, so the loser's page shows it running, not resumable.
    expect(() => jobs.resumeSamplingJob(id, null)).toThrow("this job is running");
  });

  it("cancelling an interrupted job marks it cancelled; resuming needs the key's variable set again", async () => {
    await dataset("nokey", 3);
    const { createSamplingJob, parseSamplingOptions } = await import("~/services/sampling.server");
    const id = createSamplingJob(parseSamplingOptions(options("nokey", { api_key_env: "BG_GONE_KEY" })));
    connection().sqlite.prepare("UPDATE sampling_jobs SET updated_at = ? WHERE id = ?").run(Date.now() - 60_000, id);
    expect(jobs.samplingJob(id).state).toBe("interrupted");
    await jobs.cancelSamplingJob(id, null);
    expect(jobs.samplingJob(id)).toMatchObject({ state: "cancelled", resumable: true });
    expect(() => jobs.resumeSamplingJob(id, null)).toThrow("the server has no environment variable BG_GONE_KEY");
    expect(jobs.samplingJob(id).state).toBe("cancelled");

    let refused: unknown;
    try {
      jobs.startSamplingJob(options("nokey", { api_key_env: "BG_GONE_KEY" }), null);
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: "invalid", details: { fields: { api_key_env: "the server has no environment variable BG_GONE_KEY" } } });
    expect(() => jobs.startSamplingJob(options("nokey", { api_key_env: "sk-not-a-name" }), null)).toThrow("must be an environment variable name");
    // Only variables meant as endpoint keys: not the server's other secrets, not Verdict's own.
    process.env.SOME_SECRET = "not for endpoints";
    for (const name of ["SOME_SECRET", "HOME", "VERDICT_DB_KEY"]) {
      const refusal = errorOf(() => jobs.startSamplingJob(options("nokey", { api_key_env: name }), null));
      expect(refusal.details).toEqual({ fields: { api_key_env: "only a variable whose name ends in _KEY (not VERDICT_…), such as OPENAI_API_KEY" } });
    }
    expect(jobs.listSamplingJobs("nokey")).toHaveLength(1);
  });

  it("refuses a second live job on the same label and more than MAX_RUNNING_JOBS at once", async () => {
    await dataset("busy", 20);
    server.behave = () => ({ kind: "ok", delayMs: 300 });
    const first = jobs.startSamplingJob(options("busy"), null);
    expect(() => jobs.startSamplingJob(options("busy"), null)).toThrow(/already sampling bg-llm/);
    const second = jobs.startSamplingJob(options("busy", { label: "other" }), null);
    expect(() => jobs.startSamplingJob(options("busy", { label: "third" }), null)).toThrow(`already runs ${jobs.MAX_RUNNING_JOBS} sampling jobs`);
    await Promise.all([jobs.cancelSamplingJob(first, null), jobs.cancelSamplingJob(second, null)]);
    expect(jobs.listSamplingJobs("busy").map((j) => j.state)).toEqual(["cancelled", "cancelled"]);
  });

  it("a run elsewhere (the CLI) keeps its heartbeat and stops when the page marks its job cancelled", async () => {
    await dataset("cli", 20);
    const { createSamplingJob, runSamplingJob, parseSamplingOptions } = await import("~/services/sampling.server");
    const id = createSamplingJob(parseSamplingOptions(options("cli", { n: "1" })));
    server.behave = () => ({ kind: "ok", delayMs: 250 });
    const run = runSamplingJob(id, { apiKey: KEY, heartbeatMs: 50 }, server.url);
    const beat = () => connection().sqlite.prepare<[string], { updated_at: number }>("SELECT updated_at FROM sampling_jobs WHERE id = ?").get(id)!.updated_at;
    const first = beat();
    await new Promise((r) => setTimeout(r, 150));
    // No answer came yet (250 ms each): only the heartbeat moved updated_at.
    expect(copies("cli").size).toBe(0);
    expect(beat()).toBeGreaterThan(first);
    const other = openDatabase(dbPath, { migrate: false });
    try {
      other.sqlite.prepare("UPDATE sampling_jobs SET status = 'cancelled' WHERE id = ?").run(id);
    } finally {
      other.sqlite.close();
    }
    const asked = Date.now();
    const summary = await run;
    expect(Date.now() - asked).toBeLessThan(200);
    expect(summary.status).toBe("cancelled");
    expect(copies("cli").size).toBeLessThan(20);
  });

  it("never stores the key", async () => {
    await jobs.samplingRunsSettled();
    closeConnection();
    const bytes = readdirSync(dir)
      .filter((f) => f.startsWith("verdict.db"))
      .map((f) => readFileSync(join(dir, f)).toString("latin1"))
      .join("");
    expect(bytes).toContain("BG_SAMPLE_KEY");
    expect(bytes).not.toContain(KEY);
  });
});
