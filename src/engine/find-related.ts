import { rankRelated, type ScoredCandidate } from "../core/related/rank-related.ts";
import { createFilterPredicate, type QueryExclusions, type RelatedFilters } from "../core/related/related-filters.ts";
import { type SearchIndexes, type SearchPlan, searchCandidates } from "./search-candidates.ts";

export interface RelatedRequest {
  k: number;
  filters: RelatedFilters;
}

export interface RelatedAnswer {
  results: ScoredCandidate[];
  foldedCopies: number;
  plan: SearchPlan;
  /** The candidates the list was ranked from (what a cached copy of it depends on). */
  window: CandidateWindow;
}

export interface CandidateWindow {
  labels: number[];
  /** Lowest candidate score, or -Infinity when the search found fewer than it asked for. */
  floorScore: number;
}

/**
 * The related query: candidates from the vector indexes (filters inside the search), then
 * the pure ranking core (order, fold copies, cut to k). Copies fold away, so it asks for a
 * few more than k and widens the search until k survive or nothing more matches.
 */
export function findRelated(indexes: SearchIndexes, query: Float32Array, request: RelatedRequest, exclusions: QueryExclusions): RelatedAnswer {
  const accept = createFilterPredicate(request.filters, exclusions);
  let want = request.k + Math.min(10, request.k);
  for (;;) {
    const { neighbors, plan } = searchCandidates(indexes, { query, accept, filters: request.filters, want });
    const candidates = neighbors.map(({ label, score }) => ({ entry: indexes.catalog.get(label)!, score }));
    const ranked = rankRelated(candidates, request.k);
    if (ranked.results.length >= request.k || neighbors.length < want) {
      const floorScore = neighbors.length < want ? -Infinity : neighbors.reduce((floor, neighbor) => Math.min(floor, neighbor.score), Infinity);
      return { ...ranked, plan, window: { labels: neighbors.map((neighbor) => neighbor.label), floorScore } };
    }
    want *= 2;
  }
}
