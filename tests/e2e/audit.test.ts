import Database from "better-sqlite3";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliFor, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

// The audit log page: who did what, filtered and paged on the server.
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  cliFor(server, ["models", "price", "--model", "gpt-x", "--input-usd-per-mtok", "1", "--output-usd-per-mtok", "2"]);
  // Sixty old entries, so the log spans two pages (written as the app writes them).
  const db = new Database(server.dbPath);
  const insert = db.prepare("INSERT INTO audit_log (id, user_id, action, subject, detail, at) VALUES (?, NULL, 'token.create', ?, '{}', ?)");
  db.transaction(() => {
    for (let i = 0; i < 60; i++) insert.run(`old-${String(i).padStart(2, "0")}`, `t${i}`, Date.parse("2026-01-15T12:00:00Z") + i * 1000);
  })();
  db.close();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("the audit log page", () => {
  it("lists actions newest first, filters by who, action and day, and pages", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.getByRole("link", { name: "Audit" }).click();
    await page.waitForURL(/\/admin\/audit$/);
    const rows = page.getByRole("table", { name: "Audit log" }).locator("tbody tr");
    // Newest first: this sign-in, then the price set on the command line.
    await expect(rows.nth(0).locator("td").nth(2).textContent()).resolves.toBe("session.create");
    await expect(rows.nth(0).locator("td").nth(1).textContent()).resolves.toBe("admin");
    await expect(rows.nth(1).locator("td").nth(2).textContent()).resolves.toBe("model.price");
    await expect(rows.nth(1).locator("td").nth(1).textContent()).resolves.toBe("system");
    await expect(page.getByRole("status").textContent()).resolves.toMatch(/^Entries 1–50 of \d+\.$/);

    await page.getByLabel("Action").selectOption("model.price");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/action=model\.price/);
    await page.getByRole("status").filter({ hasText: "Entries 1–1 of 1." }).waitFor();
    await expect(rows.count()).resolves.toBe(1);
    await expect(rows.first().locator("td").nth(3).textContent()).resolves.toBe("gpt-x");

    // A family of actions and a day range: the sixty old token entries, on two pages.
    await page.goto(`${server.url}/admin/audit?action=token.&since=2026-01-15&until=2026-01-15`);
    await expect(page.getByRole("status").textContent()).resolves.toBe("Entries 1–50 of 60.");
    await expect(rows.first().locator("td").nth(3).textContent()).resolves.toBe("t59");
    await page.getByRole("link", { name: "Older →" }).click();
    await page.waitForURL(/offset=50/);
    await page.getByRole("status").filter({ hasText: "Entries 51–60 of 60." }).waitFor();
    await expect(rows.last().locator("td").nth(3).textContent()).resolves.toBe("t0");
    await page.getByRole("link", { name: "← Newer" }).waitFor();

    // A bad day says so and shows the whole log, with a 400.
    const bad = await page.goto(`${server.url}/admin/audit?since=2026-02-30`);
    expect(bad?.status()).toBe(400);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("since: not a day of the calendar");
    await page.close();
  });
});
