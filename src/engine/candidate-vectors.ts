import { centeredCosineOfDots } from "../core/related/centered-cosine.ts";
import { dot } from "../core/vector-math.ts";
import type { ExactVectorIndex } from "../vectors/exact-vector-index.ts";

/** What one candidate's scores need of its stored vector, computed once per query. */
interface CandidateTerms {
  stored: Float32Array | null;
  /** Its cosine with the query vector (0 without one). */
  cosine: number;
  /** x.m and x.x, for the centred cosine (0 without a centroid). */
  xm: number;
  xx: number;
}

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

/** A dense probe (the query vector, then its feedback expansion) with its own dots against the centroid. */
export interface DenseProbe {
  vector: Float32Array;
  vm: number;
  vv: number;
}

/**
 * The dense scores of a query's candidate pool: each candidate's plain cosine with the query,
 * and its (centred, with a centroid) score against a probe vector. A pool is scored twice (the
 * query, then the feedback-expanded probe) and the centred cosine's five dot products are
 * mostly per candidate or per probe, so each is computed once (x.m and x.x once per centroid,
 * across queries); the arithmetic is
 * `dot` and `centeredCosine`'s own, in the same order, so the scores are the same numbers.
 */
export class CandidateVectors {
  readonly #exact: ExactVectorIndex;
  readonly #query: Float32Array | null;
  readonly #centroid: { vector: Float32Array; normSquared: number } | null;
  readonly #terms = new Map<number, CandidateTerms>();
  readonly #centroidDots: CentroidDots | null;

  constructor(exact: ExactVectorIndex, query: Float32Array | null, centroid: { vector: Float32Array; normSquared: number } | null) {
    this.#exact = exact;
    this.#query = query;
    this.#centroid = centroid;
    this.#centroidDots = centroid === null ? null : centroidDotsFor(centroid);
  }

  probe(vector: Float32Array): DenseProbe {
    const m = this.#centroid?.vector;
    let vm = 0;
    let vv = 0;
    if (m !== undefined) {
      for (let i = 0; i < vector.length; i++) {
        vm += vector[i]! * m[i]!;
        vv += vector[i]! * vector[i]!;
      }
    }
    return { vector, vm, vv };
  }

  /** The candidate's cosine with the query (0 when either vector is missing). */
  cosine(label: number): number {
    return this.#termsOf(label).cosine;
  }

  /** The candidate's dense score against the probe: centred cosine with a centroid, else the inner product; 0 without a probe. */
  denseScore(label: number, probe: DenseProbe | null): number {
    const terms = this.#termsOf(label);
    if (probe === null || terms.stored === null) return 0;
    const vx = probe.vector === this.#query ? terms.cosine : dot(probe.vector, terms.stored);
    if (this.#centroid === null) return vx;
    return centeredCosineOfDots({ vx, vm: probe.vm, xm: terms.xm, vv: probe.vv, xx: terms.xx }, this.#centroid.normSquared);
  }

  #termsOf(label: number): CandidateTerms {
    let terms = this.#terms.get(label);
    if (terms !== undefined) return terms;
    const stored = this.#exact.getVector(label);
    const query = this.#query;
    const m = this.#centroid?.vector;
    let cosine = 0;
    let xm = 0;
    let xx = 0;
    if (stored !== null) {
      // One pass, each sum in the same order as dot() and centeredCosine() take it.
      if (query !== null) for (let i = 0; i < stored.length; i++) cosine += query[i]! * stored[i]!;
      const dots = this.#centroidDots;
      if (m !== undefined && dots !== null) {
        growDots(dots, label);
        if (dots.known[label] === 1) {
          xm = dots.xm[label]!;
          xx = dots.xx[label]!;
        } else {
          for (let i = 0; i < stored.length; i++) {
            xm += stored[i]! * m[i]!;
            xx += stored[i]! * stored[i]!;
          }
          dots.xm[label] = xm;
          dots.xx[label] = xx;
          dots.known[label] = 1;
        }
      }
    }
    terms = { stored, cosine, xm, xx };
    this.#terms.set(label, terms);
    return terms;
  }
}
