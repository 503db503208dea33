import { spawn, type ChildProcess } from "node:child_process";
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

/** What a CLI run printed and how it ended. */
export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Starts the real CLI (`npm run -s cli -- …` without npm's overhead) without blocking: a
 * synchronous child would freeze fake servers living in this process, and a test worker
 * blocked past 60 s (a few CLI runs on a loaded machine) misses vitest's RPC deadline, which
 * fails a green run ("Timeout calling onTaskUpdate", vitest-dev/vitest#11082). One process —
 * node with tsx's loader, not the tsx wrapper that forks another — so a signal sent to `child`
 * reaches the CLI itself.
 */
export function spawnCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "app/cli/main.ts"), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin!.end(options.input ?? "");
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done };
}

/** Runs the real CLI to its end (see spawnCli). */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return spawnCli(args, options).done;
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
