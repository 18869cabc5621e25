/**
 * The embedding port: turns texts into L2-normalised vectors of a fixed dimension.
 *
 * Every backend (the bundled Universal Sentence Encoder Lite, Transformers.js models under
 * `models/`) implements this, so the indexer and the service never know which model runs.
 *
 * @example
 *   const vectors = await embedder.embed(["Hegseth orders a halt to cyber operations"], "passage");
 *   vectors[0].length === embedder.dimensions; // true
 */
export interface Embedder {
  /** Stable identifier pinned in the index manifest, e.g. `google/use-lite`. */
  readonly modelId: string;
  readonly dimensions: number;
  /**
   * Embeds texts in order. `role` lets asymmetric models (e5: `query: ` / `passage: `) add
   * their prefixes; symmetric models ignore it. Vectors are L2-normalised.
   */
  embed(texts: readonly string[], role?: EmbedRole): Promise<Float32Array[]>;
  /** Releases workers and native sessions. */
  close(): Promise<void>;
}

export type EmbedRole = "query" | "passage";

/** Scales a vector to unit length in place; a zero vector stays zero. */
export function normalizeInPlace(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;
  for (let i = 0; i < vector.length; i++) sumOfSquares += vector[i]! * vector[i]!;
  if (sumOfSquares === 0) return vector;
  const scale = 1 / Math.sqrt(sumOfSquares);
  for (let i = 0; i < vector.length; i++) vector[i] = vector[i]! * scale;
  return vector;
}
