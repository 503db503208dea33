import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliFor, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let db: Database.Database;
let page: Page;

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  db = new Database(server.dbPath, { readonly: true });
  page = await browser.context.newPage();
});
afterAll(async () => {
  db?.close();
  await browser?.close();
  await server?.stop();
});

const cli = (args: string[]) => cliFor(server, args);

const currentId = (p: Page) => p.locator(".judging-item").getAttribute("data-assignment-id");

/** The responses of an assignment in the order the reviewer saw them (A, B, C …). */
function shownResponses(assignmentId: string): Array<{ id: string; model: string }> {
  const row = db.prepare("SELECT a.display_order, i.response_ids FROM assignments a JOIN items i ON i.id = a.item_id WHERE a.id = ?").get(assignmentId) as {
    display_order: string;
    response_ids: string;
  };
  const ids = JSON.parse(row.response_ids) as string[];
  return (JSON.parse(row.display_order) as number[]).map((index) => db.prepare("SELECT id, model FROM responses WHERE id = ?").get(ids[index]) as { id: string; model: string });
}

function pairsOf(assignmentId: string) {
  return db
    .prepare(
      `SELECT pp.chosen_id, pp.rejected_id, pp.strength, pp.shown_chosen_first FROM preference_pairs pp JOIN judgments j ON j.id = pp.judgment_id
       WHERE j.assignment_id = ? ORDER BY pp.rowid`,
    )
    .all(assignmentId) as Array<{ chosen_id: string; rejected_id: string; strength: number; shown_chosen_first: number }>;
}

/** Waits until the server has stored a judgment for the assignment (saves run in the background). */
async function storedJudgment(assignmentId: string, updatedAfter = 0) {
  for (let i = 0; i < 100; i++) {
    const row = db.prepare("SELECT id, payload, rationale, duration_ms, updated_at FROM judgments WHERE assignment_id = ?").get(assignmentId) as
      | { id: string; payload: string; rationale: string; duration_ms: number | null; updated_at: number }
      | undefined;
    if (row && row.updated_at > updatedAfter) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no judgment stored for ${assignmentId}`);
}

async function openBatch(name: string) {
  await page.goto(`${server.url}/review`);
  await page.getByRole("link", { name }).click();
  await page.locator(".judging-item").waitFor();
}

async function nextItemAfter(previous: string | null) {
  await page.waitForFunction((prev) => document.querySelector(".judging-item")?.getAttribute("data-assignment-id") !== prev, previous);
}

describe("judging with the keyboard only", () => {
  it("pairwise: chooses, flags, submits and moves on without a page load; goes back and edits", async () => {
    await signIn(page, server.url, "reviewer1", server.credentials.reviewer1!);
    await openBatch("Demo: pairwise");
    await expect(page.getByText("1 of 8 in this batch").count()).resolves.toBe(1);
    const navigations: string[] = [];
    page.on("framenavigated", (frame) => navigations.push(frame.url()));

    const first = (await currentId(page))!;
    const [a, b] = shownResponses(first);
    await page.keyboard.press("3"); // A slightly better
    await page.keyboard.press("a");
    await page.keyboard.press("f");
    await page.keyboard.press("1"); // flag 1 (hallucination) on A
    await page.keyboard.press("Enter");
    await nextItemAfter(first);
    const judged = await storedJudgment(first);
    expect(JSON.parse(judged.payload)).toEqual({ task: "pairwise", preferred: a!.id, strength: 1, bothBad: false });
    // Time on the item is recorded.
    expect(judged.duration_ms).toBeGreaterThan(0);
    expect(db.prepare("SELECT response_id, flag FROM judgment_flags WHERE judgment_id = ?").all(judged.id)).toEqual([{ response_id: a!.id, flag: "hallucination" }]);
    expect(pairsOf(first)).toEqual([{ chosen_id: a!.id, rejected_id: b!.id, strength: 1, shown_chosen_first: 1 }]);
    await expect(page.getByText("2 of 8 in this batch").count()).resolves.toBe(1);
    expect(navigations).toEqual([]);

    // Back to the first item, change the verdict to "B much better", submit.
    const second = (await currentId(page))!;
    await page.keyboard.press("u");
    await page.waitForFunction((id) => document.querySelector(".judging-item")?.getAttribute("data-assignment-id") === id, first);
    await page.getByText("Editing your judgment 1 of 1").waitFor();
    // The earlier flag is pre-filled; toggle it off.
    await expect(page.getByRole("checkbox", { name: /hallucination/i }).first().isChecked()).resolves.toBe(true);
    await page.keyboard.press("7");
    await page.keyboard.press("a");
    await page.keyboard.press("f");
    await page.keyboard.press("1");
    await page.keyboard.press("Enter");
    await page.waitForFunction((id) => document.querySelector(".judging-item")?.getAttribute("data-assignment-id") === id, second);
    await storedJudgment(first, judged.updated_at);
    expect(pairsOf(first)).toEqual([{ chosen_id: b!.id, rejected_id: a!.id, strength: 3, shown_chosen_first: 0 }]);
    expect(db.prepare("SELECT count(*) AS n FROM judgment_flags WHERE judgment_id = ?").get(judged.id)).toEqual({ n: 0 });
  });

  it("refuses an incomplete judgment on the page, without changing item", async () => {
    const before = await currentId(page);
    await page.keyboard.press("Enter");
    await page.waitForTimeout(300);
    expect(await currentId(page)).toBe(before);
    expect(db.prepare("SELECT count(*) AS n FROM judgments WHERE assignment_id = ?").get(before)).toEqual({ n: 0 });
  });

  it("ranking: puts three responses into tiers and stores every cross-tier pair", async () => {
    await openBatch("Demo: ranking");
    const id = (await currentId(page))!;
    const [a, b, c] = shownResponses(id);
    await page.keyboard.press("1"); // A → tier 1, focus moves to B
    await page.keyboard.press("2"); // B → tier 2
    await page.keyboard.press("3"); // C → tier 3
    await page.keyboard.press("Enter");
    await nextItemAfter(id);
    expect(JSON.parse((await storedJudgment(id)).payload)).toEqual({ task: "ranking", tiers: [[a!.id], [b!.id], [c!.id]] });
    expect(pairsOf(id).map((p) => [p.chosen_id, p.rejected_id, p.strength])).toEqual([
      [a!.id, b!.id, 1],
      [a!.id, c!.id, 2],
      [b!.id, c!.id, 1],
    ]);
  });

  it("rating: scores every aspect of every response and stores pairs from the overall aspect", async () => {
    await openBatch("Demo: rating");
    const id = (await currentId(page))!;
    const [a, b, c] = shownResponses(id);
    for (const key of ["5", "4", "4", "4", "1", "2", "2", "2", "3", "3", "3", "3"]) await page.keyboard.press(key);
    await page.keyboard.press("Enter");
    await nextItemAfter(id);
    const payload = JSON.parse((await storedJudgment(id)).payload) as { scores: Record<string, Record<string, number>> };
    expect(payload.scores[a!.id]).toEqual({ overall: 5, helpfulness: 4, honesty: 4, harmlessness: 4 });
    expect(payload.scores[b!.id]).toEqual({ overall: 1, helpfulness: 2, honesty: 2, harmlessness: 2 });
    const pairs = pairsOf(id).map((p) => [p.chosen_id, p.rejected_id, p.strength]);
    expect(pairs).toHaveLength(3);
    expect(pairs).toContainEqual([a!.id, b!.id, 3]);
    expect(pairs).toContainEqual([a!.id, c!.id, 2]);
    expect(pairs).toContainEqual([c!.id, b!.id, 2]);
  });
});

describe("untrusted text", () => {
  it("renders scripts, event handlers and javascript: links in prompts and responses inert", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-xss-"));
    const file = join(dir, "xss.jsonl");
    const evil = [
      "<script>window.__xss = 'script'</script>",
      '<img src="x" onerror="window.__xss = \'img\'">',
      "[click me](javascript:window.__xss='link')",
      '<a href="javascript:window.__xss=\'anchor\'">anchor</a>',
      "<iframe src=\"javascript:window.__xss='iframe'\"></iframe>",
    ].join("\n\n");
    writeFileSync(
      file,
      JSON.stringify({ id: "x1", prompt: `Prompt ${evil}`, responses: [{ model: "m1", text: `Response one ${evil}` }, { model: "m2", text: "**bold** and `code`" }] }) + "\n",
    );
    cli(["import", file, "--dataset", "xss"]);
    cli(["batches", "create", "--dataset", "xss", "--name", "XSS check", "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer2"]);

    await signIn(page, server.url, "reviewer2", server.credentials.reviewer2!);
    const dialogs: string[] = [];
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await openBatch("XSS check");
    await page.getByText("click me").first().click({ trial: false }).catch(() => undefined);
    await page.waitForTimeout(500);
    const judging = page.locator(".judging-item");
    expect(await page.evaluate(() => (window as unknown as { __xss?: string }).__xss)).toBeUndefined();
    expect(await judging.locator("script").count()).toBe(0);
    expect(await judging.locator("img[onerror]").count()).toBe(0);
    expect(await judging.locator('a[href^="javascript" i]').count()).toBe(0);
    expect(await judging.locator("iframe").count()).toBe(0);
    // The markup is shown as text, and real markdown still renders.
    expect(await judging.textContent()).toContain("<script>window.__xss = 'script'</script>");
    expect(await judging.locator("strong", { hasText: "bold" }).count()).toBe(1);
    expect(dialogs).toEqual([]);
  });

  it("says when the batch is done", async () => {
    const id = (await currentId(page))!;
    await page.keyboard.press("4");
    await page.keyboard.press("Enter");
    await nextItemAfter(id);
    await page.getByRole("heading", { name: "This batch is done for you" }).waitFor();
  });
});

describe("saving while another process holds the database", () => {
  it("keeps the reviewer going, says the server is busy, and saves the judgment once the lock is gone", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "verdict-busy-")), "busy.jsonl");
    const rows = [1, 2, 3].map((i) => JSON.stringify({ id: `busy${i}`, prompt: `Busy ${i}?`, responses: [{ model: "m1", text: `one ${i}` }, { model: "m2", text: `two ${i}` }] }));
    writeFileSync(file, rows.join("\n") + "\n");
    cli(["import", file, "--dataset", "busy"]);
    cli(["batches", "create", "--dataset", "busy", "--name", "Busy check", "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer2"]);
    await openBatch("Busy check");
    const first = (await currentId(page))!;
    // Another process (a CLI import, say) holds the write lock: the save waits out the server's
    // busy timeout, gets a 503, and the screen retries after the server's Retry-After.
    const lock = new Database(server.dbPath);
    lock.exec("BEGIN IMMEDIATE");
    try {
      await page.keyboard.press("4"); // a tie
      await page.keyboard.press("Enter");
      await nextItemAfter(first);
      await page.getByText("The server is busy with another write").waitFor({ timeout: 20_000 });
      expect(db.prepare("SELECT count(*) AS n FROM judgments WHERE assignment_id = ?").get(first)).toEqual({ n: 0 });
    } finally {
      lock.exec("ROLLBACK");
      lock.close();
    }
    expect(JSON.parse((await storedJudgment(first)).payload)).toMatchObject({ task: "pairwise", preferred: "tie" });
    await page.getByText("The server is busy with another write").waitFor({ state: "detached" });
    expect(await page.getByRole("alert").count()).toBe(0);
  });
});

describe("saving while the connection is down", () => {
  it("keeps every unsaved judgment and saves them all with one retry", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "verdict-offline-")), "offline.jsonl");
    const rows = [1, 2, 3].map((i) => JSON.stringify({ id: `off${i}`, prompt: `Offline ${i}?`, responses: [{ model: "m1", text: `one ${i}` }, { model: "m2", text: `two ${i}` }] }));
    writeFileSync(file, rows.join("\n") + "\n");
    cli(["import", file, "--dataset", "offline"]);
    cli(["batches", "create", "--dataset", "offline", "--name", "Offline check", "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer2"]);
    await openBatch("Offline check");
    await page.route("**/review/*/judge", (route) => route.abort("internetdisconnected"));
    const first = (await currentId(page))!;
    await page.keyboard.press("4");
    await page.keyboard.press("Enter");
    await nextItemAfter(first);
    const second = (await currentId(page))!;
    await page.keyboard.press("4");
    await page.keyboard.press("Enter");
    const alert = page.getByRole("alert");
    await alert.getByText("2 of your changes were not saved: the connection to the server was lost.").waitFor();
    expect(db.prepare("SELECT count(*) AS n FROM judgments WHERE assignment_id IN (?, ?)").get(first, second)).toEqual({ n: 0 });

    await page.unroute("**/review/*/judge");
    await alert.getByRole("button", { name: "Try again" }).click();
    await storedJudgment(first);
    await storedJudgment(second);
    await alert.waitFor({ state: "detached" });
  });
});
