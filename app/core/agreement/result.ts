/**
 * Shared types of the agreement statistics (DESIGN.md §4). Pure: no I/O, no imports.
 */

/**
 * Reliability data as Krippendorff lays it out, transposed to one row per unit: rows are
 * units (items), columns are raters, `null` is a missing value. Rows may differ in length;
 * a short row is read as missing values for the remaining raters.
 */
export type Ratings = ReadonlyArray<ReadonlyArray<number | null>>;

/**
 * A statistic together with why it is undefined. `value` is `null` exactly when `reason` is
 * set; `value` is never `NaN` or infinite.
 */
export interface StatisticResult {
  value: number | null;
  reason?: string;
}

/** A defined result. */
export const defined = (value: number): StatisticResult => ({ value });

/** An undefined result with the reason a caller can show. */
export const undefinedBecause = (reason: string): StatisticResult => ({ value: null, reason });
