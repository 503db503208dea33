import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, cliFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let batchId = "";

let api: ReturnType<typeof apiClient>["api"];
const FLAGGED_PROMPTS = ["demo-001", "demo-002"];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1", "reviewer2", "admin"]));
  batchId = batchIdFor(server, "Demo: pairwise");
  // Both reviewers judge every item through the API and agree: the response whose dataset id sorts first wins.
  // reviewer1 also flags the winner of the first two prompts as a hallucination.
  for (const user of ["reviewer1", "reviewer2"]) {
    await judgeAllViaApi(api, batchId, user, (assignment) => {
      const preferred = [...assignment.responses].sort((a, b) => a.external_id.localeCompare(b.external_id))[0]!.id;
      const flagged = user === "reviewer1" && FLAGGED_PROMPTS.includes(assignment.prompt.external_id);
      return { preferred, strength: 2, ...(flagged ? { flags: [{ response_id: preferred, flag: "hallucination" }] } : {}) };
    });
  }
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * The preview caption once the page shows the preview of options matching `query`. The URL
 * changes before React renders the new data, so this waits for the download link, which is
 * rendered from the same loader data as the caption.
 */
async function captionFor(page: Page, query: RegExp): Promise<string | null> {
  await page.waitForFunction((source) => new RegExp(source).test(document.querySelector("a[download]")?.getAttribute("href") ?? ""), query.source);
  return page.getByTestId("export-preview-caption").textContent();
}

describe("exports", () => {
  it("streams over the API with a file name, for admins only", async () => {
    const res = await api(`/batches/${batchId}/export?format=trl-preference-chat&consensus=all`, "admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="demo-pairwise.trl-preference-chat.jsonl"');
    // A proxy in front is told not to read the export ahead of the client (README, Security).
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    const rows = (await res.text()).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(rows).toHaveLength(16);
    expect(Object.keys(rows[0]!).sort()).toEqual(["chosen", "prompt", "rejected"]);
    expect((await api(`/batches/${batchId}/export?format=trl-preference`, "reviewer1")).status).toBe(403);
    const bad = await api(`/batches/${batchId}/export?format=parquet`, "admin");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { fields: Record<string, string> } } }).error.details.fields).toHaveProperty("format");
    expect((await api(`/batches/nope/export?format=trl-preference`, "admin")).status).toBe(404);
  });

  it("previews rows and their count in the browser, and downloads the file it recorded", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches`);
    await page.locator('tr[data-batch="Demo: pairwise"]').getByRole("link", { name: "Export" }).click();
    await page.getByRole("heading", { name: "Export “Demo: pairwise”" }).waitFor();
    await page.getByRole("radio", { name: /^hh-rlhf/ }).check();
    await page.locator('select[name="consensus"]').selectOption("majority");
    await page.getByRole("button", { name: "Preview" }).click();
    await expect(captionFor(page, /format=hh-rlhf/)).resolves.toBe("first 3 of 8 rows");
    expect(await page.locator(".export-preview li").count()).toBe(3);

    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download JSONL" }).click()]);
    expect(download.suggestedFilename()).toBe("demo-pairwise.hh-rlhf.jsonl");
    const file = readFileSync((await download.path())!);
    const lines = file.toString("utf8").trim().split("\n");
    expect(lines).toHaveLength(8);
    expect(lines.every((l) => (JSON.parse(l) as { chosen: string }).chosen.startsWith("\n\nHuman: "))).toBe(true);
    const db = new Database(server.dbPath, { readonly: true });
    const recorded = db.prepare("SELECT row_count, sha256 FROM exports WHERE format = 'hh-rlhf' ORDER BY created_at DESC LIMIT 1").get() as { row_count: number; sha256: string };
    db.close();
    expect(recorded).toEqual({ row_count: 8, sha256: createHash("sha256").update(file).digest("hex") });
    await page.reload();
    await page.getByRole("table", { name: "Earlier exports" }).waitFor();
    await page.close();
  });
  it("describes every format by what reads it", async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => void (message.type() === "error" && errors.push(message.text())));
    page.on("pageerror", (error) => errors.push(error.message));
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/export`);
    const formats = page.getByRole("group", { name: "Format" });
    const expected: Array<[string, string]> = [
      ["trl-preference", "TRL DPOTrainer (and other preference trainers)"],
      ["trl-preference-chat", "TRL DPOTrainer (and other preference trainers), conversational"],
      ["trl-reward", "TRL RewardTrainer"],
      ["trl-kto", "TRL KTOTrainer"],
      ["trl-kto-chat", "TRL KTOTrainer, conversational"],
      ["trl-sft", "TRL SFTTrainer (prompt-completion)"],
      ["trl-sft-chat", "TRL SFTTrainer (prompt-completion), conversational"],
      ["prompts", "TRL GRPO, RLOO and online DPO (prompt-only)"],
      ["openai-dpo", "OpenAI preference fine-tuning (DPO)"],
      ["hh-rlhf", "Anthropic HH-RLHF format"],
      ["rankings", "Raw, for analysis"],
      ["judgments", "Raw, for analysis"],
    ];
    expect(await formats.getByRole("radio").count()).toBe(expected.length);
    for (const [format, consumer] of expected) {
      const option = formats.locator("label", { has: page.locator(`input[value="${format}"]`) });
      await expect(option.locator(".format-description").isVisible()).resolves.toBe(true);
      await expect(option.locator(".format-description").textContent()).resolves.toMatch(new RegExp(`^${consumer.replace(/[()]/g, "\\$&")}`));
    }
    // The default format is checked.
    await expect(page.getByRole("radio", { name: /^trl-preference-chat/ }).isChecked()).resolves.toBe(true);
    // The page hydrates without complaint.
    await page.waitForFunction(() => "__remixRouter" in window);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("excludes pairs whose chosen response has a ticked flag", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/export?consensus=all`);
    const caption = page.getByTestId("export-preview-caption");
    await expect(caption.textContent()).resolves.toBe("first 3 of 16 rows");
    const flags = page.getByRole("group", { name: "Leave out pairs whose chosen response a reviewer flagged as" });
    expect(await flags.getByRole("checkbox").evaluateAll((boxes) => boxes.map((b) => (b as HTMLInputElement).value))).toEqual([
      "hallucination",
      "unsafe",
      "refusal",
      "incomplete",
      "off_topic",
      "pii",
    ]);
    // A flag nobody used changes nothing.
    await flags.getByRole("checkbox", { name: "unsafe" }).check();
    await page.getByRole("button", { name: "Preview" }).click();
    await expect(captionFor(page, /exclude_flags=unsafe(&|$)/)).resolves.toBe("first 3 of 16 rows");
    // Two prompts' winners are flagged hallucination: both reviewers' pairs on them go.
    await flags.getByRole("checkbox", { name: "hallucination" }).check();
    await page.getByRole("button", { name: "Preview" }).click();
    await expect(captionFor(page, /exclude_flags=hallucination%2Cunsafe(&|$)/)).resolves.toBe("first 3 of 12 rows");
    expect(await flags.getByRole("checkbox", { checked: true }).count()).toBe(2);
    // The download carries the same exclusion.
    const href = await page.getByRole("link", { name: "Download JSONL" }).getAttribute("href");
    expect(new URLSearchParams(href!.split("?")[1]).get("exclude_flags")).toBe("hallucination,unsafe");
    const body = await (await api(`/batches/${batchId}/export?${href!.split("?")[1]}`, "admin")).text();
    expect(body.trim().split("\n")).toHaveLength(12);
    await page.close();
  });

  it("says the preview shows the first 3 of N rows, N grouped by thousands", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-export-e2e-"));
    const file = join(dir, "big.jsonl");
    writeFileSync(
      file,
      Array.from({ length: 1200 }, (_, i) => JSON.stringify({ prompt: `Question ${i}?`, chosen: `Good answer ${i}.`, rejected: `Bad answer ${i}.` })).join("\n"),
    );
    cliFor(server, ["import", file, "--dataset", "big-trl"]);
    rmSync(dir, { recursive: true, force: true });
    const big = (JSON.parse(cliFor(server, ["batches", "create", "--dataset", "big-trl", "--name", "Big", "--task", "pairwise", "--reviewers", "reviewer1", "--json"])) as { id: string }).id;
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${big}/export?source=imported&format=trl-preference`);
    const caption = page.getByTestId("export-preview-caption");
    await expect(caption.textContent()).resolves.toBe("first 3 of 1,200 rows");
    await expect(page.getByRole("heading", { level: 2, name: /^Preview:/ }).textContent()).resolves.toBe("Preview: first 3 of 1,200 rows");
    expect(await page.locator(".export-preview li").count()).toBe(3);
    await page.getByRole("radio", { name: /^trl-kto TRL/ }).check();
    await page.getByRole("button", { name: "Preview" }).click();
    await expect(captionFor(page, /format=trl-kto/)).resolves.toBe("first 3 of 2,400 rows");
    await page.close();
  });

  it("adds the texts and the skipped items to the judgments export from the page, and refuses skips elsewhere", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/export?format=judgments&ties=keep`);
    await page.getByRole("checkbox", { name: "Prompt and response texts (judgments)" }).check();
    await page.getByRole("checkbox", { name: "Skipped items (judgments)" }).check();
    await page.getByRole("button", { name: "Preview" }).click();
    await captionFor(page, /with_text=1&include_skipped=1/);
    const first = JSON.parse((await page.locator(".export-preview li pre").first().textContent())!) as { prompt: unknown[]; responses: Array<{ id: string; text: string }>; skipped: boolean };
    expect(first.prompt.length).toBeGreaterThan(0);
    expect(first.responses.every((r) => typeof r.text === "string" && r.text.length > 0)).toBe(true);
    expect(first.skipped).toBe(false);
    // The download carries both options; the prompt id and response ids are the demo dataset's own.
    const href = await page.getByRole("link", { name: "Download JSONL" }).getAttribute("href");
    const rows = (await (await api(`/batches/${batchId}/export?${href!.split("?")[1]}`, "admin")).text()).trim().split("\n").map((l) => JSON.parse(l) as { prompt_id: string });
    expect(rows.every((r) => /^demo-\d+$/.test(r.prompt_id))).toBe(true);
    // A pair format has no row for a skipped item: the page says so instead of a preview.
    await page.getByRole("radio", { name: /^trl-preference-chat/ }).check();
    await page.getByRole("button", { name: "Preview" }).click();
    await page.waitForURL(/format=trl-preference-chat/);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("trl-preference-chat has no row for a skipped item");
    const refused = await api(`/batches/${batchId}/export?format=hh-rlhf&include_skipped=1`, "admin");
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { details: { fields: Record<string, string> } } }).error.details.fields.include_skipped).toBe("hh-rlhf cannot carry skipped items (only judgments can)");
    await page.close();
  });

  it("sets the training rows' options on the page: ids, minimum strength, unsolved prompts, and says what it left out", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/export?format=trl-kto-chat`);
    const training = page.getByRole("group", { name: "Training rows" });
    await training.getByRole("checkbox", { name: "Add ids (prompt, models, reviewers, batch)" }).check();
    await training.getByLabel("Minimum strength").selectOption("2");
    await page.getByRole("button", { name: "Preview" }).click();
    await captionFor(page, /format=trl-kto-chat.*min_strength=2.*with_ids=1/);
    const first = JSON.parse((await page.locator(".export-preview li pre").first().textContent())!) as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(["batch_id", "chosen_model", "completion", "label", "prompt", "prompt_id", "rejected_model", "reviewers", "strength"]);
    expect(first.batch_id).toBe(batchId);
    expect(first.prompt_id).toMatch(/^demo-\d+$/);
    // The download carries the same options.
    const href = await page.getByRole("link", { name: "Download JSONL" }).getAttribute("href");
    const rows = (await (await api(`/batches/${batchId}/export?${href!.split("?")[1]}`, "admin")).text()).trim().split("\n").map((l) => JSON.parse(l) as { prompt_id: string });
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.prompt_id).not.toBe(rows[i - 1]!.prompt_id);
    // Unsolved prompts only apply to the prompts format: the page says so.
    await training.getByRole("checkbox", { name: "Only unsolved prompts (prompts)" }).check();
    await page.getByRole("button", { name: "Preview" }).click();
    await page.waitForURL(/only_unsolved=1/);
    await expect(page.getByRole("alert").textContent()).resolves.toContain("only the prompts format picks prompts by outcome");
    await page.close();
  });

  it("counts the rows a trainer would fail on beside the preview", async () => {
    const dir = mkdtempSync(join(tmpdir(), "verdict-export-e2e-"));
    const file = join(dir, "broken.jsonl");
    writeFileSync(
      file,
      [
        { id: "fine", messages: [{ role: "user", content: "Hi?" }] },
        { id: "system-only", messages: [{ role: "system", content: "Be kind." }] },
        { id: "two-users", messages: [{ role: "user", content: "Hi?" }, { role: "user", content: "Hello?" }] },
      ]
        .map((p) => JSON.stringify({ ...p, responses: [{ id: "a", model: "m-a", text: "A" }, { id: "b", model: "m-b", text: "B" }] }))
        .join("\n"),
    );
    cliFor(server, ["import", file, "--dataset", "broken"]);
    rmSync(dir, { recursive: true, force: true });
    const broken = (JSON.parse(cliFor(server, ["batches", "create", "--dataset", "broken", "--name", "Broken", "--task", "pairwise", "--reviewers", "reviewer1", "--json"])) as { id: string }).id;
    await judgeAllViaApi(api, broken, "reviewer1", (assignment) => ({ preferred: assignment.responses[0]!.id, strength: 1 }));
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${broken}/export?format=trl-preference-chat`);
    await expect(page.getByTestId("export-preview-caption").textContent()).resolves.toBe("all 1 row");
    await expect(page.getByTestId("export-invalid").textContent()).resolves.toBe(
      "Left out, because a trainer would fail on them: 1 with a prompt of only a system message, 1 with two turns of one role in a row.",
    );
    await page.getByRole("group", { name: "Training rows" }).getByRole("checkbox", { name: "Keep rows a trainer would fail on" }).check();
    await page.getByRole("button", { name: "Preview" }).click();
    await expect(captionFor(page, /keep_invalid=1/)).resolves.toBe("all 3 rows");
    await expect(page.getByTestId("export-invalid").textContent()).resolves.toMatch(/^Kept, though a trainer would fail on them/);
    await page.close();
  });
});
