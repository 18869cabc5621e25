import hnswlib from "hnswlib-node";
import type { LabelFilter, Neighbor, VectorIndex } from "./vector-index.ts";

const { HierarchicalNSW } = hnswlib;

/**
 * HNSW parameters (Malkov & Yashunin 2018; hnswlib ALGO_PARAMS.md). `m` links per node sets
 * memory and recall; `efConstruction` is build-time search width; `efSearch` is query-time
 * width, raised to k when k is larger.
 */
export interface HnswParameters {
  m: number;
  efConstruction: number;
  efSearch: number;
}

const initialCapacity = 1024;

/**
 * hnswlib's index options for kindred's graphs (also used by the compaction worker, so a
 * rebuilt graph is built exactly like one grown in place).
 */
export function hnswInitOptions(parameters: HnswParameters, capacity: number) {
  return {
    maxElements: Math.max(capacity, 16),
    m: parameters.m,
    efConstruction: parameters.efConstruction,
    randomSeed: 100,
    allowReplaceDeleted: true,
  };
}

/**
 * Approximate nearest-neighbour search with hnswlib (inner product on normalised vectors).
 * Deletes are tombstones (hnswlib's markDelete); new labels reuse tombstoned slots
 * (`allowReplaceDeleted`), so the graph does not grow with churn.
 */
export class HnswVectorIndex implements VectorIndex {
  readonly dimensions: number;
  readonly parameters: Readonly<HnswParameters>;
  readonly #graph: InstanceType<typeof HierarchicalNSW>;
  readonly #liveLabels = new Set<number>();

  private constructor(dimensions: number, parameters: HnswParameters, graph: InstanceType<typeof HierarchicalNSW>) {
    this.dimensions = dimensions;
    this.parameters = Object.freeze({ ...parameters });
    this.#graph = graph;
  }

  /** An empty index. */
  static create(dimensions: number, parameters: HnswParameters, capacity = initialCapacity): HnswVectorIndex {
    const graph = new HierarchicalNSW("ip", dimensions);
    graph.initIndex(hnswInitOptions(parameters, capacity));
    return new HnswVectorIndex(dimensions, parameters, graph);
  }

  /** Reads a graph file written by `save`; `deletedLabels` come from its manifest. */
  static load(path: string, dimensions: number, parameters: HnswParameters, deletedLabels: readonly number[]): HnswVectorIndex {
    const graph = new HierarchicalNSW("ip", dimensions);
    graph.readIndexSync(path, true);
    const index = new HnswVectorIndex(dimensions, parameters, graph);
    const deleted = new Set(deletedLabels);
    for (const label of graph.getIdsList()) if (!deleted.has(label)) index.#liveLabels.add(label);
    return index;
  }

  size(): number {
    return this.#liveLabels.size;
  }

  has(label: number): boolean {
    return this.#liveLabels.has(label);
  }

  /** Number of slots in use, live or tombstoned. */
  slotCount(): number {
    return this.#graph.getCurrentCount();
  }

  /** Number of tombstoned slots (deleted, not yet reused or compacted). */
  tombstoneCount(): number {
    return this.#graph.getCurrentCount() - this.#liveLabels.size;
  }

  /** Tombstoned labels, for the manifest (O(n): call when saving, not per query). */
  deletedLabels(): number[] {
    return this.#graph.getIdsList().filter((label) => !this.#liveLabels.has(label));
  }

  /**
   * Adds or replaces a vector. Invariant: a label, once removed, is never added again (the
   * store's labels are AUTOINCREMENT); hnswlib would otherwise mix up its tombstone with the
   * slot it reuses.
   */
  upsert(label: number, vector: Float32Array): void {
    if (vector.length !== this.dimensions) {
      throw new Error(`Vector for label ${label} has ${vector.length} dimensions; the index holds ${this.dimensions}.`);
    }
    const point = Array.from(vector);
    if (this.#liveLabels.has(label)) {
      // Update in place. (Asking hnswlib to replace a tombstone here would orphan the old node.)
      this.#graph.addPoint(point, label, false);
      return;
    }
    const reusesSlot = this.tombstoneCount() > 0;
    if (!reusesSlot && this.#graph.getCurrentCount() >= this.#graph.getMaxElements()) {
      this.#graph.resizeIndex(Math.max(initialCapacity, this.#graph.getMaxElements() * 2));
    }
    this.#graph.addPoint(point, label, reusesSlot);
    this.#liveLabels.add(label);
  }

  remove(label: number): void {
    if (!this.#liveLabels.has(label)) return;
    this.#graph.markDelete(label);
    this.#liveLabels.delete(label);
  }

  search(query: Float32Array, k: number, filter?: LabelFilter): Neighbor[] {
    if (k <= 0 || this.#liveLabels.size === 0) return [];
    this.#graph.setEf(Math.max(this.parameters.efSearch, k));
    const found = this.#graph.searchKnn(Array.from(query), Math.min(k, this.#liveLabels.size), filter);
    // hnswlib's inner-product "distance" is 1 - dot.
    return found.neighbors.map((label, index) => ({ label, score: 1 - found.distances[index]! }));
  }

  /** Writes the graph to `path` (hnswlib's own format; callers add the manifest). */
  writeTo(path: string): void {
    this.#graph.writeIndexSync(path);
  }
}
