/**
 * Per-reviewer statistics (DESIGN.md §4): agreement with the leave-one-out majority, gold
 * accuracy, median seconds per item, and rates (flag rate, tie rate, position-left rate).
 * Pure: no I/O, no imports.
 */

/**
 * Agreement of one rater with the leave-one-out majority.
 *
 * Definition: for every unit the rater rated that at least two other raters also rated, the
 * leave-one-out majority is the most frequent value among the other raters' values (compared
 * with ===); a unit whose other values have no unique mode is skipped. The result is the share
 * of the remaining units where the rater's value equals that majority. Each (unit, rater) pair
 * counts once: when a rater has several votes on one unit, the last one is used.
 *
 * Source: the "agreement with consensus" annotator-quality measure of crowdsourcing practice
 * (e.g. Snow et al. 2008, "Cheap and Fast — But is it Good?"), with the rater left out of the
 * consensus so as not to agree with themself.
 *
 * Undefined: null when no unit qualifies (the rater rated no unit with ≥ 2 other ratings, or
 * every such unit has a tied mode).
 *
 * @example agreementWithMajority([
 *   { unit: "u", rater: "r", value: 1 }, { unit: "u", rater: "s", value: 1 }, { unit: "u", rater: "t", value: 1 },
 * ], "r") // 1
 */
export function agreementWithMajority(votes: ReadonlyArray<{ unit: string; rater: string; value: number }>, rater: string): number | null {
  const byUnit = new Map<string, Map<string, number>>();
  for (const vote of votes) {
    let unit = byUnit.get(vote.unit);
    if (!unit) byUnit.set(vote.unit, (unit = new Map()));
    unit.set(vote.rater, vote.value);
  }
  let compared = 0;
  let agreed = 0;
  for (const unit of byUnit.values()) {
    const own = unit.get(rater);
    if (own === undefined || unit.size - 1 < 2) continue;
    const frequency = new Map<number, number>();
    for (const [other, value] of unit) if (other !== rater) frequency.set(value, (frequency.get(value) ?? 0) + 1);
    let mode: number | undefined;
    let best = 0;
    let unique = false;
    for (const [value, count] of frequency) {
      if (count > best) {
        best = count;
        mode = value;
        unique = true;
      } else if (count === best) unique = false;
    }
    if (!unique || mode === undefined) continue;
    compared++;
    if (own === mode) agreed++;
  }
  return compared === 0 ? null : agreed / compared;
}

/**
 * Gold accuracy.
 *
 * Definition: the share of gold questions whose given answer equals the gold answer (===).
 *
 * Source: gold-standard ("honeypot") questions for annotator quality control (e.g. Oleson et
 * al. 2011, "Programmatic Gold").
 *
 * Undefined: null when there is no gold answer.
 *
 * @example goldAccuracy([{ given: 1, gold: 1 }, { given: 2, gold: 1 }]) // 0.5
 */
export function goldAccuracy(answers: ReadonlyArray<{ given: number; gold: number }>): number | null {
  if (answers.length === 0) return null;
  let correct = 0;
  for (const { given, gold } of answers) if (given === gold) correct++;
  return correct / answers.length;
}

/**
 * The median.
 *
 * Definition: the middle value of the sorted values; for an even count, the mean of the two
 * middle values.
 *
 * Source: the ordinary sample median (as simple-statistics `median`, numpy `median`).
 *
 * Undefined: null for no values, when any value is NaN, or when the two middle values are −∞
 * and +∞.
 *
 * @example median([3, 1, 4, 2]) // 2.5
 */
export function median(values: ReadonlyArray<number>): number | null {
  if (values.length === 0 || values.some(Number.isNaN)) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid]!;
  const lo = sorted[mid - 1]!;
  const hi = sorted[mid]!;
  if (lo === hi) return lo;
  const mean = (lo + hi) / 2;
  if (Number.isFinite(mean)) return mean;
  // (lo + hi) overflowed, or the middle values are −∞ and +∞ (whose mean is undefined).
  const halves = lo / 2 + hi / 2;
  return Number.isNaN(halves) ? null : halves;
}

/**
 * A rate: count / total, for tie rate, flag rate, position-left rate and the like.
 *
 * Definition: the share `count / total`.
 *
 * Undefined: null when total is 0.
 *
 * @throws {RangeError} when count or total is negative or not finite, or count exceeds total
 * @example rate(3, 12) // 0.25
 */
export function rate(count: number, total: number): number | null {
  if (!Number.isFinite(count) || !Number.isFinite(total) || count < 0 || total < 0) {
    throw new RangeError(`rate needs finite count and total ≥ 0, got ${count} / ${total}`);
  }
  if (count > total) throw new RangeError(`count (${count}) must not exceed total (${total})`);
  return total === 0 ? null : count / total;
}
