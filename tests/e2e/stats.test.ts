import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, cliFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let batchId = "";

const cli = (args: string[]) => cliFor(server, args);
let api: ReturnType<typeof apiClient>["api"];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1", "reviewer2", "admin"]));
  batchId = batchIdFor(server, "Demo: pairwise");
  // Both reviewers judge the 8 demo items through the API. They agree on 6 items (the model
  // "atlas-7b" wins, strength 2) and disagree on 2, and reviewer2 flags one response.
  for (const user of ["reviewer1", "reviewer2"]) {
    await judgeAllViaApi(api, batchId, user, (assignment, n) => {
      const atlas = assignment.responses.find((r) => r.external_id === "atlas-7b") ?? assignment.responses[0]!;
      const other = assignment.responses.find((r) => r.id !== atlas.id)!;
      const disagree = user === "reviewer2" && ["demo-003", "demo-005"].includes(assignment.prompt.external_id);
      return {
        preferred: disagree ? other.id : atlas.id,
        strength: 2,
        duration_ms: 3000,
        flags: user === "reviewer2" && n === 0 ? [{ response_id: other.id, flag: "incomplete" }] : [],
      };
    });
  }
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("statistics", () => {
  it("the CLI's JSON has every figure, as fractions or null, never NaN", () => {
    const stats = JSON.parse(cli(["stats", "--batch", batchId, "--json"])) as Record<string, unknown> & {
      items: number;
      judgments: number;
      reviewers: number;
      percent_agreement: { with_ties: number; without_ties: number };
      krippendorff_alpha: Record<string, number | null>;
      fleiss_kappa: number | null;
      cohen_kappa: unknown[];
      per_reviewer: Array<{ username: string; judgments: number; median_seconds: number; flag_rate: number; tie_rate: number }>;
      position_bias: { left_rate: number; p_value: number };
      flags: { by_flag: Record<string, number> };
    };
    for (const key of ["items", "judgments", "reviewers", "percent_agreement", "krippendorff_alpha", "fleiss_kappa", "cohen_kappa", "kendall_w", "intervals", "per_reviewer", "position_bias", "length_bias", "flags"]) {
      expect(stats).toHaveProperty(key);
    }
    expect([stats.items, stats.judgments, stats.reviewers]).toEqual([8, 16, 2]);
    expect(stats.percent_agreement.with_ties).toBe(0.75);
    expect(stats.percent_agreement.without_ties).toBe(0.75);
    expect(stats.fleiss_kappa).not.toBeNull();
    expect(stats.cohen_kappa).toHaveLength(0); // they share 8 items, fewer than 10
    expect(stats.per_reviewer.map((r) => [r.username, r.judgments, r.median_seconds, r.tie_rate])).toEqual([
      ["reviewer1", 8, 3, 0],
      ["reviewer2", 8, 3, 0],
    ]);
    expect(stats.per_reviewer[1]!.flag_rate).toBe(0.125);
    expect(stats.flags.by_flag).toEqual({ incomplete: 1 });
    expect(stats.position_bias.left_rate).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(stats)).not.toContain("NaN");
  });

  it("the leaderboard ranks the model that wins most, over the API and the CLI", async () => {
    const board = JSON.parse(cli(["leaderboard", "--batch", batchId, "--json"])) as { models: Array<{ model: string; rating: number; ci: [number, number]; battles: number; wins: number; losses: number }>; win_rates: Record<string, Record<string, number | null>> };
    expect(board.models[0]!.model).toBe("atlas-7b");
    expect(board.models[0]!.rating).toBeGreaterThan(1000);
    expect(board.models[0]).toMatchObject({ battles: 16, wins: 14, losses: 2 });
    expect(board.win_rates["atlas-7b"]!["borealis-13b"]).toBe(14 / 16);
    const mean = board.models.reduce((s, m) => s + m.rating, 0) / board.models.length;
    expect(Math.abs(mean - 1000)).toBeLessThan(0.2);
    const viaApi = await api(`/batches/${batchId}/leaderboard`, "admin");
    expect(viaApi.status).toBe(200);
    const stats = await api(`/batches/${batchId}/stats`, "admin");
    expect(stats.status).toBe(200);
    expect((await api(`/batches/${batchId}/stats`, "reviewer1")).status).toBe(403);
  });

  it("rates a dataset's models across its batches, over the API, the CLI and its own page", async () => {
    // A second batch of the demo dataset, judged by reviewer1 with the opposite preference on
    // every item: the dataset's leaderboard pools both batches' pairs.
    cli(["batches", "create", "--dataset", "demo", "--name", "Second opinion", "--task", "pairwise", "--overlap", "1", "--reviewers", "reviewer1"]);
    const second = batchIdFor(server, "Second opinion");
    await judgeAllViaApi(api, second, "reviewer1", (assignment) => ({
      preferred: assignment.responses.find((r) => r.external_id !== "atlas-7b")!.id,
      strength: 1,
    }));
    type Board = { models: Array<{ model: string; battles: number; wins: number; losses: number }>; win_rates: Record<string, Record<string, number | null>> };
    const viaCli = JSON.parse(cli(["leaderboard", "--dataset", "demo", "--json"])) as Board;
    const atlas = viaCli.models.find((m) => m.model === "atlas-7b")!;
    expect(atlas).toMatchObject({ battles: 24, wins: 14, losses: 10 });
    const response = await api("/datasets/demo/leaderboard", "admin");
    expect(response.status).toBe(200);
    const viaApi = (await response.json()) as Board;
    expect(viaApi.models).toEqual(viaCli.models);
    expect(viaApi.win_rates).toEqual(viaCli.win_rates);
    expect((await api("/datasets/demo/leaderboard", "reviewer1")).status).toBe(403);
    expect((await api("/datasets/nope/leaderboard", "admin")).status).toBe(404);

    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/datasets`);
    await page.getByRole("row", { name: /demo/ }).getByRole("link", { name: "Leaderboard" }).click();
    await page.getByRole("heading", { name: "Leaderboard: “demo”" }).waitFor();
    const table = page.getByRole("table", { name: "Leaderboard" });
    const rows = await table.locator("tbody tr").allTextContents();
    expect(rows.find((row) => row.startsWith("atlas-7b"))).toContain("24");
    expect(await page.locator('figure[aria-label="Leaderboard"] .recharts-errorBar').count()).toBe(2);
    await page.close();
  });

  it("shows the statistics page with sortable tables and charts", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/stats`);
    await page.getByRole("heading", { name: "Statistics: “Demo: pairwise”" }).waitFor();
    await expect(page.locator('[data-figure="Percent agreement (with ties)"]').textContent()).resolves.toBe("0.750");
    const table = page.getByRole("table", { name: "Leaderboard" });
    await expect(table.locator("tbody tr").first().locator("td").first().textContent()).resolves.toBe("atlas-7b");
    await table.getByRole("button", { name: "Rating" }).click();
    await expect(table.locator("thead th").nth(1).getAttribute("aria-sort")).resolves.toBe("ascending");
    await expect(table.locator("tbody tr").first().locator("td").first().textContent()).resolves.toBe("borealis-13b");
    await page.getByLabel("Filter Reviewers").fill("reviewer2");
    await expect(page.getByRole("table", { name: "Reviewers" }).locator("tbody tr").count()).resolves.toBe(1);
    expect(await page.locator("figure.chart svg").count()).toBeGreaterThanOrEqual(3);
    // Two reviewers per item: no leave-one-out majority, so the scatter says why it is empty.
    await page.getByText("No reviewer has an agreement with the majority yet").waitFor();
    // The leaderboard chart draws one interval per model, on a rating axis around 1000.
    const board = page.locator('figure[aria-label="Leaderboard"]');
    expect(await board.locator(".recharts-errorBar").count()).toBe(2);
    expect(await board.locator(".recharts-reference-line").count()).toBe(1);
    await page.close();
  });
});
