import { checkJudgment, judgmentInputSchema, type JudgmentPayload } from "../core/tasks/judgment";
import { newId } from "../../db/ids";
import { recordAudit } from "./audit.server";
import { getBatch } from "./batches.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";

/** An admin's verdict on a disputed item, as the disputes page, the CLI and the API read it back. */
export interface Adjudication {
  judgment_id: string;
  item_id: string;
  /** The admin's username. */
  by: string;
  payload: JudgmentPayload;
  flags: Array<{ response_id: string; flag: string; note: string }>;
  note: string;
  at: string;
}

/**
 * Records an admin's verdict on an item: a judgment with source `adjudicated`, in the task's
 * own shape (pairwise `preferred` + `strength`, ranking `tiers`, rating `scores`, and flags),
 * checked like a reviewer's. Response ids may be the item's internal ids or the dataset's
 * external ids. A second verdict on the same item replaces the first (one per item and
 * admin; the latest across admins wins where read). The verdict is not a reviewer's vote: it
 * takes no claim on the item, makes no preference pairs and enters no agreement statistic.
 * The rationale rule of the batch does not apply; `note` is kept as the rationale.
 * 404 unknown item, 400 field messages, 409 a closed batch.
 */
export function resolveDispute(itemId: string, adminId: string, rawInput: Record<string, unknown>, now = Date.now()): Adjudication {
  const { sqlite, db } = connection();
  const item = sqlite
    .prepare<[string], { id: string; batch_id: string; response_ids: string }>("SELECT id, batch_id, response_ids FROM items WHERE id = ?")
    .get(itemId);
  if (!item) throw new ServiceError("not_found", `no item ${itemId}`);
  const batch = getBatch(item.batch_id);
  const responseIds = JSON.parse(item.response_ids) as string[];
  const external = new Map(
    sqlite
      .prepare<[string], { id: string; external_id: string }>("SELECT id, external_id FROM responses WHERE id IN (SELECT value FROM json_each(?))")
      .all(item.response_ids)
      .map((r) => [r.external_id, r.id]),
  );
  const internal = (id: unknown): unknown => (typeof id === "string" && !responseIds.includes(id) && external.has(id) ? external.get(id) : id);

  const { note, ...rest } = rawInput;
  const input = {
    ...rest,
    client_id: newId(),
    rationale: typeof note === "string" ? note : "",
    ...(rest.preferred !== undefined ? { preferred: rest.preferred === "tie" ? "tie" : internal(rest.preferred) } : {}),
    ...(Array.isArray(rest.tiers) ? { tiers: rest.tiers.map((tier) => (Array.isArray(tier) ? tier.map(internal) : tier)) } : {}),
    ...(rest.scores && typeof rest.scores === "object" && !Array.isArray(rest.scores)
      ? { scores: Object.fromEntries(Object.entries(rest.scores).map(([id, score]) => [internal(id) as string, score])) }
      : {}),
    ...(Array.isArray(rest.flags)
      ? { flags: rest.flags.map((f) => (f && typeof f === "object" ? { ...(f as object), response_id: internal((f as { response_id?: unknown }).response_id) } : f)) }
      : {}),
  };
  const parsed = judgmentInputSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  // The batch's rationale rule is for reviewers; an admin's note is optional.
  const config = { ...batch.config, rationale: { ...batch.config.rationale, required: false } };
  const check = checkJudgment(parsed.data, { task: batch.task, config, responseIds });
  if (!check.ok) {
    const message = Object.entries(check.fields)
      .map(([field, reason]) => `${field}: ${reason}`)
      .join("; ");
    throw new ServiceError("invalid", message, { fields: check.fields });
  }
  const verdict = check.judgment;
  if (batch.status === "closed") throw new ServiceError("conflict", "this batch is closed; reopen it to adjudicate");

  sqlite
    .transaction((): void => {
      let assignment = sqlite
        .prepare<[string, string], { id: string }>("SELECT id FROM assignments WHERE item_id = ? AND reviewer_id = ? AND kind = 'adjudication'")
        .get(itemId, adminId);
      if (!assignment) {
        assignment = { id: newId() };
        // Submitted from the start and outside the item's claims: it never enters a reviewer's queue.
        sqlite
          .prepare(
            `INSERT INTO assignments (id, item_id, batch_id, reviewer_id, status, done_at, display_order, leased_at, lease_expires_at, kind)
             VALUES (?, ?, ?, ?, 'submitted', ?, ?, ?, ?, 'adjudication')`,
          )
          .run(assignment.id, itemId, batch.id, adminId, now, JSON.stringify(responseIds.map((_, i) => i)), now, now);
      }
      const existing = sqlite.prepare<[string], { id: string }>("SELECT id FROM judgments WHERE assignment_id = ?").get(assignment.id);
      let id: string;
      if (existing) {
        id = existing.id;
        sqlite
          .prepare("UPDATE judgments SET payload = ?, rationale = ?, client_id = ?, updated_at = ? WHERE id = ?")
          .run(JSON.stringify(verdict.payload), verdict.rationale, verdict.clientId, now, id);
        sqlite.prepare("DELETE FROM judgment_flags WHERE judgment_id = ?").run(id);
      } else {
        id = newId();
        sqlite
          .prepare(
            `INSERT INTO judgments (id, assignment_id, item_id, reviewer_id, payload, rationale, duration_ms, client_id, created_at, updated_at, source)
             VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, 'adjudicated')`,
          )
          .run(id, assignment.id, itemId, adminId, JSON.stringify(verdict.payload), verdict.rationale, verdict.clientId, now, now);
      }
      const insertFlag = sqlite.prepare("INSERT INTO judgment_flags (judgment_id, response_id, flag, note) VALUES (?, ?, ?, ?)");
      for (const f of verdict.flags) insertFlag.run(id, f.responseId, f.flag, f.note);
      recordAudit(db, { userId: adminId, action: "dispute.resolve", subject: itemId, detail: { batch: batch.id, payload: verdict.payload, flags: verdict.flags.length } });
    })
    .immediate();
  return adjudicationOf(itemId)!;
}

/** The item's current adjudicated verdict (the latest, if several admins gave one), or null. */
export function adjudicationOf(itemId: string): Adjudication | null {
  const { sqlite } = connection();
  const row = sqlite
    .prepare<[string], { id: string; username: string; payload: string; rationale: string; updated_at: number }>(
      `SELECT j.id, u.username, j.payload, j.rationale, j.updated_at FROM judgments j JOIN users u ON u.id = j.reviewer_id
       WHERE j.item_id = ? AND j.source = 'adjudicated' ORDER BY j.updated_at DESC, j.rowid DESC LIMIT 1`,
    )
    .get(itemId);
  if (!row) return null;
  const flags = sqlite
    .prepare<[string], { response_id: string; flag: string; note: string }>("SELECT response_id, flag, note FROM judgment_flags WHERE judgment_id = ? ORDER BY rowid")
    .all(row.id);
  return {
    judgment_id: row.id,
    item_id: itemId,
    by: row.username,
    payload: JSON.parse(row.payload) as JudgmentPayload,
    flags,
    note: row.rationale,
    at: new Date(row.updated_at).toISOString(),
  };
}

/**
 * The admin account a verdict from the shell is stored under: the named one, else the oldest
 * enabled admin. 404 for an unknown name, 403 for an account that is not an enabled admin.
 */
export function adjudicatorId(username?: string): string {
  const { sqlite } = connection();
  if (username === undefined) {
    const row = sqlite.prepare<[], { id: string }>("SELECT id FROM users WHERE role = 'admin' AND disabled = 0 ORDER BY created_at, rowid LIMIT 1").get();
    if (!row) throw new ServiceError("not_found", "there is no enabled admin account to record the verdict under; create one with users add");
    return row.id;
  }
  const row = sqlite.prepare<[string], { id: string; role: string; disabled: number }>("SELECT id, role, disabled FROM users WHERE username = ?").get(username);
  if (!row) throw new ServiceError("not_found", `no user ${username}`);
  if (row.role !== "admin" || row.disabled) throw new ServiceError("forbidden", `${username} is not an enabled admin`);
  return row.id;
}

/**
 * "Send to K more reviewers": raises the item's room by `count` beyond the batch's overlap
 * (items.extra_overlap) and reopens it, so the next K reviewers of the batch who have not seen
 * it get it in their queue. 400 for a count outside 1–20, 404 unknown item, 409 when the batch
 * is closed or has fewer than `count` enabled reviewers who have not yet judged, skipped or
 * leased the item (they could never take it: add reviewers to the batch first).
 */
export function sendToMoreReviewers(itemId: string, actorId: string | null, rawCount: unknown): { item_id: string; extra_overlap: number; eligible: number } {
  const count = typeof rawCount === "string" && rawCount.trim() !== "" ? Number(rawCount) : rawCount;
  if (typeof count !== "number" || !Number.isInteger(count) || count < 1 || count > 20) {
    throw new ServiceError("invalid", "reviewers: a whole number from 1 to 20", { fields: { reviewers: "a whole number from 1 to 20" } });
  }
  const { sqlite, db } = connection();
  return sqlite
    .transaction(() => {
      const item = sqlite.prepare<[string], { batch_id: string; is_gold: number; extra_overlap: number }>("SELECT batch_id, is_gold, extra_overlap FROM items WHERE id = ?").get(itemId);
      if (!item) throw new ServiceError("not_found", `no item ${itemId}`);
      const batch = getBatch(item.batch_id);
      if (batch.status === "closed") throw new ServiceError("conflict", "this batch is closed; reopen it first");
      if (item.is_gold) throw new ServiceError("conflict", "gold items are shown to every reviewer already");
      const eligible = sqlite
        .prepare<[string, string], { n: number }>(
          `SELECT count(*) AS n FROM batch_reviewers br JOIN users u ON u.id = br.user_id AND u.disabled = 0
           WHERE br.batch_id = ? AND NOT EXISTS (SELECT 1 FROM assignments a WHERE a.item_id = ? AND a.reviewer_id = br.user_id)`,
        )
        .get(batch.id, itemId)!.n;
      if (eligible < count) {
        const who = eligible === 1 ? "1 reviewer of this batch has" : `${eligible} reviewers of this batch have`;
        throw new ServiceError("conflict", `only ${who} not seen this item; add reviewers to the batch to send it to ${count}`);
      }
      sqlite.prepare("UPDATE items SET extra_overlap = extra_overlap + ?, open = (claims < ? + extra_overlap + ?) WHERE id = ?").run(count, batch.overlap, count, itemId);
      recordAudit(db, { userId: actorId, action: "dispute.send", subject: itemId, detail: { batch: batch.id, reviewers: count } });
      return { item_id: itemId, extra_overlap: item.extra_overlap + count, eligible };
    })
    .immediate();
}
