import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, cliFor, launchBrowser, signIn, startServer, type ApiAssignment, type RunningServer } from "./harness";

// Gold items from the browser: an admin marks gold answers on the dataset page, a careless
// reviewer is caught and paused, sees why, and is resumed from the batch page; the audit log
// shows each step.
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let api: ReturnType<typeof apiClient>["api"];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1", "admin"]));
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const GOLD_PROMPTS = ["demo-001", "demo-002", "demo-003", "demo-004"];

describe("gold items", () => {
  it("catches a careless reviewer, pauses them with the reason, and lets an admin resume them", async () => {
    const page = await browser.context.newPage();
    const scripts: string[] = [];
    page.on("dialog", (dialog) => {
      scripts.push(dialog.message());
      void dialog.dismiss();
    });
    await signIn(page, server.url, "admin", server.credentials.admin!);

    // 1. The dataset page: atlas-7b's answer is the expected one on four prompts.
    await page.goto(`${server.url}/admin/datasets/demo`);
    for (const external of GOLD_PROMPTS) {
      const prompt = page.locator(`li[data-prompt="${external}"]`);
      const form = prompt.getByRole("form", { name: `Gold answer of ${external}` });
      await form.getByLabel("Gold answer").selectOption({ label: "Best: atlas-7b (atlas-7b)" });
      await form.getByRole("button", { name: "Save gold answer" }).click();
      await prompt.locator("[data-gold-notice]").filter({ hasText: "Saved the gold answer" }).waitFor();
      await prompt.locator(".gold-badge").waitFor();
    }
    expect(await page.locator(".gold-badge").count()).toBe(GOLD_PROMPTS.length);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator('li[data-prompt="demo-001"]').screenshot({ path: "/tmp/gold-dataset-390.png" });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.goto(`${server.url}/admin/batches/new`);
    await page.getByRole("group", { name: "Quality checks" }).screenshot({ path: "/tmp/gold-form-390.png" });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.getByRole("group", { name: "Quality checks" }).screenshot({ path: "/tmp/gold-form-1280.png" });

    // 2. A batch made from the dataset checks its reviewers: half their items are gold, two wrong answers pause.
    const created = JSON.parse(
      cliFor(server, [
        "batches", "create", "--dataset", "demo", "--name", "Checked", "--task", "pairwise", "--overlap", "1",
        "--reviewers", "reviewer1", "--pairing", "first-two", "--config", JSON.stringify({ gold: { rate: 0.5, threshold: 0.7, minItems: 2 } }), "--json",
      ]),
    ) as { id: string };
    const batchId = created.id;

    // 3. reviewer1 always prefers the response that is not atlas-7b: wrong on every gold item.
    let judged = 0;
    let refusal: { error: { message: string } } | null = null;
    for (let n = 0; n < 10 && refusal === null; n++) {
      const next = await api(`/batches/${batchId}/next`, "reviewer1");
      if (next.status === 409) {
        refusal = (await next.json()) as { error: { message: string } };
        break;
      }
      expect(next.status).toBe(200);
      const { assignment } = (await next.json()) as { assignment: ApiAssignment };
      const other = assignment.responses.find((r) => r.external_id !== "atlas-7b")!;
      const saved = await api(`/assignments/${assignment.id}/judgment`, "reviewer1", { method: "POST", body: JSON.stringify({ client_id: `careless-${n}`, preferred: other.id, strength: 3 }) });
      expect(saved.status).toBe(201);
      judged++;
    }
    expect(judged).toBe(4);
    expect(refusal?.error.message).toMatch(/You are paused in this batch: you answered 0 of 2 check items as expected \(0%\), below the batch's 70%/);

    // Exports can leave the paused reviewer out.
    const exported = async (query: string) => (await (await api(`/batches/${batchId}/export?format=judgments${query}`, "admin")).text()).split("\n").filter(Boolean).length;
    expect(await exported("")).toBe(2);
    expect(await exported("&exclude_paused_reviewers=1")).toBe(0);

    // 4. The reviewer sees why on the judging screen, on a laptop and on a phone.
    const reviewer = await browser.context.newPage();
    await signIn(reviewer, server.url, "reviewer1", server.credentials.reviewer1!);
    await reviewer.goto(`${server.url}/review/${batchId}`);
    const panel = reviewer.locator("[data-paused]");
    await panel.waitFor();
    expect(await panel.textContent()).toMatch(/You are paused in this batch.*0 of 2 check items/);
    expect(await reviewer.locator("[data-assignment-id]").count()).toBe(0);
    await reviewer.setViewportSize({ width: 1280, height: 720 });
    await reviewer.screenshot({ path: "/tmp/gold-paused-1280.png" });
    await reviewer.setViewportSize({ width: 390, height: 844 });
    await reviewer.screenshot({ path: "/tmp/gold-paused-390.png", fullPage: true });

    // 5. The batch page shows the pause and resumes the reviewer.
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}`);
    const row = page.locator('[data-reviewer-paused="reviewer1"]');
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Paused/);
    await row.getByRole("button", { name: "Resume reviewer1" }).click();
    await page.getByText("Resumed reviewer1; their gold count starts afresh.").waitFor();
    expect(await page.locator('[data-reviewer-paused="reviewer1"]').count()).toBe(0);

    // The reviewer gets items again.
    await signIn(reviewer, server.url, "reviewer1", server.credentials.reviewer1!);
    await reviewer.goto(`${server.url}/review/${batchId}`);
    await reviewer.locator("[data-assignment-id]").waitFor();

    // 6. The audit log shows the gold answers, the pause and the resume (the profile's cookies are shared: sign in again).
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/audit?action=gold.`);
    for (const action of ["gold.mark-prompt", "gold.pause-reviewer", "gold.resume-reviewer"]) await page.getByRole("cell", { name: action, exact: true }).first().waitFor();
    expect(await page.getByRole("cell", { name: "gold.mark-prompt", exact: true }).count()).toBe(GOLD_PROMPTS.length);
    expect(scripts).toEqual([]);
  }, 180_000);
});
