import { describe, expect, it } from "vitest";
import { lengthBias, lengthBiasFromCounts, positionBias, positionBiasFromCounts } from "../../app/core/ranking/bias";

describe("positionBiasFromCounts", () => {
  it("is positionBias of that many left and right choices", () => {
    for (const [left, n] of [[0, 0], [1, 2], [7, 10], [0, 5], [5, 5], [5120, 10_000]] as const) {
      const judgments = Array.from({ length: n }, (_, i) => ({ leftPreferred: i < left }));
      expect(positionBiasFromCounts(left, n)).toEqual(positionBias(judgments));
    }
    expect(positionBiasFromCounts(1, 2)).toEqual({ left_rate: 0.5, p_value: 1, n: 2 });
    expect(positionBiasFromCounts(0, 0)).toEqual({ left_rate: null, p_value: null, n: 0 });
  });

  it("rejects impossible counts", () => {
    expect(() => positionBiasFromCounts(3, 2)).toThrow(RangeError);
    expect(() => positionBiasFromCounts(-1, 2)).toThrow(RangeError);
    expect(() => positionBiasFromCounts(1.5, 2)).toThrow(RangeError);
  });
});

describe("lengthBiasFromCounts", () => {
  it("is lengthBias of that many pairs, `longer` of them won by the longer response", () => {
    for (const [longer, n] of [[0, 0], [1, 1], [2, 3], [0, 4]] as const) {
      const pairs = Array.from({ length: n }, (_, i) => (i < longer ? { chosenLength: 10, rejectedLength: 5 } : { chosenLength: 5, rejectedLength: 10 }));
      expect(lengthBiasFromCounts(longer, n)).toEqual(lengthBias(pairs));
    }
    expect(lengthBiasFromCounts(0, 0)).toEqual({ longer_rate: null, n: 0 });
  });

  it("rejects impossible counts", () => {
    expect(() => lengthBiasFromCounts(2, 1)).toThrow(RangeError);
    expect(() => lengthBiasFromCounts(Number.NaN, 1)).toThrow(RangeError);
  });
});
