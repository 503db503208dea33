/**
 * Seeded percentile bootstrap over units (DESIGN.md §4: "Bootstrap confidence intervals by
 * resampling items (seeded, reproducible)"). Pure: the only randomness is the seeded PRNG.
 */

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
 * A seeded pseudo-random generator: returns a function that yields uniform numbers in [0, 1),
 * the same sequence for the same seed. Algorithm: Mulberry32 (Tommy Ettinger, 2017), a 32-bit
 * state generator with period 2³²; plenty for resampling, not for cryptography.
 *
 * @param seed any number; its value as an unsigned 32-bit integer (`seed >>> 0`) is the state
 * @returns a generator of numbers in [0, 1)
 * @example
 * const random = seededRandom(42);
 * random(); // same first number on every run
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The p-quantile of ascending `sorted` values by linear interpolation between order statistics
 * (Hyndman & Fan 1996, definition 7; the default of R's `quantile` and NumPy's `percentile`).
 */
export function quantileSorted(sorted: ReadonlyArray<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  const above = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return below + (h - lo) * (above - below);
}

/** {@link bootstrapInterval} with the count of defined replicates and the reason for a null. */
export function bootstrapIntervalResult(
  units: number,
  statistic: (indices: ReadonlyArray<number>) => number | null,
  options: BootstrapOptions,
): BootstrapResult {
  const replicates = options.replicates ?? DEFAULT_REPLICATES;
  const level = options.level ?? DEFAULT_LEVEL;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(units) || units < 0) throw new RangeError(`units must be a non-negative integer, got ${units}`);
  if (!Number.isInteger(replicates) || replicates < 1) throw new RangeError(`replicates must be a positive integer, got ${replicates}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  if (units === 0) return { interval: null, reason: "there are no units to resample", defined: 0, replicates };

  const random = seededRandom(seed);
  const values: number[] = [];
  const indices = new Array<number>(units);
  for (let r = 0; r < replicates; r++) {
    for (let i = 0; i < units; i++) indices[i] = Math.floor(random() * units);
    const value = statistic(indices.slice());
    if (value !== null && Number.isFinite(value)) values.push(value);
  }
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
