import { judgeTriage } from "./judge.server";
import { and, asc, eq, inArray } from "drizzle-orm";
import { z } from "zod";
import { items, judgmentFlags, judgments, prompts, responses, users } from "../../db/schema";
import { disputeOf, rankingChoice, type Dispute, type DisputeVote } from "../core/ranking/disputes";
import type { ChatMessage } from "../core/formats/messages";
import type { JudgmentPayload } from "../core/tasks/judgment";
import { adjudicationOf, type Adjudication } from "./adjudication.server";
import { getBatch } from "./batches.server";
import { connection } from "./database.server";
import { invalidFrom } from "./validation.server";

export interface DisputedJudgment {
  id: string;
  reviewer: string;
  /** A response id or "tie" (pairwise), the top tier joined with "=" (ranking), null (rating). */
  choice: string | null;
  strength: number | null;
  rationale: string;
  flags: Array<{ response_id: string; flag: string; note: string }>;
  at: string;
}

export interface DisputedItem extends Dispute {
  item_id: string;
  position: number;
  prompt: ChatMessage[];
  responses: Array<{ id: string; external_id: string; model: string; text: string }>;
  judgments: DisputedJudgment[];
  /** The admin's verdict (source `adjudicated`), or null while the dispute is open. */
  adjudication: Adjudication | null;
  /** Why the batch's latest LLM-judge run sends the item here (judge.server.ts judgeTriage), with its choice; null when it does not. */
  judge: { run: string; model: string; reasons: string[]; choice: string | null } | null;
}

export interface DisputesPage {
  batch: { id: string; name: string; task: string };
  /** Items with at least two judgments, and how many of them are disputed. */
  judged_items: number;
  total: number;
  limit: number;
  offset: number;
  items: DisputedItem[];
}

const pageSchema = z.object({
  limit: z.coerce.number().int("a whole number").min(1, "at least 1").max(200, "at most 200").default(20),
  offset: z.coerce.number().int("a whole number").min(0, "not negative").default(0),
  /** `open`: not yet adjudicated; `resolved`: adjudicated; `all`: both. */
  status: z.enum(["open", "resolved", "all"], "open, resolved or all").default("all"),
});

function choiceOf(payload: JudgmentPayload): string | null {
  if (payload.task === "pairwise") return payload.preferred;
  if (payload.task === "ranking") return rankingChoice(payload.tiers);
  return null;
}

/**
 * The batch's disputed items, most split first (then by batch order): reviewers who split on
 * the direction, or where some flagged a response and others did not (core/ranking/disputes.ts).
 * Each item comes with its prompt, its responses and every judgment side by side. Gold items are
 * left out. One page at a time; 404 for an unknown batch, 400 for a bad page.
 */
export function listDisputes(batchId: string, page: { limit?: unknown; offset?: unknown; status?: unknown } = {}): DisputesPage {
  const parsed = pageSchema.safeParse(page);
  if (!parsed.success) throw invalidFrom(parsed.error);
  const { limit, offset, status } = parsed.data;
  const batch = getBatch(batchId);
  const { db } = connection();
  const rows = db
    .select({ id: judgments.id, itemId: judgments.itemId, reviewer: users.username, payload: judgments.payload, rationale: judgments.rationale, at: judgments.createdAt, position: items.position })
    .from(judgments)
    .innerJoin(items, eq(items.id, judgments.itemId))
    .innerJoin(users, eq(users.id, judgments.reviewerId))
    // An admin's verdict is not a vote: the split is the reviewers' own.
    .where(and(eq(items.batchId, batch.id), eq(items.isGold, false), eq(judgments.source, "reviewer")))
    .orderBy(asc(items.position), asc(judgments.createdAt))
    .all();
  const flagRows = db
    .select({ judgmentId: judgmentFlags.judgmentId, responseId: judgmentFlags.responseId, flag: judgmentFlags.flag, note: judgmentFlags.note })
    .from(judgmentFlags)
    .innerJoin(judgments, eq(judgments.id, judgmentFlags.judgmentId))
    .innerJoin(items, eq(items.id, judgments.itemId))
    .where(eq(items.batchId, batch.id))
    .all();
  const flagsOf = new Map<string, DisputedJudgment["flags"]>();
  for (const f of flagRows) {
    const list = flagsOf.get(f.judgmentId) ?? [];
    list.push({ response_id: f.responseId, flag: f.flag, note: f.note });
    flagsOf.set(f.judgmentId, list);
  }

  const byItem = new Map<string, { position: number; judgments: DisputedJudgment[] }>();
  for (const row of rows) {
    const payload = row.payload as unknown as JudgmentPayload;
    const entry = byItem.get(row.itemId) ?? { position: row.position, judgments: [] };
    entry.judgments.push({
      id: row.id,
      reviewer: row.reviewer,
      choice: choiceOf(payload),
      strength: payload.task === "pairwise" ? payload.strength : null,
      rationale: row.rationale,
      flags: flagsOf.get(row.id) ?? [],
      at: new Date(row.at).toISOString(),
    });
    byItem.set(row.itemId, entry);
  }
  let judgedItems = 0;
  const disputed: Array<{ itemId: string; position: number; dispute: Dispute; judgments: DisputedJudgment[] }> = [];
  for (const [itemId, entry] of byItem) {
    if (entry.judgments.length < 2) continue;
    judgedItems++;
    const votes: DisputeVote[] = entry.judgments.map((j) => ({ reviewer: j.reviewer, choice: j.choice, flags: j.flags.map((f) => `${f.response_id}:${f.flag}`) }));
    const dispute = disputeOf(votes);
    if (dispute) disputed.push({ itemId, position: entry.position, dispute, judgments: entry.judgments });
  }
  // The latest judge run's triage (issue 13): items where the judge goes against the reviewers'
  // majority or flags a hallucination no reviewer flagged join the queue, after the human splits.
  const triage = judgeTriage(batch.id);
  const listed = new Set(disputed.map((d) => d.itemId));
  for (const [itemId] of triage) {
    const entry = byItem.get(itemId);
    if (!entry || listed.has(itemId)) continue;
    disputed.push({ itemId, position: entry.position, dispute: { split: 0, direction: false, flags: [] }, judgments: entry.judgments });
  }
  const resolved = new Set(
    db.selectDistinct({ itemId: judgments.itemId }).from(judgments).innerJoin(items, eq(items.id, judgments.itemId))
      .where(and(eq(items.batchId, batch.id), eq(judgments.source, "adjudicated"))).all().map((r) => r.itemId),
  );
  if (status !== "all") {
    const keep = disputed.filter((d) => resolved.has(d.itemId) === (status === "resolved"));
    disputed.length = 0;
    disputed.push(...keep);
  }
  disputed.sort((a, b) => b.dispute.split - a.dispute.split || a.position - b.position);
  const slice = disputed.slice(offset, offset + limit);

  // Texts only for the page shown.
  const itemRows = slice.length
    ? db.select({ id: items.id, responseIds: items.responseIds, messages: prompts.messages }).from(items).innerJoin(prompts, eq(prompts.id, items.promptId)).where(inArray(items.id, slice.map((d) => d.itemId))).all()
    : [];
  const responseIds = itemRows.flatMap((row) => row.responseIds);
  const responseRows = responseIds.length
    ? db.select({ id: responses.id, externalId: responses.externalId, model: responses.model, text: responses.text }).from(responses).where(inArray(responses.id, responseIds)).all()
    : [];
  const responseOf = new Map(responseRows.map((r) => [r.id, r]));
  const itemOf = new Map(itemRows.map((row) => [row.id, row]));
  return {
    batch: { id: batch.id, name: batch.name, task: batch.task },
    judged_items: judgedItems,
    total: disputed.length,
    limit,
    offset,
    items: slice.map((d) => {
      const item = itemOf.get(d.itemId)!;
      return {
        item_id: d.itemId,
        position: d.position,
        ...d.dispute,
        prompt: item.messages as ChatMessage[],
        responses: item.responseIds.map((id) => {
          const r = responseOf.get(id)!;
          return { id, external_id: r.externalId, model: r.model, text: r.text };
        }),
        judgments: d.judgments,
        adjudication: resolved.has(d.itemId) ? adjudicationOf(d.itemId) : null,
        judge: triage.get(d.itemId) ?? null,
      };
    }),
  };
}
