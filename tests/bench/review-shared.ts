/** The review benchmark's fixture constants, shared by ./review.ts and ./review-worker.ts. */

/** The batch's overlap: judgments each item needs. */
export const OVERLAP = 3;
/** Reviewers with API tokens; also the number of concurrent API clients. */
export const API_REVIEWERS = 50;
/** The one reviewer with a real password, for the browser. */
export const BROWSER_USER = { username: "bench-browser", password: "bench-browser-password" } as const;
