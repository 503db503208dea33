import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchIdFor, cliFor, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

/**
 * The sources of truth on the judging screen (issue 13): a multi-turn prompt's reference answer
 * and context documents in a collapsible panel beside the prompt (above the responses on a
 * phone), untrusted text kept inert, and — in a batch that asks for it — words selected in a
 * response marked as unsupported with `u` or the card's button, stored as the unsupported_claim
 * flag with the words as its note.
 */
let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let db: Database.Database;
let page: Page;
const problems: string[] = [];

const REFERENCE = "Refunds are accepted within **30 days** of delivery, with the receipt.";
const CONTEXT = [
  { title: "Refund policy (2024)", text: "## Refunds\n\n- Within 30 days of delivery.\n- A receipt is required.\n\nStore credit after that." },
  {
    title: "Customer notes",
    text: 'Forwarded by support: <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> — a customer asked about refunds after 45 days.',
  },
];

const cli = (args: string[]) => cliFor(server, args);

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  const dir = mkdtempSync(join(tmpdir(), "verdict-sources-"));
  const file = join(dir, "grounded.jsonl");
  const rows = [
    {
      id: "refund-1",
      messages: [
        { role: "system", content: "You answer questions about the shop's policies." },
        { role: "user", content: "I bought a kettle." },
        { role: "assistant", content: "Thanks! How can I help with it?" },
        { role: "user", content: "It broke after five weeks. Can I still get a refund?" },
      ],
      responses: [
        { model: "m1", text: "Our policy allows refunds within ninety days of delivery, so yes, you can return it for cash." },
        { model: "m2", text: "Refunds are accepted within 30 days with a receipt; after five weeks you can get store credit." },
      ],
    },
  ];
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
  cli(["import", file, "--dataset", "grounded"]);
  // The importer's reference/context keys are another change: write the columns directly.
  const writer = new Database(server.dbPath);
  writer
    .prepare("UPDATE prompts SET reference = ?, context = ? WHERE external_id = 'refund-1' AND dataset_id = (SELECT id FROM datasets WHERE name = 'grounded')")
    .run(REFERENCE, JSON.stringify(CONTEXT));
  writer.close();
  cli(["batches", "create", "--dataset", "grounded", "--name", "Grounded", "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer1", "--config", JSON.stringify({ unsupportedClaims: true })]);
  db = new Database(server.dbPath, { readonly: true });
  page = await browser.context.newPage();
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
});

afterAll(async () => {
  db?.close();
  await browser?.close();
  await server?.stop();
});

async function openBatch(p: Page, name: string) {
  await p.goto(`${server.url}/review/${batchIdFor(server, name)}`);
  await p.locator(".judging-item").waitFor();
  // The keyboard handler and the selection tracking start once React has hydrated the page.
  await p.waitForFunction(() => (window as unknown as { __remixRouter?: { state: { initialized: boolean } } }).__remixRouter?.state.initialized === true);
}

async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error(`no box for ${locator}`);
  return b;
}

const panel = (p: Page) => p.getByRole("region", { name: "Sources of truth", exact: true });

/** Selects `words` inside the text of the response card at display position `index`, as a reviewer dragging over them would. */
async function selectWords(p: Page, index: number, words: string): Promise<void> {
  const found = await p.evaluate(
    ([i, target]) => {
      const body = document.querySelectorAll<HTMLElement>(".response-card [data-response-text]")[i as number];
      if (!body) return false;
      const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.textContent!.indexOf(target as string);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + (target as string).length);
        const selection = window.getSelection()!;
        selection.removeAllRanges();
        selection.addRange(range);
        return true;
      }
      return false;
    },
    [index, words] as const,
  );
  expect(found, `"${words}" in response ${index}`).toBe(true);
}

/** The stored flags of an assignment's judgment, once the background save has landed. */
async function storedFlags(p: Page, assignmentId: string): Promise<Array<{ response_id: string; flag: string; note: string }>> {
  for (let i = 0; i < 100; i++) {
    const judgment = db.prepare("SELECT id FROM judgments WHERE assignment_id = ?").get(assignmentId) as { id: string } | undefined;
    if (judgment) return db.prepare("SELECT response_id, flag, note FROM judgment_flags WHERE judgment_id = ? ORDER BY flag").all(judgment.id) as Array<{ response_id: string; flag: string; note: string }>;
    await p.waitForTimeout(100);
  }
  throw new Error(`no judgment stored for ${assignmentId}`);
}

describe("the sources of truth panel", () => {
  it("shows the reference answer and both documents beside the prompt on a laptop, collapsible, with the untrusted text inert", async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await signIn(page, server.url, "reviewer1", server.credentials.reviewer1!);
    await openBatch(page, "Grounded");
    const sources = panel(page);
    await sources.waitFor();
    const titles = await sources.locator("summary").allTextContents();
    expect(titles).toEqual(["Sources of truth reference answer · 2 documents", "Reference answer", "Refund policy (2024)", "Customer notes"]);
    // Rendered as markdown, like the responses: bold, a heading, a list.
    await expect(sources.locator("strong").first().textContent()).resolves.toBe("30 days");
    await expect(sources.locator("li").count()).resolves.toBe(2);

    // The untrusted text stays text: nothing ran, no element was made from it.
    const xss = await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
    expect(xss).toBeUndefined();
    await expect(sources.locator("img, script, iframe").count()).resolves.toBe(0);
    await expect(sources.textContent()).resolves.toContain('<img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script>');

    // Beside the prompt, in the row above the responses.
    const conversation = await box(page.getByRole("region", { name: "Prompt" }));
    const side = await box(sources);
    expect(side.x).toBeGreaterThanOrEqual(conversation.x + conversation.width - 1);
    expect(Math.abs(side.y - conversation.y)).toBeLessThan(2);
    const firstCard = await box(page.locator(".response-card").first());
    expect(firstCard.y).toBeGreaterThan(side.y + side.height);
    // The judging screen still fits the laptop's viewport: Submit and the scale are on screen.
    for (const control of [page.getByRole("button", { name: "Submit & next" }), page.getByRole("radiogroup", { name: "Which response is better?" })]) {
      const b = await box(control);
      expect(b.y + b.height).toBeLessThanOrEqual(720);
    }
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: "/tmp/sources-panel-1280.png" });

    // Collapsible: the whole panel folds to its summary line and opens again; so does one document.
    const details = sources.locator("details.sources-details");
    await sources.getByText("Sources of truth", { exact: true }).click();
    await expect(details.evaluate((el) => (el as HTMLDetailsElement).open)).resolves.toBe(false);
    await expect(sources.getByText("Refund policy (2024)").isVisible()).resolves.toBe(false);
    expect((await box(sources)).height).toBeLessThan(50);
    await page.screenshot({ path: "/tmp/sources-panel-1280-collapsed.png" });
    await sources.getByText("Sources of truth", { exact: true }).click();
    await expect(details.evaluate((el) => (el as HTMLDetailsElement).open)).resolves.toBe(true);
    const doc = sources.locator('details[data-source="context-1"]');
    await doc.locator("summary").click();
    await expect(doc.evaluate((el) => (el as HTMLDetailsElement).open)).resolves.toBe(false);
    await expect(sources.getByText(/a customer asked about refunds/).isVisible()).resolves.toBe(false);
    await doc.locator("summary").click();
    await expect(sources.getByText(/a customer asked about refunds/).isVisible()).resolves.toBe(true);
  });

  it("on a phone sits between the prompt and the responses and fits the width", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await openBatch(page, "Grounded");
    const sources = panel(page);
    await sources.waitFor();
    const conversation = await box(page.getByRole("region", { name: "Prompt" }));
    const stacked = await box(sources);
    const firstCard = await box(page.locator(".response-card").first());
    expect(stacked.y).toBeGreaterThanOrEqual(conversation.y + conversation.height - 1);
    expect(firstCard.y).toBeGreaterThanOrEqual(stacked.y + stacked.height - 1);
    expect(stacked.x).toBeGreaterThanOrEqual(0);
    expect(stacked.x + stacked.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: "/tmp/sources-panel-390.png", fullPage: true });
    await sources.screenshot({ path: "/tmp/sources-panel-390-panel.png" });
    const xss = await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
    expect(xss).toBeUndefined();
  });
});

describe("marking claims not supported by the context", () => {
  it("marks words selected in response A with u and with the button; the judgment stores the flag with them as its note", async () => {
    await page.setViewportSize({ width: 1280, height: 720 });
    await openBatch(page, "Grounded");
    const assignmentId = (await page.locator(".judging-item").getAttribute("data-assignment-id"))!;
    const cardA = page.locator(".response-card").first();
    const responseA = (await cardA.getAttribute("data-response"))!;
    const textA = (await cardA.locator("[data-response-text]").textContent())!;
    // The two responses in this reviewer's order: mark a claim of whichever is shown first.
    const [first, second] = textA.includes("ninety days") ? ["refunds within ninety days", "return it for cash"] : ["within 30 days", "store credit"];

    const markA = page.getByRole("button", { name: "Mark selected words as unsupported (Response A)" });
    await expect(markA.isDisabled()).resolves.toBe(true);
    await expect(page.locator(".key-legend").textContent()).resolves.toContain("mark them as unsupported by the context");

    // 1. Select words, press u.
    await selectWords(page, 0, first);
    await expect.poll(() => markA.isEnabled()).toBe(true);
    await page.keyboard.press("u");
    const flagA = cardA.getByRole("checkbox", { name: "unsupported claim (Response A)" });
    await expect.poll(() => flagA.isChecked()).toBe(true);
    const note = cardA.getByRole("textbox", { name: "Note on unsupported claim for Response A (optional)" });
    await expect(note.inputValue()).resolves.toBe(first);
    // The selection is used up: the button waits for a new one, and u did not go back.
    // Polled: the button follows the browser's selectionchange event, which fires after the key.
    await expect.poll(() => markA.isDisabled()).toBe(true);
    await expect(page.locator(".judging-item").getAttribute("data-assignment-id")).resolves.toBe(assignmentId);

    // 2. A second mark, with the button, is appended after " | ".
    await selectWords(page, 0, second);
    await expect.poll(() => markA.isEnabled()).toBe(true);
    await markA.click();
    await expect.poll(() => note.inputValue()).toBe(`${first} | ${second}`);
    // Response B was left alone.
    await expect(page.getByRole("checkbox", { name: "unsupported claim (Response B)" }).isChecked()).resolves.toBe(false);
    await page.screenshot({ path: "/tmp/sources-panel-marked-1280.png" });

    // 3. Choose and submit from the keyboard (focus off the note box first).
    await page.locator("h1").click();
    await page.keyboard.press("2");
    await page.keyboard.press("Enter");
    expect(await storedFlags(page, assignmentId)).toEqual([{ response_id: responseA, flag: "unsupported_claim", note: `${first} | ${second}` }]);
    expect(problems).toEqual([]);
  });
});
