/**
 * The in-process parts of the export benchmark, each in a process of its own so that a run's
 * peak RSS is its own. Started by ./export.ts with VERDICT_DB set to the benchmark database;
 * prints one JSON line on stdout, progress on stderr.
 *
 *   node --import tsx tests/bench/export-worker.ts setup ITEMS SEED
 *       Builds the stored state (not timed as part of the results): 5 reviewers, ITEMS prompts
 *       (a system and a user message) × 2 responses, one pairwise batch with overlap 5 and ITEMS
 *       items, and 5 × ITEMS submitted judgments (every reviewer judges every item) with their
 *       assignments and one preference pair each; the items' counters match.
 *   node --import tsx tests/bench/export-worker.ts verdict BATCH_ID OUT
 *       streamExport(BATCH_ID, trl-preference-chat, consensus all) written to OUT.
 *   node --import tsx tests/bench/export-worker.ts raw BATCH_ID OUT
 *       The baseline: one SQL join iterated with bare better-sqlite3, JSON.stringify of the
 *       same objects, 64 KiB chunks written to OUT.
 *   node --import tsx tests/bench/export-worker.ts csv|parquet BATCH_ID OUT
 *       streamExportFile(BATCH_ID, the same options, file_format csv or parquet) written to
 *       OUT; `lines` is then the CSV's line count (rows + the header) or the row count the
 *       Parquet footer gives when @dsnp/parquetjs opens the file.
 *
 * Both runs write through fs.createWriteStream and wait for "drain" when it asks them to. The
 * timed part ends when the file is closed; the output is then flushed to disk and read back to
 * count its lines and hash it, neither of which is timed.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, statSync, type WriteStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { once } from "node:events";
import { finished } from "node:stream/promises";
import type { ChatMessage } from "../../app/core/formats/messages";
import { closeConnection, connection } from "../../app/services/database.server";
import { streamExport, type ExportResult } from "../../app/services/exports.server";
import { streamExportFile, type FileFormat } from "../../app/services/export-files.server";
import { openDatabase } from "../../db/client";
import { newId } from "../../db/ids";
import { bulkLoad, DEFAULT_CONFIG_JSON, fixtureInserts, NO_PASSWORD, PARAMS_JSON, uniformVerdict } from "./bulk-load";
import { benchPrompts, MODELS, seededRandom } from "./corpus";
import { EXPORT_OPTIONS, REVIEWERS } from "./export-shared";
import { log, processUsage, workerMain, workerUsage, type ProcessUsage } from "./harness";

const DATASET = "bench-export";
const CHUNK_BYTES = 64 * 1024;
const PROGRESS_MS = 2000;

/** System messages, one per prompt in turn: the stored conversation has two messages. */
const SYSTEM_MESSAGES = [
  "You are a helpful, honest and harmless assistant. Answer clearly and concisely.",
  "You are an expert tutor. Explain your reasoning step by step, and keep examples short.",
  "You are a careful assistant for a software team. Prefer precise answers over long ones; say so when you are unsure.",
  "Answer as a friendly travel guide would.",
];

export interface SetupResult {
  batch_id: string;
  items: number;
  judgments: number;
  pairs: number;
  seconds: number;
  db_mb: number;
}

export type RunMode = "verdict" | "raw" | "csv" | "parquet";

export interface RunResult extends ProcessUsage {
  mode: RunMode;
  /** From the first row requested to the output file closed. */
  seconds: number;
  /** Rows the run wrote, by its own count (Verdict: the count streamExport reports). */
  rows: number;
  /** Newlines in the file as read back. */
  lines: number;
  bytes: number;
  /** sha256 of the file as read back. */
  sha256: string;
  /** Verdict only: the sha256 streamExport recorded for the export (must equal sha256). */
  reported_sha256: string | null;
}

function setup(items: number, seed: number): SetupResult {
  if (MODELS.length !== 2) throw new Error("the export bench expects two models per prompt");
  const started = performance.now();
  const dbPath = process.env.VERDICT_DB;
  if (!dbPath) throw new Error("VERDICT_DB must name the benchmark database");
  const { sqlite } = connection();
  const random = seededRandom(seed ^ 0xe4901);
  const base = Date.now() - 30 * 86_400_000;
  const insert = fixtureInserts(sqlite, newId);

  const batchId = newId();
  const reviewerIds: string[] = [];
  const stored: Array<{ itemId: string; promptId: string; responseIds: [string, string] }> = [];
  let judgments = 0;
  bulkLoad(sqlite, () => {
    for (let r = 0; r < REVIEWERS; r++) {
      const id = newId();
      const username = `bench-e${r + 1}`;
      insert.user.run(id, username, username, NO_PASSWORD, base);
      reviewerIds.push(id);
    }
    // In the order the app builds it: the import, then the batch and its items, then the judging.
    const datasetId = newId();
    insert.dataset.run(datasetId, DATASET, "export bench", base);
    let k = 0;
    for (const prompt of benchPrompts(items, seed)) {
      const promptId = newId();
      const messages = [
        { role: "system", content: SYSTEM_MESSAGES[k % SYSTEM_MESSAGES.length]! },
        { role: "user", content: prompt.content },
      ];
      insert.prompt.run(promptId, datasetId, prompt.externalId, JSON.stringify(messages));
      const responseIds = prompt.responses.map((response) => {
        const id = newId();
        insert.response.run(id, promptId, response.model, response.model, response.text, PARAMS_JSON);
        return id;
      }) as [string, string];
      stored.push({ itemId: "", promptId, responseIds });
      k++;
      if (k % 50_000 === 0) log(`  setup: ${k}/${items} prompts`);
    }
    insert.batch.run(batchId, `Export bench (pairwise, overlap ${REVIEWERS})`, datasetId, DEFAULT_CONFIG_JSON, REVIEWERS, base);
    for (const id of reviewerIds) insert.reviewer.run(batchId, id);
    stored.forEach((item, position) => {
      item.itemId = newId();
      // Every reviewer has judged it: claims = submitted = overlap, and the item is closed.
      insert.item.run(item.itemId, batchId, item.promptId, JSON.stringify(item.responseIds), position, REVIEWERS, REVIEWERS, 0);
    });
    // Five reviewers judging side by side, partly judged items first (as `next` hands them
    // out): an item's judgments are stored close together, in a different reviewer order each time.
    const order = [...reviewerIds];
    stored.forEach((item, position) => {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      order.forEach((reviewerId, t) => {
        const doneAt = base + position * 10_000 + t * 1000;
        const verdict = uniformVerdict(random);
        const durationMs = 20_000 + Math.floor(random() * 40_000);
        insert.submitted({
          ...verdict,
          batchId,
          itemId: item.itemId,
          promptId: item.promptId,
          reviewerId,
          responseIds: item.responseIds,
          tie: false,
          leasedAt: doneAt - 60_000,
          doneAt,
          durationMs,
        });
        judgments++;
      });
      if ((position + 1) % 50_000 === 0) log(`  setup: ${position + 1}/${items} items judged (${judgments} judgments)`);
    });
  });

  const counts = sqlite
    .prepare<{ batch: string }, { items: number; judgments: number; pairs: number; inconsistent: number }>(
      `SELECT (SELECT count(*) FROM items WHERE batch_id = @batch) AS items,
              (SELECT count(*) FROM judgments j JOIN items i ON i.id = j.item_id WHERE i.batch_id = @batch) AS judgments,
              (SELECT count(*) FROM preference_pairs WHERE batch_id = @batch) AS pairs,
              (SELECT count(*) FROM items i WHERE i.batch_id = @batch AND (i.submitted != (SELECT count(*) FROM judgments j WHERE j.item_id = i.id)
                 OR i.claims != (SELECT count(*) FROM assignments a WHERE a.item_id = i.id AND a.status IN ('leased', 'submitted')))) AS inconsistent`,
    )
    .get({ batch: batchId })!;
  if (counts.inconsistent !== 0) throw new Error(`setup: ${counts.inconsistent} items have counters that disagree with their rows`);
  sqlite.pragma("wal_checkpoint(TRUNCATE)");
  closeConnection();
  return {
    batch_id: batchId,
    items: counts.items,
    judgments: counts.judgments,
    pairs: counts.pairs,
    seconds: (performance.now() - started) / 1000,
    db_mb: statSync(dbPath).size / 1024 / 1024,
  };
}

async function write(out: WriteStream, chunk: Uint8Array | string): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

function progress(label: string): (rows: number) => void {
  let last = performance.now();
  return (rows) => {
    const now = performance.now();
    if (now - last < PROGRESS_MS) return;
    last = now;
    log(`  ${label}: ${rows} rows`);
  };
}

async function runVerdict(batchId: string, file: string, fileFormat: FileFormat): Promise<{ seconds: number; rows: number; reported: string | null }> {
  if (!process.env.VERDICT_DB) throw new Error("VERDICT_DB must name the benchmark database");
  let done: ExportResult | null = null;
  const out = createWriteStream(file);
  const started = performance.now();
  const hooks = { onDone: (result: ExportResult) => (done = result), onProgress: progress(fileFormat === "jsonl" ? "verdict" : fileFormat) };
  // JSONL straight from streamExport, as before; the other file formats through streamExportFile.
  const chunks = fileFormat === "jsonl" ? streamExport(batchId, EXPORT_OPTIONS, hooks) : streamExportFile(batchId, { ...EXPORT_OPTIONS, file_format: fileFormat }, hooks);
  for await (const chunk of chunks) {
    await write(out, chunk);
  }
  out.end();
  await finished(out);
  const seconds = (performance.now() - started) / 1000;
  const result = done as ExportResult | null;
  if (!result) throw new Error("streamExport finished without calling onDone");
  closeConnection();
  return { seconds, rows: result.rows, reported: result.sha256 };
}

interface RawRow {
  prompt_id: string;
  messages: string;
  chosen: string;
  rejected: string;
}

/**
 * What an export of these rows must do at the least: the same rows in the same order (item
 * position, then the order pairs were stored), from one join, stringified and written.
 * Consecutive rows share a prompt, so its messages are parsed once per prompt, not per row.
 *
 * The sort is on the narrow keys, in a subquery, and the texts are joined to its ordered rows:
 * with the ORDER BY on the outer join SQLite sorts whole rows, texts included (2.6 GB spilled to
 * temporary files for 1M pairs), which made that baseline slower than Verdict itself. LIMIT -1
 * keeps SQLite from flattening the subquery and dropping its ORDER BY; same_bytes in the
 * results checks the order against Verdict's.
 */
async function runRaw(batchId: string, file: string): Promise<{ seconds: number; rows: number }> {
  const dbPath = process.env.VERDICT_DB;
  if (!dbPath) throw new Error("VERDICT_DB must name the benchmark database");
  const started = performance.now();
  // The connection every Verdict reader gets (WAL, 64 MiB page cache), without migrations.
  const { sqlite } = openDatabase(dbPath, { migrate: false });
  const out = createWriteStream(file);
  const report = progress("raw");
  let rows = 0;
  try {
    const iterator = sqlite
      .prepare<[string], RawRow>(
        `SELECT p.id AS prompt_id, p.messages, c.text AS chosen, r.text AS rejected
         FROM (SELECT i.prompt_id, pp.chosen_id, pp.rejected_id
               FROM preference_pairs pp JOIN items i ON i.id = pp.item_id
               WHERE pp.batch_id = ? AND pp.source != 'imported' AND i.is_gold = 0 AND pp.strength > 0
               ORDER BY i.position, pp.rowid LIMIT -1) o
         JOIN prompts p ON p.id = o.prompt_id
         JOIN responses c ON c.id = o.chosen_id
         JOIN responses r ON r.id = o.rejected_id`,
      )
      .iterate(batchId);
    let promptId = "";
    let messages: ChatMessage[] = [];
    let buffer = "";
    for (const row of iterator) {
      if (row.prompt_id !== promptId) {
        promptId = row.prompt_id;
        messages = JSON.parse(row.messages) as ChatMessage[];
      }
      buffer += `${JSON.stringify({ prompt: messages, chosen: [{ role: "assistant", content: row.chosen }], rejected: [{ role: "assistant", content: row.rejected }] })}\n`;
      rows++;
      if (buffer.length >= CHUNK_BYTES) {
        await write(out, buffer);
        buffer = "";
        report(rows);
      }
    }
    if (buffer) await write(out, buffer);
    out.end();
    await finished(out);
  } finally {
    sqlite.close();
  }
  return { seconds: (performance.now() - started) / 1000, rows };
}

/** Flushes the file to disk (so its write-back does not slow the next run) and reads it back. */
async function inspect(file: string): Promise<{ bytes: number; lines: number; sha256: string }> {
  const handle = await open(file, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  const hash = createHash("sha256");
  let lines = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return { bytes: (await stat(file)).size, lines, sha256: hash.digest("hex") };
}

/** The rows a Parquet file's footer counts, read by another library than the writer. */
async function parquetRowCount(file: string): Promise<number> {
  const { ParquetReader } = await import("@dsnp/parquetjs");
  const reader = await ParquetReader.openFile(file);
  try {
    return Number(reader.getRowCount());
  } finally {
    await reader.close();
  }
}

async function run(mode: RunMode, batchId: string, file: string): Promise<RunResult> {
  const measured = mode === "raw" ? { ...(await runRaw(batchId, file)), reported: null } : await runVerdict(batchId, file, mode === "verdict" ? "jsonl" : mode);
  // Read before inspecting the file, so the peak is the measured run's own.
  const usage = processUsage();
  const written = await inspect(file);
  if (mode === "parquet") written.lines = await parquetRowCount(file);
  return {
    mode,
    seconds: measured.seconds,
    rows: measured.rows,
    lines: written.lines,
    bytes: written.bytes,
    sha256: written.sha256,
    reported_sha256: measured.reported,
    ...usage,
  };
}

workerMain(async ([mode, ...rest]) => {
  if (mode === "setup" && rest.length === 2) return setup(Number(rest[0]), Number(rest[1]));
  if ((mode === "verdict" || mode === "raw" || mode === "csv" || mode === "parquet") && rest.length === 2) return run(mode, rest[0]!, rest[1]!);
  return workerUsage("export-worker.ts setup ITEMS SEED | verdict|raw|csv|parquet BATCH_ID OUT");
});
