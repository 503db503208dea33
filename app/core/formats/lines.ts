/** A physical line of a text file: its 1-based number and either its text or why it is unreadable. */
export type FileLine = { number: number; text: string } | { number: number; error: string };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines without ever holding more than one line (at most
 * `maxLineBytes`) in memory, so a file of any size streams at constant memory. Each line is
 * decoded as strict UTF-8; a line that is not, or that is too long, comes out as an error
 * and the stream goes on, so every bad line can be reported. A trailing `\r` and a leading
 * byte-order mark are dropped.
 */
export async function* splitLines(
  chunks: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
): AsyncGenerator<FileLine> {
  // Only the file's first line may start with a byte-order mark to drop; elsewhere it is text.
  const firstLineDecoder = new TextDecoder("utf-8", { fatal: true });
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let tooLong = false;
  let number = 0;

  const finish = (tail: Uint8Array): FileLine => {
    number++;
    if (tooLong || pendingBytes + tail.length > maxLineBytes) {
      return { number, error: `line is longer than ${formatBytes(maxLineBytes)}` };
    }
    let bytes = tail;
    if (pending.length) {
      bytes = new Uint8Array(pendingBytes + tail.length);
      let offset = 0;
      for (const part of pending) {
        bytes.set(part, offset);
        offset += part.length;
      }
      bytes.set(tail, offset);
    }
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    try {
      return { number, text: (number === 1 ? firstLineDecoder : decoder).decode(bytes.subarray(0, end)) };
    } catch {
      return { number, error: "not valid UTF-8 text" };
    }
  };

  for await (const chunk of chunks) {
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE, start); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      yield finish(chunk.subarray(start, nl));
      pending = [];
      pendingBytes = 0;
      tooLong = false;
      start = nl + 1;
    }
    const rest = chunk.subarray(start);
    if (rest.length === 0) continue;
    if (tooLong || pendingBytes + rest.length > maxLineBytes) {
      // Past the limit the line is only counted, never kept.
      tooLong = true;
      pending = [];
      pendingBytes = 0;
    } else {
      // Copy: the producer may reuse its buffer.
      pending.push(rest.slice());
      pendingBytes += rest.length;
    }
  }
  if (pendingBytes > 0 || tooLong) yield finish(new Uint8Array(0));
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KiB`;
  return `${bytes} bytes`;
}
