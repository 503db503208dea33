import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

// The disputes page: an admin settles a split item, the export follows, the audit log shows it.
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let batchId = "";
let api: ReturnType<typeof apiClient>["api"];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1", "reviewer2", "admin"]));
  batchId = batchIdFor(server, "Demo: pairwise");
  // Both reviewers prefer atlas-7b except on demo-003, where reviewer2 prefers the other model.
  for (const user of ["reviewer1", "reviewer2"]) {
    await judgeAllViaApi(api, batchId, user, (assignment) => {
      const atlas = assignment.responses.find((r) => r.external_id === "atlas-7b") ?? assignment.responses[0]!;
      const other = assignment.responses.find((r) => r.id !== atlas.id)!;
      const disagree = user === "reviewer2" && assignment.prompt.external_id === "demo-003";
      return { preferred: disagree ? other.id : atlas.id, strength: 2, rationale: disagree ? "<img src=x onerror=alert(1)> the other one is safer" : "" };
    });
  }
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const exportedRows = async () => {
  const response = await api(`/batches/${batchId}/export?format=trl-preference&with_ids=1`, "admin");
  expect(response.status).toBe(200);
  return (await response.text())
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { prompt_id: string; chosen_model: string; rejected_model: string; strength: number });
};

describe("the disputes page", () => {
  it("records an admin's verdict from the page; the export follows it and the audit log shows it", async () => {
    // A 1–1 split has no majority: the item is not in the export before the verdict.
    expect((await exportedRows()).filter((r) => r.prompt_id === "demo-003")).toEqual([]);

    const page = await browser.context.newPage();
    const scripts: string[] = [];
    page.on("dialog", (dialog) => {
      scripts.push(dialog.message());
      void dialog.dismiss();
    });
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/disputes`);
    const card = page.getByRole("article").filter({ hasText: "the other one is safer" });
    await card.waitFor();
    const form = card.getByRole("form", { name: /Verdict on item/ });
    // The model that reviewer2 preferred: the response that is not atlas-7b.
    const labels = await form.locator("label.inline").allTextContents();
    const otherIndex = labels.findIndex((l) => /Response \d/.test(l) && !l.includes("atlas-7b"));
    await form.locator("input[name=preferred]").nth(otherIndex).check();
    await form.getByLabel("Strength").selectOption("3");
    await form.getByLabel(/Note/).fill("The safer answer is right here");
    await form.getByRole("button", { name: "Record the verdict" }).click();
    await page.getByText("Verdict recorded.").waitFor();
    const verdict = page.getByRole("article").filter({ hasText: "the other one is safer" }).getByRole("note");
    await verdict.waitFor();
    expect(await verdict.textContent()).toMatch(/Verdict by admin: Response \d \((?!atlas-7b)[^)]+\), strength 3 · “The safer answer is right here”/);
    await page.screenshot({ path: "/tmp/disputes-verdict.png", fullPage: true });

    // Resolved and open filters.
    await page.getByRole("navigation", { name: "Which disputes" }).getByRole("link", { name: "open" }).click();
    await page.waitForURL(/status=open/);
    await page.getByRole("status").filter({ hasText: /No disputes|disputed of/ }).first().waitFor();
    expect(await page.getByRole("article").filter({ hasText: "the other one is safer" }).count()).toBe(0);
    await page.getByRole("navigation", { name: "Which disputes" }).getByRole("link", { name: "resolved" }).click();
    await page.waitForURL(/status=resolved/);
    await page.getByRole("article").filter({ hasText: "the other one is safer" }).waitFor();

    // Sending it to more reviewers is refused: both of the batch's reviewers have seen it.
    await page.getByRole("article").first().getByRole("button", { name: "Send" }).click();
    await page.getByRole("alert").filter({ hasText: /only 0 reviewers of this batch have not seen this item/ }).waitFor();

    // 390 px: the form still fits.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: "/tmp/disputes-390.png", fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(scripts).toEqual([]);

    // The export now has the item, the admin's way round.
    const rows = (await exportedRows()).filter((r) => r.prompt_id === "demo-003");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.chosen_model).not.toBe("atlas-7b");
    expect(rows[0]!.strength).toBe(3);

    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${server.url}/admin/audit?action=dispute.resolve`);
    const entries = page.getByRole("table", { name: "Audit log" }).locator("tbody tr");
    await entries.first().waitFor();
    expect(await entries.count()).toBe(1);
    expect(await entries.first().textContent()).toMatch(/admin.*dispute\.resolve/);

    // The settled item promoted to gold: it leaves the disputes, and the export with it (gold items are out by default).
    await page.goto(`${server.url}/admin/batches/${batchId}/disputes?status=resolved`);
    const settled = page.getByRole("article").filter({ hasText: "the other one is safer" });
    await settled.getByRole("button", { name: "Promote to gold" }).click();
    await page.getByText(/Promoted to gold: the verdict is the expected answer/).waitFor();
    expect(await page.getByRole("article").filter({ hasText: "the other one is safer" }).count()).toBe(0);
    expect((await exportedRows()).filter((r) => r.prompt_id === "demo-003")).toEqual([]);
    await page.goto(`${server.url}/admin/audit?action=gold.mark`);
    await page.getByRole("table", { name: "Audit log" }).locator("tbody tr").first().waitFor();
    expect(await page.getByRole("table", { name: "Audit log" }).locator("tbody tr").first().textContent()).toMatch(/admin.*gold\.mark/);
    await page.close();
  }, 120_000);
});
