/**
 * `npm run bench -- pairing [--quick] [--seeds N] [--round-size R] [--cap N]`
 *
 * How many judgments random and adaptive pairing need before every neighbouring pair of 8
 * models (by their true strength) is ordered correctly with 95% confidence (orderConfidence:
 * Wald intervals from the Bradley–Terry Fisher information, a normal approximation). Pure
 * simulation, no database: simulated reviewers with known model strengths (Bradley–Terry, some
 * close pairs), each reviewer answering at random part of the time (noise) and a share of ties.
 * Random pairing = every judgment a uniformly random model pair; adaptive = rounds of R chosen
 * by chooseAdaptivePairs from the battles so far. Both are checked after every R judgments,
 * up to a cap (reported per seed when hit). `adaptive_saving` = 1 − adaptive/random over the
 * seeds' means; the target is ≥ 0.3. Prints one JSON object on stdout; progress goes to stderr.
 */
import { seededRandom } from "../../app/core/agreement/sampling";
import { chooseAdaptivePairs, modelPairs, orderConfidence } from "../../app/core/pairing/adaptive";
import type { Battle } from "../../app/core/ranking/bradley-terry";
import { COMMON_FLAGS, finish, log, parseFlags, positiveInt } from "./harness";
import { round } from "./stats";

export const PAIRING_USAGE = "pairing [--quick] [--seeds N] [--round-size R] [--cap N]";

const TARGET_SAVING = 0.3;

/** True ratings (400·log10 scale), strongest first; neighbouring gaps 100, 40, 85, 35, 80, 40, 60. */
const MODELS: ReadonlyArray<{ id: string; rating: number }> = [
  { id: "m1", rating: 1440 },
  { id: "m2", rating: 1340 },
  { id: "m3", rating: 1300 },
  { id: "m4", rating: 1215 },
  { id: "m5", rating: 1180 },
  { id: "m6", rating: 1100 },
  { id: "m7", rating: 1060 },
  { id: "m8", rating: 1000 },
];
/** Each simulated reviewer's chance of answering at random instead of by the models' strengths. */
const REVIEWER_NOISE = [0.05, 0.1, 0.15, 0.2, 0.25];
/** The chance of any judgment being a tie. */
const TIE_RATE = 0.1;

/** One simulated judgment of a against b. */
function judge(a: number, b: number, random: () => number): Battle["winner"] {
  if (random() < TIE_RATE) return "tie";
  const noise = REVIEWER_NOISE[Math.floor(random() * REVIEWER_NOISE.length)]!;
  const p = random() < noise ? 0.5 : 1 / (1 + 10 ** ((MODELS[b]!.rating - MODELS[a]!.rating) / 400));
  return random() < p ? "a" : "b";
}

const ids = MODELS.map((m) => m.id);
const indexOf = new Map(ids.map((id, i) => [id, i]));

/** Judgments until the true order is confident, checked after every round; null when the cap is hit first. */
function simulate(strategy: "random" | "adaptive", seed: number, roundSize: number, cap: number): number | null {
  const random = seededRandom(seed * 2 + (strategy === "random" ? 0 : 1));
  const pairs = modelPairs(ids);
  const battles: Battle[] = [];
  for (let r = 0; battles.length < cap; r++) {
    if (strategy === "random") {
      for (let n = 0; n < roundSize; n++) {
        const pair = pairs[Math.floor(random() * pairs.length)]!;
        battles.push({ ...pair, winner: judge(indexOf.get(pair.a)!, indexOf.get(pair.b)!, random) });
      }
    } else {
      for (const { a, b, comparisons } of chooseAdaptivePairs(ids, battles, roundSize, { seed: seed * 7919 + r })) {
        for (let n = 0; n < comparisons; n++) battles.push({ a, b, winner: judge(indexOf.get(a)!, indexOf.get(b)!, random) });
      }
    }
    if (orderConfidence(ids, battles).ordered) return battles.length;
  }
  return null;
}

export async function runPairingBench(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    seeds: { type: "string" },
    "round-size": { type: "string" },
    cap: { type: "string" },
  });
  const seeds = positiveInt("seeds", values.seeds, values.quick ? 3 : 10);
  const roundSize = positiveInt("round-size", values["round-size"], 50);
  const cap = positiveInt("cap", values.cap, 60_000);
  const started = performance.now();
  const perSeed: Array<{ seed: number; random_judgments: number | null; adaptive_judgments: number | null; capped: boolean }> = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const randomJudgments = simulate("random", seed, roundSize, cap);
    const adaptiveJudgments = simulate("adaptive", seed, roundSize, cap);
    perSeed.push({ seed, random_judgments: randomJudgments, adaptive_judgments: adaptiveJudgments, capped: randomJudgments === null || adaptiveJudgments === null });
    log(`pairing bench: seed ${seed}: random ${randomJudgments ?? `> ${cap}`}, adaptive ${adaptiveJudgments ?? `> ${cap}`}`);
  }
  // A capped run counts as the cap: an underestimate of that strategy's need, reported as capped.
  const mean = (key: "random_judgments" | "adaptive_judgments") => perSeed.reduce((sum, s) => sum + (s[key] ?? cap), 0) / perSeed.length;
  const randomMean = mean("random_judgments");
  const adaptiveMean = mean("adaptive_judgments");
  const saving = 1 - adaptiveMean / randomMean;
  const savings = perSeed.map((s) => 1 - (s.adaptive_judgments ?? cap) / (s.random_judgments ?? cap));
  const result = {
    bench: "pairing",
    simulated: "pure simulation, no database",
    random_judgments: round(randomMean, 1),
    adaptive_judgments: round(adaptiveMean, 1),
    adaptive_saving: round(saving, 3),
    saving_per_seed: { min: round(Math.min(...savings), 3), max: round(Math.max(...savings), 3) },
    seeds,
    models: MODELS.map((m) => ({ id: m.id, rating: m.rating })),
    reviewer_noise: REVIEWER_NOISE,
    tie_rate: TIE_RATE,
    round_size: roundSize,
    level: 0.95,
    cap,
    capped_runs: perSeed.filter((s) => s.capped).length,
    per_seed: perSeed,
    seconds: round((performance.now() - started) / 1000, 1),
    target_saving: TARGET_SAVING,
    target_met: saving >= TARGET_SAVING,
    meets_targets: saving >= TARGET_SAVING,
  };
  return finish("pairing", result, []);
}
