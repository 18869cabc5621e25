import type { CatalogEntry } from "../related/catalog-entry.ts";

/**
 * What a computed related list depended on, enough to decide whether a later change to one
 * article could alter it. A list is a function of the query article, the filter, and the
 * candidate window: the accepted neighbours the search looked at (the results, the copies it
 * folded away, and the few extra it fetched), all scoring at least `floorScore`.
 */
export interface ListDependencies {
  /** The article whose list this is. */
  queryLabel: number;
  /** Every candidate the list was ranked from. */
  candidateLabels: ReadonlySet<number>;
  /**
   * The lowest score in the window, or -Infinity when the search returned fewer candidates
   * than it asked for (it saw every accepted article, so any newly accepted one gets in).
   */
  floorScore: number;
  /** The query's filter and exclusions, as applied inside the search. */
  accept: (entry: CatalogEntry) => boolean;
}

/** One changed article, in its state now. */
export interface ArticleChange {
  label: number;
  /** The article now, or undefined when it was deleted. */
  current: CatalogEntry | undefined;
  /** Cosine similarity of the query article and the changed article now (only called when needed). */
  scoreNow: () => number;
}

/**
 * Scores from HNSW (float SIMD in hnswlib) and from our own dot product differ in the last
 * bits; treating a near-tie as "could enter" only costs a recomputation, never a stale list.
 */
export const scoreTolerance = 1e-4;

/**
 * Decides whether a change to one article could alter a cached related list. Sound by
 * construction: a list changes only if (1) it is the changed article's own list (its vector,
 * text or metadata changed), (2) the changed article was a candidate (whatever happened to it,
 * its score, metadata or existence may differ), or (3) the article, as it is now, passes the
 * list's filter and scores at least the window's floor, so it could now enter. Otherwise the
 * window (the top accepted neighbours) is the same set with the same scores, so ranking, copy
 * folding and the cut to k give the same list. Several changes since a list was cached are
 * checked one by one against the articles' states now: an article that changed twice and is
 * neither a candidate nor able to enter leaves the list as it was.
 *
 * Exact with respect to the vector scores; an approximate (HNSW) search can also drift when
 * the graph's links change, which is not a change of what the list means (README, "Caching").
 *
 * @example
 *   couldChangeList(list, { label: 7, current: entry, scoreNow: () => 0.42 }); // true if 0.42 >= floor
 */
export function couldChangeList(list: ListDependencies, change: ArticleChange): boolean {
  if (change.label === list.queryLabel || list.candidateLabels.has(change.label)) return true;
  if (change.current === undefined || !list.accept(change.current)) return false;
  return change.scoreNow() >= list.floorScore - scoreTolerance;
}
