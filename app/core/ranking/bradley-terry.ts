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
 * The prior of the regularised fit, used only where the maximum-likelihood estimate does not
 * exist: every model is credited with this many virtual games against one virtual opponent,
 * each scored as a tie (half a win, half a loss). It keeps the problem well posed when a model
 * never wins, never loses, or the comparison graph is not connected, and is small enough to be
 * negligible with real data (300–100 in 400 battles gives a gap of 190.54 instead of
 * 400·log10 3 = 190.85).
 */
const PRIOR_GAMES = 1;

/** How the ratings were fitted: the plain maximum-likelihood estimate, or with the virtual-tie prior. */
export type FitMethod = "mle" | "regularized";

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
 * Fit by Hunter's MM iteration γ_i ← W_i / Σ_j N_ij / (γ_i + γ_j). `pairCount[p]` is the
 * number of battles of pair p, `wins[i]` model i's wins with ties as ½. With `priorGames` > 0
 * the data are augmented with the virtual opponent (index m) that every model meets
 * `priorGames` times for a tie each; with 0 this is the plain maximum-likelihood fit, which
 * converges only where the estimate exists (see {@link mleExists}). Returns θ = log10 strength
 * for the m real models, with mean θ = 0.
 */
function fitLog10(
  m: number,
  pairFirst: readonly number[],
  pairSecond: readonly number[],
  pairCount: Float64Array,
  wins: Float64Array,
  priorGames: number,
  iterations: number,
  tolerance: number,
  start?: Float64Array,
): Float64Array {
  const virtual = priorGames > 0;
  const size = virtual ? m + 1 : m;
  const w = new Float64Array(size);
  for (let i = 0; i < m; i++) w[i] = (wins[i] ?? 0) + priorGames / 2;
  if (virtual) w[m] = (m * priorGames) / 2;
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
    if (virtual) {
      const g = gamma[m]!;
      for (let i = 0; i < m; i++) {
        const s = priorGames / (gamma[i]! + g);
        denom[i]! += s;
        denom[m]! += s;
      }
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

/**
 * Whether the maximum-likelihood Bradley–Terry estimate exists for these counts, and if not,
 * why. It exists (finite and unique up to the common shift) exactly when, for every split of
 * the models into two groups, some model of each group scored against some model of the other
 * (Zermelo 1929; Hunter 2004, Assumption 1): the directed graph with an edge i → j whenever i
 * won or tied at least one battle against j is strongly connected. Ties are half a win to each
 * side, so they count both ways. It implies that every model has a win (or tie) and a loss (or
 * tie).
 *
 * @param pairScore the score of each pair's first model (wins + ½ ties); `pairCount − pairScore` is the second's
 * @returns null when the estimate exists, else the reason, naming models
 */
function mleMissingReason(models: readonly string[], pairFirst: readonly number[], pairSecond: readonly number[], pairCount: Float64Array, pairScore: Float64Array): string | null {
  const m = models.length;
  const out: number[][] = models.map(() => []);
  const into: number[][] = models.map(() => []);
  for (let p = 0; p < pairFirst.length; p++) {
    const count = pairCount[p]!;
    if (count === 0) continue;
    const i = pairFirst[p]!;
    const j = pairSecond[p]!;
    if (pairScore[p]! > 0) {
      out[i]!.push(j);
      into[j]!.push(i);
    }
    if (count - pairScore[p]! > 0) {
      out[j]!.push(i);
      into[i]!.push(j);
    }
  }
  // Kosaraju: finishing order on the graph, then components on the reversed graph.
  const order: number[] = [];
  const seen = new Uint8Array(m);
  for (let root = 0; root < m; root++) {
    if (seen[root]) continue;
    const stack: Array<[node: number, next: number]> = [[root, 0]];
    seen[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const edges = out[top[0]]!;
      if (top[1] < edges.length) {
        const to = edges[top[1]++]!;
        if (!seen[to]) {
          seen[to] = 1;
          stack.push([to, 0]);
        }
      } else {
        order.push(top[0]);
        stack.pop();
      }
    }
  }
  const component = new Int32Array(m).fill(-1);
  let components = 0;
  for (let k = order.length - 1; k >= 0; k--) {
    const root = order[k]!;
    if (component[root] !== -1) continue;
    const stack = [root];
    component[root] = components;
    while (stack.length) {
      const node = stack.pop()!;
      for (const from of into[node]!) {
        if (component[from] === -1) {
          component[from] = components;
          stack.push(from);
        }
      }
    }
    components++;
  }
  if (components === 1) return null;
  // The first component found on the reversed graph is one that no model outside it ever
  // scored against: its models never lost to the others.
  const group = models.filter((_, i) => component[i] === 0);
  const names = group.map((model) => `"${model}"`).join(", ");
  return group.length === 1
    ? `${names} never lost a battle, so its maximum-likelihood rating is infinite`
    : `${names} lost only to each other, never to the other models, so the maximum-likelihood ratings are not finite`;
}

function readOptions(options: { iterations?: number; tolerance?: number } | undefined): { iterations: number; tolerance: number } {
  const iterations = options?.iterations ?? DEFAULT_ITERATIONS;
  const tolerance = options?.tolerance ?? DEFAULT_TOLERANCE;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be a whole number ≥ 1, got ${iterations}`);
  if (!(tolerance > 0)) throw new RangeError(`tolerance must be > 0, got ${tolerance}`);
  return { iterations, tolerance };
}

/** What a fit needs of some battles: battles per pair, the score of each pair's first model, and each model's wins (ties ½). */
interface Tally {
  pairCount: Float64Array;
  pairScore: Float64Array;
  wins: Float64Array;
}

/** The tally of all battles. */
function tally(encoded: Encoded): Tally {
  const pairCount = new Float64Array(encoded.pairFirst.length);
  const pairScore = new Float64Array(encoded.pairFirst.length);
  const wins = new Float64Array(encoded.models.length);
  for (let k = 0; k < encoded.battlePair.length; k++) {
    const p = encoded.battlePair[k]!;
    const score = encoded.battleScore[k]!;
    pairCount[p]! += 1;
    pairScore[p]! += score;
    wins[encoded.pairFirst[p]!]! += score;
    wins[encoded.pairSecond[p]!]! += 1 - score;
  }
  return { pairCount, pairScore, wins };
}

/**
 * The tally of a resample given as how many of its battles have each outcome. The same as
 * adding the resampled battles one by one: every score is 0, ½ or 1, so every partial sum is a
 * multiple of ½ below 2⁵³ and exact, in any order.
 */
function tallyOutcomes(encoded: Encoded, outcomeCounts: Int32Array): Tally {
  const pairCount = new Float64Array(encoded.pairFirst.length);
  const pairScore = new Float64Array(encoded.pairFirst.length);
  const wins = new Float64Array(encoded.models.length);
  for (let o = 0; o < outcomeCounts.length; o++) {
    const count = outcomeCounts[o]!;
    if (count === 0) continue;
    const p = encoded.outcomePair[o]!;
    const score = encoded.outcomeScore[o]!;
    pairCount[p]! += count;
    pairScore[p]! += count * score;
    wins[encoded.pairFirst[p]!]! += count * score;
    wins[encoded.pairSecond[p]!]! += count * (1 - score);
  }
  return { pairCount, pairScore, wins };
}

/** The fit of a tally: the plain MLE where it exists, else the regularised fit; with the method and, for the latter, why. */
function fitTally(
  encoded: Encoded,
  counts: Tally,
  iterations: number,
  tolerance: number,
  start?: Float64Array,
): { theta: Float64Array; method: FitMethod; reason: string | null } {
  const reason = mleMissingReason(encoded.models, encoded.pairFirst, encoded.pairSecond, counts.pairCount, counts.pairScore);
  const prior = reason === null ? 0 : PRIOR_GAMES;
  const theta = fitLog10(encoded.models.length, encoded.pairFirst, encoded.pairSecond, counts.pairCount, counts.wins, prior, iterations, tolerance, start);
  return { theta, method: reason === null ? "mle" : "regularized", reason };
}

const toRating = (theta: number) => 1000 + 400 * theta;

/**
 * Bradley–Terry ratings on an Elo-like scale, as Chatbot Arena computes them.
 *
 * Definition: the Bradley–Terry model P(a ≻ b) = γ_a / (γ_a + γ_b) = 1 / (1 + 10^(θ_b − θ_a))
 * with θ = log10 γ, fitted by maximum likelihood, each tie counted as half a win to each side,
 * by Hunter's MM iteration γ_i ← W_i / Σ_j N_ij / (γ_i + γ_j) (W_i: model i's wins, ties as ½;
 * N_ij: battles between i and j). With θ normalised to Σθ = 0 the rating is R = 1000 + 400·θ,
 * so P(a ≻ b) = 1 / (1 + 10^((R_b − R_a)/400)) and the mean rating is 1000. This is the
 * estimate of FastChat's `compute_elo_mle_with_tie` / `compute_mle_elo` (logistic regression
 * without penalty, base 10, scale 400, initial rating 1000, started at 0 so the ratings keep
 * mean 1000), without its anchoring of one named model.
 *
 * Method: `"mle"`, the plain maximum-likelihood estimate, whenever it exists: the directed
 * graph with an edge a → b when a won or tied a battle against b is strongly connected (so in
 * particular every model has a win and a loss, a tie counting as both). Otherwise (a model
 * never lost or never won, or a group of models never lost to the rest, or groups never met)
 * some ratings would be infinite, and the fit is `"regularized"`: every model also plays one
 * virtual game against a virtual opponent (fitted along with the others, not reported), scored
 * as a tie. That fit is unique and finite, and shrinks ratings slightly towards the mean (two
 * models at 300–100 over 400 battles are 190.54 apart instead of 400·log10 3 = 190.85). `reason`
 * says why the MLE does not exist.
 *
 * Battles of a model against itself are ignored. Iteration stops when no θ changes by more than
 * `tolerance` in one step (default 1e-9, i.e. 4e-7 rating points) or after `iterations` steps
 * (default 10 000); the estimate at that point is returned.
 *
 * Source: R. A. Bradley & M. E. Terry (1952), "Rank Analysis of Incomplete Block Designs";
 * E. Zermelo (1929) and D. R. Hunter (2004), "MM algorithms for generalized Bradley–Terry
 * models", Ann. Statist. 32(1), eq. (3) and Assumption 1; the 400/1000 scale and the tie rule
 * as in Chatbot Arena (Chiang et al. 2024; FastChat's fastchat/serve/monitor/elo_analysis.py).
 *
 * Undefined: null when there is no battle between two different models.
 *
 * @returns `ratings[model]` for every model that appears in a battle with another model, in
 *   order of first appearance; the method; why the MLE does not exist (null for "mle")
 * @throws {RangeError} on a winner other than "a", "b" or "tie", or invalid options
 * @example bradleyTerry([{ a: "x", b: "y", winner: "tie" }]) // { ratings: { x: 1000, y: 1000 }, method: "mle", reason: null }
 */
export function bradleyTerry(
  battles: ReadonlyArray<Battle>,
  options?: { iterations?: number; tolerance?: number },
): { ratings: Record<string, number>; method: FitMethod; reason: string | null } | null {
  const { iterations, tolerance } = readOptions(options);
  const encoded = encode(battles);
  if (encoded.battlePair.length === 0) return null;
  const { theta, method, reason } = fitTally(encoded, tally(encoded), iterations, tolerance);
  // Object.fromEntries defines own properties, so even a model named "__proto__" is kept.
  return { ratings: Object.fromEntries(encoded.models.map((model, i) => [model, toRating(theta[i]!)])), method, reason };
}

/**
 * Bootstrap percentile confidence intervals for the {@link bradleyTerry} ratings.
 *
 * Definition: draw `replicates` resamples of the battles, each of the same size as the data,
 * with replacement (drawn as how many battles of each outcome, a pair of models and its score,
 * the resample holds: multinomial counts, see {@link multinomialSample}); fit the Bradley–Terry
 * ratings on each by the same rule as {@link bradleyTerry} (the plain MLE where it exists for
 * that resample, else the regularised fit; same scale and stopping rule); the interval for a
 * model is the ((1 − level)/2, (1 + level)/2) quantiles of its replicate ratings, with linear
 * interpolation between order statistics (Hyndman & Fan type 7, numpy's default). Every
 * replicate rates every model of the full data, so all replicates share the same mean-1000
 * normalisation; a model absent from a resample leaves that resample without an MLE and is
 * rated from the prior alone (near the mean), which widens the interval of rarely seen models,
 * as it should. When the full data have no MLE, no resample has one (a resample's battles are
 * some of the data's), so every replicate is regularised too.
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
  const start = fitTally(encoded, tally(encoded), DEFAULT_ITERATIONS, DEFAULT_TOLERANCE).theta;
  const draws = Array.from({ length: m }, () => new Float64Array(replicates));
  // A resample of the n battles, as how many of its battles have each outcome: Multinomial(n;
  // share of each outcome), the distribution of the outcome counts of n battles drawn one by one.
  const outcomeSizes = new Int32Array(encoded.outcomePair.length);
  for (let k = 0; k < n; k++) outcomeSizes[encoded.battleOutcome[k]!]! += 1;
  const outcomeCounts = new Int32Array(outcomeSizes.length);
  const random = seededRandom(seed);
  for (let r = 0; r < replicates; r++) {
    multinomialSample(n, outcomeSizes, random, outcomeCounts);
    const { theta } = fitTally(encoded, tallyOutcomes(encoded, outcomeCounts), DEFAULT_ITERATIONS, DEFAULT_TOLERANCE, start);
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
