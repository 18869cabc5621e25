import { dot } from "../core/vector-math.ts";
import type { ExactVectorIndex } from "../vectors/exact-vector-index.ts";

/**
 * The mean of every stored vector, kept up to date as vectors are added, replaced and removed
 * (a running sum in float64), so centring costs nothing per query and no rescan per write.
 * Bound to one exact index: when the engine's indexes are replaced (a reload, a model switch),
 * a new one is computed from the new index.
 */
export class VectorCentroid {
  readonly exact: ExactVectorIndex;
  readonly #sum: Float64Array;
  #count = 0;
  #mean: { vector: Float32Array; normSquared: number } | null = null;

  constructor(exact: ExactVectorIndex) {
    this.exact = exact;
    this.#sum = new Float64Array(exact.dimensions);
    for (const label of exact.labels()) this.add(exact.getVector(label)!);
  }

  add(vector: Float32Array): void {
    for (let i = 0; i < vector.length; i++) this.#sum[i]! += vector[i]!;
    this.#count++;
    this.#mean = null;
  }

  remove(vector: Float32Array): void {
    for (let i = 0; i < vector.length; i++) this.#sum[i]! -= vector[i]!;
    this.#count--;
    this.#mean = null;
  }

  /** The mean vector and its squared norm; null while no vector is stored. */
  mean(): { vector: Float32Array; normSquared: number } | null {
    if (this.#count <= 0) return null;
    if (this.#mean === null) {
      const vector = Float32Array.from(this.#sum, (total) => total / this.#count);
      this.#mean = { vector, normSquared: dot(vector, vector) };
    }
    return this.#mean;
  }
}
