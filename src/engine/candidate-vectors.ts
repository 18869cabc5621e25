import { centeredCosineOf } from "../core/related/centered-cosine.ts";
import type { ExactVectorIndex } from "../vectors/exact-vector-index.ts";

/**
 * x.m and x.x per label for one centroid, shared by every query until the centroid changes.
 * The centroid's mean object is replaced on every change of any vector (engine/vector-centroid.ts),
 * so keying by it is exact: a new vector, or a new mean, finds no stale entry.
 */
interface CentroidDots {
  xm: Float64Array;
  xx: Float64Array;
  known: Uint8Array;
}

const dotsByCentroid = new WeakMap<object, CentroidDots>();

function centroidDotsFor(centroid: object): CentroidDots {
  let dots = dotsByCentroid.get(centroid);
  if (dots === undefined) {
    dots = { xm: new Float64Array(1024), xx: new Float64Array(1024), known: new Uint8Array(1024) };
    dotsByCentroid.set(centroid, dots);
  }
  return dots;
}

function growDots(dots: CentroidDots, label: number): void {
  if (label < dots.known.length) return;
  const size = Math.max(label + 1, dots.known.length * 2);
  const xm = new Float64Array(size);
  const xx = new Float64Array(size);
  const known = new Uint8Array(size);
  xm.set(dots.xm);
  xx.set(dots.xx);
  known.set(dots.known);
  dots.xm = xm;
  dots.xx = xx;
  dots.known = known;
}

/**
 * The dense scores of a query's candidate pool, by position in the pool: each candidate's plain
 * cosine with the query, and its (centred, with a centroid) score against a probe vector. A
 * pool is scored twice (the query, then the feedback-expanded probe) and the centred cosine's
 * five dot products are mostly per candidate or per probe, so each is computed once (x.m and
 * x.x once per centroid, across queries), into typed arrays (no object per candidate); the
 * arithmetic is `dot` and `centeredCosine`'s own, in the same order, so the scores are the same
 * numbers.
 */
export class CandidateVectors {
  readonly #query: Float32Array | null;
  readonly #centroid: { vector: Float32Array; normSquared: number } | null;
  /** The exact index's storage and each candidate's offset in it (-1: no stored vector), valid for this synchronous query. */
  readonly #data: Float32Array;
  readonly #offsets: Int32Array;
  readonly #dimensions: number;
  /** Per position: cosine with the query (0 without one or without a stored vector), x.m and x.x (0 without a centroid). */
  readonly cosines: Float64Array;
  readonly #xm: Float64Array;
  readonly #xx: Float64Array;

  constructor(exact: ExactVectorIndex, query: Float32Array | null, centroid: { vector: Float32Array; normSquared: number } | null, labels: readonly number[]) {
    this.#query = query;
    this.#centroid = centroid;
    const size = labels.length;
    this.#data = exact.storage();
    this.#dimensions = exact.dimensions;
    this.#offsets = new Int32Array(size);
    this.cosines = new Float64Array(size);
    this.#xm = new Float64Array(size);
    this.#xx = new Float64Array(size);
    const dots = centroid === null ? null : centroidDotsFor(centroid);
    const m = centroid?.vector;
    const data = this.#data;
    const dimensions = this.#dimensions;
    for (let position = 0; position < size; position++) {
      const label = labels[position]!;
      const offset = exact.offsetOf(label);
      this.#offsets[position] = offset;
      if (offset < 0) continue;
      if (query !== null) this.cosines[position] = dotAt(query, data, offset, dimensions);
      if (m !== undefined && dots !== null) {
        growDots(dots, label);
        if (dots.known[label] !== 1) {
          // Each sum in the same order as centeredCosine() takes it.
          let xm = 0;
          let xx = 0;
          for (let i = 0; i < dimensions; i++) {
            const x = data[offset + i]!;
            xm += x * m[i]!;
            xx += x * x;
          }
          dots.xm[label] = xm;
          dots.xx[label] = xx;
          dots.known[label] = 1;
        }
        this.#xm[position] = dots.xm[label]!;
        this.#xx[position] = dots.xx[label]!;
      }
    }
  }

  /**
   * Each candidate's dense score against the probe: centred cosine with a centroid, else the
   * inner product; 0 without a probe or a stored vector.
   */
  denseScores(vector: Float32Array | null): Float64Array {
    const scores = new Float64Array(this.#offsets.length);
    if (vector === null) return scores;
    const centroid = this.#centroid;
    let vm = 0;
    let vv = 0;
    if (centroid !== null) {
      const m = centroid.vector;
      for (let i = 0; i < vector.length; i++) {
        vm += vector[i]! * m[i]!;
        vv += vector[i]! * vector[i]!;
      }
    }
    for (let position = 0; position < scores.length; position++) {
      const offset = this.#offsets[position]!;
      if (offset < 0) continue;
      const vx = vector === this.#query ? this.cosines[position]! : dotAt(vector, this.#data, offset, this.#dimensions);
      scores[position] = centroid === null ? vx : centeredCosineOf(vx, vm, this.#xm[position]!, vv, this.#xx[position]!, centroid.normSquared);
    }
    return scores;
  }
}

/**
 * `dot(vector, the stored vector at offset)`: the same products added in the same order (so the
 * same number), four to an iteration, reading the storage in place rather than through a view.
 */
function dotAt(vector: Float32Array, data: Float32Array, offset: number, dimensions: number): number {
  let sum = 0;
  let i = 0;
  for (; i + 3 < dimensions; i += 4) {
    sum += vector[i]! * data[offset + i]!;
    sum += vector[i + 1]! * data[offset + i + 1]!;
    sum += vector[i + 2]! * data[offset + i + 2]!;
    sum += vector[i + 3]! * data[offset + i + 3]!;
  }
  for (; i < dimensions; i++) sum += vector[i]! * data[offset + i]!;
  return sum;
}
