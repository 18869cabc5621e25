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
  /** The exact index's storage and each candidate's offset in it (-1: no stored vector), valid for this synchronous query. */
  readonly #data: Float32Array;
  readonly #offsets: Int32Array;
  /** The positions with a stored vector, ascending. */
  readonly #stored: Int32Array;
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
    if (query !== null) dotsAt(query, this.#data, this.#dimensions, this.#offsets, this.#stored, this.cosines);
    if (m !== undefined && dots !== null) {
      centroidDotsAt(m, this.#data, this.#dimensions, this.#offsets, unknown.subarray(0, unknownCount), this.#xm, this.#xx);
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
      dotsAt(vector, this.#data, this.#dimensions, this.#offsets, this.#stored, products);
    }
    for (const position of this.#stored) {
      const vx = products[position]!;
      scores[position] = centroid === null ? vx : centeredCosineOf(vx, vm, this.#xm[position]!, vv, this.#xx[position]!, centroid.normSquared);
    }
    return scores;
  }
}

/**
 * `out[position] = dotAt(vector, data, offsets[position], dimensions)` for each of `positions`,
 * eight stored vectors at a time. One inner product is a chain of dependent additions (each
 * waits for the last: the order is what makes the number), so a single one leaves most of the
 * core idle while it waits; eight independent chains side by side keep it busy, and each chain
 * still adds its own products in dimension order, so every number is the one `dotAt` gives.
 */
function dotsAt(vector: Float32Array, data: Float32Array, dimensions: number, offsets: Int32Array, positions: Int32Array, out: Float64Array): void {
  const count = positions.length;
  let n = 0;
  for (; n + 7 < count; n += 8) {
    const p0 = positions[n]!;
    const p1 = positions[n + 1]!;
    const p2 = positions[n + 2]!;
    const p3 = positions[n + 3]!;
    const p4 = positions[n + 4]!;
    const p5 = positions[n + 5]!;
    const p6 = positions[n + 6]!;
    const p7 = positions[n + 7]!;
    const o0 = offsets[p0]!;
    const o1 = offsets[p1]!;
    const o2 = offsets[p2]!;
    const o3 = offsets[p3]!;
    const o4 = offsets[p4]!;
    const o5 = offsets[p5]!;
    const o6 = offsets[p6]!;
    const o7 = offsets[p7]!;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let s4 = 0;
    let s5 = 0;
    let s6 = 0;
    let s7 = 0;
    for (let i = 0; i < dimensions; i++) {
      const v = vector[i]!;
      s0 += v * data[o0 + i]!;
      s1 += v * data[o1 + i]!;
      s2 += v * data[o2 + i]!;
      s3 += v * data[o3 + i]!;
      s4 += v * data[o4 + i]!;
      s5 += v * data[o5 + i]!;
      s6 += v * data[o6 + i]!;
      s7 += v * data[o7 + i]!;
    }
    out[p0] = s0;
    out[p1] = s1;
    out[p2] = s2;
    out[p3] = s3;
    out[p4] = s4;
    out[p5] = s5;
    out[p6] = s6;
    out[p7] = s7;
  }
  for (; n < count; n++) out[positions[n]!] = dotAt(vector, data, offsets[positions[n]!]!, dimensions);
}

/**
 * x.m and x.x of the stored vectors at `positions`, four vectors (eight chains) at a time, each
 * sum in dimension order as centeredCosine() takes it (see `dotsAt`).
 */
function centroidDotsAt(
  m: Float32Array,
  data: Float32Array,
  dimensions: number,
  offsets: Int32Array,
  positions: Int32Array,
  xmOut: Float64Array,
  xxOut: Float64Array,
): void {
  const count = positions.length;
  let n = 0;
  for (; n + 3 < count; n += 4) {
    const p0 = positions[n]!;
    const p1 = positions[n + 1]!;
    const p2 = positions[n + 2]!;
    const p3 = positions[n + 3]!;
    const o0 = offsets[p0]!;
    const o1 = offsets[p1]!;
    const o2 = offsets[p2]!;
    const o3 = offsets[p3]!;
    let xm0 = 0;
    let xm1 = 0;
    let xm2 = 0;
    let xm3 = 0;
    let xx0 = 0;
    let xx1 = 0;
    let xx2 = 0;
    let xx3 = 0;
    for (let i = 0; i < dimensions; i++) {
      const mi = m[i]!;
      const x0 = data[o0 + i]!;
      const x1 = data[o1 + i]!;
      const x2 = data[o2 + i]!;
      const x3 = data[o3 + i]!;
      xm0 += x0 * mi;
      xm1 += x1 * mi;
      xm2 += x2 * mi;
      xm3 += x3 * mi;
      xx0 += x0 * x0;
      xx1 += x1 * x1;
      xx2 += x2 * x2;
      xx3 += x3 * x3;
    }
    xmOut[p0] = xm0;
    xmOut[p1] = xm1;
    xmOut[p2] = xm2;
    xmOut[p3] = xm3;
    xxOut[p0] = xx0;
    xxOut[p1] = xx1;
    xxOut[p2] = xx2;
    xxOut[p3] = xx3;
  }
  for (; n < count; n++) {
    const position = positions[n]!;
    const offset = offsets[position]!;
    let xm = 0;
    let xx = 0;
    for (let i = 0; i < dimensions; i++) {
      const x = data[offset + i]!;
      xm += x * m[i]!;
      xx += x * x;
    }
    xmOut[position] = xm;
    xxOut[position] = xx;
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
