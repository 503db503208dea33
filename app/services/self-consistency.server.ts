import { leaseExpiry } from "../core/assignment/policy";
import { repeatsOwed, selfAgreement, selfAgrees, swappedOrder } from "../core/quality/self-consistency";
import type { JudgmentPayload } from "../core/tasks/judgment";
import { newId } from "../../db/ids";
import { secureRandom } from "./assignments.server";
import type { BatchRecord } from "./batches.server";
import { connection } from "./database.server";

/**
 * Self-consistency (issue 12, decisions.md §29): a share of a reviewer's judged items comes back
 * to them later as a 'repeat' assignment with the display order reversed. A repeat holds no
 * claim on its item (items.claims and open are untouched), its judgment has source 'repeat' and
 * writes no preference pairs, and it is not counted as a submitted review anywhere.
 */

/** How many of the reviewer's judgments must come after a review before its item may come back. */
export const REPEAT_GAP = 3;

function statements() {
  const { sqlite } = connection();
  return {
    sqlite,
    ownExpiredRepeat: sqlite.prepare<[string, string], { id: string }>(
      "SELECT id FROM assignments WHERE reviewer_id = ? AND batch_id = ? AND status = 'expired' AND kind = 'repeat' ORDER BY leased_at, id LIMIT 1",
    ),
    renew: sqlite.prepare("UPDATE assignments SET status = 'leased', leased_at = ?, lease_expires_at = ? WHERE id = ?"),
    counts: sqlite.prepare<[string, string], { reviews: number; repeats: number }>(
      `SELECT count(*) FILTER (WHERE kind = 'review' AND status = 'submitted') AS reviews, count(*) FILTER (WHERE kind = 'repeat') AS repeats
       FROM assignments WHERE reviewer_id = ? AND batch_id = ?`,
    ),
    // The reviewer's submitted reviews, oldest first, each with whether it may come back: not a
    // gold item, and no repeat of it yet.
    reviews: sqlite.prepare<[string, string], { item_id: string; display_order: string; eligible: number }>(
      `SELECT a.item_id, a.display_order,
              (i.is_gold = 0 AND NOT EXISTS (SELECT 1 FROM assignments r WHERE r.item_id = a.item_id AND r.reviewer_id = a.reviewer_id AND r.kind = 'repeat')) AS eligible
       FROM assignments a JOIN items i ON i.id = a.item_id
       WHERE a.reviewer_id = ? AND a.batch_id = ? AND a.status = 'submitted' AND a.kind = 'review'
       ORDER BY a.done_at, a.rowid`,
    ),
    insert: sqlite.prepare(
      `INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, display_order, leased_at, lease_expires_at, kind)
       VALUES (?, ?, ?, ?, 'leased', ?, ?, ?, 'repeat')`,
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

/**
 * Leases the reviewer a repeat when one is due (inside leaseOne's transaction); null when the
 * batch has self-consistency off, no repeat is owed (repeatsOwed) or no judged item is far
 * enough back. Their own expired repeat is renewed first. Otherwise an item is chosen at random
 * among their submitted reviews with at least REPEAT_GAP of their reviews after it, not gold and
 * not repeated yet, and leased again with the display order of their review reversed.
 */
export function leaseRepeat(batch: BatchRecord, reviewerId: string, now: number): string | null {
  const share = batch.config.selfConsistency?.share ?? 0;
  if (!(share > 0)) return null;
  const s = sql();
  const expires = leaseExpiry(now, batch.config.leaseMinutes);
  const expired = s.ownExpiredRepeat.get(reviewerId, batch.id);
  if (expired) {
    s.renew.run(now, expires, expired.id);
    return expired.id;
  }
  const { reviews, repeats } = s.counts.get(reviewerId, batch.id)!;
  if (repeatsOwed(share, reviews, repeats) === 0) return null;
  const done = s.reviews.all(reviewerId, batch.id);
  const eligible = done.slice(0, Math.max(0, done.length - REPEAT_GAP)).filter((r) => r.eligible === 1);
  if (eligible.length === 0) return null;
  const chosen = eligible[Math.min(eligible.length - 1, Math.floor(secureRandom() * eligible.length))]!;
  const id = newId();
  s.insert.run(id, chosen.item_id, batch.id, reviewerId, JSON.stringify(swappedOrder(JSON.parse(chosen.display_order) as number[])), now, expires);
  return id;
}

/** A reviewer's self-agreement: their repeats submitted, how many agreed with their first judgment, and the rate. */
export type SelfAgreementFigure = ReturnType<typeof selfAgreement>;

/**
 * Self-agreement in a batch, per reviewer id and over the whole batch: each submitted repeat is
 * compared with the same reviewer's reviewer judgment of the item (selfAgrees, with the batch's
 * overall aspect for ratings and no tolerance). A repeat whose first judgment is missing is left
 * out.
 */
export function batchSelfAgreement(batch: BatchRecord): { perReviewer: Map<string, SelfAgreementFigure>; batch: SelfAgreementFigure } {
  const rows = connection()
    .sqlite.prepare<[string], { reviewer_id: string; first: string; repeat: string }>(
      `SELECT r.reviewer_id, f.payload AS first, r.payload AS repeat
       FROM judgments r JOIN items i ON i.id = r.item_id
       JOIN judgments f ON f.item_id = r.item_id AND f.reviewer_id = r.reviewer_id AND f.source = 'reviewer'
       WHERE i.batch_id = ? AND r.source = 'repeat' ORDER BY r.rowid`,
    )
    .all(batch.id);
  const options = { overallAspect: batch.config.overallAspect };
  const outcomes = new Map<string, boolean[]>();
  const all: boolean[] = [];
  for (const row of rows) {
    const agreed = selfAgrees(JSON.parse(row.first) as JudgmentPayload, JSON.parse(row.repeat) as JudgmentPayload, options);
    const list = outcomes.get(row.reviewer_id) ?? [];
    list.push(agreed);
    outcomes.set(row.reviewer_id, list);
    all.push(agreed);
  }
  return { perReviewer: new Map([...outcomes].map(([id, list]) => [id, selfAgreement(list)])), batch: selfAgreement(all) };
}
