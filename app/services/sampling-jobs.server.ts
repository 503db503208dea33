/**
 * Sampling jobs run by the server in the background (README: Sampling from the browser). The
 * state lives in sampling_jobs, so a page reloaded — or a server restarted — reads it back; this
 * module only keeps, in memory, the runs of this process (to cancel them and to know when each
 * began). A `running` job whose heartbeat stopped (STALE_AFTER_MS) and that no process here runs
 * is *interrupted*: shown as resumable, and resumed by running the same job again, which samples
 * only what is still missing.
 */
import { samplingJobProgress, type SamplingJobProgress } from "../core/sampling";
import { serverApiKey } from "./chat-client.server";
import { recordAudit } from "./audit.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import {
  createSamplingJob,
  parseSamplingOptions,
  runSamplingJob,
  samplingFailures,
  samplingOptionsSchema,
  STALE_AFTER_MS,
  type SamplingFailure,
} from "./sampling.server";
import type { Sqlite } from "../../db/client";

/** Jobs one server process runs at once: each holds `concurrency` requests open; more would only queue at the endpoint. */
export const MAX_RUNNING_JOBS = 2;

interface Run {
  controller: AbortController;
  startedAt: number;
  finished: Promise<void>;
}

declare global {
  // One registry per process, surviving Vite's module reloads in development.
  var __verdictSamplingRuns: Map<string, Run> | undefined;
}

function runs(): Map<string, Run> {
  globalThis.__verdictSamplingRuns ??= new Map();
  return globalThis.__verdictSamplingRuns;
}

/** `interrupted` is derived: running in the table, but no heartbeat for STALE_AFTER_MS and not run here. */
export type SamplingJobState = "running" | "interrupted" | "done" | "failed" | "cancelled";

export interface SamplingJobView {
  id: string;
  dataset: string;
  label: string;
  model: string;
  /** Without credentials or query string: as stored. */
  endpoint: string;
  n: number;
  concurrency: number;
  apiKeyEnv: string | null;
  state: SamplingJobState;
  /** Run by this server process (so its rate is known and the page can cancel it at once). */
  here: boolean;
  progress: SamplingJobProgress;
  createdBy: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /** Resume samples what is missing: after an interruption, a cancel, a crash, or failures. */
  resumable: boolean;
  cancellable: boolean;
}

interface JobRow {
  id: string;
  dataset: string;
  label: string;
  options: string;
  status: "running" | "done" | "failed" | "cancelled";
  requested: number;
  already_present: number;
  sampled: number;
  failed: number;
  created_by: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

const JOB_SELECT = `SELECT j.id, d.name AS dataset, j.label, j.options, j.status, j.requested, j.already_present, j.sampled, j.failed,
  u.username AS created_by, j.created_at, j.updated_at, j.finished_at
  FROM sampling_jobs j JOIN datasets d ON d.id = j.dataset_id LEFT JOIN users u ON u.id = j.created_by`;

function stateOf(row: Pick<JobRow, "id" | "status" | "updated_at">, now: number): SamplingJobState {
  if (row.status !== "running") return row.status;
  if (runs().has(row.id)) return "running";
  return now - row.updated_at > STALE_AFTER_MS ? "interrupted" : "running";
}

function viewOf(row: JobRow, now: number): SamplingJobView {
  const options = samplingOptionsSchema.parse(JSON.parse(row.options));
  const state = stateOf(row, now);
  const run = runs().get(row.id);
  // A run elsewhere (the CLI) began when its job was created: the CLI makes a job per run.
  const startedAt = run?.startedAt ?? row.created_at;
  return {
    id: row.id,
    dataset: row.dataset,
    label: row.label,
    model: options.model,
    endpoint: options.endpoint,
    n: options.n,
    concurrency: options.concurrency,
    apiKeyEnv: options.api_key_env ?? null,
    state,
    here: Boolean(run),
    progress: samplingJobProgress(row, state === "running" ? { startedAt, now } : null),
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    resumable: state === "interrupted" || state === "cancelled" || state === "failed" || (state === "done" && row.failed > 0),
    cancellable: state === "running" || state === "interrupted",
  };
}

/** A dataset's jobs, newest first (those the CLI ran too). */
export function listSamplingJobs(dataset: string, limit = 50): SamplingJobView[] {
  const { sqlite } = connection();
  const found = sqlite.prepare<[string, string], { id: string }>("SELECT id FROM datasets WHERE name = ? OR id = ?").get(dataset, dataset);
  if (!found) throw new ServiceError("not_found", `no dataset "${dataset}"`);
  const now = Date.now();
  return sqlite
    .prepare<[string, number], JobRow>(`${JOB_SELECT} WHERE j.dataset_id = ? ORDER BY j.created_at DESC, j.rowid DESC LIMIT ?`)
    .all(found.id, limit)
    .map((row) => viewOf(row, now));
}

export function samplingJob(jobId: string): SamplingJobView & { failures: SamplingFailure[] } {
  const row = connection().sqlite.prepare<[string], JobRow>(`${JOB_SELECT} WHERE j.id = ?`).get(jobId);
  if (!row) throw new ServiceError("not_found", `no sampling job ${jobId}`);
  return { ...viewOf(row, Date.now()), failures: samplingFailures(jobId) };
}

function ensureRoom(): void {
  if (runs().size >= MAX_RUNNING_JOBS) {
    throw new ServiceError("conflict", `this server already runs ${MAX_RUNNING_JOBS} sampling jobs; wait for one to finish or cancel one`);
  }
}

/** Runs the job in the background: the caller gets the id at once, the table holds the rest. */
function launch(jobId: string, apiKey: string | undefined, userId: string | null, endpoint?: string): void {
  const controller = new AbortController();
  const run: Run = { controller, startedAt: Date.now(), finished: Promise.resolve() };
  runs().set(jobId, run);
  run.finished = runSamplingJob(jobId, { apiKey, signal: controller.signal, userId }, endpoint)
    .then(() => undefined)
    .catch((error: unknown) => {
      // runSamplingJob marks a crashed run failed; one set up wrongly never started, so mark it here.
      connection()
        .sqlite.prepare("UPDATE sampling_jobs SET status = 'failed', updated_at = ?, finished_at = ? WHERE id = ? AND status = 'running'")
        .run(Date.now(), Date.now(), jobId);
      console.error(`sampling job ${jobId} failed: ${error instanceof Error ? error.message : String(error)}`);
    })
    .finally(() => runs().delete(jobId));
}

/** Validates the options, creates a job and starts it in the background; returns its id. */
export function startSamplingJob(input: unknown, userId: string | null): string {
  const options = parseSamplingOptions(input);
  const apiKey = serverApiKey(options.api_key_env);
  ensureRoom();
  const { sqlite } = connection();
  const label = options.label ?? options.model;
  // Two live jobs on one label would ask twice for the same missing samples (stored once, paid twice).
  const busy = sqlite
    .prepare<[string, string, string], JobRow>(`${JOB_SELECT} WHERE (d.name = ? OR d.id = ?) AND j.label = ? AND j.status = 'running'`)
    .all(options.dataset, options.dataset, label)
    .find((row) => stateOf(row, Date.now()) === "running");
  if (busy) throw new ServiceError("conflict", `job ${busy.id} is already sampling ${label} into this dataset; cancel it or wait for it`, { fields: { label: "a running job samples this label already" } });
  const jobId = createSamplingJob(options, userId);
  recordAudit(connection().db, { userId, action: "sampling.start", subject: jobId, detail: { dataset: options.dataset, label, model: options.model, n: options.n } });
  launch(jobId, apiKey, userId, options.endpoint);
  return jobId;
}

/**
 * Takes a job over for a new run if it is still as `seen` (status and heartbeat): one UPDATE
 * compared and set, so of two processes resuming the same job only one gets it.
 */
export function claimSamplingJob(sqlite: Sqlite, jobId: string, seen: { status: string; updated_at: number }): boolean {
  const now = Math.max(Date.now(), seen.updated_at + 1);
  return (
    sqlite
      .prepare("UPDATE sampling_jobs SET status = 'running', updated_at = ?, finished_at = NULL WHERE id = ? AND status = ? AND updated_at = ?")
      .run(now, jobId, seen.status, seen.updated_at).changes === 1
  );
}

/** Runs an interrupted, cancelled or failed job again in the background: it samples only what is missing. */
export function resumeSamplingJob(jobId: string, userId: string | null): void {
  const { sqlite } = connection();
  const row = sqlite.prepare<[string], JobRow>(`${JOB_SELECT} WHERE j.id = ?`).get(jobId);
  if (!row) throw new ServiceError("not_found", `no sampling job ${jobId}`);
  const view = viewOf(row, Date.now());
  if (view.state === "running") throw new ServiceError("conflict", "this job is running; it needs no resuming");
  if (!view.resumable) throw new ServiceError("conflict", "this job is done: every sample is stored");
  const apiKey = serverApiKey(view.apiKeyEnv ?? undefined);
  ensureRoom();
  if (!claimSamplingJob(sqlite, jobId, row)) throw new ServiceError("conflict", "another process resumed or changed this job just now; reload to see it");
  recordAudit(connection().db, { userId, action: "sampling.resume", subject: jobId });
  launch(jobId, apiKey, userId);
}

/**
 * Cancels a job: a run of this process is aborted at once (requests in flight dropped, answers
 * stored kept); any other is marked cancelled, which an interrupted job simply becomes and a live
 * CLI run notices at its next heartbeat. Resolves when a run here has stopped.
 */
export async function cancelSamplingJob(jobId: string, userId: string | null): Promise<void> {
  const { sqlite } = connection();
  const row = sqlite.prepare<[string], { status: string }>("SELECT status FROM sampling_jobs WHERE id = ?").get(jobId);
  if (!row) throw new ServiceError("not_found", `no sampling job ${jobId}`);
  if (row.status !== "running") throw new ServiceError("conflict", `this job is ${row.status} already`);
  recordAudit(connection().db, { userId, action: "sampling.cancel", subject: jobId });
  const run = runs().get(jobId);
  if (run) {
    run.controller.abort();
    await run.finished;
    return;
  }
  sqlite.prepare("UPDATE sampling_jobs SET status = 'cancelled', updated_at = ?, finished_at = ? WHERE id = ? AND status = 'running'").run(Date.now(), Date.now(), jobId);
}

/** Resolves when every run of this process has stopped (tests; a graceful shutdown could wait on it). */
export async function samplingRunsSettled(): Promise<void> {
  await Promise.all([...runs().values()].map((run) => run.finished));
}
