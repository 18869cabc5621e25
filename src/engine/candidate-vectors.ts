import { grow } from "../core/grow-typed-array.ts";
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
  dots.xm = grow(dots.xm, size);
  dots.xx = grow(dots.xx, size);
  dots.known = grow(dots.known, size);
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
  readonly #exact: ExactVectorIndex;
  /** Each candidate's offset in the exact index's storage (-1: no stored vector), valid for this synchronous query. */
  readonly #offsets: Int32Array;
  /** The positions with a stored vector, ascending. */
  readonly #stored: Int32Array;
  /** Per position: cosine with the query (0 without one or without a stored vector), x.m and x.x (0 without a centroid). */
  readonly cosines: Float64Array;
  readonly #xm: Float64Array;
  readonly #xx: Float64Array;

  constructor(exact: ExactVectorIndex, query: Float32Array | null, centroid: { vector: Float32Array; normSquared: number } | null, labels: readonly number[]) {
    this.#query = query;
    this.#centroid = centroid;
    this.#exact = exact;
    const size = labels.length;
    this.#offsets = new Int32Array(size);
    this.cosines = new Float64Array(size);
    this.#xm = new Float64Array(size);
    this.#xx = new Float64Array(size);
    const dots = centroid === null ? null : centroidDotsFor(centroid);
    const m = centroid?.vector;
    const stored = new Int32Array(size);
    const unknown = new Int32Array(size);
    let storedCount = 0;
    let unknownCount = 0;
    for (let position = 0; position < size; position++) {
      const label = labels[position]!;
      const offset = exact.offsetOf(label);
      this.#offsets[position] = offset;
      if (offset < 0) continue;
      stored[storedCount++] = position;
      if (dots !== null) {
        growDots(dots, label);
        if (dots.known[label] !== 1) unknown[unknownCount++] = position;
      }
    }
    this.#stored = stored.subarray(0, storedCount);
    if (query !== null) exact.dotsAt(query, this.#offsets, this.#stored, this.cosines);
    if (m !== undefined && dots !== null) {
      // x.m and x.x in dimension order, as centeredCosine() adds them.
      exact.dotsAt(m, this.#offsets, unknown.subarray(0, unknownCount), this.#xm);
      exact.squaresAt(this.#offsets, unknown.subarray(0, unknownCount), this.#xx);
      for (let n = 0; n < unknownCount; n++) {
        const position = unknown[n]!;
        const label = labels[position]!;
        dots.xm[label] = this.#xm[position]!;
        dots.xx[label] = this.#xx[position]!;
        dots.known[label] = 1;
      }
      for (let n = 0; n < storedCount; n++) {
        const position = stored[n]!;
        const label = labels[position]!;
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
    // The probe's inner products first (the query's are the cosines), then each score from them.
    let products = this.cosines;
    if (vector !== this.#query) {
      products = new Float64Array(this.#offsets.length);
      this.#exact.dotsAt(vector, this.#offsets, this.#stored, products);
    }
    for (const position of this.#stored) {
      const vx = products[position]!;
      scores[position] = centroid === null ? vx : centeredCosineOf(vx, vm, this.#xm[position]!, vv, this.#xx[position]!, centroid.normSquared);
    }
    return scores;
  }
}
