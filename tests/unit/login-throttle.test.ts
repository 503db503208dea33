import { describe, expect, it } from "vitest";
import {
  ACCOUNT_POLICY,
  ADDRESS_POLICY,
  recentFailures,
  retryAfterMs,
  type ThrottlePolicy,
} from "../../app/core/auth/login-throttle";

const policy: ThrottlePolicy = { limit: 3, windowMs: 1000 };

describe("policies", () => {
  it("allow 5 failures per account and 20 per address in 15 minutes", () => {
    expect(ACCOUNT_POLICY).toEqual({ limit: 5, windowMs: 900_000 });
    expect(ADDRESS_POLICY).toEqual({ limit: 20, windowMs: 900_000 });
  });
});

describe("recentFailures", () => {
  it("keeps failures inside the window, oldest first", () => {
    expect(recentFailures([100, 500, 1200, 1900], 2000, policy)).toEqual([1200, 1900]);
  });

  it("drops a failure exactly windowMs old and keeps one a millisecond younger", () => {
    expect(recentFailures([1000, 1001], 2000, policy)).toEqual([1001]);
  });

  it("keeps a failure at the current time", () => {
    expect(recentFailures([2000], 2000, policy)).toEqual([2000]);
  });

  it("returns an empty list when nothing is recent", () => {
    expect(recentFailures([], 2000, policy)).toEqual([]);
    expect(recentFailures([0, 10, 999], 5000, policy)).toEqual([]);
  });

  it("does not change its input", () => {
    const failures = [100, 1500];
    recentFailures(failures, 2000, policy);
    expect(failures).toEqual([100, 1500]);
  });
});

describe("retryAfterMs", () => {
  it("allows an attempt with no failures", () => {
    expect(retryAfterMs([], 5000, policy)).toBe(0);
  });

  it("allows an attempt while the limit is not reached", () => {
    expect(retryAfterMs([4000, 4500], 5000, policy)).toBe(0);
  });

  it("waits until the oldest counted failure leaves the window once the limit is reached", () => {
    // Failures at 4200, 4500, 4800 with a 1000 ms window: the one at 4200 leaves at 5200.
    expect(retryAfterMs([4200, 4500, 4800], 5000, policy)).toBe(200);
  });

  it("counts only failures inside the window towards the limit", () => {
    expect(retryAfterMs([3000, 3999, 4500, 4800], 5000, policy)).toBe(0);
    expect(retryAfterMs([3000, 4001, 4500, 4800], 5000, policy)).toBe(1);
  });

  it("with more failures than the limit, waits until only limit - 1 remain", () => {
    // Five recent failures, limit 3: allowed again once 4100, 4200 and 4300 have left (at 5300).
    expect(retryAfterMs([4100, 4200, 4300, 4400, 4500], 5000, policy)).toBe(300);
  });

  it("opens exactly when the window expires", () => {
    const failures = [4200, 4500, 4800];
    expect(retryAfterMs(failures, 5199, policy)).toBe(1);
    expect(retryAfterMs(failures, 5200, policy)).toBe(0);
    expect(retryAfterMs(failures, 9000, policy)).toBe(0);
  });

  it("uses the real account policy: 5 failures in 15 minutes lock for the rest of the window", () => {
    const t0 = 1_700_000_000_000;
    const failures = [t0, t0 + 60_000, t0 + 120_000, t0 + 180_000, t0 + 240_000];
    expect(retryAfterMs(failures.slice(0, 4), t0 + 250_000, ACCOUNT_POLICY)).toBe(0);
    expect(retryAfterMs(failures, t0 + 250_000, ACCOUNT_POLICY)).toBe(650_000);
    expect(retryAfterMs(failures, t0 + 900_000, ACCOUNT_POLICY)).toBe(0);
  });
});
