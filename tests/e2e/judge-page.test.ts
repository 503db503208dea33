import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shownResponses } from "../support/fake-judge";
import { lastUserText, startFakeOpenAI, type FakeServer } from "../support/fake-openai";
import { apiClient, cliFor, judgeAllViaApi, launchBrowser, ROOT, signIn, startServer, type RunningServer } from "./harness";

// An admin runs an LLM judge over a batch from the browser against a fake judge on loopback:
// MT-Bench verdict lines, one unreadable answer holding markup, and the figures that say how
// far the judge agrees with the two reviewers.
let server: RunningServer;
let judge: FakeServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let api: ReturnType<typeof apiClient>["api"];

/** The demo dataset's response texts by model: the fake judge prefers atlas-7b's. */
const modelOfText = new Map<string, string>();
for (const line of readFileSync(join(ROOT, "db/seed/demo-dataset.jsonl"), "utf8").trim().split("\n")) {
  const row = JSON.parse(line) as { id: string; responses: Array<{ model: string; text: string }> };
  for (const r of row.responses) modelOfText.set(r.text, r.model);
}

beforeAll(async () => {
  judge = await startFakeOpenAI();
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1", "reviewer2"]));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await judge?.close();
});

describe("the judge page", () => {
  it("runs a judge from the browser and shows how far it agrees with the reviewers", async () => {
    const { id: batchId } = JSON.parse(
      cliFor(server, ["batches", "create", "--dataset", "demo", "--name", "Judged", "--task", "pairwise", "--overlap", "2", "--reviewers", "reviewer1,reviewer2", "--pairing", "first-two", "--json"]),
    ) as { id: string };
    // Both reviewers prefer atlas-7b's answer where it is shown.
    for (const reviewer of ["reviewer1", "reviewer2"]) {
      await judgeAllViaApi(api, batchId, reviewer, (a) => {
        const atlas = a.responses.find((r) => r.external_id === "atlas-7b");
        return atlas ? { preferred: atlas.id, strength: 2 } : { preferred: "tie" };
      });
    }
    // The prompt of the first request is answered with markup and no verdict, every time it is asked.
    let unreadable: string | null = null;
    judge.behave = (request) => {
      const shown = shownResponses(request);
      if (shown.length === 0) return { kind: "status", status: 400 };
      unreadable ??= lastUserText(request);
      if (lastUserText(request) === unreadable) return { kind: "ok", text: '<img src=x onerror="window.__judged=1">I refuse to choose.' };
      const atlas = shown.findIndex((t) => modelOfText.get(t) === "atlas-7b");
      return { kind: "ok", text: `Both answer the question.\n\n[[${atlas < 0 ? "C" : atlas === 0 ? "A" : "B"}]]` };
    };

    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}`);
    await page.getByRole("link", { name: "LLM judge" }).click();
    await page.waitForURL(/\/judge$/);

    // A template with a typo is refused beside the box, nothing started.
    const form = page.getByRole("form", { name: "New judge run" });
    await form.getByLabel("Endpoint URL").fill(judge.url);
    await form.getByLabel("Judge model").fill("fake-judge");
    const template = form.getByLabel("Prompt template");
    const builtIn = await template.inputValue();
    expect(builtIn).toMatch(/\[\[A\]\]/); // a pairwise batch starts with MT-Bench's template
    await template.fill(`${builtIn}\n{{refrence}}`);
    await form.getByRole("button", { name: "Start judging" }).click();
    await page.getByText(/unknown placeholder \{\{refrence\}\}/).first().waitFor();
    expect(await page.locator("table[aria-label='Judge runs']").count()).toBe(0);

    // The built-in template runs; the page follows the run until it is done.
    await form.getByLabel("Prompt template").fill(builtIn);
    await form.getByLabel("Judge model").fill("fake-judge");
    await form.getByLabel("Endpoint URL").fill(judge.url);
    await form.getByRole("button", { name: "Start judging" }).click();
    await page.locator("tr[data-state='done']").waitFor({ timeout: 30_000 });
    const report = page.getByTestId("judge-report");
    await report.waitFor();
    const row = page.locator("tr[data-state='done']");
    // 8 items × 2 presentations; one of them stayed unreadable.
    expect(await row.locator("[data-col='judged']").textContent()).toBe("15/16");
    expect(await row.locator("[data-col='failed']").textContent()).toBe("1");
    expect(await report.locator("[data-row='majority']").textContent()).toMatch(/Judge and the reviewers' majority/);
    expect(await report.locator("[data-row='human-human']").textContent()).toMatch(/Two reviewers/);
    expect(await report.locator("[data-figure='swap']").textContent()).toMatch(/100\.0%/);
    // The unreadable answer is shown as text: its markup stays inert.
    await report.getByText("The judge's answer", { exact: true }).click();
    expect(await report.locator("pre.raw-answer").textContent()).toContain('<img src=x onerror="window.__judged=1">');
    expect(await report.locator("pre.raw-answer img").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __judged?: number }).__judged)).toBeUndefined();
    await page.setViewportSize({ width: 1280, height: 720 });
    await report.screenshot({ path: "/tmp/judge-report-1280.png" });
    await page.setViewportSize({ width: 390, height: 844 });
    await report.screenshot({ path: "/tmp/judge-report-390.png" });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 720 });

    // Retrying the failure asks for it alone; the stats page's numbers stay the reviewers'.
    judge.behave = (request) => {
      const shown = shownResponses(request);
      const atlas = shown.findIndex((t) => modelOfText.get(t) === "atlas-7b");
      return { kind: "ok", text: `[[${atlas < 0 ? "C" : atlas === 0 ? "A" : "B"}]]` };
    };
    await page.getByRole("button", { name: "Retry failures" }).click();
    await page.locator("tr[data-state='done'] [data-col='judged']").filter({ hasText: "16/16" }).waitFor({ timeout: 30_000 });
    const stats = JSON.parse(cliFor(server, ["stats", "--batch", batchId, "--json"])) as { judgments: number; judges: Array<{ model: string; failed: number }> };
    expect(stats.judgments).toBe(16);
    expect(stats.judges).toMatchObject([{ model: "fake-judge", failed: 0 }]);
    await page.close();
  });
});
