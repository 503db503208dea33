/**
 * The in-process parts of the stats benchmark, each in a process of its own (a fresh heap, as
 * a server restarted on an existing database has). Started by ./stats-bench.ts with VERDICT_DB
 * set to the benchmark database; prints one JSON line on stdout, progress on stderr.
 *
 *   node --import tsx tests/bench/stats-worker.ts setup ITEMS SEED
 *       Builds the stored state (not timed as part of the results): 8 reviewers, ITEMS / 4
 *       prompts × 4 models' responses, a pairwise batch with overlap 3 and ITEMS items (each a
 *       pair of one prompt's responses), every item judged by 3 reviewers: signed strengths
 *       from a latent quality model (so agreement is realistic), ties, flags, durations, over
 *       30 days. Every id and value comes from SEED, so the same arguments give the same rows
 *       and the same statistics.
 *   node --import tsx tests/bench/stats-worker.ts measure BATCH_ID RUNS WARMUP [OUT_FILE]
 *       Times batchStats (RUNS timed calls after WARMUP untimed ones), interleaved with the raw
 *       baseline: bare better-sqlite3 SELECTs of the same pair and judgment rows into arrays;
 *       then leaderboard the same way. Each timed call starts after a full garbage collection,
 *       so it pays for its own garbage and not for the previous call's. OUT_FILE, if given,
 *       receives the full batchStats JSON (without `timing`) and the leaderboard, to compare
 *       the figures of two versions.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DEFAULT_FLAGS } from "../../app/core/tasks/config";
import { closeConnection, connection } from "../../app/services/database.server";
import { batchStats, leaderboard, type BatchStats, type Leaderboard } from "../../app/services/stats.server";
import { bulkLoad, fixtureInserts, PARAMS_JSON } from "./bulk-load";
import { benchPrompts, seededRandom } from "./corpus";
import { log, processUsage, workerMain, workerUsage } from "./harness";

/** Models with their latent quality (a log-odds-like scale) and typical response length. */
const MODELS = [
  { name: "atlas-70b", quality: 0.7, length: 1100 },
  { name: "beacon-34b", quality: 0.3, length: 900 },
  { name: "cobalt-13b", quality: -0.1, length: 800 },
  { name: "delta-7b", quality: -0.8, length: 600 },
] as const;
/** The six model pairs; each prompt yields four items, taking the pairs in rotation. */
const MODEL_PAIRS: Array<[number, number]> = [
  [0, 1],
  [2, 3],
  [0, 2],
  [1, 3],
  [0, 3],
  [1, 2],
];
const ITEMS_PER_PROMPT = 4;
const OVERLAP = 3;
/**
 * Reviewers: how much work each takes (relative), their noise, how wide a band of small
 * differences they call a tie, how much they lean towards the response shown first, and their
 * median seconds per judgment.
 */
const REVIEWERS = [
  { weight: 1.6, noise: 0.55, tie: 0.25, left: 0.05, seconds: 14 },
  { weight: 1.4, noise: 0.7, tie: 0.35, left: 0.0, seconds: 22 },
  { weight: 1.3, noise: 0.6, tie: 0.2, left: 0.15, seconds: 11 },
  { weight: 1.1, noise: 0.9, tie: 0.4, left: 0.02, seconds: 30 },
  { weight: 1.0, noise: 0.65, tie: 0.3, left: -0.05, seconds: 18 },
  { weight: 0.9, noise: 1.1, tie: 0.15, left: 0.25, seconds: 8 },
  { weight: 0.7, noise: 0.75, tie: 0.45, left: 0.0, seconds: 25 },
  { weight: 0.5, noise: 0.6, tie: 0.3, left: 0.1, seconds: 40 },
] as const;
const FLAG_RATE = 0.03;
const SECOND_FLAG_RATE = 0.004;
const NO_DURATION_RATE = 0.01;
const DAYS = 30;
/** A fixed start (2024-06-01 UTC), so the timeline's days are the same in every run. */
const BASE_MS = Date.UTC(2024, 5, 1);
const DATASET = "bench-stats";

export interface SetupResult {
  batch_id: string;
  items: number;
  judgments: number;
  prompts: number;
  responses: number;
  reviewers: number;
  models: number;
  flags: number;
  seconds: number;
}

export interface MeasureResult {
  runs: number;
  warmup: number;
  /** Wall time of each timed batchStats call, and its own sql/math split. */
  stats_ms: number[];
  sql_ms: number[];
  math_ms: number[];
  leaderboard_ms: number[];
  /** The raw baseline of each run: the pair rows, the judgment rows, and their sum. */
  raw_pairs_ms: number[];
  raw_judgments_ms: number[];
  raw_ms: number[];
  raw_rows: number;
  leaderboard_battles: number;
  /** sha256 of the batchStats JSON without `timing`, and of the leaderboard JSON; the same in every run. */
  stats_sha256: string;
  leaderboard_sha256: string;
  figures: Record<string, unknown>;
  max_rss_mb: number;
}

/**
 * Deterministic row ids in the shape of db/ids.ts (10 base-36 characters of "time", 4 of a
 * counter, 10 more), increasing in creation order as newId's do, drawn from the seed.
 */
function idMaker(random: () => number): () => string {
  const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
  let n = 0;
  return () => {
    const tick = Math.floor(n / 1000);
    const counter = n % 1000;
    n++;
    let suffix = "";
    for (let i = 0; i < 10; i++) suffix += ALPHABET[Math.floor(random() * 36)];
    return (BASE_MS + tick).toString(36).padStart(10, "0") + counter.toString(36).padStart(4, "0") + suffix;
  };
}

/** Standard normal draws by Box–Muller from a uniform generator. */
function normal(random: () => number): () => number {
  return () => {
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** `count` distinct indices drawn without replacement, with probability proportional to weight. */
function weightedSample(weights: readonly number[], count: number, random: () => number): number[] {
  const left = weights.map((w, i) => ({ w, i }));
  const out: number[] = [];
  for (let c = 0; c < count; c++) {
    let total = 0;
    for (const e of left) total += e.w;
    let x = random() * total;
    let k = 0;
    while (k < left.length - 1 && x >= left[k]!.w) x -= left[k++]!.w;
    out.push(left[k]!.i);
    left.splice(k, 1);
  }
  return out;
}

function setup(items: number, seed: number): SetupResult {
  const started = performance.now();
  const { sqlite } = connection();
  const random = seededRandom(seed ^ 0x57a75);
  const gauss = normal(random);
  const id = idMaker(seededRandom(seed ^ 0x1d5));
  // Response texts are cut from one pool of the corpus's text, so generating them is cheap.
  let pool = "";
  for (const p of benchPrompts(64, seed)) pool += `${p.responses.map((r) => r.text).join("\n\n")}\n\n`;
  const prompts = [...benchPrompts(256, seed + 1)].map((p) => p.content);

  const insert = fixtureInserts(sqlite, id);
  const insertFlag = sqlite.prepare("INSERT INTO judgment_flags (judgment_id, response_id, flag, note) VALUES (?, ?, ?, '')");

  const batchId = id();
  const weights = REVIEWERS.map((r) => r.weight);
  const promptCount = Math.ceil(items / ITEMS_PER_PROMPT);
  let judgments = 0;
  let responses = 0;
  let flags = 0;
  bulkLoad(sqlite, () => {
    const usernames = REVIEWERS.map((_, r) => `bench-s${r + 1}`);
    const { reviewerIds, datasetId } = insert.reviewedBatch({
      batchId,
      name: "Stats bench (pairwise, overlap 3)",
      overlap: OVERLAP,
      dataset: DATASET,
      source: "stats bench",
      usernames,
      createdAt: BASE_MS,
    });

    let k = 0;
    for (let p = 0; p < promptCount && k < items; p++) {
      const promptId = id();
      insert.prompt.run(promptId, datasetId, `p${p}`, JSON.stringify([{ role: "user", content: prompts[p % prompts.length]! }]));
      const promptEffect = gauss() * 0.3;
      const responseIds = MODELS.map((model) => {
        const responseId = id();
        const length = Math.max(80, Math.round(model.length * (0.5 + random())));
        const start = Math.floor(random() * (pool.length - length));
        insert.response.run(responseId, promptId, model.name, model.name, pool.slice(start, start + length), PARAMS_JSON);
        responses++;
        return responseId;
      });
      for (let t = 0; t < ITEMS_PER_PROMPT && k < items; t++, k++) {
        const [m1, m2] = MODEL_PAIRS[(p * ITEMS_PER_PROMPT + t) % MODEL_PAIRS.length]!;
        // Dataset order within the item: either model may come first.
        const [x, y] = random() < 0.5 ? [m1, m2] : [m2, m1];
        const itemResponses = [responseIds[x]!, responseIds[y]!];
        const itemId = id();
        insert.item.run(itemId, batchId, promptId, JSON.stringify(itemResponses), k, OVERLAP, OVERLAP, 0);
        // The item's latent preference for its first response over its second.
        const latent = MODELS[x]!.quality - MODELS[y]!.quality + promptEffect + gauss() * 0.8;
        const itemStart = BASE_MS + Math.floor((k / items) * DAYS * 86_400_000);
        for (const [slot, r] of weightedSample(weights, OVERLAP, random).entries()) {
          const reviewer = REVIEWERS[r]!;
          const reviewerId = reviewerIds[r]!;
          const flipped = random() < 0.5; // display order [1,0]: the second response is shown first
          const shownFirstSign = flipped ? -1 : 1;
          const z = latent + reviewer.left * shownFirstSign + gauss() * reviewer.noise;
          const magnitude = Math.abs(z);
          const tie = magnitude < reviewer.tie;
          const strength = tie ? 0 : magnitude < 1 ? 1 : magnitude < 1.8 ? 2 : 3;
          const preferredIndex = z > 0 ? 0 : 1;
          const chosenIndex = tie ? 0 : preferredIndex;
          const doneAt = itemStart + slot * 3_600_000 + Math.floor(random() * 3_600_000);
          const durationMs = random() < NO_DURATION_RATE ? null : Math.round(reviewer.seconds * 1000 * Math.exp(gauss() * 0.6));
          const judgmentId = insert.submitted({
            batchId,
            itemId,
            promptId,
            reviewerId,
            responseIds: itemResponses,
            chosenIndex,
            tie,
            strength,
            flipped,
            leasedAt: doneAt - 120_000,
            doneAt,
            durationMs,
          });
          if (random() < FLAG_RATE) {
            // Weaker models get flagged more: flag the worse response of the pair two times in three.
            const worse = MODELS[x]!.quality < MODELS[y]!.quality ? 0 : 1;
            const target = random() < 2 / 3 ? worse : 1 - worse;
            const first = DEFAULT_FLAGS[Math.floor(random() * DEFAULT_FLAGS.length)]!;
            insertFlag.run(judgmentId, itemResponses[target]!, first);
            flags++;
            if (random() < SECOND_FLAG_RATE / FLAG_RATE) {
              const second = DEFAULT_FLAGS[(DEFAULT_FLAGS.indexOf(first) + 1) % DEFAULT_FLAGS.length]!;
              insertFlag.run(judgmentId, itemResponses[target]!, second);
              flags++;
            }
          }
          judgments++;
        }
        if ((k + 1) % 25_000 === 0) log(`  setup: ${k + 1}/${items} items, ${judgments} judgments`);
      }
    }
  });
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  closeConnection();
  return {
    batch_id: batchId,
    items,
    judgments,
    prompts: promptCount,
    responses,
    reviewers: REVIEWERS.length,
    models: MODELS.length,
    flags,
    seconds: (performance.now() - started) / 1000,
  };
}

function sha256(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

function withoutTiming(stats: BatchStats): Omit<BatchStats, "timing"> {
  const { timing: _timing, ...rest } = stats;
  return rest;
}

/**
 * The raw baseline: what the SQL part must read at the least, as bare statements into column
 * arrays: one row per preference pair of the batch (item, reviewer, the pair, strength, side
 * shown first) and one per judgment (reviewer, duration, time).
 */
function rawStatements() {
  const { sqlite } = connection();
  const pairs = sqlite
    .prepare<[string], [string, string, string, string, number, number | null]>(
      "SELECT item_id, reviewer_id, chosen_id, rejected_id, strength, shown_chosen_first FROM preference_pairs WHERE batch_id = ?",
    )
    .raw();
  const judgments = sqlite
    .prepare<[string], [string, string, number | null, number]>(
      "SELECT j.item_id, j.reviewer_id, j.duration_ms, j.created_at FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = ?",
    )
    .raw();
  return {
    pairs(batchId: string): number {
      const item: string[] = [];
      const reviewer: string[] = [];
      const chosen: string[] = [];
      const rejected: string[] = [];
      const strength: number[] = [];
      const left: Array<number | null> = [];
      for (const row of pairs.iterate(batchId)) {
        item.push(row[0]);
        reviewer.push(row[1]);
        chosen.push(row[2]);
        rejected.push(row[3]);
        strength.push(row[4]);
        left.push(row[5]);
      }
      return item.length;
    },
    judgments(batchId: string): number {
      const item: string[] = [];
      const reviewer: string[] = [];
      const duration: Array<number | null> = [];
      const at: number[] = [];
      for (const row of judgments.iterate(batchId)) {
        item.push(row[0]);
        reviewer.push(row[1]);
        duration.push(row[2]);
        at.push(row[3]);
      }
      return item.length;
    },
  };
}

// A full collection before each timed call, so that it starts on a settled heap and pays for its
// own garbage, not for the previous call's (gc() made available without a command-line flag).
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

function measure(batchId: string, runs: number, warmup: number, outFile: string | undefined): MeasureResult {
  if (!process.env.VERDICT_DB) throw new Error("VERDICT_DB must name the benchmark database");
  const raw = rawStatements();
  const result: MeasureResult = {
    runs,
    warmup,
    stats_ms: [],
    sql_ms: [],
    math_ms: [],
    leaderboard_ms: [],
    raw_pairs_ms: [],
    raw_judgments_ms: [],
    raw_ms: [],
    raw_rows: 0,
    leaderboard_battles: 0,
    stats_sha256: "",
    leaderboard_sha256: "",
    figures: {},
    max_rss_mb: 0,
  };
  const total = warmup + runs;
  let first: BatchStats | undefined;

  // batchStats, interleaved with the raw baseline (the two take turns going first).
  for (let i = 0; i < total; i++) {
    const timed = i >= warmup;
    let rawMs = Number.NaN;
    const runRaw = () => {
      collect();
      const t0 = performance.now();
      const pairRows = raw.pairs(batchId);
      const t1 = performance.now();
      const judgmentRows = raw.judgments(batchId);
      const t2 = performance.now();
      result.raw_rows = pairRows + judgmentRows;
      rawMs = t2 - t0;
      if (!timed) return;
      result.raw_pairs_ms.push(t1 - t0);
      result.raw_judgments_ms.push(t2 - t1);
      result.raw_ms.push(t2 - t0);
    };
    if (i % 2 === 1) runRaw();
    collect();
    const t0 = performance.now();
    const stats = batchStats(batchId);
    const t1 = performance.now();
    if (i % 2 === 0) runRaw();
    const hash = sha256(withoutTiming(stats));
    if (i === 0) {
      first = stats;
      result.stats_sha256 = hash;
    } else if (hash !== result.stats_sha256) {
      throw new Error(`batchStats run ${i + 1} gave different figures from run 1: it is not deterministic`);
    }
    log(
      `  batchStats ${i + 1}/${total}${timed ? "" : " (warm-up)"}: ${((t1 - t0) / 1000).toFixed(2)} s ` +
        `(sql ${stats.timing.sql_ms} ms, math ${stats.timing.math_ms} ms), raw ${(rawMs / 1000).toFixed(2)} s`,
    );
    if (!timed) continue;
    result.stats_ms.push(t1 - t0);
    result.sql_ms.push(stats.timing.sql_ms);
    result.math_ms.push(stats.timing.math_ms);
  }

  // leaderboard on its own.
  let board: Leaderboard | undefined;
  for (let i = 0; i < total; i++) {
    collect();
    const t0 = performance.now();
    const current = leaderboard({ batchId });
    const t1 = performance.now();
    const hash = sha256(current);
    if (i === 0) {
      board = current;
      result.leaderboard_sha256 = hash;
    } else if (hash !== result.leaderboard_sha256) {
      throw new Error(`leaderboard run ${i + 1} gave different figures from run 1: it is not deterministic`);
    }
    log(`  leaderboard ${i + 1}/${total}${i >= warmup ? "" : " (warm-up)"}: ${((t1 - t0) / 1000).toFixed(2)} s`);
    if (i >= warmup) result.leaderboard_ms.push(t1 - t0);
  }

  const stats = first!;
  result.leaderboard_battles = board!.models.reduce((sum, m) => sum + m.battles, 0) / 2;
  result.figures = {
    judgments: stats.judgments,
    percent_agreement: stats.percent_agreement,
    krippendorff_alpha: stats.krippendorff_alpha,
    fleiss_kappa: stats.fleiss_kappa,
    intervals: stats.intervals,
    position_bias: stats.position_bias,
    length_bias: stats.length_bias,
    flags: stats.flags.by_flag,
    cohen_pairs: stats.cohen_kappa.length,
    timeline_days: stats.timeline.length,
    leaderboard: board!.models.map((m) => ({ model: m.model, rating: m.rating, ci: m.ci })),
  };
  if (outFile) writeFileSync(outFile, `${JSON.stringify({ stats: withoutTiming(stats), leaderboard: board }, null, 2)}\n`);
  result.max_rss_mb = processUsage().max_rss_mb;
  closeConnection();
  return result;
}

workerMain(([mode, ...rest]) => {
  if (mode === "setup" && rest.length === 2) return setup(Number(rest[0]), Number(rest[1]));
  if (mode === "measure" && (rest.length === 3 || rest.length === 4)) return measure(rest[0]!, Number(rest[1]), Number(rest[2]), rest[3]);
  return workerUsage("stats-worker.ts setup ITEMS SEED | measure BATCH_ID RUNS WARMUP [OUT_FILE]");
});
