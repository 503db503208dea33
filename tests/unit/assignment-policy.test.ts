import { describe, expect, it } from "vitest";
import { seededRandom } from "../../app/core/agreement/sampling";
import {
  chooseItem,
  hasRoom,
  isLeaseLive,
  leaseExpiry,
  randomDisplayOrder,
  type Candidate,
} from "../../app/core/assignment/policy";

const c = (itemId: string, submitted: number, claimed: number, position: number): Candidate => ({
  itemId,
  submitted,
  claimed,
  position,
});

/** A random function that plays back the given values in order and counts its calls. */
function sequence(values: number[]) {
  let calls = 0;
  const random = () => {
    if (calls >= values.length) throw new Error("random called too often");
    return values[calls++]!;
  };
  return { random, calls: () => calls };
}

function chiSquare(counts: number[], expected: number): number {
  return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
}

function isPermutation(order: number[], n: number): boolean {
  return order.length === n && [...order].sort((x, y) => x - y).every((v, i) => v === i);
}

describe("hasRoom", () => {
  it("is true only while claims are below the overlap", () => {
    expect(hasRoom({ claimed: 0 }, 3)).toBe(true);
    expect(hasRoom({ claimed: 2 }, 3)).toBe(true);
    expect(hasRoom({ claimed: 3 }, 3)).toBe(false);
    expect(hasRoom({ claimed: 4 }, 3)).toBe(false);
  });
});

describe("chooseItem", () => {
  it("returns null when there are no candidates", () => {
    expect(chooseItem([], 3)).toBeNull();
  });

  it("returns null when no candidate has room", () => {
    expect(chooseItem([c("i1", 3, 3, 0), c("i2", 1, 3, 1), c("i3", 0, 5, 2)], 3)).toBeNull();
  });

  it("prefers a partly judged item over an earlier untouched one", () => {
    const chosen = chooseItem([c("first", 0, 0, 0), c("later", 1, 1, 7)], 3);
    expect(chosen?.itemId).toBe("later");
  });

  it("prefers the item with the most judgments", () => {
    const chosen = chooseItem([c("one", 1, 1, 0), c("two", 2, 2, 5), c("none", 0, 0, 1)], 3);
    expect(chosen?.itemId).toBe("two");
  });

  it("breaks ties on judgments by lowest position, whatever the candidates' order", () => {
    const candidates = [c("p5", 1, 1, 5), c("p2", 1, 2, 2), c("p9", 1, 1, 9)];
    expect(chooseItem(candidates, 3)?.itemId).toBe("p2");
    expect(chooseItem([...candidates].reverse(), 3)?.itemId).toBe("p2");
  });

  it("takes the lowest position among untouched items", () => {
    expect(chooseItem([c("p4", 0, 0, 4), c("p1", 0, 0, 1), c("p3", 0, 0, 3)], 2)?.itemId).toBe("p1");
  });

  it("ignores items without room, even the most judged or the earliest", () => {
    const candidates = [c("full-most", 2, 3, 0), c("full-leased", 0, 3, 1), c("open", 1, 2, 8), c("open-later", 0, 0, 9)];
    expect(chooseItem(candidates, 3)?.itemId).toBe("open");
  });

  it("counts only submitted judgments as 'partly judged', not leases", () => {
    // "leased" is claimed but not judged, so the earlier position wins between two unjudged items;
    // a submitted judgment beats both.
    expect(chooseItem([c("unjudged", 0, 0, 0), c("leased", 0, 2, 1)], 3)?.itemId).toBe("unjudged");
    expect(chooseItem([c("leased", 0, 2, 0), c("judged", 1, 1, 4)], 3)?.itemId).toBe("judged");
  });

  it("returns the candidate object itself", () => {
    const open = c("x", 0, 0, 0);
    expect(chooseItem([open], 1)).toBe(open);
  });

  it("with overlap 1, only unclaimed items are open", () => {
    expect(chooseItem([c("a", 0, 1, 0), c("b", 0, 0, 1)], 1)?.itemId).toBe("b");
  });
});

describe("randomDisplayOrder", () => {
  it("returns [] for 0 responses and [0] for one, without calling random", () => {
    const none = sequence([]);
    expect(randomDisplayOrder(0, none.random)).toEqual([]);
    expect(randomDisplayOrder(1, none.random)).toEqual([0]);
    expect(none.calls()).toBe(0);
  });

  it("is deterministic for a given random function (Fisher–Yates from the end)", () => {
    // i=3: j=floor(0.5*4)=2 → [0,1,3,2]; i=2: j=floor(0.1*3)=0 → [3,1,0,2]; i=1: j=floor(0.9*2)=1 → unchanged.
    const s = sequence([0.5, 0.1, 0.9]);
    expect(randomDisplayOrder(4, s.random)).toEqual([3, 1, 0, 2]);
    expect(s.calls()).toBe(3);
  });

  it("with random always 0 rotates left; with random just below 1 keeps the identity", () => {
    expect(randomDisplayOrder(4, () => 0)).toEqual([1, 2, 3, 0]);
    expect(randomDisplayOrder(4, () => 0.999999)).toEqual([0, 1, 2, 3]);
  });

  it("swaps two responses when random < 0.5 and keeps them otherwise", () => {
    expect(randomDisplayOrder(2, () => 0.49)).toEqual([1, 0]);
    expect(randomDisplayOrder(2, () => 0.5)).toEqual([0, 1]);
  });

  it("gives the same order for the same seed and differing orders across seeds", () => {
    expect(randomDisplayOrder(9, seededRandom(42))).toEqual(randomDisplayOrder(9, seededRandom(42)));
    const orders = new Set(Array.from({ length: 20 }, (_, seed) => randomDisplayOrder(9, seededRandom(seed)).join(",")));
    expect(orders.size).toBeGreaterThan(15);
  });

  it("always returns a permutation of 0..n-1", () => {
    const random = seededRandom(7);
    for (let n = 0; n <= 9; n++) {
      for (let k = 0; k < 200; k++) {
        const order = randomDisplayOrder(n, random);
        expect(isPermutation(order, n), `n=${n}: ${order.join(",")}`).toBe(true);
      }
    }
  });

  it("puts each index at each position roughly uniformly (chi-square, fixed seed)", () => {
    const n = 4;
    const draws = 24_000;
    const random = seededRandom(20240601);
    const counts = Array.from({ length: n }, () => Array<number>(n).fill(0));
    for (let k = 0; k < draws; k++) {
      randomDisplayOrder(n, random).forEach((index, position) => counts[position]![index]!++);
    }
    const expected = draws / n;
    for (let position = 0; position < n; position++) {
      // 3 degrees of freedom: p = 0.001 at 16.27.
      expect(chiSquare(counts[position]!, expected), `position ${position}: ${counts[position]!.join(",")}`).toBeLessThan(16.27);
      for (const count of counts[position]!) expect(Math.abs(count - expected)).toBeLessThan(expected * 0.05);
    }
  });

  it("makes all 24 orders of 4 responses about equally often (chi-square, fixed seed)", () => {
    const draws = 48_000;
    const random = seededRandom(99);
    const counts = new Map<string, number>();
    for (let k = 0; k < draws; k++) {
      const key = randomDisplayOrder(4, random).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(24);
    // 23 degrees of freedom: p = 0.001 at 49.73.
    expect(chiSquare([...counts.values()], draws / 24)).toBeLessThan(49.73);
  });

  it("the chi-square check above would catch a biased shuffle", () => {
    // The classic mistake: swap with any position, not only 0..i. Not uniform over orders.
    const biased = (n: number, random: () => number) => {
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * n);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
      return order;
    };
    const draws = 48_000;
    const random = seededRandom(99);
    const counts = new Map<string, number>();
    for (let k = 0; k < draws; k++) {
      const key = biased(4, random).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(chiSquare([...counts.values()], draws / 24)).toBeGreaterThan(49.73);
  });
});

describe("leaseExpiry", () => {
  it("adds the lease minutes in milliseconds", () => {
    expect(leaseExpiry(1_700_000_000_000, 30)).toBe(1_700_001_800_000);
    expect(leaseExpiry(0, 1)).toBe(60_000);
    expect(leaseExpiry(5, 10080)).toBe(604_800_005);
  });
});

describe("isLeaseLive", () => {
  const now = 1_000_000;

  it("is live while leased and not yet expired", () => {
    expect(isLeaseLive({ status: "leased", leaseExpiresAt: now + 1 }, now)).toBe(true);
  });

  it("is not live at the exact expiry time or after", () => {
    expect(isLeaseLive({ status: "leased", leaseExpiresAt: now }, now)).toBe(false);
    expect(isLeaseLive({ status: "leased", leaseExpiresAt: now - 1 }, now)).toBe(false);
  });

  it.each(["submitted", "released", "expired", ""])("is not live with status %j, even before expiry", (status) => {
    expect(isLeaseLive({ status, leaseExpiresAt: now + 60_000 }, now)).toBe(false);
  });

  it("works with leaseExpiry", () => {
    const expiresAt = leaseExpiry(now, 30);
    expect(isLeaseLive({ status: "leased", leaseExpiresAt: expiresAt }, now + 30 * 60_000 - 1)).toBe(true);
    expect(isLeaseLive({ status: "leased", leaseExpiresAt: expiresAt }, now + 30 * 60_000)).toBe(false);
  });
});
