/**
 * Cosine similarity after subtracting the collection's mean vector (centring), computed from
 * uncentred vectors: ((v - m) . (x - m)) / (|v - m| |x - m|). Sentence-encoder vectors share a
 * common direction that inflates every cosine alike; removing it spreads the scores of one
 * query's candidates (Mu and Viswanath 2018, "All-but-the-top"; only the mean is removed here:
 * removing top principal components as well lost precision on the eval sets while centring
 * gained on every one: docs/evaluation.md, "What is in the hybrid").
 *
 * @example
 *   const mean = { vector: m, normSquared: dot(m, m) };
 *   centeredCosine(query, candidate, mean); // in [-1, 1]
 */
export function centeredCosine(v: Float32Array, x: Float32Array, mean: { vector: Float32Array; normSquared: number }): number {
  const m = mean.vector;
  let vx = 0;
  let vm = 0;
  let xm = 0;
  let vv = 0;
  let xx = 0;
  for (let i = 0; i < v.length; i++) {
    vx += v[i]! * x[i]!;
    vm += v[i]! * m[i]!;
    xm += x[i]! * m[i]!;
    vv += v[i]! * v[i]!;
    xx += x[i]! * x[i]!;
  }
  return centeredCosineOf(vx, vm, xm, vv, xx, mean.normSquared);
}

/**
 * The centred cosine from its five dot products (v.x, v.m, x.m, v.v, x.x) and m.m: what
 * `centeredCosine` computes, for a caller that scores many candidates against one probe and
 * so computes v.m and v.v once, and x.m and x.x once per candidate (the dots as arguments: no
 * object per candidate on a query's hot path).
 */
export function centeredCosineOf(vx: number, vm: number, xm: number, vv: number, xx: number, meanNormSquared: number): number {
  const denominator = Math.sqrt(Math.max(1e-24, (vv - 2 * vm + meanNormSquared) * (xx - 2 * xm + meanNormSquared)));
  return (vx - vm - xm + meanNormSquared) / denominator;
}
