/**
 * Arena batches (README: Arena batches; docs/decisions.md "Arena batches"). An arena batch is
 * stored as a pairwise batch whose config holds `arena.endpoints`, so stats, leaderboards and
 * exports read its items like any other. A battle streams two endpoints' answers to the
 * reviewer's prompt and is kept in this process's memory until the vote; the vote stores the
 * prompt, both responses, an item, an assignment and the judgment in one transaction, through
 * the normal submit path. A failed or abandoned battle stores nothing.
 */
import { randomInt } from "node:crypto";
import { z } from "zod";
import { newId } from "../../db/ids";
import type { BatchStatus } from "../../db/schema";
import { arenaConfigSchema, arenaRequestBody, chooseBattle, pairKey, parseStreamData, sseReader, type ArenaConfig, type ArenaEndpoint } from "../core/arena";
import { batchConfigSchema } from "../core/tasks/config";
import { chatCompletionsUrl, displayEndpoint, redact, snippet } from "../core/sampling";
import { recordAudit } from "./audit.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { submitJudgment, type JudgmentRecord } from "./judgments.server";
import { invalidFrom } from "./validation.server";

export const newArenaBatchSchema = z.object({
  /** Created (empty) when missing: an arena fills its dataset as reviewers vote. */
  dataset: z.string({ error: "required" }).trim().min(1, "required"),
  name: z.string({ error: "required" }).trim().min(1, "required").max(120),
  reviewers: z.array(z.string().trim().toLowerCase().min(1)).min(1, "at least one reviewer"),
  endpoints: z.unknown(),
  config: z.unknown().default({}),
});
export type NewArenaBatch = z.input<typeof newArenaBatchSchema>;

/** Reads an arena's endpoints from a batch's stored config; null for other batches. */
export function arenaOfConfig(stored: unknown): ArenaConfig | null {
  const arena = (stored as { arena?: unknown } | null)?.arena;
  if (arena === undefined) return null;
  const parsed = arenaConfigSchema.safeParse(arena);
  return parsed.success ? parsed.data : null;
}

/**
 * Creates an arena batch: task pairwise, overlap 1 (each battle is its reviewer's own), no items
 * yet. The dataset is created when it does not exist; an existing one keeps its prompts, which
 * the arena never shows.
 */
export function createArenaBatch(input: NewArenaBatch, actorId: string | null = null): { id: string; dataset: string; endpoints: number } {
  const parsed = newArenaBatchSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const arena = arenaConfigSchema.safeParse({ endpoints: parsed.data.endpoints });
  if (!arena.success) throw invalidFrom(arena.error);
  const config = batchConfigSchema.safeParse(parsed.data.config ?? {});
  if (!config.success) throw invalidFrom(config.error, "config");
  const { dataset, name, reviewers } = parsed.data;
  const { sqlite, db } = connection();
  const batchId = newId();
  sqlite
    .transaction(() => {
      const users = new Map(
        sqlite
          .prepare<[], { id: string; username: string; disabled: number }>("SELECT id, username, disabled FROM users")
          .all()
          .map((u) => [u.username, u]),
      );
      const unknown = reviewers.filter((r) => !users.has(r) || users.get(r)!.disabled);
      if (unknown.length) {
        throw new ServiceError("invalid", `reviewers: unknown or disabled: ${unknown.join(", ")}`, { fields: { reviewers: `unknown or disabled: ${unknown.join(", ")}` } });
      }
      let datasetId = sqlite.prepare<[string, string], { id: string }>("SELECT id FROM datasets WHERE name = ? OR id = ?").get(dataset, dataset)?.id;
      if (!datasetId) {
        datasetId = newId();
        sqlite.prepare("INSERT INTO datasets (id, name, description, source, created_at) VALUES (?, ?, ?, 'arena', ?)").run(datasetId, dataset, `Prompts and answers of arena batch ${name}`, Date.now());
      }
      const stored = { ...config.data, selection: { pairing: "arena", seed: 0 }, arena: arena.data };
      sqlite
        .prepare("INSERT INTO batches (id, name, dataset_id, task, config, overlap, status, created_by, created_at) VALUES (?, ?, ?, 'pairwise', ?, 1, 'active', ?, ?)")
        .run(batchId, name, datasetId, JSON.stringify(stored), actorId, Date.now());
      const addReviewer = sqlite.prepare("INSERT INTO batch_reviewers (batch_id, user_id) VALUES (?, ?)");
      for (const username of new Set(reviewers)) addReviewer.run(batchId, users.get(username)!.id);
      recordAudit(db, { userId: actorId, action: "batch.create", subject: batchId, detail: { name, task: "arena", endpoints: arena.data.endpoints.map((e) => e.label) } });
    })
    .immediate();
  return { id: batchId, dataset, endpoints: arena.data.endpoints.length };
}

interface ArenaBatch {
  id: string;
  status: BatchStatus;
  arena: ArenaConfig;
}

/** The arena of a batch the user reviews, or the error the screen shows (404, 403, 409). */
function arenaBatch(batchId: string, reviewerId: string): ArenaBatch {
  const { sqlite } = connection();
  const row = sqlite.prepare<[string], { id: string; status: BatchStatus; config: string }>("SELECT id, status, config FROM batches WHERE id = ?").get(batchId);
  if (!row) throw new ServiceError("not_found", `no batch ${batchId}`);
  const arena = arenaOfConfig(JSON.parse(row.config));
  if (!arena) throw new ServiceError("conflict", "this batch is not an arena");
  if (!sqlite.prepare("SELECT 1 FROM batch_reviewers WHERE batch_id = ? AND user_id = ?").get(batchId, reviewerId)) {
    throw new ServiceError("forbidden", "you are not a reviewer of this batch");
  }
  if (row.status !== "active") throw new ServiceError("conflict", `this batch is ${row.status}`);
  return { id: row.id, status: row.status, arena };
}

/** Whether a batch is an arena (for the screens and lists that show "arena" for it). */
export function isArenaBatch(batchId: string): boolean {
  const row = connection().sqlite.prepare<[string], { config: string }>("SELECT config FROM batches WHERE id = ?").get(batchId);
  return row ? arenaOfConfig(JSON.parse(row.config)) !== null : false;
}

/** Battles so far per pair of endpoint labels: the models of each item's two responses. */
function battleCounts(batchId: string): Map<string, number> {
  const rows = connection()
    .sqlite.prepare<[string], { a: string; b: string; n: number }>(
      `SELECT ra.model AS a, rb.model AS b, count(*) AS n FROM items i
       JOIN responses ra ON ra.id = json_extract(i.response_ids, '$[0]') JOIN responses rb ON rb.id = json_extract(i.response_ids, '$[1]')
       WHERE i.batch_id = ? GROUP BY ra.model, rb.model`,
    )
    .all(batchId);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(pairKey(r.a, r.b), (counts.get(pairKey(r.a, r.b)) ?? 0) + r.n);
  return counts;
}

/** One side's finished answer, kept server-side until the vote. */
interface Answer {
  endpoint: ArenaEndpoint;
  responseId: string;
  text: string;
  usage: Record<string, number>;
  finishReason: string | null;
  latencyMs: number;
  upstreamModel: string | null;
  sampledAt: string;
}

interface PendingBattle {
  batchId: string;
  reviewerId: string;
  prompt: string;
  answers: [Answer, Answer];
  createdAt: number;
}

/** How long an answered battle waits for its vote. */
export const BATTLE_TTL_MS = 60 * 60_000;
export const MAX_PROMPT_CHARS = 20_000;
const ANSWER_TIMEOUT_MS = 120_000;

/**
 * Battles answered and not yet voted on, by battle id, in this process only: which endpoint is
 * A never leaves the server before the vote, and a battle nobody votes on leaves no row. A
 * restart loses them; the reviewer is told to send the prompt again.
 */
const pending = new Map<string, PendingBattle>();

function prunePending(now: number): void {
  for (const [id, battle] of pending) if (now - battle.createdAt > BATTLE_TTL_MS) pending.delete(id);
}

/** What the battle stream sends the browser, one JSON object a line. Never a label, model or URL. */
export type BattleEvent =
  | { type: "battle"; battle: string; responses: [{ id: string }, { id: string }] }
  | { type: "delta"; side: 0 | 1; text: string }
  | { type: "done"; side: 0 | 1 }
  | { type: "error"; message: string }
  | { type: "ready"; battle: string };

const SIDE = ["Model A", "Model B"] as const;

export const promptSchema = z
  .string({ error: "write a prompt" })
  .trim()
  .min(1, "write a prompt")
  .max(MAX_PROMPT_CHARS, { error: (issue) => `the prompt is ${String(issue.input).length} characters, more than ${MAX_PROMPT_CHARS}` });

/**
 * Checks the request and picks the battle, before anything streams: errors here are answered
 * with a status. Returns the battle to run with runBattle.
 */
export function prepareBattle(batchId: string, reviewerId: string, rawPrompt: unknown): { battleId: string; run: (emit: (event: BattleEvent) => void, signal: AbortSignal) => Promise<void> } {
  const prompt = promptSchema.safeParse(rawPrompt);
  if (!prompt.success) throw invalidFrom(prompt.error, "prompt");
  const batch = arenaBatch(batchId, reviewerId);
  const endpoints = batch.arena.endpoints;
  const secureRandom = () => randomInt(0, 2 ** 32) / 2 ** 32;
  const { a, b } = chooseBattle(
    endpoints.map((e) => e.label),
    battleCounts(batch.id),
    secureRandom,
  );
  const battleId = newId();
  const sides = [endpoints[a]!, endpoints[b]!] as const;
  const run = async (emit: (event: BattleEvent) => void, signal: AbortSignal) => {
    const responseIds = [newId(), newId()] as const;
    emit({ type: "battle", battle: battleId, responses: [{ id: responseIds[0] }, { id: responseIds[1] }] });
    const stop = new AbortController();
    const both = AbortSignal.any([signal, stop.signal]);
    const secrets = sides.flatMap((e) => [e.label, e.model, displayEndpoint(e.url), e.url, e.api_key_env ? process.env[e.api_key_env] : undefined]);
    const results = await Promise.all(
      sides.map((endpoint, side) =>
        askEndpoint(endpoint, prompt.data, both, (text) => emit({ type: "delta", side: side as 0 | 1, text }))
          .then((answer) => {
            emit({ type: "done", side: side as 0 | 1 });
            return { ok: true as const, answer: { ...answer, responseId: responseIds[side]! } };
          })
          .catch((error: unknown) => {
            stop.abort(); // one failed: the battle cannot be judged, the other answer is not worth waiting for
            return { ok: false as const, side, reason: error instanceof Error ? error.message : String(error) };
          }),
      ),
    );
    if (signal.aborted) return;
    const failures = results.filter((r) => !r.ok);
    if (failures.length > 0) {
      // The first real failure, not the other side's abort it caused; its text may echo the
      // endpoint's model or URL, which would unblind the next battle: those are blanked.
      const failure = failures.find((f) => f.reason !== ABORTED) ?? failures[0]!;
      const reason = secrets.reduce<string>((text, secret) => (secret ? redact(text, secret) : text), failure.reason);
      emit({ type: "error", message: `${SIDE[failure.side]} did not answer: ${reason}. Nothing was stored; send the prompt again to retry.` });
      return;
    }
    const answers = results.map((r) => (r.ok ? r.answer : null)) as [Answer, Answer];
    prunePending(Date.now());
    // One battle waiting per reviewer and batch: a new prompt replaces an unjudged one.
    for (const [id, battle] of pending) if (battle.batchId === batchId && battle.reviewerId === reviewerId) pending.delete(id);
    pending.set(battleId, { batchId, reviewerId, prompt: prompt.data, answers, createdAt: Date.now() });
    emit({ type: "ready", battle: battleId });
  };
  return { battleId, run };
}

const ABORTED = "stopped";

/** Asks one endpoint with stream: true, calling onDelta as text arrives; rejects with a short reason. */
async function askEndpoint(endpoint: ArenaEndpoint, prompt: string, signal: AbortSignal, onDelta: (text: string) => void): Promise<Omit<Answer, "responseId">> {
  const headers: Record<string, string> = { "content-type": "application/json", accept: "text/event-stream" };
  if (endpoint.api_key_env) {
    const key = process.env[endpoint.api_key_env];
    if (!key) throw new Error("its API key's environment variable is not set on the server");
    headers.authorization = `Bearer ${key}`;
  }
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(chatCompletionsUrl(endpoint.url), {
      method: "POST",
      headers,
      body: JSON.stringify(arenaRequestBody(endpoint, prompt)),
      signal: AbortSignal.any([signal, AbortSignal.timeout(ANSWER_TIMEOUT_MS)]),
    });
  } catch (error) {
    throw new Error(failureOf(error, signal), { cause: error });
  }
  if (!response.ok) {
    const body = await response.text().catch(() => "");
    throw new Error(`HTTP ${response.status}${body ? ` (${snippet(body, 200)})` : ""}`);
  }
  if (!response.body) throw new Error("the answer has no body");
  let text = "";
  let finishReason: string | null = null;
  let usage: Record<string, number> = {};
  let upstreamModel: string | null = null;
  let finished = false;
  const reader = sseReader();
  const decoder = new TextDecoder();
  const take = (events: string[]) => {
    for (const data of events) {
      const chunk = parseStreamData(data);
      if (chunk === "done") finished = true;
      else if (chunk) {
        if (chunk.delta) {
          text += chunk.delta;
          onDelta(chunk.delta);
        }
        if (chunk.finishReason) finishReason = chunk.finishReason;
        if (chunk.usage) usage = chunk.usage;
        if (upstreamModel === null) {
          try {
            const model = (JSON.parse(data) as { model?: unknown }).model;
            if (typeof model === "string") upstreamModel = model;
          } catch {
            // parseStreamData already read it as JSON; nothing else to learn
          }
        }
      }
    }
  };
  try {
    for await (const piece of response.body as unknown as AsyncIterable<Uint8Array>) take(reader.push(decoder.decode(piece, { stream: true })));
    take(reader.end());
  } catch (error) {
    throw new Error(failureOf(error, signal), { cause: error });
  }
  if (!finished && finishReason === null) throw new Error("the stream ended before the answer was complete");
  if (text.trim() === "") throw new Error("the answer is empty");
  return { endpoint, text, usage, finishReason, latencyMs: Math.round(performance.now() - started), upstreamModel, sampledAt: new Date().toISOString() };
}

function failureOf(error: unknown, signal: AbortSignal): string {
  if (signal.aborted) return ABORTED;
  if ((error as Error).name === "TimeoutError") return `no complete answer within ${ANSWER_TIMEOUT_MS / 1000} s`;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return `connection error${typeof cause?.code === "string" ? ` (${cause.code})` : ""}`;
}

export interface VoteResult {
  judgment: JudgmentRecord;
  /** The names revealed after the vote: the endpoints' labels for A and B. */
  reveal: { a: string; b: string };
  item_id: string;
}

/**
 * Stores a voted battle: the prompt, both responses, an item (A then B, display order as
 * shown), an assignment and the judgment, in one transaction through submitJudgment, so a
 * refused judgment (a missing rationale, say) leaves nothing and the battle can be voted again.
 */
export function voteBattle(battleId: string, reviewerId: string, rawJudgment: unknown, now = Date.now()): VoteResult {
  prunePending(now);
  const battle = pending.get(battleId);
  if (!battle || battle.reviewerId !== reviewerId) {
    throw new ServiceError("conflict", "this battle is no longer waiting for a vote (it was replaced, is more than an hour old, or the server restarted): send the prompt again");
  }
  const batch = arenaBatch(battle.batchId, reviewerId);
  const { sqlite } = connection();
  const result = sqlite
    .transaction(() => {
      const datasetId = sqlite.prepare<[string], { dataset_id: string }>("SELECT dataset_id FROM batches WHERE id = ?").get(batch.id)!.dataset_id;
      const promptId = newId();
      sqlite
        .prepare("INSERT INTO prompts (id, dataset_id, external_id, messages, metadata) VALUES (?, ?, ?, ?, ?)")
        .run(promptId, datasetId, `arena-${battleId}`, JSON.stringify([{ role: "user", content: battle.prompt }]), JSON.stringify({ source: "arena", batch_id: batch.id, battle_id: battleId }));
      const insertResponse = sqlite.prepare("INSERT INTO responses (id, prompt_id, external_id, model, text, params, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)");
      battle.answers.forEach((answer, side) => {
        const e = answer.endpoint;
        const params = { ...(e.temperature === undefined ? {} : { temperature: e.temperature }), ...(e.max_tokens === undefined ? {} : { max_tokens: e.max_tokens }) };
        const metadata = {
          usage: answer.usage,
          latency_ms: answer.latencyMs,
          finish_reason: answer.finishReason,
          sampled_at: answer.sampledAt,
          endpoint: displayEndpoint(e.url),
          requested_model: e.model,
          ...(answer.upstreamModel ? { upstream_model: answer.upstreamModel } : {}),
          arena_side: side === 0 ? "A" : "B",
        };
        insertResponse.run(answer.responseId, promptId, `${e.label}#arena`, e.label, answer.text, JSON.stringify(params), JSON.stringify(metadata));
      });
      const position = sqlite.prepare<[string], { n: number }>("SELECT coalesce(max(position) + 1, 0) AS n FROM items WHERE batch_id = ?").get(batch.id)!.n;
      const itemId = newId();
      // Claimed by this reviewer from the start (overlap 1): no other reviewer is ever handed it.
      sqlite
        .prepare("INSERT INTO items (id, batch_id, prompt_id, response_ids, position, claims, submitted, open) VALUES (?, ?, ?, ?, ?, 1, 0, 0)")
        .run(itemId, batch.id, promptId, JSON.stringify(battle.answers.map((a) => a.responseId)), position);
      const assignmentId = newId();
      sqlite
        .prepare("INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, display_order, leased_at, lease_expires_at) VALUES (?, ?, ?, ?, 'leased', '[0,1]', ?, ?)")
        .run(assignmentId, itemId, batch.id, reviewerId, now, now + BATTLE_TTL_MS);
      const { judgment } = submitJudgment(assignmentId, reviewerId, rawJudgment, now);
      return { judgment, itemId };
    })
    .immediate();
  pending.delete(battleId);
  return { judgment: result.judgment, item_id: result.itemId, reveal: { a: battle.answers[0].endpoint.label, b: battle.answers[1].endpoint.label } };
}

/** Test hook: battles waiting for a vote. */
export function pendingBattleCount(): number {
  return pending.size;
}

/** What the arena screen loads: the reviewer's votes so far; 403 for a user outside the batch. */
export function arenaVotes(batchId: string, reviewerId: string): number {
  const { sqlite } = connection();
  if (!sqlite.prepare("SELECT 1 FROM batch_reviewers WHERE batch_id = ? AND user_id = ?").get(batchId, reviewerId)) {
    throw new ServiceError("forbidden", "you are not a reviewer of this batch");
  }
  return sqlite.prepare<[string, string], { n: number }>("SELECT count(*) AS n FROM assignments WHERE reviewer_id = ? AND batch_id = ? AND status = 'submitted' AND kind = 'review'").get(reviewerId, batchId)!.n;
}
