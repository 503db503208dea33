import { describe, expect, it } from "vitest";
import { parseFlatRow } from "../../app/core/formats/flat";
import { parseNativeLine } from "../../app/core/formats/native";
import { contextFromCell, contextSchema, MAX_CONTEXT_DOCUMENTS, MAX_CONTEXT_TEXT_CHARS, MAX_REFERENCE_CHARS, referenceSchema } from "../../app/core/formats/sources";
import { describeIssues } from "../../app/core/formats/import-unit";

const native = (extra: Record<string, unknown>) => parseNativeLine({ id: "p1", prompt: "Q?", responses: [{ id: "a", model: "m", text: "A" }], ...extra });
const flat = (extra: Record<string, unknown>) => parseFlatRow({ prompt_id: "p1", prompt: "Q?", model: "m", response: "A", ...extra });
const errors = (result: ReturnType<typeof parseNativeLine>) => (result.ok ? [] : result.errors);

describe("native sources of truth", () => {
  it("reads a reference and context documents with titles", () => {
    const result = native({ reference: "The answer.", context: [{ title: "Doc", text: "Body" }] });
    expect(result.ok && { reference: result.unit.reference, context: result.unit.context }).toEqual({
      reference: "The answer.",
      context: [{ title: "Doc", text: "Body" }],
    });
  });

  it("titles bare strings, and objects without a title, Document 1, Document 2, … by place", () => {
    const result = native({ context: ["one", { title: "Second", text: "two" }, { text: "three" }] });
    expect(result.ok && result.unit.context).toEqual([
      { title: "Document 1", text: "one" },
      { title: "Second", text: "two" },
      { title: "Document 3", text: "three" },
    ]);
  });

  it("keeps markup verbatim: it is data, escaped where it is shown", () => {
    const result = native({ reference: "<b>x</b>", context: ["<script>alert(1)</script>"] });
    expect(result.ok && result.unit.context?.[0]?.text).toBe("<script>alert(1)</script>");
    expect(result.ok && result.unit.reference).toBe("<b>x</b>");
  });

  it("gives a unit without the keys when the line has none, or empty or null ones", () => {
    for (const extra of [{}, { reference: "", context: [] }, { reference: null, context: null }]) {
      const result = native(extra);
      expect(result.ok).toBe(true);
      expect(result.ok && "reference" in result.unit).toBe(false);
      expect(result.ok && "context" in result.unit).toBe(false);
    }
  });

  it("refuses a document without text, with the element's path", () => {
    expect(errors(native({ context: [{ title: "T" }] }))).toEqual(["context.0.text: required"]);
  });

  it("refuses every bad element at once, each by its index", () => {
    expect(errors(native({ context: ["fine", 7, { text: "" }, { title: "T", content: "c" }, "", { title: 4, text: "t" }] }))).toEqual([
      'context.1: expected a string or an object {"title", "text"}',
      "context.2.text: must not be empty",
      "context.3.text: required",
      'context.3: unknown key "content" (a document has "title" and "text")',
      "context.4: must not be empty",
      "context.5.title: expected a string",
    ]);
  });

  it("refuses a context that is not a list and a reference that is not text", () => {
    expect(errors(native({ context: "text", reference: 42 }))).toEqual([
      "reference: expected a string",
      'context: expected a list of documents (strings or {"title", "text"} objects)',
    ]);
  });

  it("holds the limits: a reference of 100,000 characters, 20 documents of 100,000 each", () => {
    const atLimit = native({ reference: "r".repeat(MAX_REFERENCE_CHARS), context: Array.from({ length: MAX_CONTEXT_DOCUMENTS }, () => "t".repeat(MAX_CONTEXT_TEXT_CHARS)) });
    expect(atLimit.ok).toBe(true);
    expect(errors(native({ reference: "r".repeat(MAX_REFERENCE_CHARS + 1) }))).toEqual(["reference: at most 100,000 characters"]);
    expect(errors(native({ context: Array.from({ length: MAX_CONTEXT_DOCUMENTS + 1 }, () => "d") }))).toEqual(["context: at most 20 documents, got 21"]);
    expect(errors(native({ context: [{ text: "t".repeat(MAX_CONTEXT_TEXT_CHARS + 1) }] }))).toEqual(["context.0.text: at most 100,000 characters"]);
    expect(errors(native({ context: ["t".repeat(MAX_CONTEXT_TEXT_CHARS + 1)] }))).toEqual(["context.0: at most 100,000 characters"]);
  });
});

describe("flat sources of truth", () => {
  it("reads a reference column and a context column holding a JSON list", () => {
    const result = flat({ reference: "Four.", context: '[{"title": "Math", "text": "2+2=4"}, "bare"]' });
    expect(result.ok && { reference: result.unit.reference, context: result.unit.context }).toEqual({
      reference: "Four.",
      context: [
        { title: "Math", text: "2+2=4" },
        { title: "Document 2", text: "bare" },
      ],
    });
  });

  it("reads a plain-text context cell as one document titled Context", () => {
    const result = flat({ context: "Some notes, with a comma\nand a line" });
    expect(result.ok && result.unit.context).toEqual([{ title: "Context", text: "Some notes, with a comma\nand a line" }]);
  });

  it("reads a cell that starts with [ but is not JSON as plain text", () => {
    expect(flat({ context: "[1] Smith et al." }).ok && (flat({ context: "[1] Smith et al." }) as { unit: { context: unknown } }).unit.context).toEqual([
      { title: "Context", text: "[1] Smith et al." },
    ]);
  });

  it("takes a list itself in a JSONL row", () => {
    const result = flat({ context: [{ text: "t" }] });
    expect(result.ok && result.unit.context).toEqual([{ title: "Document 1", text: "t" }]);
  });

  it("treats blank cells as not given, and keeps the columns out of the response's metadata", () => {
    const result = flat({ reference: "", context: "", lang: "en" });
    expect(result.ok).toBe(true);
    expect(result.ok && "reference" in result.unit).toBe(false);
    expect(result.ok && "context" in result.unit).toBe(false);
    expect(result.ok && result.unit.responses[0]!.metadata).toEqual({ lang: "en" });
    const given = flat({ reference: "r", context: "c" });
    expect(given.ok && given.unit.responses[0]!.metadata).toEqual({});
  });

  it("refuses a bad JSON list with the element's path", () => {
    const result = flat({ context: '[{"title": "T"}]' });
    expect(result.ok ? [] : result.errors).toEqual(["context.0.text: required"]);
    const long = flat({ reference: "r".repeat(MAX_REFERENCE_CHARS + 1) });
    expect(long.ok ? [] : long.errors).toEqual(["reference: at most 100,000 characters"]);
  });
});

describe("the shared schemas", () => {
  it("contextFromCell leaves blank cells undefined", () => {
    expect(contextFromCell("")).toBeUndefined();
    expect(contextFromCell("   ")).toBeUndefined();
    expect(contextFromCell(' ["a"]')).toEqual(["a"]);
    expect(contextFromCell('{"title": "T", "text": "x"}')).toEqual([{ title: "Context", text: '{"title": "T", "text": "x"}' }]);
  });

  it("referenceSchema and contextSchema map empty values to null", () => {
    expect(referenceSchema.parse("")).toBeNull();
    expect(referenceSchema.parse(null)).toBeNull();
    expect(contextSchema.parse([])).toBeNull();
    expect(contextSchema.parse(null)).toBeNull();
    const bad = contextSchema.safeParse([{}]);
    expect(bad.success ? [] : describeIssues(bad.error)).toEqual(["0.text: required"]);
  });
});
