import type Database from "better-sqlite3";
import { signatureLength } from "../core/related/shingle-signature.ts";
import { type ArticleColumns, fromArticleColumns } from "./article-columns.ts";
import type { ArticleSummary, StoredArticle } from "./article-store.ts";
import { decodeSignature } from "./typed-array-blobs.ts";

/*
 * An article row of the SQLite store as its queries read it (with its lexicon row's signature
 * and length, and its topics as a JSON array), and its mapping to the port's types.
 */

export interface ArticleRow extends ArticleColumns {
  label: number;
  text_hash: string;
  embed_hash: string;
  seq: number;
  topics: string | null;
  signature: Buffer | null;
  words: number | null;
}

export const articleColumns = `a.label, a.id, a.title, a.body, a.url, a.published_at, a.published_ms, a.lang, a.source,
  a.image_url, a.section, a.author, a.text_hash, a.embed_hash, a.seq, l.signature, l.words,
  (SELECT json_group_array(topic) FROM (SELECT topic FROM article_topics t WHERE t.label = a.label ORDER BY position)) AS topics`;

/** Articles with their lexicon row (signature, length), which every article has from schema version 2 on. */
export const articlesWithLexicon = "articles a LEFT JOIN article_lexicon l ON l.label = a.label";

export function toStoredArticle(row: ArticleRow): StoredArticle {
  return {
    ...fromArticleColumns(row, row.topics === null ? [] : (JSON.parse(row.topics) as string[])),
    label: row.label,
    textHash: row.text_hash,
    embedHash: row.embed_hash,
    seq: row.seq,
    ...lexiconOf(row),
  };
}

/** The signature and length from the lexicon row (a signature of nothing if there is none). */
export function lexiconOf(row: { signature: Buffer | null; words: number | null }): { signature: Uint32Array; words: number } {
  return { signature: row.signature === null ? new Uint32Array(signatureLength).fill(0xffffffff) : decodeSignature(row.signature), words: row.words ?? 0 };
}

/**
 * A summary row as an array, in `listSummaries`' column order: at start-up every article's is
 * read, and better-sqlite3 makes arrays of a row's values in about half the time it makes
 * objects keyed by column name (docs/performance.md, "Cold start at 100k").
 */
export type SummaryRow = [
  label: number,
  id: string,
  title: string,
  url: string | null,
  publishedAt: string | null,
  publishedMs: number | null,
  lang: string | null,
  imageUrl: string | null,
  section: string | null,
  author: string | null,
  textHash: string,
  embedHash: string,
  seq: number,
  signature: Buffer | null,
  words: number | null,
];

/** A summary row (no body, source or topics) with its topics, as the catalog loads it. */
export function toArticleSummary(row: SummaryRow, topics: string[]): ArticleSummary {
  const [label, id, title, url, publishedAt, publishedMs, lang, imageUrl, section, author, textHash, embedHash, seq, signature, words] = row;
  return {
    label,
    id,
    title,
    url,
    topics,
    publishedAt,
    publishedMs,
    lang,
    imageUrl,
    section,
    author,
    textHash,
    embedHash,
    seq,
    ...lexiconOf({ signature, words }),
  };
}

/** The store's prepared statements over articles, topics, the change log and meta. */
export function prepareArticleStatements(db: Database.Database) {
  return {
    getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
    setMeta: db.prepare<[string, string]>("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
    count: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM articles"),
    byId: db.prepare<[string], ArticleRow>(`SELECT ${articleColumns} FROM ${articlesWithLexicon} WHERE a.id = ?`),
    byLabel: db.prepare<[number], ArticleRow>(`SELECT ${articleColumns} FROM ${articlesWithLexicon} WHERE a.label = ?`),
    embedHash: db.prepare<[string], { embed_hash: string }>("SELECT embed_hash FROM articles WHERE id = ?"),
    vector: db.prepare<[number], { vector: Buffer }>("SELECT vector FROM articles WHERE label = ?"),
    insert:
      db.prepare(`INSERT INTO articles(id, title, body, url, url_key, published_at, published_ms, lang, source, image_url, section, author, text_hash, embed_hash, vector, seq)
    VALUES (@id, @title, @body, @url, @url_key, @published_at, @published_ms, @lang, @source, @image_url, @section, @author, @text_hash, @embed_hash, @vector, @seq)`),
    update: db.prepare(`UPDATE articles SET title = @title, body = @body, url = @url, url_key = @url_key, published_at = @published_at,
    published_ms = @published_ms, lang = @lang, source = @source, image_url = @image_url, section = @section, author = @author,
    text_hash = @text_hash, embed_hash = @embed_hash, vector = COALESCE(@vector, vector), seq = @seq WHERE label = @label`),
    idByUrlKey: db.prepare<[string], { id: string }>("SELECT id FROM articles WHERE url_key = ? ORDER BY label LIMIT 1"),
    otherIdByUrlKey: db.prepare<[string, string], { id: string }>("SELECT id FROM articles WHERE url_key = ? AND id <> ? LIMIT 1"),
    deleteTopics: db.prepare<[number]>("DELETE FROM article_topics WHERE label = ?"),
    insertTopic: db.prepare<[number, number, string]>("INSERT INTO article_topics(label, position, topic) VALUES (?, ?, ?)"),
    deleteArticle: db.prepare<[number]>("DELETE FROM articles WHERE label = ?"),
    logChange: db.prepare<[number, string]>("INSERT INTO changes(label, kind) VALUES (?, ?)"),
    latestSeq: db.prepare<[], { seq: number | null }>("SELECT MAX(seq) AS seq FROM changes"),
    // "+label": grouping by the bare column made SQLite walk the whole retained log through
    // the label index on every call (each write and each second); this way it reads only
    // the rows after `seq` by primary key and groups those.
    changesSince: db.prepare<[number], { seq: number; label: number; kind: "upsert" | "delete" }>(
      "SELECT MAX(seq) AS seq, label, kind FROM changes WHERE seq > ? GROUP BY +label ORDER BY seq",
    ),
    pruneChanges: db.prepare<[number]>("DELETE FROM changes WHERE seq <= ?"),
    listArticles: db.prepare<[], ArticleRow>(`SELECT ${articleColumns} FROM ${articlesWithLexicon} ORDER BY a.label`),
    listVectors: db.prepare<[], { label: number; vector: Buffer }>("SELECT label, vector FROM articles ORDER BY label"),
    listSummaries: db.prepare<[], SummaryRow>(
      `SELECT a.label, a.id, a.title, a.url, a.published_at, a.published_ms, a.lang, a.image_url, a.section, a.author, a.text_hash, a.embed_hash, a.seq, l.signature, l.words
     FROM ${articlesWithLexicon} ORDER BY a.label`,
    ),
    listTopics: db.prepare<[], [label: number, topic: string]>("SELECT label, topic FROM article_topics ORDER BY label, position"),
  };
}
