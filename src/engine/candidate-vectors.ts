import { centeredCosineOf } from "../core/related/centered-cosine.ts";
import { dot } from "../core/vector-math.ts";
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
  readonly #stored: (Float32Array | null)[];
  /** Per position: cosine with the query (0 without one or without a stored vector), x.m and x.x (0 without a centroid). */
  readonly cosines: Float64Array;
  readonly #xm: Float64Array;
  readonly #xx: Float64Array;

  constructor(exact: ExactVectorIndex, query: Float32Array | null, centroid: { vector: Float32Array; normSquared: number } | null, labels: readonly number[]) {
    this.#query = query;
    this.#centroid = centroid;
    const size = labels.length;
    this.#stored = new Array(size);
    this.cosines = new Float64Array(size);
    this.#xm = new Float64Array(size);
    this.#xx = new Float64Array(size);
    const dots = centroid === null ? null : centroidDotsFor(centroid);
    const m = centroid?.vector;
    for (let position = 0; position < size; position++) {
      const label = labels[position]!;
      const stored = exact.getVector(label);
      this.#stored[position] = stored;
      if (stored === null) continue;
      // One pass, each sum in the same order as dot() and centeredCosine() take it.
      if (query !== null) {
        let cosine = 0;
        for (let i = 0; i < stored.length; i++) cosine += query[i]! * stored[i]!;
        this.cosines[position] = cosine;
      }
      if (m !== undefined && dots !== null) {
        growDots(dots, label);
        if (dots.known[label] !== 1) {
          let xm = 0;
          let xx = 0;
          for (let i = 0; i < stored.length; i++) {
            xm += stored[i]! * m[i]!;
            xx += stored[i]! * stored[i]!;
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
    const scores = new Float64Array(this.#stored.length);
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
      const stored = this.#stored[position]!;
      if (stored === null) continue;
      const vx = vector === this.#query ? this.cosines[position]! : dot(vector, stored);
      scores[position] = centroid === null ? vx : centeredCosineOf(vx, vm, this.#xm[position]!, vv, this.#xx[position]!, centroid.normSquared);
    }
    return scores;
  }
}
