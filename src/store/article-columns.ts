import type { Article } from "../core/article.ts";

/**
 * The columns an article is stored in, the same in SQLite and PostgreSQL: one mapping each way
 * for both stores, so a field added to `Article` is added to the two in one place. Topics
 * are left out: SQLite keeps them in a table of their own, PostgreSQL in an array column.
 */
export interface ArticleColumns {
  id: string;
  title: string;
  body: string;
  url: string | null;
  published_at: string | null;
  published_ms: number | null;
  lang: string | null;
  source: string | null;
  image_url: string | null;
  section: string | null;
  author: string | null;
}

export function toArticleColumns(article: Article): ArticleColumns {
  return {
    id: article.id,
    title: article.title,
    body: article.body,
    url: article.url,
    published_at: article.publishedAt,
    published_ms: article.publishedMs,
    lang: article.lang,
    source: article.source,
    image_url: article.imageUrl ?? null,
    section: article.section ?? null,
    author: article.author ?? null,
  };
}

/** The article of a row, given its topics as the store keeps them. */
export function fromArticleColumns(row: ArticleColumns, topics: string[]): Article {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    url: row.url,
    topics,
    publishedAt: row.published_at,
    publishedMs: row.published_ms,
    lang: row.lang,
    source: row.source,
    imageUrl: row.image_url,
    section: row.section,
    author: row.author,
  };
}
