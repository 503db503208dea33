/** What every benchmark orchestrator shares: usage errors, progress lines, flags, and child workers. */
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export class BenchUsageError extends Error {}

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

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
