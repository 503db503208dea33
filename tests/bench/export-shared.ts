/** The export benchmark's fixture constants, shared by ./export.ts and ./export-worker.ts. */

/** Reviewers in the batch; each judges every item, so this is also the overlap and the pairs per item. */
export const REVIEWERS = 5;
/** What the benchmark exports: one trl-preference-chat row per stored pair. */
export const EXPORT_OPTIONS = { format: "trl-preference-chat", consensus: "all" } as const;
