/**
 * Agreement statistics (DESIGN.md §4): pure functions, one statistic per file. Each returns
 * `null` (never NaN) where the statistic is undefined; the `…Result` variants also give the
 * reason.
 */
export type { Ratings, StatisticResult } from "./result";
export { percentAgreement, percentAgreementResult, type PercentAgreementOptions } from "./percent-agreement";
export {
  krippendorffAlpha,
  krippendorffAlphaResult,
  coincidenceMatrix,
  type CoincidenceMatrix,
  type KrippendorffMetric,
} from "./krippendorff-alpha";
export { cohenKappa, cohenKappaResult, type KappaWeights } from "./cohen-kappa";
export { fleissKappa, fleissKappaResult, fleissKappaUndefinedReason } from "./fleiss-kappa";
export { kendallW, kendallWResult, averageRanks } from "./kendall-w";
export {
  bootstrapInterval,
  bootstrapIntervalResult,
  seededRandom,
  quantileSorted,
  DEFAULT_LEVEL,
  DEFAULT_REPLICATES,
  DEFAULT_SEED,
  type BootstrapOptions,
  type BootstrapResult,
} from "./bootstrap";
