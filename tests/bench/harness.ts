/**
 * What every benchmark shares, orchestrator and worker alike: usage errors, progress lines,
 * flags, the scratch directory, child workers and the one JSON line each prints. Written once
 * so that every bench fails, cleans up and reports the same way (exit codes 0, 1 and 2, a
 * temp dir removed even on Ctrl-C unless --keep, stdout holding nothing but the result).
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";

export class BenchUsageError extends Error {}

const benchDir = dirname(fileURLToPath(import.meta.url));
export const projectRoot = resolve(benchDir, "../..");

/** Progress goes to stderr; stdout carries only the JSON result. */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

export function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new BenchUsageError(`--${name} must be a positive integer`);
  return n;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** With the stack: for a crash, where errorMessage is for a failure the JSON reports. */
export function errorReport(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

type FlagOptions = NonNullable<ParseArgsConfig["options"]>;
type StrictFlags<O extends FlagOptions> = { args: string[]; options: O; strict: true; allowPositionals: false };

/** The flags every bench takes: a smaller run for CI, and the temp dir kept to look into. */
export const COMMON_FLAGS = {
  quick: { type: "boolean", default: false },
  keep: { type: "boolean", default: false },
} as const;

/** A bench's own flags; a flag it does not know is a usage error (exit 2), not a failed run. */
export function parseFlags<const O extends FlagOptions>(args: string[], options: O): ReturnType<typeof parseArgs<StrictFlags<O>>>["values"] {
  try {
    return parseArgs<StrictFlags<O>>({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new BenchUsageError(errorMessage(error));
  }
}

/** The result line: the only thing a bench or a worker writes to stdout. */
export function printResult(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * Prints the result and returns the exit code: 1 if anything failed, else 0 (missed targets are
 * reported, never failed, so that timings on a slow machine do not fail CI). Failures are
 * either a list or keyed by the part of the bench that failed.
 */
export function finish(
  bench: string,
  result: { meets_targets: boolean },
  failures: readonly string[] | Readonly<Record<string, string>>,
  missed = "targets missed",
): number {
  printResult(result);
  const lines = Array.isArray(failures)
    ? failures.map((failure) => `${bench} bench failed: ${failure}`)
    : Object.entries(failures).map(([part, reason]) => `${bench} bench: ${part} failed: ${reason}`);
  if (lines.length) {
    for (const line of lines) log(line);
    return 1;
  }
  if (!result.meets_targets) log(`${bench} bench: ${missed} (not a failure)`);
  return 0;
}

export interface Scratch {
  dir: string;
  /** The benchmark database, verdict.db in dir. */
  dbPath: string;
  /** The workers' environment: VERDICT_DB is dbPath, and no demo data is seeded into it. */
  env: NodeJS.ProcessEnv;
}

/**
 * Runs `body` with a fresh temp dir, removed afterwards (kept with --keep), also when the run
 * is interrupted, since a full-size bench leaves gigabytes behind. `beforeRemove` runs first,
 * e.g. to stop a server that holds the database open.
 */
export async function inScratchDir<T>(
  bench: string,
  keep: boolean | undefined,
  body: (scratch: Scratch) => Promise<T>,
  beforeRemove?: () => Promise<void>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `verdict-bench-${bench}-`));
  const dbPath = join(dir, "verdict.db");
  const cleanup = async () => {
    await beforeRemove?.();
    if (keep) log(`  kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  };
  const onSignal = () => {
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await body({ dir, dbPath, env: { ...process.env, VERDICT_DB: dbPath, VERDICT_SEED: "none" } });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}

/**
 * Runs a worker script in a child process (so its peak RSS is its own) and returns the JSON of
 * the last line it prints; its stderr passes through as progress.
 */
export async function runWorker<T>(workerPath: string, args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  const child = spawn(process.execPath, ["--import", "tsx", workerPath, ...args], {
    cwd: projectRoot,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    child.once("error", reject);
    child.once("close", (exitCode) => resolvePromise(exitCode));
  });
  if (code !== 0) throw new Error(`the ${args[0]} worker exited with code ${code}`);
  const last = stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`the ${args[0]} worker printed no result: ${JSON.stringify(stdout.slice(-500))}`);
  }
}

/** runWorker for one of this folder's workers, by file name. */
export function benchWorker(file: string): <T>(args: string[], env: NodeJS.ProcessEnv) => Promise<T> {
  const workerPath = join(benchDir, file);
  return <T>(args: string[], env: NodeJS.ProcessEnv) => runWorker<T>(workerPath, args, env);
}

/** What a measured run cost its process, as the worker reports it. */
export interface ProcessUsage {
  max_rss_mb: number;
  /** CPU time of the whole process (startup included), to tell CPU from waiting on the disk. */
  user_cpu_seconds: number;
  system_cpu_seconds: number;
}

/** The worker's usage so far: read it right after the measured run, so the peak is the run's own. */
export function processUsage(): ProcessUsage {
  const usage = process.resourceUsage();
  return { max_rss_mb: usage.maxRSS / 1024, user_cpu_seconds: usage.userCPUTime / 1e6, system_cpu_seconds: usage.systemCPUTime / 1e6 };
}

/** A run's usage in a progress line. */
export function describeUsage(run: ProcessUsage): string {
  return `peak RSS ${run.max_rss_mb.toFixed(0)} MiB (process CPU: ${run.user_cpu_seconds.toFixed(2)} s user, ${run.system_cpu_seconds.toFixed(2)} s system)`;
}

/** A worker called with the wrong arguments: a usage line and exit 2. */
export function workerUsage(usage: string): never {
  process.stderr.write(`usage: ${usage}\n`);
  process.exit(2);
}

/**
 * A worker's entry point: `main` gets the arguments and its result becomes the worker's one
 * JSON line; a throw prints the stack (and an import error's bad lines) and exits 1.
 */
export function workerMain(main: (argv: string[]) => unknown): void {
  Promise.resolve()
    .then(() => main(process.argv.slice(2)))
    .then(printResult, (error: unknown) => {
      process.stderr.write(`${errorReport(error)}\n`);
      const lines = (error as { lines?: unknown } | null)?.lines;
      if (Array.isArray(lines)) process.stderr.write(`${lines.join("\n")}\n`);
      process.exit(1);
    });
}
