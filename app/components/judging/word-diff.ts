/**
 * A word-level diff for comparing two near-identical responses: the longest common
 * subsequence over words, after trimming the common prefix and suffix. Whitespace is kept
 * with the word before it so each side can be shown as written, but is ignored when
 * comparing. Quadratic in the differing middle; past MAX_CELLS it gives up and reports
 * the middles as one deletion and one insertion.
 */
export type DiffOp =
  | { kind: "equal"; a: string; b: string }
  | { kind: "delete"; a: string }
  | { kind: "insert"; b: string };

/** Largest DP table (words of A × words of B, after trimming) the diff will fill: ~4000 × 4000. */
export const MAX_CELLS = 16_000_000;

interface Token {
  word: string;
  text: string;
}

/** "a  b\nc" → [{word:"a",text:"a  "}, {word:"b",text:"b\n"}, {word:"c",text:"c"}]; leading whitespace is its own token. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const lead = /^\s+/.exec(text);
  if (lead) tokens.push({ word: "", text: lead[0] });
  const re = /(\S+)(\s*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) tokens.push({ word: m[1]!, text: m[0] });
  return tokens;
}

function push(ops: DiffOp[], op: DiffOp): void {
  const last = ops[ops.length - 1];
  if (last && last.kind === op.kind) {
    if (last.kind === "equal" && op.kind === "equal") {
      last.a += op.a;
      last.b += op.b;
    } else if (last.kind === "delete" && op.kind === "delete") last.a += op.a;
    else if (last.kind === "insert" && op.kind === "insert") last.b += op.b;
    return;
  }
  ops.push({ ...op });
}

/** The operations turning `a` into `b`, word by word, adjacent operations of one kind merged. */
export function wordDiff(a: string, b: string): DiffOp[] {
  const x = tokenize(a);
  const y = tokenize(b);
  const ops: DiffOp[] = [];
  let start = 0;
  while (start < x.length && start < y.length && x[start]!.word === y[start]!.word) {
    push(ops, { kind: "equal", a: x[start]!.text, b: y[start]!.text });
    start++;
  }
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1]!.word === y[endY - 1]!.word) {
    endX--;
    endY--;
  }
  const n = endX - start;
  const m = endY - start;

  if (n > 0 && m > 0 && n * m <= MAX_CELLS) {
    // lcs[i * (m + 1) + j] = LCS length of x[start + i ..endX) and y[start + j ..endY).
    const width = m + 1;
    const lcs = n < 65_535 && m < 65_535 ? new Uint16Array((n + 1) * width) : new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      const wi = x[start + i]!.word;
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * width + j] =
          wi === y[start + j]!.word ? lcs[(i + 1) * width + j + 1]! + 1 : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      const tx = x[start + i]!;
      const ty = y[start + j]!;
      if (tx.word === ty.word) {
        push(ops, { kind: "equal", a: tx.text, b: ty.text });
        i++;
        j++;
      } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) {
        push(ops, { kind: "delete", a: tx.text });
        i++;
      } else {
        push(ops, { kind: "insert", b: ty.text });
        j++;
      }
    }
    for (; i < n; i++) push(ops, { kind: "delete", a: x[start + i]!.text });
    for (; j < m; j++) push(ops, { kind: "insert", b: y[start + j]!.text });
  } else {
    for (let i = start; i < endX; i++) push(ops, { kind: "delete", a: x[i]!.text });
    for (let j = start; j < endY; j++) push(ops, { kind: "insert", b: y[j]!.text });
  }

  for (let k = 0; k < x.length - endX; k++) push(ops, { kind: "equal", a: x[endX + k]!.text, b: y[endY + k]!.text });
  return ops;
}

/** Share of words the two texts have in common (2·common / (words of a + words of b)), 1 for two empty texts. */
export function similarity(ops: readonly DiffOp[]): number {
  let common = 0;
  let total = 0;
  const words = (s: string) => (s.match(/\S+/g) ?? []).length;
  for (const op of ops) {
    if (op.kind === "equal") {
      const w = words(op.a);
      common += 2 * w;
      total += 2 * w;
    } else if (op.kind === "delete") total += words(op.a);
    else total += words(op.b);
  }
  return total === 0 ? 1 : common / total;
}

/** The segments of one side, in order: its whole text, each run marked as shared or changed (whitespace after changed words counts as shared). */
export function diffSide(ops: readonly DiffOp[], side: "a" | "b"): { text: string; changed: boolean }[] {
  const out: { text: string; changed: boolean }[] = [];
  const add = (text: string, changed: boolean) => {
    if (!text) return;
    const last = out[out.length - 1];
    if (last && last.changed === changed) last.text += text;
    else out.push({ text, changed });
  };
  for (const op of ops) {
    if (op.kind === "equal") add(side === "a" ? op.a : op.b, false);
    else if ((op.kind === "delete" && side === "a") || (op.kind === "insert" && side === "b")) {
      // Mark the words, not the whitespace after them.
      const text = op.kind === "delete" ? op.a : op.b;
      const trailing = /\s*$/.exec(text)![0];
      add(text.slice(0, text.length - trailing.length), true);
      add(trailing, false);
    }
  }
  return out;
}

/**
 * A cheap, order-blind likeness of two texts (Dice coefficient over their word multisets),
 * linear in their length: used to suggest the diff view without computing the diff.
 */
export function wordOverlap(a: string, b: string): number {
  const wa = a.match(/\S+/g) ?? [];
  const wb = b.match(/\S+/g) ?? [];
  if (wa.length + wb.length === 0) return 1;
  const counts = new Map<string, number>();
  for (const w of wa) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of wb) {
    const c = counts.get(w) ?? 0;
    if (c > 0) {
      common++;
      counts.set(w, c - 1);
    }
  }
  return (2 * common) / (wa.length + wb.length);
}
