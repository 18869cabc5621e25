import { normalizeInPlace } from "../vector-math.ts";

/**
 * Pseudo-relevance feedback (Rocchio 1971): the query vector moved toward the best-ranked
 * results, which finds the same story told in other words. Each counts by its fused score
 * (negative scores count as nothing), so a runner-up that is there on one shared name pulls
 * less than a clear first; with no positive score they count alike. The gain on the eval sets,
 * and against equal weights, is in docs/evaluation.md. Returns a new unit vector.
 *
 * @example
 *   const probe = feedbackVector(query, [{ score: 2.1, vector: first }, { score: 0.4, vector: second }]);
 */
export function feedbackVector(query: Float32Array, top: readonly { score: number; vector: Float32Array }[]): Float32Array {
  const expanded = Float32Array.from(query);
  const totalScore = top.reduce((sum, candidate) => sum + Math.max(candidate.score, 0), 0);
  for (const candidate of top) {
    const weight = totalScore > 0 ? Math.max(candidate.score, 0) / totalScore : 1 / top.length;
    for (let i = 0; i < expanded.length; i++) expanded[i]! += candidate.vector[i]! * weight;
  }
  return normalizeInPlace(expanded);
}
