import { describe, expect, it } from "vitest";
import { batchConfigSchema, type BatchConfig, type Task } from "../../app/core/tasks/config";
import { checkJudgment, judgmentInputSchema, type JudgmentCheck, type JudgmentInput } from "../../app/core/tasks/judgment";

const DEFAULT_FLAG_LIST = "hallucination, unsafe, refusal, incomplete, off_topic, pii";

function config(overrides: Record<string, unknown> = {}): BatchConfig {
  return batchConfigSchema.parse(overrides);
}

function check(
  task: Task,
  input: Omit<JudgmentInput, "client_id"> & { client_id?: string },
  options: { config?: BatchConfig; responseIds?: readonly string[] } = {},
): JudgmentCheck {
  const responseIds = options.responseIds ?? (task === "pairwise" ? ["r1", "r2"] : ["r1", "r2", "r3"]);
  return checkJudgment(judgmentInputSchema.parse({ client_id: "c-1", ...input }), {
    task,
    config: options.config ?? config(),
    responseIds,
  });
}

function fieldsOf(result: JudgmentCheck): Record<string, string> {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.judgment)}`);
  return result.fields;
}

function judgmentOf(result: JudgmentCheck) {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.fields)}`);
  return result.judgment;
}

/** Full scores for r1..r3 on the default aspects. */
function fullScores(overall: [number, number, number] = [4, 3, 2]) {
  const ids = ["r1", "r2", "r3"];
  return Object.fromEntries(
    ids.map((id, i) => [id, { overall: overall[i]!, helpfulness: 3, honesty: 4, harmlessness: 5 }]),
  );
}

describe("judgmentInputSchema", () => {
  it("defaults flags to [] and rationale to '' and leaves the rest undefined", () => {
    expect(judgmentInputSchema.parse({ client_id: "abc" })).toEqual({ client_id: "abc", flags: [], rationale: "" });
  });

  it("refuses an empty client_id with the message 'required'", () => {
    const result = judgmentInputSchema.safeParse({ client_id: "" });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.path, i.message])).toEqual([[["client_id"], "required"]]);
  });

  it("refuses a missing client_id and one longer than 100 characters", () => {
    expect(judgmentInputSchema.safeParse({}).success).toBe(false);
    expect(judgmentInputSchema.safeParse({ client_id: "x".repeat(100) }).success).toBe(true);
    expect(judgmentInputSchema.safeParse({ client_id: "x".repeat(101) }).success).toBe(false);
  });

  it("refuses an empty tier with its own message", () => {
    const result = judgmentInputSchema.safeParse({ client_id: "c", tiers: [["r1"], []] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => [i.path, i.message])).toEqual([[["tiers", 1], "a tier holds at least one response"]]);
  });

  it.each([0, 4, 1.5, -1])("refuses strength %j", (strength) => {
    const result = judgmentInputSchema.safeParse({ client_id: "c", preferred: "r1", strength });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path)).toEqual([["strength"]]);
  });

  it.each([1, 2, 3])("accepts strength %j", (strength) => {
    expect(judgmentInputSchema.parse({ client_id: "c", preferred: "r1", strength }).strength).toBe(strength);
  });

  it("refuses an empty preferred", () => {
    const result = judgmentInputSchema.safeParse({ client_id: "c", preferred: "" });
    expect(result.error!.issues.map((i) => i.path)).toEqual([["preferred"]]);
  });

  it("refuses non-integer scores", () => {
    const result = judgmentInputSchema.safeParse({ client_id: "c", scores: { r1: { overall: 3.5 } } });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path)).toEqual([["scores", "r1", "overall"]]);
  });

  it("bounds a flag note to 2000 characters and the flag list to 200", () => {
    const flag = { response_id: "r1", flag: "unsafe" };
    expect(judgmentInputSchema.safeParse({ client_id: "c", flags: [{ ...flag, note: "n".repeat(2000) }] }).success).toBe(true);
    expect(
      judgmentInputSchema.safeParse({ client_id: "c", flags: [{ ...flag, note: "n".repeat(2001) }] }).error!.issues.map((i) => i.path),
    ).toEqual([["flags", 0, "note"]]);
    expect(judgmentInputSchema.safeParse({ client_id: "c", flags: Array(200).fill(flag) }).success).toBe(true);
    expect(judgmentInputSchema.safeParse({ client_id: "c", flags: Array(201).fill(flag) }).error!.issues.map((i) => i.path)).toEqual([
      ["flags"],
    ]);
  });

  it("bounds the rationale to 20 000 characters", () => {
    expect(judgmentInputSchema.safeParse({ client_id: "c", rationale: "r".repeat(20_000) }).success).toBe(true);
    expect(judgmentInputSchema.safeParse({ client_id: "c", rationale: "r".repeat(20_001) }).success).toBe(false);
  });

  it("bounds duration_ms to 0 .. 24 h, integers only", () => {
    expect(judgmentInputSchema.parse({ client_id: "c", duration_ms: 0 }).duration_ms).toBe(0);
    expect(judgmentInputSchema.parse({ client_id: "c", duration_ms: 86_400_000 }).duration_ms).toBe(86_400_000);
    expect(judgmentInputSchema.safeParse({ client_id: "c", duration_ms: -1 }).success).toBe(false);
    expect(judgmentInputSchema.safeParse({ client_id: "c", duration_ms: 86_400_001 }).success).toBe(false);
    expect(judgmentInputSchema.safeParse({ client_id: "c", duration_ms: 10.5 }).success).toBe(false);
  });
});

describe("checkJudgment: pairwise on the 7-point scale", () => {
  it("accepts a preferred response with its strength and carries client id, duration and trimmed rationale", () => {
    const result = check("pairwise", { preferred: "r2", strength: 2, rationale: "  clearer  ", duration_ms: 1234 });
    expect(result).toEqual({
      ok: true,
      judgment: {
        clientId: "c-1",
        payload: { task: "pairwise", preferred: "r2", strength: 2, bothBad: false },
        flags: [],
        rationale: "clearer",
        durationMs: 1234,
      },
    });
  });

  it.each([1, 2, 3] as const)("keeps strength %i", (strength) => {
    expect(judgmentOf(check("pairwise", { preferred: "r1", strength })).payload).toEqual({
      task: "pairwise",
      preferred: "r1",
      strength,
      bothBad: false,
    });
  });

  it("gives durationMs null when no duration is sent", () => {
    expect(judgmentOf(check("pairwise", { preferred: "r1", strength: 1 })).durationMs).toBeNull();
  });

  it("accepts a tie with strength 0 and ignores a strength sent with it", () => {
    expect(judgmentOf(check("pairwise", { preferred: "tie" })).payload).toEqual({
      task: "pairwise",
      preferred: "tie",
      strength: 0,
      bothBad: false,
    });
    expect(judgmentOf(check("pairwise", { preferred: "tie", strength: 3 })).payload).toEqual({
      task: "pairwise",
      preferred: "tie",
      strength: 0,
      bothBad: false,
    });
  });

  it("records both_bad with a preference and with a tie", () => {
    expect(judgmentOf(check("pairwise", { preferred: "r1", strength: 1, both_bad: true })).payload).toEqual({
      task: "pairwise",
      preferred: "r1",
      strength: 1,
      bothBad: true,
    });
    expect(judgmentOf(check("pairwise", { preferred: "tie", both_bad: true })).payload).toEqual({
      task: "pairwise",
      preferred: "tie",
      strength: 0,
      bothBad: true,
    });
    expect(judgmentOf(check("pairwise", { preferred: "tie", both_bad: false })).payload).toMatchObject({ bothBad: false });
  });

  it("requires preferred", () => {
    expect(fieldsOf(check("pairwise", {}))).toEqual({ preferred: 'required: a response id or "tie"' });
    expect(fieldsOf(check("pairwise", { strength: 2 }))).toEqual({ preferred: 'required: a response id or "tie"' });
  });

  it("refuses a preferred id that is not a response of the item", () => {
    expect(fieldsOf(check("pairwise", { preferred: "r9", strength: 2 }))).toEqual({
      preferred: "not a response of this item: r9",
    });
  });

  it("requires a strength for a preference on the 7-point scale", () => {
    expect(fieldsOf(check("pairwise", { preferred: "r1" }))).toEqual({ strength: "required: 1, 2 or 3" });
  });

  it("reports an unknown preferred id and a missing strength together", () => {
    expect(fieldsOf(check("pairwise", { preferred: "nope" }))).toEqual({
      preferred: "not a response of this item: nope",
      strength: "required: 1, 2 or 3",
    });
  });
});

describe("checkJudgment: pairwise on the 3-point scale", () => {
  const threePoint = config({ scale: "3-point" });

  it("defaults the strength of a preference to 1", () => {
    expect(judgmentOf(check("pairwise", { preferred: "r2" }, { config: threePoint })).payload).toEqual({
      task: "pairwise",
      preferred: "r2",
      strength: 1,
      bothBad: false,
    });
  });

  it("accepts an explicit strength 1", () => {
    expect(judgmentOf(check("pairwise", { preferred: "r1", strength: 1 }, { config: threePoint })).payload).toEqual({
      task: "pairwise",
      preferred: "r1",
      strength: 1,
      bothBad: false,
    });
  });

  it.each([2, 3])("refuses strength %i", (strength) => {
    expect(fieldsOf(check("pairwise", { preferred: "r1", strength }, { config: threePoint }))).toEqual({
      strength: "at most 1 on a 3-point scale",
    });
  });

  it("accepts a tie with strength 0", () => {
    expect(judgmentOf(check("pairwise", { preferred: "tie" }, { config: threePoint })).payload).toEqual({
      task: "pairwise",
      preferred: "tie",
      strength: 0,
      bothBad: false,
    });
  });
});

describe("checkJudgment: ranking", () => {
  it("accepts tiers covering every response once, as a copy", () => {
    const tiers = [["r2"], ["r1", "r3"]];
    const judgment = judgmentOf(check("ranking", { tiers }));
    expect(judgment.payload).toEqual({ task: "ranking", tiers: [["r2"], ["r1", "r3"]] });
    if (judgment.payload.task !== "ranking") throw new Error("unreachable");
    expect(judgment.payload.tiers).not.toBe(tiers);
    expect(judgment.payload.tiers[1]).not.toBe(tiers[1]);
  });

  it("accepts a single tier holding everything and one tier per response", () => {
    expect(judgmentOf(check("ranking", { tiers: [["r3", "r1", "r2"]] })).payload).toEqual({
      task: "ranking",
      tiers: [["r3", "r1", "r2"]],
    });
    expect(judgmentOf(check("ranking", { tiers: [["r3"], ["r1"], ["r2"]] })).payload).toEqual({
      task: "ranking",
      tiers: [["r3"], ["r1"], ["r2"]],
    });
  });

  it("requires tiers", () => {
    expect(fieldsOf(check("ranking", {}))).toEqual({
      tiers: "required: a list of tiers, best first, each a list of response ids",
    });
  });

  it("names every missing response", () => {
    expect(fieldsOf(check("ranking", { tiers: [["r2"]] }))).toEqual({ tiers: "every response must be ranked; missing: r1, r3" });
    expect(fieldsOf(check("ranking", { tiers: [] }))).toEqual({ tiers: "every response must be ranked; missing: r1, r2, r3" });
  });

  it("names every unknown id", () => {
    expect(fieldsOf(check("ranking", { tiers: [["r1", "x"], ["r2", "r3", "y"]] }))).toEqual({
      tiers: "not responses of this item: x, y",
    });
  });

  it("refuses a response placed twice, in two tiers or within one", () => {
    expect(fieldsOf(check("ranking", { tiers: [["r1"], ["r2", "r3"], ["r1"]] }))).toEqual({
      tiers: "each response may appear in only one tier, once",
    });
    expect(fieldsOf(check("ranking", { tiers: [["r1", "r1"], ["r2", "r3"]] }))).toEqual({
      tiers: "each response may appear in only one tier, once",
    });
  });

  it("reports unknown ids before duplicates and duplicates before missing responses", () => {
    expect(fieldsOf(check("ranking", { tiers: [["r1", "r1"], ["zz"]] }))).toEqual({ tiers: "not responses of this item: zz" });
    expect(fieldsOf(check("ranking", { tiers: [["r1", "r1"]] }))).toEqual({
      tiers: "each response may appear in only one tier, once",
    });
  });
});

describe("checkJudgment: rating", () => {
  it("accepts a score for every response and aspect, keeping only the batch's aspects", () => {
    const scores = fullScores([5, 1, 3]);
    (scores.r1 as Record<string, number>).creativity = 2;
    expect(judgmentOf(check("rating", { scores })).payload).toEqual({
      task: "rating",
      scores: {
        r1: { overall: 5, helpfulness: 3, honesty: 4, harmlessness: 5 },
        r2: { overall: 1, helpfulness: 3, honesty: 4, harmlessness: 5 },
        r3: { overall: 3, helpfulness: 3, honesty: 4, harmlessness: 5 },
      },
    });
  });

  it("requires scores", () => {
    expect(fieldsOf(check("rating", {}))).toEqual({ scores: "required: a score for each aspect of each response" });
  });

  it("names each missing score, response by response, aspect by aspect", () => {
    const scores = fullScores();
    delete (scores.r1 as Record<string, number>).honesty;
    delete scores.r3;
    expect(fieldsOf(check("rating", { scores }))).toEqual({
      scores:
        "r1.honesty is missing; r3.overall is missing; r3.helpfulness is missing; r3.honesty is missing; r3.harmlessness is missing",
    });
  });

  it("accepts the bounds and refuses one past each bound", () => {
    const atBounds = fullScores([1, 5, 3]);
    expect(judgmentOf(check("rating", { scores: atBounds })).payload).toMatchObject({ task: "rating" });

    const outside = fullScores([0, 6, 3]);
    expect(fieldsOf(check("rating", { scores: outside }))).toEqual({
      scores: "r1.overall must be 1–5; r2.overall must be 1–5",
    });
  });

  it("uses each aspect's own range", () => {
    const custom = config({
      aspects: [
        { key: "overall", label: "Overall", min: 0, max: 10 },
        { key: "tone", label: "Tone", min: -2, max: 2 },
      ],
    });
    const ok = { r1: { overall: 0, tone: -2 }, r2: { overall: 10, tone: 2 } };
    expect(judgmentOf(check("rating", { scores: ok }, { config: custom, responseIds: ["r1", "r2"] })).payload).toEqual({
      task: "rating",
      scores: { r1: { overall: 0, tone: -2 }, r2: { overall: 10, tone: 2 } },
    });
    const bad = { r1: { overall: 11, tone: -3 }, r2: { overall: 7, tone: 0 } };
    expect(fieldsOf(check("rating", { scores: bad }, { config: custom, responseIds: ["r1", "r2"] }))).toEqual({
      scores: "r1.overall must be 0–10; r1.tone must be -2–2",
    });
  });

  it("refuses scores for responses that are not of the item", () => {
    const scores = { ...fullScores(), r7: { overall: 3 }, r8: {} };
    expect(fieldsOf(check("rating", { scores }))).toEqual({ scores: "not responses of this item: r7, r8" });
  });

  it("joins every kind of problem into one message", () => {
    const scores: Record<string, Record<string, number>> = { ...fullScores([9, 3, 3]), ghost: { overall: 1 } };
    delete scores.r2!.harmlessness;
    expect(fieldsOf(check("rating", { scores }))).toEqual({
      scores: "r1.overall must be 1–5; r2.harmlessness is missing; not responses of this item: ghost",
    });
  });
});

describe("checkJudgment: flags", () => {
  it("keeps valid flags with their notes, defaulting the note to ''", () => {
    const judgment = judgmentOf(
      check("pairwise", {
        preferred: "r1",
        strength: 3,
        flags: [
          { response_id: "r2", flag: "hallucination", note: "made-up citation" },
          { response_id: "r2", flag: "unsafe" },
          { response_id: "r1", flag: "hallucination" },
        ],
      }),
    );
    expect(judgment.flags).toEqual([
      { responseId: "r2", flag: "hallucination", note: "made-up citation" },
      { responseId: "r2", flag: "unsafe", note: "" },
      { responseId: "r1", flag: "hallucination", note: "" },
    ]);
  });

  it("collapses a repeated (response, flag) to the first one", () => {
    const judgment = judgmentOf(
      check("ranking", {
        tiers: [["r1", "r2", "r3"]],
        flags: [
          { response_id: "r3", flag: "pii", note: "first" },
          { response_id: "r3", flag: "pii", note: "second" },
          { response_id: "r3", flag: "pii" },
        ],
      }),
    );
    expect(judgment.flags).toEqual([{ responseId: "r3", flag: "pii", note: "first" }]);
  });

  it("refuses a flag on a response that is not of the item, keyed by its index", () => {
    expect(
      fieldsOf(
        check("pairwise", {
          preferred: "r1",
          strength: 1,
          flags: [
            { response_id: "r1", flag: "unsafe" },
            { response_id: "r5", flag: "unsafe" },
          ],
        }),
      ),
    ).toEqual({ "flags.1.response_id": "not a response of this item: r5" });
  });

  it("refuses a flag that is not in the batch's list, naming the list", () => {
    expect(
      fieldsOf(check("pairwise", { preferred: "r1", strength: 1, flags: [{ response_id: "r2", flag: "boring" }] })),
    ).toEqual({ "flags.0.flag": `not a flag of this batch: boring (flags: ${DEFAULT_FLAG_LIST})` });
  });

  it("uses the batch's own flag list, not the defaults", () => {
    const custom = config({ flags: ["toxic", "too_long"] });
    expect(
      judgmentOf(check("pairwise", { preferred: "tie", flags: [{ response_id: "r1", flag: "toxic" }] }, { config: custom })).flags,
    ).toEqual([{ responseId: "r1", flag: "toxic", note: "" }]);
    expect(
      fieldsOf(check("pairwise", { preferred: "tie", flags: [{ response_id: "r1", flag: "unsafe" }] }, { config: custom })),
    ).toEqual({ "flags.0.flag": "not a flag of this batch: unsafe (flags: toxic, too_long)" });
  });

  it("reports only the response id when both the response and the flag are wrong", () => {
    expect(fieldsOf(check("pairwise", { preferred: "tie", flags: [{ response_id: "r9", flag: "boring" }] }))).toEqual({
      "flags.0.response_id": "not a response of this item: r9",
    });
  });

  it("reports flag problems next to payload problems", () => {
    expect(fieldsOf(check("ranking", { tiers: [["r1"]], flags: [{ response_id: "x", flag: "pii" }] }))).toEqual({
      tiers: "every response must be ranked; missing: r2, r3",
      "flags.0.response_id": "not a response of this item: x",
    });
  });

  it("applies to rating judgments too", () => {
    expect(
      fieldsOf(
        check("rating", {
          scores: fullScores(),
          flags: [
            { response_id: "r1", flag: "refusal" },
            { response_id: "r3", flag: "spam" },
          ],
        }),
      ),
    ).toEqual({ "flags.1.flag": `not a flag of this batch: spam (flags: ${DEFAULT_FLAG_LIST})` });
  });
});

describe("checkJudgment: rationale", () => {
  const tie = { preferred: "tie" } as const;

  it("is optional by default, even when empty", () => {
    expect(judgmentOf(check("pairwise", { ...tie })).rationale).toBe("");
  });

  it("is not enforced when minLength is set but required is false", () => {
    const optional = config({ rationale: { required: false, minLength: 50 } });
    expect(judgmentOf(check("pairwise", { ...tie, rationale: "short" }, { config: optional })).rationale).toBe("short");
  });

  it("with required and minLength 0, refuses an empty or blank rationale with 'required'", () => {
    const required = config({ rationale: { required: true } });
    expect(fieldsOf(check("pairwise", { ...tie }, { config: required }))).toEqual({ rationale: "required" });
    expect(fieldsOf(check("pairwise", { ...tie, rationale: " \n\t " }, { config: required }))).toEqual({ rationale: "required" });
    expect(judgmentOf(check("pairwise", { ...tie, rationale: "k" }, { config: required })).rationale).toBe("k");
  });

  it("with required and minLength 1, says just 'required'", () => {
    const required = config({ rationale: { required: true, minLength: 1 } });
    expect(fieldsOf(check("pairwise", { ...tie, rationale: "  " }, { config: required }))).toEqual({ rationale: "required" });
    expect(judgmentOf(check("pairwise", { ...tie, rationale: "y" }, { config: required })).rationale).toBe("y");
  });

  it("with required and minLength 10, counts trimmed characters", () => {
    const required = config({ rationale: { required: true, minLength: 10 } });
    expect(fieldsOf(check("pairwise", { ...tie, rationale: "123456789" }, { config: required }))).toEqual({
      rationale: "required: at least 10 characters",
    });
    expect(fieldsOf(check("pairwise", { ...tie, rationale: "   123456789    " }, { config: required }))).toEqual({
      rationale: "required: at least 10 characters",
    });
    expect(fieldsOf(check("pairwise", { ...tie }, { config: required }))).toEqual({
      rationale: "required: at least 10 characters",
    });
    expect(judgmentOf(check("pairwise", { ...tie, rationale: "  1234567890  " }, { config: required })).rationale).toBe(
      "1234567890",
    );
  });

  it("with minLength 2, uses the length message", () => {
    const required = config({ rationale: { required: true, minLength: 2 } });
    expect(fieldsOf(check("pairwise", { ...tie, rationale: "a" }, { config: required }))).toEqual({
      rationale: "required: at least 2 characters",
    });
  });

  it("is reported with every other problem", () => {
    const required = config({ rationale: { required: true, minLength: 5 } });
    expect(
      fieldsOf(
        check(
          "pairwise",
          { preferred: "r3", strength: 1, rationale: "meh", flags: [{ response_id: "r1", flag: "nope" }] },
          { config: required },
        ),
      ),
    ).toEqual({
      preferred: "not a response of this item: r3",
      "flags.0.flag": `not a flag of this batch: nope (flags: ${DEFAULT_FLAG_LIST})`,
      rationale: "required: at least 5 characters",
    });
  });
});
