import { describe, expect, it } from "vitest";
import { alphaReading, formatFigure, formatInterval, kappaReading, NO_FIGURE } from "../../app/core/figures";

describe("formatFigure", () => {
  it("writes each kind one way: grouped counts, fixed decimals", () => {
    expect(formatFigure(2312, "count")).toBe("2,312");
    expect(formatFigure(300000, "count")).toBe("300,000");
    expect(formatFigure(0.75, "coefficient")).toBe("0.750");
    expect(formatFigure(-0.1234, "coefficient")).toBe("-0.123");
    expect(formatFigure(1, "coefficient")).toBe("1.000");
    expect(formatFigure(0.5189, "rate")).toBe("51.9%");
    expect(formatFigure(0.125, "rate")).toBe("12.5%");
    expect(formatFigure(1166.94, "rating")).toBe("1,166.9");
    expect(formatFigure(794.05, "rating")).toBe("794.1");
    expect(formatFigure(14, "seconds")).toBe("14.0");
    expect(formatFigure(0.0346, "p_value")).toBe("0.035");
    expect(formatFigure(1, "p_value")).toBe("1.000");
    expect(formatFigure(0.046512, "usd")).toBe("$0.0465");
    expect(formatFigure(1.42, "usd")).toBe("$1.42");
    expect(formatFigure(18, "usd")).toBe("$18");
    expect(formatFigure(1234.5, "usd")).toBe("$1,230");
  });

  it("writes tiny p-values as < 0.001 and a dash for undefined figures", () => {
    expect(formatFigure(7.7e-81, "p_value")).toBe("< 0.001");
    expect(formatFigure(0.001, "p_value")).toBe("0.001");
    for (const value of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) expect(formatFigure(value, "coefficient")).toBe(NO_FIGURE);
  });

  it("drops the minus sign of a figure that rounds to zero", () => {
    expect(formatFigure(-0.0001, "coefficient")).toBe("0.000");
    expect(formatFigure(-0.00001, "rate")).toBe("0.0%");
    expect(formatFigure(-0.02, "rating")).toBe("0.0");
  });

  it("writes intervals with both ends in the same format", () => {
    expect(formatInterval([0.713, 0.7182], "coefficient")).toBe("0.713 – 0.718");
    expect(formatInterval([1165.34, 1168.21], "rating")).toBe("1,165.3 – 1,168.2");
    expect(formatInterval(null, "rating")).toBe(NO_FIGURE);
  });
});

describe("readings", () => {
  it("reads alpha as Krippendorff (2004) does", () => {
    expect([0.85, 0.8, 0.7999, 0.667, 0.6669, -0.2].map(alphaReading)).toEqual(["reliable", "reliable", "tentative", "tentative", "unreliable", "unreliable"]);
    expect(alphaReading(null)).toBeNull();
  });

  it("reads kappa in Landis & Koch's (1977) bands", () => {
    expect([-0.01, 0, 0.2, 0.21, 0.4, 0.6, 0.8, 0.81, 1].map(kappaReading)).toEqual([
      "poor",
      "slight",
      "slight",
      "fair",
      "fair",
      "moderate",
      "substantial",
      "almost perfect",
      "almost perfect",
    ]);
    expect(kappaReading(null)).toBeNull();
  });
});
