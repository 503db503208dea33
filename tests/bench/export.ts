/**
 * `npm run bench -- export [--quick] [--items N] [--seed N] [--keep]`
 *
 * With N items (200,000 by default, 20,000 with --quick) in a pairwise batch, each judged by
 * all 5 of its reviewers, so 5 × N stored preference pairs (1,000,000 by default), measures:
 *  - Verdict: streamExport as trl-preference-chat with consensus "all" (one row per stored
 *    pair), written to a file with backpressure, in a child process: rows/s, MiB/s, peak RSS;
 *  - the raw baseline, in another child process: one SQL join iterated with bare
 *    better-sqlite3 (sorted on the narrow keys, texts joined after: see ./export-worker.ts),
 *    JSON.stringify of the same objects, 64 KiB chunks written to a file;
 *  - the same export as CSV and as Parquet (streamExportFile), each in a child process of its
 *    own: rows/s, MiB/s, peak RSS (the 200 MB bound holds for them too);
 * and checks that both files hold one line per pair and whether they are the same bytes.
 * Prints one JSON object on stdout; progress goes to stderr. Exit 0 whether or not the
 * targets are met; exit 1 if a run failed or a count is wrong (a byte difference alone is
 * reported as same_bytes: false, not a failure).
 */
import { join } from "node:path";
import { DEFAULT_SEED } from "./corpus";
import { EXPORT_OPTIONS, REVIEWERS } from "./export-shared";
import type { RunMode, RunResult, SetupResult } from "./export-worker";
import { round } from "./stats";
import { benchWorker, COMMON_FLAGS, describeUsage, errorMessage as message, finish, inScratchDir, log, parseFlags, positiveInt } from "./harness";

export const EXPORT_USAGE = "export [--quick] [--items N] [--seed N] [--keep]";

const FULL_ITEMS = 200_000;
const QUICK_ITEMS = 20_000;
const TARGETS = { ratio_to_raw: 0.5, peak_rss_mb: 200 } as const;

const runWorker = benchWorker("export-worker.ts");

function describe(run: RunResult): string {
  return (
    `${run.rows} rows, ${(run.bytes / 1024 / 1024).toFixed(1)} MiB in ${run.seconds.toFixed(2)} s ` +
    `(${Math.round(run.rows / run.seconds)} rows/s), ${describeUsage(run)}`
  );
}

/** Returns the process exit code. */
export async function runExportBench(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    items: { type: "string" },
    seed: { type: "string" },
  });
  const items = positiveInt("items", values.items, values.quick ? QUICK_ITEMS : FULL_ITEMS);
  const seed = positiveInt("seed", values.seed, DEFAULT_SEED);
  const pairs = items * REVIEWERS;

  const failures: string[] = [];
  let setup: SetupResult | undefined;
  let verdict: RunResult | undefined;
  let raw: RunResult | undefined;
  const files: Partial<Record<Exclude<RunMode, "verdict" | "raw">, RunResult>> = {};
  await inScratchDir("export", values.keep, async ({ dir, env }) => {
    try {
      log(`export bench: ${items} items × ${REVIEWERS} reviewers = ${pairs} stored pairs, seed ${seed}, in ${dir}`);
      setup = await runWorker<SetupResult>(["setup", String(items), String(seed)], env);
      log(`  setup: ${setup.items} items, ${setup.judgments} judgments, ${setup.pairs} pairs, ${setup.db_mb.toFixed(0)} MiB database in ${setup.seconds.toFixed(1)} s (not timed)`);
      if (setup.pairs !== pairs) failures.push(`setup: expected ${pairs} stored pairs, found ${setup.pairs}`);

      log("  running streamExport …");
      try {
        verdict = await runWorker<RunResult>(["verdict", setup.batch_id, join(dir, "verdict.jsonl")], env);
        log(`  streamExport: ${describe(verdict)}`);
      } catch (error) {
        failures.push(`verdict: ${message(error)}`);
      }
      log("  running the raw baseline …");
      try {
        raw = await runWorker<RunResult>(["raw", setup.batch_id, join(dir, "raw.jsonl")], env);
        log(`  raw: ${describe(raw)}`);
      } catch (error) {
        failures.push(`raw: ${message(error)}`);
      }

      for (const mode of ["csv", "parquet"] as const) {
        log(`  running streamExportFile as ${mode} …`);
        try {
          const run = await runWorker<RunResult>([mode, setup.batch_id, join(dir, `verdict.${mode}`)], env);
          files[mode] = run;
          log(`  ${mode}: ${describe(run)}`);
        } catch (error) {
          failures.push(`${mode}: ${message(error)}`);
        }
      }

      for (const run of [verdict, raw, files.csv, files.parquet]) {
        if (!run) continue;
        if (run.rows !== pairs) failures.push(`${run.mode}: expected ${pairs} rows, wrote ${run.rows}`);
        // A CSV's lines are its rows and the header; a Parquet file's "lines" the rows its footer counts.
        const expectedLines = run.mode === "csv" ? run.rows + 1 : run.rows;
        if (run.lines !== expectedLines) failures.push(`${run.mode}: counted ${run.rows} rows but the file has ${run.lines} ${run.mode === "parquet" ? "rows by its footer" : "lines"}`);
      }
      for (const run of [verdict, files.csv, files.parquet]) {
        if (run && run.reported_sha256 !== run.sha256) failures.push(`${run.mode}: the export recorded sha256 ${run.reported_sha256} but the file's is ${run.sha256}`);
      }
      if (verdict && raw && verdict.lines !== raw.lines) failures.push(`the Verdict file has ${verdict.lines} lines, the raw one ${raw.lines}`);
      if (verdict && raw && verdict.sha256 !== raw.sha256) {
        log(
          `  the Verdict and raw files differ (${verdict.bytes} and ${raw.bytes} bytes)` +
            (values.keep ? `: compare ${join(dir, "verdict.jsonl")} and ${join(dir, "raw.jsonl")}` : "; rerun with --keep to compare them"),
        );
      }
    } catch (error) {
      failures.push(`run: ${message(error)}`);
    }
  });

  const rowsPerS = verdict ? verdict.rows / verdict.seconds : null;
  const rawRowsPerS = raw ? raw.rows / raw.seconds : null;
  const ratio = rowsPerS !== null && rawRowsPerS !== null ? rowsPerS / rawRowsPerS : null;
  const fileMb = verdict ? verdict.bytes / 1024 / 1024 : null;
  const rawFileMb = raw ? raw.bytes / 1024 / 1024 : null;
  const peakRssMb = verdict?.max_rss_mb ?? null;
  const fileFigures = (run: RunResult | undefined) =>
    run
      ? {
          rows: run.rows,
          file_mb: round(run.bytes / 1024 / 1024, 1),
          seconds: round(run.seconds, 3),
          rows_per_s: Math.round(run.rows / run.seconds),
          mb_per_s: round(run.bytes / 1024 / 1024 / run.seconds, 1),
          peak_rss_mb: round(run.max_rss_mb, 1),
          cpu_seconds: round(run.user_cpu_seconds + run.system_cpu_seconds, 2),
          sha256: run.sha256,
        }
      : null;
  const filesWithinRss = [files.csv, files.parquet].every((run) => run !== undefined && run.max_rss_mb < TARGETS.peak_rss_mb);
  const meets = ratio !== null && peakRssMb !== null && ratio >= TARGETS.ratio_to_raw && peakRssMb < TARGETS.peak_rss_mb && filesWithinRss;
  const result = {
    bench: "export",
    format: EXPORT_OPTIONS.format,
    consensus: EXPORT_OPTIONS.consensus,
    items: setup?.items ?? items,
    reviewers: REVIEWERS,
    pairs: setup?.pairs ?? pairs,
    rows: verdict?.rows ?? null,
    file_mb: fileMb === null ? null : round(fileMb, 1),
    seconds: verdict ? round(verdict.seconds, 3) : null,
    rows_per_s: rowsPerS === null ? null : Math.round(rowsPerS),
    mb_per_s: fileMb === null || !verdict ? null : round(fileMb / verdict.seconds, 1),
    peak_rss_mb: peakRssMb === null ? null : round(peakRssMb, 1),
    raw_rows: raw?.rows ?? null,
    raw_file_mb: rawFileMb === null ? null : round(rawFileMb, 1),
    raw_seconds: raw ? round(raw.seconds, 3) : null,
    raw_rows_per_s: rawRowsPerS === null ? null : Math.round(rawRowsPerS),
    raw_mb_per_s: rawFileMb === null || !raw ? null : round(rawFileMb / raw.seconds, 1),
    raw_peak_rss_mb: raw ? round(raw.max_rss_mb, 1) : null,
    ratio_to_raw: ratio === null ? null : round(ratio, 3),
    same_lines: verdict && raw ? verdict.lines === raw.lines : null,
    same_bytes: verdict && raw ? verdict.sha256 === raw.sha256 : null,
    sha256: verdict?.sha256 ?? null,
    raw_sha256: raw?.sha256 ?? null,
    cpu_seconds: verdict ? round(verdict.user_cpu_seconds + verdict.system_cpu_seconds, 2) : null,
    raw_cpu_seconds: raw ? round(raw.user_cpu_seconds + raw.system_cpu_seconds, 2) : null,
    csv: fileFigures(files.csv),
    parquet: fileFigures(files.parquet),
    setup_seconds: setup ? round(setup.seconds, 1) : null,
    db_mb: setup ? round(setup.db_mb, 0) : null,
    failures,
    targets: TARGETS,
    meets_targets: meets,
  };
  return finish("export", result, failures);
}
