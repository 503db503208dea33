/**
 * The HTTP half of the review benchmark: make sure the production build is current, start
 * `node server.js` on the benchmark database, and drive the API with concurrent reviewers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "../e2e/harness";
import { log } from "./harness";
import { summarize, type Summary } from "./stats";

/** The newest modification time of the sources the build is made from. */
function newestSource(root: string): { file: string; mtimeMs: number } {
  let newest = { file: "", mtimeMs: 0 };
  const consider = (file: string) => {
    const { mtimeMs } = statSync(file);
    if (mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  };
  for (const entry of readdirSync(join(root, "app"), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) consider(join(entry.parentPath, entry.name));
  }
  for (const file of ["vite.config.ts", "package-lock.json"]) if (existsSync(join(root, file))) consider(join(root, file));
  return newest;
}

/**
 * Builds (`npm run build`) when there is no build or a source is newer than it; the build's
 * own output goes to stderr. Throws with the end of that output when the build fails.
 */
export async function ensureBuild(root: string): Promise<"current" | "built"> {
  const serverBuild = join(root, "build/server/index.js");
  let reason: string | null = null;
  if (!existsSync(serverBuild)) reason = "there is no build";
  else {
    const newest = newestSource(root);
    if (newest.mtimeMs > statSync(serverBuild).mtimeMs) reason = `${newest.file.slice(root.length + 1)} is newer than the build`;
  }
  if (reason === null) return "current";
  log(`  building (${reason}): npm run build …`);
  const started = performance.now();
  const child = spawn("npm", ["run", "-s", "build"], { cwd: root, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
  let tail = "";
  const keep = (chunk: Buffer) => {
    process.stderr.write(chunk);
    tail = (tail + chunk.toString()).slice(-4000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) {
    const lines = tail.trim().split("\n");
    const error = lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? "";
    throw new Error(`npm run build failed (exit ${code}): ${error.trim()}`);
  }
  log(`  built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return "built";
}

/** User + system CPU seconds a process has used so far (Linux /proc), or null elsewhere. */
export function processCpuSeconds(pid: number): number | null {
  try {
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

export interface RunningServer {
  url: string;
  pid: number;
  /** What the server printed, for error messages. */
  output: () => string;
  stop: () => Promise<void>;
}

/** `node server.js` on loopback, on a free port, with the benchmark database and no demo seed. */
export async function startServer(root: string, dbPath: string): Promise<RunningServer> {
  const port = await freePort();
  // VERDICT_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server (where the time goes).
  const nodeArgs = (process.env.VERDICT_BENCH_SERVER_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, "server.js"], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", VERDICT_DB: dbPath, VERDICT_SEED: "none", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await new Promise<void>((ready, fail) => {
      const timer = setTimeout(() => fail(new Error(`the server did not start within 60 s:\n${output}`)), 60_000);
      child.stdout!.on("data", () => {
        if (output.includes("Verdict is listening")) {
          clearTimeout(timer);
          ready();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        fail(new Error(`the server exited with ${code}:\n${output.slice(-2000)}`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, output: () => output, stop };
}

export interface ApiResult {
  reviewers: number;
  /** The measured window (after the warm-up). */
  seconds: number;
  judgments: number;
  judgments_per_s: number;
  /** Every request in the window: next and judgment. */
  latency_ms: Summary;
  next_ms: Summary;
  judgment_ms: Summary;
  errors: number;
  error_samples: string[];
  /** Reviewers that ran out of items (204) before the end. */
  exhausted: number;
  server_cpu_pct: number | null;
  client_cpu_pct: number;
}

interface NextBody {
  assignment: { id: string; responses: Array<{ id: string }> };
}

const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONSECUTIVE_ERRORS = 10;

/**
 * `reviewers` clients, each in a loop of GET next → POST judgment over keep-alive loopback
 * connections, for `warmupSeconds` unmeasured and then `seconds` measured, at most
 * `maxJudgments` judgments in all. Errors: network failures, timeouts, unreadable bodies and
 * any status but 200/204 for next and 2xx for a judgment.
 */
export async function runApiLoad(options: {
  url: string;
  batchId: string;
  tokens: string[];
  seconds: number;
  warmupSeconds: number;
  maxJudgments: number;
  serverPid: number;
  /** Called with the client_id of every judgment the server acknowledged (2xx): the soak bench checks each is stored. */
  onAcknowledged?: (clientId: string) => void;
}): Promise<ApiResult> {
  const { url, batchId, tokens } = options;
  const started = performance.now();
  const windowStart = started + options.warmupSeconds * 1000;
  const deadline = windowStart + options.seconds * 1000;
  const samples = { next: [] as number[], judgment: [] as number[] };
  const errorSamples: string[] = [];
  let errors = 0;
  let judgments = 0;
  let windowJudgments = 0;
  let exhausted = 0;
  let serverCpuStart: number | null = null;
  let clientCpuStart = 0;
  let windowStarted = false;
  const startWindow = () => {
    if (windowStarted || performance.now() < windowStart) return;
    windowStarted = true;
    serverCpuStart = processCpuSeconds(options.serverPid);
    const usage = process.cpuUsage();
    clientCpuStart = (usage.user + usage.system) / 1e6;
  };

  const fail = (message: string) => {
    errors++;
    if (errorSamples.length < 10) errorSamples.push(message);
  };

  /** One request; null on a network error or timeout (already counted). */
  const call = async (kind: "next" | "judgment", path: string, init: RequestInit): Promise<{ status: number; body: string } | null> => {
    const t0 = performance.now();
    try {
      const response = await fetch(url + path, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const body = await response.text();
      const t1 = performance.now();
      if (t0 >= windowStart && t1 <= deadline) samples[kind].push(t1 - t0);
      return { status: response.status, body };
    } catch (error) {
      fail(`${kind}: ${error instanceof Error ? error.message : String(error)}`);
      return null;
    }
  };

  const reviewer = async (token: string) => {
    const auth = { Authorization: `Bearer ${token}` };
    let consecutive = 0;
    const failed = () => ++consecutive >= MAX_CONSECUTIVE_ERRORS;
    while (performance.now() < deadline && judgments < options.maxJudgments) {
      startWindow();
      const next = await call("next", `/api/v1/batches/${batchId}/next`, { headers: auth });
      if (!next) {
        if (failed()) break;
        continue;
      }
      if (next.status === 204) {
        exhausted++;
        break;
      }
      let assignment: NextBody["assignment"] | undefined;
      try {
        assignment = next.status === 200 ? (JSON.parse(next.body) as NextBody).assignment : undefined;
      } catch {
        assignment = undefined;
      }
      const preferred = assignment?.responses[0]?.id;
      if (!assignment || !preferred) {
        fail(`next: ${next.status} ${next.body.slice(0, 200)}`);
        if (failed()) break;
        continue;
      }
      const clientId = randomUUID();
      const judgment = await call("judgment", `/api/v1/assignments/${assignment.id}/judgment`, {
        method: "POST",
        headers: { ...auth, "Content-Type": "application/json" },
        body: JSON.stringify({ client_id: clientId, preferred, strength: 2 }),
      });
      if (!judgment) {
        if (failed()) break;
        continue;
      }
      if (judgment.status < 200 || judgment.status > 299) {
        fail(`judgment: ${judgment.status} ${judgment.body.slice(0, 200)}`);
        if (failed()) break;
        continue;
      }
      consecutive = 0;
      options.onAcknowledged?.(clientId);
      judgments++;
      const now = performance.now();
      if (now >= windowStart && now <= deadline) windowJudgments++;
    }
  };

  await Promise.all(tokens.map((token) => reviewer(token)));
  const end = Math.min(performance.now(), deadline);
  const windowSeconds = Math.max(0.001, (end - windowStart) / 1000);
  const serverCpuEnd = processCpuSeconds(options.serverPid);
  const usage = process.cpuUsage();
  const clientCpu = (usage.user + usage.system) / 1e6 - clientCpuStart;
  return {
    reviewers: tokens.length,
    seconds: windowSeconds,
    judgments: windowJudgments,
    judgments_per_s: windowJudgments / windowSeconds,
    latency_ms: summarize([...samples.next, ...samples.judgment]),
    next_ms: summarize(samples.next),
    judgment_ms: summarize(samples.judgment),
    errors,
    error_samples: errorSamples,
    exhausted,
    server_cpu_pct: serverCpuStart !== null && serverCpuEnd !== null ? ((serverCpuEnd - serverCpuStart) / windowSeconds) * 100 : null,
    client_cpu_pct: (clientCpu / windowSeconds) * 100,
  };
}
