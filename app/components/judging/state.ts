import { UNSUPPORTED_CLAIM_FLAG, type BatchConfig } from "~/core/tasks/config";
import type { JudgmentInput } from "~/core/tasks/judgment";
import type { AssignmentView } from "~/core/tasks/view";

/**
 * The in-progress judgment of one assignment, how it changes, and the JudgmentInput it
 * becomes. Pure: the components only dispatch actions and render.
 */

/** What JudgingForm hands to onSubmit: a JudgmentInput without client_id and duration_ms, which the route adds. */
export type JudgingSubmission = Omit<JudgmentInput, "client_id" | "duration_ms">;

export interface ScaleOption {
  label: string;
  /** The strength word shown after the side letter on a phone ("A much"), where the full labels do not fit. */
  short: string;
  /** 0 for A (position 0), 1 for B, null for a tie. */
  side: 0 | 1 | null;
  strength: 0 | 1 | 2 | 3;
}

const SEVEN_POINT: ScaleOption[] = [
  { label: "A much better", short: "much", side: 0, strength: 3 },
  { label: "A better", short: "better", side: 0, strength: 2 },
  { label: "A slightly better", short: "slightly", side: 0, strength: 1 },
  { label: "Tie", short: "", side: null, strength: 0 },
  { label: "B slightly better", short: "slightly", side: 1, strength: 1 },
  { label: "B better", short: "better", side: 1, strength: 2 },
  { label: "B much better", short: "much", side: 1, strength: 3 },
];
const THREE_POINT: ScaleOption[] = [
  { label: "A better", short: "better", side: 0, strength: 1 },
  { label: "Tie", short: "", side: null, strength: 0 },
  { label: "B better", short: "better", side: 1, strength: 1 },
];

/** The pairwise scale points, left (A best) to right (B best); key N chooses point N-1. */
export function scaleOptions(scale: BatchConfig["scale"]): ScaleOption[] {
  return scale === "3-point" ? THREE_POINT : SEVEN_POINT;
}

/** "A", "B", … for display position i. */
export function responseLetter(i: number): string {
  return String.fromCharCode(65 + i);
}

/** "off_topic" → "off topic". */
export function flagLabel(flag: string): string {
  return flag.replace(/_/g, " ");
}

/** Longest note a flag may carry (the judgment schema's limit). */
export const NOTE_MAX = 2000;

/** What separates two marked spans in one flag's note. */
export const MARK_SEPARATOR = " | ";

/** Selected words as a note holds them: whitespace (line breaks, indentation) collapsed to single spaces. */
export function markedWords(selected: string): string {
  return selected.replace(/\s+/g, " ").trim();
}

/**
 * The note after marking `selected` words (issue 13: one flag row per response and flag, so
 * each mark is appended): the words alone on an empty note, else after " | ". Marking words the
 * note already holds as a span changes nothing. A span that would take the note past `max`
 * characters is shortened with "…"; the note is unchanged when not even that fits.
 */
export function appendMarkedSpan(note: string, selected: string, max = NOTE_MAX): string {
  const words = markedWords(selected);
  if (!words) return note;
  const current = note.trim();
  if (!current) return clip(words, max);
  if (current.split(MARK_SEPARATOR).some((part) => part.trim() === words)) return note;
  const room = max - current.length - MARK_SEPARATOR.length;
  if (room < 2) return note;
  return current + MARK_SEPARATOR + clip(words, room);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1).trimEnd()}…`;
}

export interface JudgingState {
  /** Pairwise: the chosen scale point (index into scaleOptions), or null. */
  choice: number | null;
  bothBad: boolean;
  /** Ranking: response id → tier 1..K; absent while unranked. */
  tierOf: Record<string, number>;
  /** Rating: response id → aspect key → score. */
  scores: Record<string, Record<string, number>>;
  /** Response id → flag → note; a flag is on while it has an entry (the note may be ""). */
  flags: Record<string, Record<string, string>>;
  rationale: string;
  /** The response (display index) keyboard actions apply to, and the rating aspect. */
  focus: number;
  aspect: number;
  /** True after `f`, waiting for the flag's digit. */
  flagPending: boolean;
  /** True once the reviewer tried to submit: from then on missing parts are shown. */
  attempted: boolean;
}

/** The starting state for an assignment, pre-filled from its stored judgment when editing. */
export function initialState(assignment: AssignmentView): JudgingState {
  const state: JudgingState = {
    choice: null,
    bothBad: false,
    tierOf: {},
    scores: {},
    flags: {},
    rationale: "",
    focus: 0,
    aspect: 0,
    flagPending: false,
    attempted: false,
  };
  const stored = assignment.judgment;
  if (!stored) return state;
  const ids = assignment.responses.map((r) => r.id);
  const payload = stored.payload;
  if (payload.task === "pairwise" && assignment.task === "pairwise") {
    state.bothBad = payload.bothBad;
    const options = scaleOptions(assignment.config.scale);
    const side = payload.preferred === "tie" || payload.strength === 0 ? null : ids.indexOf(payload.preferred);
    if (side === null) state.choice = options.findIndex((o) => o.side === null);
    else if (side === 0 || side === 1) {
      const maxStrength = Math.max(...options.map((o) => o.strength));
      const strength = Math.min(payload.strength, maxStrength);
      const index = options.findIndex((o) => o.side === side && o.strength === strength);
      state.choice = index >= 0 ? index : null;
    }
  } else if (payload.task === "ranking" && assignment.task === "ranking") {
    payload.tiers.forEach((tier, i) => {
      for (const id of tier) if (ids.includes(id)) state.tierOf[id] = i + 1;
    });
  } else if (payload.task === "rating" && assignment.task === "rating") {
    for (const id of ids) {
      const given = payload.scores[id];
      if (given) state.scores[id] = { ...given };
    }
  }
  for (const f of stored.flags) {
    if (!ids.includes(f.responseId) || !assignment.config.flags.includes(f.flag)) continue;
    state.flags[f.responseId] = { ...state.flags[f.responseId], [f.flag]: f.note };
  }
  state.rationale = stored.rationale;
  return state;
}

export type JudgingAction =
  | { type: "choose"; choice: number }
  | { type: "toggleBothBad" }
  | { type: "setTier"; responseId: string; tier: number | null }
  | { type: "setScore"; responseId: string; aspect: string; score: number }
  | { type: "toggleFlag"; responseId: string; flag: string }
  | { type: "setFlagNote"; responseId: string; flag: string; note: string }
  /** Words selected in a response, marked as not supported by the context: the unsupported_claim flag with them in its note. */
  | { type: "markUnsupported"; responseId: string; selected: string }
  | { type: "setRationale"; rationale: string }
  | { type: "focus"; index: number; aspect?: number }
  | { type: "flagPending"; pending: boolean }
  | { type: "attempted" };

export function judgingReducer(state: JudgingState, action: JudgingAction): JudgingState {
  switch (action.type) {
    case "choose":
      return { ...state, choice: action.choice };
    case "toggleBothBad":
      return { ...state, bothBad: !state.bothBad };
    case "setTier": {
      const tierOf = { ...state.tierOf };
      if (action.tier === null) delete tierOf[action.responseId];
      else tierOf[action.responseId] = action.tier;
      return { ...state, tierOf };
    }
    case "setScore":
      return {
        ...state,
        scores: { ...state.scores, [action.responseId]: { ...state.scores[action.responseId], [action.aspect]: action.score } },
      };
    case "toggleFlag": {
      const current = { ...state.flags[action.responseId] };
      if (action.flag in current) delete current[action.flag];
      else current[action.flag] = "";
      return { ...state, flags: { ...state.flags, [action.responseId]: current } };
    }
    case "setFlagNote": {
      const current = state.flags[action.responseId];
      if (!current || !(action.flag in current)) return state;
      return { ...state, flags: { ...state.flags, [action.responseId]: { ...current, [action.flag]: action.note } } };
    }
    case "markUnsupported": {
      if (!markedWords(action.selected)) return state;
      const current = state.flags[action.responseId] ?? {};
      const note = appendMarkedSpan(current[UNSUPPORTED_CLAIM_FLAG] ?? "", action.selected);
      return { ...state, flags: { ...state.flags, [action.responseId]: { ...current, [UNSUPPORTED_CLAIM_FLAG]: note } } };
    }
    case "setRationale":
      return { ...state, rationale: action.rationale };
    case "focus":
      return { ...state, focus: action.index, aspect: action.aspect ?? state.aspect };
    case "flagPending":
      return { ...state, flagPending: action.pending };
    case "attempted":
      return { ...state, attempted: true };
  }
}

/**
 * Where ranking focus goes after the response at `from` is placed: the next response not yet
 * placed, looking forward and then from the top; when every response is placed, simply the next
 * one. Null when focus should stay (the last response of a complete ranking).
 */
export function nextUnplaced(assignment: AssignmentView, tierOf: Readonly<Record<string, number>>, from: number): number | null {
  const count = assignment.responses.length;
  for (let step = 1; step < count; step++) {
    const index = (from + step) % count;
    if (tierOf[assignment.responses[index]!.id] === undefined) return index;
  }
  return from + 1 < count ? from + 1 : null;
}

/** Ranking tiers, best first, each in display order; empty tiers dropped. */
export function tiersOf(assignment: AssignmentView, tierOf: Record<string, number>): string[][] {
  const numbers = [...new Set(Object.values(tierOf))].sort((a, b) => a - b);
  return numbers.map((n) => assignment.responses.filter((r) => tierOf[r.id] === n).map((r) => r.id));
}

/** The JudgmentInput fields for the current state (without client_id and duration_ms). */
export function buildSubmission(assignment: AssignmentView, state: JudgingState): JudgingSubmission {
  const flags: NonNullable<JudgingSubmission["flags"]> = [];
  for (const response of assignment.responses) {
    const on = state.flags[response.id] ?? {};
    for (const flag of assignment.config.flags) {
      if (!(flag in on)) continue;
      const note = on[flag]!.trim();
      flags.push(note ? { response_id: response.id, flag, note } : { response_id: response.id, flag });
    }
  }
  const base = { flags, rationale: state.rationale };
  if (assignment.task === "pairwise") {
    const option = state.choice === null ? undefined : scaleOptions(assignment.config.scale)[state.choice];
    if (!option) return { ...base, both_bad: state.bothBad };
    if (option.side === null) return { ...base, preferred: "tie", both_bad: state.bothBad };
    const preferred = assignment.responses[option.side]?.id;
    return { ...base, preferred, strength: option.strength, both_bad: state.bothBad };
  }
  if (assignment.task === "ranking") return { ...base, tiers: tiersOf(assignment, state.tierOf) };
  const scores: Record<string, Record<string, number>> = {};
  for (const response of assignment.responses) {
    const given = state.scores[response.id] ?? {};
    const kept = Object.fromEntries(assignment.config.aspects.filter((a) => given[a.key] !== undefined).map((a) => [a.key, given[a.key]!]));
    if (Object.keys(kept).length) scores[response.id] = kept;
  }
  return { ...base, scores };
}

/** The rationale rule as the reviewer reads it. */
export function rationaleRule(rule: BatchConfig["rationale"]): string {
  const { required, minLength } = rule;
  if (!required) return "optional";
  return minLength > 1 ? `required, at least ${minLength} characters` : "required";
}

/**
 * What is still missing before the judgment can be submitted, keyed like the server's field
 * errors (preferred, tiers, scores, rationale); empty when complete.
 */
export function missingParts(assignment: AssignmentView, state: JudgingState): Record<string, string> {
  const missing: Record<string, string> = {};
  const letters = (ids: string[]) => ids.map((id) => responseLetter(assignment.responses.findIndex((r) => r.id === id))).join(", ");
  if (assignment.task === "pairwise") {
    if (state.choice === null) missing.preferred = "Choose which response is better, or Tie.";
  } else if (assignment.task === "ranking") {
    const unranked = assignment.responses.filter((r) => state.tierOf[r.id] === undefined).map((r) => r.id);
    if (unranked.length) missing.tiers = `Put every response in a tier; not yet placed: ${letters(unranked)}.`;
  } else {
    const gaps: string[] = [];
    assignment.responses.forEach((r, i) => {
      for (const aspect of assignment.config.aspects) {
        if (state.scores[r.id]?.[aspect.key] === undefined) gaps.push(`${responseLetter(i)} ${aspect.label}`);
      }
    });
    if (gaps.length) {
      const shown = gaps.slice(0, 6).join(", ") + (gaps.length > 6 ? ` and ${gaps.length - 6} more` : "");
      missing.scores = `Score every aspect of every response; missing: ${shown}.`;
    }
  }
  const { required, minLength } = assignment.config.rationale;
  const length = state.rationale.trim().length;
  if (required && length < Math.max(1, minLength)) {
    missing.rationale = minLength > 1 ? `A rationale is required: at least ${minLength} characters (now ${length}).` : "A rationale is required.";
  }
  return missing;
}
