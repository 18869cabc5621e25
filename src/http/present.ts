import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import type { ScoredCandidate } from "../core/related/rank-related.ts";
import type { StoredArticle } from "../store/article-store.ts";

/** An article summary on the wire (snake_case). */
export function presentEntry(entry: CatalogEntry) {
  return { id: entry.id, title: entry.title, url: entry.url, topics: entry.topics, published_at: entry.publishedAt };
}

/** A related result: the summary plus its score (cosine similarity, rounded to 6 places). */
export function presentResult(result: ScoredCandidate) {
  return { ...presentEntry(result.entry), score: Math.round(result.score * 1e6) / 1e6 };
}

/** A whole stored article. */
export function presentArticle(article: StoredArticle) {
  return {
    id: article.id,
    title: article.title,
    text: article.body,
    url: article.url,
    topics: article.topics,
    published_at: article.publishedAt,
    lang: article.lang,
    source: article.source,
  };
}
