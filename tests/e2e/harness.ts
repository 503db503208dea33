import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

type LaunchOptions = NonNullable<Parameters<typeof chromium.launchPersistentContext>[1]>;

export const ROOT = resolve(import.meta.dirname, "../..");

export interface DemoCredentials {
  [username: string]: string;
}

export interface RunningServer {
  url: string;
  credentials: DemoCredentials;
  dbPath: string;
  /** Everything the server printed so far (stdout and stderr, interleaved as they came). */
  output: () => string;
  stop: () => Promise<void>;
  /** SIGKILL, as a crash would: the database (and its directory) stay for a server started with `reuse`. */
  kill: () => Promise<void>;
}

export interface ServerOptions {
  /** Extra environment variables for the server (an API key the sampling page names, say). */
  env?: Record<string, string>;
  /** Start on the database of an earlier, stopped server (its demo accounts are not printed again). */
  reuse?: RunningServer;
}

/**
 * The demo accounts from the block the server prints on a fresh database: the rows under the
 * `username  password  role` heading, up to the first blank line.
 */
export function parseDemoAccounts(output: string): DemoCredentials {
  const credentials: DemoCredentials = {};
  const lines = output.split("\n");
  const heading = lines.findIndex((line) => /^\s+username\s+password\s+role$/.test(line));
  if (heading < 0) return credentials;
  for (const line of lines.slice(heading + 1)) {
    const row = /^\s+(\S+)\s+(\S+)\s+(admin|reviewer)$/.exec(line);
    if (!row) break;
    credentials[row[1]!] = row[2]!;
  }
  return credentials;
}

/** A TCP port free on the loopback interface right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts the built server (`node server.js`, as `npm start` does after building) on a fresh
 * database and reads the demo credentials it prints, as a newcomer would.
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  if (!existsSync(join(ROOT, "build/server/index.js"))) throw new Error("No build: run `npm run build` first (npm test does).");
  const dir = options.reuse ? dirname(options.reuse.dbPath) : mkdtempSync(join(tmpdir(), "verdict-e2e-"));
  const dbPath = join(dir, "verdict.db");
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["server.js"], {
    cwd: ROOT,
    env: { ...process.env, ...options.env, PORT: String(port), HOST: "127.0.0.1", VERDICT_DB: dbPath, NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes("Verdict is listening")) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}:\n${output}`));
    });
  });
  const credentials = options.reuse ? options.reuse.credentials : parseDemoAccounts(output);
  if (!credentials.admin) {
    child.kill("SIGTERM");
    throw new Error(`no demo accounts in the server's output:\n${output}`);
  }
  return {
    url: `http://127.0.0.1:${port}`,
    credentials,
    dbPath,
    output: () => output,
    stop: async () => {
      // A killed server has a signalCode and no exitCode: waiting for its exit would hang.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/**
 * Debian's Chromium with a fresh profile and the flags this closed network needs. `locale` and
 * `timezoneId` let a test be a reviewer elsewhere than the server (formatting that differs
 * between server and browser breaks hydration); `viewport`, `hasTouch`, `isMobile` a phone.
 */
export async function launchBrowser(
  options: Pick<LaunchOptions, "locale" | "timezoneId" | "viewport" | "hasTouch" | "isMobile"> = {},
): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "verdict-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    viewport: { width: 1280, height: 800 },
    ...options,
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Signs in afresh: the profile is shared by a file's tests, so any earlier session is dropped first. */
export async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.getByRole("button", { name: "Sign in" }).click()]);
}

/** The CLI against a running server's database, as an operator would use it beside the server. */
export function cliFor(server: RunningServer, args: string[]): string {
  const run = spawnSync(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "app/cli/main.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, VERDICT_DB: server.dbPath },
  });
  if (run.status !== 0) throw new Error(`cli ${args.join(" ")} failed: ${run.stderr}`);
  return run.stdout;
}

/** API tokens for the demo accounts, and a fetch that sends one. */
export function apiClient(server: RunningServer, users: string[]) {
  const tokens: Record<string, string> = {};
  for (const user of users) tokens[user] = (JSON.parse(cliFor(server, ["tokens", "create", "--username", user, "--json"])) as { token: string }).token;
  const api = (path: string, user: string | null, init: RequestInit = {}) =>
    fetch(`${server.url}/api/v1${path}`, {
      ...init,
      headers: { ...(user ? { Authorization: `Bearer ${tokens[user]}` } : {}), "Content-Type": "application/json", ...init.headers },
    });
  return { tokens, api };
}

/** An assignment as `GET /api/v1/batches/:id/next` gives it, with the fields the tests read. */
export interface ApiAssignment {
  id: string;
  prompt: { external_id: string };
  responses: Array<{ id: string; external_id: string }>;
}

/**
 * Judges every item the API gives `user` in a batch, in order: `decide(assignment, n)` returns
 * the judgment body (without client_id). Each submission must be answered 201. Returns how many.
 */
export async function judgeAllViaApi(
  api: ReturnType<typeof apiClient>["api"],
  batchId: string,
  user: string,
  decide: (assignment: ApiAssignment, n: number) => Record<string, unknown>,
): Promise<number> {
  for (let n = 0; n < 10_000; n++) {
    const next = await api(`/batches/${batchId}/next`, user);
    if (next.status === 204) return n;
    const { assignment } = (await next.json()) as { assignment: ApiAssignment };
    const body = { client_id: `${batchId}-${user}-${n}`, ...decide(assignment, n) };
    const saved = await api(`/assignments/${assignment.id}/judgment`, user, { method: "POST", body: JSON.stringify(body) });
    if (saved.status !== 201) throw new Error(`judging ${assignment.id} as ${user} answered ${saved.status}: ${await saved.text()}`);
  }
  throw new Error("the batch never ran out of items");
}

/** The id of a batch by name, from the CLI. */
export function batchIdFor(server: RunningServer, name: string): string {
  return (JSON.parse(cliFor(server, ["batches", "list", "--json"])) as Array<{ id: string; name: string }>).find((b) => b.name === name)!.id;
}
