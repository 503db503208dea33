import { describe, expect, it } from "vitest";
import { costFrontier, usdPer1kResponses } from "../../app/core/cost/price";

describe("usdPer1kResponses", () => {
  it("1,000 × (input tokens × input price + output tokens × output price) per million", () => {
    // GPT-4o-mini-like prices: $0.15 in, $0.60 out per million; 500 in, 200 out per response.
    expect(usdPer1kResponses({ inputUsdPerMtok: 0.15, outputUsdPerMtok: 0.6 }, 500, 200)).toBeCloseTo(0.075 + 0.12, 10);
    expect(usdPer1kResponses({ inputUsdPerMtok: 3, outputUsdPerMtok: 15 }, 1000, 1000)).toBeCloseTo(18, 10);
    expect(usdPer1kResponses({ inputUsdPerMtok: 0, outputUsdPerMtok: 0 }, 1000, 1000)).toBe(0);
  });

  it("is undefined without a price or without token counts", () => {
    expect(usdPer1kResponses(null, 500, 200)).toBeNull();
    expect(usdPer1kResponses({ inputUsdPerMtok: 1, outputUsdPerMtok: 1 }, null, 200)).toBeNull();
    expect(usdPer1kResponses({ inputUsdPerMtok: 1, outputUsdPerMtok: 1 }, 500, null)).toBeNull();
  });
});

describe("costFrontier", () => {
  it("keeps the models that no other is both cheaper and better than", () => {
    const frontier = costFrontier([
      { model: "cheap", rating: 900, usd: 0.1 },
      { model: "mid", rating: 1000, usd: 1 },
      { model: "dominated", rating: 950, usd: 2 },
      { model: "best", rating: 1100, usd: 10 },
      { model: "unpriced", rating: 1200, usd: null },
    ]);
    expect([...frontier].sort()).toEqual(["best", "cheap", "mid"]);
  });

  it("of two at one price, only the better is on it; of two equal in both, both are", () => {
    expect([...costFrontier([{ model: "a", rating: 1000, usd: 1 }, { model: "b", rating: 990, usd: 1 }])]).toEqual(["a"]);
    expect([...costFrontier([{ model: "a", rating: 1000, usd: 1 }, { model: "b", rating: 1000, usd: 1 }])].sort()).toEqual(["a", "b"]);
  });

  it("is empty when no model has a cost", () => {
    expect(costFrontier([{ model: "a", rating: 1000, usd: null }]).size).toBe(0);
  });
});
