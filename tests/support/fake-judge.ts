/**
 * What a fake LLM judge reads from the prompt Verdict sends it (core/judge/template.ts): the
 * responses shown as A, B, … and the conversation, so a test's `behave` can answer as a judge
 * with a known rule (prefer the response containing a word, always prefer A, …) in the style
 * it picks. Used with startFakeOpenAI.
 */
import { lastUserText, type FakeRequest } from "./fake-openai";

/** The responses' texts in the order the judge was shown them (A first). */
export function shownResponses(request: FakeRequest): string[] {
  const text = lastUserText(request);
  return [...text.matchAll(/\[The Start of Assistant ([A-Z])'s Answer\]\n([\s\S]*?)\n\[The End of Assistant \1's Answer\]/g)].map((m) => m[2]!);
}

/** The label of the first shown response containing `word`, or null. */
export function labelWith(request: FakeRequest, word: string): string | null {
  const index = shownResponses(request).findIndex((t) => t.includes(word));
  return index < 0 ? null : String.fromCharCode(65 + index);
}

export type AnswerStyle = "json" | "fenced" | "verdict-line" | "prose-json";

/** A pairwise answer preferring `label` ("tie" for a tie) in one of the styles judges use. */
export function pairwiseAnswer(label: string, style: AnswerStyle, extra: Record<string, unknown> = {}): string {
  const json = JSON.stringify({ rationale: "compared both", preferred: label, ...(label === "tie" ? {} : { strength: 2 }), ...extra });
  if (style === "json") return json;
  if (style === "fenced") return `Here is my judgment.\n\n\`\`\`json\n${json}\n\`\`\``;
  if (style === "prose-json") return `I looked at both answers carefully. ${json} That is all.`;
  const verdict = label === "tie" ? "C" : label;
  return `Assistant A is direct; assistant B hedges.\n\nFinal verdict: [[${verdict}]]`;
}
