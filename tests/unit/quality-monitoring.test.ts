import { describe, expect, it } from "vitest";
import {
  decidedPairs,
  flagList,
  flagRatesByModel,
  flagsByResponse,
  flaggedResponses,
  flagTimeline,
  inRange,
  isDay,
  judgeDecisions,
  proportion,
  qualitySummary,
  responseDay,
  wilsonInterval,
  winRatesByModel,
  type JudgeVerdictRow,
  type QualityResponse,
} from "../../app/core/quality/monitoring";
import type { JudgmentPayload } from "../../app/core/tasks/judgment";

const close = (actual: readonly [number, number] | null, expected: [number, number], digits = 4) => {
  expect(actual).not.toBeNull();
  expect(actual![0]).toBeCloseTo(expected[0], digits);
  expect(actual![1]).toBeCloseTo(expected[1], digits);
};

describe("wilsonInterval", () => {
  it("matches Newcombe (1998) Table I, method 3 (Wilson score without continuity correction)", () => {
    close(wilsonInterval(81, 263), [0.2553, 0.3662]);
    close(wilsonInterval(15, 148), [0.0624, 0.1605]);
    close(wilsonInterval(0, 20), [0, 0.1611]);
    close(wilsonInterval(1, 29), [0.0061, 0.1718]);
  });

  it("gives the values computed by hand for 0 and 5 of 10", () => {
    // 0/10: (z²/20 ± z·√(z²/400)) / (1 + z²/10) = (0.19207 ± 0.19207) / 1.38415
    close(wilsonInterval(0, 10), [0, 0.2775]);
    expect(wilsonInterval(0, 10)![0]).toBe(0);
    // 5/10: 0.5 ± z·√(0.025 + z²/400) / 1.38415 = 0.5 ± 0.26341
    close(wilsonInterval(5, 10), [0.2366, 0.7634]);
  });

  it("has ends where the score test is exactly at z", () => {
    const z = 1.959964;
    for (const [s, n] of [
      [3, 17],
      [81, 263],
      [40, 41],
    ] as const) {
      const p = s / n;
      for (const end of wilsonInterval(s, n)!) expect(Math.abs(p - end) / Math.sqrt((end * (1 - end)) / n)).toBeCloseTo(z, 9);
    }
  });

  it("is symmetric, stays in [0, 1] and widens with z", () => {
    const [lo, hi] = wilsonInterval(3, 17)!;
    const [lo2, hi2] = wilsonInterval(14, 17)!;
    expect(lo).toBeCloseTo(1 - hi2, 12);
    expect(hi).toBeCloseTo(1 - lo2, 12);
    expect(wilsonInterval(10, 10)![1]).toBe(1);
    const narrow = wilsonInterval(3, 17, 1)!;
    expect(narrow[0]).toBeGreaterThan(lo);
    expect(narrow[1]).toBeLessThan(hi);
  });

  it("is undefined for n = 0 and for impossible counts", () => {
    expect(wilsonInterval(0, 0)).toBeNull();
    expect(wilsonInterval(3, 2)).toBeNull();
    expect(wilsonInterval(-1, 5)).toBeNull();
    expect(wilsonInterval(1.5, 5)).toBeNull();
  });

  it("comes with the rate in proportion()", () => {
    expect(proportion(5, 10)).toMatchObject({ successes: 5, n: 10, rate: 0.5 });
    close(proportion(5, 10).ci, [0.2366, 0.7634]);
    expect(proportion(0, 0)).toEqual({ successes: 0, n: 0, rate: null, ci: null });
  });
});

describe("days", () => {
  it("takes the UTC day of sampled_at, else of the dataset's creation", () => {
    expect(responseDay("2024-05-02T23:30:00-02:00", 0)).toBe("2024-05-03");
    expect(responseDay("2024-05-02T10:00:00Z", 0)).toBe("2024-05-02");
    expect(responseDay(undefined, Date.UTC(2024, 0, 9, 12))).toBe("2024-01-09");
    expect(responseDay("not a time", Date.UTC(2024, 0, 9))).toBe("2024-01-09");
    expect(responseDay(12345, Date.UTC(2024, 0, 9))).toBe("2024-01-09");
  });

  it("checks calendar days and ranges with both ends included", () => {
    expect(isDay("2024-02-29")).toBe(true);
    expect(isDay("2023-02-29")).toBe(false);
    expect(isDay("2024-2-1")).toBe(false);
    expect(inRange("2024-01-05", { from: "2024-01-05", to: "2024-01-05" })).toBe(true);
    expect(inRange("2024-01-04", { from: "2024-01-05" })).toBe(false);
    expect(inRange("2024-01-06", { to: "2024-01-05" })).toBe(false);
    expect(inRange("1999-01-01", {})).toBe(true);
  });
});

const responses: QualityResponse[] = [
  { id: "a1", model: "alpha", day: "2024-01-01" },
  { id: "b1", model: "beta", day: "2024-01-01" },
  { id: "a2", model: "alpha", day: "2024-01-02" },
  { id: "b2", model: "beta", day: "2024-01-02" },
  { id: "a3", model: "alpha", day: "2024-01-03" },
  { id: "b3", model: "beta", day: "2024-01-03" },
  { id: "c3", model: "gamma", day: "2024-01-03" },
];
const byId = new Map(responses.map((r) => [r.id, r]));

/** Two reviewers on (a1, b1), one on (a2, b2), one on (a3, b3). */
const judgments = [
  { responseIds: ["a1", "b1"], flags: [{ responseId: "a1", flag: "hallucination", note: " made up a date " }, { responseId: "a1", flag: "pii" }] },
  { responseIds: ["a1", "b1"], flags: [{ responseId: "a1", flag: "hallucination", note: "" }, { responseId: "b1", flag: "unsafe", note: "<img src=x onerror=alert(1)>" }] },
  { responseIds: ["a2", "b2"], flags: [{ responseId: "a2", flag: "refusal" }, { responseId: "a2", flag: "refusal" }, { responseId: "zz", flag: "pii" }] },
  { responseIds: ["a3", "b3"], flags: [] },
];

describe("flag counts and rates", () => {
  it("counts each flag once per judgment and keeps non-empty notes", () => {
    const seen = flagsByResponse(judgments, byId);
    expect(seen.get("a1")).toEqual({
      observations: 2,
      flags: new Map([
        ["hallucination", { count: 2, notes: ["made up a date"] }],
        ["pii", { count: 1, notes: [] }],
      ]),
    });
    // Named twice in one judgment: once.
    expect(seen.get("a2")!.flags.get("refusal")!.count).toBe(1);
    expect(seen.get("b3")).toEqual({ observations: 1, flags: new Map() });
    // A flag on a response the judgment does not show is ignored; unknown responses are left out.
    expect(seen.has("zz")).toBe(false);
    expect(seen.has("c3")).toBe(false);
  });

  it("gives per model the share of judged responses flagged, per flag and any", () => {
    const seen = flagsByResponse(judgments, byId);
    const rates = flagRatesByModel(seen, byId, ["hallucination", "unsafe", "refusal", "pii"]);
    const alpha = rates.get("alpha")!;
    expect(alpha.judged).toBe(3);
    expect(alpha.any).toMatchObject({ successes: 2, n: 3 }); // a1, a2
    expect(alpha.flags.hallucination).toMatchObject({ successes: 1, n: 3, rate: 1 / 3 }); // a1 once, though two reviewers
    expect(alpha.flags.refusal).toMatchObject({ successes: 1, n: 3 });
    expect(alpha.flags.unsafe).toMatchObject({ successes: 0, n: 3, rate: 0 });
    close(alpha.flags.unsafe!.ci, [0, 0.5615]);
    expect(rates.get("beta")!.any).toMatchObject({ successes: 1, n: 3 });
    // gamma has a response but no judgment: undefined rates.
    expect(rates.get("gamma")).toMatchObject({ judged: 0, any: { rate: null, ci: null } });
  });

  it("leaves out responses outside the day range", () => {
    const range = { from: "2024-01-02" };
    const seen = flagsByResponse(judgments, byId, range);
    expect([...seen.keys()].sort()).toEqual(["a2", "a3", "b2", "b3"]);
    const rates = flagRatesByModel(seen, byId, ["hallucination"], range);
    expect(rates.get("alpha")).toMatchObject({ judged: 2, any: { successes: 1, n: 2 }, flags: { hallucination: { successes: 0, n: 2 } } });
  });

  it("lists configured flags first, then any other seen, alphabetically", () => {
    expect(flagList(["unsafe", "pii"], ["pii", "weird", "also_odd", "weird"])).toEqual(["unsafe", "pii", "also_odd", "weird"]);
  });
});

const pair = (preferred: string, strength: 0 | 1 | 2 | 3 = 2): JudgmentPayload => ({ task: "pairwise", preferred, strength, bothBad: false });
const verdict = (key: string, swapped: boolean, responseIds: string[], payload: JudgmentPayload): JudgeVerdictRow => ({ key, swapped, responseIds, payload, overallAspect: "overall" });

describe("win rates", () => {
  it("leaves ties out of the reviewers' pairs", () => {
    expect(
      decidedPairs([
        { chosenId: "a1", rejectedId: "b1", strength: 2 },
        { chosenId: "b2", rejectedId: "a2", strength: 0 },
      ]),
    ).toEqual([{ winner: "a1", loser: "b1" }]);
  });

  it("keeps a twice-judged pairwise item only where both presentations agree", () => {
    const decisions = judgeDecisions([
      verdict("run1:i1", false, ["a1", "b1"], pair("a1")),
      verdict("run1:i1", true, ["a1", "b1"], pair("a1")), // agree: a1 wins
      verdict("run1:i2", false, ["a2", "b2"], pair("a2")),
      verdict("run1:i2", true, ["a2", "b2"], pair("b2")), // flips with the order: left out
      verdict("run1:i3", true, ["a3", "b3"], pair("b3")), // one presentation only: kept
      verdict("run1:i4", false, ["a3", "c3"], pair("tie", 0)), // a tie: left out
      verdict("run2:i2", false, ["a2", "b2"], pair("b2")), // another run: its own
    ]);
    expect(decisions).toEqual([
      { winner: "a1", loser: "b1" },
      { winner: "b3", loser: "a3" },
      { winner: "b2", loser: "a2" },
    ]);
  });

  it("reads rankings and ratings through pairOutcomes", () => {
    const ranking: JudgmentPayload = { task: "ranking", tiers: [["c3"], ["a3", "b3"]] };
    expect(judgeDecisions([verdict("r:i", false, ["a3", "b3", "c3"], ranking)])).toEqual([
      { winner: "c3", loser: "a3" },
      { winner: "c3", loser: "b3" },
    ]);
    const rating: JudgmentPayload = { task: "rating", scores: { a1: { overall: 2 }, b1: { overall: 4 } } };
    expect(judgeDecisions([verdict("r:j", false, ["a1", "b1"], rating)])).toEqual([{ winner: "b1", loser: "a1" }]);
  });

  it("counts a decided pair for each model in range, leaving out same-model and unknown pairs", () => {
    const more = new Map(byId);
    more.set("a1b", { id: "a1b", model: "alpha", day: "2024-01-01" });
    const decisions = [
      { winner: "a1", loser: "b1" },
      { winner: "a2", loser: "b2" },
      { winner: "b3", loser: "a3" },
      { winner: "c3", loser: "a3" },
      { winner: "a1", loser: "a1b" }, // same model
      { winner: "a1", loser: "nobody" },
    ];
    const rates = winRatesByModel(decisions, more);
    expect(rates.get("alpha")).toMatchObject({ successes: 2, n: 4, rate: 0.5 });
    expect(rates.get("beta")).toMatchObject({ successes: 1, n: 3 });
    expect(rates.get("gamma")).toMatchObject({ successes: 1, n: 1 });
    // Only 2024-01-03: a3 lost twice; b1 and b2 are out of range, so their pairs count for nobody.
    const late = winRatesByModel(decisions, more, { from: "2024-01-03" });
    expect(late.get("alpha")).toMatchObject({ successes: 0, n: 2 });
    expect(late.get("beta")).toMatchObject({ successes: 1, n: 1 });
  });
});

describe("timeline and flagged responses", () => {
  const reviewers = flagsByResponse(judgments, byId);
  const judge = flagsByResponse(
    [
      { responseIds: ["a1", "b1"], flags: [{ responseId: "b1", flag: "unsafe" }] },
      { responseIds: ["a1", "b1"], flags: [{ responseId: "b1", flag: "unsafe" }, { responseId: "b1", flag: "made_up" }] },
      { responseIds: ["a3", "c3"], flags: [{ responseId: "c3", flag: "off_topic" }] },
    ],
    byId,
  );

  it("buckets the any-flag rates by day and model", () => {
    const days = flagTimeline(reviewers, judge, byId);
    expect(days.map((d) => d.day)).toEqual(["2024-01-01", "2024-01-02", "2024-01-03"]);
    expect(days[0]!.models.alpha).toMatchObject({ reviewers: { successes: 1, n: 1 }, judge: { successes: 0, n: 1 } });
    expect(days[0]!.models.beta).toMatchObject({ reviewers: { successes: 1, n: 1 }, judge: { successes: 1, n: 1 } });
    expect(days[1]!.models.alpha).toMatchObject({ reviewers: { successes: 1, n: 1 }, judge: { n: 0, rate: null } });
    expect(days[2]!.models.gamma).toMatchObject({ reviewers: { n: 0 }, judge: { successes: 1, n: 1 } });
    expect(flagTimeline(reviewers, judge, byId, { to: "2024-01-01" }).map((d) => d.day)).toEqual(["2024-01-01"]);
  });

  it("lists every flagged response, most flags first, with counts and notes", () => {
    const rows = flaggedResponses(reviewers, judge, byId, ["hallucination", "unsafe", "refusal", "off_topic", "pii"]);
    expect(rows.map((r) => [r.responseId, r.total])).toEqual([
      ["b1", 4], // 1 by reviewers + unsafe ×2, made_up ×1 by the judge
      ["a1", 3],
      ["a2", 1],
      ["c3", 1],
    ]);
    expect(rows[0]).toMatchObject({
      model: "beta",
      reviewerJudgments: 2,
      reviewerFlags: [{ flag: "unsafe", count: 1, notes: ["<img src=x onerror=alert(1)>"] }],
      judgeVerdicts: 2,
      judgeFlags: [
        { flag: "unsafe", count: 2 },
        { flag: "made_up", count: 1 },
      ],
    });
    expect(rows[1]!.reviewerFlags).toEqual([
      { flag: "hallucination", count: 2, notes: ["made up a date"] },
      { flag: "pii", count: 1, notes: [] },
    ]);
    expect(flaggedResponses(reviewers, judge, byId, [], { from: "2024-01-02" }).map((r) => r.responseId)).toEqual(["a2", "c3"]);
  });

  it("puts it together per model in qualitySummary", () => {
    const summary = qualitySummary({
      responses,
      range: {},
      configuredFlags: ["hallucination", "unsafe"],
      reviewerJudgments: judgments,
      reviewerPairs: [
        { chosenId: "a1", rejectedId: "b1", strength: 1 },
        { chosenId: "b2", rejectedId: "a2", strength: 0 },
      ],
      judgeVerdicts: [{ ...verdict("r:i1", false, ["a1", "b1"], pair("b1")), flags: [{ responseId: "b1", flag: "unsafe" }] }],
    });
    expect(summary.flags).toEqual(["hallucination", "unsafe", "pii", "refusal"]);
    expect(summary.models.map((m) => [m.model, m.responses])).toEqual([
      ["alpha", 3],
      ["beta", 3],
      ["gamma", 1],
    ]);
    const [alpha, beta, gamma] = summary.models;
    expect(alpha!.winRate.reviewers).toMatchObject({ successes: 1, n: 1 });
    expect(alpha!.winRate.judge).toMatchObject({ successes: 0, n: 1 });
    expect(beta!.judge).toMatchObject({ judged: 1, any: { successes: 1, n: 1 } });
    expect(gamma!.reviewers.flags.pii).toMatchObject({ n: 0, rate: null });
    expect(gamma!.winRate.reviewers).toMatchObject({ n: 0, rate: null });
    expect(summary.flagged[0]!.responseId).toBe("a1");
  });
});
