import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let batchId = "";

let api: ReturnType<typeof apiClient>["api"];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1", "reviewer2", "admin"]));
  batchId = batchIdFor(server, "Demo: pairwise");
  // Both reviewers judge every item through the API and agree: the response whose dataset id sorts first wins.
  for (const user of ["reviewer1", "reviewer2"]) {
    await judgeAllViaApi(api, batchId, user, (assignment) => ({
      preferred: [...assignment.responses].sort((a, b) => a.external_id.localeCompare(b.external_id))[0]!.id,
      strength: 2,
    }));
  }
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("exports", () => {
  it("streams over the API with a file name, for admins only", async () => {
    const res = await api(`/batches/${batchId}/export?format=trl-preference-chat&consensus=all`, "admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="demo-pairwise.trl-preference-chat.jsonl"');
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
    await page.getByLabel("Format").selectOption("hh-rlhf");
    await page.getByLabel("Consensus").selectOption("majority");
    await page.getByRole("button", { name: "Preview" }).click();
    await page.waitForURL(/format=hh-rlhf/);
    await expect(page.getByTestId("export-total").textContent()).resolves.toBe("8");
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
});
