import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import type { RelatedFilters } from "../core/related/related-filters.ts";
import type { ExactVectorIndex } from "../vectors/exact-vector-index.ts";
import type { Neighbor, VectorIndex } from "../vectors/vector-index.ts";
import type { ArticleCatalog } from "./article-catalog.ts";

/** How a query's candidates were found, reported in responses for the curious ("lexical": BM25 alone). */
export type SearchPlan = "hnsw" | "hnsw-filtered" | "pgvector" | "pgvector-filtered" | "exact-subset" | "exact-fallback" | "lexical";

export interface CandidateSearch {
  query: Float32Array;
  /** The full predicate (filters, exclusions); applied inside the search. */
  accept: (entry: CatalogEntry) => boolean;
  /** The same predicate by label, if the caller has a faster form of it (engine/label-filter.ts). */
  acceptLabel?: (label: number) => boolean;
  /** Set when the predicate accepts exactly the catalog's labels not in this set (engine/label-filter.ts). */
  rejectedLabels?: ReadonlySet<number>;
  filters: RelatedFilters;
  /** How many accepted neighbours to find. */
  want: number;
  /**
   * The indexed article whose own vector `query` is (a related-by-id query), left out of the
   * answer by `accept`: a graph search that reached the query's neighbourhood finds this
   * article, so one that does not got lost and is searched again wider (`searchGraph`).
   */
  queryLabel?: number | null | undefined;
}

export interface SearchIndexes {
  /** The approximate index (HNSW); any `VectorIndex` will do, e.g. the exact one for a reference run. */
  graph: VectorIndex;
  exact: ExactVectorIndex;
  catalog: ArticleCatalog;
  /** Filters that can match at most this many articles are scanned exactly; undefined: `autoExactScanLimit`. */
  exactScanMaxCandidates?: number | undefined;
}

/**
 * How many matching articles an exact scan may cover before a filtered HNSW search is cheaper.
 * An exact scan costs about b per match; a filtered HNSW search about a / s, where s is the
 * share of articles that match and a the cost of an unfiltered search, since the graph walk
 * must visit about 1/s nodes per accepted one. They cross at s = sqrt(a / (b N)), that is at
 * sqrt(a N / b) matches, a constant times sqrt(N); the measured a and b, and so the constant,
 * are in docs/performance.md ("Figures behind code choices") and bench/vector-search.ts.
 */
export function autoExactScanLimit(articles: number): number {
  return Math.round(15 * Math.sqrt(articles));
}

/**
 * Filter-aware planning (after Qdrant's): when a topic or date filter leaves few articles, an
 * exact scan of just those is both faster and complete; otherwise HNSW searches with the
 * filter inside (hnswlib's callback). If HNSW still comes back short, for example when a filter
 * rejects most of the graph's neighbourhood, an exact scan finishes the job, so a filtered query
 * returns `want` results whenever that many articles match.
 */
export function searchCandidates(indexes: SearchIndexes, search: CandidateSearch): { neighbors: Neighbor[]; plan: SearchPlan } {
  const { graph } = indexes;
  const { acceptLabel, subset, exactAnswer } = planExactSubset(indexes, search, graph.size());
  if (exactAnswer !== null) return exactAnswer;
  const neighbors = searchGraph(indexes, search, acceptLabel);
  const plan: SearchPlan = subset === null && search.filters.excludeTopics.length === 0 ? "hnsw" : "hnsw-filtered";
  if (neighbors.length >= search.want || neighbors.length >= graph.size()) return { neighbors, plan };
  return exactFallback(indexes.exact, search, subset, acceptLabel);
}

type LabelSubset = ReturnType<typeof narrowestSubset>;

/**
 * How both dense planners (the graph here, PostgreSQL in pgvector-search.ts) begin: the query's
 * predicate by label (its faster form when the caller has one), the narrowest subset its filters
 * confine it to, and that subset scanned exactly when it is small beside an index of `indexSize`
 * vectors (null otherwise: search the index).
 */
export function planExactSubset(
  indexes: Pick<SearchIndexes, "exact" | "catalog" | "exactScanMaxCandidates">,
  search: CandidateSearch,
  indexSize: number,
): { acceptLabel: (label: number) => boolean; subset: LabelSubset; exactAnswer: { neighbors: Neighbor[]; plan: SearchPlan } | null } {
  const { exact, catalog } = indexes;
  const acceptLabel =
    search.acceptLabel ??
    ((label: number) => {
      const entry = catalog.get(label);
      return entry !== undefined && search.accept(entry);
    });
  const subset = narrowestSubset(catalog, search.filters);
  const exactScanLimit = indexes.exactScanMaxCandidates ?? autoExactScanLimit(indexSize);
  const exactAnswer =
    subset !== null && subset.size <= exactScanLimit
      ? { neighbors: exact.searchAmong(search.query, subset.labels, search.want, acceptLabel), plan: "exact-subset" as const }
      : null;
  return { acceptLabel, subset, exactAnswer };
}

/** An index search that came back short finished exactly, over the subset or over everything. */
export function exactFallback(
  exact: ExactVectorIndex,
  search: CandidateSearch,
  subset: LabelSubset,
  acceptLabel: (label: number) => boolean,
): { neighbors: Neighbor[]; plan: SearchPlan } {
  const neighbors =
    subset === null ? exact.search(search.query, search.want, acceptLabel) : exact.searchAmong(search.query, subset.labels, search.want, acceptLabel);
  return { neighbors, plan: "exact-fallback" };
}

/**
 * How many times a graph search that got lost (see `searchGraph`) is repeated, each twice as
 * wide as the one before: up to 16 times the graph's own width.
 */
const lostSearchRetries = 4;

/**
 * The graph search with the query's filter. hnswlib descends the upper layers greedily and then
 * walks the base layer with a beam of efSearch candidates; when the descent ends beside another
 * cluster, the beam fills with that cluster's articles and the walk stops there, returning nothing
 * of the query's neighbourhood however many neighbours are asked for (the synthetic 300k tier's
 * misses were such whole queries: docs/performance.md). A related-by-id query can tell:
 * its own article is the nearest node there is, so a search that reached the neighbourhood finds
 * it. The query's article is therefore accepted by the search (one more neighbour asked for, and
 * dropped from the answer), and a search that did not find it is repeated twice as wide, up to
 * `lostSearchRetries` times; a search that found it costs nothing more.
 */
function searchGraph(indexes: SearchIndexes, search: CandidateSearch, acceptLabel: (label: number) => boolean): Neighbor[] {
  const { graph } = indexes;
  const { queryLabel, want } = search;
  if (queryLabel === undefined || queryLabel === null || !graph.has(queryLabel)) return filteredGraphSearch(indexes, search, want, acceptLabel);
  // The query's article is searched for as well, and dropped from the answer if the filter rejects it.
  const dropQuery = !acceptLabel(queryLabel);
  let withQuery = search;
  if (dropQuery && search.rejectedLabels !== undefined) {
    const rejectedLabels = new Set(search.rejectedLabels);
    rejectedLabels.delete(queryLabel);
    withQuery = { ...search, rejectedLabels };
  }
  const acceptWithQuery = dropQuery ? (label: number) => label === queryLabel || acceptLabel(label) : acceptLabel;
  const asked = dropQuery ? want + 1 : want;
  const width = graph.searchWidth ?? 0;
  let found: Neighbor[] = [];
  for (let attempt = 0; attempt <= lostSearchRetries; attempt++) {
    found = filteredGraphSearch(indexes, withQuery, Math.max(asked, attempt === 0 ? 0 : width * 2 ** attempt), acceptWithQuery);
    if (width === 0 || found.some((neighbor) => neighbor.label === queryLabel)) break;
  }
  if (dropQuery) found = found.filter((neighbor) => neighbor.label !== queryLabel);
  return found.length > want ? found.slice(0, want) : found;
}

/**
 * The graph search for `k` neighbours with the query's filter. A filter that rejects only a known handful of labels
 * is given to the graph as that set (`searchExcluding`: the same walk, with no call into the
 * predicate per node). The predicate also requires a label to be in the catalog, which every
 * live graph label is (each change reaches the catalog and the graph in one synchronous step:
 * apply-store-changes.ts); as a guard, the set is used only when the two hold as many articles,
 * and an answer naming a label outside the catalog is searched again with the predicate.
 */
function filteredGraphSearch(indexes: SearchIndexes, search: CandidateSearch, k: number, acceptLabel: (label: number) => boolean): Neighbor[] {
  const { graph, catalog } = indexes;
  if (search.rejectedLabels !== undefined && graph.searchExcluding !== undefined && graph.size() === catalog.size()) {
    const neighbors = graph.searchExcluding(search.query, k, search.rejectedLabels);
    if (neighbors?.every((neighbor) => catalog.get(neighbor.label) !== undefined)) return neighbors;
  }
  return graph.search(search.query, k, acceptLabel);
}

/** The smallest label set a filter confines results to, or null when no filter confines them. */
export function narrowestSubset(catalog: ArticleCatalog, filters: RelatedFilters): { labels: Iterable<number>; size: number } | null {
  const options: { labels: Iterable<number>; size: number }[] = [];
  if (filters.topics.length > 0) {
    const labels = catalog.labelsWithAnyTopic(filters.topics);
    options.push({ labels, size: labels.size });
  }
  if (filters.sinceMs !== null || filters.untilMs !== null) {
    const labels = catalog.labelsPublishedBetween(filters.sinceMs, filters.untilMs);
    options.push({ labels, size: labels.length });
  }
  if (options.length === 0) return null;
  return options.reduce((smallest, option) => (option.size < smallest.size ? option : smallest));
}
