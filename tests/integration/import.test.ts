import { createReadStream, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { gzipSync, gunzipSync } from "node:zlib";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { FIXTURES, HH_SPLIT, hasHhSplit, setUpTempDatabase } from "./helpers";

const { dir } = setUpTempDatabase({ VERDICT_MAX_LINE_MB: "1", VERDICT_MAX_UPLOAD_MB: "2" });

const { importFile, importUpload, ImportRejected } = await import("~/services/imports.server");
const { connection, closeConnection } = await import("~/services/database.server");
const { ServiceError } = await import("~/services/errors.server");
const { renderTranscript } = await import("~/core/formats/hh-transcript");

afterAll(() => closeConnection());

const sqlite = () => connection().sqlite;
const count = (table: string) => (sqlite().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

function wipe() {
  sqlite().exec("DELETE FROM preference_pairs; DELETE FROM responses; DELETE FROM prompts; DELETE FROM datasets;");
}

function write(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** The error an import rejects with, so assertions can read its lines. */
async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof ImportRejected>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImportRejected);
  return error as InstanceType<typeof ImportRejected>;
}

function promptsOf(dataset: string) {
  return sqlite()
    .prepare(
      `SELECT p.id, p.external_id, p.messages, p.metadata FROM prompts p JOIN datasets d ON d.id = p.dataset_id
       WHERE d.name = ? ORDER BY p.rowid`,
    )
    .all(dataset) as Array<{ id: string; external_id: string; messages: string; metadata: string }>;
}

function responsesOf(promptId: string) {
  return sqlite()
    .prepare("SELECT id, external_id, model, text, params, metadata FROM responses WHERE prompt_id = ? ORDER BY rowid")
    .all(promptId) as Array<{ id: string; external_id: string; model: string; text: string; params: string; metadata: string }>;
}

beforeEach(() => wipe());

describe("native JSONL", () => {
  it("imports prompts with their responses, ids, params and metadata", async () => {
    const summary = await importFile(join(FIXTURES, "native.jsonl"), { dataset: "native" });
    expect(summary).toEqual({ dataset: "native", format: "native", prompts: 3, responses: 4, pairs: 0 });
    const prompts = promptsOf("native");
    expect(prompts.map((p) => p.external_id)).toEqual(["n1", "2", "n3"]);
    expect(JSON.parse(prompts[0]!.messages)).toEqual([
      { role: "system", content: "Be brief." },
      { role: "user", content: "Name a prime number." },
    ]);
    expect(JSON.parse(prompts[0]!.metadata)).toEqual({ topic: "math" });
    const responses = responsesOf(prompts[0]!.id);
    expect(responses.map((r) => [r.external_id, r.model, r.text])).toEqual([
      ["r1", "m-a", "7"],
      ["m-b", "m-b", "Two is prime."],
      ["m-b#2", "m-b", "13"],
    ]);
    expect(JSON.parse(responses[0]!.params)).toEqual({ temperature: 0.2, seed: 1 });
    // A prompt without responses waits to be sampled later.
    expect(responsesOf(prompts[2]!.id)).toEqual([]);
    // Untrusted text is stored as given; rendering keeps it inert.
    expect(responsesOf(prompts[1]!.id)[0]!.text).toBe("<img src=x onerror=alert(1)> hi");
  });

  it("reads gzip files directly, whatever their name", async () => {
    const gz = write("native-compressed.data", gzipSync(readFileSync(join(FIXTURES, "native.jsonl"))));
    const summary = await importFile(gz, { dataset: "gz" });
    expect(summary).toMatchObject({ format: "native", prompts: 3, responses: 4 });
  });

  it("records the dataset with its source file and format", async () => {
    await importFile(join(FIXTURES, "native.jsonl"), { dataset: "with-source", description: "from a test" });
    const row = sqlite().prepare("SELECT name, description, source FROM datasets").get();
    expect(row).toEqual({ name: "with-source", description: "from a test", source: "native.jsonl · native" });
  });
});

describe("flat rows", () => {
  it("groups JSONL rows by prompt_id and keeps extra columns as response metadata", async () => {
    const summary = await importFile(join(FIXTURES, "flat.jsonl"), { dataset: "flat" });
    expect(summary).toEqual({ dataset: "flat", format: "flat", prompts: 2, responses: 3, pairs: 0 });
    const [f1] = promptsOf("flat");
    const responses = responsesOf(f1!.id);
    expect(responses.map((r) => [r.external_id, r.text])).toEqual([
      ["m-a", "4"],
      ["m-b", "Four"],
    ]);
    expect(JSON.parse(responses[1]!.metadata)).toEqual({ latency_ms: 120 });
  });

  it("reads CSV with quoted multi-line cells, and tells two responses of a model apart by response_id", async () => {
    const summary = await importFile(join(FIXTURES, "flat.csv"), { dataset: "csv", format: "auto" });
    expect(summary).toEqual({ dataset: "csv", format: "flat", prompts: 2, responses: 3, pairs: 0 });
    const [c1] = promptsOf("csv");
    expect(JSON.parse(c1!.messages)).toEqual([{ role: "user", content: "Write a haiku, please" }]);
    expect(responsesOf(c1!.id).map((r) => [r.external_id, r.text])).toEqual([
      ["m-a", "Old pond\nfrog jumps in\nsplash"],
      ["take2", 'Second "take" here'],
    ]);
  });

  it("numbers a bad CSV record by the line it starts on, after multi-line cells", async () => {
    const path = write("late-error.csv", 'prompt_id,prompt,model,response\nc1,p,m,"one\ntwo\nthree"\n,p,m,r\n');
    const error = await rejection(importFile(path, { dataset: "late" }));
    expect(error.lines).toEqual(["line 5: prompt_id: must not be empty"]);
  });

  it("rejects a CSV without the required columns before reading rows", async () => {
    const path = write("no-columns.csv", "prompt_id,text\n1,hello\n");
    const error = await rejection(importFile(path, { dataset: "bad-csv" }));
    expect(error.lines).toEqual(["line 1: header: missing columns prompt, model, response"]);
  });

  it("rejects rows of one prompt_id that disagree on the prompt", async () => {
    const path = write(
      "flat-conflict.jsonl",
      [
        { prompt_id: "x", prompt: "one", model: "a", response: "r" },
        { prompt_id: "x", prompt: "two", model: "b", response: "r" },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n"),
    );
    const error = await rejection(importFile(path, { dataset: "conflict" }));
    expect(error.lines).toEqual(['line 2: prompt: differs from the prompt given for prompt_id "x" on an earlier line']);
    expect(count("datasets")).toBe(0);
  });

  it("rejects a second response of the same model without a response_id", async () => {
    const path = write(
      "flat-dup.jsonl",
      [
        { prompt_id: "x", prompt: "p", model: "a", response: "one" },
        { prompt_id: "x", prompt: "p", model: "a", response: "two" },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n"),
    );
    const error = await rejection(importFile(path, { dataset: "dup-model" }));
    expect(error.lines).toEqual([
      'line 2: response: prompt "x" already has a response "a" (add a response_id column to tell two responses of one model apart, or use --upsert)',
    ]);
  });
});

describe("preference formats", () => {
  it("imports TRL lines (explicit, chat and implicit prompts) as two responses and the dataset's own pair", async () => {
    const summary = await importFile(join(FIXTURES, "trl.jsonl"), { dataset: "trl" });
    expect(summary).toEqual({ dataset: "trl", format: "trl", prompts: 4, responses: 8, pairs: 4 });
    const prompts = promptsOf("trl");
    expect(prompts.map((p) => [p.external_id, JSON.parse(p.messages)])).toEqual([
      ["1", [{ role: "user", content: "The sky is" }]],
      ["2", [{ role: "user", content: "What color is the sky?" }]],
      ["3", [{ role: "user", content: "Hi" }]],
      ["4", [{ role: "user", content: "The sky is" }]],
    ]);
    expect(JSON.parse(prompts[1]!.metadata)).toEqual({ source: "synthetic" });
    const texts = prompts.map((p) => responsesOf(p.id).map((r) => [r.external_id, r.text]));
    expect(texts).toEqual([
      [["chosen", " blue."], ["rejected", " green."]],
      [["chosen", "It is blue."], ["rejected", "It is green."]],
      [["chosen", "Hello!"], ["rejected", "Go away."]],
      [["chosen", " blue."], ["rejected", " green."]],
    ]);
    const pairs = sqlite()
      .prepare(
        `SELECT c.external_id AS chosen, r.external_id AS rejected, pp.strength, pp.source, pp.judgment_id, pp.batch_id
         FROM preference_pairs pp JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id`,
      )
      .all();
    expect(pairs).toHaveLength(4);
    for (const pair of pairs) {
      expect(pair).toEqual({ chosen: "chosen", rejected: "rejected", strength: 1, source: "imported", judgment_id: null, batch_id: null });
    }
  });

  it("imports HH-RLHF transcripts so that conversation + continuation rebuild both transcripts exactly", async () => {
    const path = join(FIXTURES, "hh.jsonl");
    const summary = await importFile(path, { dataset: "hh", format: "hh-rlhf" });
    expect(summary).toEqual({ dataset: "hh", format: "hh-rlhf", prompts: 3, responses: 6, pairs: 3 });
    const originals = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { chosen: string; rejected: string });
    const prompts = promptsOf("hh");
    prompts.forEach((prompt, i) => {
      const [chosen, rejected] = responsesOf(prompt.id);
      const prefix = renderTranscript(JSON.parse(prompt.messages)) + "\n\nAssistant: ";
      expect(prefix + chosen!.text).toBe(originals[i]!.chosen);
      expect(prefix + rejected!.text).toBe(originals[i]!.rejected);
    });
    // The third pair diverges at the first assistant turn: the whole different tails are the responses.
    expect(JSON.parse(prompts[2]!.messages)).toEqual([{ role: "user", content: "Help me bake bread." }]);
    expect(responsesOf(prompts[2]!.id)[1]!.text).toBe("I can't.\n\nHuman: Why?\n\nAssistant: I just can't.");
  });

  it.skipIf(!hasHhSplit)("imports the real HH-RLHF harmless-base test split losslessly", async () => {
    const summary = await importFile(HH_SPLIT, { dataset: "hh-real" });
    expect(summary).toEqual({ dataset: "hh-real", format: "hh-rlhf", prompts: 2312, responses: 4624, pairs: 2312 });
    const originals = gunzipSync(readFileSync(HH_SPLIT))
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { chosen: string; rejected: string });
    const rows = sqlite()
      .prepare(
        `SELECT p.external_id, p.messages, c.text AS chosen, r.text AS rejected
         FROM preference_pairs pp JOIN prompts p ON p.id = pp.prompt_id
         JOIN responses c ON c.id = pp.chosen_id JOIN responses r ON r.id = pp.rejected_id
         ORDER BY CAST(p.external_id AS INTEGER)`,
      )
      .all() as Array<{ external_id: string; messages: string; chosen: string; rejected: string }>;
    expect(rows).toHaveLength(2312);
    let mismatches = 0;
    for (const row of rows) {
      const original = originals[Number(row.external_id) - 1]!;
      const prefix = renderTranscript(JSON.parse(row.messages)) + "\n\nAssistant: ";
      if (prefix + row.chosen !== original.chosen || prefix + row.rejected !== original.rejected) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});

describe("all or nothing", () => {
  it("reports every bad line of a malformed file and writes nothing", async () => {
    const error = await rejection(importFile(join(FIXTURES, "malformed.jsonl"), { dataset: "malformed" }));
    expect(error.lines).toEqual([
      "line 2: json: Unexpected end of JSON input",
      "line 4: id: required",
      "line 5: responses.0.text: Invalid input: expected string, received number",
      'line 7: messages: expected exactly one of "messages" or "prompt"',
      'line 8: messages.0.role: Invalid option: expected one of "system"|"user"|"assistant"',
    ]);
    expect(error.count).toBe(5);
    expect(error.message).toBe("5 invalid lines; nothing was imported");
    expect(count("datasets") + count("prompts") + count("responses")).toBe(0);
  });

  it("lists the first 100 bad lines and counts the rest", async () => {
    const lines = Array.from({ length: 250 }, (_, i) => JSON.stringify({ id: `p${i}`, prompt: i }));
    const error = await rejection(importFile(write("many-bad.jsonl", lines.join("\n")), { dataset: "many" }));
    expect(error.count).toBe(250);
    expect(error.lines).toHaveLength(100);
    expect(error.lines[99]).toBe("line 100: prompt: Invalid input: expected string, received number");
  });

  it("rejects an empty file", async () => {
    const error = await rejection(importFile(join(FIXTURES, "empty.jsonl"), { dataset: "empty" }));
    expect(error.lines).toEqual(["line 1: file: the file is empty"]);
    const blank = await rejection(importFile(write("blank.jsonl", "\n  \n\n"), { dataset: "blank" }));
    expect(blank.lines).toEqual(["line 1: file: the file is empty"]);
  });

  it("reports a line longer than the limit without holding it, and goes on", async () => {
    const huge = JSON.stringify({ id: "huge", prompt: "x".repeat(1.5 * 1024 * 1024) });
    const path = write("huge.jsonl", [JSON.stringify({ id: "a", prompt: "ok" }), huge, JSON.stringify({ id: "b", prompt: 3 })].join("\n") + "\n");
    const error = await rejection(importFile(path, { dataset: "huge" }));
    expect(error.lines).toEqual(["line 2: line: line is longer than 1 MiB", "line 3: prompt: Invalid input: expected string, received number"]);
  });

  it("reports lines that are not UTF-8", async () => {
    const bad = Buffer.concat([
      Buffer.from('{"id":"a","prompt":"fine"}\n{"id":"b","prompt":"'),
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from('"}\n{"id":"c","prompt":"caf\u00e9"}\n', "utf8"),
    ]);
    const error = await rejection(importFile(write("latin.jsonl", bad), { dataset: "latin" }));
    expect(error.lines).toEqual(["line 2: line: not valid UTF-8 text"]);
    const csv = Buffer.concat([Buffer.from("prompt_id,prompt,model,response\n1,ok,m,fine\n2,"), Buffer.from([0xe9]), Buffer.from(",m,x\n")]);
    const csvError = await rejection(importFile(write("latin.csv", csv), { dataset: "latin-csv" }));
    expect(csvError.lines).toEqual(["line 3: line: not valid UTF-8 text"]);
  });

  it("rejects a corrupt gzip file with a clear message", async () => {
    const gz = gzipSync(Buffer.from('{"id":"a","prompt":"x"}\n'.repeat(1000)));
    const path = write("corrupt.jsonl.gz", gz.subarray(0, gz.length - 30));
    const error = await importFile(path, { dataset: "corrupt" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as Error).message).toMatch(/^file: not a readable gzip file/);
    expect(count("prompts")).toBe(0);
  });

  it("asks for a format when the first line fits none", async () => {
    const error = await rejection(importFile(write("unknown.jsonl", '{"question":"q","answer":"a"}\n'), { dataset: "unknown" }));
    expect(error.lines).toEqual(["line 1: format: cannot tell the format from this line (keys: question, answer); choose one of native, flat, trl, hh-rlhf"]);
  });

  it("rejects a CSV file for a JSON-only format", async () => {
    const error = await rejection(importFile(join(FIXTURES, "flat.csv"), { dataset: "x", format: "trl" }));
    expect(error.lines).toEqual(["line 1: file: expected JSONL for format trl (each line a JSON object)"]);
  });
});

describe("duplicates and --upsert", () => {
  it("rejects a prompt id that appears twice in one file", async () => {
    const path = write("dup.jsonl", ['{"id":"a","prompt":"one"}', '{"id":"b","prompt":"two"}', '{"id":"a","prompt":"three"}'].join("\n"));
    const error = await rejection(importFile(path, { dataset: "dup" }));
    expect(error.lines).toEqual(['line 3: id: prompt "a" already exists in dataset "dup" (use --upsert to replace it)']);
    expect(count("prompts")).toBe(0);
  });

  it("appends new prompts to an existing dataset but refuses ones it already has", async () => {
    await importFile(join(FIXTURES, "native.jsonl"), { dataset: "grow" });
    await importFile(write("more.jsonl", '{"id":"n4","prompt":"four"}\n'), { dataset: "grow" });
    expect(promptsOf("grow").map((p) => p.external_id)).toEqual(["n1", "2", "n3", "n4"]);
    const error = await rejection(importFile(write("again.jsonl", '{"id":"n5","prompt":"five"}\n{"id":"n1","prompt":"x"}\n'), { dataset: "grow" }));
    expect(error.lines).toEqual(['line 2: id: prompt "n1" already exists in dataset "grow" (use --upsert to replace it)']);
    // n5 came before the bad line, and is rolled back with it.
    expect(promptsOf("grow").map((p) => p.external_id)).toEqual(["n1", "2", "n3", "n4"]);
  });

  it("with upsert, replaces prompts and responses in place and re-points the imported pair", async () => {
    await importFile(join(FIXTURES, "trl.jsonl"), { dataset: "up" });
    const before = promptsOf("up")[0]!;
    const updated = write("trl-update.jsonl", JSON.stringify({ id: "1", prompt: "The sea is", chosen: " wet.", rejected: " dry." }) + "\n");
    const summary = await importFile(updated, { dataset: "up", upsert: true });
    expect(summary).toMatchObject({ prompts: 1, responses: 2, pairs: 1 });
    const after = promptsOf("up");
    expect(after).toHaveLength(4);
    expect(after[0]!.id).toBe(before.id);
    expect(JSON.parse(after[0]!.messages)).toEqual([{ role: "user", content: "The sea is" }]);
    expect(responsesOf(before.id).map((r) => r.text)).toEqual([" wet.", " dry."]);
    expect(count("responses")).toBe(8);
    expect(count("preference_pairs")).toBe(4);
  });
});

describe("browser uploads", () => {
  const body = (buffer: Buffer) => Readable.toWeb(Readable.from([buffer])) as ReadableStream<Uint8Array>;

  it("spools the body to disk, imports it and removes the spool", async () => {
    const progress: string[] = [];
    const summary = await importUpload(
      Readable.toWeb(createReadStream(join(FIXTURES, "native.jsonl"))) as ReadableStream<Uint8Array>,
      { dataset: "uploaded", fileName: "native.jsonl", declaredBytes: null },
      { onProgress: (p) => progress.push(p.phase) },
    );
    expect(summary).toMatchObject({ prompts: 3, responses: 4 });
    expect(progress[0]).toBe("upload");
    expect(progress.at(-1)).toBe("done");
    expect(readdirOrEmpty(join(dir, "uploads"))).toEqual([]);
  });

  it("refuses a body over the upload limit, whether declared or streamed, with 413", async () => {
    const declared = await importUpload(body(Buffer.from("{}")), { dataset: "big", fileName: "big.jsonl", declaredBytes: 3 * 1024 * 1024 }).catch((e: unknown) => e);
    expect(declared).toBeInstanceOf(ServiceError);
    expect((declared as InstanceType<typeof ServiceError>).status).toBe(413);
    const streamed = await importUpload(body(Buffer.alloc(3 * 1024 * 1024, 0x20)), { dataset: "big", fileName: "big.jsonl", declaredBytes: null }).catch((e: unknown) => e);
    expect((streamed as InstanceType<typeof ServiceError>).status).toBe(413);
    expect((streamed as Error).message).toBe("the file is larger than the upload limit of 2 MiB (VERDICT_MAX_UPLOAD_MB)");
    expect(count("datasets")).toBe(0);
    expect(readdirOrEmpty(join(dir, "uploads"))).toEqual([]);
  });
});

function readdirOrEmpty(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}
