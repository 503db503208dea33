/**
 * Which item a reviewer gets next: pure rules over plain data. The service asks the database
 * for a short list of candidates (items this reviewer has never been given, with room under
 * the overlap) and these functions decide among them.
 */
export interface Candidate {
  itemId: string;
  /** Judgments already submitted for the item. */
  submitted: number;
  /** Live claims on the item: submitted judgments plus unexpired leases. */
  claimed: number;
  /** Position of the item in the batch (creation order). */
  position: number;
}

/** An item is open while its claims are below the batch's overlap. */
export function hasRoom(candidate: Pick<Candidate, "claimed">, overlap: number): boolean {
  return candidate.claimed < overlap;
}

/**
 * Partly judged items first (most judgments first), so that batches finish instead of every
 * item sitting at overlap − 1; then batch order. Null when nothing is open.
 */
export function chooseItem(candidates: readonly Candidate[], overlap: number): Candidate | null {
  let best: Candidate | null = null;
  for (const c of candidates) {
    if (!hasRoom(c, overlap)) continue;
    if (
      best === null ||
      c.submitted > best.submitted ||
      (c.submitted === best.submitted && c.position < best.position)
    ) {
      best = c;
    }
  }
  return best;
}

/**
 * A uniformly random permutation of 0..n-1 (Fisher–Yates), the order a reviewer sees an
 * item's responses in. `random` returns numbers in [0, 1).
 */
export function randomDisplayOrder(n: number, random: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

export function leaseExpiry(now: number, leaseMinutes: number): number {
  return now + leaseMinutes * 60_000;
}

export function isLeaseLive(assignment: { status: string; leaseExpiresAt: number }, now: number): boolean {
  return assignment.status === "leased" && assignment.leaseExpiresAt > now;
}
