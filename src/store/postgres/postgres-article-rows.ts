import type pg from "pg";
import type { Article } from "../../core/article.ts";
import { normalizeArticleUrl } from "../../core/urls/normalize-article-url.ts";
import { type ArticleColumns, fromArticleColumns, toArticleColumns } from "../article-columns.ts";
import type { ArticleWrite, ModelPin } from "../article-store.ts";
import { decodeVector } from "../typed-array-blobs.ts";

// The shapes PostgreSQL holds articles in and their mapping to and from kindred's, apart from the
// transactions and change-log queries of postgres-article-log.ts that use them.

/** An article as PostgreSQL holds it, with its vector. */
export interface SharedArticle {
  article: Article;
  textHash: string;
  embedHash: string;
  vector: Float32Array;
  seq: number;
}

export interface SharedChange {
  seq: number;
  articleId: string;
  kind: "upsert" | "delete";
}

/** A row of kindred_articles as `rowColumns` selects it. */
export interface Row extends ArticleColumns {
  url_key: string | null;
  topics: string[];
  text_hash: string;
  embed_hash: string;
  seq: number;
}

export const rowColumns =
  "id, title, body, url, published_at, published_ms::float8 AS published_ms, lang, source, image_url, section, author, url_key, topics, text_hash, embed_hash, seq::float8 AS seq";

/** The record shape jsonb_to_recordset reads a batch of articles in (one parameter per batch). */
export const recordShape = `r(id text, title text, body text, url text, published_at text, published_ms bigint, lang text, source text,
  image_url text, section text, author text, url_key text, topics jsonb, text_hash text, embed_hash text, vector text, seq bigint)`;

export const pinQuery = "SELECT key, value FROM kindred_meta WHERE key IN ('model_id', 'dimensions')";

export async function readPin(queryable: pg.Pool | pg.PoolClient): Promise<ModelPin | null> {
  return toPin((await queryable.query<{ key: string; value: string }>(pinQuery)).rows);
}

export function toPin(rows: readonly { key: string; value: string }[]): ModelPin | null {
  const values = new Map(rows.map((row) => [row.key, row.value]));
  const modelId = values.get("model_id");
  const dimensions = values.get("dimensions");
  return modelId === undefined || dimensions === undefined ? null : { modelId, dimensions: Number(dimensions) };
}

export function toRow(write: ArticleWrite, seq: number): Row {
  const { article } = write;
  return {
    ...toArticleColumns(article),
    url_key: article.url === null ? null : normalizeArticleUrl(article.url),
    topics: article.topics,
    text_hash: write.textHash,
    embed_hash: write.embedHash,
    seq,
  };
}

export function toSharedArticle(row: Row & { vector: Buffer }): SharedArticle {
  return { article: toArticle(row), textHash: row.text_hash, embedHash: row.embed_hash, vector: decodeVector(row.vector), seq: row.seq };
}

export function toArticle(row: Row): Article {
  return fromArticleColumns(row, row.topics);
}

/** Which other article has this URL key: one written earlier in this batch, else one stored (read under the write lock: `stored`, key to id). */
export function urlOwner(urlKey: string, id: string, batch: ReadonlyMap<string, { row: Row }>, stored: ReadonlyMap<string, string>): string | undefined {
  for (const [otherId, { row }] of batch) if (otherId !== id && row.url_key === urlKey) return otherId;
  const holder = stored.get(urlKey);
  const owner = holder === id ? undefined : holder;
  // An article this batch moved off the URL no longer holds it.
  return owner !== undefined && batch.has(owner) && batch.get(owner)!.row.url_key !== urlKey ? undefined : owner;
}
