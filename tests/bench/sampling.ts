/**
 * `npm run bench -- sampling [--quick] [--prompts N] [--latency-ms MS] [--concurrency 1,8,32] [--keep]`
 *
 * Sampling throughput against the fake OpenAI-compatible server (tests/support/fake-openai.ts)
 * on loopback, in a child process, answering every request after a fixed latency (50 ms by default): for each
 * concurrency, one sample of every prompt (200 by default, 64 with --quick) under a label of
 * its own, through the real service (fetch, parsing, one SQLite transaction per answer).
 * `efficiency` = measured rate / the ideal concurrency ÷ latency; the target is 0.7 at every
 * concurrency. Prints one JSON object on stdout; progress goes to stderr.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BenchUsageError, COMMON_FLAGS, errorMessage, finish, inScratchDir, log, parseFlags, positiveInt, projectRoot } from "./harness";
import { round } from "./stats";

export const SAMPLING_USAGE = "sampling [--quick] [--prompts N] [--latency-ms MS] [--concurrency 1,8,32] [--keep]";

const TARGET_EFFICIENCY = 0.7;

interface Level {
  concurrency: number;
  samples: number;
  seconds: number | null;
  per_second: number | null;
  ideal_per_second: number;
  efficiency: number | null;
  failed: number;
}

export async function runSamplingBench(args: string[]): Promise<number> {
  const values = parseFlags(args, {
    ...COMMON_FLAGS,
    prompts: { type: "string" },
    "latency-ms": { type: "string" },
    concurrency: { type: "string" },
  });
  const prompts = positiveInt("prompts", values.prompts, values.quick ? 64 : 200);
  const latencyMs = positiveInt("latency-ms", values["latency-ms"], 50);
  const levels = (values.concurrency ?? "1,8,32").split(",").map((c) => positiveInt("concurrency", c, 1));
  if (levels.some((c) => c > 256)) throw new BenchUsageError("--concurrency values must be at most 256");

  const failures: Record<string, string> = {};
  const results: Level[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", join(projectRoot, "tests/bench/sampling-server.ts"), String(latencyMs)], {
    cwd: projectRoot,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`the fake endpoint exited (${code})`)));
  });
  const server = { url: endpoint };
  try {
    await inScratchDir("sampling", values.keep, async ({ dir, dbPath }) => {
      process.env.VERDICT_DB = dbPath;
      process.env.VERDICT_SEED = "none";
      const { importFile } = await import("~/services/imports.server");
      const { sample } = await import("~/services/sampling.server");
      const { closeConnection } = await import("~/services/database.server");
      try {
        const file = join(dir, "prompts.jsonl");
        writeFileSync(file, Array.from({ length: prompts }, (_, i) => JSON.stringify({ id: `p${i}`, prompt: `Question number ${i}: what is ${i} + ${i}?` })).join("\n") + "\n");
        await importFile(file, { dataset: "bench", format: "native" });
        log(`sampling bench: ${prompts} prompts, fake endpoint answering after ${latencyMs} ms, concurrency ${levels.join(", ")}`);
        for (const concurrency of levels) {
          const ideal = (concurrency * 1000) / latencyMs;
          try {
            const started = performance.now();
            const summary = await sample({ dataset: "bench", endpoint: server.url, model: "bench-model", label: `c${concurrency}`, n: 1, concurrency, retry_base_ms: 10 });
            const seconds = (performance.now() - started) / 1000;
            const rate = summary.sampled / seconds;
            results.push({
              concurrency,
              samples: summary.sampled,
              seconds: round(seconds, 2),
              per_second: round(rate, 1),
              ideal_per_second: round(ideal, 1)!,
              efficiency: round(rate / ideal, 2),
              failed: summary.failed,
            });
            log(`  concurrency ${concurrency}: ${summary.sampled} samples in ${seconds.toFixed(2)} s, ${rate.toFixed(1)}/s (ideal ${ideal.toFixed(0)}/s)`);
            if (summary.failed) failures[`concurrency ${concurrency}`] = `${summary.failed} samples failed`;
          } catch (error) {
            failures[`concurrency ${concurrency}`] = errorMessage(error);
          }
        }
      } finally {
        closeConnection();
      }
    });
  } finally {
    child.stdin.end();
  }
  const meets = results.length === levels.length && results.every((r) => (r.efficiency ?? 0) >= TARGET_EFFICIENCY);
  const result = { bench: "sampling", prompts, latency_ms: latencyMs, levels: results, target_efficiency: TARGET_EFFICIENCY, meets_targets: meets };
  return finish("sampling", result, failures);
}
