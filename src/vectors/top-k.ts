import type { Neighbor } from "./vector-index.ts";

/**
 * Keeps the k highest-scoring labels seen, in a binary min-heap: O(n log k) for n offers.
 * Ties keep the first label offered, so results are deterministic.
 */
export class TopK {
  readonly #k: number;
  readonly #labels: number[] = [];
  readonly #scores: number[] = [];

  constructor(k: number) {
    this.#k = Math.max(0, Math.floor(k));
  }

  offer(label: number, score: number): void {
    if (this.#k === 0) return;
    if (this.#labels.length < this.#k) {
      this.#labels.push(label);
      this.#scores.push(score);
      this.#siftUp(this.#labels.length - 1);
    } else if (score > this.#scores[0]!) {
      this.#labels[0] = label;
      this.#scores[0] = score;
      this.#siftDown(0);
    }
  }

  /** The kept neighbours, best first. */
  sorted(): Neighbor[] {
    return this.#labels.map((label, index) => ({ label, score: this.#scores[index]! })).sort((a, b) => b.score - a.score || a.label - b.label);
  }

  #siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (this.#scores[parent]! <= this.#scores[index]!) return;
      this.#swap(index, parent);
      index = parent;
    }
  }

  #siftDown(index: number): void {
    const n = this.#labels.length;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < n && this.#scores[left]! < this.#scores[smallest]!) smallest = left;
      if (right < n && this.#scores[right]! < this.#scores[smallest]!) smallest = right;
      if (smallest === index) return;
      this.#swap(index, smallest);
      index = smallest;
    }
  }

  #swap(a: number, b: number): void {
    [this.#labels[a], this.#labels[b]] = [this.#labels[b]!, this.#labels[a]!];
    [this.#scores[a], this.#scores[b]] = [this.#scores[b]!, this.#scores[a]!];
  }
}
