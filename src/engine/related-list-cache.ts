import { canonicalKey } from "../core/cache/canonical-key.ts";
import { createFilterPredicate, type QueryExclusions, type RelatedFilters } from "../core/related/related-filters.ts";
import type { LexicalStatistics } from "../store/article-store.ts";
import { estimateListBytes, SortedLabels } from "./cached-list.ts";
import type { ChangeListener } from "./live-indexes.ts";
import type { LoadedIndexes } from "./load-indexes.ts";
import { type CurrentState, RelatedCache } from "./related-cache.ts";
import type { ArticleRelatedAnswer, RelatedRequest } from "./related-request.ts";

/** What the cache reads of the store to tell whether a change could reach a list. */
export type CacheLexicon = Pick<LexicalStatistics, "getLexicalProfile" | "lexicalVersion">;

/** A cacheable query: its key, and the cached answer if one is still valid. */
export interface CacheLookup {
  key: string;
  answer: ArticleRelatedAnswer | undefined;
  /** Where the change journal stood at the lookup: a list computed across an await is checked against changes since. */
  journalPosition: number;
}

/**
 * The related-list cache policy of the engine over `RelatedCache` (engine/related-cache.ts):
 * which queries are cached, their key, what each list depends on, and how the cache hears of
 * changes (it is the live indexes' `ChangeListener`).
 */
export class RelatedListCache implements ChangeListener {
  readonly #cache: RelatedCache<ArticleRelatedAnswer>;
  readonly #lexicon: CacheLexicon;

  constructor(lexicon: CacheLexicon, limits: { entries: number; bytes: number }) {
    this.#lexicon = lexicon;
    this.#cache = new RelatedCache(limits.entries, undefined, limits.bytes);
  }

  /**
   * Null when the query is not cached: caching is off, asked off, or the list has a recency
   * decay, which moves with the clock and no change log records.
   */
  lookup(id: string, request: RelatedRequest, indexes: LoadedIndexes, allowed: boolean): CacheLookup | null {
    if (!allowed || !this.keepsListsOf(request)) return null;
    const key = relatedListKey(id, request);
    return { key, answer: this.#cache.get(key, this.#currentState(indexes)), journalPosition: this.#cache.position() };
  }

  /**
   * Whether lists of this request are kept (caching is on and the list has no recency decay):
   * only then may the same answer be served again.
   */
  keepsListsOf(request: RelatedRequest): boolean {
    return this.#cache.maxEntries > 0 && request.ranking?.halfLifeDays == null;
  }

  /**
   * Keeps an answer with what it depended on; `lexicalVersion` is the store's as ranking began,
   * `journalPosition` the lookup's (changes recorded while an asynchronous search ran are
   * checked against the list on its first lookup).
   */
  remember(
    key: string,
    answer: ArticleRelatedAnswer,
    query: { label: number; filters: RelatedFilters; exclusions: QueryExclusions; lexicalVersion: number; journalPosition?: number },
  ): void {
    const dependencies = {
      queryLabel: query.label,
      candidateLabels: new SortedLabels(answer.window.labels),
      floorScore: answer.window.floorScore,
      accept: createFilterPredicate(query.filters, query.exclusions),
      lexicalTerms: answer.lexicalTerms,
      ...(answer.lexicalTerms === null ? {} : { lexicalVersion: query.lexicalVersion }),
    };
    // Lists of older lexical statistics than this one's can never be served again: free them now.
    if (answer.lexicalTerms !== null) this.#cache.dropLexicallyOlder(query.lexicalVersion);
    this.#cache.set(key, answer, dependencies, estimateListBytes(key, answer, dependencies), query.journalPosition);
  }

  recordChange(label: number): void {
    this.#cache.recordChange(label);
  }

  clear(): void {
    this.#cache.clear();
  }

  /** Counts of the cache, for /readyz and tests. */
  stats() {
    return this.#cache.stats();
  }

  #currentState(indexes: LoadedIndexes): CurrentState {
    const lexicon = this.#lexicon;
    return {
      entry: (label) => indexes.catalog.get(label),
      // A vector gone since means the article is gone: treat as "could enter" (drop the list).
      score: (queryLabel, label) => indexes.exact.similarity(queryLabel, label) ?? Infinity,
      // A profile gone since means the article is gone: treat as "could enter".
      holdsAnyTerm: (label, stems) => lexicon.getLexicalProfile(label)?.terms.some((term) => stems.has(term.stem)) ?? true,
      lexicalVersion: () => lexicon.lexicalVersion(),
    };
  }
}

/**
 * One key per distinct query: the article and the whole parsed request (k, filters, ranking
 * options, relative dates), lists of topics and ids taken as sets. Derived from the request
 * object itself, so a ranking option added later is part of the key by construction.
 */
export function relatedListKey(id: string, request: RelatedRequest): string {
  return canonicalKey({ article: id, request });
}
