import type { PassagePlan } from "../core/embed-text.ts";
import { articleNotFoundError } from "../core/errors.ts";
import { withRelativeDates } from "../core/related/relative-dates.ts";
import type { ArticleStore } from "../store/article-store.ts";
import type { EmbedderProvider } from "./embed-articles.ts";
import { type DenseSearch, findRelatedArticles, findRelatedArticlesWith } from "./find-related-articles.ts";
import type { LiveIndexes } from "./live-indexes.ts";
import type { RelatedListCache } from "./related-list-cache.ts";
import { storedArticleQuery, textQuery } from "./related-queries.ts";
import type { ArticleRelatedAnswer, RelatedAnswer, RelatedRequest, TextRelatedAnswer } from "./related-request.ts";

/** What the related-list reads need of the engine: its store, indexes, cache and ranking settings. */
export interface RelatedListsParts {
  store: ArticleStore;
  live: LiveIndexes;
  cache: RelatedListCache;
  embedder: EmbedderProvider;
  /** Set in pgvector mode (engine/pgvector-search.ts). */
  denseSearch: DenseSearch | undefined;
  passagePlan: PassagePlan;
  noiseTopics: ReadonlySet<string>;
  now: () => number;
}

/**
 * The engine's related-list reads (for a stored article, in memory or through pgvector, and for a
 * text that is not stored), kept apart so KindredEngine stays a facade of one-line verbs.
 */
export class RelatedLists {
  readonly #parts: RelatedListsParts;

  constructor(parts: RelatedListsParts) {
    this.#parts = parts;
  }

  /** Related articles for a stored article, from the cache when still good (see KindredEngine.findRelatedToArticle). */
  forArticle(id: string, request: RelatedRequest, options: { cache?: boolean }): ArticleRelatedAnswer {
    const prepared = this.#prepareRelatedToArticle(id, request, options);
    if (prepared.cached !== undefined) return prepared.cached;
    return prepared.keep(findRelatedArticles(this.#rankingEnvironment(), prepared.query, prepared.request, prepared.exclusions));
  }

  /** The same list, its dense search made in PostgreSQL in pgvector mode, else in memory. */
  async forArticleAsync(id: string, request: RelatedRequest, options: { cache?: boolean }): Promise<ArticleRelatedAnswer> {
    const search = this.#parts.denseSearch;
    if (search === undefined) return this.forArticle(id, request, options);
    const prepared = this.#prepareRelatedToArticle(id, request, options);
    if (prepared.cached !== undefined) return prepared.cached;
    return prepared.keep(await findRelatedArticlesWith(search, this.#rankingEnvironment(), prepared.query, prepared.request, prepared.exclusions));
  }

  /** The query article, its request with dates resolved, and the cached list if still good; `keep` caches a list computed for them. */
  #prepareRelatedToArticle(id: string, request: RelatedRequest, options: { cache?: boolean }) {
    const { store, live, cache } = this.#parts;
    const indexes = live.current;
    const label = indexes.catalog.labelOf(id);
    const vector = label === undefined ? null : indexes.exact.getVector(label);
    if (label === undefined || vector === null) throw articleNotFoundError(id);
    const cached = cache.lookup(id, request, indexes, options.cache !== false);
    if (cached?.answer !== undefined) return { cached: cached.answer };
    const article = indexes.catalog.get(label)!;
    const exclusions = { labels: new Set([label]), textHashes: new Set([article.textHash]) };
    const filters = withRelativeDates(request.filters, request.relativeDates, article);
    // Read before ranking (a write meanwhile must make the cached list look stale), and only
    // when the list is cached: it is a database read the computed path need not make.
    const lexicalVersion = cached !== null ? store.lexicalVersion() : 0;
    const query = storedArticleQuery(indexes, store, article, vector);
    const keep = (related: RelatedAnswer): ArticleRelatedAnswer => {
      const answer = { ...related, article };
      if (cached !== null) cache.remember(cached.key, answer, { label, filters, exclusions, lexicalVersion, journalPosition: cached.journalPosition });
      return answer;
    };
    return { cached: undefined, query, request: { ...request, filters }, exclusions, keep };
  }

  /** Related articles for a text that is not stored (see KindredEngine.findRelatedToText). */
  async forText(input: { title?: string; text: string; lang?: string | null }, request: RelatedRequest): Promise<TextRelatedAnswer> {
    const { store, live, embedder, passagePlan } = this.#parts;
    const { query, warnings, language } = await textQuery({ live, lexicon: store, embedder, passagePlan }, input, request);
    const exclusions = { labels: new Set<number>(), textHashes: new Set([query.textHash!]) };
    const search = this.#parts.denseSearch;
    const answer =
      search === undefined
        ? findRelatedArticles(this.#rankingEnvironment(), query, request, exclusions)
        : await findRelatedArticlesWith(search, this.#rankingEnvironment(), query, request, exclusions);
    return { ...answer, warnings, language };
  }

  #rankingEnvironment() {
    return this.#parts.live.rankingEnvironment(this.#parts.noiseTopics, this.#parts.now());
  }
}
