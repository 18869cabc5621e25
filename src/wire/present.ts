import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import type { Explanation } from "../core/related/explain-result.ts";
import type { StoredArticle } from "../store/article-store.ts";

/** An article summary on the wire (snake_case). */
export function presentEntry(entry: CatalogEntry) {
  return {
    id: entry.id,
    title: entry.title,
    url: entry.url,
    topics: entry.topics,
    published_at: entry.publishedAt,
    image_url: entry.imageUrl ?? null,
    section: entry.section ?? null,
    author: entry.author ?? null,
  };
}

const round6 = (value: number) => Math.round(value * 1e6) / 1e6;

/**
 * A related result: the summary, its score (the fused score, see docs/http-api.md "Scores"), the cosine
 * similarity of the embeddings, and on request the explanation (parts rounded to 6 places).
 */
export function presentResult(result: { entry: CatalogEntry; score: number; cosine?: number; explanation?: Explanation }) {
  return {
    ...presentEntry(result.entry),
    score: round6(result.score),
    ...(result.cosine === undefined ? {} : { cosine: round6(result.cosine) }),
    ...(result.explanation === undefined ? {} : { explanation: presentExplanation(result.explanation) }),
  };
}

function presentExplanation(explanation: Explanation) {
  const parts = explanation.parts;
  return {
    parts: {
      dense: round6(parts.dense),
      lexical: round6(parts.lexical),
      proximity: round6(parts.proximity),
      topics: round6(parts.topics),
      boost: round6(parts.boost),
      recency: round6(parts.recency),
      neighbours: round6(parts.neighbours),
    },
    cosine: round6(explanation.cosine),
    bm25: round6(explanation.bm25),
    shared_topics: explanation.sharedTopics,
    shared_terms: explanation.sharedTerms,
    boosted_topics: explanation.boostedTopics,
    folded: explanation.folded,
  };
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
    image_url: article.imageUrl ?? null,
    section: article.section ?? null,
    author: article.author ?? null,
  };
}
