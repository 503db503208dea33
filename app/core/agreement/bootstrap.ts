/**
 * Seeded percentile bootstrap over units (DESIGN.md §4: "Bootstrap confidence intervals by
 * resampling items (seeded, reproducible)"). Pure: the only randomness is the seeded PRNG.
 */
import { multinomialSample, seededRandom } from "./sampling";

export { seededRandom } from "./sampling";

/** Options of {@link bootstrapInterval}. */
export interface BootstrapOptions {
  /** Number of bootstrap replicates B; a positive integer, default 1000. */
  replicates?: number;
  /** PRNG seed, taken as an unsigned 32-bit integer; default 1. Same seed, same interval. */
  seed?: number;
  /** Confidence level in (0, 1); default 0.95. */
  level?: number;
}

/** The interval with how many replicates were defined, or why there is none. */
export interface BootstrapResult {
  interval: [number, number] | null;
  reason?: string;
  /** Replicates whose statistic was a finite number. */
  defined: number;
  replicates: number;
}

export const DEFAULT_REPLICATES = 1000;
export const DEFAULT_LEVEL = 0.95;
export const DEFAULT_SEED = 1;

/**
 * The p-quantile of ascending `sorted` values by linear interpolation between order statistics
 * (Hyndman & Fan 1996, definition 7; the default of R's `quantile` and NumPy's `percentile`).
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return below + (h - lo) * (above - below);
}

/**
 * One bootstrap resample, as {@link bootstrapIntervalsResult} hands it to each statistic: how
 * many of the drawn units fall in each group (without grouping, every unit is its own group).
 */
export interface Resample {
  /** `counts[g]`: how many of the drawn units are in group g; the counts sum to `units`. */
  counts: Int32Array;
}

/** Options of {@link bootstrapIntervalsResult}: those of {@link bootstrapInterval}, and a grouping of the units. */
export interface GroupedBootstrapOptions extends BootstrapOptions {
  /**
   * `groupOf[u]`, the group (0..groups − 1) of unit u, for statistics that do not tell apart
   * the units of one group (identical units): the statistics then see the groups of the drawn
   * units instead of the units. Default: every unit its own group.
   */
  groupOf?: ArrayLike<number>;
  /** The number of groups; required with `groupOf`. */
  groups?: number;
}

/** Options with their defaults applied, after the checks every bootstrap entry point makes. */
function checkedOptions(units: number, options: BootstrapOptions): { replicates: number; level: number; seed: number } {
  const replicates = options.replicates ?? DEFAULT_REPLICATES;
  const level = options.level ?? DEFAULT_LEVEL;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(units) || units < 0) throw new RangeError(`units must be a non-negative integer, got ${units}`);
  if (!Number.isInteger(replicates) || replicates < 1) throw new RangeError(`replicates must be a positive integer, got ${replicates}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  return { replicates, level, seed };
}

/** The percentile interval from the defined replicate values (sorted in place), or why there is none. */
function percentileResult(values: number[], replicates: number, level: number): BootstrapResult {
  if (values.length * 2 < replicates) {
    return {
      interval: null,
      reason: `the statistic is defined in only ${values.length} of ${replicates} replicates (fewer than half)`,
      defined: values.length,
      replicates,
    };
  }
  values.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  return { interval: [quantileSorted(values, tail), quantileSorted(values, 1 - tail)], defined: values.length, replicates };
}

/** {@link bootstrapInterval} with the count of defined replicates and the reason for a null. */
export function bootstrapIntervalResult(
  units: number,
  statistic: (indices: ReadonlyArray<number>) => number | null,
  options: BootstrapOptions,
): BootstrapResult {
  const { replicates, level, seed } = checkedOptions(units, options);
  if (units === 0) return { interval: null, reason: "there are no units to resample", defined: 0, replicates };

  const random = seededRandom(seed);
  const values: number[] = [];
  const indices = new Array<number>(units);
  for (let r = 0; r < replicates; r++) {
    for (let i = 0; i < units; i++) indices[i] = Math.floor(random() * units);
    const value = statistic(indices.slice());
    if (value !== null && Number.isFinite(value)) values.push(value);
  }
  return percentileResult(values, replicates, level);
}

/**
 * Percentile bootstrap intervals of several statistics of the same units, from one shared set
 * of replicates, for statistics that depend only on how often each unit (or each group of
 * interchangeable units) was drawn.
 *
 * Definition: as {@link bootstrapIntervalResult}: each replicate draws `units` units uniformly
 * with replacement; a statistic sees the resample as `counts[g]`, the draws that fell in group
 * g (`groupOf`; default, every unit its own group). A grouping is for statistics whose value
 * does not change when a unit is swapped for another of its group (identical units): the
 * statistic is then computed on one representative per group, weighted by the counts.
 *
 * How the counts are drawn: with few groups next to the units, directly from their
 * multinomial distribution, Multinomial(units; size of each group / units)
 * ({@link multinomialSample}, one binomial per group), which is the distribution of the counts
 * of `units` single draws, at a cost that does not grow with the units; otherwise unit by unit.
 * Either way the intervals are reproducible for a seed; the random streams of the two ways
 * differ, so the same data grouped or not gives intervals that differ by Monte Carlo noise
 * only.
 *
 * The counts array is reused from one replicate to the next: a statistic must not keep it.
 *
 * Undefined (interval null): as {@link bootstrapIntervalResult}, per statistic. Throws
 * RangeError for the same invalid arguments, and for a `groupOf` that does not give every unit
 * a group in 0..groups − 1.
 *
 * Source: Efron & Tibshirani (1993), ch. 13; Devroye, L. (1986), Non-Uniform Random Variate
 * Generation, §XI.1 (multinomial by conditional binomials).
 *
 * @param units number of units to resample
 * @param statistics the statistics on a resample
 * @param options replicates (default 1000), seed (default 1), level (default 0.95), grouping
 * @returns one result per statistic, in order
 * @example
 * const xs = [1, 2, 3, 4, 5];
 * const [mean] = bootstrapIntervalsResult(xs.length, [(r) => xs.reduce((s, x, u) => s + x * r.counts[u]!, 0) / xs.length], { seed: 7 });
 */
export function bootstrapIntervalsResult(
  units: number,
  statistics: ReadonlyArray<(resample: Resample) => number | null>,
  options: GroupedBootstrapOptions,
): BootstrapResult[] {
  const { replicates, level, seed } = checkedOptions(units, options);
  if (units > 2 ** 31 - 1) throw new RangeError(`units must be below 2^31, got ${units}`);
  const groupOf = options.groupOf ? Int32Array.from(options.groupOf) : Int32Array.from({ length: units }, (_, u) => u);
  const groups = options.groupOf ? (options.groups ?? -1) : units;
  if (groupOf.length !== units || !Number.isInteger(groups) || groups < 0 || groupOf.some((g) => !(g >= 0 && g < groups))) {
    throw new RangeError("groupOf must give each unit a group in 0..groups − 1");
  }
  if (units === 0) return statistics.map(() => ({ interval: null, reason: "there are no units to resample", defined: 0, replicates }));

  const values = statistics.map((): number[] => []);
  const resample: Resample = { counts: new Int32Array(groups) };
  const { counts } = resample;
  const sizes = new Int32Array(groups);
  for (let u = 0; u < units; u++) sizes[groupOf[u]!]! += 1;
  // A binomial costs about as much as 50 single draws (log₂ of the draws gamma variates).
  const byGroup = groups * 64 <= units;
  const random = seededRandom(seed);
  // For single draws, seededRandom(seed) inlined: the same Mulberry32 steps on an int32 state.
  // ⌊(x / 2³²) · units⌋ is computed as (x · (units / 2³²)) | 0: a power of two scales exactly,
  // so it is the same product with the same one rounding, and the result is below units < 2³¹.
  const scale = units / 4294967296;
  let state = seed | 0;
  for (let r = 0; r < replicates; r++) {
    if (byGroup) multinomialSample(units, sizes, random, counts);
    else {
      counts.fill(0);
      for (let i = 0; i < units; i++) {
        state = (state + 0x6d2b79f5) | 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        counts[groupOf[(((t ^ (t >>> 14)) >>> 0) * scale) | 0]!]! += 1;
      }
    }
    for (let s = 0; s < statistics.length; s++) {
      const value = statistics[s]!(resample);
      if (value !== null && Number.isFinite(value)) values[s]!.push(value);
    }
  }
  return values.map((v) => percentileResult(v, replicates, level));
}

/**
 * Percentile bootstrap confidence intervals of several statistics of the same units, from one
 * shared set of replicates of draw counts. See {@link bootstrapIntervalsResult}, which also
 * gives the reasons.
 *
 * @param units number of units to resample
 * @param statistics the statistics on a resample (draw counts per unit or group)
 * @param options replicates (default 1000), seed (default 1), level (default 0.95), grouping
 * @returns [lower, upper] or null per statistic, in order
 */
export function bootstrapIntervals(
  units: number,
  statistics: ReadonlyArray<(resample: Resample) => number | null>,
  options: GroupedBootstrapOptions,
): Array<[number, number] | null> {
  return bootstrapIntervalsResult(units, statistics, options).map((r) => r.interval);
}

/**
 * Percentile bootstrap confidence interval of a statistic of units (items).
 *
 * Definition: draw B replicates; each is `units` unit indices drawn uniformly with replacement
 * from 0..units − 1 (a unit drawn twice appears twice), with a seeded PRNG
 * ({@link seededRandom}); compute `statistic(indices)` on each; drop replicates where it is
 * null (or not finite); the interval is the (1 − level)/2 and (1 + level)/2 quantiles of the
 * remaining values (linear interpolation, {@link quantileSorted}). Resampling whole units keeps
 * all ratings of a unit together, the usual choice for inter-rater statistics.
 *
 * Source: Efron, B. & Tibshirani, R. J. (1993), An Introduction to the Bootstrap, ch. 13
 * (percentile interval); Hyndman, R. J. & Fan, Y. (1996), "Sample quantiles in statistical
 * packages", The American Statistician 50(4) (quantile definition 7).
 *
 * Undefined (null): no units; fewer than half of the replicates give a defined statistic.
 * Throws RangeError for invalid arguments (units not a non-negative integer, replicates not a
 * positive integer, level outside (0, 1), seed not finite).
 *
 * @param units number of units to resample
 * @param statistic the statistic on a resample, given as unit indices (may repeat)
 * @param options replicates (default 1000), seed (default 1), level (default 0.95)
 * @returns [lower, upper], or null when undefined
 * @example
 * const xs = [1, 2, 3, 4, 5];
 * bootstrapInterval(xs.length, (ix) => ix.reduce((s, i) => s + xs[i]!, 0) / ix.length, { seed: 7 });
 */
export function bootstrapInterval(
  units: number,
  statistic: (indices: ReadonlyArray<number>) => number | null,
  options: { replicates?: number; seed?: number; level?: number },
): [number, number] | null {
  return bootstrapIntervalResult(units, statistic, options).interval;
}
