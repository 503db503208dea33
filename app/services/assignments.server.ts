import { randomInt } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { chooseItem, leaseExpiry, randomDisplayOrder, type Candidate } from "../core/assignment/policy";
import { contextDocuments, referenceText, reviewerConfig, type AssignmentView, type ReviewProgress, type ViewMessage } from "../core/tasks/view";
import type { JudgmentFlag, JudgmentPayload } from "../core/tasks/judgment";
import { batchReviewers, type AssignmentStatus } from "../../db/schema";
import { newId } from "../../db/ids";
import { addAdaptiveRound } from "./adaptive-pairing.server";
import { getBatch, type BatchRecord } from "./batches.server";
import { leaseGold, pauseOf } from "./gold.server";
import { leaseRepeat } from "./self-consistency.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";

/**
 * The assignment engine's transactions. Every change to an item's claims happens here (and in
 * judgments.server.ts) inside an IMMEDIATE transaction, so two reviewers asking at the same
 * instant, even from two processes, are serialized and an item is never handed out beyond
 * its overlap. The rules themselves are pure, in app/core/assignment.
 */

interface AssignmentRow {
  id: string;
  item_id: string;
  batch_id: string;
  reviewer_id: string;
  status: AssignmentStatus;
  /** 'repeat' (self-consistency) holds no claim on its item and counts as no review. */
  kind: "review" | "repeat" | "adjudication";
  display_order: string;
  lease_expires_at: number;
  done_at: number | null;
}

const CANDIDATES = 16;

/** Items the judging screen keeps leased: the one on screen and the next, already loaded. */
export const JUDGING_LOOKAHEAD = 2;

/** A random number in [0, 1) from the OS generator: display orders must not be guessable. */
export const secureRandom = () => randomInt(0, 2 ** 32) / 2 ** 32;

function statements() {
  const { sqlite } = connection();
  return {
    sqlite,
    reviewerOf: sqlite.prepare<[string, string], { n: number }>("SELECT 1 AS n FROM batch_reviewers WHERE batch_id = ? AND user_id = ?"),
    staleLeases: sqlite.prepare<[string, number], { id: string; item_id: string; kind: string }>(
      "SELECT id, item_id, kind FROM assignments WHERE status = 'leased' AND batch_id = ? AND lease_expires_at <= ?",
    ),
    expire: sqlite.prepare("UPDATE assignments SET status = 'expired' WHERE id = ?"),
    heldBy: sqlite.prepare<[string, string], { id: string; item_id: string; kind: string }>(
      "SELECT id, item_id, kind FROM assignments WHERE batch_id = ? AND reviewer_id = ? AND status = 'leased'",
    ),
    // An item's room is the batch's overlap plus the reviewers an admin added to it (a dispute sent
    // to K more reviewers); gold items are never open to the overlap-driven queue.
    release: sqlite.prepare("UPDATE items SET claims = claims - 1, open = (is_gold = 0 AND claims - 1 < ? + extra_overlap) WHERE id = ?"),
    claim: sqlite.prepare("UPDATE items SET claims = claims + 1, open = (is_gold = 0 AND claims + 1 < ? + extra_overlap) WHERE id = ?"),
    liveLeases: sqlite.prepare<[string, string, number, number], AssignmentRow>(
      `SELECT * FROM assignments WHERE reviewer_id = ? AND batch_id = ? AND status = 'leased' AND lease_expires_at > ?
       ORDER BY leased_at, id LIMIT ?`,
    ),
    ownExpired: sqlite.prepare<[string, string], AssignmentRow & { claims: number }>(
      `SELECT a.*, i.claims FROM assignments a JOIN items i ON i.id = a.item_id
       WHERE a.reviewer_id = ? AND a.batch_id = ? AND a.status = 'expired' AND a.kind = 'review' AND i.open = 1 ORDER BY i.position LIMIT 1`,
    ),
    renew: sqlite.prepare("UPDATE assignments SET status = 'leased', leased_at = ?, lease_expires_at = ? WHERE id = ?"),
    candidates: sqlite.prepare<[string, string, number], { id: string; submitted: number; claims: number; position: number }>(
      // Claims net of the item's extra reviewers, so the policy compares them with the batch's overlap.
      `SELECT i.id, i.submitted, i.claims - i.extra_overlap AS claims, i.position FROM items i INDEXED BY items_open_idx
       WHERE i.batch_id = ? AND i.open = 1
         AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = i.id AND a.reviewer_id = ?)
       ORDER BY i.submitted DESC, i.position LIMIT ?`,
    ),
    insert: sqlite.prepare(
      `INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, display_order, leased_at, lease_expires_at)
       VALUES (?, ?, ?, ?, 'leased', ?, ?, ?)`,
    ),
    item: sqlite.prepare<[string], { id: string; prompt_id: string; response_ids: string }>("SELECT id, prompt_id, response_ids FROM items WHERE id = ?"),
    byId: sqlite.prepare<[string], AssignmentRow>("SELECT * FROM assignments WHERE id = ?"),
    skip: sqlite.prepare("UPDATE assignments SET status = 'skipped', done_at = ? WHERE id = ?"),
    submittedBy: sqlite.prepare<[string, string], { n: number }>(
      "SELECT count(*) AS n FROM assignments WHERE reviewer_id = ? AND batch_id = ? AND status = 'submitted' AND kind = 'review'",
    ),
    skippedBy: sqlite.prepare<[string, string], { n: number }>(
      "SELECT count(*) AS n FROM assignments WHERE reviewer_id = ? AND batch_id = ? AND status = 'skipped' AND kind = 'review'",
    ),
  };
}

let cached: { sqlite: unknown; value: ReturnType<typeof statements> } | undefined;
/** Prepared once per connection. */
function sql(): ReturnType<typeof statements> {
  const { sqlite } = connection();
  if (cached?.sqlite !== sqlite) cached = { sqlite, value: statements() };
  return cached.value;
}

function requireReviewer(batch: BatchRecord, reviewerId: string): void {
  requireBatchReviewer(batch.id, reviewerId);
}

/** 403 unless the user is a reviewer of the batch: the judging screen's routes check it before reading their body. */
export function requireBatchReviewer(batchId: string, userId: string): void {
  if (!sql().reviewerOf.get(batchId, userId)) throw new ServiceError("forbidden", "you are not a reviewer of this batch");
}

/** Returns expired leases of a batch to the pool. Runs inside the caller's transaction. */
function expireLeases(batch: BatchRecord, now: number): void {
  const s = sql();
  for (const lease of s.staleLeases.all(batch.id, now)) {
    s.expire.run(lease.id);
    if (lease.kind === "review") s.release.run(batch.overlap, lease.item_id);
  }
}

/**
 * Gives back every lease a reviewer holds in a batch (inside the caller's transaction), stale ones
 * too: a stale lease still holds its claim until someone's `next` expires it. A self-consistency
 * repeat holds no claim and is only expired. Returns how many items were given back. Used when a
 * reviewer leaves a batch (removed) or is paused in it (gold).
 */
export function releaseReviewerLeases(batch: BatchRecord, reviewerId: string): number {
  const s = sql();
  let released = 0;
  for (const lease of s.heldBy.all(batch.id, reviewerId)) {
    s.expire.run(lease.id);
    if (lease.kind !== "review") continue;
    s.release.run(batch.overlap, lease.item_id);
    released++;
  }
  return released;
}

/**
 * The reviewer's current item in a batch: their live lease if they have one, else their own
 * expired lease if its item still has room, else a new lease on the best open item.
 * Null when nothing is left for this reviewer.
 */
export function nextAssignment(batchId: string, reviewerId: string, now = Date.now()): AssignmentView | null {
  const [first] = nextAssignments(batchId, reviewerId, 1, now);
  return first ?? null;
}

/**
 * The reviewer's next `count` items, oldest lease first, leasing more as needed. The judging
 * screen asks for two: the item on screen and the one after it, already loaded, so the next
 * item appears the moment a judgment is submitted.
 */
export function nextAssignments(batchId: string, reviewerId: string, count: number, now = Date.now()): AssignmentView[] {
  const batch = getBatch(batchId);
  requireReviewer(batch, reviewerId);
  if (batch.status === "paused") throw new ServiceError("conflict", "this batch is paused");
  if (batch.status === "closed") throw new ServiceError("conflict", "this batch is closed");
  const paused = pauseOf(batch.id, reviewerId);
  if (paused !== null) throw new ServiceError("conflict", paused);
  const s = sql();
  const ids = s.sqlite
    .transaction((): string[] => {
      expireLeases(batch, now);
      const live = s.liveLeases.all(reviewerId, batch.id, now, count).map((a) => a.id);
      while (live.length < count) {
        const id = leaseOne(batch, reviewerId, now);
        if (id === null) break;
        live.push(id);
      }
      return live;
    })
    .immediate();
  return ids.map((id) => assignmentView(id, reviewerId, batch));
}

/** Leases one more item to the reviewer (inside the caller's transaction); null when none is left. */
function leaseOne(batch: BatchRecord, reviewerId: string, now: number): string | null {
  const s = sql();
  const expires = leaseExpiry(now, batch.config.leaseMinutes);
  const own = s.ownExpired.get(reviewerId, batch.id);
  if (own) {
    s.renew.run(now, expires, own.id);
    s.claim.run(batch.overlap, own.item_id);
    return own.id;
  }
  // Self-consistency: a due repeat comes first; then a gold item when one is due (gold.server.ts).
  const repeat = leaseRepeat(batch, reviewerId, now);
  if (repeat !== null) return repeat;
  const gold = leaseGold(batch, reviewerId, now, secureRandom);
  if (gold !== null) return gold;
  const candidates: Candidate[] = s.candidates
    .all(batch.id, reviewerId, CANDIDATES)
    .map((c) => ({ itemId: c.id, submitted: c.submitted, claimed: c.claims, position: c.position }));
  const chosen = chooseItem(candidates, batch.overlap);
  // An adaptive batch makes its next round here, when this reviewer has nothing open (0 for any other batch).
  if (!chosen) return addAdaptiveRound(batch.id, now) > 0 ? leaseOne(batch, reviewerId, now) : null;
  const item = s.item.get(chosen.itemId)!;
  const order = randomDisplayOrder((JSON.parse(item.response_ids) as string[]).length, secureRandom);
  const assignmentId = newId();
  s.insert.run(assignmentId, item.id, batch.id, reviewerId, JSON.stringify(order), now, expires);
  s.claim.run(batch.overlap, item.id);
  return assignmentId;
}

/** Gives the item back (someone else will get it) and never offers it to this reviewer again. */
export function skipAssignment(assignmentId: string, reviewerId: string, now = Date.now()): void {
  const s = sql();
  s.sqlite
    .transaction(() => {
      const row = s.byId.get(assignmentId);
      if (!row || row.reviewer_id !== reviewerId) throw new ServiceError("not_found", `no assignment ${assignmentId}`);
      if (row.status === "submitted") throw new ServiceError("conflict", "this item is already judged; edit the judgment instead");
      if (row.status === "skipped") return;
      const batch = getBatch(row.batch_id);
      if (row.status === "leased" && row.kind === "review") s.release.run(batch.overlap, row.item_id);
      s.skip.run(now, row.id);
    })
    .immediate();
}

/**
 * The reviewer's judged items in a batch, most recent first, for going back: the one judged
 * just before `before` (an assignment id), or the latest when `before` is null.
 */
export function previousAssignment(batchId: string, reviewerId: string, before: string | null): AssignmentView | null {
  requireBatchReviewer(batchId, reviewerId);
  const { sqlite } = connection();
  const anchor = before
    ? sqlite.prepare<[string, string], { done_at: number | null; status: string }>("SELECT done_at, status FROM assignments WHERE id = ? AND reviewer_id = ?").get(before, reviewerId)
    : undefined;
  const row =
    anchor && anchor.status === "submitted" && anchor.done_at !== null
      ? sqlite
          .prepare<[string, string, number, number, string], { id: string }>(
            `SELECT id FROM assignments WHERE batch_id = ? AND reviewer_id = ? AND status = 'submitted' AND kind = 'review'
             AND (done_at < ? OR (done_at = ? AND id < ?)) ORDER BY done_at DESC, id DESC LIMIT 1`,
          )
          .get(batchId, reviewerId, anchor.done_at, anchor.done_at, before!)
      : sqlite
          .prepare<[string, string], { id: string }>(
            "SELECT id FROM assignments WHERE batch_id = ? AND reviewer_id = ? AND status = 'submitted' AND kind = 'review' ORDER BY done_at DESC, id DESC LIMIT 1",
          )
          .get(batchId, reviewerId);
  return row ? assignmentView(row.id, reviewerId) : null;
}

/** One assignment as the reviewer sees it; 404 for someone else's. */
export function assignmentView(assignmentId: string, reviewerId: string, knownBatch?: BatchRecord): AssignmentView {
  const { sqlite } = connection();
  const row = sql().byId.get(assignmentId);
  if (!row || row.reviewer_id !== reviewerId) throw new ServiceError("not_found", `no assignment ${assignmentId}`);
  // The caller's batch, when it has just read it (next: one read of the batch per request, not two).
  const batch = knownBatch?.id === row.batch_id ? knownBatch : getBatch(row.batch_id);
  const item = sql().item.get(row.item_id)!;
  // The sources of truth come with the prompt's row: no query of their own.
  const prompt = sqlite
    .prepare<[string], { id: string; external_id: string; messages: string; reference: string | null; context: string | null }>(
      "SELECT id, external_id, messages, reference, context FROM prompts WHERE id = ?",
    )
    .get(item.prompt_id)!;
  const responseIds = JSON.parse(item.response_ids) as string[];
  const responses = sqlite
    .prepare<[string], { id: string; external_id: string; text: string; model: string }>(
      `SELECT id, external_id, text, model FROM responses WHERE id IN (SELECT value FROM json_each(?))`,
    )
    .all(item.response_ids);
  const byId = new Map(responses.map((r) => [r.id, r]));
  const order = JSON.parse(row.display_order) as number[];
  let judgment: AssignmentView["judgment"] = null;
  if (row.status === "submitted") {
    const stored = sqlite
      .prepare<[string], { id: string; payload: string; rationale: string }>("SELECT id, payload, rationale FROM judgments WHERE assignment_id = ?")
      .get(row.id);
    if (stored) {
      const flags = sqlite
        .prepare<[string], { response_id: string; flag: string; note: string }>("SELECT response_id, flag, note FROM judgment_flags WHERE judgment_id = ?")
        .all(stored.id)
        .map((f): JudgmentFlag => ({ responseId: f.response_id, flag: f.flag, note: f.note }));
      judgment = { payload: JSON.parse(stored.payload) as JudgmentPayload, flags, rationale: stored.rationale };
    }
  }
  return {
    id: row.id,
    item_id: item.id,
    batch_id: batch.id,
    task: batch.task,
    config: reviewerConfig(batch.config),
    prompt: {
      id: prompt.id,
      external_id: prompt.external_id,
      messages: JSON.parse(prompt.messages) as ViewMessage[],
      reference: referenceText(prompt.reference),
      context: contextDocuments(prompt.context),
    },
    responses: order.map((index) => {
      const r = byId.get(responseIds[index]!)!;
      return { id: r.id, external_id: r.external_id, text: r.text, ...(batch.config.showModelNames ? { model: r.model } : {}) };
    }),
    lease_expires_at: row.lease_expires_at,
    judgment,
  };
}

/** Judgments a reviewer has submitted in a batch: one index range, cheap enough for every submission. */
export function reviewerJudgmentCount(batchId: string, reviewerId: string): number {
  return sql().submittedBy.get(reviewerId, batchId)!.n;
}

/** A reviewer's progress in a batch. Counts over the whole batch: for page loads, not for every submission. */
export function reviewProgress(batchId: string, reviewerId: string): ReviewProgress {
  const { sqlite } = connection();
  const batch = getBatch(batchId);
  const totals = sqlite
    .prepare<[string], { items: number; judgments: number }>("SELECT count(*) AS items, coalesce(sum(submitted), 0) AS judgments FROM items WHERE batch_id = ?")
    .get(batchId)!;
  const mine = reviewerJudgmentCount(batchId, reviewerId);
  // Items this reviewer may still get: open items they were never given, plus their live lease.
  const left = sqlite
    .prepare<{ batch: string; reviewer: string; now: number }, { n: number }>(
      // Two index counts rather than a NOT EXISTS probe per open item.
      `SELECT (SELECT count(*) FROM items WHERE batch_id = @batch AND open = 1)
            - (SELECT count(*) FROM assignments a JOIN items i ON i.id = a.item_id
                WHERE a.reviewer_id = @reviewer AND a.batch_id = @batch AND a.kind = 'review' AND i.open = 1)
            + (SELECT count(*) FROM assignments WHERE reviewer_id = @reviewer AND batch_id = @batch
                AND status = 'leased' AND kind = 'review' AND lease_expires_at > @now) AS n`,
    )
    .get({ batch: batchId, reviewer: reviewerId, now: Date.now() })!.n;
  const skipped = sql().skippedBy.get(reviewerId, batchId)!.n;
  return { mine, left, skipped, items: totals.items, judgments: totals.judgments, needed: totals.items * batch.overlap };
}

export interface ReviewerBatch {
  id: string;
  name: string;
  task: BatchRecord["task"];
  status: BatchRecord["status"];
  progress: ReviewProgress;
  /** An arena: never "done", the reviewer's prompts make its items (arena.server.ts). */
  arena: boolean;
}

/** The batches a user reviews, with their progress in each (the reviewer's home). */
export function batchesOfReviewer(reviewerId: string): ReviewerBatch[] {
  const rows = connection()
    .sqlite.prepare<[string], { id: string; name: string; task: BatchRecord["task"]; status: BatchRecord["status"]; arena: number }>(
      `SELECT b.id, b.name, b.task, b.status, json_type(b.config, '$.arena') IS NOT NULL AS arena FROM batches b JOIN batch_reviewers br ON br.batch_id = b.id
       WHERE br.user_id = ? AND b.status != 'draft' ORDER BY b.created_at DESC`,
    )
    .all(reviewerId);
  return rows.map((r) => ({ ...r, arena: r.arena === 1, progress: reviewProgress(r.id, reviewerId) }));
}

/** Where a judged assignment sits among the reviewer's judgments in its batch, oldest first (1-based), and how many they have. */
export function judgedPosition(assignmentId: string, reviewerId: string): { position: number; of: number } | null {
  const { sqlite } = connection();
  const row = sql().byId.get(assignmentId);
  if (!row || row.reviewer_id !== reviewerId || row.status !== "submitted" || row.kind !== "review" || row.done_at === null) return null;
  const counts = sqlite
    .prepare<{ batch: string; reviewer: string; at: number; id: string }, { position: number; of: number }>(
      `SELECT count(*) FILTER (WHERE done_at < @at OR (done_at = @at AND id <= @id)) AS position, count(*) AS of
       FROM assignments WHERE reviewer_id = @reviewer AND batch_id = @batch AND status = 'submitted' AND kind = 'review'`,
    )
    .get({ batch: row.batch_id, reviewer: reviewerId, at: row.done_at, id: row.id })!;
  return counts;
}

/** Whether the reviewer has collapsed the batch's guidelines (they are open the first time). */
export function guidelinesCollapsed(batchId: string, reviewerId: string): boolean {
  const row = connection()
    .db.select({ collapsed: batchReviewers.guidelinesCollapsed })
    .from(batchReviewers)
    .where(and(eq(batchReviewers.batchId, batchId), eq(batchReviewers.userId, reviewerId)))
    .get();
  return row?.collapsed ?? false;
}

/** Remembers the reviewer's choice to show or collapse the batch's guidelines; 403 for a user outside the batch. */
export function setGuidelinesCollapsed(batchId: string, reviewerId: string, collapsed: boolean): void {
  const result = connection()
    .db.update(batchReviewers)
    .set({ guidelinesCollapsed: collapsed })
    .where(and(eq(batchReviewers.batchId, batchId), eq(batchReviewers.userId, reviewerId)))
    .run();
  if (result.changes === 0) throw new ServiceError("forbidden", "you are not a reviewer of this batch");
}

export interface SkippedItem {
  assignment_id: string;
  /** The last user turn (or the first message) of the prompt, shortened, so the reviewer recognizes the item. */
  prompt_preview: string;
  skipped_at: number;
  /** False once other reviewers have judged the item as often as the batch needs. */
  can_take_back: boolean;
}

/** The items a reviewer skipped in a batch, most recent first. */
export function skippedItems(batchId: string, reviewerId: string): SkippedItem[] {
  const batch = getBatch(batchId);
  requireReviewer(batch, reviewerId);
  const rows = connection()
    .sqlite.prepare<[string, string], { id: string; done_at: number | null; claims: number; messages: string }>(
      `SELECT a.id, a.done_at, i.claims - i.extra_overlap AS claims, p.messages FROM assignments a JOIN items i ON i.id = a.item_id JOIN prompts p ON p.id = i.prompt_id
       WHERE a.reviewer_id = ? AND a.batch_id = ? AND a.status = 'skipped' AND a.kind = 'review' ORDER BY a.done_at DESC, a.id DESC`,
    )
    .all(reviewerId, batch.id);
  return rows.map((r) => {
    const messages = JSON.parse(r.messages) as ViewMessage[];
    const shown = [...messages].reverse().find((m) => m.role === "user") ?? messages[0];
    const text = (shown?.content ?? "").replace(/\s+/g, " ").trim();
    return {
      assignment_id: r.id,
      prompt_preview: text.length > 140 ? `${text.slice(0, 139)}…` : text,
      skipped_at: r.done_at ?? 0,
      can_take_back: r.claims < batch.overlap,
    };
  });
}

/**
 * Takes a skipped item back: the reviewer's assignment is leased to them again (same display
 * order) if the item still needs a judgment. 409 when the batch is not active or others have
 * judged the item as often as the batch needs since.
 */
export function takeBackSkipped(assignmentId: string, reviewerId: string, now = Date.now()): AssignmentView {
  const s = sql();
  s.sqlite
    .transaction(() => {
      const row = s.byId.get(assignmentId);
      if (!row || row.reviewer_id !== reviewerId) throw new ServiceError("not_found", `no assignment ${assignmentId}`);
      // A skipped repeat is not listed among the skipped items and cannot be taken back.
      if (row.status !== "skipped" || row.kind !== "review") throw new ServiceError("conflict", "this item is not skipped");
      const batch = getBatch(row.batch_id);
      if (batch.status !== "active") throw new ServiceError("conflict", `this batch is ${batch.status}`);
      const item = s.sqlite.prepare<[string], { claims: number }>("SELECT claims - extra_overlap AS claims FROM items WHERE id = ?").get(row.item_id)!;
      if (item.claims >= batch.overlap) throw new ServiceError("conflict", "other reviewers have judged this item as often as the batch needs since you skipped it");
      s.renew.run(now, leaseExpiry(now, batch.config.leaseMinutes), row.id);
      s.sqlite.prepare("UPDATE assignments SET done_at = NULL WHERE id = ?").run(row.id);
      s.claim.run(batch.overlap, row.item_id);
    })
    .immediate();
  return assignmentView(assignmentId, reviewerId);
}
