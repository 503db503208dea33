import { describe, expect, it } from "vitest";
import { bootstrapRatings, bradleyTerry, winRates, type Battle } from "../../app/core/ranking/bradley-terry";
import { seededRandom } from "../../app/core/agreement/sampling";

/** `count` copies of one battle. */
const rep = (a: string, b: string, winner: Battle["winner"], count: number): Battle[] => Array.from({ length: count }, () => ({ a, b, winner }));

/** A battle list from `[a, b, a's wins, b's wins, ties]` rows, with a and b alternating sides. */
function league(rows: Array<[string, string, number, number, number?]>): Battle[] {
  const out: Battle[] = [];
  for (const [a, b, winsA, winsB, ties = 0] of rows) {
    for (let i = 0; i < winsA; i++) out.push(i % 2 ? { a: b, b: a, winner: "b" } : { a, b, winner: "a" });
    for (let i = 0; i < winsB; i++) out.push(i % 2 ? { a: b, b: a, winner: "a" } : { a, b, winner: "b" });
    for (let i = 0; i < ties; i++) out.push(i % 2 ? { a: b, b: a, winner: "tie" } : { a, b, winner: "tie" });
  }
  return out;
}

function ratingsOf(battles: Battle[]): Record<string, number> {
  const result = bradleyTerry(battles);
  expect(result).not.toBeNull();
  return result!.ratings;
}

const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / values.length;

/** P(a ≻ b) on the rating scale. */
const winProbability = (ra: number, rb: number) => 1 / (1 + 10 ** ((rb - ra) / 400));

/** Battles simulated from known ratings. */
function simulate(truth: Record<string, number>, count: number, seed: number, tieShare = 0): Battle[] {
  const random = seededRandom(seed);
  const models = Object.keys(truth);
  const out: Battle[] = [];
  while (out.length < count) {
    const a = models[Math.floor(random() * models.length)]!;
    const b = models[Math.floor(random() * models.length)]!;
    if (a === b) continue;
    const u = random();
    const winner = random() < tieShare ? "tie" : u < winProbability(truth[a]!, truth[b]!) ? "a" : "b";
    out.push({ a, b, winner });
  }
  return out;
}

/**
 * An independent reference: Chatbot Arena's fit as FastChat writes it, an unpenalised logistic
 * regression with one row per battle (x = ln 10 · (e_a − e_b), target 1, ½ or 0 for a win, tie
 * or loss, which is how FastChat's compute_elo_mle_with_tie counts a tie), solved here by
 * Newton–Raphson with θ of the first model held at 0, then shifted to mean 0 (FastChat's
 * optimiser starts at 0 and keeps Σθ = 0), shown as 400·θ + 1000.
 */
function logisticRegressionRatings(battles: Battle[]): Record<string, number> {
  const models = [...new Set(battles.flatMap((b) => [b.a, b.b]))];
  const index = new Map(models.map((m, i) => [m, i]));
  const k = models.length - 1; // free parameters: θ_1 … θ_k
  const theta = new Array<number>(models.length).fill(0);
  for (let iteration = 0; iteration < 100; iteration++) {
    const gradient = new Array<number>(k).fill(0);
    const hessian = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (const battle of battles) {
      const i = index.get(battle.a)!;
      const j = index.get(battle.b)!;
      const y = battle.winner === "a" ? 1 : battle.winner === "tie" ? 0.5 : 0;
      const p = 1 / (1 + Math.exp(-Math.LN10 * (theta[i]! - theta[j]!)));
      const x = new Array<number>(k).fill(0);
      if (i > 0) x[i - 1] = Math.LN10;
      if (j > 0) x[j - 1] = -Math.LN10;
      for (let r = 0; r < k; r++) {
        gradient[r]! += (y - p) * x[r]!;
        for (let c = 0; c < k; c++) hessian[r]![c]! += p * (1 - p) * x[r]! * x[c]!;
      }
    }
    // Solve hessian · step = gradient by Gaussian elimination with partial pivoting.
    const a = hessian.map((row, r) => [...row, gradient[r]!]);
    for (let col = 0; col < k; col++) {
      let pivot = col;
      for (let r = col + 1; r < k; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
      [a[col], a[pivot]] = [a[pivot]!, a[col]!];
      for (let r = col + 1; r < k; r++) {
        const factor = a[r]![col]! / a[col]![col]!;
        for (let c = col; c <= k; c++) a[r]![c]! -= factor * a[col]![c]!;
      }
    }
    const step = new Array<number>(k).fill(0);
    for (let r = k - 1; r >= 0; r--) {
      let sum = a[r]![k]!;
      for (let c = r + 1; c < k; c++) sum -= a[r]![c]! * step[c]!;
      step[r] = sum / a[r]![r]!;
    }
    for (let r = 0; r < k; r++) theta[r + 1]! += step[r]!;
    if (Math.max(...step.map(Math.abs)) < 1e-12) break;
  }
  const center = mean(theta);
  return Object.fromEntries(models.map((m, i) => [m, 400 * (theta[i]! - center) + 1000]));
}

describe("bradleyTerry", () => {
  it("puts a 75% winner exactly 400·log10 3 ≈ 190.85 points ahead (the plain MLE)", () => {
    const fit = bradleyTerry(league([["A", "B", 300, 100]]))!;
    expect(fit.method).toBe("mle");
    expect(fit.reason).toBeNull();
    expect(fit.ratings.A! - fit.ratings.B!).toBeCloseTo(400 * Math.log10(3), 5);
    expect(fit.ratings.A! + fit.ratings.B!).toBeCloseTo(2000, 9);
  });

  it("solves the likelihood equations: each model's expected score equals its observed score", () => {
    const battles = simulate({ a: 1150, b: 1050, c: 1000, d: 900 }, 400, 12, 0.2);
    const fit = bradleyTerry(battles)!;
    expect(fit.method).toBe("mle");
    const observed: Record<string, number> = {};
    const expected: Record<string, number> = {};
    for (const { a, b, winner } of battles) {
      const score = winner === "a" ? 1 : winner === "tie" ? 0.5 : 0;
      const p = winProbability(fit.ratings[a]!, fit.ratings[b]!);
      observed[a] = (observed[a] ?? 0) + score;
      observed[b] = (observed[b] ?? 0) + 1 - score;
      expected[a] = (expected[a] ?? 0) + p;
      expected[b] = (expected[b] ?? 0) + 1 - p;
    }
    for (const model of Object.keys(observed)) expect(expected[model]).toBeCloseTo(observed[model]!, 5);
  });

  it("equals an unpenalised logistic regression (as FastChat fits Chatbot Arena) within 0.1 rating points", () => {
    // A few hundred seeded battles of five models, a fifth of them ties: the fit must be the
    // maximum-likelihood one, which the regularised fit misses by several tenths of a point.
    for (const seed of [21, 22, 23]) {
      const battles = simulate({ a: 1200, b: 1080, c: 1000, d: 950, e: 800 }, 300, seed, 0.2);
      const fit = bradleyTerry(battles)!;
      expect(fit.method).toBe("mle");
      const reference = logisticRegressionRatings(battles);
      for (const model of Object.keys(reference)) expect(Math.abs(fit.ratings[model]! - reference[model]!)).toBeLessThan(0.1);
      // Far tighter than the 0.1 the issue asks: both are the same optimum.
      for (const model of Object.keys(reference)) expect(fit.ratings[model]).toBeCloseTo(reference[model]!, 4);
    }
  });

  it("falls back to the regularised fit, and says why, only where the MLE does not exist", () => {
    const sweep = bradleyTerry(rep("A", "B", "a", 5))!;
    expect(sweep.method).toBe("regularized");
    expect(sweep.reason).toBe('"A" never lost a battle, so its maximum-likelihood rating is infinite');
    // A group that never lost to the others: A and B beat each other, and both always beat C and D.
    const group = bradleyTerry(
      league([
        ["A", "B", 3, 2],
        ["C", "D", 2, 2],
        ["A", "C", 4, 0],
        ["B", "D", 4, 0],
      ]),
    )!;
    expect(group.method).toBe("regularized");
    expect(group.reason).toBe('"A", "B" lost only to each other, never to the other models, so the maximum-likelihood ratings are not finite');
    // Two groups that never met.
    expect(bradleyTerry([...league([["A", "B", 2, 1]]), ...league([["C", "D", 2, 1]])])!.method).toBe("regularized");
    // Ties count both ways: a model that only ever tied still has an MLE.
    const ties = bradleyTerry([...league([["A", "B", 3, 1]]), ...rep("C", "A", "tie", 2)])!;
    expect(ties.method).toBe("mle");
    // A cycle of single wins is strongly connected.
    expect(bradleyTerry([{ a: "A", b: "B", winner: "a" }, { a: "B", b: "C", winner: "a" }, { a: "C", b: "A", winner: "a" }])!.method).toBe("mle");
  });

  it("solves the likelihood equation of the data plus one virtual tie per model when regularised", () => {
    // A swept B 5–0: no MLE. With two models the virtual opponent sits at the mean (γ = 1) and
    // γ_B = 1/γ_A = 1/x, so A's equation "observed wins = expected wins" is
    // 5 + ½ = 5·x²/(x² + 1) + x/(x + 1).
    const r = ratingsOf(rep("A", "B", "a", 5));
    const x = 10 ** ((r.A! - 1000) / 400);
    expect((5 * x * x) / (x * x + 1) + x / (x + 1)).toBeCloseTo(5.5, 6);
  });

  it("gives equal ratings of 1000 for symmetric results", () => {
    expect(ratingsOf(league([["A", "B", 50, 50]]))).toEqual({ A: expect.closeTo(1000, 9), B: expect.closeTo(1000, 9) });
    // A rock–paper–scissors cycle is symmetric too.
    const cycle = ratingsOf(
      league([
        ["A", "B", 30, 10],
        ["B", "C", 30, 10],
        ["C", "A", 30, 10],
      ]),
    );
    for (const model of ["A", "B", "C"]) expect(cycle[model]).toBeCloseTo(1000, 6);
  });

  it("recovers a transitive structure with strengths 4 : 2 : 1", () => {
    // P(A≻B) = 4/6, P(B≻C) = 2/3, P(A≻C) = 4/5 exactly, so the maximum-likelihood θ are
    // log10(4, 2, 1) − log10 2, i.e. ratings 1000 + 400·log10 2 · (1, 0, −1).
    const step = 400 * Math.log10(2); // 120.41
    const r = ratingsOf(
      league([
        ["A", "B", 160, 80],
        ["B", "C", 160, 80],
        ["A", "C", 160, 40],
      ]),
    );
    expect(Math.abs(r.A! - (1000 + step))).toBeLessThan(1);
    expect(r.B!).toBeCloseTo(1000, 6); // the data is symmetric under reversing the order
    expect(Math.abs(r.C! - (1000 - step))).toBeLessThan(1);
    expect(r.A! - 1000).toBeCloseTo(1000 - r.C!, 6);
    expect(Math.abs(winProbability(r.A!, r.C!) - 0.8)).toBeLessThan(0.005);
  });

  it("has mean rating 1000 on any data", () => {
    for (const seed of [1, 2, 3]) {
      const r = ratingsOf(simulate({ a: 1300, b: 1100, c: 1000, d: 900, e: 650 }, 500, seed, 0.2));
      expect(mean(Object.values(r))).toBeCloseTo(1000, 9);
    }
    expect(mean(Object.values(ratingsOf(rep("X", "Y", "a", 3))))).toBeCloseTo(1000, 9);
  });

  it("recovers simulated ratings up to sampling error", () => {
    const truth = { a: 1200, b: 1100, c: 1000, d: 900, e: 800 };
    const r = ratingsOf(simulate(truth, 20_000, 7));
    for (const [model, rating] of Object.entries(truth)) expect(Math.abs(r[model]! - rating)).toBeLessThan(15);
  });

  it("counts a tie as half a win to each side", () => {
    // 150 wins, 100 ties, 50 losses score as 200 wins and 100 losses out of 300.
    const withTies = ratingsOf(league([["A", "B", 150, 50, 100]]));
    const withoutTies = ratingsOf(league([["A", "B", 200, 100]]));
    expect(withTies.A).toBeCloseTo(withoutTies.A!, 9);
    expect(withTies.B).toBeCloseTo(withoutTies.B!, 9);
    expect(Math.abs(withTies.A! - withTies.B! - 400 * Math.log10(2))).toBeLessThan(1);
    // All ties: equal ratings.
    expect(ratingsOf(league([["A", "B", 0, 0, 7]]))).toEqual({ A: expect.closeTo(1000, 9), B: expect.closeTo(1000, 9) });
  });

  it("stays finite when a model never loses or never wins", () => {
    const r = ratingsOf(rep("A", "B", "a", 5));
    // A's equation with the prior: 5 + ½ = 5·x²/(x² + 1) + x/(x + 1), x = 3.967…, A = 1239.40.
    expect(r.A).toBeCloseTo(1239.4009, 3);
    expect(r.B).toBeCloseTo(760.5991, 3);
    const chain = ratingsOf(
      league([
        ["A", "B", 8, 2],
        ["B", "C", 7, 3],
        ["C", "D", 10, 0],
        ["B", "D", 6, 0],
      ]),
    );
    for (const rating of Object.values(chain)) expect(Number.isFinite(rating)).toBe(true);
    expect(chain.A!).toBeGreaterThan(chain.B!);
    expect(chain.B!).toBeGreaterThan(chain.C!);
    expect(chain.C!).toBeGreaterThan(chain.D!);
  });

  it("stays finite and symmetric when the comparison graph is disconnected", () => {
    const r = ratingsOf([...rep("A", "B", "a", 5), ...rep("C", "D", "a", 5)]);
    expect(r.A).toBeCloseTo(r.C!, 9);
    expect(r.B).toBeCloseTo(r.D!, 9);
    expect(r.A!).toBeGreaterThan(r.B!);
  });

  it("ignores battles of a model with itself and lists models by first appearance", () => {
    const r = ratingsOf([{ a: "Z", b: "Z", winner: "a" }, ...league([["B", "A", 3, 1]]), { a: "A", b: "A", winner: "b" }]);
    expect(Object.keys(r)).toEqual(["B", "A"]);
    expect(r).toEqual(ratingsOf(league([["B", "A", 3, 1]])));
  });

  it("keeps model ids that are Object.prototype names", () => {
    const r = ratingsOf(league([["__proto__", "constructor", 3, 1]]));
    expect(Object.keys(r)).toEqual(["__proto__", "constructor"]);
    expect(r["__proto__"]!).toBeGreaterThan(1000);
  });

  it("is null without a battle between two different models", () => {
    expect(bradleyTerry([])).toBeNull();
    expect(bradleyTerry([{ a: "A", b: "A", winner: "tie" }])).toBeNull();
  });

  it("honours the iteration cap and tolerance", () => {
    const battles = league([
      ["A", "B", 90, 10],
      ["B", "C", 60, 40],
    ]);
    const converged = bradleyTerry(battles)!.ratings;
    const one = bradleyTerry(battles, { iterations: 1 })!.ratings;
    expect(Math.abs(one.A! - converged.A!)).toBeGreaterThan(1);
    expect(mean(Object.values(one))).toBeCloseTo(1000, 9); // normalised at every step
    const loose = bradleyTerry(battles, { tolerance: 1e-2 })!.ratings;
    expect(Math.abs(loose.A! - converged.A!)).toBeGreaterThan(1e-6);
    expect(Math.abs(loose.A! - converged.A!)).toBeLessThan(50);
  });

  it("rejects invalid options and winners", () => {
    expect(() => bradleyTerry(rep("A", "B", "a", 1), { iterations: 0 })).toThrow(RangeError);
    expect(() => bradleyTerry(rep("A", "B", "a", 1), { iterations: 2.5 })).toThrow(RangeError);
    expect(() => bradleyTerry(rep("A", "B", "a", 1), { tolerance: 0 })).toThrow(RangeError);
    expect(() => bradleyTerry([{ a: "A", b: "B", winner: "c" as Battle["winner"] }])).toThrow(RangeError);
  });
});

describe("bootstrapRatings", () => {
  it("is reproducible for a seed and varies with the seed", () => {
    const battles = simulate({ a: 1100, b: 1000, c: 900 }, 300, 11, 0.1);
    const first = bootstrapRatings(battles, { replicates: 200, seed: 42 });
    expect(bootstrapRatings(battles, { replicates: 200, seed: 42 })).toEqual(first);
    expect(bootstrapRatings(battles, { replicates: 200, seed: 43 })).not.toEqual(first);
    expect(Object.keys(first).sort()).toEqual(["a", "b", "c"]);
  });

  it("collapses to the point estimate when every resample is the same", () => {
    const allTies = bootstrapRatings(rep("A", "B", "tie", 10), { replicates: 50, seed: 1 });
    expect(allTies.A![0]).toBeCloseTo(1000, 9);
    expect(allTies.A![1]).toBeCloseTo(1000, 9);
    const sweep = bootstrapRatings(rep("A", "B", "a", 20), { replicates: 50, seed: 1 });
    const point = ratingsOf(rep("A", "B", "a", 20));
    expect(sweep.A![0]).toBeCloseTo(point.A!, 6);
    expect(sweep.A![1]).toBeCloseTo(point.A!, 6);
    expect(sweep.B![0]).toBeCloseTo(point.B!, 6);
  });

  it("matches the binomial spread of the resampled win count for two models", () => {
    // A's replicate rating is an increasing function f(K) of its resampled wins K ~ Bin(400, 0.75),
    // whose 2.5%, 25%, 75% and 97.5% quantiles are 283, 294, 306 and 317 (scipy.stats.binom.ppf;
    // the 5% and 95% ones are 286 and 314). With 1000 replicates the empirical quantiles stay
    // within ±2 wins of these.
    const f = (wins: number) => ratingsOf(league([["A", "B", wins, 400 - wins]])).A!;
    const battles = league([["A", "B", 300, 100]]);
    const [lower, upper] = bootstrapRatings(battles, { replicates: 1000, seed: 5 }).A!;
    expect(lower).toBeGreaterThanOrEqual(f(281));
    expect(lower).toBeLessThanOrEqual(f(285));
    expect(upper).toBeGreaterThanOrEqual(f(315));
    expect(upper).toBeLessThanOrEqual(f(319));
    const [q25, q75] = bootstrapRatings(battles, { replicates: 1000, seed: 6, level: 0.5 }).A!;
    expect(q25).toBeGreaterThanOrEqual(f(292));
    expect(q25).toBeLessThanOrEqual(f(296));
    expect(q75).toBeGreaterThanOrEqual(f(304));
    expect(q75).toBeLessThanOrEqual(f(308));
    const point = ratingsOf(league([["A", "B", 300, 100]])).A!;
    expect(lower).toBeLessThan(point);
    expect(upper).toBeGreaterThan(point);
  });

  it("interpolates linearly between order statistics (type 7)", () => {
    // Two battles, one won by each side: a resample gives A K ∈ {0, 1, 2} wins, rating f(K). With
    // two replicates sorted as x0 ≤ x1 and level 0.5 the quantiles are at h = 0.25 and 0.75:
    // [0.75·x0 + 0.25·x1, 0.25·x0 + 0.75·x1].
    const f = [0, 1, 2].map((wins) => ratingsOf([...rep("A", "B", "a", wins), ...rep("A", "B", "b", 2 - wins)]).A!);
    let spread = 0;
    for (let seed = 0; seed < 20; seed++) {
      const [lower, upper] = bootstrapRatings(league([["A", "B", 1, 1]]), { replicates: 2, seed, level: 0.5 }).A!;
      const explained = f.some((x0) => f.some((x1) => x0 <= x1 && Math.abs(lower - (0.75 * x0 + 0.25 * x1)) < 1e-6 && Math.abs(upper - (0.25 * x0 + 0.75 * x1)) < 1e-6));
      expect(explained).toBe(true);
      if (upper - lower > 1) spread++;
    }
    expect(spread).toBeGreaterThan(0);
  });

  it("widens with the level", () => {
    const battles = simulate({ a: 1100, b: 1000, c: 900 }, 300, 3);
    const narrow = bootstrapRatings(battles, { replicates: 300, seed: 9, level: 0.5 });
    const wide = bootstrapRatings(battles, { replicates: 300, seed: 9, level: 0.99 });
    for (const model of ["a", "b", "c"]) {
      expect(wide[model]![0]).toBeLessThan(narrow[model]![0]);
      expect(wide[model]![1]).toBeGreaterThan(narrow[model]![1]);
    }
  });

  it("rates every model in every replicate, even one missing from a resample", () => {
    const intervals = bootstrapRatings([...league([["A", "B", 120, 80]]), { a: "C", b: "D", winner: "a" }], { replicates: 200, seed: 2 });
    expect(Object.keys(intervals)).toEqual(["A", "B", "C", "D"]);
    for (const [lower, upper] of Object.values(intervals)) {
      expect(Number.isFinite(lower) && Number.isFinite(upper)).toBe(true);
      expect(lower).toBeLessThanOrEqual(upper);
    }
    // C's single win is absent from about 37% of resamples (C then sits near the mean) and
    // present once or more otherwise, so its interval spans both.
    expect(intervals.C![0]).toBeLessThan(1010);
    expect(intervals.C![1]).toBeGreaterThan(1050);
  });

  it("is empty without battles and rejects invalid options", () => {
    expect(bootstrapRatings([], {})).toEqual({});
    expect(bootstrapRatings([{ a: "A", b: "A", winner: "a" }], {})).toEqual({});
    const battles = rep("A", "B", "a", 2);
    expect(() => bootstrapRatings(battles, { replicates: 0 })).toThrow(RangeError);
    expect(() => bootstrapRatings(battles, { level: 1 })).toThrow(RangeError);
    expect(() => bootstrapRatings(battles, { level: 0 })).toThrow(RangeError);
    expect(() => bootstrapRatings(battles, { seed: Number.NaN })).toThrow(RangeError);
  });
});

describe("winRates", () => {
  it("gives a-vs-b win shares with ties as half and per-model counts", () => {
    const result = winRates([
      { a: "x", b: "y", winner: "a" },
      { a: "y", b: "x", winner: "b" },
      { a: "y", b: "x", winner: "a" },
      { a: "x", b: "y", winner: "tie" },
      { a: "z", b: "x", winner: "a" },
      { a: "y", b: "y", winner: "a" }, // self-battle: ignored
      { a: "w", b: "w", winner: "tie" }, // w has no real battle
    ]);
    expect(result.matrix).toEqual({
      x: { x: null, y: 0.625, z: 0 }, // x–y: 2 wins, 1 tie, 1 loss → 2.5/4
      y: { x: 0.375, y: null, z: null },
      z: { x: 1, y: null, z: null },
    });
    expect(result.battles).toEqual({
      x: { battles: 5, wins: 2, ties: 1, losses: 2 },
      y: { battles: 4, wins: 1, ties: 1, losses: 2 },
      z: { battles: 1, wins: 1, ties: 0, losses: 0 },
    });
    expect(Object.keys(result.matrix)).toEqual(["x", "y", "z"]);
  });

  it("has complementary entries whenever two models met", () => {
    const { matrix } = winRates(simulate({ a: 1100, b: 1000, c: 900, d: 800 }, 200, 4, 0.3));
    for (const a of ["a", "b", "c", "d"]) {
      for (const b of ["a", "b", "c", "d"]) {
        if (a === b) expect(matrix[a]![b]).toBeNull();
        else expect(matrix[a]![b]! + matrix[b]![a]!).toBeCloseTo(1, 12);
      }
    }
  });

  it("is empty without battles", () => {
    expect(winRates([])).toEqual({ matrix: {}, battles: {} });
  });
});
