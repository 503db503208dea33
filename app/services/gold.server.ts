import { and, eq, isNotNull } from "drizzle-orm";
import { leaseExpiry, randomDisplayOrder } from "../core/assignment/policy";
import { goldAnswerOfItem, goldAnswerResponses, goldAnswerSchema, goldCorrect, goldDue, goldStanding, pausedReason, type GoldAnswer } from "../core/quality/gold";
import type { JudgmentPayload } from "../core/tasks/judgment";
import { batchReviewers, items, prompts, users } from "../../db/schema";
import { newId } from "../../db/ids";
import { adjudicationOf } from "./adjudication.server";
import { releaseReviewerLeases } from "./assignments.server";
import { recordAudit } from "./audit.server";
import { getBatch, type BatchRecord } from "./batches.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";

/**
 * Gold (check) items (issue 12, decisions.md §28). A gold item is an item with `is_gold = 1`
 * and the answer expected of it. It is never open to the overlap-driven queue: every reviewer
 * of the batch gets each gold item once, mixed into their stream at the batch's `gold.rate`
 * (leaseGold), looking like any other item. Each judgment of a gold item is scored
 * (goldCorrect); a reviewer whose accuracy falls below `gold.threshold` after `gold.minItems`
 * gold items is paused in the batch (batch_reviewers.paused_at) until an admin resumes them.
 * Resuming starts their count afresh: only gold judgments after the resume
 * (batch_reviewers.resumed_at) count toward the next pause.
 */

function statements() {
  const { sqlite } = connection();
  return {
    sqlite,
    // Hot path (npm run bench -- review): every lease of a batch with gold items asks these.
    anyGold: sqlite.prepare<[string], { n: number }>("SELECT 1 AS n FROM items INDEXED BY items_gold_idx WHERE batch_id = ? AND is_gold = 1 LIMIT 1"),
    served: sqlite.prepare<[string, string], { served: number; gold: number }>(
      `SELECT count(*) AS served, count(*) FILTER (WHERE i.is_gold = 1) AS gold
       FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.reviewer_id = ? AND a.batch_id = ? AND a.kind = 'review'`,
    ),
    unseenGold: sqlite.prepare<[string, string], { id: string; response_ids: string }>(
      `SELECT i.id, i.response_ids FROM items i INDEXED BY items_gold_idx
       WHERE i.batch_id = ? AND i.is_gold = 1 AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.reviewer_id = ?)
       ORDER BY i.position`,
    ),
    insert: sqlite.prepare(
      `INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, display_order, leased_at, lease_expires_at)
       VALUES (?, ?, ?, ?, 'leased', ?, ?, ?)`,
    ),
    claim: sqlite.prepare("UPDATE items SET claims = claims + 1 WHERE id = ?"),
    paused: sqlite.prepare<[string, string], { paused_at: number | null; paused_reason: string | null; resumed_at: number | null }>(
      "SELECT paused_at, paused_reason, resumed_at FROM batch_reviewers WHERE batch_id = ? AND user_id = ?",
    ),
  };
}

let cached: { sqlite: unknown; value: ReturnType<typeof statements> } | undefined;
function sql(): ReturnType<typeof statements> {
  const { sqlite } = connection();
  if (cached?.sqlite !== sqlite) cached = { sqlite, value: statements() };
  return cached.value;
}

/**
 * Leases the reviewer a gold item when one is due (inside leaseOne's transaction): null when the
 * batch's rate is 0, goldDue says not yet, or they have seen every gold item. The item is chosen
 * at random among their unseen gold items and shown in a random order, like any other.
 */
export function leaseGold(batch: BatchRecord, reviewerId: string, now: number, random: () => number): string | null {
  const rate = batch.config.gold?.rate ?? 0;
  if (!(rate > 0)) return null;
  const s = sql();
  // Most batches have no gold item: one index probe, before counting what this reviewer was served.
  if (!s.anyGold.get(batch.id)) return null;
  const { served, gold } = s.served.get(reviewerId, batch.id)!;
  if (!goldDue(rate, served, gold)) return null;
  const unseen = s.unseenGold.all(batch.id, reviewerId);
  if (unseen.length === 0) return null;
  const item = unseen[Math.min(unseen.length - 1, Math.floor(random() * unseen.length))]!;
  const order = randomDisplayOrder((JSON.parse(item.response_ids) as string[]).length, random);
  const id = newId();
  s.insert.run(id, item.id, batch.id, reviewerId, JSON.stringify(order), now, leaseExpiry(now, batch.config.leaseMinutes));
  s.claim.run(item.id);
  return id;
}

/** Why the reviewer is paused in the batch (the message they are shown), or null when they are not. */
export function pauseOf(batchId: string, reviewerId: string): string | null {
  const row = sql().paused.get(batchId, reviewerId);
  return row?.paused_at != null ? (row.paused_reason ?? "You are paused in this batch.") : null;
}

/** A reviewer's gold outcomes in a batch, oldest first, from `since` on (reviewer judgments only). */
export function goldOutcomes(batch: BatchRecord, reviewerId: string, since = 0): boolean[] {
  const rows = connection()
    .sqlite.prepare<[string, string, number], { gold_answer: string | null; payload: string }>(
      `SELECT i.gold_answer, j.payload FROM judgments j JOIN items i ON i.id = j.item_id
       WHERE i.batch_id = ? AND i.is_gold = 1 AND j.reviewer_id = ? AND j.source = 'reviewer' AND j.created_at >= ? ORDER BY j.created_at, j.rowid`,
    )
    .all(batch.id, reviewerId, since);
  return scoreGold(batch, rows);
}

/** Scores gold judgments (their items' answers beside their payloads); judgments of items without an answer are left out. */
export function scoreGold(batch: BatchRecord, rows: ReadonlyArray<{ gold_answer: string | null; payload: string }>): boolean[] {
  const options = { tolerance: batch.config.gold?.tolerance ?? 0, overallAspect: batch.config.overallAspect };
  const outcomes: boolean[] = [];
  for (const row of rows) {
    if (!row.gold_answer) continue;
    const answer = goldAnswerSchema.safeParse(JSON.parse(row.gold_answer));
    if (!answer.success) continue;
    outcomes.push(goldCorrect(answer.data, JSON.parse(row.payload) as JudgmentPayload, options));
  }
  return outcomes;
}

/**
 * After a reviewer's judgment of a gold item (inside submitJudgment's transaction): pauses them
 * when their standing since their last resume says so, and gives back their live leases so other
 * reviewers are not kept waiting. Returns the pause message when this judgment paused them.
 */
export function checkGoldStanding(batch: BatchRecord, reviewerId: string, now: number): string | null {
  const { sqlite } = connection();
  const membership = sql().paused.get(batch.id, reviewerId);
  if (!membership || membership.paused_at != null) return null;
  const config = batch.config.gold ?? { threshold: 0.7, minItems: 5 };
  const standing = goldStanding(goldOutcomes(batch, reviewerId, membership.resumed_at ?? 0), config);
  if (!standing.paused) return null;
  const reason = pausedReason(standing, config.threshold);
  sqlite.prepare("UPDATE batch_reviewers SET paused_at = ?, paused_reason = ? WHERE batch_id = ? AND user_id = ?").run(now, reason, batch.id, reviewerId);
  releaseReviewerLeases(batch, reviewerId);
  recordAudit(connection().db, {
    userId: null,
    action: "gold.pause-reviewer",
    subject: batch.id,
    detail: { reviewer_id: reviewerId, answered: standing.answered, correct: standing.correct, threshold: config.threshold },
  });
  return reason;
}

function userIdOf(username: string): string {
  const row = connection().db.select({ id: users.id }).from(users).where(eq(users.username, username)).get();
  if (!row) throw new ServiceError("not_found", `no user ${username}`);
  return row.id;
}

/** Resumes a paused reviewer in a batch (audited); 404 unknown, 409 when they are not paused. */
export function resumeReviewer(batchId: string, username: string, actorId: string | null): { batch_id: string; reviewer: string } {
  const { sqlite, db } = connection();
  return sqlite
    .transaction(() => {
      const batch = getBatch(batchId);
      const reviewerId = userIdOf(username);
      const row = sql().paused.get(batch.id, reviewerId);
      if (!row) throw new ServiceError("not_found", `${username} is not a reviewer of this batch`);
      if (row.paused_at == null) throw new ServiceError("conflict", `${username} is not paused in this batch`);
      db.update(batchReviewers).set({ pausedAt: null, pausedReason: null, resumedAt: Date.now() }).where(and(eq(batchReviewers.batchId, batch.id), eq(batchReviewers.userId, reviewerId))).run();
      recordAudit(db, { userId: actorId, action: "gold.resume-reviewer", subject: batch.id, detail: { reviewer_id: reviewerId, reviewer: username } });
      return { batch_id: batch.id, reviewer: username };
    })
    .immediate();
}

/** The reviewers paused in a batch, by user id, with their messages. */
export function pausedReviewers(batchId: string): Map<string, string> {
  const rows = connection()
    .db.select({ userId: batchReviewers.userId, reason: batchReviewers.pausedReason })
    .from(batchReviewers)
    .where(and(eq(batchReviewers.batchId, batchId), isNotNull(batchReviewers.pausedAt)))
    .all();
  return new Map(rows.map((r) => [r.userId, r.reason ?? ""]));
}

/** Reads a gold answer from a form, the CLI or an import: `{best}` and/or `{scores}`; 400 with a field message otherwise. */
export function parseGoldAnswer(raw: unknown): GoldAnswer {
  const parsed = goldAnswerSchema.safeParse(raw);
  if (!parsed.success) throw invalidFrom(parsed.error, "gold");
  return parsed.data;
}

function itemRow(itemId: string) {
  const row = connection().db.select().from(items).where(eq(items.id, itemId)).get();
  if (!row) throw new ServiceError("not_found", `no item ${itemId}`);
  return row;
}

/**
 * Marks a batch's item as gold with its expected answer (response ids of the item, or "tie" for
 * a pairwise item). The item leaves the overlap-driven queue and is mixed into every reviewer's
 * stream. 400 when the answer does not fit the item, 409 when the batch is closed.
 */
export function markItemGold(itemId: string, rawAnswer: unknown, actorId: string | null): { item_id: string; gold_answer: GoldAnswer } {
  const { sqlite, db } = connection();
  const answer = parseGoldAnswer(rawAnswer);
  return sqlite
    .transaction(() => {
      const item = itemRow(itemId);
      const batch = getBatch(item.batchId);
      if (batch.status === "closed") throw new ServiceError("conflict", "this batch is closed; reopen it first");
      const fitted = goldAnswerOfItem(answer, item.responseIds, batch.task);
      if (!fitted) {
        const reason = `names no response of this item (its responses: ${item.responseIds.join(", ")}${batch.task === "pairwise" ? ', or "tie"' : ""})`;
        throw new ServiceError("invalid", `gold: ${reason}`, { fields: { gold: reason } });
      }
      db.update(items).set({ isGold: true, goldAnswer: fitted, open: false }).where(eq(items.id, itemId)).run();
      recordAudit(db, { userId: actorId, action: "gold.mark", subject: itemId, detail: { batch: batch.id, answer: fitted } });
      return { item_id: itemId, gold_answer: fitted };
    })
    .immediate();
}

/** Turns a gold item back into an ordinary one (its judgments stay); it reopens if it has room. */
export function unmarkItemGold(itemId: string, actorId: string | null): { item_id: string } {
  const { sqlite, db } = connection();
  return sqlite
    .transaction(() => {
      const item = itemRow(itemId);
      const batch = getBatch(item.batchId);
      if (!item.isGold) throw new ServiceError("conflict", "this item is not gold");
      sqlite
        .prepare("UPDATE items SET is_gold = 0, gold_answer = NULL, open = (claims < ? + extra_overlap) WHERE id = ?")
        .run(batch.overlap, itemId);
      recordAudit(db, { userId: actorId, action: "gold.unmark", subject: itemId, detail: { batch: batch.id } });
      return { item_id: itemId };
    })
    .immediate();
}

/** The gold answer an adjudicated verdict gives: its preferred response, its single top response, or its overall scores. */
function answerOfVerdict(payload: JudgmentPayload, overallAspect: string): GoldAnswer | null {
  if (payload.task === "pairwise") return { best: payload.preferred };
  if (payload.task === "ranking") return payload.tiers[0]?.length === 1 ? { best: payload.tiers[0][0]! } : null;
  const scores: Record<string, number> = {};
  for (const [id, s] of Object.entries(payload.scores)) if (typeof s[overallAspect] === "number") scores[id] = s[overallAspect]!;
  return Object.keys(scores).length > 0 ? { scores } : null;
}

/** Promotes an adjudicated item to gold, its verdict becoming the expected answer; 409 without a verdict. */
export function promoteToGold(itemId: string, actorId: string | null): { item_id: string; gold_answer: GoldAnswer } {
  const item = itemRow(itemId);
  const batch = getBatch(item.batchId);
  const verdict = adjudicationOf(itemId);
  if (!verdict) throw new ServiceError("conflict", "this item has no adjudicated verdict to promote; record one with disputes resolve first");
  const answer = answerOfVerdict(verdict.payload, batch.config.overallAspect);
  if (!answer) throw new ServiceError("conflict", "the verdict names no single best response, so it cannot be a gold answer");
  return markItemGold(itemId, answer, actorId);
}

/**
 * Sets or clears a prompt's gold answer in a dataset (the dataset page): response ids of the
 * prompt, or "tie". Batches made from the dataset afterwards take it as their items' answers.
 */
export function setPromptGold(promptId: string, rawAnswer: unknown | null, actorId: string | null): { prompt_id: string; gold_answer: GoldAnswer | null } {
  const { sqlite, db } = connection();
  const answer = rawAnswer === null ? null : parseGoldAnswer(rawAnswer);
  return sqlite
    .transaction(() => {
      const prompt = db.select({ id: prompts.id }).from(prompts).where(eq(prompts.id, promptId)).get();
      if (!prompt) throw new ServiceError("not_found", `no prompt ${promptId}`);
      if (answer) {
        const ids = sqlite.prepare<[string], { id: string }>("SELECT id FROM responses WHERE prompt_id = ?").all(promptId).map((r) => r.id);
        const unknown = goldAnswerResponses(answer).filter((id) => !ids.includes(id));
        if (unknown.length > 0) {
          const reason = `${unknown.join(", ")} is not a response of this prompt`;
          throw new ServiceError("invalid", `gold: ${reason}`, { fields: { gold: reason } });
        }
      }
      db.update(prompts).set({ goldAnswer: answer }).where(eq(prompts.id, promptId)).run();
      recordAudit(db, { userId: actorId, action: answer ? "gold.mark-prompt" : "gold.clear-prompt", subject: promptId, detail: answer ? { answer } : {} });
      return { prompt_id: promptId, gold_answer: answer };
    })
    .immediate();
}

/**
 * Turns the prompts' gold answers into the batch's gold items (inside createBatch's transaction):
 * each item whose prompt has an answer that applies to it (goldAnswerOfItem) becomes gold.
 * Returns how many items became gold.
 */
export function applyPromptGold(batchId: string, task: BatchRecord["task"]): number {
  const { sqlite } = connection();
  const rows = sqlite
    .prepare<[string], { id: string; response_ids: string; gold_answer: string }>(
      "SELECT i.id, i.response_ids, p.gold_answer FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.batch_id = ? AND p.gold_answer IS NOT NULL",
    )
    .all(batchId);
  const update = sqlite.prepare("UPDATE items SET is_gold = 1, gold_answer = ?, open = 0 WHERE id = ?");
  let marked = 0;
  for (const row of rows) {
    const answer = goldAnswerSchema.safeParse(JSON.parse(row.gold_answer));
    if (!answer.success) continue;
    const fitted = goldAnswerOfItem(answer.data, JSON.parse(row.response_ids) as string[], task);
    if (!fitted) continue;
    update.run(JSON.stringify(fitted), row.id);
    marked++;
  }
  return marked;
}
