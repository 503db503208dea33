import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { parseCardOptions, streamExport } = await import("~/services/exports.server");
const { exportCardFor } = await import("~/services/export-files.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;
const cli = (args: string[]) => runCli(args, { env: { VERDICT_DB: dbPath } });

/** The card's YAML header as `key: raw value` lines. */
const header = (card: string) => card.split("---\n")[1]!;
const licenseOf = (datasetName: string) => (sqlite().prepare("SELECT license FROM datasets WHERE name = ?").get(datasetName) as { license: string | null }).license;
const exportCount = () => (sqlite().prepare("SELECT count(*) AS n FROM exports").get() as { n: number }).n;

function writeDataset(name: string, prompts: number): string {
  const path = join(dir, `${name}.jsonl`);
  const lines = Array.from({ length: prompts }, (_, i) =>
    JSON.stringify({ id: `${name}-${i}`, messages: [{ role: "user", content: `Q${i}?` }], responses: [{ id: "a", model: "alpha", text: `A${i}` }, { id: "b", model: "beta", text: `B${i}` }] }),
  );
  writeFileSync(path, lines.join("\n"));
  return path;
}

let mitBatch = "";
let plainBatch = "";

beforeAll(async () => {
  sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES ('id-ann', 'ann', 'ann', 'reviewer', 'x', 0)").run();
  await importFile(writeDataset("licensed", 3), { dataset: "licensed", license: "mit" });
  await importFile(writeDataset("plain", 2), { dataset: "plain" });
  mitBatch = createBatch({ dataset: "licensed", name: "Licensed", task: "pairwise", overlap: 1, reviewers: ["ann"] }).id;
  plainBatch = createBatch({ dataset: "plain", name: "Plain", task: "pairwise", overlap: 1, reviewers: ["ann"] }).id;
  for (const batch of [mitBatch, plainBatch]) {
    for (let n = 0; ; n++) {
      const a = nextAssignment(batch, "id-ann");
      if (!a) break;
      submitJudgment(a.id, "id-ann", { client_id: `${batch}-${n}`, preferred: a.responses[0]!.id, strength: 2 });
    }
  }
});

describe("the import licence", () => {
  it("is kept on the dataset, and a re-import without --license keeps it", async () => {
    expect(licenseOf("licensed")).toBe("mit");
    expect(licenseOf("plain")).toBeNull();
    // Adding prompts to the dataset without a licence leaves the licence alone …
    const more = join(dir, "licensed-more.jsonl");
    writeFileSync(more, JSON.stringify({ id: "licensed-extra", messages: [{ role: "user", content: "Extra?" }], responses: [{ id: "a", model: "alpha", text: "x" }] }));
    await importFile(more, { dataset: "licensed" });
    expect(licenseOf("licensed")).toBe("mit");
    // … and one with a licence changes it (here back to mit, through the CLI).
    const upsert = await cli(["import", more, "--dataset", "licensed", "--upsert", "--license", "apache-2.0", "--json"]);
    expect(upsert.status, upsert.stderr).toBe(0);
    expect(licenseOf("licensed")).toBe("apache-2.0");
    expect((await cli(["import", more, "--dataset", "licensed", "--upsert", "--license", "mit"])).status).toBe(0);
    expect(licenseOf("licensed")).toBe("mit");
  });

  it("refuses an unlisted id and other, importing nothing", async () => {
    const path = writeDataset("refused", 1);
    const typo = await cli(["import", path, "--dataset", "refused", "--license", "MIT"]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('license: "MIT" is not a Hugging Face licence identifier; did you mean mit');
    const other = await cli(["import", path, "--dataset", "refused", "--license", "other", "--json"]);
    expect(other.status).toBe(1);
    expect(other.stderr).toContain("other cannot be a dataset's licence");
    expect(sqlite().prepare("SELECT count(*) AS n FROM datasets WHERE name = 'refused'").get()).toEqual({ n: 0 });
    await expect(importFile(path, { dataset: "refused", license: "cc-by-4" })).rejects.toMatchObject({ code: "invalid", details: { fields: { license: expect.stringContaining("cc-by-4.0") } } });
  });
});

describe("card options", () => {
  it("default to the dataset's import licence, else unknown", () => {
    expect(parseCardOptions(mitBatch, {})).toEqual({ license: "mit" });
    expect(parseCardOptions(plainBatch, {})).toEqual({ license: "unknown" });
    expect(parseCardOptions(plainBatch, { license: "cc-by-4.0", format: "trl-preference" })).toEqual({ license: "cc-by-4.0" });
    expect(parseCardOptions(mitBatch, { license: "other", license_name: "acme-1.0", license_link: "LICENSE.md" })).toEqual({
      license: "other",
      license_name: "acme-1.0",
      license_link: "LICENSE.md",
    });
  });

  it("are refused with a message per field", () => {
    expect(errorOf(() => parseCardOptions(mitBatch, { license: "other" })).details).toEqual({
      fields: { license_name: expect.stringContaining("required"), license_link: expect.stringContaining("required") },
    });
    expect(errorOf(() => parseCardOptions(mitBatch, { license_name: "acme" })).details).toEqual({ fields: { license_name: "only used with license other (given no license)" } });
    expect(errorOf(() => parseCardOptions("nope", {})).code).toBe("not_found");
  });

  it("give the card of the export the same options download, without recording an export", async () => {
    const before = exportCount();
    const { card, fileName } = await exportCardFor(mitBatch, { format: "trl-preference", consensus: "all" });
    expect(exportCount()).toBe(before);
    expect(fileName).toBe("licensed.trl-preference.jsonl.README.md");
    const parts: Buffer[] = [];
    let result: { rows: number; sha256: string } | null = null;
    for await (const chunk of streamExport(mitBatch, { format: "trl-preference", consensus: "all" }, { onDone: (r) => (result = r) })) parts.push(Buffer.from(chunk));
    const bytes = Buffer.concat(parts);
    const done = result as { rows: number; sha256: string } | null;
    expect(done!.rows).toBe(3);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(done!.sha256);
    expect(card).toContain(`| sha256 | \`${done!.sha256}\` |`);
    expect(card).toContain("| rows | 3 |");
    expect(header(card)).toMatch(/^license: mit$/m);
    expect(header(card)).toContain("    path: licensed.trl-preference.jsonl\n");
    // Licence options never change the export's bytes or its recorded options.
    expect(card).not.toContain("`license`");
  });
});

describe("export --card in the CLI", () => {
  it("writes FILE.README.md beside each file, so two exports in one folder keep their own card", async () => {
    const folder = join(dir, "hub");
    mkdirSync(folder);
    const first = await cli(["export", "--batch", mitBatch, "--format", "trl-preference", "--out", join(folder, "pref.jsonl"), "--card", "--json"]);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ file: join(folder, "pref.jsonl"), card: join(folder, "pref.jsonl.README.md") });
    const second = await cli([
      "export", "--batch", plainBatch, "--format", "hh-rlhf", "--out", join(folder, "hh.jsonl"), "--card",
      "--license", "other", "--license-name", "acme-data-1.0", "--license-link", "https://example.org/acme",
    ]);
    expect(second.status, second.stderr).toBe(0);
    expect(readdirSync(folder).sort()).toEqual(["hh.jsonl", "hh.jsonl.README.md", "pref.jsonl", "pref.jsonl.README.md"]);
    const prefCard = readFileSync(join(folder, "pref.jsonl.README.md"), "utf8");
    const hhCard = readFileSync(join(folder, "hh.jsonl.README.md"), "utf8");
    expect(header(prefCard)).toMatch(/^license: mit$/m);
    expect(header(prefCard)).toContain("    path: pref.jsonl\n");
    expect(prefCard).toContain(createHash("sha256").update(readFileSync(join(folder, "pref.jsonl"))).digest("hex"));
    expect(header(hhCard)).toContain('license: other\nlicense_name: acme-data-1.0\nlicense_link: "https://example.org/acme"\n');
    expect(header(hhCard)).toContain("    path: hh.jsonl\n");
    expect(hhCard).toContain(createHash("sha256").update(readFileSync(join(folder, "hh.jsonl"))).digest("hex"));
  });

  it("refuses a bad licence before opening --out: no file at all, nothing recorded", async () => {
    const before = exportCount();
    const out = join(dir, "refused-export.jsonl");
    const bad = await cli(["export", "--batch", mitBatch, "--format", "trl-preference", "--out", out, "--card", "--license", "other", "--json"]);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ error: { code: "invalid", details: { fields: { license_name: expect.any(String), license_link: expect.any(String) } } } });
    const typo = await cli(["export", "--batch", mitBatch, "--format", "trl-preference", "--out", out, "--card", "--license", "Apache-2.0"]);
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain("did you mean apache-2.0");
    // A bad export option is refused before the file is opened too.
    expect((await cli(["export", "--batch", mitBatch, "--format", "trl-preference", "--out", out, "--consensus", "most"])).status).toBe(1);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.README.md`)).toBe(false);
    expect(exportCount()).toBe(before);
    const usage = await cli(["export", "--batch", mitBatch, "--format", "trl-preference", "--out", out, "--license", "mit"]);
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("add --card");
    expect(existsSync(out)).toBe(false);
  });
});
