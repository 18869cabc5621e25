import type { CatalogEntry } from "./catalog-entry.ts";

/**
 * Filters of a related query, already validated and normalised. Topics match "any of";
 * dates are inclusive bounds in epoch milliseconds. An article without a publication date
 * never matches a date bound: it cannot be shown to be in range.
 */
export interface RelatedFilters {
  topics: readonly string[];
  excludeTopics: readonly string[];
  sinceMs: number | null;
  untilMs: number | null;
  excludeIds: readonly string[];
}

export const noFilters: RelatedFilters = Object.freeze({ topics: [], excludeTopics: [], sinceMs: null, untilMs: null, excludeIds: [] });

/** True when the filters narrow the candidates beyond excluding a few articles. */
export function isNarrowing(filters: RelatedFilters): boolean {
  return filters.topics.length > 0 || filters.excludeTopics.length > 0 || filters.sinceMs !== null || filters.untilMs !== null;
}

/** What must never come back for a query besides what the filters reject. */
export interface QueryExclusions {
  /** The query article itself. */
  labels: ReadonlySet<number>;
  /** Copies of the query article's text. */
  textHashes: ReadonlySet<string>;
}

/**
 * Builds the predicate applied inside the vector search (hnswlib's filter callback) and in
 * exact scans, so a filtered query fills k results from matching articles only.
 *
 * @example
 *   const accept = createFilterPredicate({ ...noFilters, topics: ["sports"] }, { labels: new Set([7]), textHashes: new Set() });
 *   accept(entry); // true for a sports article other than label 7
 */
export function createFilterPredicate(filters: RelatedFilters, exclusions: QueryExclusions): (entry: CatalogEntry) => boolean {
  const topics = new Set(filters.topics);
  const excludedTopics = new Set(filters.excludeTopics);
  const excludedIds = new Set(filters.excludeIds);
  const { sinceMs, untilMs } = filters;
  return (entry) => {
    if (exclusions.labels.has(entry.label) || exclusions.textHashes.has(entry.textHash) || excludedIds.has(entry.id)) return false;
    if (sinceMs !== null && (entry.publishedMs === null || entry.publishedMs < sinceMs)) return false;
    if (untilMs !== null && (entry.publishedMs === null || entry.publishedMs > untilMs)) return false;
    if (excludedTopics.size > 0 && entry.topics.some((topic) => excludedTopics.has(topic))) return false;
    if (topics.size > 0 && !entry.topics.some((topic) => topics.has(topic))) return false;
    return true;
  };
}
