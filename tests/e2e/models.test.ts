import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, cliFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let api: ReturnType<typeof apiClient>["api"];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1", "admin"]));
  // Two sampled-looking models with token usage and latency: "small" cheap and worse, "large" better and costly.
  const dir = mkdtempSync(join(tmpdir(), "verdict-models-e2e-"));
  const file = join(dir, "priced.jsonl");
  writeFileSync(
    file,
    Array.from({ length: 4 }, (_, i) =>
      JSON.stringify({
        id: `p${i}`,
        prompt: `Question ${i}?`,
        responses: [
          { id: "small", model: "small", text: `Short ${i}.`, metadata: { usage: { prompt_tokens: 100, completion_tokens: 40 }, latency_ms: 150 } },
          { id: "large", model: "large", text: `A longer answer ${i}.`, metadata: { usage: { prompt_tokens: 100, completion_tokens: 400 }, latency_ms: 900 } },
        ],
      }),
    ).join("\n"),
  );
  cliFor(server, ["import", file, "--dataset", "priced"]);
  rmSync(dir, { recursive: true, force: true });
  const batch = (JSON.parse(cliFor(server, ["batches", "create", "--dataset", "priced", "--name", "Priced", "--task", "pairwise", "--reviewers", "reviewer1", "--json"])) as { id: string }).id;
  await judgeAllViaApi(api, batch, "reviewer1", (assignment, n) => ({ preferred: assignment.responses.find((r) => r.external_id === (n === 0 ? "small" : "large"))!.id, strength: 2 }));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("models and their cost", () => {
  it("prices set on the models page show on the leaderboard as USD per 1,000 responses, with the frontier drawn", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/models`);
    for (const [model, input, output] of [["small", "0.1", "0.4"], ["large", "3", "15"]] as const) {
      const form = page.getByRole("form", { name: `Price of ${model}` });
      await form.getByLabel(`Input USD per million tokens for ${model}`).fill(input);
      await form.getByLabel(`Output USD per million tokens for ${model}`).fill(output);
      await form.getByRole("button", { name: "Save" }).click();
      await page.waitForURL(new RegExp(`saved=${model}`));
      // The second save's page still shows the first one's status until Remix renders the new loader data.
      await expect.poll(() => page.getByRole("status").textContent()).toBe(`Saved the price of ${model}.`);
    }
    // A refused price says why, beside the model.
    const form = page.getByRole("form", { name: "Price of a new model" });
    await form.getByLabel("Model").fill("huge");
    await form.getByLabel("Input").fill("20000");
    await form.getByLabel("Output").fill("1");
    await form.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toContain("huge: ");
    await expect(page.getByRole("alert").textContent()).resolves.toContain("check the unit");

    await page.goto(`${server.url}/admin/datasets/priced/leaderboard`);
    const table = page.getByRole("table", { name: "Leaderboard" });
    await table.waitFor();
    const rows = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td, th")].map((c) => c.textContent?.trim())));
    const large = rows.find((r) => r[0] === "large")!;
    const small = rows.find((r) => r[0] === "small")!;
    // large: 1000 × (100 × 3 + 400 × 15) / 1e6 = $6.30; small: 1000 × (100 × 0.1 + 40 × 0.4) / 1e6 = $0.026.
    expect(large.slice(-3)).toEqual(["900", "400", "$6.3 ◆"]);
    expect(small.slice(-3)).toEqual(["150", "40", "$0.026 ◆"]);
    await expect(page.getByTestId("cost-frontier").textContent()).resolves.toBe("small, large");
    expect(await page.getByRole("figure", { name: "Rating against cost" }).locator("svg").count()).toBe(1);
    await page.close();
  });

  it("the API's leaderboard carries the same figures", async () => {
    const res = await api("/datasets/priced/leaderboard", "admin");
    const board = (await res.json()) as { models: Array<{ model: string; usd_per_1k_responses: number | null; mean_latency_ms: number | null; on_cost_frontier: boolean }> };
    expect(board.models.map((m) => [m.model, m.usd_per_1k_responses, m.mean_latency_ms, m.on_cost_frontier])).toEqual([
      ["large", 6.3, 900, true],
      ["small", 0.026, 150, true],
    ]);
  });
});
