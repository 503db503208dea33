import { describe, expect, it } from "vitest";
import { formatBytes, splitLines, type FileLine } from "../../app/core/formats/lines";

const utf8 = (text: string) => new TextEncoder().encode(text);
const bytes = (...parts: Array<string | number[]>) => {
  const arrays = parts.map((p) => (typeof p === "string" ? utf8(p) : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
};

async function* fromChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

async function collect(chunks: Uint8Array[], maxLineBytes = 1024): Promise<FileLine[]> {
  const lines: FileLine[] = [];
  for await (const line of splitLines(fromChunks(chunks), maxLineBytes)) lines.push(line);
  return lines;
}

describe("splitLines", () => {
  it("splits on LF and numbers lines from 1", async () => {
    expect(await collect([utf8("a\nb\nc\n")])).toEqual([
      { number: 1, text: "a" },
      { number: 2, text: "b" },
      { number: 3, text: "c" },
    ]);
  });

  it("drops the \\r of CRLF line ends but keeps a \\r inside a line", async () => {
    expect(await collect([utf8("a\r\nb\rc\r\nd\r\r\n")])).toEqual([
      { number: 1, text: "a" },
      { number: 2, text: "b\rc" },
      { number: 3, text: "d\r" },
    ]);
  });

  it("emits a final line without a newline", async () => {
    expect(await collect([utf8("a\nlast")])).toEqual([
      { number: 1, text: "a" },
      { number: 2, text: "last" },
    ]);
    expect(await collect([utf8("a\r\nlast\r")])).toEqual([
      { number: 1, text: "a" },
      { number: 2, text: "last" },
    ]);
  });

  it("emits nothing for an empty stream and no extra line after a final newline", async () => {
    expect(await collect([])).toEqual([]);
    expect(await collect([new Uint8Array(0), new Uint8Array(0)])).toEqual([]);
    expect(await collect([utf8("\n")])).toEqual([{ number: 1, text: "" }]);
  });

  it("keeps blank lines so later line numbers stay right", async () => {
    expect(await collect([utf8("a\n\n\r\n\nb\n")])).toEqual([
      { number: 1, text: "a" },
      { number: 2, text: "" },
      { number: 3, text: "" },
      { number: 4, text: "" },
      { number: 5, text: "b" },
    ]);
  });

  describe("lines split across chunks", () => {
    const input = utf8('{"a":1}\r\n\n{"b":"é€😀"}\nlast');
    const expected: FileLine[] = [
      { number: 1, text: '{"a":1}' },
      { number: 2, text: "" },
      { number: 3, text: '{"b":"é€😀"}' },
      { number: 4, text: "last" },
    ];

    it("gives the same lines for a split at every byte position", async () => {
      for (let i = 0; i <= input.length; i++) {
        const lines = await collect([input.slice(0, i), input.slice(i)]);
        expect(lines, `split at ${i}`).toEqual(expected);
      }
    });

    it("gives the same lines for two splits at every pair of positions", async () => {
      for (let i = 0; i <= input.length; i++) {
        for (let j = i; j <= input.length; j++) {
          const lines = await collect([input.slice(0, i), input.slice(i, j), input.slice(j)]);
          expect(lines, `split at ${i} and ${j}`).toEqual(expected);
        }
      }
    });

    it("gives the same lines when every byte is its own chunk", async () => {
      const chunks = Array.from(input, (b) => Uint8Array.of(b));
      expect(await collect(chunks)).toEqual(expected);
    });

    it("joins a multi-byte character split across chunks", async () => {
      // "😀" is F0 9F 98 80; "é" is C3 A9.
      expect(await collect([bytes([0xf0, 0x9f]), bytes([0x98, 0x80, 0x0a])])).toEqual([{ number: 1, text: "😀" }]);
      expect(await collect([bytes([0xf0]), bytes([0x9f, 0x98]), bytes([0x80])])).toEqual([{ number: 1, text: "😀" }]);
      expect(await collect([bytes("caf", [0xc3]), bytes([0xa9], "\n")])).toEqual([{ number: 1, text: "café" }]);
    });

    it("copies bytes it keeps, so a producer may reuse its buffer", async () => {
      const buffer = new Uint8Array(4);
      async function* reusing(): AsyncGenerator<Uint8Array> {
        for (const part of ["ab", "cd\nx", "yz"]) {
          buffer.fill(0x3f);
          buffer.set(utf8(part));
          yield buffer.subarray(0, part.length);
        }
      }
      const lines: FileLine[] = [];
      for await (const line of splitLines(reusing(), 100)) lines.push(line);
      expect(lines).toEqual([
        { number: 1, text: "abcd" },
        { number: 2, text: "xyz" },
      ]);
    });
  });

  describe("byte-order mark", () => {
    it("drops a BOM at the start of line 1", async () => {
      expect(await collect([bytes([0xef, 0xbb, 0xbf], '{"id":1}\nb\n')])).toEqual([
        { number: 1, text: '{"id":1}' },
        { number: 2, text: "b" },
      ]);
    });

    it("drops a BOM split across chunks", async () => {
      expect(await collect([bytes([0xef]), bytes([0xbb]), bytes([0xbf], "x")])).toEqual([{ number: 1, text: "x" }]);
    });

    it("keeps a U+FEFF at the start of a later line: only the file may start with a BOM", async () => {
      expect(await collect([bytes("a\n", [0xef, 0xbb, 0xbf], "b\n")])).toEqual([
        { number: 1, text: "a" },
        { number: 2, text: "\uFEFFb" },
      ]);
    });

    it("keeps a U+FEFF that is not at the start of a line", async () => {
      expect(await collect([bytes("a", [0xef, 0xbb, 0xbf], "b\n")])).toEqual([{ number: 1, text: "a\uFEFFb" }]);
    });
  });

  describe("invalid UTF-8", () => {
    it("reports the bad line and goes on with the next ones", async () => {
      expect(await collect([bytes("ok\n", [0xff, 0x61], "\nnext\n")])).toEqual([
        { number: 1, text: "ok" },
        { number: 2, error: "not valid UTF-8 text" },
        { number: 3, text: "next" },
      ]);
    });

    it("reports a truncated multi-byte sequence at the end of a line", async () => {
      expect(await collect([bytes("a", [0xe2, 0x82], "\nb")])).toEqual([
        { number: 1, error: "not valid UTF-8 text" },
        { number: 2, text: "b" },
      ]);
    });

    it("reports overlong encodings and encoded surrogates", async () => {
      expect(await collect([bytes([0xc0, 0xaf], "\n", [0xed, 0xa0, 0x80], "\nfine")])).toEqual([
        { number: 1, error: "not valid UTF-8 text" },
        { number: 2, error: "not valid UTF-8 text" },
        { number: 3, text: "fine" },
      ]);
    });

    it("reports a bad final line without a newline", async () => {
      expect(await collect([bytes("a\n", [0x80])])).toEqual([
        { number: 1, text: "a" },
        { number: 2, error: "not valid UTF-8 text" },
      ]);
    });
  });

  describe("maxLineBytes", () => {
    it("keeps a line of exactly maxLineBytes and rejects one byte more", async () => {
      expect(await collect([utf8("12345\n123456\nabc\n")], 5)).toEqual([
        { number: 1, text: "12345" },
        { number: 2, error: "line is longer than 5 bytes" },
        { number: 3, text: "abc" },
      ]);
    });

    it("counts bytes, not characters", async () => {
      // "éé" is 4 bytes, "ééé" is 6.
      expect(await collect([utf8("éé\nééé\n")], 5)).toEqual([
        { number: 1, text: "éé" },
        { number: 2, error: "line is longer than 5 bytes" },
      ]);
    });

    it("rejects a long line spread over chunks and the next line is fine", async () => {
      expect(await collect([utf8("12"), utf8("3456"), utf8("78"), utf8("9\nabc\n")], 5)).toEqual([
        { number: 1, error: "line is longer than 5 bytes" },
        { number: 2, text: "abc" },
      ]);
    });

    it("keeps a line of exactly maxLineBytes spread over chunks", async () => {
      expect(await collect([utf8("12"), utf8("345"), utf8("\n")], 5)).toEqual([{ number: 1, text: "12345" }]);
    });

    it("does not let the kept start of a long line leak into the next line", async () => {
      // The long line's first bytes fit in the limit; they must not be glued onto "ok".
      expect(await collect([utf8("abc"), utf8("defgh"), utf8("ij\nok")], 5)).toEqual([
        { number: 1, error: "line is longer than 5 bytes" },
        { number: 2, text: "ok" },
      ]);
    });

    it("rejects a long final line without a newline", async () => {
      expect(await collect([utf8("abc\n1234"), utf8("567")], 5)).toEqual([
        { number: 1, text: "abc" },
        { number: 2, error: "line is longer than 5 bytes" },
      ]);
    });

    it("rejects every long line, not only the first", async () => {
      expect(await collect([utf8("aaaaaaa\nbb\ncccccccc\n")], 4)).toEqual([
        { number: 1, error: "line is longer than 4 bytes" },
        { number: 2, text: "bb" },
        { number: 3, error: "line is longer than 4 bytes" },
      ]);
    });

    it("names the limit in KiB or MiB", async () => {
      const long = utf8("x".repeat(2049) + "\n");
      expect(await collect([long], 2048)).toEqual([{ number: 1, error: "line is longer than 2 KiB" }]);
    });
  });
});

describe("formatBytes", () => {
  it("formats bytes, KiB and MiB with at most one decimal", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(10)).toBe("10 bytes");
    expect(formatBytes(1023)).toBe("1023 bytes");
    expect(formatBytes(1024)).toBe("1 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(1100)).toBe("1.1 KiB");
    expect(formatBytes(1024 * 1024)).toBe("1 MiB");
    expect(formatBytes(1.5 * 1024 * 1024)).toBe("1.5 MiB");
    expect(formatBytes(16 * 1024 * 1024)).toBe("16 MiB");
  });
});
