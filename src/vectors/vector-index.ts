/** A neighbour found by a vector search: `score` is the inner product (cosine for unit vectors). */
export interface Neighbor {
  label: number;
  score: number;
}

/** Decides, inside the search, whether a label may be returned (hnswlib's filter callback). */
export type LabelFilter = (label: number) => boolean;

/**
 * The vector index port (GUIDE.md, "Ports"). Labels are the store's dense integers; vectors are
 * L2-normalised so inner product is cosine similarity. Two implementations: HNSW (approximate,
 * fast) and exact brute force (the recall reference and the tool for selective filters).
 */
export interface VectorIndex {
  readonly dimensions: number;
  /** Number of live (not deleted) vectors. */
  size(): number;
  has(label: number): boolean;
  /** Adds a vector, or replaces the vector of an existing label. */
  upsert(label: number, vector: Float32Array): void;
  /** Removes a label; unknown labels are ignored. */
  remove(label: number): void;
  /**
   * How many candidates an approximate search keeps at the least (HNSW's efSearch): asking for
   * more neighbours than this searches wider. Absent for an exact index.
   */
  readonly searchWidth?: number;
  /** Up to `k` neighbours by descending score, only labels the filter accepts. */
  search(query: Float32Array, k: number, filter?: LabelFilter): Neighbor[];
  /**
   * Optional: `search` with a filter accepting every label but `excluded`, giving the same
   * neighbours; null when it cannot run now (the caller then searches with the filter).
   */
  searchExcluding?(query: Float32Array, k: number, excluded: ReadonlySet<number>): Neighbor[] | null;
}
