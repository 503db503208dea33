/**
 * The prompt an LLM judge is sent (issue 13): a template with `{{placeholders}}` filled from the
 * batch (its task, guidelines, rubric, flags) and the item (the conversation, the responses
 * labelled A, B, C…, the prompt's sources of truth). Pure: no I/O.
 *
 * Two templates are built in. `default` asks for a JSON answer in the batch's own task, which
 * {@link parseJudgeAnswer} reads; `mt-bench` is MT-Bench's pairwise prompt (Zheng et al. 2023,
 * fig. 5) ending in `[[A]]`, `[[B]]` or `[[C]]`. A template of one's own may use any of
 * {@link PLACEHOLDERS}; an unknown one is refused, so a typo does not silently send "{{refrence}}".
 */
import type { ChatMessage } from "../formats/messages";
import type { Aspect } from "../tasks/config";
import { responseLabels, type JudgeTask } from "./parse";

export const PLACEHOLDERS = ["task", "guidelines", "rubric", "flags", "conversation", "question", "responses", "reference", "context", "answer_format"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** A document a prompt's responses should be grounded in (the import's `context` key). */
export interface ContextDocument {
  title: string;
  text: string;
}

export interface JudgePromptInput {
  task: JudgeTask;
  guidelines: string;
  aspects: readonly Aspect[];
  overallAspect: string;
  flags: readonly string[];
  /** 3-point scales have strength 1 only. */
  maxStrength: 1 | 3;
  messages: readonly ChatMessage[];
  /** The responses' texts in the order shown, labelled A, B, C… */
  responses: readonly string[];
  reference: string | null;
  context: readonly ContextDocument[] | null;
}

const DEFAULT_TEMPLATE = `You are a careful, impartial judge of AI assistant responses. {{task}}

Do not let the order in which the responses are shown, their length or the assistants' names influence you. Judge only what the responses say.
{{guidelines}}{{rubric}}{{reference}}{{context}}
[The conversation]
{{conversation}}

{{responses}}

{{flags}}{{answer_format}}`;

/** MT-Bench's pairwise judge prompt ("single-turn pairwise comparison"), with the sources of truth added. */
const MT_BENCH_TEMPLATE = `Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. You should choose the assistant that follows the user's instructions and answers the user's question better. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. Begin your evaluation by comparing the two responses and provide a short explanation. Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. After providing your explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.
{{reference}}{{context}}
[User Question]
{{question}}

{{responses}}`;

export const BUILT_IN_TEMPLATES: Readonly<Record<string, string>> = { default: DEFAULT_TEMPLATE, "mt-bench": MT_BENCH_TEMPLATE };

/** Why a template cannot be used, or null: unknown placeholders, or none naming the responses. */
export function templateProblem(template: string, task: JudgeTask): string | null {
  if (template.trim() === "") return "the template is empty";
  const used = [...template.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1]!);
  const unknown = [...new Set(used.filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name)))];
  if (unknown.length) return `unknown placeholder${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `{{${n}}}`).join(", ")}; the template may use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}`;
  if (!used.includes("responses")) return "the template must include {{responses}}";
  if (template === MT_BENCH_TEMPLATE && task !== "pairwise") return "the mt-bench template judges pairwise batches only";
  return null;
}

function taskSentence(input: JudgePromptInput): string {
  const n = input.responses.length;
  if (input.task === "pairwise") return "Compare the two responses below to the last user message and say which one is better, or that they are equally good.";
  if (input.task === "ranking") return `Rank the ${n} responses below to the last user message from best to worst; responses of equal quality may share a place.`;
  return `Score each of the ${n} responses below to the last user message on every aspect of the rubric.`;
}

function answerFormat(input: JudgePromptInput): string {
  const labels = responseLabels(input.responses.length);
  const flagKey = input.flags.length ? `, "flags": [{"response": "A", "flag": "${input.flags[0]}"}]` : "";
  const base = "Reply with one JSON object and nothing after it:";
  if (input.task === "pairwise") {
    const strength = input.maxStrength === 1 ? "" : `, "strength": 1, 2 or 3 (slightly, clearly, much better; leave it out for a tie)`;
    return `${base}\n{"rationale": "a few sentences", "preferred": "A", "B" or "tie"${strength}${flagKey}}`;
  }
  if (input.task === "ranking") return `${base}\n{"rationale": "a few sentences", "ranking": "${labels.join(">")}" (best first; "=" between responses of equal quality)${flagKey}}`;
  const aspects = input.aspects.map((a) => `"${a.key}": ${a.min}–${a.max}`).join(", ");
  return `${base}\n{"rationale": "a few sentences", "scores": {${labels.map((l) => `"${l}": {${aspects}}`).join(", ")}}${flagKey}}`;
}

function conversation(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${m.role === "user" ? "User" : m.role === "assistant" ? "Assistant" : "System"}: ${m.content}`).join("\n\n");
}

function section(title: string, body: string): string {
  return `\n[${title}]\n${body.trim()}\n`;
}

/** The text each placeholder stands for; sections that have nothing to say are empty. */
export function placeholderValues(input: JudgePromptInput): Record<Placeholder, string> {
  const labels = responseLabels(input.responses.length);
  const lastUser = [...input.messages].reverse().find((m) => m.role === "user");
  return {
    task: taskSentence(input),
    guidelines: input.guidelines.trim() ? section("Guidelines", input.guidelines) : "",
    rubric:
      input.task === "rating"
        ? section("Rubric", input.aspects.map((a) => `- ${a.key} (${a.label}): ${a.min} (worst) to ${a.max} (best)`).join("\n"))
        : "",
    flags: input.flags.length
      ? `If a response has one of these problems, list it under "flags": ${input.flags.join(", ")}.${input.flags.includes("hallucination") && (input.reference?.trim() || input.context?.length) ? ' A claim the reference or the context does not support is a "hallucination".' : ""}\n\n`
      : "",
    conversation: conversation(input.messages),
    question: lastUser?.content ?? conversation(input.messages),
    responses: input.responses.map((text, i) => `[The Start of Assistant ${labels[i]}'s Answer]\n${text}\n[The End of Assistant ${labels[i]}'s Answer]`).join("\n\n"),
    reference: input.reference?.trim() ? section("Reference answer", input.reference) : "",
    context: input.context?.length ? section("Context documents", input.context.map((d, i) => `(${i + 1}) ${d.title}\n${d.text}`).join("\n\n")) : "",
    answer_format: answerFormat(input),
  };
}

/** The template with its placeholders filled (check it first with {@link templateProblem}). */
export function renderJudgePrompt(template: string, input: JudgePromptInput): string {
  const values = placeholderValues(input);
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, name: string) => (Object.hasOwn(values, name) ? values[name as Placeholder] : whole));
}
