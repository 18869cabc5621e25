import { grow } from "../core/grow-typed-array.ts";
import { dotAt } from "./stored-vector-dots.ts";
import { TopK } from "./top-k.ts";
import type { LabelFilter, Neighbor, VectorIndex } from "./vector-index.ts";
import { VectorStorage } from "./vector-storage.ts";

/**
 * Exact (brute-force) inner-product search over a packed Float32Array. It is the reference
 * that HNSW recall is measured against, and the right tool when a filter leaves few
 * candidates: scanning 2,000 vectors of 512 dimensions takes well under a millisecond.
 */
export class ExactVectorIndex implements VectorIndex {
  readonly dimensions: number;
  #storage: VectorStorage;
  readonly #slotOfLabel = new Map<number, number>();
  #changes = 0;
  #labelOfSlot: number[] = [];
  readonly #freeSlots: number[] = [];

  constructor(dimensions: number, initialCapacity = 1024) {
    this.dimensions = dimensions;
    this.#storage = new VectorStorage(dimensions, dimensions * Math.max(1, initialCapacity));
  }

  /**
   * An index over packed vectors, row i belonging to `labels[i]` (the shape `snapshot()`
   * returns); copies `vectors` into the SIMD kernel's memory once (vector-storage.ts), or takes
   * it over as it is where the kernel does not run.
   */
  static fromPacked(dimensions: number, labels: readonly number[], vectors: Float32Array): ExactVectorIndex {
    if (vectors.length !== labels.length * dimensions) {
      throw new Error(`${labels.length} labels need ${labels.length * dimensions} floats; got ${vectors.length}.`);
    }
    return ExactVectorIndex.fromStorage(labels, VectorStorage.of(dimensions, vectors));
  }

  /** An index over the vectors already in `storage`, row i belonging to `labels[i]` (taken over, not copied). */
  static fromStorage(labels: readonly number[], storage: VectorStorage): ExactVectorIndex {
    const dimensions = storage.dimensions;
    if (storage.floats.length < labels.length * dimensions) {
      throw new Error(`${labels.length} labels need ${labels.length * dimensions} floats; the storage holds ${storage.floats.length}.`);
    }
    const index = new ExactVectorIndex(dimensions, 1);
    if (labels.length > 0) index.#storage = storage;
    labels.forEach((label, row) => index.#slotOfLabel.set(label, row));
    index.#labelOfSlot = [...labels];
    return index;
  }

  size(): number {
    return this.#slotOfLabel.size;
  }

  has(label: number): boolean {
    return this.#slotOfLabel.has(label);
  }

  labels(): IterableIterator<number> {
    return this.#slotOfLabel.keys();
  }

  upsert(label: number, vector: Float32Array): void {
    if (vector.length !== this.dimensions) {
      throw new Error(`Vector for label ${label} has ${vector.length} dimensions; the index holds ${this.dimensions}.`);
    }
    let slot = this.#slotOfLabel.get(label);
    if (slot === undefined) {
      slot = this.#freeSlots.pop() ?? this.#labelOfSlot.length;
      if ((slot + 1) * this.dimensions > this.#storage.floats.length) this.#grow();
      this.#slotOfLabel.set(label, slot);
      this.#labelOfSlot[slot] = label;
    }
    this.#storage.floats.set(vector, slot * this.dimensions);
    this.#changes++;
  }

  remove(label: number): void {
    const slot = this.#slotOfLabel.get(label);
    if (slot === undefined) return;
    this.#slotOfLabel.delete(label);
    this.#labelOfSlot[slot] = -1;
    this.#freeSlots.push(slot);
    this.#changes++;
  }

  /** Upserts and removes so far: a scan spread over several turns of the event loop checks that none came between. */
  get changes(): number {
    return this.#changes;
  }

  /** Slots a scan covers (`scanSlots`): every vector lives in one below this. */
  slotCount(): number {
    return this.#labelOfSlot.length;
  }

  /**
   * `search` over the slots [from, to) only, offering into `top` (`search` is one range of them
   * all): a caller scanning the slots in order, range by range, into one `top` gets exactly
   * `search`'s answer (same offers, same order), and may yield between ranges (engine/graph-recall.ts) if `changes` is unchanged.
   */
  scanSlots(query: Float32Array, from: number, to: number, top: TopK, filter?: LabelFilter): void {
    const end = Math.min(to, this.#labelOfSlot.length);
    const batch = new ScoredBatch();
    for (let slot = from; slot < end; slot++) {
      const label = this.#labelOfSlot[slot]!;
      if (label < 0 || (filter !== undefined && !filter(label))) continue;
      if (batch.add(label, slot * this.dimensions)) batch.offerTo(top, query, this.#storage);
    }
    batch.offerTo(top, query, this.#storage);
  }

  /** A packed copy of every vector with its label (row i of `vectors` belongs to `labels[i]`). */
  snapshot(): { labels: Float64Array; vectors: Float32Array } {
    const labels = new Float64Array(this.size());
    const vectors = new Float32Array(this.size() * this.dimensions);
    let row = 0;
    for (const [label, slot] of this.#slotOfLabel) {
      labels[row] = label;
      vectors.set(this.#storage.floats.subarray(slot * this.dimensions, (slot + 1) * this.dimensions), row * this.dimensions);
      row++;
    }
    return { labels, vectors };
  }

  /** The stored vector (a view, good until the next upsert: do not modify), or null. */
  getVector(label: number): Float32Array | null {
    const slot = this.#slotOfLabel.get(label);
    return slot === undefined ? null : this.#storage.floats.subarray(slot * this.dimensions, (slot + 1) * this.dimensions);
  }

  /**
   * Where a stored vector starts in `storage()` (-1: not stored), for a caller that scores many
   * stored vectors in one synchronous pass without a view per vector; both hold until the next write.
   */
  offsetOf(label: number): number {
    const slot = this.#slotOfLabel.get(label);
    return slot === undefined ? -1 : slot * this.dimensions;
  }

  storage(): Float32Array {
    return this.#storage.floats;
  }

  /**
   * `out[position]` = `vector`'s inner product with the stored vector at `offsets[position]`
   * (from `offsetOf`), for each of `positions`: a pool's scores in one pass, by the SIMD kernel
   * where it runs (the same doubles as the plain loop, vector-storage.ts).
   */
  dotsAt(vector: Float32Array, offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
    this.#storage.dotsAt(vector, offsets, positions, out);
  }

  /** `out[position]` = the stored vector at `offsets[position]` times itself (x.x), for each of `positions` (see `dotsAt`). */
  squaresAt(offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
    this.#storage.squaresAt(offsets, positions, out);
  }

  /** Inner product of two stored vectors (cosine for unit vectors); null if either is absent. */
  similarity(labelA: number, labelB: number): number | null {
    const slotB = this.#slotOfLabel.get(labelB);
    const vectorA = this.getVector(labelA);
    return slotB === undefined || vectorA === null ? null : dotAt(vectorA, this.#storage.floats, slotB * this.dimensions, this.dimensions);
  }

  search(query: Float32Array, k: number, filter?: LabelFilter): Neighbor[] {
    const top = new TopK(k);
    this.scanSlots(query, 0, this.#labelOfSlot.length, top, filter);
    return top.sorted();
  }

  /** Exact search restricted to the given labels (those not in the index are skipped). */
  searchAmong(query: Float32Array, labels: Iterable<number>, k: number, filter?: LabelFilter): Neighbor[] {
    const top = new TopK(k);
    const batch = new ScoredBatch();
    for (const label of labels) {
      const slot = this.#slotOfLabel.get(label);
      if (slot === undefined || (filter !== undefined && !filter(label))) continue;
      if (batch.add(label, slot * this.dimensions)) batch.offerTo(top, query, this.#storage);
    }
    batch.offerTo(top, query, this.#storage);
    return top.sorted();
  }

  #grow(): void {
    this.#storage.resize(Math.max(this.#storage.floats.length * 2, this.dimensions * 1024));
  }
}

/** Vectors scored per pass of a scan (bounds its scratch whatever the index's size). */
const scoredBatchSize = 1024;
/** 0, 1, 2, ...: the positions of a batch (read only, shared). */
const batchPositions = Int32Array.from({ length: scoredBatchSize }, (_, position) => position);

/**
 * The (label, offset) pairs a scan accepts, scored together by `VectorStorage.dotsAt` (the SIMD
 * kernel where it runs) and offered to the top-k in the order they came, so the offers, and
 * the answer, are the ones scoring each vector in turn gives. Its arrays start small and double
 * up to a full batch: most scans (a topic's articles) accept a few dozen.
 */
class ScoredBatch {
  #labels = new Float64Array(32);
  #offsets = new Int32Array(32);
  #scores = new Float64Array(32);
  #count = 0;

  /** Adds one; true when the batch is full (offer it before adding more). */
  add(label: number, offset: number): boolean {
    if (this.#count === this.#labels.length) {
      const size = this.#count * 2;
      this.#labels = grow(this.#labels, size);
      this.#offsets = grow(this.#offsets, size);
      this.#scores = new Float64Array(size);
    }
    this.#labels[this.#count] = label;
    this.#offsets[this.#count] = offset;
    return ++this.#count === scoredBatchSize;
  }

  offerTo(top: TopK, query: Float32Array, storage: VectorStorage): void {
    const count = this.#count;
    if (count === 0) return;
    storage.dotsAt(query, this.#offsets, batchPositions.subarray(0, count), this.#scores);
    for (let n = 0; n < count; n++) top.offer(this.#labels[n]!, this.#scores[n]!);
    this.#count = 0;
  }
}
