import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliFor, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

// An admin makes a one-time link on the command line; the reviewer opens it in the browser,
// sets a new password, and signs in with it. Their other sessions end; the link works once.
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("a password reset link", () => {
  it("sets a new password once, signs the account out elsewhere, and is spent", async () => {
    // The reviewer is signed in somewhere (another browser): that session must end.
    const elsewhere = await browser.context.browser()?.newContext();
    const other = elsewhere ? await elsewhere.newPage() : await browser.context.newPage();
    await signIn(other, server.url, "reviewer1", server.credentials.reviewer1!);

    const { link } = JSON.parse(cliFor(server, ["users", "reset-password", "reviewer1", "--json"])) as { link: string };
    const path = new URL(link).pathname;
    const page = await browser.context.newPage();
    await page.context().clearCookies();
    const opened = await page.goto(`${server.url}${path}`);
    expect(opened?.status()).toBe(200);
    await expect(page.getByRole("heading", { level: 1 }).textContent()).resolves.toBe("Set a new password");
    await expect(page.locator("section.panel p").first().textContent()).resolves.toContain("(reviewer1)");

    // A mismatch is refused beside the field, and the link still works.
    await page.getByLabel("New password").fill("a fresh password 1");
    await page.getByLabel("The same again").fill("a different one 22");
    await page.getByRole("button", { name: "Set the password" }).click();
    await expect(page.locator("#confirm-error").textContent()).resolves.toBe("does not match the password");

    await page.getByLabel("New password").fill("a fresh password 1");
    await page.getByLabel("The same again").fill("a fresh password 1");
    await Promise.all([page.waitForURL(/\/login\?reset=done/), page.getByRole("button", { name: "Set the password" }).click()]);
    await expect(page.getByRole("status").textContent()).resolves.toContain("Your new password is set for reviewer1");
    await page.getByLabel("Username").fill("reviewer1");
    await page.getByLabel("Password").fill("a fresh password 1");
    await Promise.all([page.waitForURL((url) => !url.pathname.startsWith("/login")), page.getByRole("button", { name: "Sign in" }).click()]);
    expect(new URL(page.url()).pathname).toBe("/review");

    // The other browser's session has ended.
    const back = await other.goto(`${server.url}/review`);
    expect(new URL(other.url()).pathname).toBe("/login");
    expect(back?.status()).toBe(200);
    await elsewhere?.close();

    // Spent: the same link now says so, with a 404.
    const again = await page.goto(`${server.url}${path}`);
    expect(again?.status()).toBe(404);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("This link is not valid: it was used already");
  });
});
