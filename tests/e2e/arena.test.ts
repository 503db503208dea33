import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeOpenAI, type FakeServer } from "../support/fake-openai";
import { batchIdFor, cliFor, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

/** Where the test leaves its screenshots (not committed): ARENA_SHOTS or a temporary folder. */
const SHOTS = process.env.ARENA_SHOTS ?? mkdtempSync(join(tmpdir(), "verdict-arena-shots-"));

let server: RunningServer;
let models: FakeServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let db: Database.Database;
let page: Page;
let batchId = "";

const ANSWER = {
  "alpha-7b": "**Air scatters** short wavelengths more than long ones, so blue light reaches your eyes from every direction of the sky.",
  "beta-13b": "Sunlight is scattered by molecules (Rayleigh scattering); shorter wavelengths scatter most, which is why the daytime sky appears blue.",
} as Record<string, string>;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  models = await startFakeOpenAI();
  // Slow enough that the page shows part of each answer well before either is complete.
  models.behave = (request) => ({ kind: "ok", text: ANSWER[request.body.model] ?? "?", chunkChars: 6, chunkDelayMs: 120 });
  server = await startServer();
  browser = await launchBrowser({ viewport: { width: 1280, height: 720 } });
  db = new Database(server.dbPath, { readonly: true });
  page = await browser.context.newPage();
  const file = join(mkdtempSync(join(tmpdir(), "verdict-arena-")), "endpoints.json");
  writeFileSync(
    file,
    JSON.stringify([
      { label: "Alpha", url: models.url, model: "alpha-7b" },
      { label: "Beta", url: models.url, model: "beta-13b" },
    ]),
  );
  cliFor(server, ["batches", "create", "--task", "arena", "--dataset", "arena-votes", "--name", "Sky arena", "--reviewers", "reviewer1", "--endpoint-file", file]);
  batchId = batchIdFor(server, "Sky arena");
});
afterAll(async () => {
  db?.close();
  await browser?.close();
  await server?.stop();
  await models?.close();
});

const panelText = (p: Page, letter: "A" | "B") => p.getByRole("region", { name: `Text of Model ${letter}` }).innerText();

describe("arena", () => {
  it("streams two anonymous answers side by side, takes a keyboard vote and reveals the names", async () => {
    await signIn(page, server.url, "reviewer1", server.credentials.reviewer1!);
    // The reviewer's home lists the arena as open (never "done") and links to it.
    await page.goto(`${server.url}/review`);
    const row = page.locator('tr[data-batch="Sky arena"]');
    expect(await row.innerText()).toMatch(/Arena\s+active/);
    await row.getByRole("link", { name: "Sky arena" }).click();
    await page.getByLabel("Your prompt").fill("Why is the sky blue?");
    await page.screenshot({ path: join(SHOTS, "arena-compose-1280.png"), fullPage: true });
    await page.getByRole("button", { name: /^Send/ }).click();

    // Both panels fill while the answers are still arriving.
    await expect.poll(async () => (await panelText(page, "A")).length, { timeout: 10_000 }).toBeGreaterThan(10);
    await expect.poll(async () => (await panelText(page, "B")).length, { timeout: 10_000 }).toBeGreaterThan(10);
    const partA = await panelText(page, "A");
    const partB = await panelText(page, "B");
    const full = Object.values(ANSWER).map((t) => t.replace(/\*\*/g, ""));
    expect(full).not.toContain(partA.trim());
    expect(full).not.toContain(partB.trim());
    await page.getByRole("status").filter({ hasText: "is answering…" }).waitFor();
    await page.screenshot({ path: join(SHOTS, "arena-streaming-1280.png"), fullPage: true });
    // Nothing stored while streaming, and no name anywhere on the page.
    expect(db.prepare("SELECT count(*) AS n FROM prompts WHERE dataset_id = (SELECT id FROM datasets WHERE name = 'arena-votes')").get()).toEqual({ n: 0 });
    for (const secret of ["Alpha", "Beta", "alpha-7b", "beta-13b"]) expect(await page.content()).not.toContain(secret);

    // The full answers, then the normal scale; the names still hidden.
    await page.getByRole("radiogroup", { name: "Which response is better?" }).waitFor({ timeout: 30_000 });
    const textA = await panelText(page, "A");
    expect(full).toContain(textA.trim());
    for (const secret of ["Alpha", "Beta", "alpha-7b", "beta-13b"]) expect(await page.locator("main, body").first().innerText()).not.toContain(secret);
    await page.screenshot({ path: join(SHOTS, "arena-judging-1280.png"), fullPage: true });

    // Vote with the keyboard: 2 = "A better", Enter submits.
    await page.locator("body").press("2");
    expect(await page.getByRole("radio", { name: "A better", exact: true }).isChecked()).toBe(true);
    await page.locator("body").press("Enter");
    const reveal = page.getByRole("status").filter({ hasText: "Vote saved." });
    await reveal.waitFor();
    const shownA = textA.startsWith("Air") ? "Alpha" : "Beta";
    const shownB = shownA === "Alpha" ? "Beta" : "Alpha";
    expect((await reveal.innerText()).trim()).toBe(`Vote saved. Model A was ${shownA}, Model B was ${shownB}.`);
    await page.screenshot({ path: join(SHOTS, "arena-revealed-1280.png"), fullPage: true });

    // Stored like any pairwise judgment: A (the shown first) preferred with strength 2.
    const pair = db
      .prepare("SELECT c.model AS chosen, r.model AS rejected, pp.strength, pp.shown_chosen_first FROM preference_pairs pp JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id WHERE pp.batch_id = ?")
      .all(batchId);
    expect(pair).toEqual([{ chosen: shownA, rejected: shownB, strength: 2, shown_chosen_first: 1 }]);

    // A new prompt starts afresh.
    await page.locator("body").press("n");
    await expect.poll(() => page.getByLabel("Your prompt").evaluate((el) => el === document.activeElement)).toBe(true);
    await page.getByText("your votes: 1").waitFor();
  });

  it("fits a phone while the answers stream", async () => {
    const phone = await launchBrowser({ viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    try {
      const p = await phone.context.newPage();
      await signIn(p, server.url, "reviewer1", server.credentials.reviewer1!);
      await p.goto(`${server.url}/review/${batchId}`);
      await p.getByLabel("Your prompt").fill("Why is the sky blue at noon?");
      await p.getByRole("button", { name: /^Send/ }).click();
      await expect.poll(async () => (await panelText(p, "B")).length, { timeout: 10_000 }).toBeGreaterThan(10);
      await p.screenshot({ path: join(SHOTS, "arena-streaming-390.png"), fullPage: true });
      await p.getByRole("radiogroup", { name: "Which response is better?" }).waitFor({ timeout: 30_000 });
      await p.screenshot({ path: join(SHOTS, "arena-judging-390.png"), fullPage: true });
      expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    } finally {
      await phone.close();
    }
  });

  it("tells the reviewer when a model fails and stores nothing", async () => {
    models.behave = (request) => (request.body.model === "beta-13b" ? { kind: "status", status: 503 } : { kind: "ok", chunkChars: 6, chunkDelayMs: 20 });
    const before = db.prepare("SELECT count(*) AS n FROM prompts").get();
    await page.goto(`${server.url}/review/${batchId}`);
    await page.getByLabel("Your prompt").fill("Will this one fail?");
    await page.getByRole("button", { name: /^Send/ }).click();
    const alert = page.getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).toMatch(/Model [AB] did not answer: HTTP 503[\s\S]*Nothing was stored/);
    await alert.getByRole("button", { name: "Try again" }).waitFor();
    expect(db.prepare("SELECT count(*) AS n FROM prompts").get()).toEqual(before);
    console.log(`arena screenshots in ${SHOTS}`);
  });

  it("is created from the new-batch form, with the endpoint problems beside the field", async () => {
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/new`);
    await page.getByLabel("Name", { exact: true }).fill("Form arena");
    await page.getByLabel("Task").selectOption("arena");
    // The fields of other tasks and the prompt selection are hidden for an arena.
    expect(await page.getByLabel(/^Pairing/).isVisible()).toBe(false);
    await page.getByLabel("Dataset for the votes").fill("form-votes");
    await page.getByLabel(/^Endpoints/).fill(JSON.stringify([{ label: "Solo", url: "ftp://nowhere", model: "m" }]));
    await page.getByRole("button", { name: "Create batch" }).click();
    const error = page.locator("#endpoints-error");
    await error.waitFor();
    expect(await error.innerText()).toMatch(/endpoints\.0\.url: "ftp:\/\/nowhere" must be an http:\/\/ or https:\/\/ URL.*an arena needs at least two endpoints, got 1/);
    await page.getByLabel(/^Endpoints/).fill(JSON.stringify([{ label: "One", url: models.url, model: "m1" }, { label: "Two", url: models.url, model: "m2", api_key_env: "TWO_KEY" }]));
    await Promise.all([page.waitForURL(/\/admin\/batches\?created=/), page.getByRole("button", { name: "Create batch" }).click()]);
    const listed = page.locator("tr", { hasText: "Form arena" });
    expect(await listed.innerText()).toMatch(/form-votes\s+arena/);
    await page.screenshot({ path: join(SHOTS, "arena-admin-list-1280.png"), fullPage: true });
  });
});
