import { readFileSync } from "node:fs";
import type { BrowserContext } from "playwright-core";
import { parse } from "csv-parse/sync";
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
  for (const user of ["reviewer1", "reviewer2"]) {
    await judgeAllViaApi(api, batchId, user, (assignment) => ({ preferred: assignment.responses[0]!.id, strength: 2 }));
  }
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe("export file formats", () => {
  it("the API serves CSV as text/csv and Parquet as application/vnd.apache.parquet; a bad file format is a 400 on its field", async () => {
    const csv = await api(`/batches/${batchId}/export?format=hh-rlhf&consensus=all&file_format=csv`, "admin");
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe('attachment; filename="demo-pairwise.hh-rlhf.csv"');
    const records = parse(await csv.text(), { columns: true }) as Array<{ chosen: string; rejected: string }>;
    expect(records).toHaveLength(16);
    const parquet = await api(`/batches/${batchId}/export?format=hh-rlhf&file_format=parquet`, "admin");
    expect(parquet.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    const bytes = Buffer.from(await parquet.arrayBuffer());
    expect([bytes.subarray(0, 4).toString("latin1"), bytes.subarray(-4).toString("latin1")]).toEqual(["PAR1", "PAR1"]);
    const bad = await api(`/batches/${batchId}/export?format=hh-rlhf&file_format=xlsx`, "admin");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { fields: Record<string, string> } } }).error.details.fields).toHaveProperty("file_format");
  });

  it("the export page's file format select makes the download a CSV file", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/export`);
    await page.getByRole("radio", { name: /^trl-preference-chat/ }).check();
    await page.getByLabel("File format").selectOption("csv");
    await page.getByRole("button", { name: "Preview" }).click();
    const link = page.getByRole("link", { name: "Download CSV" });
    await link.waitFor();
    expect(new URLSearchParams((await link.getAttribute("href"))!.split("?")[1]).get("file_format")).toBe("csv");
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    expect(download.suggestedFilename()).toBe("demo-pairwise.trl-preference-chat.csv");
    const records = parse(readFileSync((await download.path())!, "utf8"), { columns: true }) as Array<{ prompt: string; chosen: string }>;
    expect(records.length).toBeGreaterThan(0);
    expect((JSON.parse(records[0]!.chosen) as Array<{ role: string }>)[0]!.role).toBe("assistant");
    await page.close();
  });
});
