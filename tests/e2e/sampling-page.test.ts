import Database from "better-sqlite3";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeServer } from "../support/fake-openai";
import { cliFor, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

const KEY = "sk-e2e-3b9d7f1a0c6e4258";
const ENV = { E2E_SAMPLE_KEY: KEY };
const PROMPTS = 15;

let endpoint: FakeServer;
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  // The endpoint lives in this process and answers slowly, so a job takes seconds and its progress shows.
  endpoint = await startFakeOpenAI();
  endpoint.behave = () => ({ kind: "ok", delayMs: 250 });
  server = await startServer({ env: ENV });
  browser = await launchBrowser();
  const dir = mkdtempSync(join(tmpdir(), "verdict-sampling-e2e-"));
  const file = join(dir, "qa.jsonl");
  writeFileSync(file, Array.from({ length: PROMPTS }, (_, i) => JSON.stringify({ id: `q${i + 1}`, prompt: `Question ${i + 1}?` })).join("\n") + "\n");
  cliFor(server, ["import", file, "--dataset", "qa"]);
  rmSync(dir, { recursive: true, force: true });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await endpoint?.close();
});

const row = (page: Page, label: string) => page.getByRole("table", { name: "Sampling jobs" }).locator("tbody tr", { has: page.getByRole("link", { name: label, exact: true }) });
const stateOf = (page: Page, label: string) => row(page, label).getAttribute("data-state");
/** "12/30 (40%)" → 12 */
const storedOf = async (page: Page, label: string) => Number((await row(page, label).locator('[data-col="stored"]').textContent())!.split("/")[0]);

async function startJob(page: Page, label: string) {
  const form = page.getByRole("form", { name: "New sampling job" });
  await form.getByLabel("Endpoint URL").fill(endpoint.url);
  await form.getByLabel("Model", { exact: true }).fill("tiny-llm");
  await form.getByLabel("Label (blank = the model)").fill(label);
  await form.getByLabel("Samples per prompt (n)").fill("2");
  await form.getByLabel("Concurrency").fill("2");
  await form.getByLabel(/API key: name of the server/).fill("E2E_SAMPLE_KEY");
  await Promise.all([page.waitForURL(/\/sample\?job=/), form.getByRole("button", { name: "Start sampling" }).click()]);
  await row(page, label).waitFor();
}

/** Copies of each (prompt, label, sample index) in the server's database: a duplicate shows as 2. */
function copiesOf(dbPath: string, label: string): number[] {
  const db = new Database(dbPath, { readonly: true });
  try {
    return db
      .prepare<[string], { copies: number }>("SELECT COUNT(*) AS copies FROM responses WHERE model = ? GROUP BY prompt_id, external_id ORDER BY prompt_id, external_id")
      .all(label)
      .map((r) => r.copies);
  } finally {
    db.close();
  }
}

describe("the sampling page", () => {
  it("refuses bad options beside their fields, asks for a variable's name and never the key", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/datasets`);
    await Promise.all([page.waitForURL(/\/admin\/datasets\/qa\/sample$/), page.getByRole("link", { name: "Sample responses into qa" }).click()]);
    const form = page.getByRole("form", { name: "New sampling job" });
    await form.getByLabel("Endpoint URL").fill("ftp://nowhere");
    await form.getByLabel("Model", { exact: true }).fill("tiny-llm");
    await form.getByLabel("Samples per prompt (n)").fill("0");
    const answer = page.waitForResponse((r) => r.request().method() === "POST");
    await form.getByRole("button", { name: "Start sampling" }).click();
    expect((await answer).status()).toBe(400);
    await expect(page.locator("#endpoint-error").textContent()).resolves.toContain("must be an http:// or https:// URL");
    await expect(page.locator("#n-error").textContent()).resolves.toBe("at least 1");

    await form.getByLabel("Endpoint URL").fill(endpoint.url);
    await form.getByLabel("Samples per prompt (n)").fill("1");
    await form.getByLabel(/API key: name of the server/).fill("NOT_SET_ON_THE_SERVER_KEY");
    await form.getByRole("button", { name: "Start sampling" }).click();
    await expect(page.locator("#api_key_env-error").textContent()).resolves.toBe("the server has no environment variable NOT_SET_ON_THE_SERVER_KEY");
    await expect(page.getByRole("table", { name: "Sampling jobs" }).count()).resolves.toBe(0);
    await page.close();
  });

  it("a job runs in the background: its progress advances, survives a reload, and it finishes", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/datasets/qa/sample`);
    await startJob(page, "first");
    await expect.poll(() => storedOf(page, "first"), { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    const before = await storedOf(page, "first");
    expect(await stateOf(page, "first")).toBe("running");
    await expect(page.getByTestId("job-detail").getByRole("status").textContent()).resolves.toMatch(/^running: \d+ of 30 samples stored/);
    // The page polls: the figure moves without a reload.
    await expect.poll(() => storedOf(page, "first"), { timeout: 20_000 }).toBeGreaterThan(before);
    expect(await row(page, "first").locator('[data-col="rate"]').textContent()).toMatch(/^\d+\.\d\/s$/);

    await page.reload();
    expect(await stateOf(page, "first")).toBe("running");
    expect(await storedOf(page, "first")).toBeGreaterThan(before);
    await expect.poll(() => stateOf(page, "first"), { timeout: 30_000 }).toBe("done");
    expect(await row(page, "first").locator('[data-col="stored"]').textContent()).toBe("30/30 (100%)");
    expect(copiesOf(server.dbPath, "first")).toEqual(Array(30).fill(1));
    expect(endpoint.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
    await page.close();
  });

  it("cancel stops a job and keeps what it stored", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/datasets/qa/sample`);
    await startJob(page, "second");
    await expect.poll(() => storedOf(page, "second"), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await row(page, "second").getByRole("button", { name: "Cancel" }).click();
    await expect.poll(() => stateOf(page, "second"), { timeout: 10_000 }).toBe("cancelled");
    const kept = await storedOf(page, "second");
    expect(kept).toBeLessThan(30);
    expect(copiesOf(server.dbPath, "second")).toEqual(Array(kept).fill(1));
    await page.waitForTimeout(1000);
    expect(copiesOf(server.dbPath, "second")).toHaveLength(kept);
    await expect(row(page, "second").getByRole("button", { name: "Resume" }).count()).resolves.toBe(1);
    await page.close();
  });

  it("after the server is killed mid-job the page shows it interrupted, and Resume completes it without duplicates", async () => {
    let page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/datasets/qa/sample`);
    await startJob(page, "third");
    await expect.poll(() => storedOf(page, "third"), { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    await page.close();
    await server.kill();
    const partial = copiesOf(server.dbPath, "third").length;
    expect(partial).toBeLessThan(30);

    server = await startServer({ env: ENV, reuse: server });
    page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/datasets/qa/sample`);
    // No process runs it, and its heartbeat goes stale within seconds: then it is resumable.
    await expect
      .poll(
        async () => {
          await page.reload();
          return stateOf(page, "third");
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toBe("interrupted");
    await expect(row(page, "third").locator('[data-col="state"]').textContent()).resolves.toBe("interrupted — resumable");
    await row(page, "third").getByRole("link", { name: "third" }).click();
    await expect(page.getByTestId("job-detail").getByRole("note").textContent()).resolves.toContain("Resume samples only what is still missing");

    const asked = endpoint.requests.length;
    await page.getByTestId("job-detail").getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => stateOf(page, "third"), { timeout: 30_000 }).toBe("done");
    expect(copiesOf(server.dbPath, "third")).toEqual(Array(30).fill(1));
    expect(endpoint.requests.length - asked).toBe(30 - partial);
    await page.close();

    const bytes = readdirSync(dirname(server.dbPath))
      .map((f) => readFileSync(join(dirname(server.dbPath), f)).toString("latin1"))
      .join("");
    expect(bytes).not.toContain(KEY);
    expect(server.output()).not.toContain(KEY);
  });
});
