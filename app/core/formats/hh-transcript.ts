import type { ChatMessage } from "./messages";

/**
 * HH-RLHF transcripts: `\n\nHuman: …\n\nAssistant: …`, the form of Anthropic's hh-rlhf
 * repository. A turn starts at a marker; its content is what follows `Human: ` or
 * `Assistant: ` (one space) up to the next marker.
 */
const MARKER = /\n\n(Human|Assistant):/g;
const ROLE_OF = { Human: "user", Assistant: "assistant" } as const;
const MARKER_OF: Record<ChatMessage["role"], string> = {
  user: "\n\nHuman:",
  assistant: "\n\nAssistant:",
  // HH-RLHF has no system turns; a system prompt is rendered as a human turn's preamble.
  system: "\n\nHuman:",
};

interface Turn {
  /** Offset of the turn's marker in the transcript. */
  start: number;
  role: "user" | "assistant";
}

function turnsOf(transcript: string): Turn[] {
  const turns: Turn[] = [];
  for (const m of transcript.matchAll(MARKER)) {
    turns.push({ start: m.index, role: ROLE_OF[m[1] as keyof typeof ROLE_OF] });
  }
  return turns;
}

/** Renders messages as an HH transcript (without a trailing assistant marker). */
export function renderTranscript(messages: readonly ChatMessage[]): string {
  return messages.map((m) => `${MARKER_OF[m.role]} ${m.content}`).join("");
}

/** Parses a transcript into messages; null when it does not start with a marker. */
export function parseTranscript(transcript: string): ChatMessage[] | null {
  const turns = turnsOf(transcript);
  if (turns.length === 0 || turns[0]!.start !== 0) return null;
  return turns.map((turn, i) => {
    const end = i + 1 < turns.length ? turns[i + 1]!.start : transcript.length;
    const markerLength = turn.role === "user" ? "\n\nHuman:".length : "\n\nAssistant:".length;
    const body = transcript.slice(turn.start + markerLength, end);
    return { role: turn.role, content: body.startsWith(" ") ? body.slice(1) : body };
  });
}

export type TranscriptSplit =
  | { ok: true; conversation: ChatMessage[]; chosen: string; rejected: string }
  | { ok: false; field: "chosen" | "rejected"; reason: string };

/**
 * Splits a chosen/rejected transcript pair into the conversation they share and the two
 * continuations. The split is at the last turn boundary both share where each continues
 * with an Assistant turn, so pairs that diverge before the final turn keep their whole
 * different tails. Guarantees exactness: `renderTranscript(conversation) + "\n\nAssistant: "
 * + chosen` is the chosen transcript again, byte for byte (and likewise for rejected),
 * or the split fails with a reason.
 */
export function splitTranscripts(chosen: string, rejected: string): TranscriptSplit {
  const chosenTurns = turnsOf(chosen);
  const rejectedTurns = turnsOf(rejected);
  const startsWithHuman = (turns: Turn[]) => turns[0]?.start === 0 && turns[0].role === "user";
  if (!startsWithHuman(chosenTurns)) return { ok: false, field: "chosen", reason: 'expected a transcript starting with "\\n\\nHuman:"' };
  if (!startsWithHuman(rejectedTurns)) return { ok: false, field: "rejected", reason: 'expected a transcript starting with "\\n\\nHuman:"' };

  const rejectedStarts = new Set(rejectedTurns.filter((t) => t.role === "assistant").map((t) => t.start));
  let split = -1;
  for (const turn of chosenTurns) {
    if (turn.role !== "assistant" || !rejectedStarts.has(turn.start)) continue;
    if (chosen.slice(0, turn.start) !== rejected.slice(0, turn.start)) break;
    split = turn.start;
  }
  if (split < 0) {
    return { ok: false, field: "rejected", reason: "shares no conversation with chosen that ends before an Assistant turn" };
  }
  const conversation = parseTranscript(chosen.slice(0, split));
  if (conversation === null) return { ok: false, field: "chosen", reason: "the shared conversation is not a transcript" };
  const prefix = renderTranscript(conversation) + "\n\nAssistant: ";
  const tail = (whole: string) => whole.slice(split + "\n\nAssistant: ".length);
  const chosenText = tail(chosen);
  const rejectedText = tail(rejected);
  if (prefix + chosenText !== chosen) {
    return { ok: false, field: "chosen", reason: "cannot be rebuilt exactly from turns (a marker without the space after it)" };
  }
  if (prefix + rejectedText !== rejected) {
    return { ok: false, field: "rejected", reason: "cannot be rebuilt exactly from turns (a marker without the space after it)" };
  }
  return { ok: true, conversation, chosen: chosenText, rejected: rejectedText };
}
