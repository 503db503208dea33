import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { launchBrowser, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  server = await startServer();
  // A German browser writes 20000 as "20.000" with toLocaleString(); the app writes 20,000 everywhere.
  browser = await launchBrowser({ locale: "de-DE" });
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const badFile = [
  JSON.stringify({ id: "q1", prompt: "Fine prompt", responses: [{ model: "m-a", text: "fine" }] }),
  JSON.stringify({ id: "q2", prompt: 42 }),
  '{"id": "q3", ',
].join("\n");

const goodFile = [
  JSON.stringify({ id: "q1", prompt: "First prompt", responses: [{ model: "m-a", text: "one" }, { model: "m-b", text: "two" }] }),
  JSON.stringify({ id: "q2", messages: [{ role: "user", content: "Second" }], responses: [{ model: "m-a", text: "three" }] }),
].join("\n");

describe("the admin imports datasets in the browser", () => {
  it("printed demo credentials on start", () => {
    expect(Object.keys(server.credentials).sort()).toEqual(["admin", "reviewer1", "reviewer2"]);
  });

  it("sends anonymous visitors to /login and refuses reviewers the admin pages", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/admin/datasets`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await signIn(page, server.url, "reviewer1", server.credentials.reviewer1!);
    expect(new URL(page.url()).pathname).toBe("/review");
    const response = await page.goto(`${server.url}/admin/datasets`);
    expect(response?.status()).toBe(403);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("This page is for admins only.");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/login$/);
    await page.close();
  });

  it("shows a wrong password as an error", async () => {
    const page = await browser.context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Wrong username or password.").waitFor();
    await page.close();
  });

  it("uploads a file with bad lines (numbered errors, nothing imported), then a good file (listed with counts)", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    expect(new URL(page.url()).pathname).toBe("/admin/datasets");
    // The demo dataset seeded on start.
    const demo = page.locator('tr[data-dataset="demo"]');
    await expect(demo.locator('[data-col="prompts"]').textContent()).resolves.toBe("8");
    await expect(demo.locator('[data-col="responses"]').textContent()).resolves.toBe("24");

    await page.getByLabel("File (.jsonl, .csv, optionally .gz)").setInputFiles({ name: "queries.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(badFile) });
    await expect(page.getByLabel("Dataset name").inputValue()).resolves.toBe("queries");
    await page.getByRole("button", { name: "Import" }).click();
    const errors = page.getByRole("list", { name: "Invalid lines" });
    await errors.waitFor();
    const items = await errors.getByRole("listitem").allTextContents();
    expect(items).toHaveLength(2);
    expect(items[0]).toBe("line 2: prompt: Invalid input: expected string, received number");
    // The JSON parser's own wording differs between Node versions.
    expect(items[1]).toMatch(/^line 3: json: \S/);
    await expect(page.getByRole("alert").first().textContent()).resolves.toContain("2 invalid lines; nothing was imported");
    expect(await page.locator('tr[data-dataset="queries"]').count()).toBe(0);

    await page.getByLabel("File (.jsonl, .csv, optionally .gz)").setInputFiles({ name: "queries.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(goodFile) });
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("Imported 2 prompts, 3 responses and 0 pairs into “queries” (native).").waitFor();
    const row = page.locator('tr[data-dataset="queries"]');
    await row.waitFor();
    await expect(row.locator('[data-col="prompts"]').textContent()).resolves.toBe("2");
    await expect(row.locator('[data-col="responses"]').textContent()).resolves.toBe("3");
    await expect(row.locator('[data-col="models"]').textContent()).resolves.toBe("2");
    await page.close();
  });

  it("creates a batch from the form, with field errors first", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/new`);
    await page.getByLabel("Name", { exact: true }).fill("Form batch");
    await page.getByRole("combobox", { name: /^Dataset/ }).selectOption("demo");
    await page.getByLabel("Overlap (reviewers per item)").fill("5");
    await page.getByRole("button", { name: "Create batch" }).click();
    await page.getByText("5 is more than the 2 reviewers chosen").waitFor();
    await page.getByLabel("Overlap (reviewers per item)").fill("2");
    await page.getByRole("button", { name: "Create batch" }).click();
    await page.waitForURL(/\/admin\/batches\?created=/);
    const row = page.locator('tr[data-batch="Form batch"]');
    await row.waitFor();
    await expect(row.locator("td").nth(3).textContent()).resolves.toBe("2");
    await row.getByRole("button", { name: "Pause" }).click();
    await row.locator('[data-col="status"]', { hasText: "paused" }).waitFor();
    await row.getByRole("button", { name: "Resume" }).waitFor();
    await page.close();
  });

  it("shows a progress bar while a large file uploads and imports", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    // Record every progress bar the page shows, however briefly.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { progressSeen: string[] }).progressSeen = seen;
      new MutationObserver(() => {
        for (const bar of document.querySelectorAll("progress")) {
          const label = bar.getAttribute("aria-label") ?? "";
          if (!seen.includes(label)) seen.push(label);
        }
      }).observe(document.body, { childList: true, subtree: true, attributes: true });
    });
    const filler = "lorem ipsum dolor sit amet ".repeat(12);
    const big = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({ id: `b${i}`, prompt: `Prompt ${i} ${filler}`, responses: [{ model: "m-a", text: filler }, { model: "m-b", text: filler }] }),
    ).join("\n");
    await page.getByLabel("File (.jsonl, .csv, optionally .gz)").setInputFiles({ name: "big.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(big) });
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("Imported 20,000 prompts, 40,000 responses and 0 pairs into “big” (native).").waitFor({ timeout: 60_000 });
    const seen = await page.evaluate(() => (window as unknown as { progressSeen: string[] }).progressSeen);
    expect(seen).toContain("Uploading");
    expect(seen).toContain("Importing");
    await expect(page.locator('tr[data-dataset="big"] [data-col="prompts"]').textContent()).resolves.toBe("20,000");
    await page.close();
  });
});
