import { dot } from "../core/vector-math.ts";
import type { PgvectorIndex } from "../store/postgres/pgvector-index.ts";
import type { Neighbor } from "../vectors/vector-index.ts";
import type { DenseSearch } from "./find-related-articles.ts";
import { exactFallback, planExactSubset } from "./search-candidates.ts";

/**
 * The dense search of pgvector mode (`vectorSearch: "pgvector"`, docs/deployment.md): the
 * planner of search-candidates.ts with PostgreSQL in the graph's place. A filter that leaves
 * few articles is still scanned exactly in memory (the replica holds the vectors, which the
 * ranking rescores with anyway); otherwise pgvector's HNSW searches with the topic, date and
 * exclusion filters in the same SQL (iterative scan where the server has it). What PostgreSQL
 * returns is checked against the full predicate and rescored with the replica's own vectors,
 * so an article this replica has not caught up with yet (or a copy of the query's text) is left
 * out rather than shown half-known; a short answer is widened, then finished by an exact scan,
 * as the in-memory planner does.
 *
 * @example
 *   const engine = new KindredEngine(store, embedders, { ...options, denseSearch: createPgvectorSearch(index) });
 */
export function createPgvectorSearch(index: PgvectorIndex): DenseSearch {
  return async (indexes, search) => {
    const { exact, catalog } = indexes;
    const { acceptLabel, subset, exactAnswer } = planExactSubset(indexes, search, catalog.size());
    if (exactAnswer !== null) return exactAnswer;
    const { topics, excludeTopics, sinceMs, untilMs, excludeIds } = search.filters;
    const plan = subset === null && excludeTopics.length === 0 ? "pgvector" : "pgvector-filtered";
    const expectedShare = subset === null ? 1 : subset.size / Math.max(1, catalog.size());
    // One more than wanted: the query article itself comes back and is dropped here.
    let ask = search.want + 1;
    for (;;) {
      const hits = await index.search(search.query, ask, { topics, excludeTopics, sinceMs, untilMs, excludeIds }, { expectedShare });
      const neighbors: Neighbor[] = [];
      for (const hit of hits) {
        const label = catalog.labelOf(hit.id);
        const vector = label === undefined || !acceptLabel(label) ? null : exact.getVector(label);
        if (vector !== null) neighbors.push({ label: label!, score: dot(search.query, vector) });
      }
      neighbors.sort((a, b) => b.score - a.score || a.label - b.label);
      if (neighbors.length >= search.want) return { neighbors: neighbors.slice(0, search.want), plan };
      // PostgreSQL ran out of matches: the answer is whole if this replica knows no more of them
      // (an iterative scan can also stop at hnsw.max_scan_tuples, short of a selective filter's matches).
      if (hits.length < ask) {
        if (neighbors.length >= countAccepted(subset?.labels ?? exact.labels(), acceptLabel)) return { neighbors, plan };
        break;
      }
      // Articles this replica rejects filled the page (not caught up yet, copies of the query): widen, then finish exactly.
      if (ask >= 4 * (search.want + 1)) break;
      ask *= 2;
    }
    return exactFallback(exact, search, subset, acceptLabel);
  };
}

function countAccepted(labels: Iterable<number>, accept: (label: number) => boolean): number {
  let count = 0;
  for (const label of labels) if (accept(label)) count++;
  return count;
}
