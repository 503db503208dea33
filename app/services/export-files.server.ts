import { stringify } from "csv-stringify/sync";
import { ByteWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from "hyparquet-writer";
import { z } from "zod";
import { approximateBytes, csvRecord, rowValues, tabularColumns, type TabularColumn } from "../core/formats/export/tabular";
import type { ExportFormat } from "../core/formats/export/mappers";
import { getBatch } from "./batches.server";
import {
  exportCard,
  exportJudgeRun,
  parseCardOptions,
  parseExportOptions,
  streamEncodedExport,
  streamExport,
  type ExportHooks,
  type ExportResult,
  type FileEncoder,
} from "./exports.server";
import { ServiceError } from "./errors.server";
import { invalidFrom } from "./validation.server";

/**
 * Export files (DESIGN.md §5): the same rows as the JSONL export, written as JSONL (the
 * default), CSV or Parquet. Every file format streams: CSV in 64 KiB chunks, Parquet one row
 * group at a time (Parquet writes its footer last, after the row groups, so nothing has to be
 * seeked back to and the bytes can go out as they are made). Each finished file is recorded
 * like a JSONL export, with the sha256 of its own bytes and `file_format` among the options.
 */
export const FILE_FORMATS = ["jsonl", "csv", "parquet"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export const FILE_FORMAT_MEDIA: Record<FileFormat, { contentType: string; extension: string; label: string }> = {
  jsonl: { contentType: "application/jsonl; charset=utf-8", extension: "jsonl", label: "JSONL" },
  csv: { contentType: "text/csv; charset=utf-8", extension: "csv", label: "CSV" },
  parquet: { contentType: "application/vnd.apache.parquet", extension: "parquet", label: "Parquet" },
};

export const FILE_FORMAT_DESCRIPTIONS: Record<FileFormat, string> = {
  jsonl: "one JSON object a line, as trainers read it",
  csv: "RFC 4180 with a header row, nested values as JSON text, formula cells escaped for spreadsheets",
  parquet: "one column per key, nested values as JSON text, for pandas, DuckDB and the Hugging Face Hub",
};

const fileFormatSchema = z.object({ file_format: z.enum(FILE_FORMATS).default("jsonl") });

export function parseFileFormat(input: unknown): FileFormat {
  const parsed = fileFormatSchema.safeParse(input);
  if (!parsed.success) throw invalidFrom(parsed.error);
  return parsed.data.file_format;
}


const CHUNK_BYTES = 64 * 1024;
/** CSV records stringified at a time: big enough to amortise the call, small next to a chunk. */
const CSV_BATCH_ROWS = 256;
/**
 * A Parquet row group is cut once its values reach this many bytes (by `approximateBytes`) or
 * rows. Encoding a group holds its values, their UTF-8 bytes, the JSON text, pages and
 * compressed pages at once, several times the figure, and V8 is slow to hand the garbage
 * back: on 50,000 of the export bench's pairs (~2.7 KB a row) 8 MiB groups peaked at 213 MB
 * RSS against 165 MB for JSONL, 2 MiB at 200 MB, 1 MiB at 167 MB with a file 3% larger than
 * at 2 MiB (`npm run bench -- export`, docs/decisions.md §18).
 */
const PARQUET_GROUP_BYTES = 1024 * 1024;
const PARQUET_GROUP_ROWS = 100_000;

/** Every file format's chunks: JSONL from streamExport, CSV and Parquet encoded here. */
export async function* streamExportFile(batchId: string, rawOptions: unknown, hooks: ExportHooks = {}): AsyncGenerator<Uint8Array> {
  const fileFormat = parseFileFormat(rawOptions);
  if (fileFormat === "jsonl") {
    yield* streamExport(batchId, rawOptions, hooks);
    return;
  }
  const options = parseExportOptions(rawOptions);
  const columns = tabularColumns(options.format, {
    withIds: options.with_ids,
    withText: options.with_text,
    includeContext: options.include_context,
    judgeColumns: options.judged_by !== "human",
  });
  const encoder = fileFormat === "csv" ? csvEncoder(columns) : parquetEncoder(columns);
  yield* streamEncodedExport(batchId, options, encoder, { ...options, file_format: fileFormat }, hooks);
}

const utf8 = new TextEncoder();

/** RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, quote or line break. UTF-8 without a BOM. */
function csvEncoder(columns: readonly TabularColumn[]): FileEncoder {
  let records: string[][] = [];
  let text = "";
  let header = true;
  const stringifyRecords = () => {
    text += stringify(records, { header, columns: columns.map((c) => c.name), record_delimiter: "windows", eof: true });
    header = false;
    records = [];
  };
  return {
    add(row) {
      records.push(csvRecord(columns, row));
      if (records.length < CSV_BATCH_ROWS) return [];
      stringifyRecords();
      if (text.length < CHUNK_BYTES) return [];
      const chunk = utf8.encode(text);
      text = "";
      return [chunk];
    },
    finish() {
      if (records.length || header) stringifyRecords();
      return text ? [utf8.encode(text)] : [];
    },
  };
}

const PARQUET_TYPE: Record<TabularColumn["kind"], NonNullable<ColumnSource["type"]>> = { text: "STRING", json: "JSON", integer: "INT64", boolean: "BOOLEAN" };

/**
 * Parquet through hyparquet-writer's incremental ParquetWriter: values gather per column until
 * a row group is full, the group is encoded into a ByteWriter whose bytes are handed out at
 * once, and `finish` adds the page indexes and the footer. Text is UTF8, nested values the
 * JSON logical type (JSON text, which pandas and the Hub read as strings), integers INT64.
 */
function parquetEncoder(columns: readonly TabularColumn[]): FileEncoder {
  const source = (data: unknown[][]): ColumnSource[] =>
    columns.map((column, i) => ({
      name: column.name,
      // hyparquet-writer's DecodedArray is a union of typed arrays and any[]; ours are any[].
      data: data[i] as ColumnSource["data"],
      type: PARQUET_TYPE[column.kind],
      nullable: column.nullable === true || column.kind === "json",
      // min/max of whole JSON documents would be copied into the footer for every page and group.
      statistics: column.kind !== "json",
    }));
  const writer = new ByteWriter();
  const drain = (): Uint8Array[] => {
    if (writer.index === 0) return [];
    const chunk = new Uint8Array(writer.buffer.slice(0, writer.index));
    writer.index = 0;
    return [chunk];
  };
  const parquet = new ParquetWriter({ writer, schema: schemaFromColumnData({ columnData: source(columns.map(() => [])) }), createdBy: "Verdict (hyparquet-writer)" });
  let group: unknown[][] = columns.map(() => []);
  let groupRows = 0;
  let groupBytes = 0;
  const flush = (): Uint8Array[] => {
    if (groupRows === 0) return drain();
    void parquet.write({ columnData: source(group), rowGroupSize: groupRows });
    group = columns.map(() => []);
    groupRows = 0;
    groupBytes = 0;
    return drain();
  };
  return {
    add(row) {
      const values = rowValues(columns, row);
      for (let i = 0; i < columns.length; i++) {
        const value = values[i];
        group[i]!.push(columns[i]!.kind === "integer" && value !== null ? BigInt(value as number) : value);
        groupBytes += approximateBytes(value);
      }
      groupRows++;
      return groupBytes >= PARQUET_GROUP_BYTES || groupRows >= PARQUET_GROUP_ROWS ? flush() : [];
    },
    finish() {
      const last = flush();
      void parquet.finish();
      return [...last, ...drain()];
    },
  };
}

/** A file name for the download: the batch's name, the row format, the file format's extension. */
export function exportFileName(batchId: string, format: ExportFormat, fileFormat: FileFormat): string {
  const batch = getBatch(batchId);
  const slug = batch.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "batch";
  return `${slug}.${format}.${FILE_FORMAT_MEDIA[fileFormat].extension}`;
}

/**
 * An HTTP download of an export in any file format: the options and the batch are checked
 * first (so mistakes are a JSON 400/404), then the body streams as it is produced. A client
 * that disconnects cancels the stream, which stops the work and records nothing; what it got
 * of a Parquet file has no footer, so no reader takes it for a whole file.
 */
export function exportFileDownload(batchId: string, rawOptions: unknown, hooks: { actorId?: string | null; signal?: AbortSignal } = {}): Response {
  const options = parseExportOptions(rawOptions);
  const fileFormat = parseFileFormat(rawOptions);
  const fileName = exportFileName(batchId, options.format, fileFormat);
  // A judge run that is missing or not the batch's is a 400/404 here, before the body starts.
  exportJudgeRun(batchId, options);
  const chunks = streamExportFile(batchId, rawOptions, hooks);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": FILE_FORMAT_MEDIA[fileFormat].contentType,
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}

/**
 * The card for the export that these options would produce now, for the card endpoints: the
 * export runs in its file format to a hash sink (same bytes as a download, nothing kept in memory) and is not
 * recorded, so the card's rows and sha256 are those of a download made with the same options
 * on the same data. Reusing the latest recorded export instead could describe bytes the data no
 * longer gives. Options and licence are checked before the export runs (400 with field messages).
 */
export async function exportCardFor(batchId: string, raw: Record<string, unknown>, hooks: { signal?: AbortSignal } = {}): Promise<{ card: string; fileName: string }> {
  const options = parseExportOptions(raw);
  const license = parseCardOptions(batchId, raw);
  const dataFile = exportFileName(batchId, options.format, parseFileFormat(raw));
  let result: ExportResult | null = null;
  for await (const chunk of streamExportFile(batchId, raw, { signal: hooks.signal, record: false, onDone: (r) => (result = r) })) void chunk;
  const done = result as ExportResult | null;
  if (!done) throw new ServiceError("invalid", "the export was cancelled before it finished");
  return { card: exportCard(batchId, done, options, dataFile, license), fileName: `${dataFile}.README.md` };
}

/** An HTTP answer with the card as Markdown, shown in the browser (`inline`) under the name the CLI gives it. */
export async function exportCardResponse(batchId: string, raw: Record<string, unknown>, hooks: { signal?: AbortSignal } = {}): Promise<Response> {
  const { card, fileName } = await exportCardFor(batchId, raw, hooks);
  return new Response(card, {
    headers: {
      "Content-Type": "text/markdown; charset=utf-8",
      "Content-Disposition": `inline; filename="${fileName}"`,
      "Cache-Control": "no-store",
      "X-Content-Type-Options": "nosniff",
    },
  });
}
