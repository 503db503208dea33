/**
 * The order of unpaired (KTO) rows. TRL's KTOTrainer estimates its KL term by pairing each
 * completion with the next row's prompt within a batch (`_get_kl_dataset` shifts the
 * completions by one), so two adjacent rows of one prompt make that estimate degenerate.
 *
 * Rows are taken as TRL's own `unpair_preference_dataset` lays them out — per block of pairs,
 * every chosen completion, then every rejected one — and then arranged so that no two adjacent
 * rows share a prompt: at each step the prompt with the most rows left that differs from the
 * previous row's prompt goes next (ties: the one that came first), each prompt's rows in
 * their block order. This greedy order leaves no adjacent pair whenever one exists (no prompt
 * holds more than half of a block, plus one); blocks keep memory bounded.
 */
export const UNPAIRED_BLOCK_PAIRS = 1000;

interface Group<T> {
  key: string;
  first: number;
  rows: T[];
  next: number;
}

/** Max-heap on rows left, then on first appearance. */
class GroupHeap<T> {
  private items: Group<T>[] = [];
  get size(): number {
    return this.items.length;
  }
  private before(a: Group<T>, b: Group<T>): boolean {
    const left = a.rows.length - a.next;
    const right = b.rows.length - b.next;
    return left !== right ? left > right : a.first < b.first;
  }
  push(group: Group<T>): void {
    const items = this.items;
    items.push(group);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }
  pop(): Group<T> | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length && last) {
      items[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < items.length && this.before(items[l]!, items[best]!)) best = l;
        if (r < items.length && this.before(items[r]!, items[best]!)) best = r;
        if (best === i) break;
        [items[i], items[best]] = [items[best]!, items[i]!];
        i = best;
      }
    }
    return top;
  }
}

/**
 * Arranges one block's rows (given in TRL's layout) so that adjacent rows differ in prompt,
 * starting after a row of prompt `previous` (the last row of the block before, or null).
 */
export function arrangeUnpaired<T>(rows: readonly T[], promptOf: (row: T) => string, previous: string | null = null): T[] {
  const groups = new Map<string, Group<T>>();
  rows.forEach((row, index) => {
    const key = promptOf(row);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { key, first: index, rows: [], next: 0 }));
    group.rows.push(row);
  });
  const heap = new GroupHeap<T>();
  for (const group of groups.values()) heap.push(group);
  const out: T[] = [];
  let last = previous;
  while (heap.size) {
    let group = heap.pop()!;
    let held: Group<T> | undefined;
    if (group.key === last && heap.size) {
      held = group;
      group = heap.pop()!;
    }
    out.push(group.rows[group.next++]!);
    last = group.key;
    if (group.next < group.rows.length) heap.push(group);
    if (held) heap.push(held);
  }
  return out;
}

/**
 * Lays out unpaired rows of a stream of pairs block by block, as above. A block ends at a
 * prompt boundary after at least UNPAIRED_BLOCK_PAIRS pairs, and is only written once the
 * next one has as many pairs behind it, so the last block is never a short tail of one item
 * (which could not be arranged); at most about three blocks are held at once.
 */
export function* unpairedRows<P, T>(pairs: Iterable<P>, rowsOf: (pair: P) => { chosen: T; rejected: T }, promptOf: (row: T) => string): Generator<T> {
  let previous: string | null = null;
  let pending: Array<{ chosen: T; rejected: T; prompt: string }> = [];
  const write = function* (count: number): Generator<T> {
    const block = pending.slice(0, count);
    pending = pending.slice(count);
    const arranged = arrangeUnpaired([...block.map((p) => p.chosen), ...block.map((p) => p.rejected)], promptOf, previous);
    if (arranged.length) previous = promptOf(arranged[arranged.length - 1]!);
    yield* arranged;
  };
  for (const pair of pairs) {
    const rows = rowsOf(pair);
    const prompt = promptOf(rows.chosen);
    if (pending.length >= 2 * UNPAIRED_BLOCK_PAIRS && pending[pending.length - 1]!.prompt !== prompt) {
      let cut = UNPAIRED_BLOCK_PAIRS;
      while (cut < pending.length && pending[cut]!.prompt === pending[cut - 1]!.prompt) cut++;
      yield* write(cut);
    }
    pending.push({ ...rows, prompt });
  }
  yield* write(pending.length);
}
