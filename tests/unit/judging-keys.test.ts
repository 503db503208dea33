import { describe, expect, it } from "vitest";
import { handleKey, type KeyContext } from "../../app/components/judging/judging-form";
import { initialState, judgingReducer, type JudgingState, type JudgingSubmission } from "../../app/components/judging/state";
import type { AssignmentView } from "../../app/core/tasks/view";
import { config, pairwise, ranking, rating } from "../../app/components/judging/fixtures";

/** Drives the keyboard handler like the window would, with the reducer behind it (no DOM: the target is null). */
function harness(assignment: AssignmentView, options: { canGoBack?: boolean; submitting?: boolean } = {}) {
  let state: JudgingState = initialState(assignment);
  const calls = { submit: [] as JudgingSubmission[], skip: 0, back: 0, legend: 0, diff: 0 };
  const press = (key: string, modifiers: Partial<Pick<KeyboardEvent, "ctrlKey" | "metaKey" | "altKey">> = {}) => {
    let prevented = false;
    const event = { key, target: null, defaultPrevented: false, isComposing: false, ctrlKey: false, metaKey: false, altKey: false, ...modifiers, preventDefault: () => (prevented = true) };
    const context: KeyContext = {
      assignment,
      state,
      dispatch: (action) => {
        state = judgingReducer(state, action);
      },
      onSubmit: (input) => calls.submit.push(input),
      onSkip: () => calls.skip++,
      onBack: () => calls.back++,
      canGoBack: options.canGoBack ?? true,
      submitting: options.submitting ?? false,
      onToggleDiff: () => calls.diff++,
      onToggleLegend: () => calls.legend++,
      rationaleRef: { current: null },
      cardRefs: { current: [] },
    };
    handleKey(event as unknown as KeyboardEvent, context);
    return prevented;
  };
  return { press, calls, state: () => state };
}

describe("keyboard: pairwise", () => {
  it("1–7 choose the scale point, 0 toggles both bad, Enter submits", () => {
    const h = harness(pairwise());
    expect(h.press("1")).toBe(true);
    expect(h.state().choice).toBe(0);
    h.press("7");
    expect(h.state().choice).toBe(6);
    h.press("4");
    h.press("0");
    expect(h.state().bothBad).toBe(true);
    h.press("Enter");
    expect(h.calls.submit).toEqual([{ preferred: "tie", both_bad: true, flags: [], rationale: "" }]);
  });

  it("on a 3-point scale 1–3 choose and 4–9 do nothing", () => {
    const h = harness(pairwise({ config: config({ scale: "3-point" }) }));
    h.press("3");
    expect(h.state().choice).toBe(2);
    expect(h.press("5")).toBe(false);
    expect(h.state().choice).toBe(2);
  });

  it("Enter on an incomplete judgment shows what is missing instead of submitting", () => {
    const h = harness(pairwise());
    h.press("Enter");
    expect(h.calls.submit).toHaveLength(0);
    expect(h.state().attempted).toBe(true);
    h.press("Enter", { ctrlKey: true });
    expect(h.calls.submit).toHaveLength(0);
  });

  it("a/b pick the response and f then a digit toggles its flag", () => {
    const h = harness(pairwise());
    h.press("b");
    expect(h.state().focus).toBe(1);
    h.press("f");
    expect(h.state().flagPending).toBe(true);
    h.press("2");
    expect(h.state().flagPending).toBe(false);
    expect(h.state().flags).toEqual({ "r-b": { unsafe: "" } });
    h.press("a");
    h.press("f");
    h.press("9"); // no 9th flag: nothing happens
    expect(h.state().flags["r-a"]).toBeUndefined();
    h.press("f");
    h.press("Escape");
    expect(h.state().flagPending).toBe(false);
  });

  it("s skips, u and Backspace go back only when allowed, ? and d toggle", () => {
    const h = harness(pairwise());
    h.press("s");
    h.press("u");
    h.press("Backspace");
    h.press("?");
    h.press("d");
    expect(h.calls).toMatchObject({ skip: 1, back: 2, legend: 1, diff: 1 });
    const noBack = harness(pairwise(), { canGoBack: false });
    noBack.press("u");
    expect(noBack.calls.back).toBe(0);
  });

  it("does nothing but Ctrl/Cmd+Enter with modifiers, and does not submit while submitting", () => {
    const h = harness(pairwise());
    expect(h.press("1", { ctrlKey: true })).toBe(false);
    expect(h.press("s", { metaKey: true })).toBe(false);
    expect(h.state().choice).toBeNull();
    h.press("2");
    h.press("Enter", { metaKey: true });
    expect(h.calls.submit).toHaveLength(1);
    const busy = harness(pairwise(), { submitting: true });
    busy.press("2");
    busy.press("Enter");
    busy.press("s");
    expect(busy.calls.submit).toHaveLength(0);
    expect(busy.calls.skip).toBe(0);
    expect(busy.state().choice).toBeNull();
  });
});

describe("keyboard: ranking", () => {
  it("digits place the focused response and move on; arrows and j/k move focus", () => {
    const h = harness(ranking());
    h.press("2"); // A → tier 2, focus B
    h.press("1"); // B → tier 1, focus C
    h.press("2"); // C → tier 2, focus D
    h.press("k"); // back to C
    h.press("0"); // C out
    expect(h.state().tierOf).toEqual({ k0: 2, k1: 1 });
    h.press("ArrowDown");
    expect(h.state().focus).toBe(3);
    h.press("5"); // only 4 tiers
    expect(h.state().tierOf.k3).toBeUndefined();
    h.press("3");
    h.press("j"); // clamps at the last response
    expect(h.state().focus).toBe(3);
    h.press("ArrowUp");
    h.press("2");
    h.press("Enter");
    expect(h.calls.submit[0]!.tiers).toEqual([["k1"], ["k0", "k2"], ["k3"]]);
  });
});

describe("keyboard: ranking focus after placing", () => {
  it("moves to the next response not yet placed, wrapping to the top", () => {
    const h = harness(ranking());
    h.press("j"); // focus B
    h.press("1"); // B → tier 1, focus C
    expect(h.state().focus).toBe(2);
    h.press("j"); // D
    h.press("2"); // D → tier 2: C and A are unplaced; C comes first looking forward from D, wrapping
    expect(h.state().focus).toBe(0);
    h.press("3"); // A → tier 3, focus C, the last one unplaced
    expect(h.state().focus).toBe(2);
    h.press("4");
    expect(h.state().tierOf).toEqual({ k0: 3, k1: 1, k2: 4, k3: 2 });
  });

  it("once every response is placed, moves to the next and stays on the last", () => {
    const h = harness(ranking({ judgment: { payload: { task: "ranking", tiers: [["k0"], ["k1"], ["k2"], ["k3"]] }, flags: [], rationale: "" } }));
    h.press("2");
    expect(h.state().focus).toBe(1);
    h.press("j");
    h.press("j");
    h.press("1");
    expect(h.state().focus).toBe(3);
    expect(h.state().tierOf.k3).toBe(1);
  });
});

describe("keyboard: rating", () => {
  it("digits score the focused aspect and advance through aspects and responses", () => {
    const h = harness(rating());
    h.press("4"); // A overall
    h.press("9"); // out of Clarity's 1–7: ignored
    h.press("6"); // A clarity, then B overall
    expect(h.state().focus).toBe(1);
    expect(h.state().aspect).toBe(0);
    h.press("2");
    h.press("ArrowLeft");
    h.press("3"); // B overall again
    h.press("1"); // B clarity
    expect(h.state().scores).toEqual({ x1: { overall: 4, clarity: 6 }, x2: { overall: 3, clarity: 1 } });
    h.press("Enter"); // rationale required: not submitted
    expect(h.calls.submit).toHaveLength(0);
    expect(h.state().attempted).toBe(true);
  });
});
