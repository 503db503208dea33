import { seededRandom } from "../agreement/sampling";

/**
 * Which prompts a batch takes and which response pairs of a prompt, when the choice is random:
 * `random:K` pairs per prompt, `--sample N` prompts, `--stratify FIELD`. Pure and seeded: the
 * same seed and the same candidates give the same choice on every run, so a batch's recorded
 * seed reproduces it (docs/decisions.md §21).
 */

/** The seed a batch uses when none is given: fixed, so two identical commands make identical batches. */
export const DEFAULT_SEED = 1;

/** Largest seed: seeds are unsigned 32-bit integers, the state of {@link seededRandom}. */
export const MAX_SEED = 4294967295;

/**
 * A generator of its own for one key (a prompt id) under a batch seed: FNV-1a of the key mixed
 * with the seed. Per prompt rather than one stream for the dataset, so a prompt's pairs depend
 * only on the seed and the prompt, not on which prompts came before it.
 */
export function randomFor(seed: number, key: string): () => number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return seededRandom(hash);
}

/** The first `k` indices of a seeded Fisher–Yates shuffle of 0..n−1 (all of them when k ≥ n). */
export function shuffledIndices(n: number, k: number, random: () => number): number[] {
  const indices = Array.from({ length: n }, (_, i) => i);
  const take = Math.min(k, n);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (n - i));
    [indices[i], indices[j]] = [indices[j]!, indices[i]!];
  }
  return indices.slice(0, take);
}

/**
 * `k` distinct pairs of `count` responses drawn at random, each as [i, j] with i < j (dataset
 * order; reviewers see a random order anyway), listed in the order all-pairs would list them.
 * A prompt with fewer than `k` possible pairs gives all of them.
 */
export function randomPairs(count: number, k: number, random: () => number): Array<[number, number]> {
  const all: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) for (let j = i + 1; j < count; j++) all.push([i, j]);
  return shuffledIndices(all.length, k, random)
    .sort((a, b) => a - b)
    .map((index) => all[index]!);
}

/** The stratum of prompts whose metadata lacks the field (or holds null). */
export const MISSING_STRATUM = "(missing)";

/** A metadata value as a stratum name: text as it is, anything else as its JSON. */
export function stratumOf(value: unknown): string {
  if (value === undefined || value === null) return MISSING_STRATUM;
  return typeof value === "string" ? value : JSON.stringify(value);
}

export interface PromptCandidate {
  id: string;
  /** Its stratum (see {@link stratumOf}); ignored unless stratified. */
  stratum?: string;
}

export interface PromptSelectionOptions {
  /** How many prompts to draw; undefined = every candidate (or, stratified, the smallest stratum's count from each). */
  sample?: number;
  stratified: boolean;
  seed: number;
}

export interface StratumCount {
  value: string;
  available: number;
  /** Its share of the sample (or the smallest stratum's count). */
  wanted: number;
  taken: number;
}

export interface PromptSelection {
  /** The chosen prompts' ids, in the candidates' order. */
  ids: string[];
  available: number;
  /** Per stratum, in the order strata are filled (sorted by text, the missing stratum last); empty unless stratified. */
  strata: StratumCount[];
}

const byText = (a: string, b: string) => (a === b ? 0 : a === MISSING_STRATUM ? 1 : b === MISSING_STRATUM ? -1 : a < b ? -1 : 1);

/**
 * Draws prompts. Unstratified: `sample` of them at random (all when `sample` is at least the
 * candidates). Stratified: `sample` is split equally across strata, the remainder one each to
 * the first strata in sorted order, each capped by what it has (a short stratum's shortfall is
 * not moved to the others, so strata stay as equal as they can be); without `sample`, each
 * stratum gives as many as the smallest has. Each stratum draws with a generator of its own.
 */
export function selectPrompts(candidates: readonly PromptCandidate[], options: PromptSelectionOptions): PromptSelection {
  const { sample, seed } = options;
  if (sample !== undefined && !(Number.isInteger(sample) && sample >= 1)) throw new RangeError(`sample must be a whole number ≥ 1, got ${sample}`);
  const keep = (chosen: Set<number>) => candidates.filter((_, i) => chosen.has(i)).map((c) => c.id);
  if (!options.stratified) {
    const chosen = new Set(shuffledIndices(candidates.length, sample ?? candidates.length, randomFor(seed, "sample")));
    return { ids: keep(chosen), available: candidates.length, strata: [] };
  }
  const members = new Map<string, number[]>();
  candidates.forEach((c, i) => {
    const value = c.stratum ?? MISSING_STRATUM;
    const list = members.get(value);
    if (list) list.push(i);
    else members.set(value, [i]);
  });
  const values = [...members.keys()].sort(byText);
  const smallest = Math.min(...values.map((v) => members.get(v)!.length));
  const chosen = new Set<number>();
  const strata = values.map((value, rank) => {
    const list = members.get(value)!;
    const wanted = sample === undefined ? smallest : Math.floor(sample / values.length) + (rank < sample % values.length ? 1 : 0);
    const picked = shuffledIndices(list.length, wanted, randomFor(seed, `stratum:${value}`));
    for (const p of picked) chosen.add(list[p]!);
    return { value, available: list.length, wanted, taken: picked.length };
  });
  return { ids: keep(chosen), available: candidates.length, strata };
}
