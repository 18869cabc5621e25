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
  /** Every candidate the list was ranked from (a Set, or anything that answers `has`, such as a sorted label array). */
  candidateLabels: { has(label: number): boolean };
  /**
   * The lowest score in the window, or -Infinity when the search returned fewer candidates
   * than it asked for (it saw every accepted article, so any newly accepted one gets in).
   */
  floorScore: number;
  /** The query's filter and exclusions, as applied inside the search. */
  accept: (entry: CatalogEntry) => boolean;
  /**
   * The stems of the list's lexical query, when it used the lexical channel: an article holding
   * any of them could enter through BM25 (and changes those terms' statistics).
   */
  lexicalTerms?: ReadonlySet<string> | null;
  /**
   * The store's lexical version when the list was computed (lists that used BM25). BM25 scores
   * depend on corpus statistics (article count, average length, term frequencies) that every
   * text added, replaced or removed anywhere moves a little, so such a list is exact only while
   * the version stands.
   */
  lexicalVersion?: number;
}

/** One changed article, in its state now. */
export interface ArticleChange {
  label: number;
  /** The article now, or undefined when it was deleted. */
  current: CatalogEntry | undefined;
  /** Cosine similarity of the query article and the changed article now (only called when needed). */
  scoreNow: () => number;
  /** Whether the changed article's text now holds any of these stems (needed for `lexicalTerms`). */
  holdsAnyTerm?: (stems: ReadonlySet<string>) => boolean;
}

/**
 * Scores from HNSW (float SIMD in hnswlib) and from our own dot product differ in the last
 * bits; treating a near-tie as "could enter" only costs a recomputation, never a stale list.
 */
export const scoreTolerance = 1e-4;

/** True when a list that used BM25 was computed on other corpus statistics than the store has now. */
export function lexicalStatisticsChanged(list: ListDependencies, versionNow: number): boolean {
  return list.lexicalVersion !== undefined && list.lexicalVersion !== versionNow;
}

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
 * A hybrid list also has its lexical query: (3) extends to "holds any of the query's terms" (it
 * could then enter by its words). Its feedback round rescores the same candidates, so it adds no
 * window of its own. Fused scores are z-scores over the candidates, so an unchanged candidate set
 * with unchanged raw scores fuses the same. BM25's corpus statistics are checked apart, per list
 * (`lexicalStatisticsChanged`): any text change anywhere moves them, so it drops every list
 * that used BM25, while a metadata change only drops the lists it can reach.
 *
 * Exact with respect to the vector scores; an approximate (HNSW) search can also drift when
 * the graph's links change, which is not a change of what the list means (docs/http-api.md, "Caching").
 *
 * @example
 *   couldChangeList(list, { label: 7, current: entry, scoreNow: () => 0.42 }); // true if 0.42 >= floor
 */
export function couldChangeList(list: ListDependencies, change: ArticleChange): boolean {
  if (change.label === list.queryLabel || list.candidateLabels.has(change.label)) return true;
  if (change.current === undefined || !list.accept(change.current)) return false;
  if (change.scoreNow() >= list.floorScore - scoreTolerance) return true;
  const terms = list.lexicalTerms;
  return terms != null && terms.size > 0 && (change.holdsAnyTerm === undefined || change.holdsAnyTerm(terms));
}
