/**
 * How a statistics figure is written, one way per kind of figure, wherever it appears (the
 * stats and leaderboard pages, their charts, the CLI's text output): en-US digit grouping
 * (2,312) and a fixed number of decimals per kind, so the same figure reads the same
 * everywhere and columns line up. Pure: no I/O.
 */

/**
 * - count: whole numbers (items, judgments, battles), grouped: 2,312;
 * - coefficient: agreement coefficients and shares compared with them (α, κ, W, percent
 *   agreement, agreement with the majority, gold accuracy, win rate), 3 decimals: 0.750;
 * - rate: how often something happens (tie, flag, left, longer, first-shown-on-top rates), as a
 *   percentage with 1 decimal: 51.9%;
 * - rating: Bradley–Terry ratings and their interval ends, 1 decimal: 1,166.9;
 * - seconds: durations, 1 decimal: 14.0;
 * - p_value: 3 decimals, and "< 0.001" below that (APA style), since smaller values say no more
 *   at the precision the data give.
 */
export type FigureKind = "count" | "coefficient" | "rate" | "rating" | "seconds" | "p_value" | "usd";

/** Written in place of a figure that is undefined (null). */
export const NO_FIGURE = "—";

const formats: Record<FigureKind, Intl.NumberFormat> = {
  count: new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 }),
  coefficient: new Intl.NumberFormat("en-US", { minimumFractionDigits: 3, maximumFractionDigits: 3 }),
  rate: new Intl.NumberFormat("en-US", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 }),
  rating: new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
  seconds: new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
  p_value: new Intl.NumberFormat("en-US", { minimumFractionDigits: 3, maximumFractionDigits: 3 }),
  // Costs span cents to hundreds of dollars: three significant digits read at every size.
  usd: new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumSignificantDigits: 3 }),
};

/**
 * A figure as text in the format of its kind; {@link NO_FIGURE} for null, undefined or a value
 * that is not finite. Rounding is Intl's (half away from zero on the decimal value); a value
 * that rounds to zero keeps no minus sign.
 *
 * @example formatFigure(2312, "count") // "2,312"
 * @example formatFigure(0.75, "coefficient") // "0.750"
 * @example formatFigure(0.5189, "rate") // "51.9%"
 * @example formatFigure(1166.94, "rating") // "1,166.9"
 * @example formatFigure(7.7e-81, "p_value") // "< 0.001"
 * @example formatFigure(0.046512, "usd") // "$0.0465"
 */
export function formatFigure(value: number | null | undefined, kind: FigureKind): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return NO_FIGURE;
  if (kind === "p_value" && value < 0.001) return "< 0.001";
  const text = formats[kind].format(value);
  // Intl writes −0.0001 at 3 decimals as "-0.000"; a figure that rounds to zero has no sign.
  return /^-[0.,%]+$/.test(text) ? text.slice(1) : text;
}

/** An interval as "low – high", both ends in the format of `kind`. */
export function formatInterval(interval: readonly [number, number] | null | undefined, kind: FigureKind): string {
  return interval ? `${formatFigure(interval[0], kind)} – ${formatFigure(interval[1], kind)}` : NO_FIGURE;
}

/**
 * Krippendorff's reading of α: "reliable" from 0.800, "tentative" from 0.667 (conclusions only
 * drawn tentatively), "unreliable" below. Source: K. Krippendorff (2004), Content Analysis: An
 * Introduction to Its Methodology, 2nd ed., §11.4.4. Null for an undefined α.
 */
export function alphaReading(alpha: number | null): "reliable" | "tentative" | "unreliable" | null {
  if (alpha === null || !Number.isFinite(alpha)) return null;
  return alpha >= 0.8 ? "reliable" : alpha >= 0.667 ? "tentative" : "unreliable";
}

/**
 * Landis & Koch's bands for κ: below 0 "poor", to 0.20 "slight", to 0.40 "fair", to 0.60
 * "moderate", to 0.80 "substantial", above "almost perfect" (each band includes its upper
 * end). Source: J. R. Landis & G. G. Koch (1977), "The measurement of observer agreement for
 * categorical data", Biometrics 33(1), 159–174, p. 165. Null for an undefined κ.
 */
export function kappaReading(kappa: number | null): "poor" | "slight" | "fair" | "moderate" | "substantial" | "almost perfect" | null {
  if (kappa === null || !Number.isFinite(kappa)) return null;
  if (kappa < 0) return "poor";
  if (kappa <= 0.2) return "slight";
  if (kappa <= 0.4) return "fair";
  if (kappa <= 0.6) return "moderate";
  if (kappa <= 0.8) return "substantial";
  return "almost perfect";
}
