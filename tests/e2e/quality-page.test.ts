import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, cliFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

/**
 * The quality page (issue 13 point 5): per-model flag rates from the reviewers and an LLM judge,
 * win rates, the chart by day and the most-flagged responses, on a desktop and a phone; a
 * reviewer's note holding markup stays text; the CSV download carries the same rows.
 */
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;
const problems: string[] = [];
const NOTE = '<img src=x onerror="window.__quality=1"> made up the date';

/** Six prompts, atlas and zephyr on each, sampled over three days. */
const ROWS = Array.from({ length: 6 }, (_, i) => {
  const metadata = { sampled_at: `2024-04-0${1 + Math.floor(i / 2)}T10:00:00Z` };
  return {
    id: `w${i + 1}`,
    prompt: `Watch question ${i + 1}`,
    responses: [
      { id: "atlas", model: "atlas", text: `Atlas answer ${i + 1}`, metadata },
      { id: "zephyr", model: "zephyr", text: `Zephyr answer ${i + 1}`, metadata },
    ],
  };
});

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const dir = mkdtempSync(join(tmpdir(), "verdict-quality-"));
  const file = join(dir, "watch.jsonl");
  writeFileSync(file, ROWS.map((r) => JSON.stringify(r)).join("\n") + "\n");
  cliFor(server, ["import", file, "--dataset", "watch"]);
  const { id: batchId } = JSON.parse(
    cliFor(server, ["batches", "create", "--dataset", "watch", "--name", "Watch", "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer1", "--json"]),
  ) as { id: string };
  const { api } = apiClient(server, ["reviewer1"]);
  // atlas wins w1–w4; on w1 its answer is flagged with a note holding markup, on w2 and w3 zephyr's is unsafe.
  await judgeAllViaApi(api, batchId, "reviewer1", (a) => {
    const n = Number(a.prompt.external_id.slice(1));
    const atlas = a.responses.find((r) => r.external_id === "atlas")!.id;
    const zephyr = a.responses.find((r) => r.external_id === "zephyr")!.id;
    const flags =
      n === 1 ? [{ response_id: atlas, flag: "hallucination", note: NOTE }] : n === 2 || n === 3 ? [{ response_id: zephyr, flag: "unsafe", note: "" }] : [];
    return { preferred: n <= 4 ? atlas : zephyr, strength: 2, flags };
  });
  // An LLM judge's run over the batch, written as the judge service would: each item once, w1's zephyr flagged.
  const db = new Database(server.dbPath);
  db.prepare(
    "INSERT INTO judge_runs (id, batch_id, model, template_name, template, template_hash, options, status, created_at, updated_at) VALUES ('run-q', ?, 'judge-m', 'default', 't', 'h', '{}', 'done', 0, 0)",
  ).run(batchId);
  const itemRows = db
    .prepare<[string], { id: string; prompt: string; response_ids: string }>("SELECT i.id, p.external_id AS prompt, i.response_ids FROM items i JOIN prompts p ON p.id = i.prompt_id WHERE i.batch_id = ?")
    .all(batchId);
  const modelOf = db.prepare<[string], { model: string }>("SELECT model FROM responses WHERE id = ?");
  const insert = db.prepare("INSERT INTO judge_verdicts (run_id, item_id, swapped, display_order, status, payload, flags, attempts, created_at) VALUES ('run-q', ?, 0, '[]', 'ok', ?, ?, 1, 0)");
  for (const item of itemRows) {
    const ids = JSON.parse(item.response_ids) as string[];
    const atlas = ids.find((id) => modelOf.get(id)!.model === "atlas")!;
    const zephyr = ids.find((id) => modelOf.get(id)!.model === "zephyr")!;
    const flags = item.prompt === "w1" ? [{ response_id: zephyr, flag: "off_topic" }] : [];
    insert.run(item.id, JSON.stringify({ task: "pairwise", preferred: atlas, strength: 2, bothBad: false }), JSON.stringify(flags));
  }
  db.close();
  page = await browser.context.newPage();
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await signIn(page, server.url, "admin", server.credentials.admin!);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const cellText = (table: string, model: string, col: string) => page.locator(`table[aria-label='${table}'] tr[data-model='${model}'] [data-col='${col}']`).innerText();
const flaggedRows = () => page.locator("table[aria-label='Most-flagged responses'] tbody tr");

describe("the quality page", () => {
  it("shows flag rates, win rates, the chart and the most-flagged responses, at 1280 and 390 px", async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${server.url}/admin/datasets/watch`);
    await Promise.all([page.waitForURL(/\/quality$/), page.getByRole("link", { name: "Quality", exact: true }).click()]);
    await page.getByRole("heading", { name: "Quality: “watch”" }).waitFor();

    // Reviewers: atlas 1 of 6 flagged (hallucination), zephyr 2 of 6 (unsafe).
    expect(await cellText("Flag rates by reviewers", "atlas", "judged")).toBe("6");
    expect(await cellText("Flag rates by reviewers", "atlas", "any")).toMatch(/^16\.7%\s+3\.0% – 56\.4%$/);
    expect(await cellText("Flag rates by reviewers", "zephyr", "unsafe")).toMatch(/^33\.3%\s+9\.7% – 70\.0%$/);
    expect(await cellText("Flag rates by reviewers", "zephyr", "hallucination")).toMatch(/^0\.0%\s+0\.0% – 39\.0%$/);
    // Judge: zephyr flagged off_topic once.
    expect(await cellText("Flag rates by the judge", "zephyr", "off_topic")).toMatch(/^16\.7%/);
    // Win rates: atlas won 4 of 6 reviewer pairs and all 6 of the judge's.
    expect(await cellText("Win rates", "atlas", "reviewer-win")).toMatch(/^66\.7%\s+30\.0% – 90\.3%$/);
    expect(await cellText("Win rates", "atlas", "judge-win")).toMatch(/^100\.0%/);
    expect(await cellText("Win rates", "zephyr", "reviewer-pairs")).toBe("6");
    // The chart has a line per model and side.
    const chart = page.locator("figure[aria-label='Flag rate by day']");
    expect(await chart.locator(".recharts-line").count()).toBe(4);
    expect(await chart.getByRole("list", { name: "Lines" }).locator("li").allInnerTexts()).toEqual(["atlas · reviewers", "atlas · judge", "zephyr · reviewers", "zephyr · judge"]);

    // The most-flagged responses, most first: w1 (atlas by the reviewer, zephyr by the judge), w2, w3.
    expect(await flaggedRows().count()).toBe(4);
    const first = await flaggedRows().first().innerText();
    expect(first).toContain("w1");
    expect(first).toContain("hallucination ×1");
    // The note is shown as text: the markup never becomes an element, its handler never runs.
    expect(first).toContain(NOTE);
    expect(await page.locator("table[aria-label='Most-flagged responses'] img").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __quality?: number }).__quality)).toBeUndefined();

    await page.screenshot({ path: "/tmp/quality-1280.png", fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.getByRole("heading", { name: "Quality: “watch”" }).waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    // What sticks out, named, when something does.
    const wide = await page.evaluate(() =>
      [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > 391 && !e.closest(".table-scroll"))
        .slice(0, 8)
        .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} ${Math.round(e.getBoundingClientRect().right)}`),
    );
    expect({ width, wide }).toEqual({ width: expect.any(Number), wide: [] });
    expect(width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: "/tmp/quality-390.png", fullPage: true });
    await page.setViewportSize({ width: 1280, height: 720 });
    expect(problems).toEqual([]);
  });

  it("sorts and filters the most-flagged responses, and links each to its prompt", async () => {
    await page.goto(`${server.url}/admin/datasets/watch/quality`);
    const table = page.locator("table[aria-label='Most-flagged responses']");
    await table.waitFor();
    const models = () => table.locator("tbody tr td:nth-child(2)").allInnerTexts();
    const modelHeader = table.getByRole("button", { name: "Model", exact: true });
    const modelColumn = table.locator("th", { has: page.getByRole("button", { name: "Model", exact: true }) });
    expect(await modelColumn.getAttribute("aria-sort")).toBe("none");
    await modelHeader.click();
    expect(await modelColumn.getAttribute("aria-sort")).toBe("ascending");
    expect(await models()).toEqual(["atlas", "zephyr", "zephyr", "zephyr"]);
    await modelHeader.click();
    expect(await modelColumn.getAttribute("aria-sort")).toBe("descending");
    expect(await models()).toEqual(["zephyr", "zephyr", "zephyr", "atlas"]);

    const filter = page.getByLabel("Filter Most-flagged responses");
    await filter.fill("unsafe");
    expect(await table.locator("tbody tr td:first-child").allInnerTexts()).toEqual(expect.arrayContaining(["w2", "w3"]));
    expect(await flaggedRows().count()).toBe(2);
    // Notes are searched too.
    await filter.fill("made up the date");
    expect(await flaggedRows().count()).toBe(1);
    expect(await flaggedRows().first().innerText()).toContain("atlas");
    await filter.fill("nothing like this");
    expect(await flaggedRows().first().innerText()).toBe("Nothing matches.");
    await filter.fill("");

    // The prompt link opens the dataset page on that prompt.
    await filter.fill("w3");
    await Promise.all([page.waitForURL(/\/admin\/datasets\/watch\?/), table.getByRole("link", { name: "w3" }).click()]);
    await page.locator("li[data-prompt='w3']").waitFor();
    expect(await page.locator("li[data-prompt]").count()).toBe(1);
  });

  it("filters by date and downloads the flagged responses as CSV", async () => {
    await page.goto(`${server.url}/admin/datasets/watch/quality`);
    const form = page.getByRole("form", { name: "Filter the responses" });
    await form.getByLabel("From").fill("2024-04-02");
    await form.getByLabel("To").fill("2024-04-02");
    await Promise.all([page.waitForURL(/from=2024-04-02/), form.getByRole("button", { name: "Apply" }).click()]);
    await page.getByTestId("quality-totals").filter({ hasText: "dated in the range" }).waitFor();
    // Only w3 and w4 are dated 2024-04-02: zephyr's w3 is unsafe.
    expect(await cellText("Flag rates by reviewers", "zephyr", "judged")).toBe("2");
    expect(await cellText("Flag rates by reviewers", "zephyr", "unsafe")).toMatch(/^50\.0%/);
    expect(await flaggedRows().count()).toBe(1);
    await page.waitForFunction(() => /from=2024-04-02/.test(document.querySelector("a[data-download='csv']")?.getAttribute("href") ?? ""));
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download CSV" }).click()]);
    expect(download.suggestedFilename()).toBe("watch-quality-2024-04-02-2024-04-02.csv");
    const csv = readFileSync((await download.path())!, "utf8").trim().split("\r\n");
    expect(csv[0]).toBe("prompt_external_id,response_external_id,response_id,model,date,reviewer_judgments,reviewer_flags,reviewer_total,judge_verdicts,judge_flags,judge_total,total,text");
    expect(csv).toHaveLength(2);
    expect(csv[1]).toMatch(/^w3,zephyr,[^,]+,zephyr,2024-04-02,1,/);

    // Without filters: every flagged response.
    const all = await page.request.get(`${server.url}/admin/datasets/watch/quality/download?format=csv`);
    expect(all.status()).toBe(200);
    expect((await all.text()).trim().split("\r\n")).toHaveLength(5); // the header and 4 flagged responses
    // A bad date is refused beside the form, and the page shows everything instead.
    await page.goto(`${server.url}/admin/datasets/watch/quality?from=2024-02-30`);
    expect(await page.getByRole("alert").innerText()).toMatch(/from: "2024-02-30" is not a date/);
    expect(await flaggedRows().count()).toBe(4);
  });

  it("is for admins only", async () => {
    const other = await browser.context.newPage();
    await signIn(other, server.url, "reviewer1", server.credentials.reviewer1!);
    const response = await other.request.get(`${server.url}/admin/datasets/watch/quality/download?format=csv`);
    expect(response.status()).toBeGreaterThanOrEqual(400);
    expect(await response.text()).not.toContain("w1");
    await other.close();
    await signIn(page, server.url, "admin", server.credentials.admin!);
  });
});
