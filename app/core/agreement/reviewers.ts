/**
 * Per-reviewer statistics (DESIGN.md §4): agreement with the leave-one-out majority (gold
 * accuracy is app/core/quality/gold.ts), median seconds per item, and rates (flag rate, tie rate, position-left rate).
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
  let compared = 0;
  let agreed = 0;
  for (const unit of votesByUnit(votes).values()) {
    const verdict = majorityVerdict(unit, rater);
    if (verdict === null) continue;
    compared++;
    if (verdict) agreed++;
  }
  return compared === 0 ? null : agreed / compared;
}

/** Each unit's votes: rater → value, the last vote of a rater on a unit winning. */
function votesByUnit(votes: ReadonlyArray<{ unit: string; rater: string; value: number }>): Map<string, Map<string, number>> {
  const byUnit = new Map<string, Map<string, number>>();
  for (const vote of votes) {
    let unit = byUnit.get(vote.unit);
    if (!unit) byUnit.set(vote.unit, (unit = new Map()));
    unit.set(vote.rater, vote.value);
  }
  return byUnit;
}

/**
 * Whether `rater`'s value on a unit equals the leave-one-out majority of the others; null when
 * the unit does not qualify (the rater did not rate it, fewer than two others did, or the
 * others' values have no unique mode).
 */
function majorityVerdict(unit: ReadonlyMap<string, number>, rater: string): boolean | null {
  const own = unit.get(rater);
  if (own === undefined || unit.size - 1 < 2) return null;
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
  if (!unique || mode === undefined) return null;
  return own === mode;
}

/** SameValueZero, the equality of Map keys: === except that NaN equals NaN. */
const sameValue = (a: number, b: number) => a === b || (a !== a && b !== b);

/**
 * Agreement with the leave-one-out majority of every rater (column) of a units × raters
 * table, in one pass over the rows.
 *
 * Definition: entry c is exactly {@link agreementWithMajority}(votes, c) for the votes
 * `{ unit: u, rater: c, value: data[u][c] }` of the non-null cells: for every unit rater c rated
 * that at least two other raters also rated, the others' values are grouped as Map keys group
 * them (=== except that NaN equals NaN); a unit whose others have no unique most frequent value
 * is skipped; the rest count as agreeing when c's value === that value. A table with one value
 * per (unit, rater) is what the votes give when a rater's last vote on a unit counts.
 *
 * Undefined: an entry is null when no unit qualifies for that rater.
 *
 * @param data units × raters, `null` = missing
 * @param columns the number of raters (default: the length of the longest row)
 * @param transform applied to every rating first (default: none), e.g. to compare only signs
 * @returns one agreement in [0, 1] or null per rater
 * @example agreementWithMajorityByColumn([[1, 1, 0], [1, 1, 1]]) // [1, 1, 0.5]
 */
export function agreementWithMajorityByColumn(
  data: ReadonlyArray<ReadonlyArray<number | null>>,
  columns?: number,
  transform?: (rating: number) => number,
): Array<number | null> {
  const width = columns ?? data.reduce((max, row) => Math.max(max, row.length), 0);
  const compared = new Array<number>(width).fill(0);
  const agreed = new Array<number>(width).fill(0);
  const raters: number[] = [];
  const values: number[] = [];
  for (const row of data) {
    raters.length = 0;
    values.length = 0;
    for (let c = 0; c < Math.min(width, row.length); c++) {
      const rating = row[c];
      if (rating === null || rating === undefined) continue;
      raters.push(c);
      values.push(transform ? transform(rating) : rating);
    }
    const m = values.length;
    if (m < 3) continue;
    for (let own = 0; own < m; own++) {
      // The others' most frequent value and whether it is the only one with that count.
      let best = 0;
      let mode = Number.NaN;
      let unique = false;
      for (let i = 0; i < m; i++) {
        if (i === own) continue;
        const value = values[i]!;
        let seenBefore = false;
        for (let k = 0; k < i; k++) if (k !== own && sameValue(values[k]!, value)) seenBefore = true;
        if (seenBefore) continue;
        let count = 0;
        for (let k = 0; k < m; k++) if (k !== own && sameValue(values[k]!, value)) count++;
        if (count > best) {
          best = count;
          mode = value;
          unique = true;
        } else if (count === best) unique = false;
      }
      if (!unique) continue;
      compared[raters[own]!]!++;
      if (values[own] === mode) agreed[raters[own]!]!++;
    }
  }
  return compared.map((n, c) => (n === 0 ? null : agreed[c]! / n));
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
  // Numeric order, as sort((x, y) => x - y) gives (a typed array sorts without a comparator call).
  const sorted = Float64Array.from(values).sort();
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
