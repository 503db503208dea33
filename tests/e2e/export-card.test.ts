import { createHash } from "node:crypto";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiClient, batchIdFor, cliFor, judgeAllViaApi, launchBrowser, signIn, startServer, type RunningServer } from "./harness";

let server: RunningServer;
let browser: { context: BrowserContext; close: () => Promise<void> };
let batchId = "";
let api: ReturnType<typeof apiClient>["api"];

beforeAll(async () => {
  server = await startServer();
  browser = await launchBrowser();
  ({ api } = apiClient(server, ["reviewer1", "admin"]));
  batchId = batchIdFor(server, "Demo: pairwise");
  await judgeAllViaApi(api, batchId, "reviewer1", (assignment) => ({ preferred: assignment.responses[0]!.id, strength: 2 }));
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

/** The YAML header of a card. */
const header = (card: string) => card.split("---\n")[1]!;
type Fields = { error: { code: string; details: { fields: Record<string, string> } } };

describe("dataset cards", () => {
  it("come from the API as Markdown, with the rows and sha256 of the same export, for admins only", async () => {
    const res = await api(`/batches/${batchId}/export/card?format=trl-preference&license=cc-by-4.0`, "admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    const card = await res.text();
    // The demo dataset has no import licence, so without license= the card would say unknown.
    expect(header(card)).toMatch(/^license: cc-by-4\.0$/m);
    expect(header(card)).toContain("    path: demo-pairwise.trl-preference.jsonl\n");
    const data = Buffer.from(await (await api(`/batches/${batchId}/export?format=trl-preference`, "admin")).arrayBuffer());
    expect(card).toContain(`| sha256 | \`${createHash("sha256").update(data).digest("hex")}\` |`);
    expect(card).toContain(`| rows | ${data.toString("utf8").trim().split("\n").length} |`);
    const unknown = await (await api(`/batches/${batchId}/export/card?format=trl-preference`, "admin")).text();
    expect(header(unknown)).toMatch(/^license: unknown$/m);

    expect((await api(`/batches/${batchId}/export/card?format=trl-preference`, "reviewer1")).status).toBe(403);
    const other = await api(`/batches/${batchId}/export/card?format=trl-preference&license=other`, "admin");
    expect(other.status).toBe(400);
    expect(Object.keys(((await other.json()) as Fields).error.details.fields).sort()).toEqual(["license_link", "license_name"]);
    const typo = await api(`/batches/${batchId}/export/card?format=trl-preference&license=MIT`, "admin");
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as Fields).error.details.fields.license).toContain("did you mean mit");
    const badFormat = await api(`/batches/${batchId}/export/card?format=csv`, "admin");
    expect(((await badFormat.json()) as Fields).error.details.fields).toHaveProperty("format");
    expect((await api(`/batches/nope/export/card?format=trl-preference`, "admin")).status).toBe(404);
  });

  it("take the licence given on the upload form by default", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/datasets`);
    const file = [0, 1].map((i) => JSON.stringify({ prompt: `Q${i}?`, chosen: `Good ${i}.`, rejected: `Bad ${i}.` })).join("\n");
    await page.getByLabel("File (.jsonl, .csv, optionally .gz)").setInputFiles({ name: "licensed.jsonl", mimeType: "application/jsonl", buffer: Buffer.from(file) });
    await page.getByLabel("Licence").selectOption("odc-by");
    await page.getByRole("button", { name: "Import" }).click();
    await page.getByText("Imported 2 prompts, 4 responses and 2 pairs into “licensed” (trl).").waitFor();
    await expect(page.locator('tr[data-dataset="licensed"] [data-col="license"]').textContent()).resolves.toBe("odc-by");
    await page.close();
    const licensed = (JSON.parse(cliFor(server, ["batches", "create", "--dataset", "licensed", "--name", "Licensed", "--task", "pairwise", "--reviewers", "reviewer1", "--json"])) as { id: string }).id;
    const card = await (await api(`/batches/${licensed}/export/card?format=trl-preference&source=imported`, "admin")).text();
    expect(header(card)).toMatch(/^license: odc-by$/m);
    expect(card).toContain("| rows | 2 |");
  });

  it("open from the export page's link with the licence chosen there", async () => {
    const page = await browser.context.newPage();
    await signIn(page, server.url, "admin", server.credentials.admin!);
    await page.goto(`${server.url}/admin/batches/${batchId}/export`);
    const card = page.getByRole("group", { name: "Dataset card" });
    await expect(card.getByRole("combobox").inputValue()).resolves.toBe("");
    // `other` without its name and link: the page says what is missing and offers no card.
    await card.getByRole("combobox").selectOption("other");
    await page.getByRole("button", { name: "Preview" }).click();
    await expect(page.getByTestId("card-error").textContent()).resolves.toContain("license_name: required with license other");
    expect(await page.getByRole("link", { name: "Dataset card" }).count()).toBe(0);

    await card.getByLabel("Licence name (for other)").fill("acme-data-1.0");
    await card.getByLabel("Licence link (for other)").fill("https://example.org/acme");
    await page.getByRole("radio", { name: /^hh-rlhf/ }).check();
    await page.getByRole("button", { name: "Preview" }).click();
    const link = page.getByRole("link", { name: "Dataset card" });
    await link.waitFor();
    // The download does not carry the card's options; the card link carries both.
    const download = new URLSearchParams((await page.getByRole("link", { name: "Download JSONL" }).getAttribute("href"))!.split("?")[1]);
    expect(download.get("license")).toBeNull();
    const [tab] = await Promise.all([browser.context.waitForEvent("page"), link.click()]);
    await tab.waitForLoadState();
    const text = (await tab.locator("body").innerText()).replace(/\r/g, "");
    expect(header(text)).toContain('license: other\nlicense_name: acme-data-1.0\nlicense_link: "https://example.org/acme"\n');
    expect(header(text)).toContain("    path: demo-pairwise.hh-rlhf.jsonl\n");
    expect(text).toContain("| `format` | `\"hh-rlhf\"` |");
    await tab.close();
    await page.close();
  });
});
