/**
 * `npm run bench -- import [--quick] [--prompts N] [--seed N] [--keep]`
 *
 * Generates a native JSONL file of N prompts × 2 responses (200,000 by default, 10,000 with
 * --quick), imports it with Verdict's importFile in a child process, inserts the same rows
 * with bare better-sqlite3 prepared statements in another child process, and prints one JSON
 * object on stdout. Progress goes to stderr. Exit 0 whether or not the targets are met
 * (timings must not fail CI); exit 1 if a run fails or the row counts are wrong.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { finished } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { benchPrompts, DEFAULT_SEED, MODELS, nativeLine } from "./corpus";
import type { WorkerResult } from "./import-worker";
import { BenchUsageError, log, positiveInt, runWorker as runWorkerAt } from "./harness";

export const IMPORT_USAGE = "import [--quick] [--prompts N] [--seed N] [--keep]";

const FULL_PROMPTS = 200_000;
const QUICK_PROMPTS = 10_000;
const TARGETS = { ratio_to_raw: 0.5, peak_rss_mb: 300 } as const;

const here = dirname(fileURLToPath(import.meta.url));
const workerPath = join(here, "import-worker.ts");

/** Runs this bench's worker in a child process and returns its one JSON line. */
const runWorker = (args: string[], env: NodeJS.ProcessEnv): Promise<WorkerResult> => runWorkerAt<WorkerResult>(workerPath, args, env);

export { BenchUsageError };

/** Writes the file line by line through a stream, in ~1 MiB writes, honouring backpressure. */
async function writeJsonl(file: string, prompts: number, seed: number): Promise<void> {
  const out = createWriteStream(file);
  let buffer = "";
  let written = 0;
  for (const prompt of benchPrompts(prompts, seed)) {
    buffer += `${nativeLine(prompt)}\n`;
    written++;
    if (buffer.length >= 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((r) => out.once("drain", () => r()));
      buffer = "";
    }
    if (written % 50_000 === 0) log(`  generate: ${written}/${prompts} prompts`);
  }
  out.end(buffer);
  await finished(out);
  // Flush it to disk now, so its write-back does not compete with the timed runs for the disk.
  const handle = await open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function describe(run: WorkerResult): string {
  return (
    `${run.seconds.toFixed(2)} s, peak RSS ${run.max_rss_mb.toFixed(0)} MiB ` +
    `(process CPU: ${run.user_cpu_seconds.toFixed(2)} s user, ${run.system_cpu_seconds.toFixed(2)} s system)`
  );
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Returns the process exit code. */
export async function runImportBench(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: "boolean", default: false },
        prompts: { type: "string" },
        seed: { type: "string" },
        keep: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const prompts = positiveInt("prompts", values.prompts, values.quick ? QUICK_PROMPTS : FULL_PROMPTS);
  const seed = positiveInt("seed", values.seed, DEFAULT_SEED);
  const expected = { prompts, responses: prompts * MODELS.length };
  const expectedRows = expected.prompts + expected.responses;

  const dir = await mkdtemp(join(tmpdir(), "verdict-bench-import-"));
  const file = join(dir, "prompts.jsonl");
  const verdictDb = join(dir, "verdict.db");
  const rawDb = join(dir, "raw.db");
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    log(`import bench: ${prompts} prompts × ${MODELS.length} responses, seed ${seed}, in ${dir}`);
    const genStarted = performance.now();
    await writeJsonl(file, prompts, seed);
    const fileBytes = (await stat(file)).size;
    const fileMb = fileBytes / 1024 / 1024;
    log(`  generated ${fileMb.toFixed(1)} MiB in ${((performance.now() - genStarted) / 1000).toFixed(1)} s`);

    const env = { ...process.env, VERDICT_SEED: "none" as const };
    log("  running importFile …");
    const verdict = await runWorker(["verdict", file, verdictDb], { ...env, VERDICT_DB: verdictDb });
    log(`  importFile: ${describe(verdict)}`);
    log("  running the raw baseline …");
    const raw = await runWorker(["raw", rawDb, String(prompts), String(seed)], { ...env, VERDICT_DB: rawDb });
    log(`  raw: ${describe(raw)}`);

    const failures: string[] = [];
    for (const run of [verdict, raw]) {
      if (run.prompts !== expected.prompts || run.responses !== expected.responses) {
        failures.push(
          `${run.mode}: expected ${expected.prompts} prompts and ${expected.responses} responses, found ${run.prompts} and ${run.responses}`,
        );
      }
    }

    const rowsPerS = verdict.rows / verdict.seconds;
    const rawRowsPerS = raw.rows / raw.seconds;
    const ratio = rowsPerS / rawRowsPerS;
    const peakRssMb = verdict.max_rss_mb;
    const result = {
      bench: "import",
      prompts: verdict.prompts,
      responses: verdict.responses,
      rows: verdict.rows,
      file_mb: round(fileMb, 1),
      seconds: round(verdict.seconds, 3),
      rows_per_s: Math.round(rowsPerS),
      mb_per_s: round(fileMb / verdict.seconds, 1),
      peak_rss_mb: round(peakRssMb, 1),
      raw_seconds: round(raw.seconds, 3),
      raw_rows_per_s: Math.round(rawRowsPerS),
      ratio_to_raw: round(ratio, 3),
      targets: TARGETS,
      meets_targets: ratio >= TARGETS.ratio_to_raw && peakRssMb < TARGETS.peak_rss_mb,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    if (failures.length) {
      for (const failure of failures) log(`import bench failed: ${failure}`);
      return 1;
    }
    if (expectedRows !== verdict.rows) return 1;
    if (!result.meets_targets) log("import bench: targets missed (not a failure)");
    return 0;
  } catch (error) {
    log(`import bench failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (values.keep) log(`  kept ${dir}`);
    else await cleanup();
  }
}
