import { z } from "zod";
import { browserKeyVariableProblem } from "../sampling/request";
import { tokenUsage } from "../sampling/response";

/**
 * Arena batches (README: Arena batches): the reviewer writes a prompt, two of the batch's
 * endpoints answer it anonymously, the reviewer judges them on the batch's pairwise scale.
 * Pure parts: the endpoint list's schema, which two endpoints battle, and reading an
 * OpenAI-compatible streamed answer (server-sent events).
 */

const quoted = (value: unknown) => JSON.stringify(value) ?? String(value);

const urlSchema = z
  .string({ error: "the endpoint URL is required" })
  .trim()
  .refine((value) => URL.canParse(value) && ["http:", "https:"].includes(new URL(value).protocol), {
    error: (issue) => `${quoted(issue.input)} must be an http:// or https:// URL, the API's base such as http://host:8000/v1`,
  })
  // A URL is stored and shown to admins: credentials belong in the environment (api_key_env).
  .refine((value) => !URL.canParse(value) || (!new URL(value).username && !new URL(value).password), "must not hold a user or password; name the key's environment variable in api_key_env");

export const arenaEndpointSchema = z.object({
  /** The name the reviewer sees after the vote and the responses' `model` in the dataset. */
  label: z
    .string({ error: "a label is required" })
    .trim()
    .min(1, "a label is required")
    .max(100, { error: (issue) => `label ${quoted(issue.input)} is longer than 100 characters` }),
  url: urlSchema,
  model: z.string({ error: "the model is required" }).trim().min(1, "the model is required"),
  /** Only the variable's name: the key is read from the server's environment when a battle starts, never stored. */
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: (issue) => `${quoted(issue.input)} is not an environment variable name`, abort: true })
    .superRefine((name, ctx) => {
      const problem = browserKeyVariableProblem(name);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .optional(),
  temperature: z.number({ error: (issue) => `${quoted(issue.input)} is not a number` }).min(0, "0 to 2").max(2, "0 to 2").optional(),
  max_tokens: z.number({ error: (issue) => `${quoted(issue.input)} is not a number` }).int("must be a whole number").min(1, "at least 1").optional(),
});
export type ArenaEndpoint = z.infer<typeof arenaEndpointSchema>;

export const arenaConfigSchema = z
  .object({
    endpoints: z
      .array(arenaEndpointSchema, { error: "a list of endpoints is required" })
      .min(2, { error: (issue) => `an arena needs at least two endpoints, got ${Array.isArray(issue.input) ? issue.input.length : 0}` })
      .max(20, { error: (issue) => `${Array.isArray(issue.input) ? issue.input.length : 0} endpoints are more than 20` }),
  })
  .superRefine((c, ctx) => {
    const labels = c.endpoints.map((e) => e.label);
    labels.forEach((label, i) => {
      if (labels.indexOf(label) < i) ctx.addIssue({ code: "custom", path: ["endpoints", i, "label"], message: `label ${quoted(label)} is used twice` });
    });
  });
export type ArenaConfig = z.infer<typeof arenaConfigSchema>;

/** The key of an unordered pair of labels in battle counts. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

/**
 * Which two endpoints battle and which is shown as A: the pair with the fewest battles so far
 * (so every pair gets judged about as often), ties drawn uniformly, then a coin for the sides.
 * `random` is [0, 1); the server passes a secure one, since knowing the draw would unblind.
 */
export function chooseBattle(labels: readonly string[], battles: ReadonlyMap<string, number>, random: () => number): { a: number; b: number } {
  if (labels.length < 2) throw new Error("an arena needs at least two endpoints");
  let fewest = Infinity;
  let candidates: Array<[number, number]> = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const n = battles.get(pairKey(labels[i]!, labels[j]!)) ?? 0;
      if (n < fewest) {
        fewest = n;
        candidates = [];
      }
      if (n === fewest) candidates.push([i, j]);
    }
  }
  const [i, j] = candidates[Math.min(candidates.length - 1, Math.floor(random() * candidates.length))]!;
  return random() < 0.5 ? { a: i, b: j } : { a: j, b: i };
}

/** The JSON body of a streamed chat completion for an arena prompt. */
export function arenaRequestBody(endpoint: ArenaEndpoint, prompt: string): Record<string, unknown> {
  return {
    model: endpoint.model,
    messages: [{ role: "user", content: prompt }],
    ...(endpoint.temperature === undefined ? {} : { temperature: endpoint.temperature }),
    ...(endpoint.max_tokens === undefined ? {} : { max_tokens: endpoint.max_tokens }),
    n: 1,
    stream: true,
    stream_options: { include_usage: true },
  };
}

/** What one `data:` line of a streamed completion adds. */
export interface StreamChunk {
  delta: string;
  finishReason: string | null;
  usage: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
}

const chunkSchema = z
  .object({
    choices: z
      .array(z.object({ delta: z.object({ content: z.string().nullable().optional() }).loose().optional(), finish_reason: z.string().nullable().optional() }).loose())
      .optional(),
    usage: z.object({ prompt_tokens: z.number().optional(), completion_tokens: z.number().optional(), total_tokens: z.number().optional() }).loose().nullable().optional(),
  })
  .loose();

/** One event's data as a chunk; "done" for `[DONE]`; null when it is not a completion chunk. */
export function parseStreamData(data: string): StreamChunk | "done" | null {
  if (data.trim() === "[DONE]") return "done";
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = chunkSchema.safeParse(json);
  if (!parsed.success) return null;
  const choice = parsed.data.choices?.[0];
  const usage = parsed.data.usage;
  return {
    delta: choice?.delta?.content ?? "",
    finishReason: choice?.finish_reason ?? null,
    usage: tokenUsage(usage),
  };
}

/**
 * Splits server-sent events as they arrive in arbitrary pieces: feed it text, get the `data`
 * of each complete event (multi-line data joined with "\n", comments and other fields ignored).
 */
export function sseReader(): { push(text: string): string[]; end(): string[] } {
  let buffer = "";
  let data: string[] = [];
  const lines = (final: boolean): string[] => {
    const out: string[] = [];
    const parts = buffer.split(/\r\n|\r|\n/);
    buffer = final ? "" : parts.pop()!;
    for (const line of parts) {
      if (line === "") {
        if (data.length) out.push(data.join("\n"));
        data = [];
      } else if (line.startsWith("data:")) data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
    }
    if (final && data.length) {
      out.push(data.join("\n"));
      data = [];
    }
    return out;
  };
  return { push: (text) => ((buffer += text), lines(false)), end: () => lines(true) };
}
