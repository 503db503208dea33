import {
  bootstrapIntervals,
  cohenKappa,
  fleissKappa,
  fleissKappaUndefinedReason,
  kendallW,
  krippendorffAlphaResampler,
  percentAgreementResampler,
} from "../core/agreement";
import { agreementWithMajorityByColumn, goldAccuracy, median, rate } from "../core/agreement/reviewers";
import { lengthBias, positionBias } from "../core/ranking/bias";
import { bootstrapRatings, bradleyTerry, winRates, type Battle } from "../core/ranking/bradley-terry";
import type { JudgmentPayload } from "../core/tasks/judgment";
import { getBatch, type BatchRecord } from "./batches.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";

/**
 * Batch statistics (DESIGN.md §4): the SQL gathers one value per (unit, reviewer); the pure
 * functions in app/core compute every figure. Rates and agreements are fractions in [0, 1];
 * undefined figures are null, never NaN.
 *
 * The value of a judgment: pairwise, the signed strength −3..3, positive when the item's first
 * response in dataset order is preferred, 0 for a tie; ranking, the same for every response
 * pair the ranking implies (a pair in one tier is a tie); rating, each score, one unit per
 * (item, response, aspect).
 */
export interface BatchStats {
  batch: { id: string; name: string; task: string; overlap: number };
  items: number;
  judgments: number;
  reviewers: number;
  percent_agreement: { with_ties: number | null; without_ties: number | null };
  krippendorff_alpha: { nominal: number | null; ordinal: number | null; interval: number | null; direction: number | null };
  fleiss_kappa: number | null;
  fleiss_kappa_reason: string | null;
  cohen_kappa: Array<{ reviewers: [string, string]; n: number; unweighted: number | null; linear: number | null; quadratic: number | null }>;
  kendall_w: number | null;
  intervals: {
    level: number;
    krippendorff_alpha_interval: [number, number] | null;
    krippendorff_alpha_nominal: [number, number] | null;
    percent_agreement_with_ties: [number, number] | null;
    percent_agreement_without_ties: [number, number] | null;
  };
  per_reviewer: Array<{
    username: string;
    judgments: number;
    agreement_with_majority: number | null;
    gold_accuracy: number | null;
    median_seconds: number | null;
    tie_rate: number | null;
    flag_rate: number | null;
    left_rate: number | null;
  }>;
  position_bias: { left_rate: number | null; p_value: number | null; n: number };
  length_bias: { longer_rate: number | null; n: number };
  flags: { by_flag: Record<string, number>; by_model: Record<string, Record<string, number>> };
  progress: { done: number; leased: number; left: number; needed: number; per_reviewer: Array<{ username: string; done: number; leased: number; skipped: number }> };
  timeline: Array<{ day: string; judgments: number; agreement: number | null }>;
  timing: { sql_ms: number; math_ms: number };
}

const MIN_SHARED_FOR_COHEN = 10;
const BOOTSTRAP = { replicates: 500, seed: 20_241_201, level: 0.95 };
const SIGNED_CATEGORIES = [-3, -2, -1, 0, 1, 2, 3];

/** One vote: a reviewer's value on a unit, and the unit's item (its rowid). */
interface Vote {
  unit: string;
  reviewer: string;
  value: number;
  item: number;
}

/** A pairwise pair with strength > 0, for the position and length bias: its shown_chosen_first and the text lengths of its responses. */
interface PairFact {
  left: number | null;
  chosenLength: number;
  rejectedLength: number;
}

function sign(value: number): number {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

/**
 * The rows of `SELECT json_group_array(json_array(…)) …`: one row holding all rows as a JSON
 * array of arrays. better-sqlite3 turns each column of each row into a JS value by itself, which
 * for the 300,000 pairs or judgments of a large batch costs several times the query; JSON.parse
 * builds the same values in a fraction of that. Only integers, text and null go through here,
 * and those round-trip exactly.
 */
function jsonRows<T>(sql: string, ...params: unknown[]): T[] {
  const text = connection().sqlite.prepare(sql).pluck().get(...params) as string | null;
  return text === null ? [] : (JSON.parse(text) as T[]);
}

/**
 * Every vote (one per unit and reviewer, in the order of the pairs) and, for pairwise batches,
 * the pairs with strength > 0. A unit is `item:a:b` with the item's rowid and, for pairs, the
 * positions of the two responses in the item's response_ids text, earlier first; for ratings,
 * the response and the aspect.
 */
function valuesOf(batch: BatchRecord): { votes: Vote[]; facts: PairFact[] } {
  const { sqlite } = connection();
  if (batch.task === "rating") {
    const votes = sqlite
      .prepare<[string], Vote>(
        `SELECT i.rowid || ':' || s.key || ':' || a.key AS unit, j.reviewer_id AS reviewer, a.value AS value, i.rowid AS item
         FROM judgments j JOIN items i ON i.id = j.item_id, json_each(j.payload, '$.scores') s, json_each(s.value) a
         WHERE i.batch_id = ? AND i.is_gold = 0`,
      )
      .all(batch.id);
    return { votes, facts: [] };
  }
  // Every pair of the batch, in rowid order (the pairs index): the votes are the non-imported
  // pairs of non-gold items whose two responses the item lists, oriented in dataset order (value
  // > 0 when the earlier response of the item is preferred); the facts are the pairwise pairs
  // with strength > 0. A response's place in the dataset order is the position of its quoted id
  // in the item's response_ids: the ids are distinct, written by JSON.stringify and need no
  // escaping, so these positions order them as json_each's keys do.
  type PairRow = [pair: number, item: number | null, reviewer: string, strength: number, source: number, left: number | null, gold: number | null, chosenAt: number | null, rejectedAt: number | null];
  const rows = jsonRows<PairRow>(
    `SELECT json_group_array(json_array(pp.rowid, i.rowid, pp.reviewer_id, pp.strength, CASE pp.source WHEN 'pairwise' THEN 1 WHEN 'imported' THEN 2 ELSE 0 END,
              pp.shown_chosen_first, i.is_gold, instr(i.response_ids, json_quote(pp.chosen_id)), instr(i.response_ids, json_quote(pp.rejected_id))))
     FROM preference_pairs pp LEFT JOIN items i ON i.id = pp.item_id WHERE pp.batch_id = ?`,
    batch.id,
  );
  const votes: Vote[] = [];
  const facts: PairFact[] = [];
  // A pairwise pair is between its item's two responses (pairsOf), so its lengths are those of
  // the item's first and second response, the chosen one first when it comes first; any other
  // pair (its item elsewhere, not two responses, a length missing) is read by itself.
  const itemLengths = batch.task === "pairwise" ? pairwiseItemLengths(batch) : new Map<number, [number, number]>();
  const exceptions: number[] = [];
  for (const [pair, item, reviewer, strength, source, left, gold, chosenAt, rejectedAt] of rows) {
    const found = item !== null && chosenAt! > 0 && rejectedAt! > 0;
    if (batch.task === "pairwise" && source === 1 && strength > 0) {
      const lengths = found ? itemLengths.get(item) : undefined;
      if (lengths === undefined) exceptions.push(pair);
      else if (chosenAt === rejectedAt) facts.push({ left, chosenLength: 0, rejectedLength: 0 });
      else facts.push({ left, chosenLength: lengths[chosenAt! < rejectedAt! ? 0 : 1], rejectedLength: lengths[chosenAt! < rejectedAt! ? 1 : 0] });
    }
    if (source === 2 || gold !== 0 || !found) continue;
    const chosenFirst = chosenAt! < rejectedAt!;
    votes.push({
      unit: chosenFirst ? `${item}:${chosenAt}:${rejectedAt}` : `${item}:${rejectedAt}:${chosenAt}`,
      reviewer,
      value: chosenFirst ? strength : -strength,
      item: item!,
    });
  }
  if (exceptions.length > 0) {
    const exact = sqlite.prepare<[number], PairFact>(
      `SELECT pp.shown_chosen_first AS left, length(c.text) AS chosenLength, length(r.text) AS rejectedLength
       FROM preference_pairs pp JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id WHERE pp.rowid = ?`,
    );
    for (const pair of exceptions) {
      const fact = exact.get(pair);
      if (fact) facts.push(fact);
    }
  }
  if (batch.task === "ranking") {
    // A ranking gives no pair for two responses in one tier: that is a tie vote. The positions
    // of the item's responses are found as the pairs' are.
    const seen = new Set(votes.map((v) => `${v.unit}\u0000${v.reviewer}`));
    const judged = sqlite
      .prepare<[string], { item: number; reviewer_id: string; positions: string }>(
        `SELECT i.rowid AS item, j.reviewer_id,
                (SELECT json_group_array(instr(i.response_ids, json_quote(e.value))) FROM json_each(i.response_ids) e) AS positions
         FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND i.is_gold = 0`,
      )
      .all(batch.id);
    for (const j of judged) {
      const at = JSON.parse(j.positions) as number[];
      for (let x = 0; x < at.length; x++)
        for (let y = x + 1; y < at.length; y++) {
          const unit = `${j.item}:${at[x]}:${at[y]}`;
          if (!seen.has(`${unit}\u0000${j.reviewer_id}`)) votes.push({ unit, reviewer: j.reviewer_id, value: 0, item: j.item });
        }
    }
  }
  return { votes, facts };
}

/**
 * The text lengths of the first and second response of each item of the batch that has exactly
 * two, by item rowid: the lengths of the batch's prompts' responses read in one go.
 */
function pairwiseItemLengths(batch: BatchRecord): Map<number, [number, number]> {
  const lengths = new Map(
    jsonRows<[string, number]>(
      `SELECT json_group_array(json_array(r.id, length(r.text))) FROM responses r
       WHERE r.prompt_id IN (SELECT prompt_id FROM items WHERE batch_id = ?)`,
      batch.id,
    ),
  );
  const items = jsonRows<[number, string | null, string | null]>(
    `SELECT json_group_array(json_array(rowid, response_ids ->> '$[0]', response_ids ->> '$[1]'))
     FROM items WHERE batch_id = ? AND json_array_length(response_ids) = 2`,
    batch.id,
  );
  const out = new Map<number, [number, number]>();
  for (const [item, first, second] of items) {
    const a = first === null ? undefined : lengths.get(first);
    const b = second === null ? undefined : lengths.get(second);
    if (a !== undefined && b !== undefined) out.set(item, [a, b]);
  }
  return out;
}

/** A key equal for rows holding the same values (with repeats, in any order and columns); nulls are left out. */
function multisetKey(values: ReadonlyArray<number | null>): string {
  const present: number[] = [];
  for (const value of values) {
    if (value === null) continue;
    let i = present.length;
    while (i > 0 && present[i - 1]! > value) i--;
    present.splice(i, 0, value);
  }
  return present.join(",");
}

/** Ranks of each response (1 = best, ties get the average rank) from tiers. */
function ranksFromTiers(tiers: readonly string[][], order: readonly string[]): number[] {
  const rankOf = new Map<string, number>();
  let next = 1;
  for (const tier of tiers) {
    const average = next + (tier.length - 1) / 2;
    for (const id of tier) rankOf.set(id, average);
    next += tier.length;
  }
  return order.map((id) => rankOf.get(id) ?? next);
}

/** Mean Kendall's W over the items that at least two reviewers ranked. */
function meanKendallW(batch: BatchRecord): number | null {
  if (batch.task !== "ranking") return null;
  const rows = connection()
    .sqlite.prepare<[string], { item_id: string; payload: string; response_ids: string }>(
      "SELECT j.item_id, j.payload, i.response_ids FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND i.is_gold = 0 ORDER BY i.position",
    )
    .all(batch.id);
  const byItem = new Map<string, number[][]>();
  for (const row of rows) {
    const payload = JSON.parse(row.payload) as JudgmentPayload;
    if (payload.task !== "ranking") continue;
    const list = byItem.get(row.item_id) ?? [];
    list.push(ranksFromTiers(payload.tiers, JSON.parse(row.response_ids) as string[]));
    byItem.set(row.item_id, list);
  }
  const values = [...byItem.values()].filter((r) => r.length >= 2).map((r) => kendallW(r)).filter((w): w is number => w !== null);
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
}

export function batchStats(batchId: string): BatchStats {
  const batch = getBatch(batchId);
  const { sqlite } = connection();
  const pairwise = batch.task === "pairwise";
  const ratingTask = batch.task === "rating";
  const t0 = performance.now();
  const { votes, facts } = valuesOf(batch);
  const users = sqlite
    .prepare<[string], { id: string; username: string }>(
      `SELECT u.id, u.username FROM users u
       WHERE EXISTS (SELECT 1 FROM judgments j JOIN items i ON i.id = j.item_id WHERE j.reviewer_id = u.id AND i.batch_id = ?)
       ORDER BY u.username`,
    )
    .all(batch.id);
  const counts = sqlite
    .prepare<{ batch: string; now: number }, { items: number; judgments: number; leased: number; needed: number }>(
      `SELECT count(*) AS items, coalesce(sum(submitted), 0) AS judgments,
              (SELECT count(*) FROM assignments WHERE batch_id = @batch AND status = 'leased' AND lease_expires_at > @now) AS leased,
              count(*) * (SELECT overlap FROM batches WHERE id = @batch) AS needed
       FROM items WHERE batch_id = @batch`,
    )
    .get({ batch: batch.id, now: Date.now() })!;
  // One row per judgment: its item (rowid), reviewer, duration, creation time (ms; as the day
  // when it is not an integer), its flags as [flag, response], and in pairwise batches
  // [shown_chosen_first] of its first pair with strength > 0, or null for a tie (no such pair).
  type JudgmentRow = [item: number, reviewer: string, durationMs: number | null, created: number | string, flags: Array<[string, string]>, decided: [number | null] | null];
  const perJudgment = jsonRows<JudgmentRow>(
    `SELECT json_group_array(json_array(i.rowid, j.reviewer_id, j.duration_ms,
              CASE WHEN typeof(j.created_at) = 'integer' THEN j.created_at ELSE strftime('%Y-%m-%d', j.created_at / 1000, 'unixepoch') END,
              CASE WHEN EXISTS (SELECT 1 FROM judgment_flags f WHERE f.judgment_id = j.id)
                THEN json((SELECT json_group_array(json_array(f.flag, f.response_id)) FROM judgment_flags f WHERE f.judgment_id = j.id)) ELSE json('[]') END,
              ${pairwise ? "json((SELECT json_array(pp.shown_chosen_first) FROM preference_pairs pp WHERE pp.judgment_id = j.id AND pp.strength > 0 LIMIT 1))" : "NULL"}))
     FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ?`,
    batch.id,
  );
  // The day of each judgment, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'): the date of
  // whole second ⌊created_at / 1000⌋ (truncated, as SQLite divides integers), found per distinct day.
  const dayIndex = (ms: number) => Math.floor(Math.trunc(ms / 1000) / 86_400);
  const dayNumbers = new Set<number>();
  for (const row of perJudgment) if (typeof row[3] === "number") dayNumbers.add(dayIndex(row[3]));
  const dayNames = new Map(
    sqlite
      .prepare<[string], [number, string | null]>("SELECT value, strftime('%Y-%m-%d', value * 86400, 'unixepoch') FROM json_each(?)")
      .raw()
      .all(JSON.stringify([...dayNumbers])),
  );
  const gold = sqlite
    .prepare<[string], { reviewer_id: string; gold_answer: string | null; payload: string }>(
      "SELECT j.reviewer_id, i.gold_answer, j.payload FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND i.is_gold = 1",
    )
    .all(batch.id);
  // The flags of the batch's judgments by flag and by the flagged response's model.
  const flagged = perJudgment.flatMap((row) => row[4]);
  const flagRows = sqlite
    .prepare<[string], { flag: string; model: string; n: number }>(
      `SELECT f.value ->> 0 AS flag, r.model, count(*) AS n FROM json_each(?) f JOIN responses r ON r.id = f.value ->> 1
       GROUP BY flag, r.model ORDER BY flag, r.model`,
    )
    .all(JSON.stringify(flagged));
  // Counted in the (reviewer, batch, status) index; only leased assignments need their row.
  const perReviewerProgress = sqlite
    .prepare<{ batch: string; now: number }, { username: string; done: number; leased: number; skipped: number }>(
      `SELECT u.username,
              (SELECT count(*) FROM assignments a WHERE a.reviewer_id = br.user_id AND a.batch_id = br.batch_id AND a.status = 'submitted') AS done,
              (SELECT count(*) FROM assignments a WHERE a.reviewer_id = br.user_id AND a.batch_id = br.batch_id AND a.status = 'leased' AND a.lease_expires_at > @now) AS leased,
              (SELECT count(*) FROM assignments a WHERE a.reviewer_id = br.user_id AND a.batch_id = br.batch_id AND a.status = 'skipped') AS skipped
       FROM batch_reviewers br JOIN users u ON u.id = br.user_id
       WHERE br.batch_id = @batch ORDER BY u.username`,
    )
    .all({ batch: batch.id, now: Date.now() });
  const t1 = performance.now();

  const reviewerIds = users.map((u) => u.id);
  const nameOf = new Map(users.map((u) => [u.id, u.username]));
  const column = new Map(reviewerIds.map((r, i) => [r, i]));

  // The units in order of their first vote: each one's ratings by reviewer (a reviewer's last
  // vote, null where none), the signs of all its votes, and its item.
  const unitIndex = new Map<string, number>();
  const signed: Array<Array<number | null>> = [];
  const signUnits: number[][] = [];
  const unitItem: number[] = [];
  for (const v of votes) {
    let u = unitIndex.get(v.unit);
    if (u === undefined) {
      u = signed.length;
      unitIndex.set(v.unit, u);
      signed.push(new Array<number | null>(reviewerIds.length).fill(null));
      signUnits.push([]);
      unitItem.push(v.item);
    }
    signed[u]![column.get(v.reviewer)!] = v.value;
    signUnits[u]!.push(sign(v.value));
  }
  const units = signed.length;
  const direction = signed.map((row) => row.map((v) => (v === null ? null : sign(v))));

  // Alpha, Fleiss' counts and percent agreement of a unit depend only on which values its rows
  // hold, so units with the same values are computed once, as one group with a representative;
  // the bootstrap then resamples groups (see bootstrapIntervalsResult).
  const groupIndex = new Map<string, number>();
  const groupOf = new Int32Array(units);
  const representatives: number[] = [];
  for (let u = 0; u < units; u++) {
    const key = `${multisetKey(signed[u]!)}|${multisetKey(signUnits[u]!)}`;
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = representatives.length;
      groupIndex.set(key, g);
      representatives.push(u);
    }
    groupOf[u] = g;
  }
  const groups = representatives.length;
  const groupSizes = new Int32Array(groups);
  for (let u = 0; u < units; u++) groupSizes[groupOf[u]!]! += 1;
  // Every unit once, in order: the resample that is the data itself.
  const everyUnit = { indices: groupOf, counts: groupSizes };
  const signedReps = representatives.map((u) => signed[u]!);
  const signReps = representatives.map((u) => signUnits[u]!);
  const alphaOf = (metric: "nominal" | "ordinal" | "interval") => krippendorffAlphaResampler(signedReps, metric);
  const alphaInterval = alphaOf("interval");
  const alphaNominal = alphaOf("nominal");
  const agreementWith = percentAgreementResampler(signReps, { ties: "with" });
  const agreementWithout = percentAgreementResampler(signReps, { ties: "without" });

  // Fleiss' kappa over the signed values (or the scores), when every unit has the same number of ratings.
  const categories = ratingTask ? [...new Set(votes.map((v) => v.value))].sort((a, b) => a - b) : SIGNED_CATEGORIES;
  const categoryIndex = new Map(categories.map((c, i) => [c, i]));
  const groupFleiss = signedReps.map((row) => {
    // counts[i] = the ratings === categories[i] (categories are distinct; NaN equals none).
    const counts = new Array<number>(categories.length).fill(0);
    for (const v of row) {
      if (v === null || Number.isNaN(v)) continue;
      const i = categoryIndex.get(v);
      if (i !== undefined) counts[i]! += 1;
    }
    return counts;
  });
  const fleissCounts = Array.from(groupOf, (g) => groupFleiss[g]!);
  const fleissReason = votes.length === 0 ? "no judgments" : fleissKappaUndefinedReason(fleissCounts);

  // Every reviewer pair's shared units in one pass over the rows: shared[a][b] holds a's and b's values, in row order.
  const shared = reviewerIds.map(() => reviewerIds.map(() => ({ x: [] as number[], y: [] as number[] })));
  const present: number[] = [];
  for (const row of signed) {
    present.length = 0;
    for (let c = 0; c < reviewerIds.length; c++) if (row[c] !== null && row[c] !== undefined) present.push(c);
    for (let i = 0; i < present.length; i++) {
      for (let j = i + 1; j < present.length; j++) {
        const pair = shared[present[i]!]![present[j]!]!;
        pair.x.push(row[present[i]!]!);
        pair.y.push(row[present[j]!]!);
      }
    }
  }
  const cohen: BatchStats["cohen_kappa"] = [];
  for (let a = 0; a < reviewerIds.length; a++) {
    for (let b = a + 1; b < reviewerIds.length; b++) {
      const { x, y } = shared[a]![b]!;
      if (x.length < MIN_SHARED_FOR_COHEN) continue;
      cohen.push({
        reviewers: [nameOf.get(reviewerIds[a]!)!, nameOf.get(reviewerIds[b]!)!],
        n: x.length,
        unweighted: cohenKappa(x, y, "unweighted", categories),
        linear: cohenKappa(x, y, "linear", categories),
        quadratic: cohenKappa(x, y, "quadratic", categories),
      });
    }
  }

  // Per reviewer: judgments, durations, flags, ties and sides; per day: judgments; per item: its last day.
  const mine = new Map(reviewerIds.map((id) => [id, { judgments: 0, durations: [] as number[], flagged: 0, ties: 0, decided: 0, left: 0 }]));
  const dayOfItem = new Map<number, string>();
  const timeline = new Map<string, { judgments: number; counts: Int32Array }>();
  for (const [item, reviewer, durationMs, created, flags, decided] of perJudgment) {
    const day = (typeof created === "number" ? dayNames.get(dayIndex(created)) : created)!;
    let entry = mine.get(reviewer);
    if (!entry) mine.set(reviewer, (entry = { judgments: 0, durations: [], flagged: 0, ties: 0, decided: 0, left: 0 }));
    entry.judgments++;
    if (durationMs !== null) entry.durations.push(durationMs / 1000);
    if (flags.length > 0) entry.flagged++;
    if (decided === null) entry.ties++;
    else if (decided[0] !== null) {
      entry.decided++;
      if (decided[0] === 1) entry.left++;
    }
    const seen = dayOfItem.get(item);
    if (!seen || day > seen) dayOfItem.set(item, day);
    const onDay = timeline.get(day);
    if (onDay) onDay.judgments++;
    else timeline.set(day, { judgments: 1, counts: new Int32Array(groups) });
  }
  // Agreement over time: direction agreement of the units first completed on each day.
  for (let u = 0; u < units; u++) {
    const day = dayOfItem.get(unitItem[u]!);
    const onDay = day ? timeline.get(day) : undefined;
    if (onDay) onDay.counts[groupOf[u]!]! += 1;
  }
  const goldOf = new Map<string, Array<{ given: number; gold: number }>>();
  for (const j of gold) {
    if (!j.gold_answer) continue;
    const answer = JSON.parse(j.gold_answer) as { value?: number };
    const payload = JSON.parse(j.payload) as JudgmentPayload;
    if (typeof answer.value !== "number" || payload.task !== "pairwise") continue;
    const list = goldOf.get(j.reviewer_id) ?? [];
    list.push({ given: payload.preferred === "tie" ? 0 : 1, gold: answer.value });
    goldOf.set(j.reviewer_id, list);
  }
  const majority = agreementWithMajorityByColumn(ratingTask ? signed : direction, reviewerIds.length);
  const perReviewer = users.map((u, c) => {
    const own = mine.get(u.id)!;
    return {
      username: u.username,
      judgments: own.judgments,
      agreement_with_majority: majority[c] ?? null,
      gold_accuracy: goldAccuracy(goldOf.get(u.id) ?? []),
      median_seconds: median(own.durations),
      tie_rate: pairwise ? rate(own.ties, own.judgments) : null,
      flag_rate: rate(own.flagged, own.judgments),
      left_rate: pairwise ? rate(own.left, own.decided) : null,
    };
  });

  const byFlag: Record<string, number> = {};
  const byModel: Record<string, Record<string, number>> = {};
  for (const row of flagRows) {
    byFlag[row.flag] = (byFlag[row.flag] ?? 0) + row.n;
    (byModel[row.model] ??= {})[row.flag] = row.n;
  }

  // The four intervals resample the same units with the same seed, so they share one set of
  // replicates; each statistic sums its groups' precomputed contributions, exactly as
  // recomputing it on the resampled rows would.
  const [alphaIntervalCi, alphaNominalCi, agreementWithCi, agreementWithoutCi] = bootstrapIntervals(
    units,
    [alphaInterval, alphaNominal, ...(ratingTask ? [] : [agreementWith, agreementWithout])],
    { ...BOOTSTRAP, groupOf, groups },
  );

  const stats: BatchStats = {
    batch: { id: batch.id, name: batch.name, task: batch.task, overlap: batch.overlap },
    items: counts.items,
    judgments: perJudgment.length,
    reviewers: users.length,
    percent_agreement: {
      with_ties: ratingTask ? null : agreementWith(everyUnit),
      without_ties: ratingTask ? null : agreementWithout(everyUnit),
    },
    krippendorff_alpha: {
      nominal: alphaNominal(everyUnit),
      ordinal: alphaOf("ordinal")(everyUnit),
      interval: alphaInterval(everyUnit),
      direction: ratingTask ? null : krippendorffAlphaResampler(representatives.map((u) => direction[u]!), "nominal")(everyUnit),
    },
    fleiss_kappa: fleissReason ? null : fleissKappa(fleissCounts),
    fleiss_kappa_reason: fleissReason,
    cohen_kappa: cohen,
    kendall_w: meanKendallW(batch),
    intervals: {
      level: BOOTSTRAP.level,
      krippendorff_alpha_interval: alphaIntervalCi ?? null,
      krippendorff_alpha_nominal: alphaNominalCi ?? null,
      percent_agreement_with_ties: ratingTask ? null : (agreementWithCi ?? null),
      percent_agreement_without_ties: ratingTask ? null : (agreementWithoutCi ?? null),
    },
    per_reviewer: perReviewer,
    position_bias: positionBias(facts.map((p) => ({ leftPreferred: p.left === 1 }))),
    length_bias: lengthBias(facts),
    flags: { by_flag: byFlag, by_model: byModel },
    progress: {
      done: counts.judgments,
      leased: counts.leased,
      left: Math.max(0, counts.needed - counts.judgments - counts.leased),
      needed: counts.needed,
      per_reviewer: perReviewerProgress.map((p) => ({ username: p.username, done: p.done ?? 0, leased: p.leased ?? 0, skipped: p.skipped ?? 0 })),
    },
    timeline: [...timeline.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([day, entry]) => ({ day, judgments: entry.judgments, agreement: ratingTask ? null : agreementWith({ counts: entry.counts }) })),
    timing: { sql_ms: 0, math_ms: 0 },
  };
  stats.timing = { sql_ms: Math.round(t1 - t0), math_ms: Math.round(performance.now() - t1) };
  return stats;
}

export interface Leaderboard {
  scope: { batch?: string; dataset?: string };
  models: Array<{ model: string; rating: number; ci: [number, number] | null; battles: number; wins: number; ties: number; losses: number }>;
  win_rates: Record<string, Record<string, number | null>>;
}

/** Bradley–Terry ratings of the models from a batch's pairs, or from every batch of a dataset. */
export function leaderboard(scope: { batchId?: string; dataset?: string }): Leaderboard {
  const { sqlite } = connection();
  let where: string;
  let param: string;
  if (scope.batchId) {
    getBatch(scope.batchId);
    where = "pp.batch_id = ?";
    param = scope.batchId;
  } else if (scope.dataset) {
    const dataset = sqlite.prepare<[string, string], { id: string }>("SELECT id FROM datasets WHERE name = ? OR id = ?").get(scope.dataset, scope.dataset);
    if (!dataset) throw new ServiceError("not_found", `no dataset "${scope.dataset}"`);
    where = "pp.batch_id IN (SELECT id FROM batches WHERE dataset_id = ?)";
    param = dataset.id;
  } else throw new ServiceError("invalid", "give a batch or a dataset");
  const rows = sqlite
    .prepare<[string], { chosen: string; rejected: string; strength: number }>(
      `SELECT c.model AS chosen, r.model AS rejected, pp.strength FROM preference_pairs pp
       JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id
       WHERE ${where} AND pp.source != 'imported' AND c.model != r.model ORDER BY pp.rowid`,
    )
    .all(param);
  const battles: Battle[] = rows.map((r) => ({ a: r.chosen, b: r.rejected, winner: r.strength === 0 ? "tie" : "a" }));
  const fit = bradleyTerry(battles);
  const intervals = battles.length ? bootstrapRatings(battles, { replicates: 200, seed: BOOTSTRAP.seed, level: BOOTSTRAP.level }) : {};
  const table = winRates(battles);
  const models = Object.entries(fit?.ratings ?? {})
    .map(([model, rating]) => ({
      model,
      rating: Math.round(rating * 10) / 10,
      ci: intervals[model] ? ([Math.round(intervals[model]![0] * 10) / 10, Math.round(intervals[model]![1] * 10) / 10] as [number, number]) : null,
      ...(table.battles[model] ?? { battles: 0, wins: 0, ties: 0, losses: 0 }),
    }))
    .sort((a, b) => b.rating - a.rating);
  return { scope: { ...(scope.batchId ? { batch: scope.batchId } : {}), ...(scope.dataset ? { dataset: scope.dataset } : {}) }, models, win_rates: table.matrix };
}
