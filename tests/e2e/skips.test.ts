import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, cliFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

/**
 * Skips must not strand a batch: a reviewer sees what they skipped and takes an item back; an
 * item no reviewer is left to take is shown to the admin, who adds a reviewer to finish it.
 */
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let db: Database.Database;
let page: Page;
let batchId = "";

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  db = new Database(server.dbPath, { readonly: true });
  page = await browser.context.newPage();
  const file = join(mkdtempSync(join(tmpdir(), "verdict-skips-")), "skips.jsonl");
  const rows = ["alpha", "bravo", "charlie", "delta"].map((word) =>
    JSON.stringify({ id: word, prompt: `Spell ${word}.`, responses: [{ model: "m1", text: `${word} one` }, { model: "m2", text: `${word} two` }] }),
  );
  writeFileSync(file, rows.join("\n") + "\n");
  cliFor(server, ["import", file, "--dataset", "skips"]);
  cliFor(server, ["batches", "create", "--dataset", "skips", "--name", "Skip check", "--task", "pairwise", "--overlap", "2", "--reviewers", "reviewer1,reviewer2"]);
  batchId = batchIdFor(server, "Skip check");
});

afterAll(async () => {
  db?.close();
  await browser?.close();
  await server?.stop();
});

const currentId = () => page.locator(".judging-item").getAttribute("data-assignment-id");
const promptText = () => page.getByRole("region", { name: "Prompt" }).textContent();
async function nextItemAfter(previous: string | null) {
  await page.waitForFunction((prev) => document.querySelector(".judging-item")?.getAttribute("data-assignment-id") !== prev, previous);
}

describe("skipped items", () => {
  it("are listed for the reviewer, who can take one back and judge it", async () => {
    await signIn(page, server.url, "reviewer1", server.credentials.reviewer1!);
    await page.goto(`${server.url}/review/${batchId}`);
    await page.locator(".judging-item").waitFor();
    const skippedPrompts: string[] = [];
    for (let i = 0; i < 2; i++) {
      skippedPrompts.push((await promptText())!);
      const id = await currentId();
      await page.keyboard.press("s");
      await nextItemAfter(id);
    }
    await page.getByRole("button", { name: "Skipped by you: 2" }).waitFor();
    for (let i = 0; i < 2; i++) {
      const id = await currentId();
      await page.keyboard.press("4");
      await page.keyboard.press("Enter");
      await nextItemAfter(id);
    }
    const done = page.getByRole("status").filter({ hasText: "This batch is done for you" });
    await done.getByText("You skipped 2 items").waitFor();
    await done.getByRole("button", { name: "take one back" }).click();

    const list = page.getByRole("region", { name: "Items you skipped" });
    await list.getByRole("listitem").first().waitFor(); // the list is fetched after the region opens
    await expect(list.getByRole("listitem").allTextContents()).resolves.toEqual([
      expect.stringContaining(skippedPrompts[1]!.replace(/^User/, "").trim()),
      expect.stringContaining(skippedPrompts[0]!.replace(/^User/, "").trim()),
    ]);
    await list.getByRole("listitem").first().getByRole("button", { name: "Take back" }).click();
    await page.locator(".judging-item").waitFor();
    expect(await promptText()).toBe(skippedPrompts[1]);
    const takenBack = (await currentId())!;
    await page.keyboard.press("7");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "This batch is done for you" }).waitFor();
    for (let i = 0; i < 50 && !db.prepare("SELECT 1 FROM judgments WHERE assignment_id = ?").get(takenBack); i++) await page.waitForTimeout(100);
    expect(db.prepare("SELECT status FROM assignments WHERE id = ?").get(takenBack)).toEqual({ status: "submitted" });
    await page.getByRole("button", { name: "Skipped by you: 1" }).waitFor();

    await page.goto(`${server.url}/review`);
    const row = page.locator("tr", { has: page.getByRole("link", { name: "Skip check" }) });
    await expect(row.locator('[data-col="skipped"]').textContent()).resolves.toBe("1");
  });

  it("that no reviewer is left to take are shown to the admin, who adds a reviewer to finish them", async () => {
    const { api } = apiClient(server, ["reviewer2", "admin"]);
    expect(await judgeAllViaApi(api, batchId, "reviewer2", () => ({ preferred: "tie" }))).toBe(4);

    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/stats`);
    await expect(page.locator('[data-progress="needs-reviewer"]').textContent()).resolves.toContain("1 item needs another reviewer");
    await page.goto(`${server.url}/admin/batches`);
    const row = page.locator('tr[data-batch="Skip check"]');
    await expect(row.locator('[data-col="needs-reviewer"]').textContent()).resolves.toBe("1 item needs another reviewer");
    await row.getByText("Add reviewers").click();
    const form = row.getByRole("form", { name: "Add reviewers to Skip check" });
    await form.getByRole("checkbox", { name: /Demo admin/ }).check();
    await form.getByRole("button", { name: "Add" }).click();
    await row.getByText("Added admin.").waitFor();
    await row.locator('[data-col="needs-reviewer"]').waitFor({ state: "detached" });
    await expect(row.textContent()).resolves.toContain("admin, reviewer1, reviewer2");

    expect(await judgeAllViaApi(api, batchId, "admin", () => ({ preferred: "tie" }))).toBe(1);
    expect(db.prepare("SELECT count(*) AS n FROM items WHERE batch_id = ? AND submitted < 2").get(batchId)).toEqual({ n: 0 });
  });
});
