import {
  bootstrapIntervals,
  cohenKappa,
  fleissKappa,
  fleissKappaUndefinedReason,
  kendallW,
  krippendorffAlpha,
  krippendorffAlphaResampler,
  percentAgreement,
  percentAgreementResampler,
  type Ratings,
} from "../core/agreement";
import { agreementWithMajorityByRater, goldAccuracy, median, rate } from "../core/agreement/reviewers";
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

interface Vote {
  unit: string;
  reviewer: string;
  value: number;
}

function sign(value: number): number {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

/** units × reviewers matrix with nulls for missing ratings. */
function matrix(votes: readonly Vote[], reviewers: readonly string[], transform: (v: number) => number = (v) => v): { ratings: Ratings; units: string[] } {
  const column = new Map(reviewers.map((r, i) => [r, i]));
  const rows = new Map<string, Array<number | null>>();
  for (const vote of votes) {
    let row = rows.get(vote.unit);
    if (!row) rows.set(vote.unit, (row = new Array<number | null>(reviewers.length).fill(null)));
    row[column.get(vote.reviewer)!] = transform(vote.value);
  }
  return { ratings: [...rows.values()], units: [...rows.keys()] };
}

function valuesOf(batch: BatchRecord): Vote[] {
  const { sqlite } = connection();
  if (batch.task === "rating") {
    return sqlite
      .prepare<[string], Vote>(
        `SELECT j.item_id || ':' || s.key || ':' || a.key AS unit, j.reviewer_id AS reviewer, a.value AS value
         FROM judgments j JOIN items i ON i.id = j.item_id, json_each(j.payload, '$.scores') s, json_each(s.value) a
         WHERE i.batch_id = ? AND i.is_gold = 0`,
      )
      .all(batch.id);
  }
  const rows = sqlite
    .prepare<[string], { item_id: string; reviewer: string; a: string; b: string; value: number }>(
      // Oriented in dataset order: value > 0 when the earlier response of the item is preferred.
      `SELECT pp.item_id, pp.reviewer_id AS reviewer,
              CASE WHEN ia.key < ib.key THEN pp.chosen_id ELSE pp.rejected_id END AS a,
              CASE WHEN ia.key < ib.key THEN pp.rejected_id ELSE pp.chosen_id END AS b,
              CASE WHEN ia.key < ib.key THEN pp.strength ELSE -pp.strength END AS value
       FROM preference_pairs pp JOIN items i ON i.id = pp.item_id
       JOIN json_each(i.response_ids) ia ON ia.value = pp.chosen_id
       JOIN json_each(i.response_ids) ib ON ib.value = pp.rejected_id
       WHERE pp.batch_id = ? AND pp.source != 'imported' AND i.is_gold = 0`,
    )
    .all(batch.id);
  const votes = rows.map((r) => ({ unit: `${r.item_id}:${r.a}:${r.b}`, reviewer: r.reviewer, value: r.value }));
  if (batch.task === "ranking") {
    // A ranking gives no pair for two responses in one tier: that is a tie vote.
    const seen = new Set(votes.map((v) => `${v.unit}\u0000${v.reviewer}`));
    const judged = sqlite
      .prepare<[string], { item_id: string; reviewer_id: string; response_ids: string }>(
        "SELECT j.item_id, j.reviewer_id, i.response_ids FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND i.is_gold = 0",
      )
      .all(batch.id);
    for (const j of judged) {
      const ids = JSON.parse(j.response_ids) as string[];
      for (let x = 0; x < ids.length; x++)
        for (let y = x + 1; y < ids.length; y++) {
          const unit = `${j.item_id}:${ids[x]}:${ids[y]}`;
          if (!seen.has(`${unit}\u0000${j.reviewer_id}`)) votes.push({ unit, reviewer: j.reviewer_id, value: 0 });
        }
    }
  }
  return votes;
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
  const t0 = performance.now();
  const votes = valuesOf(batch);
  const users = sqlite
    .prepare<[string], { id: string; username: string }>(
      "SELECT DISTINCT u.id, u.username FROM judgments j JOIN items i ON i.id = j.item_id JOIN users u ON u.id = j.reviewer_id WHERE i.batch_id = ? ORDER BY u.username",
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
  const perJudgment = sqlite
    .prepare<[string], { reviewer_id: string; duration_ms: number | null; flagged: number; tie: number; left: number | null; is_gold: number; gold_answer: string | null; payload: string; day: string; item_id: string }>(
      `SELECT j.reviewer_id, j.duration_ms, j.item_id,
              EXISTS (SELECT 1 FROM judgment_flags f WHERE f.judgment_id = j.id) AS flagged,
              NOT EXISTS (SELECT 1 FROM preference_pairs pp WHERE pp.judgment_id = j.id AND pp.strength > 0) AS tie,
              (SELECT pp.shown_chosen_first FROM preference_pairs pp WHERE pp.judgment_id = j.id AND pp.strength > 0 LIMIT 1) AS left,
              i.is_gold, i.gold_answer, CASE WHEN i.is_gold = 1 THEN j.payload ELSE NULL END AS payload,
              strftime('%Y-%m-%d', j.created_at / 1000, 'unixepoch') AS day
       FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ?`,
    )
    .all(batch.id);
  const pairFacts =
    batch.task === "pairwise"
      ? sqlite
          .prepare<[string], { left: number; chosen_len: number; rejected_len: number }>(
            `SELECT pp.shown_chosen_first AS left, length(c.text) AS chosen_len, length(r.text) AS rejected_len
             FROM preference_pairs pp JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id
             WHERE pp.batch_id = ? AND pp.source = 'pairwise' AND pp.strength > 0`,
          )
          .all(batch.id)
      : [];
  const flagRows = sqlite
    .prepare<[string], { flag: string; model: string; n: number }>(
      `SELECT f.flag, r.model, count(*) AS n FROM judgment_flags f JOIN judgments j ON j.id = f.judgment_id JOIN items i ON i.id = j.item_id
       JOIN responses r ON r.id = f.response_id WHERE i.batch_id = ? GROUP BY f.flag, r.model ORDER BY f.flag, r.model`,
    )
    .all(batch.id);
  const perReviewerProgress = sqlite
    .prepare<{ batch: string; now: number }, { username: string; done: number; leased: number; skipped: number }>(
      `SELECT u.username,
              sum(a.status = 'submitted') AS done,
              sum(a.status = 'leased' AND a.lease_expires_at > @now) AS leased,
              sum(a.status = 'skipped') AS skipped
       FROM batch_reviewers br JOIN users u ON u.id = br.user_id
       LEFT JOIN assignments a ON a.reviewer_id = br.user_id AND a.batch_id = br.batch_id
       WHERE br.batch_id = @batch GROUP BY u.username ORDER BY u.username`,
    )
    .all({ batch: batch.id, now: Date.now() });
  const t1 = performance.now();

  const reviewerIds = users.map((u) => u.id);
  const nameOf = new Map(users.map((u) => [u.id, u.username]));
  const signed = matrix(votes, reviewerIds);
  const direction = matrix(votes, reviewerIds, sign);
  // The signs of each unit's votes, units in the order of `signed`'s rows (first vote first).
  const byUnit = new Map<string, number[]>();
  for (const v of votes) {
    const values = byUnit.get(v.unit);
    if (values) values.push(sign(v.value));
    else byUnit.set(v.unit, [sign(v.value)]);
  }
  const signUnits = [...byUnit.values()];
  const ratingTask = batch.task === "rating";

  const alphaOf = (ratings: Ratings, metric: "nominal" | "ordinal" | "interval") => krippendorffAlpha(ratings, metric);

  // Fleiss' kappa over the signed values (or the scores), when every unit has the same number of ratings.
  const categories = ratingTask ? [...new Set(votes.map((v) => v.value))].sort((a, b) => a - b) : SIGNED_CATEGORIES;
  const categoryIndex = new Map(categories.map((c, i) => [c, i]));
  const fleissCounts = signed.ratings.map((row) => {
    // counts[i] = the ratings === categories[i] (categories are distinct; NaN equals none).
    const counts = new Array<number>(categories.length).fill(0);
    for (const v of row) {
      if (v === null || Number.isNaN(v)) continue;
      const i = categoryIndex.get(v);
      if (i !== undefined) counts[i]! += 1;
    }
    return counts;
  });
  const fleissReason = votes.length === 0 ? "no judgments" : fleissKappaUndefinedReason(fleissCounts);

  // Every reviewer pair's shared units in one pass over the rows: shared[a][b] holds a's and b's values, in row order.
  const shared = reviewerIds.map(() => reviewerIds.map(() => ({ x: [] as number[], y: [] as number[] })));
  const present: number[] = [];
  for (const row of signed.ratings) {
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

  const judgmentsOf = new Map<string, typeof perJudgment>();
  for (const j of perJudgment) {
    const list = judgmentsOf.get(j.reviewer_id);
    if (list) list.push(j);
    else judgmentsOf.set(j.reviewer_id, [j]);
  }
  const withMajority = agreementWithMajorityByRater(
    votes.map((v) => ({ unit: v.unit, rater: v.reviewer, value: ratingTask ? v.value : sign(v.value) })),
  );
  const perReviewer = users.map((u) => {
    const mine = judgmentsOf.get(u.id) ?? [];
    const durations = mine.flatMap((j) => (j.duration_ms === null ? [] : [j.duration_ms / 1000]));
    const decided = mine.filter((j) => j.left !== null);
    const gold = mine.flatMap((j) => {
      if (!j.is_gold || !j.gold_answer || !j.payload) return [];
      const answer = JSON.parse(j.gold_answer) as { value?: number };
      const payload = JSON.parse(j.payload) as JudgmentPayload;
      if (typeof answer.value !== "number" || payload.task !== "pairwise") return [];
      return [{ given: payload.preferred === "tie" ? 0 : 1, gold: answer.value }];
    });
    return {
      username: u.username,
      judgments: mine.length,
      agreement_with_majority: withMajority.get(u.id) ?? null,
      gold_accuracy: goldAccuracy(gold),
      median_seconds: median(durations),
      tie_rate: batch.task === "pairwise" ? rate(mine.filter((j) => j.tie).length, mine.length) : null,
      flag_rate: rate(mine.filter((j) => j.flagged).length, mine.length),
      left_rate: batch.task === "pairwise" ? rate(decided.filter((j) => j.left === 1).length, decided.length) : null,
    };
  });

  const byFlag: Record<string, number> = {};
  const byModel: Record<string, Record<string, number>> = {};
  for (const row of flagRows) {
    byFlag[row.flag] = (byFlag[row.flag] ?? 0) + row.n;
    (byModel[row.model] ??= {})[row.flag] = row.n;
  }

  // Agreement over time: direction agreement of the units first completed on each day.
  const dayOfItem = new Map<string, string>();
  for (const j of perJudgment) {
    const seen = dayOfItem.get(j.item_id);
    if (!seen || j.day > seen) dayOfItem.set(j.item_id, j.day);
  }
  const timeline = new Map<string, { judgments: number; units: number[][] }>();
  for (const j of perJudgment) {
    const entry = timeline.get(j.day) ?? { judgments: 0, units: [] };
    entry.judgments++;
    timeline.set(j.day, entry);
  }
  for (const [unit, values] of byUnit) {
    const day = dayOfItem.get(unit.split(":")[0]!);
    if (day) timeline.get(day)?.units.push(values);
  }

  // The four intervals resample the same units (signed's rows and signUnits are the same units, in the
  // same order) with the same seed, so they share one set of replicates; each statistic sums
  // precomputed per-unit contributions, exactly as recomputing it on the resampled rows would.
  const [alphaInterval, alphaNominal, agreementWith, agreementWithout] = bootstrapIntervals(
    signed.ratings.length,
    [
      krippendorffAlphaResampler(signed.ratings, "interval"),
      krippendorffAlphaResampler(signed.ratings, "nominal"),
      ...(ratingTask ? [] : [percentAgreementResampler(signUnits, { ties: "with" }), percentAgreementResampler(signUnits, { ties: "without" })]),
    ],
    BOOTSTRAP,
  );

  const stats: BatchStats = {
    batch: { id: batch.id, name: batch.name, task: batch.task, overlap: batch.overlap },
    items: counts.items,
    judgments: perJudgment.length,
    reviewers: users.length,
    percent_agreement: {
      with_ties: ratingTask ? null : percentAgreement(signUnits, { ties: "with" }),
      without_ties: ratingTask ? null : percentAgreement(signUnits, { ties: "without" }),
    },
    krippendorff_alpha: {
      nominal: alphaOf(signed.ratings, "nominal"),
      ordinal: alphaOf(signed.ratings, "ordinal"),
      interval: alphaOf(signed.ratings, "interval"),
      direction: ratingTask ? null : alphaOf(direction.ratings, "nominal"),
    },
    fleiss_kappa: fleissReason ? null : fleissKappa(fleissCounts),
    fleiss_kappa_reason: fleissReason,
    cohen_kappa: cohen,
    kendall_w: meanKendallW(batch),
    intervals: {
      level: BOOTSTRAP.level,
      krippendorff_alpha_interval: alphaInterval ?? null,
      krippendorff_alpha_nominal: alphaNominal ?? null,
      percent_agreement_with_ties: ratingTask ? null : (agreementWith ?? null),
      percent_agreement_without_ties: ratingTask ? null : (agreementWithout ?? null),
    },
    per_reviewer: perReviewer,
    position_bias: positionBias(pairFacts.map((p) => ({ leftPreferred: p.left === 1 }))),
    length_bias: lengthBias(pairFacts.map((p) => ({ chosenLength: p.chosen_len, rejectedLength: p.rejected_len }))),
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
      .map(([day, entry]) => ({ day, judgments: entry.judgments, agreement: ratingTask ? null : percentAgreement(entry.units, { ties: "with" }) })),
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
