/**
 * LLM-judge runs over a batch (issue 13; README: LLM judge). A run is a row in judge_runs with
 * its options (never the API key) and its prompt template; running it asks an OpenAI-compatible
 * endpoint to answer the batch's own task about each item, pairwise items twice with the sides
 * swapped, and stores each answer in judge_verdicts as it comes — read with zod, or kept as a
 * failure with the raw text after `parse_retries` more tries. Running a run again asks only for
 * what it still misses, so a cancel, a crash or a flaky endpoint loses nothing.
 *
 * Verdicts stay apart from the reviewers' judgments (db/schema.ts: judgeVerdicts): no human
 * statistic, consensus or export reads them unless asked for source `llm-judge`.
 */
import { createHash } from "node:crypto";
import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { newId } from "../../db/ids";
import { items, judgeRuns, judgeVerdicts, judgmentFlags, judgments, modelPrices, prompts, responses, users, type ContextDocument, type StoredMessage } from "../../db/schema";
import { median } from "../core/agreement/reviewers";
import { parseJudgeAnswer, type JudgeTask } from "../core/judge/parse";
import { BUILT_IN_TEMPLATES, renderJudgePrompt, templateProblem } from "../core/judge/template";
import { humanMajority, judgeOutcome, judgeTrust, swapConsistency, type JudgeTrustReport, type Outcome, type SwapConsistency, type TrustUnit } from "../core/judge/trust";
import { judgeDisplayOrder, pairOutcomes, ratingProblem, storedVerdict, type PairOutcome } from "../core/judge/verdict";
import { rankingChoice } from "../core/ranking/disputes";
import type { JudgmentPayload } from "../core/tasks/judgment";
import { chatCompletionsUrl, DEFAULT_RETRY, displayEndpoint, redact, type RetryPolicy, type SamplingProgress } from "../core/sampling";
import { recordAudit } from "./audit.server";
import { getBatch } from "./batches.server";
import { chatWithRetries, runWorkers } from "./chat-client.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { endpointSchema, HEARTBEAT_MS } from "./sampling.server";
import { invalidFrom } from "./validation.server";

const whole = (min: number, max: number) =>
  z.coerce.number().pipe(z.int("must be a whole number").min(min, `at least ${min}`).max(max, `at most ${max}`));

/** A run's options as the CLI or the judge page give them (snake_case; strings accepted for numbers). */
export const judgeOptionsSchema = z.object({
  batch: z.string({ error: "the batch is required" }).trim().min(1, "the batch is required"),
  endpoint: endpointSchema,
  model: z.string({ error: "the model is required" }).trim().min(1, "the model is required").max(200),
  /** A built-in template's name, or (with `template_text`) the name a custom one is shown by. */
  template: z.string().trim().min(1).max(200).default("default"),
  template_text: z.string().max(100_000, "at most 100,000 characters").optional(),
  concurrency: whole(1, 64).default(4),
  /** Pairwise items are judged a second time with the sides swapped (position bias); on by default. */
  swap: z
    .union([z.boolean(), z.enum(["1", "0", "true", "false", "on", "off"])])
    .transform((v) => v === true || v === "1" || v === "true" || v === "on")
    .default(true),
  temperature: z.coerce.number().pipe(z.number().min(0, "0 to 2").max(2, "0 to 2")).default(0),
  max_tokens: whole(1, 100_000).optional(),
  /** Tries after an answer that cannot be read, before it is recorded as a failure. */
  parse_retries: whole(0, 5).default(1),
  max_retries: whole(0, 20).default(DEFAULT_RETRY.maxRetries),
  retry_base_ms: whole(0, 600_000).default(DEFAULT_RETRY.baseMs),
  retry_max_ms: whole(0, 600_000).default(DEFAULT_RETRY.maxMs),
  timeout_ms: whole(1, 3_600_000).default(120_000),
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name").optional(),
});
export type JudgeOptions = z.infer<typeof judgeOptionsSchema>;

export interface JudgeHooks {
  apiKey?: string;
  onProgress?: (progress: SamplingProgress) => void;
  signal?: AbortSignal;
  random?: () => number;
  userId?: string | null;
  /** How often the run touches its updated_at (HEARTBEAT_MS unless a test shortens it). */
  heartbeatMs?: number;
}

export interface JudgeRunSummary {
  run: string;
  batch: string;
  model: string;
  template: string;
  template_hash: string;
  requested: number;
  judged: number;
  failed: number;
  already_present: number;
  prompt_tokens: number;
  completion_tokens: number;
  status: "done" | "cancelled";
}

/** The template text of the options: the custom text, or the built-in one named; 400 with the field otherwise. */
function templateOf(options: JudgeOptions, task: JudgeTask): { name: string; text: string } {
  const text = options.template_text ?? BUILT_IN_TEMPLATES[options.template];
  if (text === undefined) {
    throw new ServiceError("invalid", `no template "${options.template}"`, {
      fields: { template: `not a built-in template (${Object.keys(BUILT_IN_TEMPLATES).join(", ")}); give a file with --template PATH` },
    });
  }
  const problem = templateProblem(text, task);
  if (problem) throw new ServiceError("invalid", `the template cannot be used: ${problem}`, { fields: { template: problem } });
  return { name: options.template, text };
}

export function templateHash(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Validates the options against the batch and creates a run (status running); returns its id. */
export function createJudgeRun(input: unknown, userId: string | null = null): string {
  const parsed = judgeOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const options = parsed.data;
  const batch = getBatch(options.batch);
  const template = templateOf(options, batch.task);
  const id = newId();
  const now = Date.now();
  const { db } = connection();
  const stored = { ...options, endpoint: displayEndpoint(options.endpoint), template_text: undefined };
  db.transaction((tx) => {
    tx.insert(judgeRuns)
      .values({
        id,
        batchId: batch.id,
        model: options.model,
        templateName: template.name,
        template: template.text,
        templateHash: templateHash(template.text),
        options: stored,
        status: "running",
        createdBy: userId,
        createdAt: now,
        updatedAt: now,
      })
      .run();
    recordAudit(tx, { userId, action: "judge.start", subject: batch.id, detail: { run: id, model: options.model, template: template.name } });
  });
  return id;
}

/** Validates, creates a run and runs it: what the CLI calls. */
export async function judgeBatch(input: unknown, hooks: JudgeHooks = {}): Promise<JudgeRunSummary> {
  const parsed = judgeOptionsSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  return runJudgeRun(createJudgeRun(input, hooks.userId ?? null), hooks, parsed.data.endpoint);
}

interface Work {
  itemId: string;
  promptId: string;
  responseIds: string[];
  swapped: boolean;
}

/**
 * Runs (or runs again) a judge run: asks for each (item, presentation) that has no readable
 * verdict yet. `endpoint` overrides the stored one, which has lost its query string.
 */
export async function runJudgeRun(runId: string, hooks: JudgeHooks = {}, endpoint?: string): Promise<JudgeRunSummary> {
  const { db } = connection();
  const run = db.select().from(judgeRuns).where(eq(judgeRuns.id, runId)).get();
  if (!run) throw new ServiceError("not_found", `no judge run ${runId}`);
  const options = judgeOptionsSchema.parse(run.options);
  const batch = getBatch(run.batchId);
  const task = batch.task;
  const url = chatCompletionsUrl(endpoint ?? options.endpoint);
  const policy: RetryPolicy = { maxRetries: options.max_retries, baseMs: options.retry_base_ms, maxMs: options.retry_max_ms };
  const random = hooks.random ?? Math.random;
  const apiKey = hooks.apiKey || undefined;
  const stopped = new AbortController();
  const signal = hooks.signal ? AbortSignal.any([hooks.signal, stopped.signal]) : stopped.signal;
  const maxStrength = batch.config.scale === "3-point" ? 1 : 3;

  const batchItems = db
    .select({ id: items.id, promptId: items.promptId, responseIds: items.responseIds })
    .from(items)
    .where(eq(items.batchId, batch.id))
    .orderBy(items.position)
    .all();
  const done = new Set(
    db
      .select({ itemId: judgeVerdicts.itemId, swapped: judgeVerdicts.swapped })
      .from(judgeVerdicts)
      .where(and(eq(judgeVerdicts.runId, runId), eq(judgeVerdicts.status, "ok")))
      .all()
      .map((v) => `${v.itemId}\u0000${v.swapped ? 1 : 0}`),
  );
  const presentations = task === "pairwise" && options.swap ? [false, true] : [false];
  const work: Work[] = [];
  for (const item of batchItems) {
    for (const swapped of presentations) {
      if (!done.has(`${item.id}\u0000${swapped ? 1 : 0}`)) work.push({ itemId: item.id, promptId: item.promptId, responseIds: item.responseIds, swapped });
    }
  }
  const requested = batchItems.length * presentations.length;
  const counts = { judged: 0, failed: 0, already_present: requested - work.length, prompt_tokens: 0, completion_tokens: 0 };
  db.update(judgeRuns)
    .set({ status: "running", requested, judged: requested - work.length, failed: 0, updatedAt: Date.now(), finishedAt: null })
    .where(eq(judgeRuns.id, runId))
    .run();
  // Failures of an earlier run are asked again; only readable verdicts are kept.
  db.delete(judgeVerdicts).where(and(eq(judgeVerdicts.runId, runId), eq(judgeVerdicts.status, "failed"))).run();

  const record = (item: Work, verdict: typeof judgeVerdicts.$inferInsert, tokens: { prompt: number; completion: number; latency: number }) =>
    db.transaction((tx) => {
      tx.insert(judgeVerdicts)
        .values(verdict)
        .onConflictDoUpdate({
          target: [judgeVerdicts.runId, judgeVerdicts.itemId, judgeVerdicts.swapped],
          set: {
            status: verdict.status,
            payload: verdict.payload ?? null,
            flags: verdict.flags ?? [],
            rationale: verdict.rationale ?? "",
            raw: verdict.raw ?? "",
            style: verdict.style ?? null,
            reason: verdict.reason ?? null,
            attempts: verdict.attempts,
            promptTokens: verdict.promptTokens ?? null,
            completionTokens: verdict.completionTokens ?? null,
            latencyMs: verdict.latencyMs ?? null,
            createdAt: verdict.createdAt,
          },
        })
        .run();
      tx.update(judgeRuns)
        .set({
          judged: sql`${judgeRuns.judged} + ${verdict.status === "ok" ? 1 : 0}`,
          failed: sql`${judgeRuns.failed} + ${verdict.status === "failed" ? 1 : 0}`,
          promptTokens: sql`${judgeRuns.promptTokens} + ${tokens.prompt}`,
          completionTokens: sql`${judgeRuns.completionTokens} + ${tokens.completion}`,
          latencyMs: sql`${judgeRuns.latencyMs} + ${tokens.latency}`,
          updatedAt: Date.now(),
        })
        .where(eq(judgeRuns.id, runId))
        .run();
    });

  const judgeOne = async (item: Work) => {
    const prompt = db.select({ messages: prompts.messages, reference: prompts.reference, context: prompts.context }).from(prompts).where(eq(prompts.id, item.promptId)).get();
    if (!prompt) return; // deleted while the run ran
    const order = judgeDisplayOrder(item.responseIds, item.swapped);
    const texts = new Map(
      db
        .select({ id: responses.id, text: responses.text })
        .from(responses)
        .where(sql`${responses.id} IN (SELECT value FROM json_each(${JSON.stringify(order)}))`)
        .all()
        .map((r) => [r.id, r.text]),
    );
    const content = renderJudgePrompt(run.template, {
      task,
      guidelines: batch.config.guidelines,
      aspects: batch.config.aspects,
      overallAspect: batch.config.overallAspect,
      flags: batch.config.flags,
      maxStrength,
      messages: prompt.messages as StoredMessage[],
      responses: order.map((id) => texts.get(id) ?? ""),
      reference: prompt.reference,
      context: (prompt.context as ContextDocument[] | null) ?? null,
    });
    const body = JSON.stringify({
      model: options.model,
      messages: [{ role: "user", content }],
      temperature: options.temperature,
      ...(options.max_tokens === undefined ? {} : { max_tokens: options.max_tokens }),
      n: 1,
      stream: false,
    });
    const tokens = { prompt: 0, completion: 0, latency: 0 };
    let attempts = 0;
    let lastRaw = "";
    let lastReason = "";
    for (let parseTry = 0; parseTry <= options.parse_retries; parseTry++) {
      const result = await chatWithRetries({ url, apiKey, body, timeoutMs: options.timeout_ms, signal }, policy, random);
      attempts += result.attempts;
      if (result.kind === "fail") {
        lastReason = redact(result.reason, apiKey);
        lastRaw = "";
        break; // the endpoint itself failed after its retries: asking again now would fail the same way
      }
      tokens.prompt += result.completion.usage?.prompt_tokens ?? 0;
      tokens.completion += result.completion.usage?.completion_tokens ?? 0;
      tokens.latency += result.latencyMs;
      const parsed = parseJudgeAnswer(result.completion.text, { task, count: order.length, flags: batch.config.flags, overallAspect: batch.config.overallAspect });
      const problem = parsed.ok ? ratingProblem(parsed.verdict, batch.config.aspects) : null;
      const read = parsed.ok && problem ? { ok: false as const, reason: problem } : parsed;
      if (read.ok) {
        const stored = storedVerdict(read.verdict, order, maxStrength);
        record(
          item,
          {
            runId,
            itemId: item.itemId,
            swapped: item.swapped,
            displayOrder: order,
            status: "ok",
            payload: stored.payload,
            flags: stored.flags,
            rationale: stored.rationale,
            raw: result.completion.text,
            style: read.style,
            attempts,
            promptTokens: tokens.prompt,
            completionTokens: tokens.completion,
            latencyMs: tokens.latency,
            createdAt: Date.now(),
          },
          tokens,
        );
        counts.judged++;
        counts.prompt_tokens += tokens.prompt;
        counts.completion_tokens += tokens.completion;
        return;
      }
      lastRaw = result.completion.text;
      lastReason = `the answer could not be read: ${read.reason}`;
    }
    record(
      item,
      {
        runId,
        itemId: item.itemId,
        swapped: item.swapped,
        displayOrder: order,
        status: "failed",
        raw: lastRaw,
        reason: lastReason,
        attempts,
        promptTokens: tokens.prompt,
        completionTokens: tokens.completion,
        latencyMs: tokens.latency,
        createdAt: Date.now(),
      },
      tokens,
    );
    counts.failed++;
    counts.prompt_tokens += tokens.prompt;
    counts.completion_tokens += tokens.completion;
  };

  // Touched while it runs, as a sampling job is, so another process sees a live run; a run
  // marked cancelled elsewhere (the judge page cancelling a CLI run) stops at the next beat.
  const heartbeat = setInterval(() => {
    try {
      const touched = db.update(judgeRuns).set({ updatedAt: Date.now() }).where(and(eq(judgeRuns.id, runId), eq(judgeRuns.status, "running"))).run();
      if (touched.changes === 0) stopped.abort();
    } catch {
      // A busy database skips a beat; the next one retries.
    }
  }, hooks.heartbeatMs ?? HEARTBEAT_MS);
  heartbeat.unref();
  const started = Date.now();
  let finished = 0;
  const progress = () => hooks.onProgress?.({ done: finished, total: work.length, failed: counts.failed, elapsedMs: Date.now() - started });
  let crashed: { crash: unknown } | null;
  try {
    crashed = await runWorkers(work, options.concurrency, signal, judgeOne, () => {
      finished++;
      progress();
    });
  } finally {
    clearInterval(heartbeat);
  }
  const cancelled = signal.aborted;
  if (crashed && !cancelled) {
    db.update(judgeRuns).set({ status: "failed", updatedAt: Date.now(), finishedAt: Date.now() }).where(eq(judgeRuns.id, runId)).run();
    throw crashed.crash;
  }
  progress();
  const status = cancelled ? "cancelled" : "done";
  db.update(judgeRuns).set({ status, updatedAt: Date.now(), finishedAt: Date.now() }).where(eq(judgeRuns.id, runId)).run();
  return {
    run: runId,
    batch: batch.id,
    model: run.model,
    template: run.templateName,
    template_hash: run.templateHash,
    requested,
    judged: counts.judged,
    failed: counts.failed,
    already_present: counts.already_present,
    prompt_tokens: counts.prompt_tokens,
    completion_tokens: counts.completion_tokens,
    status,
  };
}

export interface JudgeRunView {
  id: string;
  batchId: string;
  model: string;
  endpoint: string;
  template: string;
  templateHash: string;
  status: string;
  requested: number;
  judged: number;
  failed: number;
  /** Items with at least one readable verdict. */
  itemsJudged: number;
  promptTokens: number;
  completionTokens: number;
  /** USD from the judge model's price (admin/models), null without one. */
  usd: number | null;
  /** Per item judged (both presentations of a pairwise item count as one item). */
  usdPerItem: number | null;
  secondsPerItem: number | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  createdBy: string | null;
  concurrency: number;
  swap: boolean;
}

/** A batch's judge runs, newest first, with their cost. */
export function listJudgeRuns(batchId: string): JudgeRunView[] {
  const { db } = connection();
  const rows = db
    .select({
      run: judgeRuns,
      price: modelPrices,
      createdBy: users.username,
      itemsJudged: sql<number>`(SELECT count(DISTINCT v.item_id) FROM judge_verdicts v WHERE v.run_id = ${judgeRuns.id} AND v.status = 'ok')`,
    })
    .from(judgeRuns)
    .leftJoin(modelPrices, eq(modelPrices.model, judgeRuns.model))
    .leftJoin(users, eq(users.id, judgeRuns.createdBy))
    .where(eq(judgeRuns.batchId, batchId))
    .orderBy(desc(judgeRuns.createdAt))
    .all();
  return rows.map(({ run, price, itemsJudged, createdBy }) => {
    const options = run.options as { endpoint?: string; concurrency?: number; swap?: boolean };
    const usd = price ? (run.promptTokens * price.inputUsdPerMtok + run.completionTokens * price.outputUsdPerMtok) / 1_000_000 : null;
    return {
      id: run.id,
      batchId: run.batchId,
      model: run.model,
      endpoint: options.endpoint ?? "",
      template: run.templateName,
      templateHash: run.templateHash,
      status: run.status,
      requested: run.requested,
      judged: run.judged,
      failed: run.failed,
      itemsJudged,
      promptTokens: run.promptTokens,
      completionTokens: run.completionTokens,
      usd,
      usdPerItem: usd !== null && itemsJudged > 0 ? usd / itemsJudged : null,
      secondsPerItem: itemsJudged > 0 ? run.latencyMs / 1000 / itemsJudged : null,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
      finishedAt: run.finishedAt,
      createdBy,
      concurrency: options.concurrency ?? 4,
      swap: options.swap !== false,
    };
  });
}

export interface JudgeFailure {
  item_id: string;
  /** The item's place in its batch, from 0. */
  position: number;
  swapped: boolean;
  reason: string;
  raw: string;
  attempts: number;
}

/** A run's failures, in batch order, with the raw text the judge answered. */
export function judgeFailures(runId: string): JudgeFailure[] {
  return connection()
    .db.select({ item_id: judgeVerdicts.itemId, position: items.position, swapped: judgeVerdicts.swapped, reason: judgeVerdicts.reason, raw: judgeVerdicts.raw, attempts: judgeVerdicts.attempts })
    .from(judgeVerdicts)
    .innerJoin(items, eq(items.id, judgeVerdicts.itemId))
    .where(and(eq(judgeVerdicts.runId, runId), eq(judgeVerdicts.status, "failed")))
    .orderBy(items.position, judgeVerdicts.swapped)
    .all()
    .map((f) => ({ ...f, reason: f.reason ?? "" }));
}

/** A judge's flag rate beside the reviewers': the share of judged responses carrying the flag. */
export interface FlagRate {
  flag: string;
  judge: { flagged: number; responses: number; rate: number | null };
  humans: { flagged: number; responses: number; rate: number | null };
}

/** An item the judge and the reviewers see differently: it goes to the disputes page. */
export interface TriageItem {
  item_id: string;
  position: number;
  reasons: string[];
  /** The judge's answer in the disputes queue's terms: a response id or "tie" (pairwise), the top tier joined by "=" (ranking), null (rating). */
  choice: string | null;
}

/** How far one judge run can be trusted on its batch (issue 13 points 3, 4, 6, 7): `stats`' `judges` section. */
export interface JudgeReport {
  run: string;
  model: string;
  template: string;
  template_hash: string;
  status: string;
  items_judged: number;
  failed: number;
  /** Answers read by each style: json, fenced-json, verdict-line. */
  styles: Record<string, number>;
  trust: JudgeTrustReport;
  /** Pairwise batches with swapped presentations: how often the two agree; null figures otherwise. */
  swap_consistency: SwapConsistency;
  flags: FlagRate[];
  triage: TriageItem[];
  cost: { prompt_tokens: number; completion_tokens: number; usd: number | null; usd_per_item: number | null; seconds_per_item: number | null; human_median_seconds_per_item: number | null };
}

/** Every judge run of the batch, newest first, with its trust figures against the batch's reviewers. */
export function judgeReports(batchId: string, options: { replicates?: number; seed?: number; run?: string } = {}): JudgeReport[] {
  const runs = listJudgeRuns(batchId).filter((r) => options.run === undefined || r.id === options.run);
  return comparisons(batchId, runs).map(({ units, ...report }) => ({ ...report, trust: judgeTrust(units, { replicates: options.replicates ?? 500, seed: options.seed ?? 1 }) }));
}

/**
 * The items of the batch's latest judge run that the judge and the reviewers see differently
 * (issue 13 point 6), by item id, with the judge's choice: the disputes queue lists them.
 */
export function judgeTriage(batchId: string): Map<string, { run: string; model: string; reasons: string[]; choice: string | null }> {
  const latest = listJudgeRuns(batchId).find((r) => r.itemsJudged > 0);
  const out = new Map<string, { run: string; model: string; reasons: string[]; choice: string | null }>();
  if (!latest) return out;
  const [compared] = comparisons(batchId, [latest]);
  for (const t of compared?.triage ?? []) out.set(t.item_id, { run: latest.id, model: latest.model, reasons: t.reasons, choice: t.choice });
  return out;
}

type Comparison = Omit<JudgeReport, "trust"> & { units: TrustUnit[] };

/** Each run's verdicts set against the reviewers' judgments: everything of a JudgeReport but the bootstrap. */
function comparisons(batchId: string, runs: JudgeRunView[]): Comparison[] {
  if (runs.length === 0) return [];
  const batch = getBatch(batchId);
  const { db } = connection();
  const batchItems = db.select({ id: items.id, position: items.position, responseIds: items.responseIds }).from(items).where(eq(items.batchId, batchId)).all();
  const itemById = new Map(batchItems.map((i) => [i.id, i]));
  const humanRows = db
    .select({ id: judgments.id, itemId: judgments.itemId, reviewer: users.username, payload: judgments.payload, durationMs: judgments.durationMs })
    .from(judgments)
    .innerJoin(items, eq(items.id, judgments.itemId))
    .innerJoin(users, eq(users.id, judgments.reviewerId))
    .where(and(eq(items.batchId, batchId), eq(judgments.source, "reviewer")))
    .all();
  const humanFlags = db
    .select({ itemId: judgments.itemId, responseId: judgmentFlags.responseId, flag: judgmentFlags.flag })
    .from(judgmentFlags)
    .innerJoin(judgments, eq(judgments.id, judgmentFlags.judgmentId))
    .innerJoin(items, eq(items.id, judgments.itemId))
    .where(and(eq(items.batchId, batchId), eq(judgments.source, "reviewer")))
    .all();
  const overall = batch.config.overallAspect;
  // Per unit (item and two responses): each reviewer's outcome.
  const humansByUnit = new Map<string, Array<{ reviewer: string; outcome: Outcome }>>();
  const humansOfItem = new Map<string, number>();
  for (const row of humanRows) {
    const item = itemById.get(row.itemId);
    if (!item) continue;
    humansOfItem.set(row.itemId, (humansOfItem.get(row.itemId) ?? 0) + 1);
    for (const p of pairOutcomes(row.payload as JudgmentPayload, item.responseIds, overall)) {
      const key = `${row.itemId}\u0000${p.a}\u0000${p.b}`;
      const list = humansByUnit.get(key) ?? [];
      list.push({ reviewer: row.reviewer, outcome: p.outcome });
      humansByUnit.set(key, list);
    }
  }
  const humanFlagged = new Set(humanFlags.map((f) => `${f.itemId}\u0000${f.responseId}\u0000${f.flag}`));
  const durations = humanRows.flatMap((r) => (r.durationMs === null ? [] : [r.durationMs / 1000]));

  return runs.map((run): Comparison => {
    const verdicts = db
      .select({ itemId: judgeVerdicts.itemId, swapped: judgeVerdicts.swapped, payload: judgeVerdicts.payload, flags: judgeVerdicts.flags, style: judgeVerdicts.style })
      .from(judgeVerdicts)
      .where(and(eq(judgeVerdicts.runId, run.id), eq(judgeVerdicts.status, "ok")))
      .all();
    const byItem = new Map<string, { first?: JudgmentPayload; swapped?: JudgmentPayload; flags: Array<{ response_id: string; flag: string }> }>();
    const styles: Record<string, number> = {};
    for (const v of verdicts) {
      const entry = byItem.get(v.itemId) ?? { flags: [] };
      if (v.swapped) entry.swapped = v.payload as JudgmentPayload;
      else entry.first = v.payload as JudgmentPayload;
      entry.flags.push(...v.flags);
      byItem.set(v.itemId, entry);
      if (v.style) styles[v.style] = (styles[v.style] ?? 0) + 1;
    }
    const units: TrustUnit[] = [];
    const swaps: Array<{ first: Outcome; swapped: Outcome }> = [];
    const triage: TriageItem[] = [];
    const judgeFlagCount = new Map<string, number>();
    let judgedResponses = 0;
    for (const [itemId, entry] of byItem) {
      const item = itemById.get(itemId);
      if (!item) continue;
      const base = entry.first ?? entry.swapped!;
      const firstOutcomes = pairOutcomes(base, item.responseIds, overall);
      const swappedOutcomes = entry.first && entry.swapped ? pairOutcomes(entry.swapped, item.responseIds, overall) : null;
      const reasons: string[] = [];
      firstOutcomes.forEach((p, k) => {
        const swapped = swappedOutcomes?.[k]?.outcome ?? null;
        if (swapped !== null) swaps.push({ first: p.outcome, swapped });
        const key = `${itemId}\u0000${p.a}\u0000${p.b}`;
        const humans = humansByUnit.get(key) ?? [];
        const judge = judgeOutcome(p.outcome, swapped);
        units.push({ key, judge, humans });
        const majority = humanMajority(humans);
        if (majority !== null && majority !== judge && !reasons.includes("judge disagrees with the reviewers' majority")) reasons.push("judge disagrees with the reviewers' majority");
      });
      judgedResponses += item.responseIds.length;
      const distinct = new Set(entry.flags.map((f) => `${f.response_id}\u0000${f.flag}`));
      for (const key of distinct) {
        const flag = key.split("\u0000")[1]!;
        judgeFlagCount.set(flag, (judgeFlagCount.get(flag) ?? 0) + 1);
        if (flag === "hallucination" && (humansOfItem.get(itemId) ?? 0) > 0 && !humanFlagged.has(`${itemId}\u0000${key}`)) {
          if (!reasons.includes("judge flags a hallucination no reviewer flagged")) reasons.push("judge flags a hallucination no reviewer flagged");
        }
      }
      if (reasons.length) triage.push({ item_id: itemId, position: item.position, reasons, choice: judgeChoice(base, firstOutcomes, swappedOutcomes) });
    }
    triage.sort((x, y) => x.position - y.position);
    const humanResponses = [...humansOfItem.entries()].reduce((sum, [itemId, n]) => sum + n * (itemById.get(itemId)?.responseIds.length ?? 0), 0);
    const humanFlagCount = new Map<string, number>();
    for (const f of humanFlags) humanFlagCount.set(f.flag, (humanFlagCount.get(f.flag) ?? 0) + 1);
    const rate = (flagged: number, n: number) => ({ flagged, responses: n, rate: n > 0 ? flagged / n : null });
    return {
      run: run.id,
      model: run.model,
      template: run.template,
      template_hash: run.templateHash,
      status: run.status,
      items_judged: run.itemsJudged,
      failed: run.failed,
      styles,
      units,
      swap_consistency: swapConsistency(swaps),
      flags: batch.config.flags.map((flag) => ({ flag, judge: rate(judgeFlagCount.get(flag) ?? 0, judgedResponses), humans: rate(humanFlagCount.get(flag) ?? 0, humanResponses) })),
      triage,
      cost: {
        prompt_tokens: run.promptTokens,
        completion_tokens: run.completionTokens,
        usd: run.usd,
        usd_per_item: run.usdPerItem,
        seconds_per_item: run.secondsPerItem,
        human_median_seconds_per_item: durations.length ? median(durations) : null,
      },
    };
  });
}

/**
 * The judge's choice as the disputes page shows a vote: for pairwise, the preferred response
 * when both presentations agree (else "tie", as agreement counts an inconsistent judge); for
 * ranking, the top tier; for rating, none.
 */
function judgeChoice(payload: JudgmentPayload, first: readonly PairOutcome[], swapped: readonly PairOutcome[] | null): string | null {
  if (payload.task === "ranking") return rankingChoice(payload.tiers);
  if (payload.task !== "pairwise") return null;
  const p = first[0];
  if (!p) return null;
  const outcome = judgeOutcome(p.outcome, swapped?.[0]?.outcome ?? null);
  return outcome === "tie" ? "tie" : outcome === "a" ? p.a : p.b;
}
