import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

// An admin runs accounts and tokens from /admin/users alone: creates a user (who sets their own
// password through the one-time link), adds them to a batch, resets a password, revokes a token
// (the API then answers 401), and disables and enables an account.
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let page: Page;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  page = await browser.context.newPage();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const usersTable = () => page.getByRole("table", { name: "Users" });
const rowOf = (username: string) => usersTable().locator("tbody tr").filter({ has: page.getByRole("cell", { name: username, exact: true }) });

async function asAdmin(): Promise<void> {
  await signIn(page, server.url, "admin", server.credentials.admin!);
  const opened = await page.goto(`${server.url}/admin/users`);
  expect(opened?.status()).toBe(200);
}

/** Opens a one-time link signed out, sets `password`, and signs in with it. */
async function setPasswordThrough(link: string, username: string, password: string): Promise<void> {
  await page.context().clearCookies();
  expect((await page.goto(link))?.status()).toBe(200);
  await page.getByLabel("New password").fill(password);
  await page.getByLabel("The same again").fill(password);
  await Promise.all([page.waitForURL(/\/login\?reset=done/), page.getByRole("button", { name: "Set the password" }).click()]);
  await signIn(page, server.url, username, password);
  expect(new URL(page.url()).pathname).toBe("/review");
}

async function shownSecret(): Promise<string> {
  const secret = page.getByTestId("secret");
  await secret.waitFor();
  return (await secret.textContent())!.trim();
}

describe("the users page", () => {
  it("creates a user who sets their password through the link shown once, and adds them to a batch", async () => {
    await asAdmin();
    const form = page.getByRole("form", { name: "New user" });
    await form.getByLabel("Username").fill("newbie");
    await form.getByLabel("Display name").fill("New Bee");
    await form.getByLabel("Role").selectOption("reviewer");
    await form.getByRole("button", { name: "Create user" }).click();
    const link = await shownSecret();
    expect(link).toMatch(new RegExp(`^${server.url}/reset/[\\w-]{43}$`));
    await expect(page.getByTestId("one-time").textContent()).resolves.toContain("Created newbie");
    await expect(rowOf("newbie").textContent()).resolves.toContain("New Bee");
    await expect(rowOf("newbie").textContent()).resolves.toContain("never");

    // A taken username is refused, naming the field.
    await form.getByLabel("Username").fill("newbie");
    await form.getByRole("button", { name: "Create user" }).click();
    await expect(page.locator("#new-username-error").textContent()).resolves.toBe("already taken");

    await rowOf("newbie").getByLabel("Batch for newbie").selectOption({ label: "Demo: ranking" });
    await rowOf("newbie").getByRole("button", { name: "Add" }).click();
    await page.getByRole("status").filter({ hasText: "Added newbie to the batch." }).waitFor();
    await rowOf("newbie").getByRole("link", { name: "Demo: ranking" }).waitFor();

    // The link works (once) and the new reviewer sees the batch they were added to.
    await setPasswordThrough(link, "newbie", "newbie's own password");
    // Signing in navigates on the client: the URL can change a moment before the list renders.
    await page.locator('[data-batch="Demo: ranking"]').waitFor();
    await expect(page.locator('[data-batch="Demo: ranking"]').count()).resolves.toBe(1);
    expect((await page.goto(link))?.status()).toBe(404);

    await asAdmin();
    expect(await rowOf("newbie").textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC.*\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  });

  it("resets a password with a one-time link, and the user signs in with the new one", async () => {
    await asAdmin();
    await rowOf("reviewer2").getByRole("button", { name: "Reset password" }).click();
    const link = await shownSecret();
    await expect(page.getByTestId("one-time").textContent()).resolves.toContain("valid 24 hours");
    // Shown once: reloading the page does not show it again.
    await page.goto(`${server.url}/admin/users`);
    await expect(page.getByTestId("one-time").count()).resolves.toBe(0);
    await setPasswordThrough(link, "reviewer2", "reviewer two's new password");
  });

  it("creates and revokes a token: the API then answers 401; the reviewer's judgments show per hour", async () => {
    await asAdmin();
    const form = page.getByRole("form", { name: "New API token" });
    await form.getByLabel("User").selectOption("reviewer1");
    await form.getByLabel("Name").fill("e2e laptop");
    await form.getByRole("button", { name: "Create token" }).click();
    const token = await shownSecret();
    expect(token).toMatch(/^vrd_/);

    const batch = batchIdFor(server, "Demo: pairwise");
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}/api/v1${path}`, { ...init, headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } });
    const judged = await judgeAllViaApi((path, _user, init) => call(path, init), batch, "reviewer1", (assignment) => ({
      preferred: assignment.responses[0]!.id,
      strength: 2,
      duration_ms: 3000,
    }));
    expect(judged).toBeGreaterThan(0);

    await page.goto(`${server.url}/admin/users`);
    const tokens = page.getByRole("table", { name: "API tokens" });
    const tokenRow = tokens.locator("tbody tr").filter({ hasText: "e2e laptop" });
    await expect(tokenRow.textContent()).resolves.toMatch(/active/);
    await expect(tokenRow.textContent()).resolves.not.toContain("never");
    const activity = page.getByRole("table", { name: "Judgments per hour" }).locator("tbody tr").filter({ hasText: "reviewer1" });
    await expect(activity.locator("td").first().textContent()).resolves.toBe(String(judged));

    await tokenRow.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("status").filter({ hasText: "Revoked token" }).waitFor();
    await expect(tokenRow.textContent()).resolves.toContain("revoked");
    expect((await call(`/batches/${batch}/next`)).status).toBe(401);
  });

  it("disables an account after a confirmation and enables it again; an admin cannot disable themselves", async () => {
    const { api } = apiClient(server, ["reviewer1"]);
    const batch = batchIdFor(server, "Demo: pairwise");
    await asAdmin();
    await rowOf("reviewer1").getByRole("link", { name: "Disable…" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Disable reviewer1?" });
    await confirm.waitFor();
    await confirm.getByRole("button", { name: "Disable reviewer1" }).click();
    await page.getByRole("status").filter({ hasText: "Disabled reviewer1" }).waitFor();
    await expect(rowOf("reviewer1").textContent()).resolves.toContain("disabled");
    expect((await api(`/batches/${batch}/next`, "reviewer1")).status).toBe(401);

    await rowOf("reviewer1").getByRole("button", { name: "Enable" }).click();
    await page.getByRole("status").filter({ hasText: "Enabled reviewer1" }).waitFor();
    await expect(rowOf("reviewer1").textContent()).resolves.toContain("active");
    expect([200, 204]).toContain((await api(`/batches/${batch}/next`, "reviewer1")).status);

    // No Disable control on the admin's own row, and a hand-made request is refused.
    await expect(rowOf("admin").getByRole("link", { name: "Disable…" }).count()).resolves.toBe(0);
    const self = await page.request.post(`${server.url}/admin/users`, { form: { intent: "disable", username: "admin" } });
    expect(self.status()).toBe(409);
    expect(await self.text()).toContain("you cannot disable your own account");
  });
});
