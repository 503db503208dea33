import Database from "better-sqlite3";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let api: ReturnType<typeof apiClient>["api"];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1"]));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const consoleErrors = new WeakMap<Page, string[]>();

/** A signed-in admin page that records console errors (hydration mismatches among them); a refused form's 4xx is not one. */
async function adminPage(path: string): Promise<Page> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  consoleErrors.set(page, errors);
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  await signIn(page, server.url, "admin", server.credentials.admin!);
  await page.goto(`${server.url}${path}`);
  return page;
}

async function closeClean(page: Page): Promise<void> {
  expect(consoleErrors.get(page)).toEqual([]);
  await page.close();
}

const statusOf = (row: Locator) => row.locator('[data-col="status"]').textContent();

describe("closing and reopening a batch on the batch list", () => {
  it("Close explains what closing does and waits for a second click; cancelling leaves the batch active", async () => {
    const page = await adminPage("/admin/batches");
    const row = page.locator('tr[data-batch="Demo: ranking"]');
    const confirmation = page.getByRole("region", { name: "Close “Demo: ranking”?" });
    expect(await confirmation.count()).toBe(0);

    await row.getByRole("link", { name: "Close…" }).click();
    await confirmation.waitFor();
    const text = await confirmation.textContent();
    expect(text).toContain("Reviewers can no longer judge it");
    expect(text).toContain("Items reviewers are holding right now are released.");
    expect(text).toContain("Its 0 judgments are kept; its statistics and exports work as before.");
    expect(text).toContain("You can reopen it from this list at any time.");
    // Focus moves into the confirmation, so the keyboard is already there.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("confirm-close");
    expect(await statusOf(row)).toBe("active");

    await confirmation.getByRole("link", { name: "Cancel, keep it active" }).click();
    await confirmation.waitFor({ state: "detached" });
    expect(await statusOf(row)).toBe("active");

    // Escape cancels as well.
    await row.getByRole("link", { name: "Close…" }).click();
    await confirmation.waitFor();
    await page.keyboard.press("Escape");
    await confirmation.waitFor({ state: "detached" });
    expect(await statusOf(row)).toBe("active");
    expect((await api(`/batches/${batchIdFor(server, "Demo: ranking")}/next`, "reviewer1")).status).toBe(200);
    await closeClean(page);
  });

  it("confirming by keyboard closes the batch (the API refuses it), and Reopen makes it active again", async () => {
    const id = batchIdFor(server, "Demo: ranking");
    const page = await adminPage("/admin/batches");
    const row = page.locator('tr[data-batch="Demo: ranking"]');
    await row.getByRole("link", { name: "Close…" }).focus();
    await page.keyboard.press("Enter");
    const confirmation = page.getByRole("region", { name: "Close “Demo: ranking”?" });
    await confirmation.waitFor();
    await page.keyboard.press("Tab");
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Close batch");
    await page.keyboard.press("Enter");
    await row.locator('[data-col="status"]', { hasText: "closed" }).waitFor();
    await page.getByRole("status").filter({ hasText: "“Demo: ranking” is closed: reviewers can no longer judge it." }).waitFor();
    expect(await confirmation.count()).toBe(0);
    expect(await row.getByRole("link", { name: "Close…" }).count()).toBe(0);
    const closed = await api(`/batches/${id}/next`, "reviewer1");
    expect(closed.status).toBe(409);
    expect(await closed.json()).toEqual({ error: { code: "conflict", message: "this batch is closed" } });

    await row.getByRole("button", { name: "Reopen" }).click();
    await row.locator('[data-col="status"]', { hasText: "active" }).waitFor();
    await page.getByRole("status").filter({ hasText: "“Demo: ranking” is active again: reviewers can judge it." }).waitFor();
    expect(await row.getByRole("button", { name: "Reopen" }).count()).toBe(0);
    // The reviewer gets the item their lease held before closing.
    expect((await api(`/batches/${id}/next`, "reviewer1")).status).toBe(200);
    await closeClean(page);
  });

  it("works without JavaScript: the confirmation is a page of its own and the Close button a plain form", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    // No script runs: Remix's modules never load, so every click is a plain link or form.
    await page.route(/\.js(\?|$)/, (route) => route.abort());
    await page.goto(`${server.url}/admin/batches`);
    const row = page.locator('tr[data-batch="Demo: rating"]');
    await Promise.all([page.waitForURL(/confirm=close/), row.getByRole("link", { name: "Close…" }).click()]);
    const confirmation = page.getByRole("region", { name: "Close “Demo: rating”?" });
    await expect(confirmation.textContent()).resolves.toContain("Reviewers can no longer judge it");
    await Promise.all([page.waitForURL(/done=close/), confirmation.getByRole("button", { name: "Close batch" }).click()]);
    expect(await statusOf(row)).toBe("closed");
    await Promise.all([page.waitForURL(/done=reopen/), row.getByRole("button", { name: "Reopen" }).click()]);
    expect(await statusOf(row)).toBe("active");
    expect(await page.evaluate(() => typeof (window as unknown as { __remixRouter?: unknown }).__remixRouter)).toBe("undefined");
    await page.close();
  });
});

describe("the new-batch form", () => {
  // The select's label also holds its options' text, so match the start.
  const scaleVisible = (page: Page) => page.getByLabel(/^Scale \(pairwise\)/).isVisible();

  it("shows the scale only for pairwise and the rubric only for rating", async () => {
    const page = await adminPage("/admin/batches/new");
    const rubric = page.getByRole("group", { name: "Rubric (rating)" });
    expect(await scaleVisible(page)).toBe(true);
    expect(await rubric.isVisible()).toBe(false);
    await page.getByLabel("Task").selectOption("ranking");
    expect(await scaleVisible(page)).toBe(false);
    expect(await rubric.isVisible()).toBe(false);
    await page.getByLabel("Task").selectOption("rating");
    expect(await scaleVisible(page)).toBe(false);
    expect(await rubric.isVisible()).toBe(true);
    await page.getByLabel("Task").selectOption("pairwise");
    expect(await scaleVisible(page)).toBe(true);
    expect(await rubric.isVisible()).toBe(false);
    // The models field appears only for "Only these models".
    const models = page.getByLabel("Models (comma-separated, in display order)");
    expect(await models.isVisible()).toBe(false);
    await page.getByLabel("Pairing").selectOption("models");
    expect(await models.isVisible()).toBe(true);
    await closeClean(page);
  });

  it("builds a two-aspect rubric into a rating batch, with each mistake named beside its field, and links to the new batch", async () => {
    const page = await adminPage("/admin/batches/new");
    await page.getByLabel("Name", { exact: true }).fill("Rubric batch");
    await page.getByLabel("Task").selectOption("rating");
    // Four default aspects: drop two, add one and drop it again, then edit the two left.
    await page.getByRole("button", { name: "Remove aspect 4" }).click();
    await page.getByRole("button", { name: "Remove aspect 3" }).click();
    await page.getByRole("button", { name: "Add aspect" }).click();
    expect(await page.getByRole("table", { name: "Rubric aspects" }).locator("tbody tr").count()).toBe(3);
    await page.getByRole("button", { name: "Remove aspect 3" }).click();
    await page.getByLabel("Aspect 1 key").fill("clarity");
    await page.getByLabel("Aspect 1 label").fill("Clarity");
    await page.getByLabel("Aspect 1 max").fill("1");
    await page.getByLabel("Aspect 2 key").fill("correct");
    await page.getByLabel("Aspect 2 label").fill("Correct");
    await page.getByLabel("Aspect 2 min").fill("0");
    await page.getByLabel("Aspect 2 max").fill("3");
    await page.getByLabel("Aspect 2 is overall").check();
    await page.getByRole("button", { name: "Create batch" }).click();

    const maxError = page.locator("#rubric-0-max-error");
    await maxError.waitFor();
    expect(await maxError.textContent()).toBe('aspect "clarity": max 1 must be greater than min 1');
    expect(await page.getByLabel("Aspect 1 max").getAttribute("aria-describedby")).toBe("rubric-0-max-error");
    await page.getByLabel("Aspect 1 max").fill("7");
    await page.getByRole("button", { name: "Create batch" }).click();

    await page.waitForURL(/\/admin\/batches\?created=/);
    const id = new URL(page.url()).searchParams.get("created")!;
    const notice = page.getByRole("status").filter({ hasText: "Created batch" });
    expect(await notice.textContent()).toContain(`Created batch “Rubric batch” (id ${id}) with 8 items.`);
    const db = new Database(server.dbPath, { readonly: true });
    const stored = db.prepare("SELECT task, config FROM batches WHERE id = ?").get(id) as { task: string; config: string };
    db.close();
    expect(stored.task).toBe("rating");
    const config = JSON.parse(stored.config) as Record<string, unknown>;
    expect(config.aspects).toEqual([
      { key: "clarity", label: "Clarity", min: 1, max: 7 },
      { key: "correct", label: "Correct", min: 0, max: 3 },
    ]);
    expect(config.overallAspect).toBe("correct");
    await expect(page.locator(`#batch-${id}`).getAttribute("data-batch")).resolves.toBe("Rubric batch");

    await notice.getByRole("link", { name: "Open “Rubric batch”: progress and statistics" }).click();
    await page.waitForURL(`${server.url}/admin/batches/${id}/stats`);
    await page.getByRole("heading", { name: "Statistics: “Rubric batch”" }).waitFor();
    await closeClean(page);
  });

  it("names a model the dataset lacks beside the models field, and the raw JSON stays an advanced option", async () => {
    const page = await adminPage("/admin/batches/new");
    await page.getByLabel("Name", { exact: true }).fill("Models batch");
    await page.getByLabel("Pairing").selectOption("models");
    const models = page.getByLabel("Models (comma-separated, in display order)");
    await models.fill("atlas-7b, nonexistent-model");
    await page.getByRole("button", { name: "Create batch" }).click();
    const error = page.locator("#models-error");
    await error.waitFor();
    expect(await error.textContent()).toBe('no response of model "nonexistent-model" in dataset demo (its models: atlas-7b, borealis-13b, cirrus-3b)');
    expect(await models.getAttribute("aria-invalid")).toBe("true");

    // The advanced JSON is folded away until opened, and a mistake in it opens it with the message.
    const advanced = page.getByLabel(/^Config JSON/);
    expect(await advanced.isVisible()).toBe(false);
    await page.getByText("Advanced: raw config JSON").click();
    await advanced.fill('{"leaseMinutes": 0}');
    await models.fill("cirrus-3b,atlas-7b");
    await page.getByRole("button", { name: "Create batch" }).click();
    await page.locator("#advanced-error").waitFor();
    expect(await page.locator("#advanced-error").textContent()).toBe("leaseMinutes: 0 minutes is below 1");
    await advanced.fill('{"leaseMinutes": 45}');
    await page.getByRole("button", { name: "Create batch" }).click();
    await page.waitForURL(/\/admin\/batches\?created=/);
    const id = new URL(page.url()).searchParams.get("created")!;
    const db = new Database(server.dbPath, { readonly: true });
    const config = JSON.parse((db.prepare("SELECT config FROM batches WHERE id = ?").get(id) as { config: string }).config) as Record<string, unknown>;
    db.close();
    expect(config.leaseMinutes).toBe(45);
    expect(config.scale).toBe("7-point");
    await closeClean(page);
  });
  it("previews what Create would make (items, judgments needed) without creating it, then creates exactly that", async () => {
    const batchCount = () => {
      const db = new Database(server.dbPath, { readonly: true });
      const n = (db.prepare("SELECT count(*) AS n FROM batches").get() as { n: number }).n;
      db.close();
      return n;
    };
    const page = await adminPage("/admin/batches/new");
    await page.getByLabel("Name", { exact: true }).fill("Sampled pairs");
    await page.getByLabel("Overlap (reviewers per item)").fill("2");
    for (const box of await page.getByRole("checkbox", { name: /reviewer[12]/ }).all()) await box.check();
    const pairs = page.getByLabel("Pairs per prompt (K)");
    expect(await pairs.isVisible()).toBe(false);
    await page.getByLabel("Pairing").selectOption("random");
    await pairs.fill("1");
    await page.getByLabel(/^Sample/).fill("3");
    await page.getByLabel(/^Seed/).fill("42");
    const before = batchCount();
    const preview = page.getByTestId("batch-preview");

    // A field the prompts lack is named beside the stratify field.
    await page.getByLabel(/^Stratify by metadata field/).fill("no_such_field");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.locator("#stratify-error").waitFor();
    expect(await page.locator("#stratify-error").textContent()).toMatch(/^no prompt of dataset demo has metadata field "no_such_field"/);
    await page.getByLabel(/^Stratify by metadata field/).fill("");

    await page.getByRole("button", { name: "Preview" }).click();
    await preview.waitFor();
    expect(await preview.textContent()).toMatch(/^3 items, 6 judgments needed \(3 × overlap 2\) from 3 prompts/);
    expect(batchCount()).toBe(before);
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("Sampled pairs");

    await page.getByRole("button", { name: "Create batch" }).click();
    await page.waitForURL(/\/admin\/batches\?created=/);
    expect(batchCount()).toBe(before + 1);
    const id = new URL(page.url()).searchParams.get("created")!;
    expect(await page.getByRole("status").filter({ hasText: "Created batch" }).textContent()).toContain("with 3 items.");
    const db = new Database(server.dbPath, { readonly: true });
    const config = JSON.parse((db.prepare("SELECT config FROM batches WHERE id = ?").get(id) as { config: string }).config) as Record<string, unknown>;
    db.close();
    expect(config.selection).toEqual({ pairing: "random:1", seed: 42, sample: 3 });
    await closeClean(page);
  });

  it("previews an adaptive batch as its first round and up to the budget's judgments, then creates it with its rounds recorded", async () => {
    const page = await adminPage("/admin/batches/new");
    await page.getByLabel("Name", { exact: true }).fill("Adaptive rounds");
    const roundSize = page.getByLabel("Items per round");
    expect(await roundSize.isVisible()).toBe(false);
    await page.getByLabel("Pairing").selectOption("adaptive");
    await roundSize.fill("6");
    await page.getByLabel(/^Items in all/).fill("12");
    await page.getByRole("button", { name: "Preview" }).click();
    const preview = page.getByTestId("batch-preview");
    await preview.waitFor();
    expect(await preview.textContent()).toMatch(/^6 items in the first round, up to 12 judgments needed \(up to 12 items × overlap 1, in rounds of 6\)/);
    await page.getByRole("button", { name: "Create batch" }).click();
    await page.waitForURL(/\/admin\/batches\?created=/);
    const id = new URL(page.url()).searchParams.get("created")!;
    const db = new Database(server.dbPath, { readonly: true });
    const config = JSON.parse((db.prepare("SELECT config FROM batches WHERE id = ?").get(id) as { config: string }).config) as { adaptive?: { roundSize: number; budget: number; rounds: unknown[] } };
    db.close();
    expect(config.adaptive).toMatchObject({ roundSize: 6, budget: 12, rounds: [{ round: 1, items: 6 }] });
    await closeClean(page);
  });

  it("previews without JavaScript too: the page comes back with the figures and what was typed", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.route(/\.js(\?|$)/, (route) => route.abort());
    await page.goto(`${server.url}/admin/batches/new`);
    await page.getByLabel("Name", { exact: true }).fill("Plain preview");
    await page.getByLabel(/^Sample/).fill("2");
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Preview" }).click()]);
    await page.getByTestId("batch-preview").waitFor();
    expect(await page.getByTestId("batch-preview").textContent()).toMatch(/^2 items, 2 judgments needed \(2 × overlap 1\) from 2 prompts/);
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("Plain preview");
    expect(await page.getByLabel(/^Sample/).inputValue()).toBe("2");
    await page.close();
  });

  it("works without JavaScript: a refused form comes back with what was typed and the message beside the field", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.route(/\.js(\?|$)/, (route) => route.abort());
    await page.goto(`${server.url}/admin/batches/new`);
    await page.getByLabel("Name", { exact: true }).fill("Plain form");
    // CSS alone follows the task select.
    await page.getByLabel("Task").selectOption("rating");
    expect(await page.getByRole("group", { name: "Rubric (rating)" }).isVisible()).toBe(true);
    await page.getByLabel("Aspect 2 key").fill("Helpful");
    await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: "Create batch" }).click()]);
    await page.locator("#rubric-1-key-error").waitFor();
    expect(await page.locator("#rubric-1-key-error").textContent()).toBe(
      "\"Helpful\" is not a valid key: use lower-case letters, digits and '_', starting with a letter (at most 32)",
    );
    expect(await page.getByLabel("Name", { exact: true }).inputValue()).toBe("Plain form");
    expect(await page.getByLabel("Task").inputValue()).toBe("rating");
    await page.getByLabel("Aspect 2 key").fill("helpful");
    await Promise.all([page.waitForURL(/\/admin\/batches\?created=/), page.getByRole("button", { name: "Create batch" }).click()]);
    await page.getByRole("status").filter({ hasText: "Created batch “Plain form”" }).waitFor();
    await page.close();
  });
});
