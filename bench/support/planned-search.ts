import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { createFilterPredicate, type QueryExclusions, type RelatedFilters } from "../../src/core/related/related-filters.ts";
import { type SearchIndexes, type SearchPlan, searchCandidates } from "../../src/engine/search-candidates.ts";

/*
 * The query planner alone (engine/search-candidates.ts), as bench/vector-search.ts measures it:
 * candidates by embedding only, copies of one text folded, cut to k. The service's ranking
 * (engine/find-related-articles.ts) builds on the same planner; this keeps the bench's recall
 * and speed-up figures about the planner and the graph, not the fusion on top.
 */

export interface ScoredCandidate {
  entry: CatalogEntry;
  /** Cosine similarity to the query, in [-1, 1]. */
  score: number;
}

export interface PlannedSearchAnswer {
  results: ScoredCandidate[];
  foldedCopies: number;
  plan: SearchPlan;
}

/** Orders by score (ties by id) and keeps the best-ranked article of each text. */
function rankAndFold(candidates: readonly ScoredCandidate[], k: number): { results: ScoredCandidate[]; foldedCopies: number } {
  const ordered = [...candidates].sort((a, b) => b.score - a.score || (a.entry.id < b.entry.id ? -1 : 1));
  const seenTexts = new Set<string>();
  const results: ScoredCandidate[] = [];
  let foldedCopies = 0;
  for (const candidate of ordered) {
    if (seenTexts.has(candidate.entry.textHash)) {
      foldedCopies++;
      continue;
    }
    seenTexts.add(candidate.entry.textHash);
    if (results.length < k) results.push(candidate);
  }
  return { results, foldedCopies };
}

/**
 * Candidates from the vector indexes (filters inside the search), folded and cut to k. Copies
 * fold away, so it asks for a few more than k and widens the search until k survive or
 * nothing more matches. `queryLabel`: the indexed article whose vector `query` is, as the
 * service passes it for a related-by-id list (engine/find-related-articles.ts).
 */
export function plannedSearch(
  indexes: SearchIndexes,
  query: Float32Array,
  request: { k: number; filters: RelatedFilters },
  exclusions: QueryExclusions,
  queryLabel?: number,
): PlannedSearchAnswer {
  const accept = createFilterPredicate(request.filters, exclusions);
  let want = request.k + Math.min(10, request.k);
  for (;;) {
    const { neighbors, plan } = searchCandidates(indexes, { query, accept, filters: request.filters, want, queryLabel });
    const ranked = rankAndFold(
      neighbors.map(({ label, score }) => ({ entry: indexes.catalog.get(label)!, score })),
      request.k,
    );
    if (ranked.results.length >= request.k || neighbors.length < want) return { ...ranked, plan };
    want *= 2;
  }
}
