/**
 * Judge runs started from the judge page (README: LLM judge), run by the server in the
 * background as sampling jobs are (sampling-jobs.server.ts): the state lives in judge_runs, so a
 * reloaded page or a restarted server reads it back; this module keeps only this process's runs,
 * to cancel them. A `running` run whose heartbeat stopped and that no process here runs is
 * interrupted, and resuming it asks only for the verdicts it still misses.
 */
import { and, eq } from "drizzle-orm";
import { judgeRuns } from "../../db/schema";
import { recordAudit } from "./audit.server";
import { serverApiKey } from "./chat-client.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { createJudgeRun, judgeOptionsSchema, runJudgeRun } from "./judge.server";
import { STALE_AFTER_MS } from "./sampling.server";

/** Runs one server process judges at once; each holds `concurrency` requests open. */
export const MAX_RUNNING_JUDGE_RUNS = 2;

interface Run {
  controller: AbortController;
  finished: Promise<void>;
}

declare global {
  // One registry per process, surviving Vite's module reloads in development.
  var __verdictJudgeRuns: Map<string, Run> | undefined;
}

function runs(): Map<string, Run> {
  globalThis.__verdictJudgeRuns ??= new Map();
  return globalThis.__verdictJudgeRuns;
}

export type JudgeRunState = "running" | "interrupted" | "done" | "failed" | "cancelled";

/** A run's state as the page shows it: `interrupted` is running in the table with no live process. */
export function judgeRunState(run: { id: string; status: string; updatedAt: number }, now = Date.now()): JudgeRunState {
  if (run.status !== "running") return run.status as JudgeRunState;
  if (runs().has(run.id)) return "running";
  return now - run.updatedAt > STALE_AFTER_MS ? "interrupted" : "running";
}

function ensureRoom(): void {
  if (runs().size >= MAX_RUNNING_JUDGE_RUNS) throw new ServiceError("conflict", `this server already runs ${MAX_RUNNING_JUDGE_RUNS} judge runs; wait for one to finish or cancel one`);
}

function launch(runId: string, apiKey: string | undefined, userId: string | null, endpoint?: string): void {
  const controller = new AbortController();
  const run: Run = { controller, finished: Promise.resolve() };
  runs().set(runId, run);
  run.finished = runJudgeRun(runId, { apiKey, signal: controller.signal, userId }, endpoint)
    .then(() => undefined)
    .catch((error: unknown) => {
      connection()
        .db.update(judgeRuns)
        .set({ status: "failed", updatedAt: Date.now(), finishedAt: Date.now() })
        .where(and(eq(judgeRuns.id, runId), eq(judgeRuns.status, "running")))
        .run();
      console.error(`judge run ${runId} failed: ${error instanceof Error ? error.message : String(error)}`);
    })
    .finally(() => runs().delete(runId));
}

/** Validates the options, creates a run and starts it in the background; returns its id. */
export function startJudgeRun(input: unknown, userId: string | null): string {
  const parsed = judgeOptionsSchema.safeParse(input);
  const apiKey = parsed.success ? serverApiKey(parsed.data.api_key_env) : undefined;
  ensureRoom();
  const runId = createJudgeRun(input, userId);
  launch(runId, apiKey, userId, parsed.success ? parsed.data.endpoint : undefined);
  return runId;
}

function runRow(runId: string) {
  const row = connection().db.select().from(judgeRuns).where(eq(judgeRuns.id, runId)).get();
  if (!row) throw new ServiceError("not_found", `no judge run ${runId}`);
  return row;
}

/** Runs an interrupted, cancelled or failed run (or one with failures) again: only missing verdicts are asked for. */
export function resumeJudgeRun(runId: string, userId: string | null): void {
  const row = runRow(runId);
  const state = judgeRunState(row);
  if (state === "running") throw new ServiceError("conflict", "this run is running; it needs no resuming");
  if (state === "done" && row.failed === 0) throw new ServiceError("conflict", "this run is done: every verdict is stored");
  const options = judgeOptionsSchema.parse(row.options);
  const apiKey = serverApiKey(options.api_key_env);
  ensureRoom();
  // Compare and set: of two processes resuming the same run, one gets it.
  const claimed = connection()
    .db.update(judgeRuns)
    .set({ status: "running", updatedAt: Math.max(Date.now(), row.updatedAt + 1), finishedAt: null })
    .where(and(eq(judgeRuns.id, runId), eq(judgeRuns.status, row.status), eq(judgeRuns.updatedAt, row.updatedAt)))
    .run();
  if (claimed.changes !== 1) throw new ServiceError("conflict", "another process resumed or changed this run just now; reload to see it");
  recordAudit(connection().db, { userId, action: "judge.resume", subject: runId });
  launch(runId, apiKey, userId);
}

/** Cancels a run: one of this process stops at once (verdicts stored are kept); any other is marked cancelled. */
export async function cancelJudgeRun(runId: string, userId: string | null): Promise<void> {
  const row = runRow(runId);
  if (row.status !== "running") throw new ServiceError("conflict", `this run is ${row.status} already`);
  recordAudit(connection().db, { userId, action: "judge.cancel", subject: runId });
  const run = runs().get(runId);
  if (run) {
    run.controller.abort();
    await run.finished;
    return;
  }
  connection()
    .db.update(judgeRuns)
    .set({ status: "cancelled", updatedAt: Date.now(), finishedAt: Date.now() })
    .where(and(eq(judgeRuns.id, runId), eq(judgeRuns.status, "running")))
    .run();
}

/** Resolves when every run of this process has stopped (tests). */
export async function judgeRunsSettled(): Promise<void> {
  await Promise.all([...runs().values()].map((run) => run.finished));
}
