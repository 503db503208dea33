import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { z } from "zod";
import {
  detectFormat,
  formatBytes,
  IMPORT_FORMATS,
  parseRecord,
  type ImportFormat,
  type ImportUnit,
} from "../core/formats";
import { newId } from "../../db/ids";
import type { Sqlite } from "../../db/client";
import { recordAudit } from "./audit.server";
import { config } from "./config.server";
import { connection, dedicatedConnection } from "./database.server";
import { counted, csvRecords, decompressed, jsonlRecords, peekFirstByte } from "./import-records.server";
import { busyError, ServiceError } from "./errors.server";
import { invalidFields, invalidFrom } from "./validation.server";
import { licenseProblems } from "../core/formats/export/licenses";

export const datasetNameSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/, "1–100 characters: letters, digits, spaces, '.', '_' or '-'");

export const importOptionsSchema = z.object({
  dataset: datasetNameSchema,
  format: z.enum(["auto", ...IMPORT_FORMATS]).default("auto"),
  upsert: z.boolean().default(false),
  description: z.string().max(2000).optional(),
  /** The data's licence (a Hub identifier), kept on the dataset; absent keeps the dataset's current one. */
  license: z.string().trim().optional(),
});
export type ImportOptions = z.input<typeof importOptionsSchema>;

export interface ImportSummary {
  dataset: string;
  format: ImportFormat;
  prompts: number;
  responses: number;
  pairs: number;
}

export interface ImportProgress {
  phase: "upload" | "import" | "done";
  /** Bytes of the file read so far (compressed bytes for .gz). */
  bytes: number;
  totalBytes: number | null;
  lines: number;
}

/** A file with bad lines: nothing was written. `lines` holds the first 100 as `line N: field: reason`. */
export class ImportRejected extends ServiceError {
  constructor(
    readonly lines: string[],
    readonly count: number,
  ) {
    super("invalid", `${count} invalid line${count === 1 ? "" : "s"}; nothing was imported`, { lines, count });
  }
}

const MAX_REPORTED = 100;
/** Invalid lines after which an import stops reading its file (it is refused either way). */
const MAX_INVALID_LINES = 10_000;
/** Nesting deeper than this in a line is refused: validating it would overflow the stack. */
const MAX_DEPTH = 200;

/** Whether a parsed line nests arrays and objects deeper than MAX_DEPTH (iteratively: no recursion to overflow). */
function tooDeep(value: unknown): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (depth >= MAX_DEPTH) return true;
    for (const child of Object.values(node as Record<string, unknown>)) stack.push([child, depth + 1]);
  }
  return false;
}

const PROGRESS_EVERY_LINES = 2000;

/** Imports holding (or about to take) the write lock in this process. */
let importsUnderWay = 0;

/**
 * One import at a time per process: a second would wait for the first's write lock inside
 * SQLite's busy handler, which blocks this process's only thread, the one the first needs.
 * Checked when an import is asked for (before an upload is read) and again before it writes.
 */
function refuseWhileImporting(): void {
  if (importsUnderWay > 0) {
    throw busyError("another import is under way; try again when it has finished");
  }
}

interface Hooks {
  onProgress?: (progress: ImportProgress) => void;
  signal?: AbortSignal;
  actorId?: string | null;
}

/** Imports a file from disk (plain or gzip, JSONL or CSV). All or nothing. */
export async function importFile(path: string, options: ImportOptions, hooks: Hooks = {}): Promise<ImportSummary> {
  refuseWhileImporting();
  const licenseError = importLicenseError(options.license?.trim());
  if (licenseError) throw licenseError;
  const { size } = await stat(path).catch(() => {
    throw new ServiceError("not_found", `cannot read ${path}`);
  });
  return importStream(createReadStream(path, { highWaterMark: 1 << 20 }), { ...options, fileName: basename(path), totalBytes: size }, hooks);
}

/**
 * Imports a browser upload: the body is first spooled to a file beside the database, so the
 * write transaction is never held open while a slow client sends bytes; then the file is
 * imported and removed.
 */
export async function importUpload(
  body: ReadableStream<Uint8Array> | null,
  options: ImportOptions & { fileName: string; declaredBytes: number | null },
  hooks: Hooks = {},
): Promise<ImportSummary> {
  const maxBytes = config().VERDICT_MAX_UPLOAD_MB * 1024 * 1024;
  const tooLarge = () =>
    new ServiceError("too_large", `the file is larger than the upload limit of ${formatBytes(maxBytes)} (VERDICT_MAX_UPLOAD_MB)`);
  if (options.declaredBytes !== null && options.declaredBytes > maxBytes) throw tooLarge();
  if (!body) throw new ServiceError("invalid", "the request has no file in its body");
  // Checked before a byte is spooled: a mistyped licence should not cost the upload.
  const licenseError = importLicenseError(options.license?.trim());
  if (licenseError) throw licenseError;
  refuseWhileImporting();

  const dir = join(dirname(resolve(config().VERDICT_DB)), "uploads");
  await mkdir(dir, { recursive: true });
  const spool = join(dir, `${randomUUID()}.upload`);
  try {
    const out = createWriteStream(spool);
    let bytes = 0;
    for await (const chunk of Readable.fromWeb(body as WebReadableStream<Uint8Array>)) {
      bytes += (chunk as Buffer).length;
      if (bytes > maxBytes) {
        out.destroy();
        throw tooLarge();
      }
      hooks.onProgress?.({ phase: "upload", bytes, totalBytes: options.declaredBytes, lines: 0 });
      if (!out.write(chunk)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
    out.end();
    await finished(out);
    return await importStream(createReadStream(spool, { highWaterMark: 1 << 20 }), { ...options, totalBytes: bytes }, hooks);
  } finally {
    await rm(spool, { force: true });
  }
}

/** The prepared statements of one import, on the import's own connection. */
function statements(sqlite: Sqlite) {
  return {
    findDataset: sqlite.prepare<[string], { id: string }>("SELECT id FROM datasets WHERE name = ?"),
    insertDataset: sqlite.prepare(
      "INSERT INTO datasets (id, name, description, source, license, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    setLicense: sqlite.prepare("UPDATE datasets SET license = ? WHERE id = ?"),
    insertPrompt: sqlite.prepare("INSERT INTO prompts (id, dataset_id, external_id, messages, metadata, reference, context) VALUES (?, ?, ?, ?, ?, ?, ?)"),
    findPrompt: sqlite.prepare<[string, string], { id: string; messages: string; judged: number }>(
      `SELECT p.id, p.messages, EXISTS (SELECT 1 FROM items i WHERE i.prompt_id = p.id AND i.submitted > 0) AS judged
       FROM prompts p WHERE p.dataset_id = ? AND p.external_id = ?`,
    ),
    findResponse: sqlite.prepare<[string, string], { model: string; text: string }>(
      "SELECT model, text FROM responses WHERE prompt_id = ? AND external_id = ?",
    ),
    upsertPrompt: sqlite.prepare<unknown[], { id: string }>(
      `INSERT INTO prompts (id, dataset_id, external_id, messages, metadata, reference, context) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (dataset_id, external_id) DO UPDATE SET messages = excluded.messages, metadata = excluded.metadata,
         reference = excluded.reference, context = excluded.context
       RETURNING id`,
    ),
    insertResponse: sqlite.prepare(
      "INSERT INTO responses (id, prompt_id, external_id, model, text, params, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    upsertResponse: sqlite.prepare<unknown[], { id: string }>(
      `INSERT INTO responses (id, prompt_id, external_id, model, text, params, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (prompt_id, external_id) DO UPDATE SET model = excluded.model, text = excluded.text,
         params = excluded.params, metadata = excluded.metadata
       RETURNING id`,
    ),
    setGold: sqlite.prepare("UPDATE prompts SET gold_answer = ? WHERE id = ?"),
    /** Only for a flat prompt whose sources come on a later row than its first (rare): never per row. */
    setReference: sqlite.prepare("UPDATE prompts SET reference = ? WHERE id = ?"),
    setContext: sqlite.prepare("UPDATE prompts SET context = ? WHERE id = ?"),
    deleteImportedPairs: sqlite.prepare("DELETE FROM preference_pairs WHERE prompt_id = ? AND source = 'imported'"),
    insertPair: sqlite.prepare(
      `INSERT INTO preference_pairs (id, prompt_id, chosen_id, rejected_id, strength, source)
       VALUES (?, ?, ?, ?, ?, 'imported')`,
    ),
  };
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE" || (error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}

/** Flat rows of one prompt must agree on its text; long texts are compared by digest to keep memory small. */
function fingerprint(text: string): string {
  return text.length <= 64 ? text : createHash("sha1").update(text).digest("base64");
}

/**
 * The import's licence must be a Hub identifier. `other` is refused here: a custom licence needs
 * its name and link, which belong on the card, so it is given at export
 * (`--license other --license-name … --license-link …`); the dataset then stays without one.
 */
export function importLicenseError(license: string | undefined): ServiceError | null {
  if (license === "other") {
    return invalidFields({
      license: "other cannot be a dataset's licence (it has no name or link here); leave it out and give --license other with --license-name and --license-link at export",
    });
  }
  return invalidFields(licenseProblems({ license }));
}

/** Strength given to a dataset's own chosen/rejected pair, which carries no margin: the smallest preference. */
export const IMPORTED_PAIR_STRENGTH = 1;

/**
 * The import itself: one pass over the records, every line checked, rows written with
 * prepared statements in one transaction on a connection of its own. The first bad line
 * stops the writing but not the checking, so the report lists every bad line; then the
 * transaction is rolled back and nothing is left behind.
 */
async function importStream(
  source: AsyncIterable<Uint8Array>,
  rawOptions: ImportOptions & { fileName?: string; totalBytes?: number | null },
  hooks: Hooks,
): Promise<ImportSummary> {
  const parsedOptions = importOptionsSchema.safeParse(rawOptions);
  if (!parsedOptions.success) throw invalidFrom(parsedOptions.error);
  const options = parsedOptions.data;
  const licenseError = importLicenseError(options.license);
  if (licenseError) throw licenseError;
  const maxLineBytes = config().VERDICT_MAX_LINE_MB * 1024 * 1024;
  const counter = { bytes: 0 };
  const { firstByte, stream } = await peekFirstByte(decompressed(counted(source, counter)));
  if (firstByte === null) throw new ImportRejected(["line 1: file: the file is empty"], 1);

  const csv = firstByte !== 0x7b; // anything but "{" must be CSV
  if (csv && options.format !== "auto" && options.format !== "flat") {
    throw new ImportRejected([`line 1: file: expected JSONL for format ${options.format} (each line a JSON object)`], 1);
  }
  let format: ImportFormat | null = csv ? "flat" : options.format === "auto" ? null : options.format;
  const records = csv ? csvRecords(stream, maxLineBytes) : jsonlRecords(stream, maxLineBytes);

  const errors: string[] = [];
  let errorCount = 0;
  const reject = (line: number, reason: string) => {
    errorCount++;
    if (errors.length < MAX_REPORTED) errors.push(`line ${line}: ${reason}`);
  };

  refuseWhileImporting();
  const { sqlite, db } = dedicatedConnection();
  const sql = statements(sqlite);
  const summary = { prompts: 0, responses: 0, pairs: 0 };
  let lines = 0;
  let stoppedEarly = false;
  let lastProgress = 0;
  /** Flat prompts written so far, with digests of their messages and sources (null: none given yet). */
  const flatPrompts = new Map<string, { id: string; text: string; judged: boolean; reference: string | null; context: string | null }>();
  let datasetId: string | null = null;

  const write = (unit: ImportUnit, line: number) => {
    datasetId ??= ensureDataset();
    const messages = JSON.stringify(unit.messages);
    const reference = unit.reference ?? null;
    const context = unit.context ? JSON.stringify(unit.context) : null;
    let promptId: string;
    let judgedPrompt: string | null = null;
    const seen = unit.mergeByPromptId ? flatPrompts.get(unit.externalId) : undefined;
    if (seen) {
      if (seen.text !== fingerprint(messages)) {
        return reject(line, `prompt: differs from the prompt given for prompt_id "${unit.externalId}" on an earlier line`);
      }
      promptId = seen.id;
      if (seen.judged) judgedPrompt = seen.id;
      // A later row may leave the sources blank, give them when no earlier row did, or repeat them.
      if (reference !== null) {
        const digest = fingerprint(reference);
        if (seen.reference === null) {
          sql.setReference.run(reference, promptId);
          seen.reference = digest;
        } else if (seen.reference !== digest) {
          return reject(line, `reference: differs from the reference given for prompt_id "${unit.externalId}" on an earlier line`);
        }
      }
      if (context !== null) {
        const digest = fingerprint(context);
        if (seen.context === null) {
          sql.setContext.run(context, promptId);
          seen.context = digest;
        } else if (seen.context !== digest) {
          return reject(line, `context: differs from the context given for prompt_id "${unit.externalId}" on an earlier line`);
        }
      }
    } else {
      const id = newId();
      if (options.upsert) {
        // A judged prompt keeps what its reviewers saw: its messages and its responses' text
        // and model. Metadata, sources (reference, context), params and new responses may still change.
        const existing = sql.findPrompt.get(datasetId, unit.externalId);
        if (existing?.judged) {
          judgedPrompt = existing.id;
          if (existing.messages !== messages) {
            return reject(line, `prompt: prompt "${unit.externalId}" has been judged; its messages cannot change (import it under a new id)`);
          }
        }
        promptId = sql.upsertPrompt.get(id, datasetId, unit.externalId, messages, JSON.stringify(unit.metadata), reference, context)!.id;
      } else {
        try {
          sql.insertPrompt.run(id, datasetId, unit.externalId, messages, JSON.stringify(unit.metadata), reference, context);
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          return reject(
            line,
            `${unit.mergeByPromptId ? "prompt_id" : "id"}: prompt "${unit.externalId}" already exists in dataset "${options.dataset}" (use --upsert to replace it)`,
          );
        }
        promptId = id;
      }
      if (unit.mergeByPromptId) {
        flatPrompts.set(unit.externalId, {
          id: promptId,
          text: fingerprint(messages),
          judged: judgedPrompt !== null,
          reference: reference === null ? null : fingerprint(reference),
          context: context === null ? null : fingerprint(context),
        });
      }
      summary.prompts++;
    }

    const responseIds = new Map<string, string>();
    for (const response of unit.responses) {
      const id = newId();
      const values = [id, promptId, response.externalId, response.model, response.text, JSON.stringify(response.params), JSON.stringify(response.metadata)];
      if (options.upsert) {
        const existing = judgedPrompt === null ? undefined : sql.findResponse.get(judgedPrompt, response.externalId);
        if (existing && (existing.text !== response.text || existing.model !== response.model)) {
          const what = existing.text !== response.text ? "text" : "model";
          return reject(
            line,
            `response: response "${response.externalId}" of prompt "${unit.externalId}" has been judged; its ${what} cannot change (import it under a new response id)`,
          );
        }
        responseIds.set(response.externalId, sql.upsertResponse.get(...values)!.id);
      } else {
        try {
          sql.insertResponse.run(...values);
        } catch (error) {
          if (!isUniqueViolation(error)) throw error;
          return reject(
            line,
            `response: prompt "${unit.externalId}" already has a response "${response.externalId}" (add a response_id column to tell two responses of one model apart, or use --upsert)`,
          );
        }
        responseIds.set(response.externalId, id);
      }
      summary.responses++;
    }

    if (unit.gold) {
      // Stored with the responses' own ids, as gold.server.ts reads it; the line named them by external id.
      const { best, scores } = unit.gold;
      const answer = {
        ...(best !== undefined && { best: best === "tie" ? "tie" : responseIds.get(best)! }),
        ...(scores && { scores: Object.fromEntries(Object.entries(scores).map(([id, v]) => [responseIds.get(id)!, v])) }),
      };
      sql.setGold.run(JSON.stringify(answer), promptId);
    }
    if (unit.preference) {
      if (options.upsert) sql.deleteImportedPairs.run(promptId);
      const chosen = responseIds.get(unit.preference.chosen)!;
      const rejected = responseIds.get(unit.preference.rejected)!;
      sql.insertPair.run(newId(), promptId, chosen, rejected, IMPORTED_PAIR_STRENGTH);
      summary.pairs++;
    }
  };

  const ensureDataset = (): string => {
    const existing = sql.findDataset.get(options.dataset);
    if (existing) return existing.id;
    const id = newId();
    const source = [rawOptions.fileName, format].filter(Boolean).join(" · ");
    sql.insertDataset.run(id, options.dataset, options.description ?? "", source, options.license || null, Date.now());
    return id;
  };

  const report = (force = false) => {
    if (!hooks.onProgress) return;
    const now = Date.now();
    if (!force && now - lastProgress < 200) return;
    lastProgress = now;
    hooks.onProgress({ phase: "import", bytes: counter.bytes, totalBytes: rawOptions.totalBytes ?? null, lines });
  };

  // For the same reason, this process's other writes must not wait for the lock this import
  // holds from its first row to its commit: they fail at once (SQLITE_BUSY, a 503 the judging
  // screen retries) instead of stalling every request for the busy timeout.
  const shared = connection().sqlite;
  const busyTimeout = shared.pragma("busy_timeout", { simple: true }) as number;
  importsUnderWay++;
  shared.pragma("busy_timeout = 0");
  sqlite.exec("BEGIN");
  let committed = false;
  try {
    for await (const record of records) {
      lines = record.line;
      if (hooks.signal?.aborted) throw new ServiceError("invalid", "the import was cancelled; nothing was imported");
      if (lines % PROGRESS_EVERY_LINES === 0) report();
      // A file past MAX_INVALID_LINES bad lines is refused without reading the rest: a gzip bomb
      // of garbage lines would otherwise keep the import busy for minutes (memory stays flat either way).
      if (errorCount >= MAX_INVALID_LINES) {
        stoppedEarly = true;
        break;
      }
      if ("error" in record) {
        reject(record.line, record.error);
        continue;
      }
      // Validating a line nested thousands of levels deep would overflow the stack: refused first.
      if (tooDeep(record.value)) {
        reject(record.line, `line: nested more than ${MAX_DEPTH} levels deep`);
        continue;
      }
      if (format === null) {
        format = detectFormat(record.value);
        if (format === null) {
          const keys = record.value && typeof record.value === "object" ? Object.keys(record.value).join(", ") : typeof record.value;
          reject(record.line, `format: cannot tell the format from this line (keys: ${keys || "none"}); choose one of ${IMPORT_FORMATS.join(", ")}`);
          break;
        }
      }
      const result = parseRecord(format, record.value, record.line);
      if (!result.ok) {
        for (const reason of result.errors) reject(record.line, reason);
        continue;
      }
      // After the first bad line nothing will be kept, so stop writing and only keep checking.
      if (errorCount === 0) write(result.unit, record.line);
    }
    if (errorCount === 0 && format === null) reject(1, "file: the file holds no records");
    if (errorCount > 0) throw new ImportRejected(stoppedEarly ? [...errors, `… the import stopped reading after ${MAX_INVALID_LINES} invalid lines`] : errors, errorCount);
    if (datasetId === null) datasetId = ensureDataset();
    // A re-import with a licence changes it; without one the dataset keeps the licence it had.
    if (options.license) sql.setLicense.run(options.license, datasetId);
    recordAudit(db, {
      userId: hooks.actorId ?? null,
      action: "dataset.import",
      subject: options.dataset,
      detail: { file: rawOptions.fileName ?? null, format, upsert: options.upsert, ...(options.license ? { license: options.license } : {}), ...summary },
    });
    sqlite.exec("COMMIT");
    committed = true;
    report(true);
    hooks.onProgress?.({ phase: "done", bytes: counter.bytes, totalBytes: rawOptions.totalBytes ?? null, lines });
    return { dataset: options.dataset, format: format!, ...summary };
  } finally {
    if (!committed && sqlite.inTransaction) sqlite.exec("ROLLBACK");
    sqlite.close();
    importsUnderWay--;
    shared.pragma(`busy_timeout = ${busyTimeout}`);
  }
}

/** Progress of imports under way, by a job id the client chose, for the upload page's progress bar. */
const jobs = new Map<string, ImportProgress & { at: number }>();
let lastSweep = 0;

export function trackProgress(jobId: string | null): ((progress: ImportProgress) => void) | undefined {
  if (!jobId) return undefined;
  return (progress) => {
    const now = Date.now();
    jobs.set(jobId, { ...progress, at: now });
    // Forget jobs idle for a minute so the map cannot grow without bound.
    if (now - lastSweep > 10_000) {
      lastSweep = now;
      for (const [id, job] of jobs) if (now - job.at > 60_000) jobs.delete(id);
    }
  };
}

export function progressOf(jobId: string): ImportProgress | null {
  return jobs.get(jobId) ?? null;
}
