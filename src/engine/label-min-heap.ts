/**
 * The `capacity` highest-scoring labels offered (ties: the lower label wins), in a min-heap of
 * typed arrays: the document index's shortlist (document-index.ts) keeps the best few of every
 * article a query touches without sorting them all.
 */
export class MinHeap {
  readonly #labels: Int32Array;
  readonly #scores: Float64Array;
  #size = 0;

  constructor(readonly capacity: number) {
    this.#labels = new Int32Array(capacity);
    this.#scores = new Float64Array(capacity);
  }

  offer(label: number, score: number): void {
    if (this.#size < this.capacity) {
      let i = this.#size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.#worse(score, label, this.#scores[parent]!, this.#labels[parent]!)) break;
        this.#labels[i] = this.#labels[parent]!;
        this.#scores[i] = this.#scores[parent]!;
        i = parent;
      }
      this.#labels[i] = label;
      this.#scores[i] = score;
      return;
    }
    if (this.capacity === 0 || this.#worse(score, label, this.#scores[0]!, this.#labels[0]!)) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.#size) break;
      const right = left + 1;
      const child = right < this.#size && this.#worse(this.#scores[right]!, this.#labels[right]!, this.#scores[left]!, this.#labels[left]!) ? right : left;
      if (!this.#worse(this.#scores[child]!, this.#labels[child]!, score, label)) break;
      this.#labels[i] = this.#labels[child]!;
      this.#scores[i] = this.#scores[child]!;
      i = child;
    }
    this.#labels[i] = label;
    this.#scores[i] = score;
  }

  /** Whether an offer would be kept (so the caller can skip a costlier check first). */
  wouldKeep(label: number, score: number): boolean {
    return this.#size < this.capacity || (this.capacity > 0 && !this.#worse(score, label, this.#scores[0]!, this.#labels[0]!));
  }

  items(): { label: number; score: number }[] {
    return Array.from({ length: this.#size }, (_, i) => ({ label: this.#labels[i]!, score: this.#scores[i]! }));
  }

  /** Whether (a, la) ranks below (b, lb). */
  #worse(a: number, la: number, b: number, lb: number): boolean {
    return a < b || (a === b && la > lb);
  }
}
