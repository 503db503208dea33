import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import { ServiceError } from "~/services/errors.server";

export const ROOT = resolve(import.meta.dirname, "../..");
export const FIXTURES = join(ROOT, "tests/fixtures");
export const HH_SPLIT = resolve(ROOT, "../shared/datasets/hh-rlhf-harmless-base-test.jsonl.gz");
export const hasHhSplit = existsSync(HH_SPLIT);
if (!hasHhSplit) console.warn(`skipping tests on the real HH-RLHF split: ${HH_SPLIT} is absent`);

/**
 * Points this test file's services at a fresh SQLite file. Call at the top of the file,
 * before any service runs: config() reads the environment once.
 */
export function setUpTempDatabase(extraEnv: Record<string, string> = {}): { dir: string; dbPath: string } {
  const dir = mkdtempSync(join(tmpdir(), "verdict-test-"));
  const dbPath = join(dir, "verdict.db");
  process.env.VERDICT_DB = dbPath;
  Object.assign(process.env, extraEnv);
  return { dir, dbPath };
}

/** Runs the real CLI (`npm run -s cli -- …` without npm's overhead). */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
  return spawnSync(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "app/cli/main.ts"), ...args], {
    cwd: ROOT,
    input: options.input ?? "",
    encoding: "utf8",
    env: { ...process.env, ...options.env },
    timeout: 60_000,
  });
}

/**
 * Starts the real CLI without blocking (for tests whose fake servers live in this process,
 * which runCli's spawnSync would freeze). One process — node with tsx's loader, not the tsx
 * wrapper that forks another — so a signal sent to `child` reaches the CLI itself.
 */
export function spawnCli(args: string[], options: { env?: Record<string, string> } = {}): {
  child: ChildProcess;
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "app/cli/main.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done };
}

/** The ServiceError `fn` throws (failing the test when it throws none, or something else). */
export function errorOf(fn: () => unknown): ServiceError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ServiceError);
    return error as ServiceError;
  }
  throw new Error("expected a ServiceError");
}
