import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, launchBrowser, ROOT, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let api: ReturnType<typeof apiClient>["api"];
const NEW_REVIEWER = { username: "reviewer9", password: "a long enough password" };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1"]));
  const add = spawnSync(join(ROOT, "node_modules/.bin/tsx"), [join(ROOT, "app/cli/main.ts"), "users", "add", "--username", NEW_REVIEWER.username, "--role", "reviewer", "--password-stdin", "--display-name", "Nine"], {
    cwd: ROOT,
    encoding: "utf8",
    input: NEW_REVIEWER.password,
    env: { ...process.env, VERDICT_DB: server.dbPath },
  });
  if (add.status !== 0) throw new Error(add.stderr);
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const errorsOf = new WeakMap<Page, string[]>();
async function pageAs(username: string, password: string, path: string): Promise<Page> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  errorsOf.set(page, errors);
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  await signIn(page, server.url, username, password);
  await page.goto(`${server.url}${path}`);
  return page;
}
const adminPage = (path: string) => pageAs("admin", server.credentials.admin!, path);
const status = (page: Page) => page.locator(".status-badge").textContent();

describe("the batch page", () => {
  it("is linked from the batch list and shows the batch's config, reviewers and progress", async () => {
    const page = await adminPage("/admin/batches");
    await page.getByRole("link", { name: "Demo: pairwise", exact: true }).click();
    await page.waitForURL(/\/admin\/batches\/[^/]+$/);
    await page.getByRole("heading", { level: 1, name: "Demo: pairwise" }).waitFor();
    const facts = await page.getByRole("definition").allTextContents();
    expect(facts.join(" | ")).toContain("7-point");
    const table = page.getByRole("table", { name: "Reviewers and their progress" });
    expect(await table.getByRole("row").count()).toBeGreaterThan(1);
    expect(await table.textContent()).toContain("reviewer1");
    expect(await page.getByRole("link", { name: "Statistics" }).getAttribute("href")).toMatch(/\/stats$/);
    expect(await page.getByRole("link", { name: "Export" }).getAttribute("href")).toMatch(/\/export$/);
    expect(await page.getByRole("link", { name: "Disputes" }).getAttribute("href")).toMatch(/\/disputes$/);
    expect(errorsOf.get(page)).toEqual([]);
    await page.close();
  });

  it("edits the name and guidelines, refusing an empty name with a message under the field; the reviewer's next item has the new guidelines", async () => {
    const id = batchIdFor(server, "Demo: pairwise");
    const page = await adminPage(`/admin/batches/${id}`);
    const form = page.getByRole("form", { name: "Name and guidelines" });
    // The browser's own check would stop an empty name; a blank one reaches the server.
    await form.getByLabel("Name").fill("   ");
    await form.getByRole("button", { name: "Save name and guidelines" }).click();
    await page.locator("#name-error").waitFor();
    expect(await page.locator("#name-error").textContent()).toBe("required");

    await form.getByLabel("Name").fill("Demo: pairwise (edited)");
    await form.getByLabel(/Guidelines/).fill("Prefer the **shorter** answer when both are right.");
    await form.getByRole("button", { name: "Save name and guidelines" }).click();
    await page.getByRole("heading", { level: 1, name: "Demo: pairwise (edited)" }).waitFor();
    await page.getByRole("status").filter({ hasText: "Saved the name and guidelines." }).waitFor();
    await page.screenshot({ path: "/tmp/batch-page-edited.png", fullPage: true });
    expect(errorsOf.get(page)).toEqual([]);
    await page.close();

    const next = await api(`/batches/${id}/next`, "reviewer1");
    expect(next.status).toBe(200);
    const { assignment } = (await next.json()) as { assignment: { config: { guidelines: string } } };
    expect(assignment.config.guidelines).toBe("Prefer the **shorter** answer when both are right.");
  });

  it("adds a reviewer who then gets an item on the judging screen", async () => {
    const id = batchIdFor(server, "Demo: ranking");
    const page = await adminPage(`/admin/batches/${id}`);
    const add = page.getByRole("form", { name: "Add reviewers" });
    await add.getByLabel(/Nine/).check();
    await add.getByRole("button", { name: "Add" }).click();
    await page.getByRole("status").filter({ hasText: "Added reviewer9." }).waitFor();
    expect(await page.getByRole("table", { name: "Reviewers and their progress" }).textContent()).toContain("reviewer9");
    await page.close();

    const reviewer = await pageAs(NEW_REVIEWER.username, NEW_REVIEWER.password, `/review/${id}`);
    await reviewer.locator(".judging-item").waitFor();
    expect(await reviewer.locator(".judging-item").getAttribute("data-assignment-id")).toBeTruthy();
    expect(errorsOf.get(reviewer)).toEqual([]);
    await reviewer.close();
  });

  it("pauses and resumes, and closes only after the confirmation, then reopens", async () => {
    const id = batchIdFor(server, "Demo: rating");
    const page = await adminPage(`/admin/batches/${id}`);
    expect(await status(page)).toBe("active");
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("button", { name: "Resume" }).waitFor();
    expect(await status(page)).toBe("paused");
    expect((await api(`/batches/${id}/next`, "reviewer1")).status).toBe(409);
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();
    expect(await status(page)).toBe("active");

    await page.getByRole("link", { name: "Close…" }).click();
    const confirmation = page.getByRole("region", { name: "Close “Demo: rating”?" });
    await confirmation.waitFor();
    expect(await confirmation.textContent()).toContain("You can reopen it from this page at any time.");
    expect(await status(page)).toBe("active");
    await page.screenshot({ path: "/tmp/batch-page-confirm-close.png", fullPage: true });
    await confirmation.getByRole("button", { name: "Close batch" }).click();
    await page.getByRole("button", { name: "Reopen" }).waitFor();
    expect(await status(page)).toBe("closed");
    expect((await api(`/batches/${id}/next`, "reviewer1")).status).toBe(409);
    await page.getByRole("button", { name: "Reopen" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();
    expect(await status(page)).toBe("active");
    expect(errorsOf.get(page)).toEqual([]);
    await page.close();
  });

  it("refuses lowering the overlap with a message under the field", async () => {
    const id = batchIdFor(server, "Demo: pairwise (edited)");
    const page = await adminPage(`/admin/batches/${id}`);
    const form = page.getByRole("form", { name: "Overlap" });
    // min= stops the browser from sending a lower value; remove it to see the server's answer.
    await form.getByLabel("Reviewers per item").evaluate((input) => input.removeAttribute("min"));
    await form.getByLabel("Reviewers per item").fill("1");
    await form.getByRole("button", { name: "Raise overlap" }).click();
    await page.locator("#overlap-error").waitFor();
    expect(await page.locator("#overlap-error").textContent()).toBe("1 is below the current overlap 2: an overlap can only be raised (judgments already made stay counted)");
    expect(errorsOf.get(page)).toEqual([]);
    await page.close();
  });

  it("works without JavaScript: removing a reviewer and raising the overlap are plain forms", async () => {
    const id = batchIdFor(server, "Demo: ranking");
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    // No script runs: every click is a plain form post answered by a redirect or the page again.
    await page.route(/\.js(\?|$)/, (route) => route.abort());
    await page.goto(`${server.url}/admin/batches/${id}`);
    const remove = page.getByRole("form", { name: "Remove reviewers" });
    await remove.getByLabel(/Nine/).check();
    await Promise.all([page.waitForURL(/done=remove-reviewers/), remove.getByRole("button", { name: "Remove" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Removed reviewer9" }).textContent()).toContain("Their judgments are kept.");
    // Nine held an item (the judging screen leases two); it went back to the others.
    expect(await page.getByRole("table", { name: "Reviewers and their progress" }).textContent()).not.toContain("reviewer9");

    const overlap = page.getByRole("form", { name: "Overlap" });
    await overlap.getByLabel("Reviewers per item").fill("5");
    await Promise.all([page.waitForLoadState("load"), overlap.getByRole("button", { name: "Raise overlap" }).click()]);
    expect(await page.locator("#overlap-error").textContent()).toBe("5 is more than the 2 enabled reviewers of this batch: add reviewers first");
    await overlap.getByLabel("Reviewers per item").fill("2");
    await Promise.all([page.waitForURL(/done=overlap/), overlap.getByRole("button", { name: "Raise overlap" }).click()]);
    expect(await page.getByRole("status").filter({ hasText: "Overlap raised" }).textContent()).toMatch(/^Overlap raised from 1 to 2; \d+ items? reopened\.$/);
    expect(await page.evaluate(() => typeof (window as unknown as { __remixRouter?: unknown }).__remixRouter)).toBe("undefined");
    await page.close();
  });
});
