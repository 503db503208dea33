/**
 * Agreement statistics (DESIGN.md §4): pure functions, one statistic per file. Each returns
 * `null` (never NaN) where the statistic is undefined; the `…Result` variants also give the
 * reason.
 */
export type { Ratings, StatisticResult } from "./result";
export { percentAgreement, percentAgreementResult, percentAgreementResampler, type PercentAgreementOptions } from "./percent-agreement";
export {
  krippendorffAlpha,
  krippendorffAlphaResult,
  krippendorffAlphaFromCoincidences,
  krippendorffAlphaResampler,
  coincidenceMatrix,
  type CoincidenceMatrix,
  type KrippendorffMetric,
  type UnitResample,
} from "./krippendorff-alpha";
export { cohenKappa, cohenKappaResult, type KappaWeights } from "./cohen-kappa";
export { fleissKappa, fleissKappaResult, fleissKappaUndefinedReason } from "./fleiss-kappa";
export { kendallW, kendallWResult, averageRanks } from "./kendall-w";
export {
  bootstrapInterval,
  bootstrapIntervalResult,
  bootstrapIntervals,
  bootstrapIntervalsResult,
  seededRandom,
  quantileSorted,
  DEFAULT_LEVEL,
  DEFAULT_REPLICATES,
  DEFAULT_SEED,
  type BootstrapOptions,
  type BootstrapResult,
  type GroupedBootstrapOptions,
  type Resample,
} from "./bootstrap";
