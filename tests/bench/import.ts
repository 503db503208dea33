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
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { benchPrompts, DEFAULT_SEED, MODELS, nativeLine } from "./corpus";
import type { WorkerResult } from "./import-worker";
import { benchWorker, COMMON_FLAGS, describeUsage, errorMessage, finish, inScratchDir, log, parseFlags, positiveInt } from "./harness";
import { round } from "./stats";

export const IMPORT_USAGE = "import [--quick] [--prompts N] [--seed N] [--keep]";

const FULL_PROMPTS = 200_000;
const QUICK_PROMPTS = 10_000;
const TARGETS = { ratio_to_raw: 0.5, peak_rss_mb: 300 } as const;

const runWorker = benchWorker("import-worker.ts");

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
  return `${run.seconds.toFixed(2)} s, ${describeUsage(run)}`;
}

/** Returns the process exit code. */
export async function runImportBench(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    prompts: { type: "string" },
    seed: { type: "string" },
  });
  const prompts = positiveInt("prompts", values.prompts, values.quick ? QUICK_PROMPTS : FULL_PROMPTS);
  const seed = positiveInt("seed", values.seed, DEFAULT_SEED);
  const expected = { prompts, responses: prompts * MODELS.length };

  return inScratchDir("import", values.keep, async ({ dir, dbPath: verdictDb, env }) => {
    const file = join(dir, "prompts.jsonl");
    const rawDb = join(dir, "raw.db");
    try {
      log(`import bench: ${prompts} prompts × ${MODELS.length} responses, seed ${seed}, in ${dir}`);
      const genStarted = performance.now();
      await writeJsonl(file, prompts, seed);
      const fileBytes = (await stat(file)).size;
      const fileMb = fileBytes / 1024 / 1024;
      log(`  generated ${fileMb.toFixed(1)} MiB in ${((performance.now() - genStarted) / 1000).toFixed(1)} s`);

      log("  running importFile …");
      const verdict = await runWorker<WorkerResult>(["verdict", file, verdictDb], env);
      log(`  importFile: ${describe(verdict)}`);
      log("  running the raw baseline …");
      const raw = await runWorker<WorkerResult>(["raw", rawDb, String(prompts), String(seed)], { ...env, VERDICT_DB: rawDb });
      log(`  raw: ${describe(raw)}`);

      // Each run's rows are its prompts and responses, so these counts also check the row totals.
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
      return finish("import", result, failures);
    } catch (error) {
      log(`import bench failed: ${errorMessage(error)}`);
      return 1;
    }
  });
}
