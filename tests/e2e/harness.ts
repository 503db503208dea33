import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const ROOT = resolve(import.meta.dirname, "../..");

export interface DemoCredentials {
  [username: string]: string;
}

export interface RunningServer {
  url: string;
  credentials: DemoCredentials;
  dbPath: string;
  stop: () => Promise<void>;
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
export async function startServer(): Promise<RunningServer> {
  if (!existsSync(join(ROOT, "build/server/index.js"))) throw new Error("No build: run `npm run build` first (npm test does).");
  const dir = mkdtempSync(join(tmpdir(), "verdict-e2e-"));
  const dbPath = join(dir, "verdict.db");
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ["server.js"], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", VERDICT_DB: dbPath, NODE_ENV: "production" },
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
  const credentials: DemoCredentials = {};
  for (const match of output.matchAll(/^\s+(\S+)\s+(\S{16})\s+\((admin|reviewer)\)$/gm)) credentials[match[1]!] = match[2]!;
  return {
    url: `http://127.0.0.1:${port}`,
    credentials,
    dbPath,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** How the browser presents itself: a laptop by default; a phone is `{ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }`. */
export interface BrowserDevice {
  viewport?: { width: number; height: number };
  isMobile?: boolean;
  hasTouch?: boolean;
}

/** Debian's Chromium with a fresh profile and the flags this closed network needs. */
export async function launchBrowser(device: BrowserDevice = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), "verdict-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    viewport: device.viewport ?? { width: 1280, height: 800 },
    isMobile: device.isMobile ?? false,
    hasTouch: device.hasTouch ?? false,
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
