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
    for (const key of ["items", "judgments", "reviewers", "percent_agreement", "krippendorff_alpha", "fleiss_kappa", "fleiss_kappa_direction", "cohen_kappa", "kendall_w", "per_aspect", "intervals", "per_reviewer", "position_bias", "first_shown_top", "length_bias", "flags", "reasons"]) {
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
    expect((board as unknown as { method: string }).method).toBe("mle");
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

  it("explains every coefficient and how to read it, and every described column", async () => {
    const page = await browser.context.newPage();
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/stats`);
    await page.getByRole("heading", { name: "Statistics: “Demo: pairwise”" }).waitFor();
    const card = (label: string) => page.locator(`[data-figure-card="${label}"]`);
    const alphas = ["Krippendorff's α (direction)", "Krippendorff's α (nominal)", "Krippendorff's α (ordinal)", "Krippendorff's α (interval)"];
    const kappas = ["Fleiss' κ", "Fleiss' κ (direction)"];
    for (const label of [...alphas, ...kappas, "Percent agreement (with ties)", "Percent agreement (without ties)", "Position bias", "Chose the longer response"]) {
      await expect(card(label).locator(".figure-explanation").isVisible(), label).resolves.toBe(true);
      expect((await card(label).locator(".figure-explanation").textContent())!.length, label).toBeGreaterThan(20);
      await expect(card(label).locator(".figure-scale").isVisible(), label).resolves.toBe(true);
    }
    for (const label of alphas) {
      await expect(card(label).locator(".figure-scale").textContent()).resolves.toBe("Reading: α ≥ 0.800 reliable, 0.667–0.800 tentative, below unreliable (Krippendorff 2004)");
    }
    for (const label of kappas) await expect(card(label).locator(".figure-scale").textContent()).resolves.toContain("(Landis & Koch 1977)");
    // Each value carries its reading: the API's figure, read on the published scale.
    const stats = (await (await api(`/batches/${batchId}/stats`, "admin")).json()) as {
      krippendorff_alpha: { nominal: number };
      fleiss_kappa: number;
      fleiss_kappa_direction: number;
    };
    const alphaWord = stats.krippendorff_alpha.nominal >= 0.8 ? "reliable" : stats.krippendorff_alpha.nominal >= 0.667 ? "tentative" : "unreliable";
    await expect(card("Krippendorff's α (nominal)").locator(".figure-reading").textContent()).resolves.toBe(` ${alphaWord}`);
    await expect(page.locator('[data-figure="Fleiss\' κ (direction)"]').textContent()).resolves.toMatch(/^-?\d\.\d{3} (poor|slight|fair|moderate|substantial|almost perfect)$/);

    // Columns explain themselves: a header tooltip and the same words visibly under the table.
    const reviewers = page.getByRole("table", { name: "Reviewers" });
    const leftHeader = reviewers.locator("thead th", { hasText: "Left rate" });
    await expect(leftHeader.getAttribute("title")).resolves.toContain("shown on the left");
    const notes = page.getByLabel("Columns of Reviewers");
    await expect(notes.locator("dt", { hasText: /^Left rate$/ }).isVisible()).resolves.toBe(true);
    await expect(notes.locator("dd", { hasText: "shown on the left (first); 50% is no position bias" }).isVisible()).resolves.toBe(true);
    for (const column of ["Agrees with majority", "Median s", "Tie rate", "Flag rate", "Left p"]) {
      await expect(reviewers.locator("thead th", { hasText: column }).getAttribute("title"), column).resolves.toBeTruthy();
      await expect(notes.locator("dt", { hasText: column }).isVisible(), column).resolves.toBe(true);
    }
    await expect(page.getByLabel("Columns of Leaderboard").locator("dt", { hasText: "Ties" }).isVisible()).resolves.toBe(true);
    // The figures render the same on the server and in the browser: no hydration error.
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("shows rating batches per aspect and ranking batches' first-shown position bias", async () => {
    const rating = batchIdFor(server, "Demo: rating");
    await judgeAllViaApi(api, rating, "reviewer1", (assignment) => ({
      scores: Object.fromEntries(assignment.responses.map((r, i) => [r.id, { overall: 4 - i, helpfulness: 3, honesty: 5, harmlessness: 5 - i }])),
    }));
    const ranking = batchIdFor(server, "Demo: ranking");
    await judgeAllViaApi(api, ranking, "reviewer1", (assignment) => ({ tiers: assignment.responses.map((r) => [r.id]) }));
    const page = await browser.context.newPage();
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${rating}/stats`);
    await page.getByRole("heading", { name: "Statistics: “Demo: rating”" }).waitFor();
    const aspects = page.getByRole("table", { name: "Agreement per aspect" });
    await expect(aspects.locator("tbody th").allTextContents()).resolves.toEqual(["Overall", "Helpfulness", "Honesty", "Harmlessness"]);
    await expect(aspects.locator("tbody tr").first().locator("td").first().textContent()).resolves.toBe("1–5");
    // One reviewer per item: nothing to agree on, and the page says why.
    await expect(page.locator('[data-figure-card="Krippendorff\'s α (nominal)"] .figure-reason').textContent()).resolves.toBe("no unit has two or more values, so no value is pairable");
    await page.goto(`${server.url}/admin/batches/${ranking}/stats`);
    await page.getByRole("heading", { name: "Statistics: “Demo: ranking”" }).waitFor();
    // reviewer1 ranked the responses in the order shown: the first shown is always on top.
    await expect(page.locator('[data-figure="First shown on top"]').textContent()).resolves.toBe("100.0%");
    await expect(page.getByRole("table", { name: "Reviewers" }).locator("thead th", { hasText: "First on top" }).getAttribute("title")).resolves.toContain("shown first");
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it("draws the leaderboard chart in the table's order, best on top, and writes numbers one way", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/stats`);
    await page.getByRole("heading", { name: "Statistics: “Demo: pairwise”" }).waitFor();
    const table = page.getByRole("table", { name: "Leaderboard" });
    const tableOrder = (await table.locator("tbody tr").evaluateAll((rows) => rows.map((row) => row.querySelector("td")!.textContent))) as string[];
    expect(tableOrder).toEqual(["atlas-7b", "borealis-13b"]);
    // The chart's model labels, top to bottom by their boxes in the viewport.
    const ticks = page.locator('figure[aria-label="Leaderboard"] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value');
    await ticks.nth(1).waitFor();
    const labels = await ticks.evaluateAll((nodes) => nodes.map((node) => ({ text: node.textContent, top: node.getBoundingClientRect().top })));
    expect(labels.sort((a, b) => a.top - b.top).map((l) => l.text)).toEqual(tableOrder);
    await expect(page.locator("[data-fit-method]").textContent()).resolves.toContain("Fit: maximum likelihood");

    // One format per kind: ratings and their intervals with grouping and one decimal, win
    // rates and reviewer rates as percentages with one decimal, coefficients with three.
    const cells = await table.locator("tbody tr").first().locator("td").allTextContents();
    expect(cells[1]).toMatch(/^1,\d{3}\.\d$/); // atlas-7b rates above 1000
    expect(cells[2]).toMatch(/^\d{1,3}(,\d{3})*\.\d – \d{1,3}(,\d{3})*\.\d$/);
    // Battles, wins, ties, losses; the demo responses record no latency or tokens and have no price.
    expect(cells.slice(3)).toEqual(["16", "14", "0", "2", "—", "—", "—"]);
    const winRates = await page.getByRole("table", { name: "Win rates" }).locator("tbody td").allTextContents();
    expect(winRates.sort()).toEqual(["12.5%", "87.5%", "—", "—"]);
    // Cells are read by their column's header, so a new column cannot shift what is checked.
    const reviewersTable = page.getByRole("table", { name: "Reviewers" });
    const headers = (await reviewersTable.locator("thead th").allTextContents()).map((h) => h.trim());
    const reviewerCells = await reviewersTable.locator("tbody tr", { hasText: "reviewer2" }).locator("td").allTextContents();
    const reviewerCell = (header: string) => {
      const index = headers.findIndex((h) => h.startsWith(header));
      expect(index, `a "${header}" column in ${JSON.stringify(headers)}`).toBeGreaterThanOrEqual(0);
      return reviewerCells[index];
    };
    expect(reviewerCell("Judgments")).toBe("8");
    expect(reviewerCell("Median s")).toBe("3.0");
    expect(reviewerCell("Flag rate")).toBe("12.5%");
    expect(reviewerCell("Tie rate")).toBe("0.0%");
    expect(reviewerCell("Left rate")).toMatch(/^\d{1,3}\.\d%$/);
    expect(reviewerCell("Left p")).toMatch(/^(\d\.\d{3}|< 0\.001)$/);
    await expect(page.locator('[data-figure="Percent agreement (with ties)"]').textContent()).resolves.toBe("0.750");
    await expect(page.locator("[data-progress]").textContent()).resolves.toMatch(/^16 done · \d+ leased · \d+ left of 16$/);
    // A null figure says why: two reviewers per item leave no leave-one-out majority.
    await expect(page.getByRole("table", { name: "Reviewers" }).locator("tbody tr", { hasText: "reviewer2" }).locator("td span[title]").first().getAttribute("title")).resolves.toMatch(
      /two other reviewers/,
    );
    await page.close();
  });
});
