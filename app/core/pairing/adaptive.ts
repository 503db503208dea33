/**
 * Adaptive pairing for model comparisons: which model pairs the next round of comparisons
 * should go to, and whether the battles so far order the models with confidence. Pure and
 * seeded, no I/O (docs/decisions.md §23).
 *
 * The uncertainty of the Bradley–Terry ratings is taken from the fit's Fisher information (a
 * normal approximation), not a bootstrap: it is cheap enough to recompute for every comparison
 * a round hands out, and a comparison's effect on it is an exact rank-one update.
 *
 * Source: W.-L. Chiang et al. (2024), "Chatbot Arena: An Open Platform for Evaluating LLMs by
 * Human Preference", §5 (active sampling: sample the pair whose next comparison shrinks the
 * uncertainty most), here aimed at the order of neighbouring models on the leaderboard.
 */
import { seededRandom } from "../agreement/sampling";
import { bradleyTerry, type Battle } from "../ranking/bradley-terry";

/** Items per round of an adaptive batch when no round size is given. */
export const DEFAULT_ROUND_SIZE = 50;
/** Without a budget, an adaptive batch may use every (prompt, model pair) its dataset has, but at most this many rounds. */
export const DEFAULT_ROUNDS = 20;

/** The generator seed of an adaptive batch's round `round` (≥ 2) under the batch's seed: a golden-ratio step per round. */
export function roundSeed(seed: number, round: number): number {
  return (seed + Math.imul(round, 0x9e3779b9)) >>> 0;
}

/** One pair of models, `a` before `b` in the order the models were given. */
export interface ModelPair {
  a: string;
  b: string;
}

/** How many comparisons of a round go to one pair. */
export interface PairAllocation extends ModelPair {
  comparisons: number;
}

/** Every pair of distinct models, in the order [0,1], [0,2], …, [1,2], … of the given list. */
export function modelPairs(models: readonly string[]): ModelPair[] {
  const out: ModelPair[] = [];
  for (let i = 0; i < models.length; i++) for (let j = i + 1; j < models.length; j++) out.push({ a: models[i]!, b: models[j]! });
  return out;
}

/**
 * θ = log10 strength of every listed model from the {@link bradleyTerry} fit of the battles
 * (rating = 1000 + 400·θ). A model without a battle gets θ = 0, the mean; battles naming a
 * model that is not listed are ignored.
 */
export function fitStrengths(models: readonly string[], battles: ReadonlyArray<Battle>): Float64Array {
  const known = new Set(models);
  const fit = bradleyTerry(battles.filter((b) => known.has(b.a) && known.has(b.b)));
  return Float64Array.from(models, (model) => (fit && Object.hasOwn(fit.ratings, model) ? (fit.ratings[model]! - 1000) / 400 : 0));
}

/** Battles per pair of listed models, as a symmetric m×m matrix (row-major). */
export function battleCounts(models: readonly string[], battles: ReadonlyArray<Battle>): Float64Array {
  const index = new Map(models.map((model, i) => [model, i]));
  const m = models.length;
  const counts = new Float64Array(m * m);
  for (const battle of battles) {
    const i = index.get(battle.a);
    const j = index.get(battle.b);
    if (i === undefined || j === undefined || i === j) continue;
    counts[i * m + j]! += 1;
    counts[j * m + i]! += 1;
  }
  return counts;
}

/**
 * The Fisher information one battle between models of strengths θi and θj carries about
 * θi − θj under Bradley–Terry in base 10: (ln 10)²·p·(1 − p) with p = P(i ≻ j). A tie counts as
 * half a win to each side, as in the fit, so this treats it as a Bernoulli outcome of score ½
 * (its true information is a little higher; the approximation errs towards caution).
 */
export function battleInformation(thetaI: number, thetaJ: number): number {
  const p = 1 / (1 + 10 ** (thetaJ - thetaI));
  return Math.LN10 * Math.LN10 * p * (1 - p);
}

/**
 * A ridge on the information matrix: the information of a tenth of a virtual game per model.
 * The ratings are identified only up to a common shift, which the contrasts used here (θi − θj)
 * do not see; the ridge keeps the matrix invertible when some models never met (their
 * difference then has a very large variance, as it should) and is negligible against real data.
 */
const RIDGE = 0.1 * battleInformation(0, 0);

/**
 * The approximate covariance of the fitted θ: the inverse of the Fisher information of the
 * battles (Σ over pairs of count × {@link battleInformation}, as a graph Laplacian) plus
 * 1·1ᵀ/m, which fixes the common shift without changing the variance of any difference, plus
 * the small {@link RIDGE}. Row-major m×m. Normal approximation to the MLE; say so where used.
 */
export function ratingCovariance(theta: Float64Array, counts: Float64Array): Float64Array {
  const m = theta.length;
  const information = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) information[i * m + j] = 1 / m + (i === j ? RIDGE : 0);
  }
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const n = counts[i * m + j]!;
      if (n === 0) continue;
      const w = n * battleInformation(theta[i]!, theta[j]!);
      information[i * m + i]! += w;
      information[j * m + j]! += w;
      information[i * m + j]! -= w;
      information[j * m + i]! -= w;
    }
  }
  return invertSymmetric(information, m);
}

/** Gauss–Jordan inverse of a positive definite m×m matrix (row-major); m is a handful of models. */
function invertSymmetric(matrix: Float64Array, m: number): Float64Array {
  const a = Float64Array.from(matrix);
  const inverse = new Float64Array(m * m);
  for (let i = 0; i < m; i++) inverse[i * m + i] = 1;
  for (let col = 0; col < m; col++) {
    let pivot = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(a[r * m + col]!) > Math.abs(a[pivot * m + col]!)) pivot = r;
    if (pivot !== col) {
      for (let k = 0; k < m; k++) {
        [a[col * m + k], a[pivot * m + k]] = [a[pivot * m + k]!, a[col * m + k]!];
        [inverse[col * m + k], inverse[pivot * m + k]] = [inverse[pivot * m + k]!, inverse[col * m + k]!];
      }
    }
    const d = a[col * m + col]!;
    for (let k = 0; k < m; k++) {
      a[col * m + k]! /= d;
      inverse[col * m + k]! /= d;
    }
    for (let r = 0; r < m; r++) {
      if (r === col) continue;
      const f = a[r * m + col]!;
      if (f === 0) continue;
      for (let k = 0; k < m; k++) {
        a[r * m + k]! -= f * a[col * m + k]!;
        inverse[r * m + k]! -= f * inverse[col * m + k]!;
      }
    }
  }
  return inverse;
}

/** var(θi − θj) from a covariance matrix. */
function differenceVariance(cov: Float64Array, m: number, i: number, j: number): number {
  return cov[i * m + i]! + cov[j * m + j]! - 2 * cov[i * m + j]!;
}

/** Standard normal CDF Φ (Abramowitz & Stegun 7.1.26 for erf; absolute error < 1.5·10⁻⁷). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Standard normal quantile Φ⁻¹(p) for p in (0, 1) (P. J. Acklam's rational approximation,
 * relative error < 1.2·10⁻⁹): 1.959964 for 0.975.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    const x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
    return p < low ? x : -x;
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** One neighbouring pair of a claimed order, and how sure the battles are of it. */
export interface OrderedPair {
  /** The model claimed stronger, and the next one down. */
  higher: string;
  lower: string;
  /** θ(higher) − θ(lower) on the rating scale (400·log10), from the fit. */
  difference: number;
  /** Its standard error on the rating scale (normal approximation from the Fisher information). */
  standardError: number;
  /** The confidence interval for the difference on the rating scale. */
  interval: [number, number];
  /** The interval lies wholly above 0: the battles order this pair as claimed, with confidence. */
  confident: boolean;
}

/**
 * Whether the battles order `order` (strongest first) with confidence: for every neighbouring
 * pair, the `level` (default 0.95) confidence interval for the rating difference of the
 * claimed-higher model minus the next one, d ± z·se, excludes 0 on the positive side.
 *
 * Definition: d from the {@link bradleyTerry} fit; se = 400·√var(θi − θj) from the inverse
 * Fisher information ({@link ratingCovariance}), i.e. a Wald interval, a normal approximation;
 * z = Φ⁻¹((1 + level)/2). A pair that never met and has no path of battles between its models
 * has an enormous se and is never confident. Two-sided interval, so each pair is checked at the
 * level given; no correction for the m − 1 pairs checked together.
 *
 * @param order two or more models, strongest first
 * @returns `ordered` (every neighbouring pair confident) and each pair's figures, in order
 */
export function orderConfidence(
  order: readonly string[],
  battles: ReadonlyArray<Battle>,
  level = 0.95,
): { ordered: boolean; pairs: OrderedPair[] } {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  const theta = fitStrengths(order, battles);
  const cov = ratingCovariance(theta, battleCounts(order, battles));
  const z = normalQuantile((1 + level) / 2);
  const m = order.length;
  const pairs: OrderedPair[] = [];
  for (let k = 0; k + 1 < m; k++) {
    const difference = 400 * (theta[k]! - theta[k + 1]!);
    const standardError = 400 * Math.sqrt(Math.max(0, differenceVariance(cov, m, k, k + 1)));
    const interval: [number, number] = [difference - z * standardError, difference + z * standardError];
    pairs.push({ higher: order[k]!, lower: order[k + 1]!, difference, standardError, interval, confident: interval[0] > 0 });
  }
  return { ordered: pairs.every((p) => p.confident), pairs };
}

/**
 * `total` comparisons spread as evenly as possible over `pairs`: each gets ⌊total/P⌋, and the
 * remainder goes one each to pairs drawn at random (seeded). The first round of an adaptive
 * batch, when no battle says anything yet.
 */
export function evenSpread(pairs: readonly ModelPair[], total: number, random: () => number): PairAllocation[] {
  const base = Math.floor(total / pairs.length);
  const extra = new Set(shuffle(pairs.length, random).slice(0, total - base * pairs.length));
  return pairs.map((pair, p) => ({ ...pair, comparisons: base + (extra.has(p) ? 1 : 0) }));
}

function shuffle(n: number, random: () => number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

export interface AdaptiveOptions {
  /** The generator's seed (default 1): the same battles, models, size and seed give the same round. */
  seed?: number;
  /**
   * The share of the round (default 0.1, rounded down) that goes, one comparison at a time, to
   * the pair with the fewest battles so far (ties drawn at random), so that no pair starves even
   * when the fit is confidently wrong about it.
   */
  exploration?: number;
  /** Only these pairs may be given comparisons (e.g. those with prompts left); default every pair. */
  available?: readonly ModelPair[];
}

/**
 * How the next `size` comparisons should be spread over the pairs of `models`, given the
 * battles so far.
 *
 * Definition: with no battle among the models, an {@link evenSpread}. Otherwise the ratings θ
 * are fitted ({@link fitStrengths}) with their covariance C ({@link ratingCovariance}), the
 * models are ordered by θ, and each neighbouring pair k of that order gets the weight
 * wₖ = Φ(−|dₖ|/seₖ), the normal-approximation chance that the order of those two is wrong.
 * The exploration share goes first, each to the least-compared pair. Then, one comparison at a
 * time, the comparison goes to the pair u = (i, j) with the largest expected gain
 *   Σₖ wₖ · Δvarₖ(u) / varₖ,   Δvarₖ(u) = v·(cₖᵀ C u)² / (1 + v·uᵀ C u),
 * where cₖ is neighbouring pair k's contrast, u = eᵢ − eⱼ and v = {@link battleInformation}:
 * the exact relative reduction of varₖ one more battle on u brings (Sherman–Morrison), so each
 * pick updates C and the next pick sees diminishing returns. Ties go to the pair listed first.
 * This is Chatbot Arena's active sampling (pick the pair whose comparison shrinks the
 * uncertainty most), aimed at the leaderboard's order: uncertainty about a neighbouring pair
 * that is clearly ordered is worth little, about two close models much.
 *
 * @param models the models to compare (three or more is when this matters; two get everything)
 * @param size comparisons in the round, a whole number ≥ 0
 * @returns one allocation per pair (in {@link modelPairs} order, or `available`'s), comparisons summing to size
 * @throws {RangeError} on a size that is not a whole number ≥ 0, or exploration outside [0, 1]
 */
export function chooseAdaptivePairs(
  models: readonly string[],
  battles: ReadonlyArray<Battle>,
  size: number,
  options: AdaptiveOptions = {},
): PairAllocation[] {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`size must be a whole number ≥ 0, got ${size}`);
  const exploration = options.exploration ?? 0.1;
  if (!(exploration >= 0 && exploration <= 1)) throw new RangeError(`exploration must be in [0, 1], got ${exploration}`);
  const random = seededRandom(options.seed ?? 1);
  const index = new Map(models.map((model, i) => [model, i]));
  const pairs = (options.available ?? modelPairs(models)).filter((p) => index.has(p.a) && index.has(p.b) && p.a !== p.b);
  if (pairs.length === 0) return [];
  const m = models.length;
  const counts = battleCounts(models, battles);
  let seen = 0;
  for (let k = 0; k < counts.length; k++) seen += counts[k]!;
  if (seen === 0) return evenSpread(pairs, size, random);

  const theta = fitStrengths(models, battles);
  const cov = ratingCovariance(theta, counts);
  const given = new Float64Array(pairs.length);
  const ends = pairs.map((p) => [index.get(p.a)!, index.get(p.b)!] as const);

  // Exploration: to the least-compared pairs, counting what this round already gave them.
  const explore = Math.floor(size * exploration);
  const order = shuffle(pairs.length, random);
  for (let n = 0; n < explore; n++) {
    let best = -1;
    let fewest = Infinity;
    for (const p of order) {
      const [i, j] = ends[p]!;
      const have = counts[i * m + j]! + given[p]!;
      if (have < fewest) [best, fewest] = [p, have];
    }
    given[best]! += 1;
  }
  // The exploration comparisons inform the greedy picks too.
  for (let p = 0; p < pairs.length; p++) if (given[p]! > 0) addBattles(cov, m, ends[p]![0], ends[p]![1], given[p]! * battleInformation(theta[ends[p]![0]]!, theta[ends[p]![1]]!));

  // Neighbouring pairs of the fitted order and how likely each is to be the wrong way round.
  const ranked = Array.from({ length: m }, (_, i) => i).sort((x, y) => theta[y]! - theta[x]! || x - y);
  const neighbours = ranked.slice(0, -1).map((hi, k) => {
    const lo = ranked[k + 1]!;
    const variance = differenceVariance(cov, m, hi, lo);
    return { hi, lo, weight: normalCdf(-Math.abs(theta[hi]! - theta[lo]!) / Math.sqrt(variance)) };
  });
  const cu = new Float64Array(m);
  for (let n = explore; n < size; n++) {
    let best = 0;
    let bestGain = -Infinity;
    for (let p = 0; p < pairs.length; p++) {
      const [i, j] = ends[p]!;
      const v = battleInformation(theta[i]!, theta[j]!);
      for (let r = 0; r < m; r++) cu[r] = cov[r * m + i]! - cov[r * m + j]!;
      const uCu = cu[i]! - cu[j]!;
      let gain = 0;
      for (const { hi, lo, weight } of neighbours) {
        const along = cu[hi]! - cu[lo]!;
        gain += (weight * (v * along * along)) / (1 + v * uCu) / differenceVariance(cov, m, hi, lo);
      }
      if (gain > bestGain) [best, bestGain] = [p, gain];
    }
    given[best]! += 1;
    addBattles(cov, m, ends[best]![0], ends[best]![1], battleInformation(theta[ends[best]![0]]!, theta[ends[best]![1]]!));
  }
  return pairs.map((pair, p) => ({ a: pair.a, b: pair.b, comparisons: given[p]! }));
}

/** C ← (C⁻¹ + v·u uᵀ)⁻¹ for u = eᵢ − eⱼ, in place (Sherman–Morrison): v worth of information on pair (i, j). */
function addBattles(cov: Float64Array, m: number, i: number, j: number, v: number): void {
  const cu = new Float64Array(m);
  for (let r = 0; r < m; r++) cu[r] = cov[r * m + i]! - cov[r * m + j]!;
  const scale = v / (1 + v * (cu[i]! - cu[j]!));
  for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) cov[r * m + c]! -= scale * cu[r]! * cu[c]!;
}

/**
 * A round's allocation cut to what each pair can still take (`capacity[p]`, e.g. prompts with
 * both models' responses not yet used for that pair), the cut comparisons handed out one at a
 * time, round-robin over the pairs that still have room, the most-given pair first: the round
 * keeps its size whenever the pairs together have room for it.
 */
export function fitToCapacity(allocation: readonly PairAllocation[], capacity: readonly number[]): PairAllocation[] {
  const out = allocation.map((p, i) => ({ ...p, comparisons: Math.min(p.comparisons, Math.max(0, capacity[i] ?? 0)) }));
  let spare = allocation.reduce((sum, p, i) => sum + p.comparisons - out[i]!.comparisons, 0);
  const order = allocation.map((_, i) => i).sort((x, y) => allocation[y]!.comparisons - allocation[x]!.comparisons || x - y);
  while (spare > 0) {
    let moved = false;
    for (const i of order) {
      if (spare === 0) break;
      if (out[i]!.comparisons < (capacity[i] ?? 0)) {
        out[i]!.comparisons++;
        spare--;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return out;
}
