/**
 * `npm run bench -- stats [--quick] [--items N] [--runs N] [--seed N] [--stats-out FILE] [--keep]`
 *
 * With a pairwise batch of N items (100,000 by default, 10,000 with --quick) each judged by 3 of
 * 8 reviewers (3 × N judgments, responses from 4 models), measures in a child process:
 *  - batchStats(batchId): wall time per call, and its own split into SQL and math;
 *  - leaderboard({ batchId }): wall time per call (Bradley–Terry fit + 200 bootstrap fits);
 *  - the raw baseline in the same run, on the same connection: bare better-sqlite3 SELECTs of
 *    the batch's pair rows and judgment rows into arrays; `ratio_to_raw` = raw / SQL part.
 * Each is called RUNS times (5, 3 with --quick) after one untimed warm-up, each call after a
 * full garbage collection; medians are reported.
 * The figures must be the same in every run (checked by hash); `--stats-out FILE` writes the
 * full batchStats JSON (without `timing`) and the leaderboard, to compare two versions.
 * Prints one JSON object on stdout; progress goes to stderr. Exit 0 whether or not the target
 * is met; exit 1 if the run failed.
 */
import { resolve } from "node:path";
import { DEFAULT_SEED } from "./corpus";
import { percentile, round } from "./stats";
import type { MeasureResult, SetupResult } from "./stats-worker";
import { BenchUsageError, benchWorker, COMMON_FLAGS, errorMessage as message, finish, inScratchDir, log, parseFlags, positiveInt } from "./harness";

export const STATS_USAGE = "stats [--quick] [--items N] [--runs N] [--seed N] [--stats-out FILE] [--keep]";

const FULL = { items: 100_000, runs: 5 } as const;
const QUICK = { items: 10_000, runs: 3 } as const;
const WARMUP = 1;
const TARGETS = { seconds: 3 } as const;

const runWorker = benchWorker("stats-worker.ts");

const median = (samples: readonly number[] | undefined) => (samples && samples.length ? percentile(samples, 50) : Number.NaN);

/** Returns the process exit code. */
export async function runStatsBench(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    items: { type: "string" },
    runs: { type: "string" },
    seed: { type: "string" },
    "stats-out": { type: "string" },
  });
  const plan = values.quick ? QUICK : FULL;
  const items = positiveInt("items", values.items, plan.items);
  const runs = positiveInt("runs", values.runs, plan.runs);
  const seed = positiveInt("seed", values.seed, DEFAULT_SEED);
  if (items < 100) throw new BenchUsageError("--items must be at least 100");
  const statsOut = values["stats-out"] === undefined ? undefined : resolve(values["stats-out"]);

  const failures: Record<string, string> = {};
  let setup: SetupResult | undefined;
  let measured: MeasureResult | undefined;
  await inScratchDir("stats", values.keep, async ({ dir, env }) => {
    try {
      log(`stats bench: ${items} items × 3 reviewers, seed ${seed}, in ${dir}`);
      setup = await runWorker<SetupResult>(["setup", String(items), String(seed)], env);
      log(`  setup: ${setup.items} items, ${setup.judgments} judgments, ${setup.flags} flags in ${setup.seconds.toFixed(1)} s (not timed)`);
      log(`  measuring: ${runs} × (batchStats, raw baseline), then ${runs} × leaderboard, after ${WARMUP} warm-up each …`);
      measured = await runWorker<MeasureResult>(["measure", setup.batch_id, String(runs), String(WARMUP), ...(statsOut ? [statsOut] : [])], env);
      if (statsOut) log(`  wrote the figures to ${statsOut}`);
    } catch (error) {
      failures.run = message(error);
    }
  });

  const seconds = median(measured?.stats_ms) / 1000;
  const sqlMs = median(measured?.sql_ms);
  const mathMs = median(measured?.math_ms);
  const rawMs = median(measured?.raw_ms);
  const split = sqlMs + mathMs;
  const result = {
    bench: "stats",
    items: setup?.items ?? items,
    judgments: setup?.judgments ?? null,
    reviewers: setup?.reviewers ?? null,
    models: setup?.models ?? null,
    flags: setup?.flags ?? null,
    seed,
    setup_seconds: setup ? round(setup.seconds, 1) : null,
    runs: measured?.runs ?? runs,
    warmup: WARMUP,
    seconds: round(seconds, 3),
    seconds_min: measured ? round(Math.min(...measured.stats_ms) / 1000, 3) : null,
    seconds_max: measured ? round(Math.max(...measured.stats_ms) / 1000, 3) : null,
    sql_share: round(sqlMs / split, 3),
    math_share: round(mathMs / split, 3),
    breakdown: {
      sql_ms: round(sqlMs, 0),
      math_ms: round(mathMs, 0),
      // getBatch and what batchStats does outside its two timed sections (median over the runs).
      other_ms: measured ? round(median(measured.stats_ms.map((ms, i) => ms - measured!.sql_ms[i]! - measured!.math_ms[i]!)), 0) : null,
      runs_ms: measured?.stats_ms.map((ms) => round(ms, 0)) ?? null,
      runs_sql_ms: measured?.sql_ms ?? null,
      runs_math_ms: measured?.math_ms ?? null,
    },
    leaderboard_seconds: round(median(measured?.leaderboard_ms) / 1000, 3),
    leaderboard_battles: measured?.leaderboard_battles ?? null,
    raw_sql_seconds: round(rawMs / 1000, 3),
    raw_pairs_seconds: round(median(measured?.raw_pairs_ms) / 1000, 3),
    raw_judgments_seconds: round(median(measured?.raw_judgments_ms) / 1000, 3),
    raw_rows: measured?.raw_rows ?? null,
    ratio_to_raw: round(rawMs / sqlMs, 3),
    stats_sha256: measured?.stats_sha256 ?? null,
    leaderboard_sha256: measured?.leaderboard_sha256 ?? null,
    figures: measured?.figures ?? null,
    max_rss_mb: measured ? round(measured.max_rss_mb, 0) : null,
    failures,
    targets: TARGETS,
    meets_targets: Number.isFinite(seconds) && seconds < TARGETS.seconds,
  };
  return finish("stats", result, failures, "target missed");
}
