import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { parse as parseCsv } from "csv-parse";
import { missingFlatColumns, splitLines } from "../core/formats";
import { ServiceError } from "./errors.server";

/**
 * Reading import files: byte counting, gzip, JSONL lines and CSV records, each record with
 * the line it starts on. Only streams: nothing here holds more than one record.
 */

/** Yields the stream's chunks, counting bytes as they pass. */
export async function* counted(source: AsyncIterable<Uint8Array>, counter: { bytes: number }): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    counter.bytes += chunk.length;
    yield chunk;
  }
}

/** Gzip files are recognised by their magic bytes, not their name, and decompressed on the fly. */
export async function* decompressed(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const all = (async function* () {
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
  if (first.value[0] !== 0x1f || first.value[1] !== 0x8b) {
    yield* all;
    return;
  }
  const gunzip = createGunzip();
  pipeline(Readable.from(all), gunzip, () => {});
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (error) {
    throw new ServiceError("invalid", `file: not a readable gzip file (${(error as Error).message})`);
  }
}

/** Splits off the first chunk to decide between JSONL and CSV, then hands the whole stream on. */
export async function peekFirstByte(source: AsyncIterable<Uint8Array>): Promise<{ firstByte: number | null; stream: AsyncIterable<Uint8Array> }> {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: Uint8Array[] = [];
  let firstByte: number | null = null;
  while (firstByte === null) {
    const next = await iterator.next();
    if (next.done) break;
    buffered.push(next.value);
    for (const byte of next.value) {
      // Skip whitespace and a UTF-8 byte-order mark.
      if (byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d || byte === 0xef || byte === 0xbb || byte === 0xbf) continue;
      firstByte = byte;
      break;
    }
  }
  const stream = (async function* () {
    yield* buffered;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
  return { firstByte, stream };
}

/** One parsed record with the line it started on. */
export type NumberedRecord = { line: number; value: unknown } | { line: number; error: string };

export async function* jsonlRecords(chunks: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<NumberedRecord> {
  for await (const line of splitLines(chunks, maxLineBytes)) {
    if ("error" in line) {
      yield { line: line.number, error: `line: ${line.error}` };
      continue;
    }
    if (line.text.trim() === "") continue;
    try {
      yield { line: line.number, value: JSON.parse(line.text) };
    } catch (error) {
      yield { line: line.number, error: `json: ${(error as Error).message}` };
    }
  }
}

/**
 * CSV with a header row. The bytes are checked as strict UTF-8 before the CSV parser sees
 * them; a record is numbered by the line it starts on (quoted cells may span lines).
 */
export async function* csvRecords(chunks: AsyncIterable<Uint8Array>, maxLineBytes: number): AsyncGenerator<NumberedRecord> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let newlines = 0;
  let decodeErrorLine: number | null = null;
  async function* text() {
    for await (const chunk of chunks) {
      try {
        yield decoder.decode(chunk, { stream: true });
      } catch {
        decodeErrorLine = newlines + firstInvalidLine(chunk);
        return;
      }
      for (const byte of chunk) if (byte === 0x0a) newlines++;
    }
    yield decoder.decode();
  }
  const parser = parseCsv({ columns: true, bom: true, info: true, skip_empty_lines: true, max_record_size: maxLineBytes });
  pipeline(Readable.from(text()), parser, () => {});
  let headerChecked = false;
  let previousEnd = 1; // the header's last line
  try {
    for await (const entry of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (!headerChecked) {
        headerChecked = true;
        const missing = missingFlatColumns(Object.keys(entry.record));
        if (missing.length) {
          yield { line: 1, error: `header: missing column${missing.length === 1 ? "" : "s"} ${missing.join(", ")}` };
          return;
        }
      }
      yield { line: previousEnd + 1, value: entry.record };
      previousEnd = entry.info.lines;
    }
  } catch (error) {
    const e = error as Error & { lines?: number };
    yield { line: e.lines ?? newlines + 1, error: `csv: ${e.message}` };
  }
  if (decodeErrorLine !== null) yield { line: decodeErrorLine, error: "line: not valid UTF-8 text" };
}

/** 1-based line, within a chunk, of the first line that is not UTF-8 on its own. */
function firstInvalidLine(chunk: Uint8Array): number {
  const strict = new TextDecoder("utf-8", { fatal: true });
  let line = 1;
  let start = 0;
  for (;;) {
    const nl = chunk.indexOf(0x0a, start);
    const end = nl === -1 ? chunk.length : nl;
    try {
      strict.decode(chunk.subarray(start, end));
    } catch {
      return line;
    }
    if (nl === -1) return line;
    line++;
    start = nl + 1;
  }
}
