/**
 * Deterministic synthetic prompts and responses for the benchmarks. The same seed gives the
 * same text in every run and in every process, so the file the import reads and the rows
 * the raw baseline inserts are identical, and runs on different days are comparable.
 */

import { seededRandom } from "../../app/core/agreement/sampling";

// The core's Mulberry32 (unit-tested there), not a copy of it: the workers keep importing it from here.
export { seededRandom } from "../../app/core/agreement/sampling";

const WORDS = (
  "the a an of to and in is it that for on with as was this be by are or at from not have " +
  "model response prompt answer question reason because however therefore example result value " +
  "function data system user assistant training feedback human label review quality helpful " +
  "honest harmless accurate concise detailed explain describe compare consider suggest approach " +
  "step first second third finally next also often usually sometimes rarely never always " +
  "python javascript database query index table column row schema memory cache latency request " +
  "history science physics chemistry biology language grammar sentence paragraph essay summary " +
  "recipe kitchen garden travel city river mountain weather season winter summer morning evening " +
  "café naïve résumé façade — “quoted” déjà-vu 東京 ünïcödé " +
  "should could would might must can will may please thanks sure certainly indeed perhaps"
).split(" ");

const SENTENCE_POOL = 4096;

/** A pool of sentences to draw from, so producing text costs little more than concatenation. */
function sentences(random: () => number): string[] {
  const pool: string[] = [];
  for (let s = 0; s < SENTENCE_POOL; s++) {
    const count = 6 + Math.floor(random() * 16);
    const words: string[] = [];
    for (let w = 0; w < count; w++) words.push(WORDS[Math.floor(random() * WORDS.length)]!);
    const first = words[0]!;
    words[0] = first.charAt(0).toUpperCase() + first.slice(1);
    const end = random();
    pool.push(words.join(" ") + (end < 0.8 ? "." : end < 0.9 ? "?" : "!"));
  }
  return pool;
}

export interface BenchPrompt {
  externalId: string;
  content: string;
  responses: Array<{ model: string; text: string }>;
}

export const MODELS = ["model-a", "model-b"] as const;
export const PARAMS = { temperature: 0.7 } as const;
export const DEFAULT_SEED = 20240601;

/**
 * Yields prompt 0, 1, 2, … in order: a user message of 200–400 characters and one response
 * per model of 500–1500 characters, with paragraph breaks.
 */
export function* benchPrompts(count: number, seed = DEFAULT_SEED): Generator<BenchPrompt> {
  const random = seededRandom(seed);
  const pool = sentences(random);
  const text = (min: number, max: number, paragraphs: boolean): string => {
    const target = min + Math.floor(random() * (max - min));
    let out = "";
    while (out.length < target) {
      if (out.length > 0) out += paragraphs && random() < 0.2 ? "\n\n" : " ";
      out += pool[Math.floor(random() * pool.length)]!;
    }
    return out.length > max ? out.slice(0, max) : out;
  };
  for (let i = 0; i < count; i++) {
    yield {
      externalId: `p${i}`,
      content: text(200, 400, false),
      responses: MODELS.map((model) => ({ model, text: text(500, 1500, true) })),
    };
  }
}

/** The native JSONL line of one prompt (responses without ids: the model names become them). */
export function nativeLine(prompt: BenchPrompt): string {
  return JSON.stringify({
    id: prompt.externalId,
    messages: [{ role: "user", content: prompt.content }],
    responses: prompt.responses.map((r) => ({ model: r.model, text: r.text, params: PARAMS })),
  });
}
