/**
 * Sampling responses from an OpenAI-compatible endpoint into a dataset (README: Sampling
 * responses). A job is a row in sampling_jobs holding its options (never the API key); running
 * it computes from the database which (prompt, sample index) pairs of its label are missing and
 * asks the endpoint for those only, so running it again — after a failure, a cancel or a
 * SIGKILL — fills the gaps and never duplicates: each answer is inserted on its own under the
 * unique (prompt_id, external_id) index with ON CONFLICT DO NOTHING, in the transaction that
 * counts it in the job.
 */
import { z } from "zod";
import { newId } from "../../db/ids";
import type { StoredMessage } from "../../db/schema";
import {
  chatCompletionsUrl,
  chatRequestBody,
  DEFAULT_RETRY,
  displayEndpoint,
  redact,
  sampleExternalId,
  sampleSeed,
  type Completion,
  type RetryPolicy,
  type SamplingParams,
  type SamplingProgress,
} from "../core/sampling";
import { chatWithRetries, runWorkers } from "./chat-client.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";

/** An OpenAI-compatible API's base URL, as sampling and judge runs take it. */
export const endpointSchema = z
  .string({ error: "the endpoint URL is required" })
  .trim()
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL, the API's base such as http://host:8000/v1")
  // fetch refuses credentials in URLs, and a URL is shown and stored: the key goes in the environment.
  .refine((value) => URL.canParse(value) && !new URL(value).username && !new URL(value).password, "must not hold a user or password; pass the key with --api-key-env");

const optionalNumber = <T extends z.ZodNumber>(schema: T) => z.coerce.number().pipe(schema).optional();

/** The options of a job as a form or the CLI gives them (snake_case, strings accepted for numbers). */
export const samplingOptionsSchema = z.object({
  dataset: z.string({ error: "the dataset is required" }).trim().min(1, "the dataset is required"),
  endpoint: endpointSchema,
  model: z.string({ error: "the model is required" }).trim().min(1, "the model is required"),
  label: z.string().trim().min(1, "must not be empty").max(200).optional(),
  n: z.coerce.number().pipe(z.int("must be a whole number").min(1, "at least 1").max(100, "at most 100")).default(2),
  temperature: optionalNumber(z.number().min(0, "0 to 2").max(2, "0 to 2")),
  top_p: optionalNumber(z.number().gt(0, "above 0, at most 1").max(1, "above 0, at most 1")),
  max_tokens: optionalNumber(z.int("must be a whole number").min(1, "at least 1")),
  seed: optionalNumber(z.int("must be a whole number").min(0, "at least 0").max(2 ** 31 - 1)),
  system_prompt: z.string().optional(),
  concurrency: z.coerce.number().pipe(z.int("must be a whole number").min(1, "at least 1").max(256, "at most 256")).default(4),
  max_retries: z.coerce.number().pipe(z.int("must be a whole number").min(0, "at least 0").max(20, "at most 20")).default(DEFAULT_RETRY.maxRetries),
  retry_base_ms: z.coerce.number().pipe(z.int("must be a whole number").min(0, "at least 0")).default(DEFAULT_RETRY.baseMs),
  retry_max_ms: z.coerce.number().pipe(z.int("must be a whole number").min(0, "at least 0")).default(DEFAULT_RETRY.maxMs),
  timeout_ms: z.coerce.number().pipe(z.int("must be a whole number").min(1, "at least 1")).default(120_000),
  /** Only the variable's name, for the record: the key itself is never an option. */
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name").optional(),
});

export type SamplingOptions = z.infer<typeof samplingOptionsSchema>;

export function parseSamplingOptions(input: unknown): SamplingOptions {
  const parsed = samplingOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  return parsed.data;
}

export interface SamplingSummary {
  job: string;
  dataset: string;
  model: string;
  /** prompts × n */
  requested: number;
  sampled: number;
  already_present: number;
  failed: number;
  status: "done" | "cancelled";
}

export interface SamplingHooks {
  /** The API key, in memory only: sent as `Authorization: Bearer`, never stored or put in a message. */
  apiKey?: string;
  onProgress?: (progress: SamplingProgress) => void;
  /** Aborting cancels the job: requests in flight are dropped, answers already stored stay. */
  signal?: AbortSignal;
  /** [0, 1) for the backoff's jitter; Math.random unless a test fixes it. */
  random?: () => number;
  userId?: string | null;
  /** How often the run touches its job's updated_at (HEARTBEAT_MS unless a test shortens it). */
  heartbeatMs?: number;
}

/**
 * A running job touches its updated_at this often, whichever process runs it (the server or the
 * CLI); a `running` job not touched for STALE_AFTER_MS has lost its process (SIGKILL, a server
 * restart) and is shown as interrupted, to be resumed (docs/decisions.md: sampling jobs).
 */
export const HEARTBEAT_MS = 2_000;
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

/** Creates a job (status running, no counts yet) for the options; returns its id. */
export function createSamplingJob(options: SamplingOptions, userId: string | null = null): string {
  const { sqlite } = connection();
  const dataset = sqlite.prepare<[string, string], { id: string }>("SELECT id FROM datasets WHERE name = ? OR id = ?").get(options.dataset, options.dataset);
  if (!dataset) throw new ServiceError("not_found", `no dataset "${options.dataset}"`, { fields: { dataset: "no such dataset" } });
  const id = newId();
  const now = Date.now();
  const stored = { ...options, endpoint: displayEndpoint(options.endpoint) };
  sqlite
    .prepare("INSERT INTO sampling_jobs (id, dataset_id, label, options, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'running', ?, ?, ?)")
    .run(id, dataset.id, options.label ?? options.model, JSON.stringify(stored), userId, now, now);
  return id;
}

/** Validates the options, creates a job and runs it: what the CLI calls. */
export async function sample(input: unknown, hooks: SamplingHooks = {}): Promise<SamplingSummary> {
  const options = parseSamplingOptions(input);
  // The endpoint itself (with a key-free URL check above) is only used from the job's options
  // in memory: the stored copy has its query string removed.
  return runSamplingJob(createSamplingJob(options, hooks.userId ?? null), hooks, options.endpoint);
}

interface Work {
  promptId: string;
  index: number;
}

/**
 * Runs (or runs again) a job: samples what its label is missing, storing each answer as it
 * comes. The job's counts are those of this run. `endpoint` overrides the stored one (which
 * has lost its query string); a later caller resuming a job passes nothing.
 */
export async function runSamplingJob(jobId: string, hooks: SamplingHooks = {}, endpoint?: string): Promise<SamplingSummary> {
  const { sqlite } = connection();
  const job = sqlite
    .prepare<[string], { dataset_id: string; label: string; options: string; name: string }>(
      "SELECT j.dataset_id, j.label, j.options, d.name FROM sampling_jobs j JOIN datasets d ON d.id = j.dataset_id WHERE j.id = ?",
    )
    .get(jobId);
  if (!job) throw new ServiceError("not_found", `no sampling job ${jobId}`);
  const options = samplingOptionsSchema.parse(JSON.parse(job.options));
  const url = chatCompletionsUrl(endpoint ?? options.endpoint);
  const shownEndpoint = displayEndpoint(endpoint ?? options.endpoint);
  const label = job.label;
  const params: SamplingParams = { temperature: options.temperature, top_p: options.top_p, max_tokens: options.max_tokens, seed: options.seed };
  const policy: RetryPolicy = { maxRetries: options.max_retries, baseMs: options.retry_base_ms, maxMs: options.retry_max_ms };
  const random = hooks.random ?? Math.random;
  // Stopped by the caller's signal, or by the heartbeat finding the job no longer running
  // (cancelled from another process: the page cancelling a CLI run, say).
  const stop = new AbortController();
  const signal = hooks.signal ? AbortSignal.any([hooks.signal, stop.signal]) : stop.signal;
  const apiKey = hooks.apiKey || undefined;

  // What is missing, from the database: a re-run never asks twice for a stored sample.
  const externalIds = Array.from({ length: options.n }, (_, i) => sampleExternalId(label, i));
  const promptIds = sqlite.prepare<[string], { id: string }>("SELECT id FROM prompts WHERE dataset_id = ? ORDER BY rowid").all(job.dataset_id).map((r) => r.id);
  const present = new Set(
    sqlite
      .prepare<[string, string], { prompt_id: string; external_id: string }>(
        `SELECT r.prompt_id, r.external_id FROM responses r JOIN prompts p ON p.id = r.prompt_id
         WHERE p.dataset_id = ? AND r.external_id IN (SELECT value FROM json_each(?))`,
      )
      .all(job.dataset_id, JSON.stringify(externalIds))
      .map((r) => `${r.prompt_id}\u0000${r.external_id}`),
  );
  const work: Work[] = [];
  for (const promptId of promptIds) {
    for (let index = 0; index < options.n; index++) {
      if (!present.has(`${promptId}\u0000${externalIds[index]}`)) work.push({ promptId, index });
    }
  }
  const counts = { requested: promptIds.length * options.n, already_present: promptIds.length * options.n - work.length, sampled: 0, failed: 0 };
  sqlite.transaction(() => {
    sqlite.prepare("DELETE FROM sampling_failures WHERE job_id = ?").run(jobId);
    sqlite
      .prepare("UPDATE sampling_jobs SET status = 'running', requested = ?, already_present = ?, sampled = 0, failed = 0, updated_at = ?, finished_at = NULL WHERE id = ?")
      .run(counts.requested, counts.already_present, Date.now(), jobId);
  })();

  const messagesOf = sqlite.prepare<[string], { messages: string }>("SELECT messages FROM prompts WHERE id = ?");
  const insertResponse = sqlite.prepare(
    "INSERT INTO responses (id, prompt_id, external_id, model, text, params, metadata) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (prompt_id, external_id) DO NOTHING",
  );
  const countSampled = sqlite.prepare("UPDATE sampling_jobs SET sampled = sampled + ?, already_present = already_present + ?, updated_at = ? WHERE id = ?");
  const insertFailure = sqlite.prepare(
    `INSERT INTO sampling_failures (job_id, prompt_id, sample_index, status, reason, attempts, at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (job_id, prompt_id, sample_index) DO UPDATE SET status = excluded.status, reason = excluded.reason, attempts = excluded.attempts, at = excluded.at`,
  );
  const countFailed = sqlite.prepare("UPDATE sampling_jobs SET failed = failed + 1, updated_at = ? WHERE id = ?");

  const store = sqlite.transaction((item: Work, completion: Completion, latencyMs: number, upstreamModel: string | null) => {
    const seed = sampleSeed(params, item.index);
    const storedParams = {
      ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
      ...(params.top_p === undefined ? {} : { top_p: params.top_p }),
      ...(params.max_tokens === undefined ? {} : { max_tokens: params.max_tokens }),
      ...(seed === undefined ? {} : { seed }),
      ...(options.system_prompt === undefined ? {} : { system_prompt: options.system_prompt }),
      sample_index: item.index,
    };
    const metadata = {
      usage: completion.usage ?? {},
      latency_ms: latencyMs,
      finish_reason: completion.finishReason,
      sampled_at: new Date().toISOString(),
      sample_index: item.index,
      endpoint: shownEndpoint,
      requested_model: options.model,
      ...(upstreamModel ? { upstream_model: upstreamModel } : {}),
      sampling_job: jobId,
    };
    const { changes } = insertResponse.run(newId(), item.promptId, sampleExternalId(label, item.index), label, completion.text, JSON.stringify(storedParams), JSON.stringify(metadata));
    countSampled.run(changes, 1 - changes, Date.now(), jobId);
    return changes === 1;
  });
  const fail = sqlite.transaction((item: Work, status: number | null, reason: string, attempts: number) => {
    insertFailure.run(jobId, item.promptId, item.index, status, redact(reason, apiKey), attempts, Date.now());
    countFailed.run(Date.now(), jobId);
  });

  const touch = sqlite.prepare("UPDATE sampling_jobs SET updated_at = ? WHERE id = ? AND status = 'running'");
  const heartbeat = setInterval(() => {
    try {
      if (touch.run(Date.now(), jobId).changes === 0) stop.abort();
    } catch {
      // A busy database (a long import holding the write lock) skips a beat; the next one retries.
    }
  }, hooks.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();

  const started = Date.now();
  let done = 0;
  const progress = () => hooks.onProgress?.({ done, total: work.length, failed: counts.failed, elapsedMs: Date.now() - started });
  const sampleOne = async (item: Work) => {
    const row = messagesOf.get(item.promptId);
    if (!row) return; // the prompt was deleted while the job ran: nothing to sample any more
    const body = JSON.stringify(chatRequestBody(options.model, JSON.parse(row.messages) as StoredMessage[], params, item.index, options.system_prompt));
    const result = await chatWithRetries({ url, apiKey, body, timeoutMs: options.timeout_ms, signal }, policy, random);
    if (result.kind === "ok") {
      if (store(item, result.completion, result.latencyMs, result.upstreamModel)) counts.sampled++;
      else counts.already_present++;
      return;
    }
    fail(item, result.status, result.reason, result.attempts);
    counts.failed++;
  };

  let crashed: { crash: unknown } | null;
  try {
    crashed = await runWorkers(work, options.concurrency, signal, sampleOne, () => {
      done++;
      progress();
    });
  } finally {
    clearInterval(heartbeat);
  }
  const cancelled = signal.aborted;
  if (crashed && !cancelled) {
    sqlite.prepare("UPDATE sampling_jobs SET status = 'failed', updated_at = ?, finished_at = ? WHERE id = ?").run(Date.now(), Date.now(), jobId);
    throw crashed.crash;
  }
  progress();
  const status = cancelled ? "cancelled" : "done";
  sqlite.prepare("UPDATE sampling_jobs SET status = ?, updated_at = ?, finished_at = ? WHERE id = ?").run(status, Date.now(), Date.now(), jobId);
  return { job: jobId, dataset: job.name, model: label, ...counts, status };
}

export interface SamplingFailure {
  prompt_id: string;
  prompt_external_id: string;
  sample_index: number;
  status: number | null;
  reason: string;
  attempts: number;
}

/** A job's failures of its latest run, in prompt order. */
export function samplingFailures(jobId: string): SamplingFailure[] {
  return connection()
    .sqlite.prepare<[string], SamplingFailure>(
      `SELECT f.prompt_id, p.external_id AS prompt_external_id, f.sample_index, f.status, f.reason, f.attempts
       FROM sampling_failures f JOIN prompts p ON p.id = f.prompt_id WHERE f.job_id = ? ORDER BY p.rowid, f.sample_index`,
    )
    .all(jobId);
}
