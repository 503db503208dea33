import { judgeReports, type JudgeReport } from "./judge.server";
import { goldStanding } from "../core/quality/gold";
import { scoreGold } from "./gold.server";
import {
  bootstrapIntervalsResult,
  cohenKappaResult,
  fleissKappaResult,
  kendallWResult,
  krippendorffAlphaResampler,
  krippendorffAlphaResult,
  percentAgreementResampler,
  percentAgreementResult,
  type Ratings,
} from "../core/agreement";
import { agreementWithMajority, agreementWithMajorityByColumn, median, rate } from "../core/agreement/reviewers";
import { binomialTwoSidedP, firstShownTopBias, lengthBiasFromCounts, positionBiasFromCounts } from "../core/ranking/bias";
import { bootstrapRatings, bradleyTerry, winRates, type Battle, type FitMethod } from "../core/ranking/bradley-terry";
import type { JudgmentPayload } from "../core/tasks/judgment";
import { costFrontier, usdPer1kResponses } from "../core/cost/price";
import { getBatch, itemsNeedingReviewer, type BatchRecord } from "./batches.server";
import { priceTable } from "./models.server";
import { connection } from "./database.server";
import { ServiceError } from "./errors.server";
import { batchSelfAgreement } from "./self-consistency.server";

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
/** Cohen's kappa of two reviewers over the units both rated; `reasons` says why a null kappa is null. */
export interface CohenRow {
  reviewers: [string, string];
  n: number;
  unweighted: number | null;
  linear: number | null;
  quadratic: number | null;
  reasons: Record<string, string>;
}

/** The agreement on one aspect of a rating batch's rubric, over its units (item, response). */
export interface AspectAgreement {
  aspect: string;
  label: string;
  min: number;
  max: number;
  /** Units (item × response) with at least one score on this aspect. */
  units: number;
  krippendorff_alpha: { nominal: number | null; ordinal: number | null; interval: number | null };
  fleiss_kappa: number | null;
  /** Every reviewer pair sharing at least 10 units, over the aspect's whole min..max scale. */
  cohen_kappa: CohenRow[];
  reasons: Record<string, string>;
}

export interface BatchStats {
  batch: { id: string; name: string; task: string; overlap: number };
  items: number;
  judgments: number;
  reviewers: number;
  percent_agreement: { with_ties: number | null; without_ties: number | null };
  krippendorff_alpha: { nominal: number | null; ordinal: number | null; interval: number | null; direction: number | null };
  fleiss_kappa: number | null;
  fleiss_kappa_reason: string | null;
  /** Fleiss' kappa over the direction only (the sign: first better, tie, second better); pairwise and ranking. */
  fleiss_kappa_direction: number | null;
  cohen_kappa: CohenRow[];
  kendall_w: number | null;
  /** Rating batches: α, Fleiss' and Cohen's κ of each rubric aspect on its own; empty otherwise. */
  per_aspect: AspectAgreement[];
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
    /** Two-sided binomial test of left_rate = 0.5 over this reviewer's decided judgments. */
    left_p_value: number | null;
    /** Ranking: how often this reviewer put the first-shown response in the top tier, chance, and the test. */
    first_top_rate: number | null;
    first_top_chance: number | null;
    first_top_p_value: number | null;
    /** Self-consistency: this reviewer's answered repeats and how many agreed with their first judgment (selfAgrees). */
    self_agreement: { agreed: number; repeated: number; rate: number | null };
    reasons: Record<string, string>;
  }>;
  /** Self-consistency over the whole batch: every answered repeat against its reviewer's first judgment. */
  self_agreement: { agreed: number; repeated: number; rate: number | null };
  position_bias: { left_rate: number | null; p_value: number | null; n: number };
  /** Ranking batches: the first-shown response's top-tier rate against chance (see firstShownTopBias). */
  first_shown_top: { rate: number | null; chance_rate: number | null; p_value: number | null; n: number };
  length_bias: { longer_rate: number | null; n: number };
  flags: { by_flag: Record<string, number>; by_model: Record<string, Record<string, number>> };
  /**
   * Judgments done, leased and left of those needed; `needs_reviewer` counts open items that no
   * reviewer of the batch is left to take (each has judged, skipped or holds it): they wait for
   * an admin to add reviewers.
   */
  progress: { done: number; leased: number; left: number; needed: number; needs_reviewer: number; per_reviewer: Array<{ username: string; done: number; leased: number; skipped: number }> };
  timeline: Array<{ day: string; judgments: number; agreement: number | null; reasons: Record<string, string> }>;
  /**
   * Why each null figure is null, by its path (`"krippendorff_alpha.direction"`,
   * `"intervals.percent_agreement_with_ties"`…); rows of per_reviewer, cohen_kappa, per_aspect
   * and timeline carry their own `reasons`.
   */
  reasons: Record<string, string>;
  timing: { sql_ms: number; math_ms: number };
  /**
   * Each LLM-judge run of the batch (issue 13), newest first: its agreement with the reviewers
   * beside theirs with each other, swap consistency, flag rates, triage and cost. Judges never
   * enter the figures above.
   */
  judges: JudgeReport[];
}

const MIN_SHARED_FOR_COHEN = 10;
const BOOTSTRAP = { replicates: 500, seed: 20_241_201, level: 0.95 };
const SIGNED_CATEGORIES = [-3, -2, -1, 0, 1, 2, 3];

/** The votes, one per unit and reviewer (a column each): the unit, the reviewer, the value and the unit's item (its rowid). */
interface Votes {
  unit: Array<string | number>;
  reviewer: string[];
  value: number[];
  item: number[];
  /** Rating batches: the rubric aspect of each vote. */
  aspect: string[];
}

/**
 * The pairwise pairs with strength > 0, counted for the position and length bias: all of them
 * and those whose left (first shown) response was chosen; those whose responses differ in
 * length and those whose chosen response is the longer.
 */
interface PairFacts {
  n: number;
  left: number;
  differing: number;
  longer: number;
}

/**
 * A reviewer's judgments by side: how many are ties (no pair with strength > 0), how many name a
 * side shown first (shown_chosen_first of the first such pair not null) and how many the left one.
 */
interface Sides {
  /** The pairs counted (one per judgment when each judgment has one pair). */
  pairs: number;
  ties: number;
  decided: number;
  left: number;
}

function sign(value: number): number {
  return value > 0 ? 1 : value < 0 ? -1 : 0;
}

/**
 * The columns of `[prefix] SELECT <columns> <from>` as one array each, in row order, read as one
 * JSON array per column (json_group_array). better-sqlite3 turns each column of each row into a
 * JS value by itself, which for the 300,000 pairs or judgments of a large batch costs several
 * times the query; JSON.parse builds the same values in a fraction of that, and without an
 * object or array per row. Only integers, text, null and JSON go through here, and those
 * round-trip exactly.
 */
function jsonColumns<T extends unknown[]>(columns: readonly string[], from: string, params: unknown, prefix = ""): { [K in keyof T]: Array<T[K]> } {
  const texts = connection()
    .sqlite.prepare(`${prefix} SELECT ${columns.map((c) => `json_group_array(${c})`).join(", ")} ${from}`)
    .raw()
    .get(params) as string[];
  return texts.map((text) => JSON.parse(text) as unknown[]) as { [K in keyof T]: Array<T[K]> };
}

/**
 * The unit of a pair of responses of an item: the item's rowid and the two responses' positions,
 * the earlier first; one number while they fit in 31 + 11 + 11 bits, else the text `item:a:b`.
 */
function pairUnit(item: number, earlier: number, later: number): string | number {
  return item < 2 ** 31 && earlier < 2048 && later < 2048 ? (item * 2048 + earlier) * 2048 + later : `${item}:${earlier}:${later}`;
}

/**
 * Every vote (one per unit and reviewer, in the order of the pairs) and, for pairwise batches,
 * the counts of the pairs with strength > 0 and the pairs' sides by reviewer. A unit is, for
 * pairs, the item's rowid with the positions of the two responses in the item's response_ids
 * text (see pairUnit); for ratings, `item:response:aspect`.
 */
function valuesOf(batch: BatchRecord): { votes: Votes; facts: PairFacts; sides: Map<string, Sides> } {
  const { sqlite } = connection();
  const votes: Votes = { unit: [], reviewer: [], value: [], item: [], aspect: [] };
  const facts: PairFacts = { n: 0, left: 0, differing: 0, longer: 0 };
  const sides = new Map<string, Sides>();
  if (batch.task === "rating") {
    const rows = sqlite
      .prepare<[string], { unit: string; reviewer: string; value: number; item: number; aspect: string }>(
        `SELECT i.rowid || ':' || s.key || ':' || a.key AS unit, j.reviewer_id AS reviewer, a.value AS value, i.rowid AS item, a.key AS aspect
         FROM judgments j JOIN items i ON i.id = j.item_id, json_each(j.payload, '$.scores') s, json_each(s.value) a
         WHERE i.batch_id = ? AND i.is_gold = 0 AND j.source = 'reviewer'`,
      )
      .all(batch.id);
    for (const row of rows) {
      votes.unit.push(row.unit);
      votes.reviewer.push(row.reviewer);
      votes.value.push(row.value);
      votes.item.push(row.item);
      votes.aspect.push(row.aspect);
    }
    return { votes, facts, sides };
  }
  // Every pair of the batch, in rowid order (the pairs index): the votes are the non-imported
  // pairs of non-gold items whose two responses the item lists, oriented in dataset order (value
  // > 0 when the earlier response of the item is preferred); the facts are the pairwise pairs
  // with strength > 0. A response's place in the dataset order is the position of its quoted id
  // in the item's response_ids: the ids are distinct, written by JSON.stringify and need no
  // escaping, so these positions order them as json_each's keys do.
  const [pairIds, items, reviewers, strengths, sources, lefts, golds, chosenAts, rejectedAts] = jsonColumns<
    [number, number | null, string, number, number, number | null, number | null, number | null, number | null]
  >(
    [
      "pp.rowid",
      "i.rowid",
      "pp.reviewer_id",
      "pp.strength",
      "CASE pp.source WHEN 'pairwise' THEN 1 WHEN 'imported' THEN 2 ELSE 0 END",
      "pp.shown_chosen_first",
      "i.is_gold",
      "instr(i.response_ids, json_quote(pp.chosen_id))",
      "instr(i.response_ids, json_quote(pp.rejected_id))",
    ],
    "FROM preference_pairs pp LEFT JOIN items i ON i.id = pp.item_id WHERE pp.batch_id = ?",
    batch.id,
  );
  // A pairwise pair is between its item's two responses (pairsOf): which of them is longer is
  // known per item, and the chosen one is the first when it comes first. Any other pair (its
  // item elsewhere, not two responses, a response missing) is measured by itself.
  const longerFirst = batch.task === "pairwise" ? pairwiseItemLengths(batch) : new Map<number, number>();
  const exceptions: number[] = [];
  for (let k = 0; k < pairIds.length; k++) {
    const item = items[k]!;
    const reviewer = reviewers[k]!;
    const strength = strengths[k]!;
    const source = sources[k]!;
    const left = lefts[k]!;
    const chosenAt = chosenAts[k]!;
    const rejectedAt = rejectedAts[k]!;
    const found = item !== null && chosenAt! > 0 && rejectedAt! > 0;
    if (batch.task === "pairwise" && source !== 2) {
      let own = sides.get(reviewer);
      if (!own) sides.set(reviewer, (own = { pairs: 0, ties: 0, decided: 0, left: 0 }));
      own.pairs++;
      if (strength > 0) {
        if (left !== null) own.decided++;
        if (left === 1) own.left++;
      } else own.ties++;
    }
    if (batch.task === "pairwise" && source === 1 && strength > 0) {
      const order = found ? longerFirst.get(item) : undefined;
      if (order === undefined) exceptions.push(pairIds[k]!);
      else {
        facts.n++;
        if (left === 1) facts.left++;
        // The same response twice, or two of one length, are not counted for the length bias.
        if (chosenAt !== rejectedAt && order !== 0) {
          facts.differing++;
          if ((chosenAt! < rejectedAt!) === order > 0) facts.longer++;
        }
      }
    }
    if (source === 2 || golds[k] !== 0 || !found) continue;
    const chosenFirst = chosenAt! < rejectedAt!;
    votes.unit.push(chosenFirst ? pairUnit(item, chosenAt!, rejectedAt!) : pairUnit(item, rejectedAt!, chosenAt!));
    votes.reviewer.push(reviewer);
    votes.value.push(chosenFirst ? strength : 0 - strength); // 0 - 0 is 0, as in SQL, not −0
    votes.item.push(item!);
  }
  if (exceptions.length > 0) {
    const exact = sqlite.prepare<[number], { left: number | null; chosen: number; rejected: number }>(
      `SELECT pp.shown_chosen_first AS left, length(c.text) AS chosen, length(r.text) AS rejected
       FROM preference_pairs pp JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id WHERE pp.rowid = ?`,
    );
    for (const pair of exceptions) {
      const fact = exact.get(pair);
      if (!fact) continue;
      facts.n++;
      if (fact.left === 1) facts.left++;
      if (fact.chosen !== fact.rejected) {
        facts.differing++;
        if (fact.chosen > fact.rejected) facts.longer++;
      }
    }
  }
  if (batch.task === "ranking") {
    // A ranking gives no pair for two responses in one tier: that is a tie vote. The positions
    // of the item's responses are found as the pairs' are.
    const seen = new Set(votes.unit.map((unit, k) => `${unit}\u0000${votes.reviewer[k]}`));
    const judged = sqlite
      .prepare<[string], { item: number; reviewer_id: string; positions: string }>(
        `SELECT i.rowid AS item, j.reviewer_id,
                (SELECT json_group_array(instr(i.response_ids, json_quote(e.value))) FROM json_each(i.response_ids) e) AS positions
         FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND i.is_gold = 0 AND j.source = 'reviewer'`,
      )
      .all(batch.id);
    for (const j of judged) {
      const at = JSON.parse(j.positions) as number[];
      for (let x = 0; x < at.length; x++)
        for (let y = x + 1; y < at.length; y++) {
          const unit = pairUnit(j.item, at[x]!, at[y]!);
          if (seen.has(`${unit}\u0000${j.reviewer_id}`)) continue;
          votes.unit.push(unit);
          votes.reviewer.push(j.reviewer_id);
          votes.value.push(0);
          votes.item.push(j.item);
        }
    }
  }
  return { votes, facts, sides };
}

/**
 * For each item of the batch with exactly two responses, by rowid, the sign of the difference
 * of their text lengths (first minus second): 1 when the first is longer, −1 when the second, 0
 * for equal lengths. The lengths are read once per response, in the order of the responses of
 * the batch's prompts; an item with a response not among them is left out.
 */
function pairwiseItemLengths(batch: BatchRecord): Map<number, number> {
  const [items, signs] = jsonColumns<[number, number]>(
    ["i.rowid", "sign(a.n - b.n)"],
    `FROM items i JOIN lengths a ON a.id = i.response_ids ->> '$[0]' JOIN lengths b ON b.id = i.response_ids ->> '$[1]'
     WHERE i.batch_id = @batch AND json_array_length(i.response_ids) = 2`,
    { batch: batch.id },
    `WITH lengths AS MATERIALIZED (SELECT r.id, length(r.text) AS n FROM responses r WHERE r.prompt_id IN (SELECT prompt_id FROM items WHERE batch_id = @batch))`,
  );
  return new Map(items.map((item, k) => [item, signs[k]!]));
}

/**
 * The label set of a rating batch's scores: every whole score from the lowest aspect minimum to
 * the highest aspect maximum, so a score nobody gave still counts in the distances of weighted
 * kappa (as scikit-learn's cohen_kappa_score with labels=range(min, max + 1)); any score given
 * outside that range is added rather than making kappa undefined.
 */
function ratingCategories(aspects: ReadonlyArray<{ min: number; max: number }>, given: readonly number[]): number[] {
  const low = Math.min(...aspects.map((a) => a.min));
  const high = Math.max(...aspects.map((a) => a.max));
  const labels = new Set<number>();
  for (let score = low; score <= high; score++) labels.add(score);
  for (const score of given) labels.add(score);
  return [...labels].sort((a, b) => a - b);
}

/** A key equal for rows holding the same values (with repeats, in any order and columns); nulls are left out. */
function multisetKey(values: ReadonlyArray<number | null>): string {
  const present: number[] = [];
  for (const value of values) {
    if (value === null) continue;
    // Insertion sort: rows are short.
    let i = present.length;
    present.push(value);
    while (i > 0 && present[i - 1]! > value) {
      present[i] = present[i - 1]!;
      i--;
    }
    present[i] = value;
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

/** Mean Kendall's W over the items that at least two reviewers ranked, or why there is none. */
function meanKendallW(batch: BatchRecord): { value: number | null; reason?: string } {
  if (batch.task !== "ranking") return { value: null, reason: "Kendall's W is for ranking batches" };
  const rows = connection()
    .sqlite.prepare<[string], { item_id: string; payload: string; response_ids: string }>(
      "SELECT j.item_id, j.payload, i.response_ids FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND i.is_gold = 0 AND j.source = 'reviewer' ORDER BY i.position",
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
  const results = [...byItem.values()].filter((r) => r.length >= 2).map((r) => kendallWResult(r));
  if (results.length === 0) return { value: null, reason: "no item has been ranked by two or more reviewers yet" };
  const values = results.flatMap((r) => (r.value === null ? [] : [r.value]));
  if (values.length === 0) return { value: null, reason: `Kendall's W is undefined for every item ranked by two or more reviewers: ${results[0]!.reason}` };
  return { value: values.reduce((a, b) => a + b, 0) / values.length };
}

/** Records why a figure is null under its path; a defined figure needs no reason. */
function explain(reasons: Record<string, string>, path: string, value: unknown, reason: string | null | undefined): void {
  if (value === null) reasons[path] = reason ?? "undefined for these data";
}

/**
 * Cohen's kappa, unweighted, linear and quadratic, of every reviewer pair sharing at least
 * MIN_SHARED_FOR_COHEN units of `rows` (units × reviewers), over the label set `categories`. The
 * shared units of all pairs are gathered in one pass over the rows.
 */
function cohenRows(rows: Ratings, names: readonly string[], categories: readonly number[]): CohenRow[] {
  const shared = names.map(() => names.map(() => ({ x: [] as number[], y: [] as number[] })));
  const present: number[] = [];
  for (const row of rows) {
    present.length = 0;
    for (let c = 0; c < names.length; c++) if (row[c] !== null && row[c] !== undefined) present.push(c);
    for (let i = 0; i < present.length; i++) {
      for (let j = i + 1; j < present.length; j++) {
        const pair = shared[present[i]!]![present[j]!]!;
        pair.x.push(row[present[i]!]!);
        pair.y.push(row[present[j]!]!);
      }
    }
  }
  const out: CohenRow[] = [];
  for (let a = 0; a < names.length; a++) {
    for (let b = a + 1; b < names.length; b++) {
      const { x, y } = shared[a]![b]!;
      if (x.length < MIN_SHARED_FOR_COHEN) continue;
      const reasons: Record<string, string> = {};
      const [unweighted, linear, quadratic] = (["unweighted", "linear", "quadratic"] as const).map((weights) => {
        const result = cohenKappaResult(x, y, weights, categories);
        explain(reasons, weights, result.value, result.reason);
        return result.value;
      });
      out.push({ reviewers: [names[a]!, names[b]!], n: x.length, unweighted: unweighted!, linear: linear!, quadratic: quadratic!, reasons });
    }
  }
  return out;
}

/** counts[u][i] = how many of unit u's ratings are categories[i]; other values are not counted. */
function categoryCounts(rows: Ratings, categories: readonly number[]): number[][] {
  const index = new Map(categories.map((c, i) => [c, i]));
  return rows.map((row) => {
    const counts = new Array<number>(categories.length).fill(0);
    for (const v of row) {
      if (v === null || v === undefined) continue;
      const i = index.get(v);
      if (i !== undefined) counts[i]! += 1;
    }
    return counts;
  });
}

/**
 * A rating batch's agreement per rubric aspect: its units (item × response) by reviewer (the
 * last vote of each), α nominal, ordinal and interval, Fleiss' κ and every pair's Cohen's κ over
 * the aspect's own min..max scale.
 */
function aspectAgreements(aspects: BatchRecord["config"]["aspects"], votes: Votes, column: ReadonlyMap<string, number>, names: readonly string[]): AspectAgreement[] {
  return aspects.map((aspect) => {
    const unitIndex = new Map<string | number, number>();
    const rows: Array<Array<number | null>> = [];
    const given: number[] = [];
    for (let k = 0; k < votes.unit.length; k++) {
      if (votes.aspect[k] !== aspect.key) continue;
      const c = column.get(votes.reviewer[k]!);
      if (c === undefined) continue;
      let u = unitIndex.get(votes.unit[k]!);
      if (u === undefined) {
        u = rows.length;
        unitIndex.set(votes.unit[k]!, u);
        rows.push(new Array<number | null>(names.length).fill(null));
      }
      rows[u]![c] = votes.value[k]!;
      given.push(votes.value[k]!);
    }
    const reasons: Record<string, string> = {};
    const alpha = (metric: "nominal" | "ordinal" | "interval") => {
      const result = krippendorffAlphaResult(rows, metric);
      explain(reasons, `krippendorff_alpha.${metric}`, result.value, result.reason);
      return result.value;
    };
    const categories = ratingCategories([aspect], given);
    const fleiss = rows.length ? fleissKappaResult(categoryCounts(rows, categories)) : { value: null, reason: "no unit has been scored on this aspect" };
    explain(reasons, "fleiss_kappa", fleiss.value, fleiss.reason);
    return {
      aspect: aspect.key,
      label: aspect.label,
      min: aspect.min,
      max: aspect.max,
      units: rows.length,
      krippendorff_alpha: { nominal: alpha("nominal"), ordinal: alpha("ordinal"), interval: alpha("interval") },
      fleiss_kappa: fleiss.value,
      cohen_kappa: cohenRows(rows, names, categories),
      reasons,
    };
  });
}

/**
 * Ranking batches: per judgment, its reviewer, how many responses were shown, the size of its
 * top tier and whether the response shown first (the assignment's display order) is in it.
 */
function firstShownOfRankings(batch: BatchRecord): Array<{ reviewer: string; responses: number; topSize: number; firstInTop: boolean }> {
  const rows = connection()
    .sqlite.prepare<[string], { reviewer: string; display_order: string; response_ids: string; top: string | null }>(
      `SELECT j.reviewer_id AS reviewer, a.display_order, i.response_ids, j.payload -> '$.tiers[0]' AS top
       FROM judgments j JOIN assignments a ON a.id = j.assignment_id JOIN items i ON i.id = j.item_id
       WHERE i.batch_id = ? AND j.source = 'reviewer' ORDER BY j.rowid`,
    )
    .all(batch.id);
  return rows.flatMap((row) => {
    const responses = JSON.parse(row.response_ids) as string[];
    const order = JSON.parse(row.display_order) as number[];
    const top = row.top === null ? [] : (JSON.parse(row.top) as string[]);
    const first = responses[order[0]!];
    if (top.length === 0 || first === undefined || responses.length < 2) return [];
    return [{ reviewer: row.reviewer, responses: responses.length, topSize: Math.min(top.length, responses.length), firstInTop: top.includes(first) }];
  });
}

export function batchStats(batchId: string): BatchStats {
  const batch = getBatch(batchId);
  const { sqlite } = connection();
  const pairwise = batch.task === "pairwise";
  const ratingTask = batch.task === "rating";
  const t0 = performance.now();
  const { votes, facts, sides: pairSides } = valuesOf(batch);
  const users = sqlite
    .prepare<[string], { id: string; username: string }>(
      `SELECT u.id, u.username FROM users u
       WHERE EXISTS (SELECT 1 FROM judgments j JOIN items i ON i.id = j.item_id WHERE j.reviewer_id = u.id AND i.batch_id = ? AND j.source = 'reviewer')
       ORDER BY u.username`,
    )
    .all(batch.id);
  const counts = sqlite
    .prepare<{ batch: string; now: number }, { items: number; judgments: number; leased: number; needed: number }>(
      `SELECT count(*) AS items, coalesce(sum(submitted), 0) AS judgments,
              (SELECT count(*) FROM assignments WHERE batch_id = @batch AND status = 'leased' AND kind = 'review' AND lease_expires_at > @now) AS leased,
              count(*) * (SELECT overlap FROM batches WHERE id = @batch) AS needed
       FROM items WHERE batch_id = @batch`,
    )
    .get({ batch: batch.id, now: Date.now() })!;
  // The flags of the batch's judgments, as [reviewer, judgment rowid, flag, response]: read from
  // the flags table, one lookup per flag, while it holds few flags next to the batch's
  // judgments; otherwise looked up judgment by judgment below. Either way the same rows.
  const byFlagTable = (sqlite.prepare("SELECT count(*) FROM judgment_flags").pluck().get() as number) * 4 < counts.judgments;
  let flagged: Array<[reviewer: string, judgment: number, flag: string, response: string]> = [];
  if (byFlagTable) {
    [flagged] = jsonColumns<[[string, number, string, string]]>(
      ["json_array(j.reviewer_id, j.rowid, f.flag, f.response_id)"],
      "FROM judgment_flags f CROSS JOIN judgments j ON j.id = f.judgment_id CROSS JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND j.source = 'reviewer'",
      batch.id,
    );
  }
  // Per judgment: its item (rowid), reviewer, duration, creation time (ms; as the day when it
  // is not an integer), and unless read above, its rowid and flags as [flag, response] (null for none).
  const [judgedItems, judges, durations, created, judgmentFlags] = jsonColumns<
    [number, string, number | null, number | string, [number, Array<[string, string]>] | null]
  >(
    [
      "i.rowid",
      "j.reviewer_id",
      "j.duration_ms",
      "CASE WHEN typeof(j.created_at) = 'integer' THEN j.created_at ELSE strftime('%Y-%m-%d', j.created_at / 1000, 'unixepoch') END",
      byFlagTable
        ? "NULL"
        : `CASE WHEN EXISTS (SELECT 1 FROM judgment_flags f WHERE f.judgment_id = j.id)
             THEN json_array(j.rowid, json((SELECT json_group_array(json_array(f.flag, f.response_id)) FROM judgment_flags f WHERE f.judgment_id = j.id))) END`,
    ],
    "FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND j.source = 'reviewer'",
    batch.id,
  );
  if (!byFlagTable) {
    judgmentFlags.forEach((entry, k) => {
      if (entry) for (const [flag, response] of entry[1]) flagged.push([judges[k]!, entry[0], flag, response]);
    });
  }
  // Ties and sides (pairwise): a judgment is a tie when it has no pair with strength > 0, and
  // names the side of its first such pair. submitJudgment gives every pairwise judgment one
  // pair, by its reviewer, so the pairs counted per reviewer are the judgments' sides; when a
  // reviewer's pairs and judgments differ in number, the sides are read judgment by judgment.
  let sides = pairSides;
  if (pairwise) {
    const judged = new Map<string, number>();
    for (const reviewer of judges) judged.set(reviewer, (judged.get(reviewer) ?? 0) + 1);
    const consistent = judged.size === pairSides.size && [...judged].every(([reviewer, n]) => pairSides.get(reviewer)?.pairs === n);
    if (!consistent) {
      sides = new Map();
      const [reviewers, firsts] = jsonColumns<[string, [number | null] | null]>(
        [
          "j.reviewer_id",
          "json((SELECT json_array(pp.shown_chosen_first) FROM preference_pairs pp WHERE pp.judgment_id = j.id AND pp.strength > 0 LIMIT 1))",
        ],
        "FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND j.source = 'reviewer'",
        batch.id,
      );
      for (let k = 0; k < reviewers.length; k++) {
        const reviewer = reviewers[k]!;
        const first = firsts[k]!;
        let own = sides.get(reviewer);
        if (!own) sides.set(reviewer, (own = { pairs: 0, ties: 0, decided: 0, left: 0 }));
        own.pairs++;
        if (first === null) own.ties++;
        else if (first[0] !== null) {
          own.decided++;
          if (first[0] === 1) own.left++;
        }
      }
    }
  }
  // The day of each judgment, strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'): the date of
  // whole second ⌊created_at / 1000⌋ (truncated, as SQLite divides integers), found per distinct day.
  const dayIndex = (ms: number) => Math.floor(Math.trunc(ms / 1000) / 86_400);
  const dayNumbers = new Set<number>();
  for (const at of created) if (typeof at === "number") dayNumbers.add(dayIndex(at));
  const dayNames = new Map(
    sqlite
      .prepare<[string], [number, string | null]>("SELECT value, strftime('%Y-%m-%d', value * 86400, 'unixepoch') FROM json_each(?)")
      .raw()
      .all(JSON.stringify([...dayNumbers])),
  );
  const gold = sqlite
    .prepare<[string], { reviewer_id: string; gold_answer: string | null; payload: string }>(
      "SELECT j.reviewer_id, i.gold_answer, j.payload FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ? AND i.is_gold = 1 AND j.source = 'reviewer'",
    )
    .all(batch.id);
  // The flags of the batch's judgments by flag and by the flagged response's model.
  const flagRows = sqlite
    .prepare<[string], { flag: string; model: string; n: number }>(
      `SELECT f.value ->> 2 AS flag, r.model, count(*) AS n FROM json_each(?) f JOIN responses r ON r.id = f.value ->> 3
       GROUP BY flag, r.model ORDER BY flag, r.model`,
    )
    .all(JSON.stringify(flagged));
  // Counted in the (reviewer, batch, status) index; only leased assignments need their row.
  const perReviewerProgress = sqlite
    .prepare<{ batch: string; now: number }, { username: string; done: number; leased: number; skipped: number }>(
      `SELECT u.username,
              (SELECT count(*) FROM assignments a WHERE a.reviewer_id = br.user_id AND a.batch_id = br.batch_id AND a.status = 'submitted' AND a.kind = 'review') AS done,
              (SELECT count(*) FROM assignments a WHERE a.reviewer_id = br.user_id AND a.batch_id = br.batch_id AND a.status = 'leased' AND a.kind = 'review' AND a.lease_expires_at > @now) AS leased,
              (SELECT count(*) FROM assignments a WHERE a.reviewer_id = br.user_id AND a.batch_id = br.batch_id AND a.status = 'skipped' AND a.kind = 'review') AS skipped
       FROM batch_reviewers br JOIN users u ON u.id = br.user_id
       WHERE br.batch_id = @batch ORDER BY u.username`,
    )
    .all({ batch: batch.id, now: Date.now() });
  const selfConsistency = batchSelfAgreement(batch);
  const t1 = performance.now();

  const reviewerIds = users.map((u) => u.id);
  const nameOf = new Map(users.map((u) => [u.id, u.username]));
  const column = new Map(reviewerIds.map((r, i) => [r, i]));

  // The units in order of their first vote: each one's ratings by reviewer (a reviewer's last
  // vote, null where none) and its item.
  const unitIndex = new Map<string | number, number>();
  const signed: Array<Array<number | null>> = [];
  const unitItem: number[] = [];
  const unitOfVote = new Int32Array(votes.unit.length);
  let revoted = false;
  let unknownReviewer = false;
  for (let k = 0; k < votes.unit.length; k++) {
    let u = unitIndex.get(votes.unit[k]!);
    if (u === undefined) {
      u = signed.length;
      unitIndex.set(votes.unit[k]!, u);
      signed.push(new Array<number | null>(reviewerIds.length).fill(null));
      unitItem.push(votes.item[k]!);
    }
    unitOfVote[k] = u;
    const row = signed[u]!;
    const c = column.get(votes.reviewer[k]!)!;
    // A second vote on the unit, or one the row has no column for, counts only in the signs.
    if (c === undefined || (row[c] !== null && row[c] !== undefined)) revoted = true;
    if (c === undefined) unknownReviewer = true;
    row[c] = votes.value[k]!;
  }
  const units = signed.length;
  // The signs of all votes of each unit, for percent agreement: the signs of its ratings, unless
  // a reviewer voted twice on a unit (then every vote counts).
  const signsOf = (u: number) => (signUnits ? signUnits[u]! : signed[u]!.flatMap((v) => (v === null ? [] : [sign(v)])));
  let signUnits: number[][] | null = null;
  if (revoted) {
    signUnits = signed.map(() => []);
    for (let k = 0; k < votes.unit.length; k++) signUnits[unitOfVote[k]!]!.push(sign(votes.value[k]!));
  }

  // Alpha, Fleiss' counts and percent agreement of a unit depend only on which values it holds,
  // so units with the same values are computed once, as one group with a representative; the
  // bootstrap then resamples groups (see bootstrapIntervalsResult).
  const groupIndex = new Map<string, number>();
  const groupOf = new Int32Array(units);
  const representatives: number[] = [];
  for (let u = 0; u < units; u++) {
    const key = signUnits ? `${multisetKey(signed[u]!)}|${multisetKey(signUnits[u]!)}` : multisetKey(signed[u]!);
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
  // Every unit once: the resample that is the data itself.
  const everyUnit = { counts: groupSizes };
  const signedReps = representatives.map((u) => signed[u]!);
  const directionReps = signedReps.map((row) => row.map((v) => (v === null ? null : sign(v))));
  const signReps = representatives.map(signsOf);
  const alphaOf = (metric: "nominal" | "ordinal" | "interval") => krippendorffAlphaResampler(signedReps, metric);
  const alphaInterval = alphaOf("interval");
  const alphaNominal = alphaOf("nominal");
  const agreementWith = percentAgreementResampler(signReps, { ties: "with" });
  const agreementWithout = percentAgreementResampler(signReps, { ties: "without" });

  // Fleiss' kappa over the signed values (or the scores), and over the direction, when every
  // unit has the same number of ratings; units with the same values share their counts.
  const categories = ratingTask ? ratingCategories(batch.config.aspects, votes.value) : SIGNED_CATEGORIES;
  const groupFleiss = categoryCounts(signedReps, categories);
  const fleiss = votes.unit.length === 0 ? null : fleissKappaResult(Array.from(groupOf, (g) => groupFleiss[g]!));
  const fleissReason = fleiss === null ? "no judgments" : (fleiss.reason ?? null);
  const groupDirection = ratingTask ? [] : categoryCounts(directionReps, [-1, 0, 1]);
  const fleissDirection = ratingTask
    ? { value: null, reason: "Fleiss' kappa on the direction is for pairwise and ranking batches; see per_aspect" }
    : votes.unit.length === 0
      ? { value: null, reason: "no judgments" }
      : fleissKappaResult(Array.from(groupOf, (g) => groupDirection[g]!));

  const cohen = cohenRows(signed, reviewerIds.map((id) => nameOf.get(id)!), categories);

  // Per reviewer: judgments, durations, flags, ties and sides; per day: judgments; per item: its last day.
  const mine = new Map(reviewerIds.map((id) => [id, { judgments: 0, durations: [] as number[], flagged: 0 }]));
  const flaggedJudgments = new Map(flagged.map(([reviewer, judgment]) => [judgment, reviewer]));
  const dayOfItem = new Map<number, string>();
  const timeline = new Map<string, { judgments: number; counts: Int32Array }>();
  for (let k = 0; k < judges.length; k++) {
    const item = judgedItems[k]!;
    const reviewer = judges[k]!;
    const durationMs = durations[k]!;
    const at = created[k]!;
    const day = (typeof at === "number" ? dayNames.get(dayIndex(at)) : at)!;
    let entry = mine.get(reviewer);
    if (!entry) mine.set(reviewer, (entry = { judgments: 0, durations: [], flagged: 0 }));
    entry.judgments++;
    if (durationMs !== null) entry.durations.push(durationMs / 1000);
    const seen = dayOfItem.get(item);
    if (!seen || day > seen) dayOfItem.set(item, day);
    const onDay = timeline.get(day);
    if (onDay) onDay.judgments++;
    else timeline.set(day, { judgments: 1, counts: new Int32Array(groups) });
  }
  for (const reviewer of flaggedJudgments.values()) {
    const entry = mine.get(reviewer);
    if (entry) entry.flagged++;
  }
  // Agreement over time: direction agreement of the units first completed on each day.
  for (let u = 0; u < units; u++) {
    const day = dayOfItem.get(unitItem[u]!);
    const onDay = day ? timeline.get(day) : undefined;
    if (onDay) onDay.counts[groupOf[u]!]! += 1;
  }
  // Each gold judgment scored against its item's answer (gold.server.ts), per reviewer.
  const goldOf = new Map<string, boolean[]>();
  for (const j of gold) {
    const list = goldOf.get(j.reviewer_id) ?? [];
    list.push(...scoreGold(batch, [j]));
    goldOf.set(j.reviewer_id, list);
  }
  // Each reviewer's last vote per unit is its cell of the rows; a vote by someone without a column
  // (never, when votes come from the batch's judgments) takes the votes themselves.
  const majority = unknownReviewer
    ? reviewerIds.map((id) =>
        agreementWithMajority(
          votes.unit.map((unit, k) => ({ unit: String(unit), rater: votes.reviewer[k]!, value: ratingTask ? votes.value[k]! : sign(votes.value[k]!) })),
          id,
        ),
      )
    : agreementWithMajorityByColumn(signed, reviewerIds.length, ratingTask ? undefined : sign);
  const rankings = batch.task === "ranking" ? firstShownOfRankings(batch) : [];
  const noRepeats = (who: string) =>
    (batch.config.selfConsistency?.share ?? 0) > 0 ? `no repeated item ${who} yet (repeats come after at least 3 later judgments)` : "self-consistency is off in this batch (selfConsistency.share is 0)";
  const perReviewer = users.map((u, c) => {
    const own = mine.get(u.id)!;
    const side = sides.get(u.id) ?? { pairs: 0, ties: 0, decided: 0, left: 0 };
    const firstTop = firstShownTopBias(rankings.filter((r) => r.reviewer === u.id));
    const row = {
      username: u.username,
      judgments: own.judgments,
      agreement_with_majority: majority[c] ?? null,
      gold_accuracy: goldStanding(goldOf.get(u.id) ?? [], { threshold: 0, minItems: 1 }).accuracy,
      median_seconds: median(own.durations),
      tie_rate: pairwise ? rate(side.ties, own.judgments) : null,
      flag_rate: rate(own.flagged, own.judgments),
      left_rate: pairwise ? rate(side.left, side.decided) : null,
      left_p_value: pairwise ? binomialTwoSidedP(side.left, side.decided) : null,
      first_top_rate: firstTop.rate,
      first_top_chance: firstTop.chance_rate,
      first_top_p_value: firstTop.p_value,
      self_agreement: selfConsistency.perReviewer.get(u.id) ?? { agreed: 0, repeated: 0, rate: null },
      reasons: {} as Record<string, string>,
    };
    const { reasons } = row;
    explain(reasons, "agreement_with_majority", row.agreement_with_majority, "needs items that at least two other reviewers judged too, with one answer most frequent among them");
    explain(
      reasons,
      "gold_accuracy",
      row.gold_accuracy,
      "this reviewer has judged no gold item yet (gold items come from prompts' gold answers or gold mark)",
    );
    explain(reasons, "median_seconds", row.median_seconds, "none of this reviewer's judgments recorded how long it took");
    explain(reasons, "tie_rate", row.tie_rate, "the tie rate is for pairwise batches");
    explain(reasons, "flag_rate", row.flag_rate, "no judgments");
    const sideless = pairwise ? "no judgment of this reviewer prefers a side (a tie has none)" : "left and right are for pairwise batches";
    explain(reasons, "left_rate", row.left_rate, sideless);
    explain(reasons, "left_p_value", row.left_p_value, sideless);
    const untiered = batch.task === "ranking" ? "no ranking of this reviewer splits its responses into tiers" : "the first-shown response's top-tier rate is for ranking batches";
    for (const field of ["first_top_rate", "first_top_chance", "first_top_p_value"] as const) explain(reasons, field, row[field], untiered);
    explain(reasons, "self_agreement.rate", row.self_agreement.rate, noRepeats("this reviewer has answered"));
    return row;
  });

  const byFlag: Record<string, number> = {};
  const byModel: Record<string, Record<string, number>> = {};
  for (const row of flagRows) {
    byFlag[row.flag] = (byFlag[row.flag] ?? 0) + row.n;
    (byModel[row.model] ??= {})[row.flag] = row.n;
  }

  // The four intervals resample the same units with the same seed, so they share one set of
  // replicates; each statistic sums its groups' precomputed contributions, as recomputing it on
  // the resampled rows would.
  const [alphaIntervalCi, alphaNominalCi, agreementWithCi, agreementWithoutCi] = bootstrapIntervalsResult(
    units,
    [alphaInterval, alphaNominal, ...(ratingTask ? [] : [agreementWith, agreementWithout])],
    { ...BOOTSTRAP, groupOf, groups },
  );
  const kendall = meanKendallW(batch);
  const firstShownTop = firstShownTopBias(rankings);

  const stats: BatchStats = {
    batch: { id: batch.id, name: batch.name, task: batch.task, overlap: batch.overlap },
    items: counts.items,
    judgments: judges.length,
    reviewers: users.length,
    percent_agreement: {
      with_ties: ratingTask ? null : agreementWith(everyUnit),
      without_ties: ratingTask ? null : agreementWithout(everyUnit),
    },
    krippendorff_alpha: {
      nominal: alphaNominal(everyUnit),
      ordinal: alphaOf("ordinal")(everyUnit),
      interval: alphaInterval(everyUnit),
      direction: ratingTask ? null : krippendorffAlphaResampler(directionReps, "nominal")(everyUnit),
    },
    fleiss_kappa: fleiss?.value ?? null,
    fleiss_kappa_reason: fleissReason,
    fleiss_kappa_direction: fleissDirection.value,
    cohen_kappa: cohen,
    kendall_w: kendall.value,
    per_aspect: ratingTask ? aspectAgreements(batch.config.aspects, votes, column, reviewerIds.map((id) => nameOf.get(id)!)) : [],
    intervals: {
      level: BOOTSTRAP.level,
      krippendorff_alpha_interval: alphaIntervalCi?.interval ?? null,
      krippendorff_alpha_nominal: alphaNominalCi?.interval ?? null,
      percent_agreement_with_ties: ratingTask ? null : (agreementWithCi?.interval ?? null),
      percent_agreement_without_ties: ratingTask ? null : (agreementWithoutCi?.interval ?? null),
    },
    per_reviewer: perReviewer,
    self_agreement: selfConsistency.batch,
    position_bias: positionBiasFromCounts(facts.left, facts.n),
    first_shown_top: firstShownTop,
    length_bias: lengthBiasFromCounts(facts.longer, facts.differing),
    flags: { by_flag: byFlag, by_model: byModel },
    progress: {
      done: counts.judgments,
      leased: counts.leased,
      left: Math.max(0, counts.needed - counts.judgments - counts.leased),
      needed: counts.needed,
      needs_reviewer: itemsNeedingReviewer(batch.id),
      per_reviewer: perReviewerProgress.map((p) => ({ username: p.username, done: p.done ?? 0, leased: p.leased ?? 0, skipped: p.skipped ?? 0 })),
    },
    timeline: [...timeline.entries()]
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([day, entry]) => {
        const agreement = ratingTask ? null : agreementWith({ counts: entry.counts });
        const reasons: Record<string, string> = {};
        explain(reasons, "agreement", agreement, ratingTask ? "percent agreement is for pairwise and ranking batches" : "no item completed on this day has two judgments to compare");
        return { day, judgments: entry.judgments, agreement, reasons };
      }),
    reasons: {},
    timing: { sql_ms: 0, math_ms: 0 },
    judges: judgeReports(batch.id, BOOTSTRAP),
  };
  // Why each null figure is null. The statistics are recomputed with their reasons only where
  // they are null, on the grouped units (one per distinct set of values), which give the same
  // verdict as all units: whether values are pairable or vary does not depend on repeats.
  const { reasons } = stats;
  const forPairs = "is for pairwise and ranking batches";
  explain(reasons, "percent_agreement.with_ties", stats.percent_agreement.with_ties, ratingTask ? `percent agreement on direction ${forPairs}` : percentAgreementResult(signReps, { ties: "with" }).reason);
  explain(reasons, "percent_agreement.without_ties", stats.percent_agreement.without_ties, ratingTask ? `percent agreement on direction ${forPairs}` : percentAgreementResult(signReps, { ties: "without" }).reason);
  for (const metric of ["nominal", "ordinal", "interval"] as const) {
    explain(reasons, `krippendorff_alpha.${metric}`, stats.krippendorff_alpha[metric], stats.krippendorff_alpha[metric] === null ? krippendorffAlphaResult(signedReps, metric).reason : null);
  }
  explain(
    reasons,
    "krippendorff_alpha.direction",
    stats.krippendorff_alpha.direction,
    ratingTask ? `alpha on the direction ${forPairs}` : stats.krippendorff_alpha.direction === null ? krippendorffAlphaResult(directionReps, "nominal").reason : null,
  );
  explain(reasons, "fleiss_kappa", stats.fleiss_kappa, fleissReason);
  explain(reasons, "fleiss_kappa_direction", stats.fleiss_kappa_direction, fleissDirection.reason);
  explain(reasons, "kendall_w", stats.kendall_w, kendall.reason);
  explain(reasons, "self_agreement.rate", stats.self_agreement.rate, noRepeats("has been answered"));
  explain(reasons, "intervals.krippendorff_alpha_interval", stats.intervals.krippendorff_alpha_interval, alphaIntervalCi?.reason);
  explain(reasons, "intervals.krippendorff_alpha_nominal", stats.intervals.krippendorff_alpha_nominal, alphaNominalCi?.reason);
  explain(reasons, "intervals.percent_agreement_with_ties", stats.intervals.percent_agreement_with_ties, ratingTask ? `percent agreement on direction ${forPairs}` : agreementWithCi?.reason);
  explain(reasons, "intervals.percent_agreement_without_ties", stats.intervals.percent_agreement_without_ties, ratingTask ? `percent agreement on direction ${forPairs}` : agreementWithoutCi?.reason);
  const noSide = pairwise ? "no pairwise judgment prefers a side yet (a tie has none)" : `left and right are for pairwise batches${batch.task === "ranking" ? "; see first_shown_top" : ""}`;
  explain(reasons, "position_bias.left_rate", stats.position_bias.left_rate, noSide);
  explain(reasons, "position_bias.p_value", stats.position_bias.p_value, noSide);
  explain(reasons, "length_bias.longer_rate", stats.length_bias.longer_rate, pairwise ? "no decided judgment compares two responses of different lengths" : "length bias is for pairwise batches");
  const noTiers = batch.task === "ranking" ? "no ranking splits its responses into tiers yet" : "the first-shown response's top-tier rate is for ranking batches";
  for (const field of ["rate", "chance_rate", "p_value"] as const) explain(reasons, `first_shown_top.${field}`, stats.first_shown_top[field], noTiers);
  stats.timing = { sql_ms: Math.round(t1 - t0), math_ms: Math.round(performance.now() - t1) };
  return stats;
}

export interface Leaderboard {
  models: Array<{
    model: string;
    rating: number;
    ci: [number, number] | null;
    battles: number;
    wins: number;
    ties: number;
    losses: number;
    /** Means over the model's responses in the scope that carry the figure (sampled, or imported metadata); null when none does. */
    mean_latency_ms: number | null;
    mean_input_tokens: number | null;
    mean_output_tokens: number | null;
    /** From the model's price and its mean token counts (app/core/cost/price.ts); null when either is unknown. */
    usd_per_1k_responses: number | null;
    /** No other model in the table is both at most as costly and better rated (costFrontier). */
    on_cost_frontier: boolean;
  }>;
  win_rates: Record<string, Record<string, number | null>>;
  /** "mle": the plain maximum-likelihood fit (as Chatbot Arena's); "regularized": where that does not exist; null without battles. */
  method: FitMethod | null;
  /** Why the fit is regularized (which models never lost or never won), else null. */
  method_reason: string | null;
}

/**
 * Mean latency and token counts per model over the scope's responses, from their metadata
 * (`latency_ms`, `usage.prompt_tokens`, `usage.completion_tokens`: what sampling stores and an
 * import may carry). A value that is not a number is left out, not counted as 0.
 */
function modelUsage(responsesInScope: string, scope: string): Map<string, { latency: number | null; input: number | null; output: number | null }> {
  const numeric = (path: string) => `CASE WHEN json_type(r.metadata, '${path}') IN ('integer', 'real') THEN json_extract(r.metadata, '${path}') END`;
  const rows = connection()
    .sqlite.prepare<{ scope: string }, { model: string; latency: number | null; input: number | null; output: number | null }>(
      `SELECT r.model, avg(${numeric("$.latency_ms")}) AS latency, avg(${numeric("$.usage.prompt_tokens")}) AS input, avg(${numeric("$.usage.completion_tokens")}) AS output
       FROM responses r WHERE ${responsesInScope} GROUP BY r.model`,
    )
    .all({ scope });
  return new Map(rows.map((r) => [r.model, r]));
}

/** Bradley–Terry ratings of the models from a batch's pairs, or from every batch of a dataset. */
export function leaderboard(scope: { batchId?: string; dataset?: string }): Leaderboard {
  const { sqlite } = connection();
  // The pairs in the scope and, for the models of their responses, the responses of the scope's
  // prompts read once (any other response is looked up by itself).
  let where: string;
  let responses: string;
  let param: string;
  // The ranking batches in the scope, whose same-tier responses are ties that no pair records.
  let rankingBatches: string | null;
  if (scope.batchId) {
    where = "pp.batch_id = @scope";
    responses = "r.prompt_id IN (SELECT prompt_id FROM items WHERE batch_id = @scope)";
    param = scope.batchId;
    rankingBatches = getBatch(scope.batchId).task === "ranking" ? "SELECT @scope" : null;
  } else if (scope.dataset) {
    const dataset = sqlite.prepare<[string, string], { id: string }>("SELECT id FROM datasets WHERE name = ? OR id = ?").get(scope.dataset, scope.dataset);
    if (!dataset) throw new ServiceError("not_found", `no dataset "${scope.dataset}"`);
    rankingBatches = "SELECT id FROM batches WHERE dataset_id = @scope AND task = 'ranking'";
    where = "pp.batch_id IN (SELECT id FROM batches WHERE dataset_id = @scope)";
    responses = "r.prompt_id IN (SELECT id FROM prompts WHERE dataset_id = @scope)";
    param = dataset.id;
  } else throw new ServiceError("invalid", "give a batch or a dataset");
  const [rows] = jsonColumns<[[chosen: string, rejected: string, strength: number]]>(
    ["json_array(chosen, rejected, strength) ORDER BY pair"],
    `FROM (SELECT pp.rowid AS pair, pp.strength,
                  coalesce(c.model, (SELECT model FROM responses WHERE id = pp.chosen_id)) AS chosen,
                  coalesce(r.model, (SELECT model FROM responses WHERE id = pp.rejected_id)) AS rejected
           FROM preference_pairs pp LEFT JOIN models c ON c.id = pp.chosen_id LEFT JOIN models r ON r.id = pp.rejected_id
           WHERE ${where} AND pp.source != 'imported')
     WHERE chosen != rejected`,
    { scope: param },
    `WITH models AS MATERIALIZED (SELECT r.id, r.model FROM responses r WHERE ${responses})`,
  );
  const battles: Battle[] = rows.map(([chosen, rejected, strength]) => ({ a: chosen, b: rejected, winner: strength === 0 ? "tie" : "a" }));
  if (rankingBatches) {
    // A ranking gives no pair for two responses in one tier: each such two is a tie, as the
    // agreement figures and the consensus policies count it (pairsOf, decision 9), in the order
    // of the judgments and of the responses in their tier.
    const ties = sqlite
      .prepare<{ scope: string }, { a: string; b: string }>(
        `SELECT ra.model AS a, rb.model AS b
         FROM judgments j JOIN items i ON i.id = j.item_id, json_each(j.payload, '$.tiers') t, json_each(t.value) x, json_each(t.value) y
         JOIN responses ra ON ra.id = x.value JOIN responses rb ON rb.id = y.value
         WHERE i.batch_id IN (${rankingBatches}) AND j.source = 'reviewer' AND x.key < y.key AND ra.model != rb.model
         ORDER BY j.rowid, t.key, x.key, y.key`,
      )
      .all({ scope: param });
    for (const tie of ties) battles.push({ a: tie.a, b: tie.b, winner: "tie" });
  }
  const fit = bradleyTerry(battles);
  const intervals = battles.length ? bootstrapRatings(battles, { replicates: 200, seed: BOOTSTRAP.seed, level: BOOTSTRAP.level }) : {};
  const table = winRates(battles);
  const usage = modelUsage(responses, param);
  const prices = priceTable();
  const rated = Object.entries(fit?.ratings ?? {})
    .map(([model, rating]) => {
      const use = usage.get(model);
      const tenth = (n: number | null | undefined) => (n === null || n === undefined ? null : Math.round(n * 10) / 10);
      const usd = usdPer1kResponses(prices.get(model) ?? null, use?.input ?? null, use?.output ?? null);
      return {
        model,
        rating: Math.round(rating * 10) / 10,
        ci: intervals[model] ? ([Math.round(intervals[model]![0] * 10) / 10, Math.round(intervals[model]![1] * 10) / 10] as [number, number]) : null,
        ...(table.battles[model] ?? { battles: 0, wins: 0, ties: 0, losses: 0 }),
        mean_latency_ms: tenth(use?.latency),
        mean_input_tokens: tenth(use?.input),
        mean_output_tokens: tenth(use?.output),
        usd_per_1k_responses: usd === null ? null : Math.round(usd * 1e6) / 1e6,
      };
    })
    .sort((a, b) => b.rating - a.rating);
  const frontier = costFrontier(rated.map((m) => ({ model: m.model, rating: m.rating, usd: m.usd_per_1k_responses })));
  const models = rated.map((m) => ({ ...m, on_cost_frontier: frontier.has(m.model) }));
  return { models, win_rates: table.matrix, method: fit?.method ?? null, method_reason: fit?.reason ?? null };
}
