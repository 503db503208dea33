import type { ChatMessage } from "../formats/messages";

/** The sampling parameters sent with every request of a job; absent ones are left to the server. */
export interface SamplingParams {
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  /** The job's seed; sample i is sent seed + i, so n samples of one prompt are not n copies. */
  seed?: number;
}

/** A response's external id: the label and the sample index, unique per prompt (responses_prompt_external_idx). */
export function sampleExternalId(label: string, index: number): string {
  return `${label}#${index}`;
}

/** The seed sent for sample `index`, or undefined when the job has none. */
export function sampleSeed(params: SamplingParams, index: number): number | undefined {
  return params.seed === undefined ? undefined : params.seed + index;
}

/**
 * The prompt's messages as sent: a system prompt given for the job replaces the prompt's own
 * system messages (two system messages confuse most chat templates) and comes first.
 */
export function requestMessages(messages: readonly ChatMessage[], systemPrompt?: string): ChatMessage[] {
  if (systemPrompt === undefined) return [...messages];
  return [{ role: "system", content: systemPrompt }, ...messages.filter((m) => m.role !== "system")];
}

/** The JSON body of POST /chat/completions for one sample. */
export function chatRequestBody(
  model: string,
  messages: readonly ChatMessage[],
  params: SamplingParams,
  index: number,
  systemPrompt?: string,
): Record<string, unknown> {
  const seed = sampleSeed(params, index);
  return {
    model,
    messages: requestMessages(messages, systemPrompt),
    ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
    ...(params.top_p === undefined ? {} : { top_p: params.top_p }),
    ...(params.max_tokens === undefined ? {} : { max_tokens: params.max_tokens }),
    ...(seed === undefined ? {} : { seed }),
    n: 1,
    stream: false,
  };
}

/** `URL/chat/completions` for the API base URL (`http://host:8000/v1`, with or without a trailing slash). */
export function chatCompletionsUrl(base: string): string {
  return `${base.replace(/\/+$/, "")}/chat/completions`;
}

/** The endpoint as it may be shown or stored: without user:password@, query or fragment (where keys hide). */
export function displayEndpoint(base: string): string {
  try {
    const url = new URL(base);
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.toString().replace(/\/+$/, "");
  } catch {
    return "(invalid URL)";
  }
}

/** Replaces every occurrence of the secret in text (error bodies may echo the Authorization header). */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join("[redacted]");
}

/**
 * Whether a server environment variable may be named, from a browser form, as the key of an
 * endpoint: its value is sent as a bearer token to the URL the same form names, so only
 * variables meant as endpoint keys qualify (names ending in `_KEY`, not Verdict's own
 * `VERDICT_…`); anything else could carry a secret of the server to a host of the admin's
 * choosing. Null when it may, else the reason. The CLI reads any variable: its user has the shell.
 */
export function browserKeyVariableProblem(name: string): string | null {
  if (!/_KEY$/.test(name) || /^VERDICT_/i.test(name)) return "only a variable whose name ends in _KEY (not VERDICT_…), such as OPENAI_API_KEY";
  return null;
}
