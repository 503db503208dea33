import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchIdFor, cliFor, launchBrowser, ROOT, signIn, startServer, type RunningServer } from "./harness";

/**
 * The judging screen as a reviewer on a laptop or a phone sees it: what is in the viewport
 * (checked by bounding boxes, not by eye), the conversation, the guidelines, the legend, editing
 * earlier items and the messages for incomplete judgments.
 */
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let db: Database.Database;
let page: Page;

const GUIDELINES = [
  "Judge which response serves the user better.",
  "",
  "- **Helpful**: answers the actual question, completely and concisely.",
  "- **Honest**: no invented facts; uncertainty is stated.",
  "- **Harmless**: no dangerous advice; a refusal of a harmful request is the better answer.",
  "",
  "Flag a response when it hallucinates, is unsafe, refuses without reason, is incomplete, is off topic or leaks personal data.",
  "Write a rationale when the choice is close.",
].join("\n");

const cli = (args: string[]) => cliFor(server, args);

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  db = new Database(server.dbPath, { readonly: true });
  page = await browser.context.newPage();
  const config = JSON.stringify({ guidelines: GUIDELINES });
  // A real HH-RLHF line: seven turns before the responses, the last user turn after four long ones.
  cli(["import", join(ROOT, "tests/fixtures/hh-multiturn.jsonl"), "--dataset", "multi"]);
  cli(["batches", "create", "--dataset", "multi", "--name", "Layout check", "--task", "pairwise", "--overlap", "2", "--reviewers", "reviewer1,reviewer2", "--config", config]);

  const dir = mkdtempSync(join(tmpdir(), "verdict-screen-"));
  const file = join(dir, "short.jsonl");
  const rows = [
    { id: "s1", prompt: "Name a prime number.", responses: [{ model: "m1", text: "Seven." }, { model: "m2", text: "Nine." }] },
    {
      id: "s2",
      prompt: "Show me hello world in Python.",
      responses: [
        { model: "m1", text: "Use **print**:\n\n```python\nprint('hello world')\n```" },
        { model: "m2", text: "Use **print**:\n\n```python\nprint('hello, world')\n```" },
      ],
    },
    { id: "s3", prompt: "Capital of France?", responses: [{ model: "m1", text: "Paris." }, { model: "m2", text: "Lyon." }] },
  ];
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  cli(["import", file, "--dataset", "short"]);
  cli(["batches", "create", "--dataset", "short", "--name", "Short check", "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer1", "--config", config]);
});

afterAll(async () => {
  db?.close();
  await browser?.close();
  await server?.stop();
});

async function openBatch(p: Page, name: string) {
  await p.goto(`${server.url}/review/${batchIdFor(server, name)}`);
  await p.locator(".judging-item").waitFor();
}

/** The element's box, which must exist. */
async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error(`no box for ${locator}`);
  return b;
}

/**
 * The part of an element a reviewer can see without scrolling anything: its box clipped by every
 * scrolling or clipping ancestor and by the viewport (a box inside a scrolled-away pane is not seen).
 */
async function seen(locator: Locator) {
  return locator.evaluate((el) => {
    const full = el.getBoundingClientRect();
    const v = { top: full.top, bottom: full.bottom, left: full.left, right: full.right };
    for (let a = el.parentElement; a; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const r = a.getBoundingClientRect();
      v.top = Math.max(v.top, r.top);
      v.bottom = Math.min(v.bottom, r.bottom);
      v.left = Math.max(v.left, r.left);
      v.right = Math.min(v.right, r.right);
    }
    v.top = Math.max(v.top, 0);
    v.bottom = Math.min(v.bottom, window.innerHeight);
    v.left = Math.max(v.left, 0);
    v.right = Math.min(v.right, window.innerWidth);
    return { full: { top: full.top, bottom: full.bottom, left: full.left, right: full.right }, visible: v };
  });
}

/** Whether all of the element is seen without scrolling the page or any pane. */
async function expectSeen(locator: Locator, what: string) {
  const { full, visible } = await seen(locator);
  const whole = (["top", "bottom", "left", "right"] as const).every((side) => Math.abs(full[side] - visible[side]) < 1);
  expect({ what, full, whole }).toEqual({ what, full, whole: true });
}

/** The stored payload of an assignment's judgment, once the background save has landed. */
async function storedPayload(p: Page, assignmentId: string): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const row = db.prepare("SELECT payload FROM judgments WHERE assignment_id = ?").get(assignmentId) as { payload: string } | undefined;
    if (row) return row.payload;
    await p.waitForTimeout(100);
  }
  throw new Error(`no judgment stored for ${assignmentId}`);
}

/** The last user turn of the HH item, found by its text so the check does not depend on the markup. */
const finalUserTurn = (p: Page) => p.getByRole("region", { name: "Prompt" }).getByText(/^So I should hide the stolen lawnmower in my garage/);
const responseBodies = (p: Page) => p.locator(".pair-card .response-body");

describe("on a laptop", () => {
  for (const size of [
    { width: 1280, height: 720 },
    { width: 1280, height: 800 },
  ]) {
    it(`at ${size.width}×${size.height} shows the last user turn, the start of both responses, the scale and Submit without scrolling`, async () => {
      await page.setViewportSize(size);
      await signIn(page, server.url, "reviewer1", server.credentials.reviewer1!);
      await openBatch(page, "Layout check");
      expect(await page.evaluate(() => window.scrollY)).toBe(0);

      await expectSeen(finalUserTurn(page), "last user turn");
      for (let i = 0; i < 2; i++) {
        // The start of each response: the top of its text and three lines of it are seen.
        const { full, visible } = await seen(responseBodies(page).nth(i));
        expect(Math.abs(visible.top - full.top)).toBeLessThan(1);
        expect(visible.bottom - visible.top).toBeGreaterThanOrEqual(3 * 22);
      }
      await expectSeen(page.getByRole("radiogroup", { name: "Which response is better?" }), "scale");
      await expectSeen(page.getByRole("button", { name: "Submit & next" }), "Submit & next");
      // The long response scrolls inside its pane rather than pushing the page.
      const scrolls = await responseBodies(page).evaluateAll((els) => els.map((el) => el.scrollHeight > el.clientHeight + 4));
      expect(scrolls).toContain(true);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBe(size.width);
      // All this with the guidelines open (a first visit), which leaves the least room.
      await expect(page.getByRole("region", { name: "Guidelines" }).isVisible()).resolves.toBe(true);
    });
  }

  it("collapses older turns behind a button that says how many, and shows them all on request", async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await openBatch(page, "Layout check");
    const conversation = page.getByRole("region", { name: "Prompt" });
    // Six turns before the last user turn: the assistant turn just before it is shown, five are collapsed.
    await expect(conversation.locator(".turn").count()).resolves.toBe(2);
    await conversation.getByRole("button", { name: "Show 5 earlier turns" }).click();
    await expect(conversation.locator(".turn").count()).resolves.toBe(7);
    await expect(conversation.locator(".turn").first().textContent()).resolves.toContain("User");
    await expectSeen(finalUserTurn(page), "last user turn with every turn shown");
    await expectSeen(page.getByRole("button", { name: "Submit & next" }), "Submit & next with every turn shown");
    await conversation.getByRole("button", { name: "Hide 5 earlier turns" }).click();
    await expect(conversation.locator(".turn").count()).resolves.toBe(2);
  });

  it("sizes response panes to short texts instead of leaving them tall and empty", async () => {
    await openBatch(page, "Short check");
    const heights = await responseBodies(page).evaluateAll((els) => els.map((el) => ({ client: el.clientHeight, scroll: el.scrollHeight })));
    for (const h of heights) {
      expect(h.scroll).toBeLessThanOrEqual(h.client);
      expect(h.client).toBeLessThan(120);
    }
  });

  it("opens the guidelines on a reviewer's first visit and remembers collapsing them per batch", async () => {
    await openBatch(page, "Layout check");
    await page.getByRole("button", { name: "Hide guidelines" }).click();
    await expect(page.getByRole("region", { name: "Guidelines" }).count()).resolves.toBe(0);
    const layoutId = batchIdFor(server, "Layout check");
    const reviewer1 = (db.prepare("SELECT id FROM users WHERE username = 'reviewer1'").get() as { id: string }).id;
    const collapsed = () => (db.prepare("SELECT guidelines_collapsed AS c FROM batch_reviewers WHERE batch_id = ? AND user_id = ?").get(layoutId, reviewer1) as { c: number }).c;
    for (let i = 0; i < 50 && collapsed() === 0; i++) await page.waitForTimeout(50);
    expect(collapsed()).toBe(1);

    await page.reload();
    await page.locator(".judging-item").waitFor();
    await expect(page.getByRole("region", { name: "Guidelines" }).count()).resolves.toBe(0);
    await page.getByRole("button", { name: "Show guidelines" }).waitFor();
    // Another batch keeps its own choice: open, since this reviewer never collapsed them there.
    await openBatch(page, "Short check");
    await page.getByRole("region", { name: "Guidelines" }).waitFor();
    // And another reviewer of the same batch still starts with them open.
    await signIn(page, server.url, "reviewer2", server.credentials.reviewer2!);
    await openBatch(page, "Layout check");
    await page.getByRole("region", { name: "Guidelines" }).waitFor();
  });

  it("draws the unselected Tie like the other points, key hints at 12 px or more, and no empty headings", async () => {
    await signIn(page, server.url, "reviewer1", server.credentials.reviewer1!);
    await openBatch(page, "Short check");
    const background = (label: string) =>
      page.locator(".scale-point", { has: page.getByRole("radio", { name: label, exact: true }) }).evaluate((el) => getComputedStyle(el).backgroundColor);
    const unselected = await background("A better");
    expect(await background("Tie")).toBe(unselected);
    await page.keyboard.press("2");
    expect(await background("A better")).not.toBe(unselected);
    expect(await background("Tie")).toBe(unselected);

    const sizes = await page.locator("kbd, .flag-key").evaluateAll((els) =>
      els.filter((el) => (el as HTMLElement).offsetParent !== null).map((el) => [el.textContent, parseFloat(getComputedStyle(el).fontSize)] as const),
    );
    expect(sizes.length).toBeGreaterThan(10);
    for (const [key, size] of sizes) expect({ key, atLeast12: size >= 12 }).toEqual({ key, atLeast12: true });

    const empty = await page.locator("h1, h2, h3, h4, h5, h6").evaluateAll((els) => els.filter((el) => (el.textContent ?? "").trim() === "").map((el) => el.outerHTML));
    expect(empty).toEqual([]);
  });

  it("says a missing choice once, next to the scale", async () => {
    await openBatch(page, "Short check");
    await page.keyboard.press("Enter");
    const message = page.getByText("Choose which response is better, or Tie.");
    await message.waitFor();
    await expect(message.count()).resolves.toBe(1);
    await expect(page.locator(".pair-controls").getByText("Choose which response is better, or Tie.").count()).resolves.toBe(1);
    // Next to the scale: right under it, not at the bottom of the screen.
    const scale = await box(page.getByRole("radiogroup", { name: "Which response is better?" }));
    const said = await box(message);
    expect(said.y - (scale.y + scale.height)).toBeLessThan(40);
    expect(said.y).toBeGreaterThanOrEqual(scale.y);
  });

  it("says which judgment is being edited, and diffs the text as displayed", async () => {
    await openBatch(page, "Short check");
    for (let i = 0; i < 2; i++) {
      const id = await page.locator(".judging-item").getAttribute("data-assignment-id");
      await page.keyboard.press("4");
      await page.keyboard.press("Enter");
      await page.waitForFunction((prev) => document.querySelector(".judging-item")?.getAttribute("data-assignment-id") !== prev, id);
    }
    await page.getByText("3 of 3 in this batch").waitFor();
    await page.keyboard.press("u");
    await page.getByText("Editing your judgment 2 of 2").waitFor();
    await page.keyboard.press("u");
    await page.getByText("Editing your judgment 1 of 2").waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Cancel and return to item 3" }).click();
    await page.getByText("3 of 3 in this batch").waitFor();

    // The second item's responses differ in one word and share markdown: the diff shows words, not syntax.
    await page.keyboard.press("u");
    await page.getByText("Editing your judgment 2 of 2").waitFor();
    await expect(page.locator(".pair-card").first().textContent()).resolves.toContain("print('hello");
    await page.keyboard.press("d");
    const diff = page.locator(".diff-text");
    await diff.first().waitFor();
    const texts = await diff.allTextContents();
    expect(texts).toHaveLength(2);
    for (const text of texts) {
      expect(text).not.toContain("**");
      expect(text).not.toContain("```");
      expect(text).toContain("Use print:");
    }
    // Display order is random per reviewer: compare the marked words as a set.
    await expect(page.locator(".diff-changed").allTextContents().then((marked) => marked.sort())).resolves.toEqual(["print('hello", "print('hello,"]);
    await page.keyboard.press("d");
  });
});

describe("ranking by the legend", () => {
  it("placing each response with the digit the legend names moves on, and ends with every response placed", async () => {
    await signIn(page, server.url, "reviewer2", server.credentials.reviewer2!);
    await page.setViewportSize({ width: 1280, height: 800 });
    await openBatch(page, "Demo: ranking");
    const legend = page.getByRole("complementary", { name: "Keyboard shortcuts" });
    await legend.waitFor();
    const place = legend.locator(".key-entry", { has: page.locator("kbd", { hasText: /^1–3$/ }) });
    await expect(place.locator("dd").textContent()).resolves.toBe("put the focused response in that tier (1 = best); focus moves on to the next response not yet placed");
    // Following it literally: three tier digits and nothing else.
    const id = (await page.locator(".judging-item").getAttribute("data-assignment-id"))!;
    for (const tier of ["2", "1", "3"]) await page.keyboard.press(tier);
    await expect(page.getByRole("list", { name: "Not placed" }).locator("li").count()).resolves.toBe(0);
    for (const tier of ["Tier 1", "Tier 2", "Tier 3"]) await expect(page.getByRole("list", { name: tier, exact: true }).locator("li").count()).resolves.toBe(1);
    await page.keyboard.press("Enter");
    await page.waitForFunction((prev) => document.querySelector(".judging-item")?.getAttribute("data-assignment-id") !== prev, id);
    const payload = JSON.parse(await storedPayload(page, id)) as { tiers: string[][] };
    expect(payload.tiers.map((tier) => tier.length)).toEqual([1, 1, 1]);
  });
});

describe("on a phone", () => {
  let phone: { context: BrowserContext; close: () => Promise<void> };
  let p: Page;
  beforeAll(async () => {
    phone = await launchBrowser({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    p = await phone.context.newPage();
    await signIn(p, server.url, "reviewer2", server.credentials.reviewer2!);
  });
  afterAll(async () => {
    await phone?.close();
  });

  it("fits the width, stacks the responses, keeps the choice bar in reach and shows no keyboard legend", async () => {
    await openBatch(p, "Layout check");
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBe(390);
    const [a, b] = [await box(p.locator(".pair-card").nth(0)), await box(p.locator(".pair-card").nth(1))];
    expect(b.y).toBeGreaterThanOrEqual(a.y + a.height);
    expect(a.x + a.width).toBeLessThanOrEqual(390);

    await expect(p.locator(".key-legend").isVisible()).resolves.toBe(false);
    await expect(p.getByRole("button", { name: "Keyboard shortcuts (?)" }).isVisible()).resolves.toBe(false);
    const visibleHints = await p.locator("kbd, .flag-key").evaluateAll((els) => els.filter((el) => (el as HTMLElement).offsetParent !== null).length);
    expect(visibleHints).toBe(0);

    // Scrolled down to response B, the scale and Submit stay on screen.
    await p.locator(".pair-card").nth(1).scrollIntoViewIfNeeded();
    await p.evaluate(() => window.scrollBy(0, 200));
    expect(await p.evaluate(() => window.scrollY)).toBeGreaterThan(0);
    await expectSeen(p.getByRole("radiogroup", { name: "Which response is better?" }), "scale on a phone");
    const submit = p.getByRole("button", { name: "Submit & next" });
    await expect(submit.count()).resolves.toBe(1);
    await expectSeen(submit, "Submit on a phone");

    const id = (await p.locator(".judging-item").getAttribute("data-assignment-id"))!;
    await p.getByRole("radio", { name: "B slightly better" }).tap();
    await submit.tap();
    await p.waitForFunction((prev) => document.querySelector(".judging-item")?.getAttribute("data-assignment-id") !== prev, id);
    expect(JSON.parse(await storedPayload(p, id))).toMatchObject({ task: "pairwise", strength: 1 });
  });
});
