/**
 * Seeded random variates for the bootstraps: uniform numbers, binomial and multinomial counts.
 * Pure: the only state is the generator handed in.
 *
 * Why hand-written: the one maintained JavaScript binomial sampler with a pluggable seeded
 * generator (@stdlib/random-base-binomial) installs 227 packages; the two classic algorithms
 * below are short, and their tests check the distributions they draw from.
 */

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

/** A standard normal variate by the Box–Muller transform (1 − u is in (0, 1], so its log is finite). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * A Gamma(shape, 1) variate for shape ≥ 1: Marsaglia, G. & Tsang, W. W. (2000), "A simple
 * method for generating gamma variables", ACM TOMS 26(3), 363–372 (squeeze and log tests).
 */
function gamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Below this many trials the binomial is drawn by inversion, at most n · p ≤ 32 steps on average. */
const INVERSION_TRIALS = 64;

/**
 * A Binomial(n, p) variate: the number of successes in n independent trials of probability p.
 *
 * Algorithm: for large n, Knuth's order-statistic splitting (The Art of Computer Programming,
 * vol. 2, 3rd ed., §3.4.1, algorithm for the binomial distribution after Relles 1972): the a-th
 * smallest of n uniforms, a = 1 + ⌊n/2⌋, is X ~ Beta(a, n + 1 − a) (drawn as G_a / (G_a + G_b)
 * from two gamma variates); if X ≥ p, the successes are those of the a − 1 uniforms below X,
 * Binomial(a − 1, p / X); otherwise the a uniforms up to X all succeed and the rest is
 * Binomial(n − a, (p − X) / (1 − X)). Each split halves n, so about log₂(n / 64) splits. For n
 * ≤ 64, inversion by sequential search over the probability mass function, f(0) = (1 − p)ⁿ,
 * f(k + 1) = f(k) · (n − k) / (k + 1) · p / (1 − p), on min(p, 1 − p) so that f(0) ≥ 2⁻⁶⁴
 * (Devroye, L. (1986), Non-Uniform Random Variate Generation, §X.4).
 *
 * Exact in distribution up to floating-point rounding; deterministic for a seeded `random`.
 *
 * @param n trials, a non-negative integer
 * @param p success probability; values ≤ 0 give 0 and ≥ 1 give n
 * @param random uniform numbers in [0, 1), e.g. {@link seededRandom}
 * @returns an integer in 0..n
 * @throws {RangeError} when n is not a non-negative integer or p is NaN
 * @example
 * binomialSample(100, 0.25, seededRandom(1)); // about 25
 */
export function binomialSample(n: number, p: number, random: () => number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (Number.isNaN(p)) throw new RangeError("p must be a number, got NaN");
  let trials = n;
  let prob = p;
  let successes = 0;
  while (trials > INVERSION_TRIALS && prob > 0 && prob < 1) {
    const a = 1 + Math.floor(trials / 2);
    const b = trials + 1 - a;
    const ga = gamma(a, random);
    const x = ga / (ga + gamma(b, random));
    if (x >= prob) {
      trials = a - 1;
      prob /= x;
    } else {
      successes += a;
      trials = b - 1;
      prob = (prob - x) / (1 - x);
    }
  }
  if (trials === 0 || prob <= 0) return successes;
  if (prob >= 1) return successes + trials;
  const flip = prob > 0.5;
  const q = flip ? 1 - prob : prob;
  const ratio = q / (1 - q);
  let f = (1 - q) ** trials;
  let u = random();
  let k = 0;
  // The mass sums to 1 but its floating-point partial sums may stop just short of u: k then
  // stays at trials, the largest value.
  while (u >= f && k < trials) {
    u -= f;
    f *= (ratio * (trials - k)) / (k + 1);
    k++;
  }
  return successes + (flip ? trials - k : k);
}

/**
 * Multinomial counts: how many of `draws` draws with replacement from a population fall in each
 * group, when group g holds `sizes[g]` of its members (each member equally likely). The same
 * distribution as drawing `draws` members one by one and counting their groups, at the cost of
 * one binomial per group: counts[g] ~ Binomial(draws left, sizes[g] / members left) in turn
 * (the conditional method; Devroye 1986, §XI.1).
 *
 * @param draws how many draws, a non-negative integer
 * @param sizes the members of each group, non-negative; their sum must be positive when draws > 0
 * @param random uniform numbers in [0, 1), e.g. {@link seededRandom}
 * @param counts receives the count of each group (length ≥ sizes.length); it is overwritten
 * @returns `counts`
 * @throws {RangeError} for a negative or non-finite size, or draws > 0 from an empty population
 */
export function multinomialSample(draws: number, sizes: ArrayLike<number>, random: () => number, counts: Int32Array): Int32Array {
  let members = 0;
  for (let g = 0; g < sizes.length; g++) {
    const size = sizes[g]!;
    if (!(size >= 0 && Number.isFinite(size))) throw new RangeError(`group ${g} has an invalid size (${size})`);
    members += size;
  }
  if (draws > 0 && members === 0) throw new RangeError("cannot draw from an empty population");
  counts.fill(0, 0, sizes.length);
  let left = draws;
  for (let g = 0; g < sizes.length && left > 0; g++) {
    const size = sizes[g]!;
    if (size === 0) continue;
    // The last group holding members takes every draw left (its probability is 1 up to rounding).
    const count = size >= members ? left : binomialSample(left, size / members, random);
    counts[g] = count;
    left -= count;
    members -= size;
  }
  return counts;
}
