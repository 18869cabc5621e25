/**
 * Relevance metrics of the evaluation protocol (../shared/eval/README.md), as pure functions.
 * A "judgement" says, for one query article, which label and story it has; results are the
 * labels and stories of what kindred returned, best first.
 */
export interface Judged {
  label: string;
  story: string | null;
}

/** Share of the first k results with the query's label (k is the denominator, even if fewer came back). */
export function precisionAtK(query: Judged, results: readonly Judged[], k: number): number {
  return results.slice(0, k).filter((result) => result.label === query.label).length / k;
}

/** Share of the first k results in the query's story; null when the query has no story. */
export function storyPrecisionAtK(query: Judged, results: readonly Judged[], k: number): number | null {
  if (query.story === null) return null;
  return results.slice(0, k).filter((result) => result.story === query.story).length / k;
}

/**
 * Precision over the first R results, R = the size of the query's story minus itself; null
 * when the query has no story or is alone in it.
 */
export function storyRPrecision(query: Judged, results: readonly Judged[], storySize: number): number | null {
  const r = storySize - 1;
  if (query.story === null || r <= 0) return null;
  return results.slice(0, r).filter((result) => result.story === query.story).length / r;
}

/** Graded gain: same story 2, same label 1, else 0 (without stories: same label 1). */
export function gain(query: Judged, result: Judged): number {
  if (query.story !== null && result.story === query.story) return 2;
  return result.label === query.label ? 1 : 0;
}

/**
 * nDCG@k with the protocol's gains. The ideal list is built from the whole collection: every
 * other article of the story (gain 2), then of the label (gain 1).
 */
export function ndcgAtK(query: Judged, results: readonly Judged[], k: number, ideal: { sameStory: number; sameLabelOtherStory: number }): number {
  const discount = (rank: number) => 1 / Math.log2(rank + 2);
  let dcg = 0;
  results.slice(0, k).forEach((result, rank) => {
    dcg += gain(query, result) * discount(rank);
  });
  let idcg = 0;
  for (let rank = 0; rank < k; rank++) {
    const idealGain = rank < ideal.sameStory ? 2 : rank < ideal.sameStory + ideal.sameLabelOtherStory ? 1 : 0;
    idcg += idealGain * discount(rank);
  }
  return idcg === 0 ? 0 : dcg / idcg;
}
