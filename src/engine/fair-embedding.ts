import type { Embedder, EmbedRole } from "../embed/embedder.ts";

/** Texts per model call: small enough that a write arriving behind a big batch waits for a slice, not the batch. */
export const defaultSliceTexts = 8;
/** Slices in flight at once: enough to keep two embedding workers busy. */
export const defaultSlicesInFlight = 2;

/**
 * Slices for a bulk load (`kindred index`), where no other write waits in the process: big enough
 * that the pool packs each into few batches of similar length (less padding, fewer model runs per
 * passage than slices of 8: docs/performance.md), with one more queued per worker so a worker
 * that finishes has its next slice at hand. Writes are served in the order they came, not in
 * turns: the batches of an index run taking turns all finished embedding together, so every
 * store transaction waited for the last passage and ran while the workers sat idle; first come
 * first served lets a batch be stored while the next one is embedded.
 */
export const bulkSlices = Object.freeze({ sliceTexts: 64, slicesInFlight: 4, shareEvenly: false, takeTurns: false });

/** How writes share the model (see `FairEmbedding`). */
export interface EmbedSlices {
  sliceTexts?: number;
  slicesInFlight?: number;
  /** Default true: what is left of a write that the free slots' slices would hold is shared out evenly between them. */
  shareEvenly?: boolean;
  /** Default true: waiting writes take turns, one slice each; false: the oldest write's slices go first. */
  takeTurns?: boolean;
}

interface PendingEmbedding {
  embedder: Embedder;
  texts: readonly string[];
  role: EmbedRole;
  vectors: Float32Array[];
  /** Texts not yet handed to the model. */
  next: number;
  /** Texts handed to the model and not yet back. */
  running: number;
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
  failed: boolean;
}

/**
 * Shares the model between concurrent writes. The embedding pool answers calls in the order
 * they come, so a write's single call for all its passages made every write that came after it
 * (a one-article PUT behind a batch of a hundred) wait for the whole of it. Here each write's
 * texts go to the model in slices, at most `slicesInFlight` at a time for all writes together,
 * and the writes waiting take turns, one slice each: a one-slice write waits for the slices
 * already running and one slice of each write ahead of it, never for a whole batch. Turns
 * rather than smallest-first, which starved batches while small writes kept coming. The
 * vectors are the same as from one call.
 *
 * @example
 *   const fair = new FairEmbedding();
 *   const [putVectors, batchVectors] = await Promise.all([fair.embed(embedder, ["one"], "passage"), fair.embed(embedder, many, "passage")]);
 */
export class FairEmbedding {
  readonly #sliceTexts: number;
  readonly #slicesInFlight: number;
  readonly #shareEvenly: boolean;
  readonly #takeTurns: boolean;
  readonly #pending = new Set<PendingEmbedding>();
  #inFlight = 0;

  /**
   * `shareEvenly` and `takeTurns` are latency choices (default true): a bulk load wants full
   * slices and one write stored while the next is embedded instead.
   */
  constructor(options: EmbedSlices = {}) {
    this.#sliceTexts = Math.max(1, options.sliceTexts ?? defaultSliceTexts);
    this.#slicesInFlight = Math.max(1, options.slicesInFlight ?? defaultSlicesInFlight);
    this.#shareEvenly = options.shareEvenly ?? true;
    this.#takeTurns = options.takeTurns ?? true;
  }

  /** One vector per text, in order, as `embedder.embed(texts, role)` would return. */
  embed(embedder: Embedder, texts: readonly string[], role: EmbedRole): Promise<Float32Array[]> {
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise((resolve, reject) => {
      const vectors = new Array<Float32Array>(texts.length);
      this.#pending.add({ embedder, texts, role, vectors, next: 0, running: 0, resolve, reject, failed: false });
      this.#dispatch();
    });
  }

  /** `embedder` with its `embed` calls shared out through this scheduler (closing it is left to its owner). */
  through(embedder: Embedder): Embedder {
    return {
      modelId: embedder.modelId,
      dimensions: embedder.dimensions,
      embed: (texts, role = "passage") => this.embed(embedder, texts, role),
      close: async () => {},
    };
  }

  #dispatch(): void {
    while (this.#inFlight < this.#slicesInFlight) {
      const job = this.#nextInTurn();
      if (job === null) return;
      const start = job.next;
      // What is left of a write shorter than the free slots' slices is shared out evenly: a
      // batch of 10 goes as 5 + 5, not 8 + 2, so two workers finish it in the time of 5 texts.
      const freeSlots = this.#shareEvenly ? this.#slicesInFlight - this.#inFlight : 1;
      const end = Math.min(job.texts.length, start + Math.min(this.#sliceTexts, Math.ceil((job.texts.length - start) / freeSlots)));
      job.next = end;
      job.running += end - start;
      this.#inFlight++;
      // Through a promise, so an embedder that throws instead of rejecting still frees its slot.
      Promise.resolve()
        .then(() => job.embedder.embed(job.texts.slice(start, end), job.role))
        .then(
          (vectors) => this.#finishSlice(job, start, end, vectors, null),
          (error: unknown) => this.#finishSlice(job, start, end, null, error as Error),
        );
    }
  }

  /** The write that has waited longest for the model (writes take turns, one slice each, unless not `takeTurns`): null when none waits. */
  #nextInTurn(): PendingEmbedding | null {
    for (const job of this.#pending) {
      if (job.failed || job.next >= job.texts.length) continue;
      if (!this.#takeTurns) return job;
      // To the back of the line: a Set iterates in insertion order.
      this.#pending.delete(job);
      this.#pending.add(job);
      return job;
    }
    return null;
  }

  #finishSlice(job: PendingEmbedding, start: number, end: number, vectors: Float32Array[] | null, error: Error | null): void {
    this.#inFlight--;
    job.running -= end - start;
    if (error !== null || vectors === null) {
      if (!job.failed) {
        job.failed = true;
        this.#pending.delete(job);
        job.reject(error ?? new Error("The embedder returned no vectors."));
      }
    } else if (!job.failed) {
      for (let i = start; i < end; i++) job.vectors[i] = vectors[i - start]!;
      if (job.next >= job.texts.length && job.running === 0) {
        this.#pending.delete(job);
        job.resolve(job.vectors);
      }
    }
    this.#dispatch();
  }
}
