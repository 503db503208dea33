import { pairsOf } from "../core/ranking/pairs";
import { checkJudgment, strictJudgmentInputSchema, type JudgmentFlag, type JudgmentPayload } from "../core/tasks/judgment";
import type { AssignmentStatus } from "../../db/schema";
import { newId } from "../../db/ids";
import { checkGoldStanding, pauseOf } from "./gold.server";
import { getBatch } from "./batches.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";

/** A stored judgment as the API returns it. */
export interface JudgmentRecord {
  id: string;
  assignment_id: string;
  item_id: string;
  client_id: string;
  payload: JudgmentPayload;
  flags: Array<{ response_id: string; flag: string; note: string }>;
  rationale: string;
  duration_ms: number | null;
  created_at: number;
  updated_at: number;
}

export function judgmentRecord(judgmentId: string): JudgmentRecord {
  const { sqlite } = connection();
  const row = sqlite
    .prepare<[string], { id: string; assignment_id: string; item_id: string; client_id: string; payload: string; rationale: string; duration_ms: number | null; created_at: number; updated_at: number }>(
      "SELECT id, assignment_id, item_id, client_id, payload, rationale, duration_ms, created_at, updated_at FROM judgments WHERE id = ?",
    )
    .get(judgmentId)!;
  const flags = sqlite
    .prepare<[string], { response_id: string; flag: string; note: string }>("SELECT response_id, flag, note FROM judgment_flags WHERE judgment_id = ? ORDER BY rowid")
    .all(judgmentId);
  return { ...row, payload: JSON.parse(row.payload) as JudgmentPayload, flags };
}

/**
 * Stores a judgment and its preference pairs in one transaction, or edits the reviewer's own
 * judgment (flags and pairs rewritten). A repeated `client_id` returns the stored judgment
 * unchanged, so a double submit is harmless. `created` tells 201 from 200.
 */
export function submitJudgment(
  assignmentId: string,
  reviewerId: string,
  rawInput: unknown,
  now = Date.now(),
): { judgment: JudgmentRecord; created: boolean; paused: string | null } {
  const { sqlite } = connection();
  // Whose assignment it is, before anything of the body is read or answered (the authorization
  // matrix, tests/e2e/authorization.test.ts): someone else's is not found, whatever they send.
  // A prepared statement: this is the review bench's measured submit path.
  const owner = sqlite.prepare<[string], string>("SELECT reviewer_id FROM assignments WHERE id = ?").pluck().get(assignmentId);
  if (owner !== reviewerId) throw new ServiceError("not_found", `no assignment ${assignmentId}`);
  const parsed = strictJudgmentInputSchema.safeParse(rawInput);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const input = parsed.data;
  let paused: string | null = null;

  const result = sqlite
    .transaction((): { id: string; created: boolean } => {
      const repeat = sqlite.prepare<[string], { id: string; assignment_id: string }>("SELECT id, assignment_id FROM judgments WHERE client_id = ?").get(input.client_id);
      if (repeat) {
        if (repeat.assignment_id !== assignmentId) throw new ServiceError("conflict", "this client_id was already used for another assignment");
        return { id: repeat.id, created: false };
      }
      const assignment = sqlite
        .prepare<[string], { id: string; item_id: string; batch_id: string; reviewer_id: string; status: AssignmentStatus; display_order: string; kind: string }>(
          "SELECT id, item_id, batch_id, reviewer_id, status, display_order, kind FROM assignments WHERE id = ?",
        )
        .get(assignmentId);
      if (!assignment || assignment.reviewer_id !== reviewerId) throw new ServiceError("not_found", `no assignment ${assignmentId}`);
      const batch = getBatch(assignment.batch_id);
      if (batch.status === "closed") throw new ServiceError("conflict", "this batch is closed");
      if (assignment.status === "skipped") throw new ServiceError("conflict", "this item was skipped");
      // A paused reviewer's items were given back; nothing new of theirs is stored (edits are).
      const pausedBecause = assignment.status === "submitted" ? null : pauseOf(batch.id, reviewerId);
      if (pausedBecause !== null) throw new ServiceError("conflict", pausedBecause);
      const item = sqlite
        .prepare<[string], { response_ids: string; claims: number; prompt_id: string; is_gold: number }>(
          "SELECT response_ids, claims - extra_overlap AS claims, prompt_id, is_gold FROM items WHERE id = ?",
        )
        .get(assignment.item_id)!;
      const responseIds = JSON.parse(item.response_ids) as string[];
      const check = checkJudgment(input, { task: batch.task, config: batch.config, responseIds });
      if (!check.ok) {
        const message = Object.entries(check.fields)
          .map(([field, reason]) => `${field}: ${reason}`)
          .join("; ");
        throw new ServiceError("invalid", message, { fields: check.fields });
      }
      const judgment = check.judgment;
      // A self-consistency repeat (self-consistency.server.ts) is stored with source 'repeat': no
      // claim, no item counter and no preference pairs; validation, flags and rationale as usual.
      const repeatOfItem = assignment.kind === "repeat";

      let judgmentId: string;
      let created: boolean;
      if (assignment.status === "submitted") {
        judgmentId = sqlite.prepare<[string], { id: string }>("SELECT id FROM judgments WHERE assignment_id = ?").get(assignment.id)!.id;
        sqlite
          .prepare("UPDATE judgments SET payload = ?, rationale = ?, duration_ms = coalesce(?, duration_ms), client_id = ?, updated_at = ? WHERE id = ?")
          .run(JSON.stringify(judgment.payload), judgment.rationale, judgment.durationMs, judgment.clientId, now, judgmentId);
        sqlite.prepare("DELETE FROM judgment_flags WHERE judgment_id = ?").run(judgmentId);
        sqlite.prepare("DELETE FROM preference_pairs WHERE judgment_id = ?").run(judgmentId);
        created = false;
      } else {
        if (assignment.status === "expired" && !repeatOfItem) {
          // The lease ran out and went back to the pool; the judgment still counts if the item has room.
          // A gold item goes to every reviewer: its claims are not bounded by the overlap.
          if (!item.is_gold && item.claims >= batch.overlap) throw new ServiceError("conflict", "the lease on this item expired and other reviewers took it");
          sqlite.prepare("UPDATE items SET claims = claims + 1, open = (is_gold = 0 AND claims + 1 < ? + extra_overlap) WHERE id = ?").run(batch.overlap, assignment.item_id);
        }
        judgmentId = newId();
        sqlite
          .prepare(
            `INSERT INTO judgments (id, assignment_id, item_id, reviewer_id, payload, rationale, duration_ms, client_id, created_at, updated_at, source)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(judgmentId, assignment.id, assignment.item_id, reviewerId, JSON.stringify(judgment.payload), judgment.rationale, judgment.durationMs, judgment.clientId, now, now, repeatOfItem ? "repeat" : "reviewer");
        sqlite.prepare("UPDATE assignments SET status = 'submitted', done_at = ? WHERE id = ?").run(now, assignment.id);
        if (!repeatOfItem) sqlite.prepare("UPDATE items SET submitted = submitted + 1 WHERE id = ?").run(assignment.item_id);
        created = true;
      }
      writeFlags(judgmentId, judgment.flags);
      if (repeatOfItem) return { id: judgmentId, created };
      // A judged gold item may pause the reviewer (gold.server.ts); an edit is scored again.
      if (item.is_gold) paused = checkGoldStanding(batch, reviewerId, now);
      const insertPair = sqlite.prepare(
        `INSERT INTO preference_pairs (id, judgment_id, batch_id, item_id, reviewer_id, prompt_id, chosen_id, rejected_id, strength, source, shown_chosen_first)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const displayOrder = JSON.parse(assignment.display_order) as number[];
      for (const pair of pairsOf(judgment.payload, responseIds, displayOrder, batch.config.overallAspect)) {
        insertPair.run(newId(), judgmentId, batch.id, assignment.item_id, reviewerId, item.prompt_id, pair.chosenId, pair.rejectedId, pair.strength, batch.task, pair.shownChosenFirst ? 1 : 0);
      }
      return { id: judgmentId, created };
    })
    .immediate();
  return { judgment: judgmentRecord(result.id), created: result.created, paused };
}

function writeFlags(judgmentId: string, flags: JudgmentFlag[]): void {
  const insert = connection().sqlite.prepare("INSERT INTO judgment_flags (judgment_id, response_id, flag, note) VALUES (?, ?, ?, ?)");
  for (const f of flags) insert.run(judgmentId, f.responseId, f.flag, f.note);
}
