import { describe, expect, it } from "vitest";
import { handleKey, type KeyContext } from "../../app/components/judging/judging-form";
import { config, pairwise, ranking } from "../../app/components/judging/fixtures";
import { keyEntries } from "../../app/components/judging/key-legend";
import {
  appendMarkedSpan,
  buildSubmission,
  initialState,
  judgingReducer,
  markedWords,
  MARK_SEPARATOR,
  NOTE_MAX,
  type JudgingState,
} from "../../app/components/judging/state";
import { selectionInResponse } from "../../app/components/judging/selection";
import { UNSUPPORTED_CLAIM_FLAG } from "../../app/core/tasks/config";
import { checkJudgment, judgmentInputSchema } from "../../app/core/tasks/judgment";
import type { AssignmentView } from "../../app/core/tasks/view";

// Marking words of a response as unsupported by the context (issue 13): the note they become,
// the reducer, the submission and its check, the `u` key and its legend line.

describe("markedWords", () => {
  it("collapses line breaks and runs of spaces and trims", () => {
    expect(markedWords("  the  moon\n is\tmade of cheese \n")).toBe("the moon is made of cheese");
    expect(markedWords(" \n\t ")).toBe("");
  });
});

describe("appendMarkedSpan", () => {
  it("puts the first span alone in an empty note", () => {
    expect(appendMarkedSpan("", "founded in 1802")).toBe("founded in 1802");
    expect(appendMarkedSpan("   ", " founded\nin 1802 ")).toBe("founded in 1802");
  });

  it("appends later spans after ' | ', keeping what the reviewer typed", () => {
    const once = appendMarkedSpan("", "founded in 1802");
    const twice = appendMarkedSpan(once, "by Napoleon");
    expect(twice).toBe("founded in 1802 | by Napoleon");
    expect(appendMarkedSpan("my own words", "by Napoleon")).toBe(`my own words${MARK_SEPARATOR}by Napoleon`);
  });

  it("does not append a span the note already holds, nor a blank selection", () => {
    const note = "founded in 1802 | by Napoleon";
    expect(appendMarkedSpan(note, " by  Napoleon ")).toBe(note);
    expect(appendMarkedSpan(note, "founded in 1802")).toBe(note);
    expect(appendMarkedSpan(note, "  ")).toBe(note);
    // A span inside a longer one is a new mark.
    expect(appendMarkedSpan(note, "Napoleon")).toBe(`${note} | Napoleon`);
  });

  it("never takes the note past the flag note's limit", () => {
    const long = "x".repeat(NOTE_MAX - 10);
    const result = appendMarkedSpan(long, "a claim that is far too long to fit");
    expect(result.length).toBeLessThanOrEqual(NOTE_MAX);
    expect(result.startsWith(`${long} | `)).toBe(true);
    expect(result.endsWith("…")).toBe(true);
    // No room left at all: the note stays as it was.
    const full = "y".repeat(NOTE_MAX - 3);
    expect(appendMarkedSpan(full, "more")).toBe(full);
    // A first span longer than the limit is shortened too.
    expect(appendMarkedSpan("", "z".repeat(NOTE_MAX + 50))).toHaveLength(NOTE_MAX);
    expect(appendMarkedSpan("", "z".repeat(20), 10)).toBe("zzzzzzzzz…");
  });
});

const marking = (overrides: Partial<AssignmentView> = {}) => pairwise({ config: config({ unsupportedClaims: true }), ...overrides });

describe("the markUnsupported action", () => {
  it("turns the unsupported_claim flag on with the words as its note, appending later marks", () => {
    const assignment = marking();
    let state = initialState(assignment);
    state = judgingReducer(state, { type: "markUnsupported", responseId: "r-a", selected: "def add(a, b)" });
    expect(state.flags["r-a"]).toEqual({ [UNSUPPORTED_CLAIM_FLAG]: "def add(a, b)" });
    state = judgingReducer(state, { type: "markUnsupported", responseId: "r-a", selected: "return\n  a + b" });
    expect(state.flags["r-a"]![UNSUPPORTED_CLAIM_FLAG]).toBe("def add(a, b) | return a + b");
    expect(state.flags["r-b"]).toBeUndefined();
  });

  it("keeps the response's other flags and a note typed before", () => {
    let state = initialState(marking());
    state = judgingReducer(state, { type: "toggleFlag", responseId: "r-b", flag: "unsafe" });
    state = judgingReducer(state, { type: "toggleFlag", responseId: "r-b", flag: UNSUPPORTED_CLAIM_FLAG });
    state = judgingReducer(state, { type: "setFlagNote", responseId: "r-b", flag: UNSUPPORTED_CLAIM_FLAG, note: "typed" });
    state = judgingReducer(state, { type: "markUnsupported", responseId: "r-b", selected: "done" });
    expect(state.flags["r-b"]).toEqual({ unsafe: "", [UNSUPPORTED_CLAIM_FLAG]: "typed | done" });
  });

  it("ignores a blank selection", () => {
    const state = initialState(marking());
    expect(judgingReducer(state, { type: "markUnsupported", responseId: "r-a", selected: " \n " })).toBe(state);
  });

  it("becomes one flag row per response in the submission, which the judgment check accepts", () => {
    const assignment = marking();
    let state: JudgingState = initialState(assignment);
    state = judgingReducer(state, { type: "choose", choice: 5 });
    state = judgingReducer(state, { type: "markUnsupported", responseId: "r-a", selected: "def add" });
    state = judgingReducer(state, { type: "markUnsupported", responseId: "r-a", selected: "a + b" });
    const submission = buildSubmission(assignment, state);
    expect(submission.flags).toEqual([{ response_id: "r-a", flag: UNSUPPORTED_CLAIM_FLAG, note: "def add | a + b" }]);
    const input = judgmentInputSchema.parse({ ...submission, client_id: "c-1" });
    const checked = checkJudgment(input, { task: "pairwise", config: assignment.config, responseIds: ["r-a", "r-b"] });
    expect(checked.ok && checked.judgment.flags).toEqual([{ responseId: "r-a", flag: UNSUPPORTED_CLAIM_FLAG, note: "def add | a + b" }]);
    // Without the option the batch has no such flag, and the check refuses it.
    const plain = checkJudgment(input, { task: "pairwise", config: config(), responseIds: ["r-a", "r-b"] });
    expect(plain.ok).toBe(false);
  });

  it("an earlier judgment's marks come back when the item is edited", () => {
    const assignment = marking({
      judgment: { payload: { task: "pairwise", preferred: "r-a", strength: 1, bothBad: false }, flags: [{ responseId: "r-b", flag: UNSUPPORTED_CLAIM_FLAG, note: "done" }], rationale: "" },
    });
    const state = judgingReducer(initialState(assignment), { type: "markUnsupported", responseId: "r-b", selected: "Here:" });
    expect(state.flags["r-b"]![UNSUPPORTED_CLAIM_FLAG]).toBe("done | Here:");
  });
});

/** The keyboard handler with the reducer behind it; `marks` stands in for the selection (no DOM here). */
function harness(assignment: AssignmentView, marks: Array<{ responseId: string; selected: string } | null>, canGoBack = true) {
  let state = initialState(assignment);
  const calls = { back: 0, markAsked: 0 };
  const press = (key: string) => {
    let prevented = false;
    const event = { key, target: null, defaultPrevented: false, isComposing: false, ctrlKey: false, metaKey: false, altKey: false, preventDefault: () => (prevented = true) };
    const dispatch: KeyContext["dispatch"] = (action) => {
      state = judgingReducer(state, action);
    };
    const context: KeyContext = {
      assignment,
      state,
      dispatch,
      onSubmit: () => {},
      onSkip: () => {},
      onBack: () => calls.back++,
      canGoBack,
      submitting: false,
      onToggleDiff: () => {},
      onToggleLegend: () => {},
      rationaleRef: { current: null },
      cardRefs: { current: [] },
      markSelection: () => {
        calls.markAsked++;
        const mark = marks.shift() ?? null;
        if (!mark) return false;
        dispatch({ type: "markUnsupported", ...mark });
        return true;
      },
    };
    handleKey(event as unknown as KeyboardEvent, context);
    return prevented;
  };
  return { press, calls, state: () => state };
}

describe("the u key", () => {
  it("marks the selected words when the batch asks for it, and goes back when nothing is selected", () => {
    const h = harness(marking(), [{ responseId: "r-b", selected: "Here:" }, null]);
    expect(h.press("u")).toBe(true);
    expect(h.state().flags["r-b"]).toEqual({ [UNSUPPORTED_CLAIM_FLAG]: "Here:" });
    expect(h.calls.back).toBe(0);
    h.press("u");
    expect(h.calls.back).toBe(1);
  });

  it("is only Back in a batch without the option, and Backspace never marks", () => {
    const plain = harness(pairwise(), [{ responseId: "r-b", selected: "Here:" }]);
    plain.press("u");
    expect(plain.calls).toEqual({ back: 1, markAsked: 0 });
    const h = harness(ranking({ config: config({ unsupportedClaims: true }) }), [{ responseId: "k0", selected: "Answer" }]);
    h.press("Backspace");
    expect(h.calls).toEqual({ back: 1, markAsked: 0 });
  });
});

describe("selectionInResponse without a DOM", () => {
  it("is null", () => {
    expect(selectionInResponse()).toBeNull();
    expect(selectionInResponse(null)).toBeNull();
  });
});

describe("the key legend", () => {
  it("lists u for marking only in batches with the option", () => {
    const on = keyEntries({ task: "pairwise", scale: "7-point", flags: config({ unsupportedClaims: true }).flags, unsupportedClaims: true });
    expect(on.find(([keys]) => keys.join() === "u")?.[1]).toMatch(/^with words selected in a response: mark them as unsupported/);
    expect(on.find(([keys]) => keys.join() === "u,Backspace")?.[1]).toBe("back to the previous item (u: when no words are selected)");
    expect(on.find(([keys]) => keys[0] === "f")?.[1]).toMatch(/7 unsupported claim$/);
    const off = keyEntries({ task: "pairwise", scale: "7-point", flags: config().flags });
    expect(off.find(([keys]) => keys.join() === "u")).toBeUndefined();
    expect(off.find(([keys]) => keys.join() === "u,Backspace")?.[1]).toBe("back to the previous item");
  });
});
