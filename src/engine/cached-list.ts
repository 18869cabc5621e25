import type { ListDependencies } from "../core/cache/list-invalidation.ts";
import type { HybridAnswer } from "./find-related-articles.ts";

/**
 * Labels as a sorted Int32Array with binary-search `has`: a list's candidate window (100 to
 * 230 labels) in under a kilobyte, where a Set of numbers costs ten times that.
 */
export class SortedLabels {
  readonly #labels: Int32Array;

  constructor(labels: Iterable<number>) {
    this.#labels = Int32Array.from(new Set(labels)).sort();
  }

  get byteLength(): number {
    return this.#labels.byteLength;
  }

  has(label: number): boolean {
    const labels = this.#labels;
    let low = 0;
    let high = labels.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (labels[mid]! < label) low = mid + 1;
      else high = mid;
    }
    return low < labels.length && labels[low] === label;
  }
}

/** Bytes a V8 object header and a property slot take, roughly: the unit of the estimate below. */
const objectBytes = 64;
const slotBytes = 16;

/**
 * An estimate of the bytes a cached list holds: its key, its results (catalog entries are
 * shared with the catalog and not counted; explanations and copies are), the candidate window
 * (kept twice: the answer's label array and the sorted copy the cache checks), the feedback
 * vector and the query terms (shared by the answer and its dependencies, counted once). Close enough to bound the cache by bytes: what matters is that a list with
 * explanations or many copies counts for more than a plain one.
 */
export function estimateListBytes(key: string, answer: HybridAnswer, dependencies: ListDependencies & { candidateLabels: SortedLabels }): number {
  let bytes = 2 * objectBytes + 2 * key.length;
  for (const result of answer.results) {
    bytes += objectBytes + 6 * slotBytes + result.copies.length * slotBytes;
    const explanation = result.explanation;
    if (explanation !== undefined) {
      bytes += 2 * objectBytes + 12 * slotBytes;
      for (const text of [...explanation.sharedTopics, ...explanation.sharedTerms, ...explanation.boostedTopics, ...explanation.folded])
        bytes += slotBytes + 2 * text.length;
    }
  }
  bytes += 2 * objectBytes + dependencies.candidateLabels.byteLength + 8 * answer.window.labels.length;
  for (const term of dependencies.lexicalTerms ?? []) bytes += slotBytes + 2 * term.length;
  return bytes;
}
