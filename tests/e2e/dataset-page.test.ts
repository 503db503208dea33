import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliFor, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

const PROMPTS = 30;
const XSS = `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> about owls`;

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const dir = mkdtempSync(join(tmpdir(), "verdict-dataset-page-e2e-"));
  const file = join(dir, "zoo.jsonl");
  const lines = Array.from({ length: PROMPTS }, (_, i) =>
    JSON.stringify({
      id: `z${String(i).padStart(2, "0")}`,
      messages: [{ role: "user", content: i === 4 ? XSS : `Tell me about animal number ${i}` }],
      metadata: { habitat: i % 2 ? "sea" : "land" },
      responses: [
        { model: "alpha", text: i === 11 ? "Penguins **waddle** on the ice." : `Alpha answer ${i}` },
        { model: i % 10 === 0 ? "gamma" : "beta", text: `<img src=x onerror="window.__pwned = 3">Beta answer ${i}` },
      ],
    }),
  );
  writeFileSync(file, lines.join("\n") + "\n");
  cliFor(server, ["import", file, "--dataset", "zoo"]);
  rmSync(dir, { recursive: true, force: true });
  page = await browser.context.newPage();
  await signIn(page, server.url, "admin", server.credentials.admin!);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const prompts = () => page.getByRole("list", { name: "Prompts" }).locator(":scope > li");
const promptIds = () => prompts().evaluateAll((items) => items.map((item) => item.getAttribute("data-prompt")));

describe("the dataset page", () => {
  it("is linked from the datasets list and shows the models' figures", async () => {
    await page.goto(`${server.url}/admin/datasets`);
    await Promise.all([page.waitForURL(/\/admin\/datasets\/zoo$/), page.getByRole("link", { name: "zoo", exact: true }).click()]);
    await page.getByRole("heading", { level: 1, name: "Dataset “zoo”" }).waitFor();
    const models = page.getByRole("table", { name: "Models" });
    await expect(models.locator('tr[data-model="alpha"] [data-col="responses"]').textContent()).resolves.toBe("30");
    await expect(models.locator('tr[data-model="gamma"] [data-col="responses"]').textContent()).resolves.toBe("3");
    await expect(page.getByRole("status").filter({ hasText: "on this page" }).textContent()).resolves.toContain("30 prompts; 20 on this page");
    const create = page.getByRole("link", { name: "Create a batch from this dataset" });
    await expect(create.getAttribute("href")).resolves.toBe("/admin/batches/new?dataset=zoo");
  });

  it("searches prompts and responses, showing a prompt's responses side by side", async () => {
    await page.goto(`${server.url}/admin/datasets/zoo`);
    await page.getByLabel("Search", { exact: true }).fill("penguins");
    await Promise.all([page.waitForURL(/q=penguins/), page.getByRole("button", { name: "Search" }).click()]);
    await page.locator('[data-prompt="z00"]').waitFor({ state: "detached" });
    await expect(promptIds()).resolves.toEqual(["z11"]);
    const responses = page.getByLabel("Responses to z11").locator("article");
    await expect(responses.count()).resolves.toBe(2);
    await expect(responses.evaluateAll((cards) => cards.map((c) => c.getAttribute("data-model")))).resolves.toEqual(["alpha", "beta"]);
    // Markdown renders; the two cards sit in one row on a wide screen.
    await expect(responses.first().locator("strong").textContent()).resolves.toBe("waddle");
    const [a, b] = await responses.evaluateAll((cards) => cards.map((c) => c.getBoundingClientRect().top));
    expect(a).toBe(b);
  });

  it("filters by model and by a metadata field, and pages on", async () => {
    await page.goto(`${server.url}/admin/datasets/zoo`);
    await page.getByRole("combobox", { name: /^Model/ }).selectOption("gamma");
    await Promise.all([page.waitForURL(/model=gamma/), page.getByRole("button", { name: "Search" }).click()]);
    await page.locator('[data-prompt="z01"]').waitFor({ state: "detached" });
    await expect(promptIds()).resolves.toEqual(["z00", "z10", "z20"]);

    await page.goto(`${server.url}/admin/datasets/zoo?field=habitat&value=sea`);
    await expect(promptIds()).resolves.toEqual(Array.from({ length: 15 }, (_, i) => `z${String(2 * i + 1).padStart(2, "0")}`));

    await page.goto(`${server.url}/admin/datasets/zoo`);
    const firstPage = await promptIds();
    expect(firstPage).toHaveLength(20);
    await Promise.all([page.waitForURL(/after=z19/), page.getByRole("link", { name: "Next →" }).click()]);
    // The URL changes before the client-side navigation has rendered the next page: wait for it.
    await page.locator('[data-prompt="z20"]').waitFor();
    const secondPage = await promptIds();
    expect([...firstPage, ...secondPage]).toEqual(Array.from({ length: PROMPTS }, (_, i) => `z${String(i).padStart(2, "0")}`));
    await expect(page.getByRole("link", { name: "Next →" }).count()).resolves.toBe(0);
    await Promise.all([page.waitForURL(/before=z20/), page.getByRole("link", { name: "← Previous" }).click()]);
    await page.locator('[data-prompt="z00"]').waitFor();
    await expect(promptIds()).resolves.toEqual(firstPage);
  });

  it("shows script and onerror payloads as text without running them", async () => {
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${server.url}/admin/datasets/zoo?q=owls`);
    await expect(promptIds()).resolves.toEqual(["z04"]);
    const prompt = prompts().first();
    await expect(prompt.textContent()).resolves.toContain("<script>window.__pwned = 1</script>");
    await expect(prompt.locator("script, img").count()).resolves.toBe(0);
    await expect(page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    expect(errors).toEqual([]);
  });

  it("preselects the dataset on the new-batch form", async () => {
    await page.goto(`${server.url}/admin/datasets/zoo`);
    await Promise.all([page.waitForURL(/\/admin\/batches\/new\?dataset=zoo/), page.getByRole("link", { name: "Create a batch from this dataset" }).click()]);
    await expect(page.locator('select[name="dataset"]').inputValue()).resolves.toBe("zoo");
  });
});
