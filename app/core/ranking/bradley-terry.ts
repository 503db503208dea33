/**
 * Bradley–Terry ratings from pairwise battles, with bootstrap intervals and a win-rate matrix
 * (DESIGN.md §4). Pure: no I/O; the bootstrap's randomness comes from the seeded samplers the
 * agreement bootstrap uses.
 */
import { quantileSorted } from "../agreement/bootstrap";
import { multinomialSample, seededRandom } from "../agreement/sampling";

/** One comparison between models `a` and `b`: which side won, or a tie. */
export interface Battle {
  a: string;
  b: string;
  winner: "a" | "b" | "tie";
}

/**
 * The prior: every model is credited with this many virtual games against one virtual
 * opponent, each scored as a tie (half a win, half a loss). It keeps the maximum-likelihood
 * problem well posed when a model never wins, never loses, or the comparison graph is not
 * connected, and is small enough to be negligible with real data (300–100 in 400 battles gives
 * a gap of 190.54 instead of 400·log10 3 = 190.85).
 */
const PRIOR_GAMES = 1;

const DEFAULT_ITERATIONS = 10_000;
const DEFAULT_TOLERANCE = 1e-9;

/** A battle reduced to indices: the pair, and the score of the pair's first model (1, ½ or 0). */
interface Encoded {
  models: string[];
  /** For each distinct pair: its two model indices (first < second). */
  pairFirst: number[];
  pairSecond: number[];
  /** For each valid battle: its pair index and the score of that pair's first model. */
  battlePair: Int32Array;
  battleScore: Float64Array;
  /** For each valid battle: its outcome, one of the distinct (pair, score) combinations below. */
  battleOutcome: Int32Array;
  outcomePair: number[];
  outcomeScore: number[];
}

function scoreOf(winner: Battle["winner"]): number {
  if (winner === "a") return 1;
  if (winner === "b") return 0;
  if (winner === "tie") return 0.5;
  throw new RangeError(`winner must be "a", "b" or "tie", got ${String(winner)}`);
}

/** Index models (in order of first appearance) and pairs; battles of a model with itself are dropped. */
function encode(battles: ReadonlyArray<Battle>): Encoded {
  const modelIndex = new Map<string, number>();
  const models: string[] = [];
  const indexOf = (id: string) => {
    let i = modelIndex.get(id);
    if (i === undefined) {
      i = models.length;
      modelIndex.set(id, i);
      models.push(id);
    }
    return i;
  };
  // pairIndex[first].get(second) and outcomeIndex[pair].get(score): indices in order of first appearance.
  const pairIndex: Array<Map<number, number>> = [];
  const pairFirst: number[] = [];
  const pairSecond: number[] = [];
  const pairs: number[] = [];
  const scores: number[] = [];
  const outcomeIndex: Array<Map<number, number>> = [];
  const outcomePair: number[] = [];
  const outcomeScore: number[] = [];
  const outcomes: number[] = [];
  for (const battle of battles) {
    const score = scoreOf(battle.winner);
    if (battle.a === battle.b) continue;
    const a = indexOf(battle.a);
    const b = indexOf(battle.b);
    const first = Math.min(a, b);
    const second = Math.max(a, b);
    const byFirst = (pairIndex[first] ??= new Map());
    let p = byFirst.get(second);
    if (p === undefined) {
      p = pairFirst.length;
      byFirst.set(second, p);
      pairFirst.push(first);
      pairSecond.push(second);
      outcomeIndex.push(new Map());
    }
    const firstScore = a === first ? score : 1 - score;
    const byScore = outcomeIndex[p]!;
    let o = byScore.get(firstScore);
    if (o === undefined) {
      o = outcomePair.length;
      byScore.set(firstScore, o);
      outcomePair.push(p);
      outcomeScore.push(firstScore);
    }
    pairs.push(p);
    scores.push(firstScore);
    outcomes.push(o);
  }
  return {
    models,
    pairFirst,
    pairSecond,
    battlePair: Int32Array.from(pairs),
    battleScore: Float64Array.from(scores),
    battleOutcome: Int32Array.from(outcomes),
    outcomePair,
    outcomeScore,
  };
}

/**
 * Fit by Hunter's MM iteration on the data augmented with the virtual opponent (index m).
 * `pairCount[p]` is the number of battles of pair p, `wins[i]` model i's wins with ties as ½.
 * Returns θ = log10 strength for the m real models, with mean θ = 0.
 */
function fitLog10(
  m: number,
  pairFirst: readonly number[],
  pairSecond: readonly number[],
  pairCount: Float64Array,
  wins: Float64Array,
  iterations: number,
  tolerance: number,
  start?: Float64Array,
): Float64Array {
  const size = m + 1;
  const w = new Float64Array(size);
  for (let i = 0; i < m; i++) w[i] = (wins[i] ?? 0) + PRIOR_GAMES / 2;
  w[m] = (m * PRIOR_GAMES) / 2;
  // Strengths γ; the warm start (if any) is in log10 for the real models, the virtual one at 1.
  let gamma = new Float64Array(size).fill(1);
  if (start) for (let i = 0; i < m; i++) gamma[i] = 10 ** (start[i] ?? 0);
  let next = new Float64Array(size);
  const denom = new Float64Array(size);
  const tol = tolerance * Math.LN10; // θ is log10; the test below is in natural log
  for (let iter = 0; iter < iterations; iter++) {
    denom.fill(0);
    for (let p = 0; p < pairFirst.length; p++) {
      const count = pairCount[p] ?? 0;
      if (count === 0) continue;
      const i = pairFirst[p]!;
      const j = pairSecond[p]!;
      const s = count / (gamma[i]! + gamma[j]!);
      denom[i]! += s;
      denom[j]! += s;
    }
    const g = gamma[m]!;
    for (let i = 0; i < m; i++) {
      const s = PRIOR_GAMES / (gamma[i]! + g);
      denom[i]! += s;
      denom[m]! += s;
    }
    let logSum = 0;
    for (let i = 0; i < size; i++) {
      const value = w[i]! / denom[i]!;
      next[i] = value;
      if (i < m) logSum += Math.log(value);
    }
    // Normalize so that the real models' log strengths average 0 (the likelihood is scale-free).
    const scale = Math.exp(-logSum / m);
    let change = 0;
    for (let i = 0; i < size; i++) {
      next[i]! *= scale;
      change = Math.max(change, Math.abs(Math.log(next[i]! / gamma[i]!)));
    }
    [gamma, next] = [next, gamma];
    if (change < tol) break;
  }
  const theta = new Float64Array(m);
  let mean = 0;
  for (let i = 0; i < m; i++) mean += (theta[i] = Math.log10(gamma[i]!));
  mean /= m;
  for (let i = 0; i < m; i++) theta[i]! -= mean;
  return theta;
}

function readOptions(options: { iterations?: number; tolerance?: number } | undefined): { iterations: number; tolerance: number } {
  const iterations = options?.iterations ?? DEFAULT_ITERATIONS;
  const tolerance = options?.tolerance ?? DEFAULT_TOLERANCE;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a whole number ≥ 1, got ${iterations}`);
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be > 0, got ${tolerance}`);
  return { iterations, tolerance };
}

/** Counts per pair and wins per model of all battles. */
function tally(encoded: Encoded): { pairCount: Float64Array; wins: Float64Array } {
  const pairCount = new Float64Array(encoded.pairFirst.length);
  const wins = new Float64Array(encoded.models.length);
  for (let k = 0; k < encoded.battlePair.length; k++) {
    const p = encoded.battlePair[k]!;
    const score = encoded.battleScore[k]!;
    pairCount[p]! += 1;
    wins[encoded.pairFirst[p]!]! += score;
    wins[encoded.pairSecond[p]!]! += 1 - score;
  }
  return { pairCount, wins };
}

/**
 * Counts per pair and wins per model of a resample given as how many of its battles have each
 * outcome. The same as adding the resampled battles one by one: every score is 0, ½ or 1, so
 * every partial sum is a multiple of ½ below 2⁵³ and exact, in any order.
 */
function tallyOutcomes(encoded: Encoded, outcomeCounts: Int32Array): { pairCount: Float64Array; wins: Float64Array } {
  const pairCount = new Float64Array(encoded.pairFirst.length);
  const wins = new Float64Array(encoded.models.length);
  for (let o = 0; o < outcomeCounts.length; o++) {
    const count = outcomeCounts[o]!;
    if (count === 0) continue;
    const p = encoded.outcomePair[o]!;
    const score = encoded.outcomeScore[o]!;
    pairCount[p]! += count;
    wins[encoded.pairFirst[p]!]! += count * score;
    wins[encoded.pairSecond[p]!]! += count * (1 - score);
  }
  return { pairCount, wins };
}

const toRating = (theta: number) => 1000 + 400 * theta;

/**
 * Bradley–Terry ratings on an Elo-like scale.
 *
 * Definition: the Bradley–Terry model P(a ≻ b) = γ_a / (γ_a + γ_b), fitted by maximum
 * likelihood with Hunter's MM iteration γ_i ← W_i / Σ_j N_ij / (γ_i + γ_j), where W_i is model
 * i's number of wins with each tie counted as half a win to each side and N_ij the number of
 * battles between i and j. With θ = log10 γ normalised to Σθ = 0, the rating is
 * R = 1000 + 400·θ, so P(a ≻ b) = 1 / (1 + 10^((R_b − R_a)/400)) and the mean rating is 1000.
 *
 * Prior: every model also plays one virtual game against a virtual opponent (whose strength is
 * fitted along with the others and which is not reported), scored as a tie. This guarantees a
 * unique finite fit when a model never wins or never loses, or when the models fall into groups
 * that never met (Hunter's connectivity condition then holds), and shrinks ratings very slightly
 * towards the mean: two models at 300–100 over 400 battles are 190.54 apart instead of
 * 400·log10 3 = 190.85.
 *
 * Battles of a model against itself are ignored. Iteration stops when no θ changes by more than
 * `tolerance` in one step (default 1e-9, i.e. 4e-7 rating points) or after `iterations` steps
 * (default 10 000); the estimate at that point is returned.
 *
 * Source: R. A. Bradley & M. E. Terry (1952), "Rank Analysis of Incomplete Block Designs";
 * D. R. Hunter (2004), "MM algorithms for generalized Bradley–Terry models", Ann. Statist.
 * 32(1), eq. (3); the 400/1000 scale as in Chatbot Arena (Chiang et al. 2024).
 *
 * Undefined: null when there is no battle between two different models.
 *
 * @returns `ratings[model]` for every model that appears in a battle with another model, in
 *   order of first appearance
 * @throws {RangeError} on a winner other than "a", "b" or "tie", or invalid options
 * @example bradleyTerry([{ a: "x", b: "y", winner: "tie" }]) // { ratings: { x: 1000, y: 1000 } }
 */
export function bradleyTerry(
  battles: ReadonlyArray<Battle>,
  options?: { iterations?: number; tolerance?: number },
): { ratings: Record<string, number> } | null {
  const { iterations, tolerance } = readOptions(options);
  const encoded = encode(battles);
  if (encoded.battlePair.length === 0) return null;
  const { pairCount, wins } = tally(encoded);
  const theta = fitLog10(encoded.models.length, encoded.pairFirst, encoded.pairSecond, pairCount, wins, iterations, tolerance);
  // Object.fromEntries defines own properties, so even a model named "__proto__" is kept.
  return { ratings: Object.fromEntries(encoded.models.map((model, i) => [model, toRating(theta[i]!)])) };
}

/**
 * Bootstrap percentile confidence intervals for the {@link bradleyTerry} ratings.
 *
 * Definition: draw `replicates` resamples of the battles, each of the same size as the data,
 * with replacement (drawn as how many battles of each outcome, a pair of models and its score,
 * the resample holds: multinomial counts, see {@link multinomialSample}); fit the Bradley–Terry ratings (same prior, scale and stopping rule) on each;
 * the interval for a model is the ((1 − level)/2, (1 + level)/2) quantiles of its replicate
 * ratings, with linear interpolation between order statistics (Hyndman & Fan type 7, numpy's
 * default). Every replicate rates every model of the full data, so all replicates share the
 * same mean-1000 normalisation; a model absent from a resample is rated from the prior alone
 * (near the mean), which widens the interval of rarely seen models, as it should.
 *
 * Reproducible: the same battles (in the same order), replicates and seed give the same
 * intervals. The seed is taken modulo 2³² (default 0); replicates defaults to 1000 and level
 * to 0.95. Each replicate starts the iteration from the full-data fit.
 *
 * Source: B. Efron & R. Tibshirani (1993), "An Introduction to the Bootstrap", ch. 13
 * (percentile interval); the battle bootstrap as in Chatbot Arena (Chiang et al. 2024).
 *
 * Undefined: an empty record when there is no battle between two different models.
 *
 * @returns `[lower, upper]` per model, in order of first appearance
 * @throws {RangeError} when replicates is not a whole number ≥ 1, level is not in (0, 1), seed
 *   is not finite, or a winner is invalid
 */
export function bootstrapRatings(
  battles: ReadonlyArray<Battle>,
  options: { replicates?: number; seed?: number; level?: number } = {},
): Record<string, [number, number]> {
  const replicates = options.replicates ?? 1000;
  const seed = options.seed ?? 0;
  const level = options.level ?? 0.95;
  if (!Number.isInteger(replicates) || replicates < 1) throw new RangeError(`replicates must be a whole number ≥ 1, got ${replicates}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be in (0, 1), got ${level}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const encoded = encode(battles);
  const n = encoded.battlePair.length;
  if (n === 0) return {};
  const m = encoded.models.length;
  const full = tally(encoded);
  const start = fitLog10(m, encoded.pairFirst, encoded.pairSecond, full.pairCount, full.wins, DEFAULT_ITERATIONS, DEFAULT_TOLERANCE);
  const draws = Array.from({ length: m }, () => new Float64Array(replicates));
  // A resample of the n battles, as how many of its battles have each outcome: Multinomial(n;
  // share of each outcome), the distribution of the outcome counts of n battles drawn one by one.
  const outcomeSizes = new Int32Array(encoded.outcomePair.length);
  for (let k = 0; k < n; k++) outcomeSizes[encoded.battleOutcome[k]!]! += 1;
  const outcomeCounts = new Int32Array(outcomeSizes.length);
  const random = seededRandom(seed);
  for (let r = 0; r < replicates; r++) {
    multinomialSample(n, outcomeSizes, random, outcomeCounts);
    const { pairCount, wins } = tallyOutcomes(encoded, outcomeCounts);
    const theta = fitLog10(m, encoded.pairFirst, encoded.pairSecond, pairCount, wins, DEFAULT_ITERATIONS, DEFAULT_TOLERANCE, start);
    for (let i = 0; i < m; i++) draws[i]![r] = toRating(theta[i]!);
  }
  const alpha = (1 - level) / 2;
  return Object.fromEntries(
    encoded.models.map((model, i): [string, [number, number]] => {
      const sorted = draws[i]!.sort(); // typed arrays sort numerically
      return [model, [quantileSorted(sorted, alpha), quantileSorted(sorted, 1 - alpha)]];
    }),
  );
}

/**
 * Pairwise win rates and per-model battle counts.
 *
 * Definition: `matrix[a][b]` is the share of the battles between a and b that a won, each tie
 * counting half: (wins + ½·ties) / battles, so `matrix[a][b] + matrix[b][a] = 1` whenever they
 * met. `battles[a]` counts a's battles, wins, ties and losses over all opponents. Battles of a
 * model against itself are ignored.
 *
 * Source: the win-fraction matrix shown beside Chatbot Arena ratings (Chiang et al. 2024).
 *
 * Undefined: `matrix[a][b]` is null when a and b never met (always on the diagonal). Both
 * records are empty when there is no battle between two different models.
 *
 * @returns a square matrix over every model that appears, rows and columns in order of first
 *   appearance, and the per-model counts
 * @throws {RangeError} on a winner other than "a", "b" or "tie"
 */
export function winRates(battles: ReadonlyArray<Battle>): {
  matrix: Record<string, Record<string, number | null>>;
  battles: Record<string, { battles: number; wins: number; ties: number; losses: number }>;
} {
  const encoded = encode(battles);
  const { models } = encoded;
  const m = models.length;
  const met = new Float64Array(m * m);
  const scored = new Float64Array(m * m);
  const counts = models.map(() => ({ battles: 0, wins: 0, ties: 0, losses: 0 }));
  for (let k = 0; k < encoded.battlePair.length; k++) {
    const p = encoded.battlePair[k]!;
    const i = encoded.pairFirst[p]!;
    const j = encoded.pairSecond[p]!;
    const score = encoded.battleScore[k]!;
    met[i * m + j]! += 1;
    met[j * m + i]! += 1;
    scored[i * m + j]! += score;
    scored[j * m + i]! += 1 - score;
    const ci = counts[i]!;
    const cj = counts[j]!;
    ci.battles++;
    cj.battles++;
    if (score === 0.5) {
      ci.ties++;
      cj.ties++;
    } else if (score === 1) {
      ci.wins++;
      cj.losses++;
    } else {
      ci.losses++;
      cj.wins++;
    }
  }
  const matrix = Object.fromEntries(
    models.map((a, i) => [
      a,
      Object.fromEntries(
        models.map((b, j): [string, number | null] => {
          const count = met[i * m + j]!;
          return [b, count === 0 ? null : scored[i * m + j]! / count];
        }),
      ),
    ]),
  );
  return { matrix, battles: Object.fromEntries(models.map((a, i) => [a, counts[i]!])) };
}
