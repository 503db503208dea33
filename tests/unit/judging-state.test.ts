import { describe, expect, it } from "vitest";
import { checkJudgment, judgmentInputSchema } from "../../app/core/tasks/judgment";
import type { AssignmentView } from "../../app/core/tasks/view";
import {
  buildSubmission,
  initialState,
  judgingReducer,
  missingParts,
  scaleOptions,
  tiersOf,
  type JudgingAction,
  type JudgingState,
} from "../../app/components/judging/state";
import { config, pairwise, ranking, rating } from "../../app/components/judging/fixtures";

function apply(assignment: AssignmentView, ...actions: JudgingAction[]): JudgingState {
  return actions.reduce(judgingReducer, initialState(assignment));
}

/** The submission must pass the server's own checks once client_id is added. */
function serverCheck(assignment: AssignmentView, state: JudgingState) {
  const input = judgmentInputSchema.parse({ ...buildSubmission(assignment, state), client_id: "client-123456" });
  return checkJudgment(input, { task: assignment.task, config: assignment.config, responseIds: assignment.responses.map((r) => r.id) });
}

describe("scaleOptions", () => {
  it("maps the 7-point scale to sides and strengths 3/2/1/0", () => {
    expect(scaleOptions("7-point").map((o) => [o.side, o.strength])).toEqual([
      [0, 3],
      [0, 2],
      [0, 1],
      [null, 0],
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(scaleOptions("3-point").map((o) => o.label)).toEqual(["A better", "Tie", "B better"]);
  });
});

describe("pairwise submissions", () => {
  const view = pairwise();
  it("sends the preferred response id and strength", () => {
    expect(buildSubmission(view, apply(view, { type: "choose", choice: 0 }))).toEqual({ preferred: "r-a", strength: 3, both_bad: false, flags: [], rationale: "" });
    expect(buildSubmission(view, apply(view, { type: "choose", choice: 4 }))).toMatchObject({ preferred: "r-b", strength: 1 });
    expect(buildSubmission(view, apply(view, { type: "choose", choice: 3 }, { type: "toggleBothBad" }))).toEqual({
      preferred: "tie",
      both_bad: true,
      flags: [],
      rationale: "",
    });
  });

  it("sends strength 1 on a 3-point scale", () => {
    const three = pairwise({ config: config({ scale: "3-point" }) });
    expect(buildSubmission(three, apply(three, { type: "choose", choice: 2 }))).toMatchObject({ preferred: "r-b", strength: 1 });
    expect(serverCheck(three, apply(three, { type: "choose", choice: 2 })).ok).toBe(true);
  });

  it("is missing the preference until one is chosen, and then passes the server checks", () => {
    expect(missingParts(view, initialState(view))).toHaveProperty("preferred");
    const state = apply(view, { type: "choose", choice: 5 });
    expect(missingParts(view, state)).toEqual({});
    const check = serverCheck(view, state);
    expect(check.ok && check.judgment.payload).toEqual({ task: "pairwise", preferred: "r-b", strength: 2, bothBad: false });
  });

  it("round-trips a stored judgment", () => {
    const state = apply(view, { type: "choose", choice: 1 }, { type: "toggleFlag", responseId: "r-b", flag: "pii" }, { type: "setFlagNote", responseId: "r-b", flag: "pii", note: " a phone number " });
    const check = serverCheck(view, { ...state, rationale: "because" });
    if (!check.ok) throw new Error(JSON.stringify(check.fields));
    const { payload, flags, rationale } = check.judgment;
    const again = initialState(pairwise({ judgment: { payload, flags, rationale } }));
    expect(again.choice).toBe(1);
    expect(again.flags).toEqual({ "r-b": { pii: "a phone number" } });
    expect(again.rationale).toBe("because");
  });
});

describe("flags", () => {
  const view = pairwise();
  it("toggles, keeps notes only while on, and lists flags in response then config order", () => {
    let state = apply(
      view,
      { type: "toggleFlag", responseId: "r-b", flag: "unsafe" },
      { type: "toggleFlag", responseId: "r-a", flag: "pii" },
      { type: "toggleFlag", responseId: "r-a", flag: "hallucination" },
      { type: "setFlagNote", responseId: "r-a", flag: "hallucination", note: "made-up citation" },
      { type: "setFlagNote", responseId: "r-a", flag: "refusal", note: "ignored: flag is off" },
    );
    expect(buildSubmission(view, state).flags).toEqual([
      { response_id: "r-a", flag: "hallucination", note: "made-up citation" },
      { response_id: "r-a", flag: "pii" },
      { response_id: "r-b", flag: "unsafe" },
    ]);
    state = judgingReducer(state, { type: "toggleFlag", responseId: "r-a", flag: "hallucination" });
    expect(buildSubmission(view, state).flags).toHaveLength(2);
  });
});

describe("ranking submissions", () => {
  const view = ranking();
  it("groups tiers best first in display order, dropping empty tiers", () => {
    const state = apply(
      view,
      { type: "setTier", responseId: "k3", tier: 1 },
      { type: "setTier", responseId: "k1", tier: 3 },
      { type: "setTier", responseId: "k0", tier: 3 },
      { type: "setTier", responseId: "k2", tier: 4 },
    );
    expect(tiersOf(view, state.tierOf)).toEqual([["k3"], ["k0", "k1"], ["k2"]]);
    expect(missingParts(view, state)).toEqual({});
    const check = serverCheck(view, state);
    expect(check.ok && check.judgment.payload).toEqual({ task: "ranking", tiers: [["k3"], ["k0", "k1"], ["k2"]] });
  });

  it("names the unplaced responses by letter", () => {
    const state = apply(view, { type: "setTier", responseId: "k0", tier: 1 }, { type: "setTier", responseId: "k2", tier: 2 }, { type: "setTier", responseId: "k2", tier: null });
    expect(missingParts(view, state).tiers).toContain("B, C, D");
  });
});

describe("rating submissions", () => {
  const view = rating();
  it("needs every aspect of every response and the rationale rule", () => {
    const partial = apply(view, { type: "setScore", responseId: "x1", aspect: "overall", score: 4 });
    const missing = missingParts(view, partial);
    expect(missing.scores).toContain("A Clarity");
    expect(missing.scores).toContain("B Overall");
    expect(missing.rationale).toContain("at least 20 characters");
  });

  it("passes the server checks once complete", () => {
    const state = apply(
      view,
      { type: "setScore", responseId: "x1", aspect: "overall", score: 4 },
      { type: "setScore", responseId: "x1", aspect: "clarity", score: 7 },
      { type: "setScore", responseId: "x2", aspect: "overall", score: 2 },
      { type: "setScore", responseId: "x2", aspect: "clarity", score: 1 },
      { type: "setRationale", rationale: "A is correct and far clearer than B." },
    );
    expect(missingParts(view, state)).toEqual({});
    const check = serverCheck(view, state);
    expect(check.ok && check.judgment.payload).toEqual({ task: "rating", scores: { x1: { overall: 4, clarity: 7 }, x2: { overall: 2, clarity: 1 } } });
  });
});
