/**
 * Running a batch after it was made (issue 12, the batch page): what the admin sees of it and
 * the changes they can make — its name and guidelines, its reviewers, its overlap. Each change
 * is one IMMEDIATE transaction with its audit entry, so a reviewer asking for an item at the
 * same instant sees the batch either before or after it, never half-changed.
 */
import { pausedReviewers } from "./gold.server";
import { batchConfigSchema, type BatchConfig, type Task } from "../core/tasks/config";
import type { BatchStatus } from "../../db/schema";
import { arenaOfConfig } from "./arena.server";
import { releaseReviewerLeases, reviewProgress } from "./assignments.server";
import { recordAudit } from "./audit.server";
import { getBatch, itemsNeedingReviewer, type BatchSelection } from "./batches.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";

/** The largest overlap a batch may have, as at creation (newBatchSchema). */
export const MAX_OVERLAP = 50;
const MAX_NAME = 120;

/** One reviewer's progress in a batch, as the batch page and `batches show` list it. */
export interface ReviewerProgress {
  username: string;
  displayName: string;
  disabled: boolean;
  /** False for someone removed from the batch: their judgments stay and are listed. */
  member: boolean;
  /** Judgments submitted. */
  done: number;
  /** Items they hold right now (live leases). */
  leased: number;
  /** Items they may still get, their live leases included (0 for a removed reviewer). */
  left: number;
  /** Items they gave back. */
  skipped: number;
  /** Of the items they skipped, those still short of the overlap: waiting for another reviewer. */
  skippedWaiting: number;
  /** Why they are paused in this batch by their gold accuracy (gold.server.ts), or null. */
  paused: string | null;
}

export interface BatchDetail {
  id: string;
  name: string;
  dataset: string;
  task: Task;
  /** An arena batch (stored as pairwise): its endpoints by label only, never URL or model. */
  arena: { endpoints: string[] } | null;
  status: BatchStatus;
  overlap: number;
  createdAt: number;
  createdBy: string | null;
  config: BatchConfig;
  selection: BatchSelection | null;
  items: number;
  judgments: number;
  /** items × overlap. */
  needed: number;
  leased: number;
  skipped: number;
  /** Items no reviewer of the batch is left to take (itemsNeedingReviewer). */
  needsReviewer: number;
  /** The highest claims (judgments + live leases) any item holds: the overlap cannot go below it. */
  maxClaims: number;
  reviewers: ReviewerProgress[];
}

/** Each reviewer's progress in a batch: its reviewers first (by username), then removed ones who left judgments. */
export function batchProgress(batchId: string, now = Date.now()): ReviewerProgress[] {
  const { sqlite } = connection();
  getBatch(batchId); // 404 for an unknown batch
  const people = sqlite
    .prepare<{ batch: string }, { id: string; username: string; display_name: string; disabled: number; member: number }>(
      `SELECT u.id, u.username, u.display_name, u.disabled, 1 AS member FROM batch_reviewers br JOIN users u ON u.id = br.user_id WHERE br.batch_id = @batch
       UNION
       SELECT u.id, u.username, u.display_name, u.disabled, 0 AS member FROM users u
       WHERE u.id IN (SELECT reviewer_id FROM assignments WHERE batch_id = @batch AND status = 'submitted' AND kind = 'review')
         AND u.id NOT IN (SELECT user_id FROM batch_reviewers WHERE batch_id = @batch)
       ORDER BY member DESC, username`,
    )
    .all({ batch: batchId });
  const counts = sqlite.prepare<{ batch: string; reviewer: string; now: number }, { leased: number; waiting: number }>(
    `SELECT
       (SELECT count(*) FROM assignments WHERE reviewer_id = @reviewer AND batch_id = @batch AND status = 'leased' AND kind = 'review' AND lease_expires_at > @now) AS leased,
       (SELECT count(*) FROM assignments a JOIN items i ON i.id = a.item_id
         WHERE a.reviewer_id = @reviewer AND a.batch_id = @batch AND a.status = 'skipped' AND a.kind = 'review' AND i.open = 1) AS waiting`,
  );
  const paused = pausedReviewers(batchId);
  return people.map((p) => {
    const progress = reviewProgress(batchId, p.id);
    const { leased, waiting } = counts.get({ batch: batchId, reviewer: p.id, now })!;
    return {
      username: p.username,
      displayName: p.display_name,
      disabled: p.disabled === 1,
      member: p.member === 1,
      done: progress.mine,
      leased,
      left: p.member === 1 && p.disabled === 0 ? progress.left : 0,
      skipped: progress.skipped,
      skippedWaiting: waiting,
      paused: paused.get(p.id) ?? null,
    };
  });
}

/** Everything the batch page shows of a batch. */
export function batchDetail(batchId: string, now = Date.now()): BatchDetail {
  const { sqlite } = connection();
  const batch = getBatch(batchId);
  const row = sqlite
    .prepare<[string], { dataset: string; created_at: number; created_by: string | null; config: string }>(
      `SELECT d.name AS dataset, b.created_at, (SELECT username FROM users WHERE id = b.created_by) AS created_by, b.config
       FROM batches b JOIN datasets d ON d.id = b.dataset_id WHERE b.id = ?`,
    )
    .get(batchId)!;
  const totals = sqlite
    .prepare<[string], { items: number; judgments: number; max_claims: number }>(
      "SELECT count(*) AS items, coalesce(sum(submitted), 0) AS judgments, coalesce(max(claims), 0) AS max_claims FROM items WHERE batch_id = ?",
    )
    .get(batchId)!;
  const assignmentCounts = sqlite
    .prepare<[number, string], { leased: number; skipped: number }>(
      `SELECT count(*) FILTER (WHERE status = 'leased' AND lease_expires_at > ?) AS leased, count(*) FILTER (WHERE status = 'skipped') AS skipped
       FROM assignments WHERE batch_id = ? AND kind = 'review'`,
    )
    .get(now, batchId)!;
  const arena = arenaOfConfig(JSON.parse(row.config));
  return {
    id: batch.id,
    name: batch.name,
    dataset: row.dataset,
    task: batch.task,
    arena: arena ? { endpoints: arena.endpoints.map((e) => e.label) } : null,
    status: batch.status,
    overlap: batch.overlap,
    createdAt: row.created_at,
    createdBy: row.created_by,
    config: batch.config,
    selection: batch.selection ?? null,
    items: totals.items,
    judgments: totals.judgments,
    needed: totals.items * batch.overlap,
    leased: assignmentCounts.leased,
    skipped: assignmentCounts.skipped,
    needsReviewer: itemsNeedingReviewer(batchId),
    maxClaims: totals.max_claims,
    reviewers: batchProgress(batchId, now),
  };
}

const invalid = (field: string, reason: string) => new ServiceError("invalid", `${field}: ${reason}`, { fields: { [field]: reason } });

/**
 * Renames a batch and/or replaces its guidelines. New guidelines reach each reviewer with their
 * next item (the judging screen reads the config with every item) and are shown open again to
 * reviewers who had collapsed the old ones, so nobody misses the change. Nothing is written
 * (and nothing audited) when both are as they were.
 */
export function updateBatch(
  batchId: string,
  changes: { name?: string | undefined; guidelines?: string | undefined },
  actorId: string | null = null,
): { changed: Array<"name" | "guidelines"> } {
  if (changes.name === undefined && changes.guidelines === undefined) throw new ServiceError("invalid", "give a new name or new guidelines");
  const name = changes.name?.trim();
  if (name !== undefined && name.length === 0) throw invalid("name", "required");
  if (name !== undefined && name.length > MAX_NAME) throw invalid("name", `${name.length} characters, more than ${MAX_NAME}`);
  // Line endings as a browser sends them (CRLF) are stored as the CLI's file would be.
  const guidelines = changes.guidelines?.replace(/\r\n?/g, "\n");
  if (guidelines !== undefined) {
    const checked = batchConfigSchema.shape.guidelines.safeParse(guidelines);
    if (!checked.success) throw invalid("guidelines", checked.error.issues[0]!.message);
  }
  const { sqlite, db } = connection();
  return sqlite
    .transaction(() => {
      const row = sqlite.prepare<[string], { name: string; config: string }>("SELECT name, config FROM batches WHERE id = ?").get(batchId);
      if (!row) throw new ServiceError("not_found", `no batch ${batchId}`);
      const stored = JSON.parse(row.config) as Record<string, unknown>;
      const changed: Array<"name" | "guidelines"> = [];
      const detail: Record<string, unknown> = {};
      if (name !== undefined && name !== row.name) {
        sqlite.prepare("UPDATE batches SET name = ? WHERE id = ?").run(name, batchId);
        changed.push("name");
        detail.name = { from: row.name, to: name };
      }
      const before = typeof stored.guidelines === "string" ? stored.guidelines : "";
      if (guidelines !== undefined && guidelines !== before) {
        sqlite.prepare("UPDATE batches SET config = ? WHERE id = ?").run(JSON.stringify({ ...stored, guidelines }), batchId);
        sqlite.prepare("UPDATE batch_reviewers SET guidelines_collapsed = 0 WHERE batch_id = ?").run(batchId);
        changed.push("guidelines");
        detail.guidelines = { from_characters: before.length, to_characters: guidelines.length };
      }
      if (changed.length) recordAudit(db, { userId: actorId, action: "batch.update", subject: batchId, detail });
      return { changed };
    })
    .immediate();
}

/**
 * Takes reviewers off a batch: they get no more of its items, the items they hold right now
 * are given back (as if their leases had expired) for others to take, and their judgments
 * stay and count. Usernames that do not review the batch are refused, naming each; so is
 * removing every reviewer (add the new ones first).
 */
export function removeBatchReviewers(
  batchId: string,
  usernames: readonly string[],
  actorId: string | null = null,
): { removed: string[]; released: number } {
  const wanted = [...new Set(usernames.map((u) => u.trim().toLowerCase()).filter(Boolean))];
  if (wanted.length === 0) throw invalid("reviewers", "choose at least one reviewer to remove");
  const { sqlite, db } = connection();
  return sqlite
    .transaction(() => {
      const batch = getBatch(batchId);
      const members = new Map(
        sqlite
          .prepare<[string], { id: string; username: string }>("SELECT u.id, u.username FROM batch_reviewers br JOIN users u ON u.id = br.user_id WHERE br.batch_id = ?")
          .all(batchId)
          .map((m) => [m.username, m.id]),
      );
      const strangers = wanted.filter((u) => !members.has(u));
      if (strangers.length) throw invalid("reviewers", `not reviewers of this batch: ${strangers.join(", ")}`);
      if (wanted.length === members.size) throw invalid("reviewers", "a batch keeps at least one reviewer: add the new reviewers before removing the last ones");
      const remove = sqlite.prepare("DELETE FROM batch_reviewers WHERE batch_id = ? AND user_id = ?");
      let released = 0;
      for (const username of wanted) {
        const userId = members.get(username)!;
        released += releaseReviewerLeases(batch, userId);
        remove.run(batchId, userId);
      }
      recordAudit(db, { userId: actorId, action: "batch.remove_reviewers", subject: batchId, detail: { removed: wanted, released } });
      return { removed: wanted, released };
    })
    .immediate();
}

/**
 * Raises a batch's overlap: every item whose claims fall short of the new overlap opens again
 * and goes to reviewers who have not judged it. Lowering is refused (docs/decisions.md §25):
 * judgments already collected beyond a lower overlap would be neither needed nor discardable,
 * and agreement figures would mix items judged by different numbers of reviewers. The new
 * overlap may not exceed the batch's enabled reviewers (as at creation), nor apply to an arena,
 * whose battles are each one reviewer's own.
 */
export function setBatchOverlap(batchId: string, overlap: number, actorId: string | null = null): { from: number; to: number; reopened: number } {
  if (!Number.isInteger(overlap)) throw invalid("overlap", `${JSON.stringify(overlap) ?? String(overlap)} is not a whole number`);
  if (overlap < 1) throw invalid("overlap", `${overlap} is below 1`);
  if (overlap > MAX_OVERLAP) throw invalid("overlap", `${overlap} is more than ${MAX_OVERLAP}`);
  const { sqlite, db } = connection();
  return sqlite
    .transaction(() => {
      const batch = getBatch(batchId);
      const stored = sqlite.prepare<[string], { config: string }>("SELECT config FROM batches WHERE id = ?").get(batchId)!;
      if (arenaOfConfig(JSON.parse(stored.config))) throw invalid("overlap", "an arena's overlap stays 1: each battle is its reviewer's own");
      if (overlap < batch.overlap) {
        throw invalid("overlap", `${overlap} is below the current overlap ${batch.overlap}: an overlap can only be raised (judgments already made stay counted)`);
      }
      if (overlap === batch.overlap) return { from: batch.overlap, to: overlap, reopened: 0 };
      const enabled = sqlite
        .prepare<[string], { n: number }>("SELECT count(*) AS n FROM batch_reviewers br JOIN users u ON u.id = br.user_id WHERE br.batch_id = ? AND u.disabled = 0")
        .get(batchId)!.n;
      if (overlap > enabled) {
        throw invalid("overlap", `${overlap} is more than the ${enabled} enabled ${enabled === 1 ? "reviewer" : "reviewers"} of this batch: add reviewers first`);
      }
      sqlite.prepare("UPDATE batches SET overlap = ? WHERE id = ?").run(overlap, batchId);
      const reopened = sqlite.prepare("UPDATE items SET open = 1 WHERE batch_id = ? AND open = 0 AND is_gold = 0 AND claims < ? + extra_overlap").run(batchId, overlap).changes;
      recordAudit(db, { userId: actorId, action: "batch.set_overlap", subject: batchId, detail: { from: batch.overlap, to: overlap, reopened } });
      return { from: batch.overlap, to: overlap, reopened };
    })
    .immediate();
}
