import { lexiconSchemaSql } from "./sqlite-lexicon.ts";
import { stagingSchemaSql } from "./sqlite-model-staging.ts";

/**
 * SQLite schema, version 2 (version 1 had no lexical channel; opening one adds it, see
 * SqliteArticleStore.open). `label` is the INTEGER PRIMARY KEY so that the vector index's
 * integer labels are the rowids; `changes` is the log the HNSW graph replays on start
 * (everything after the sequence number in its manifest); `staged_vectors` holds the next
 * model's vectors while `kindred reindex` runs (sqlite-model-staging.ts; created on open, so
 * it needs no version of its own).
 */
export const schemaVersion = 2;

export const schemaSql = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS articles (
  -- AUTOINCREMENT: a label is never reused for another article, so the graph can never
  -- confuse a deleted article with a new one (hnswlib keeps deleted labels until compaction).
  label INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  url TEXT,
  published_at TEXT,
  published_ms INTEGER,
  lang TEXT,
  source TEXT,
  text_hash TEXT NOT NULL,
  embed_hash TEXT NOT NULL,
  vector BLOB NOT NULL,
  seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_text_hash ON articles(text_hash);
-- The covering index of what start-up reads (articles_summary_display) is created after the
-- display columns are added on open: see addDisplayColumns in sqlite-article-store.ts.

CREATE TABLE IF NOT EXISTS article_topics (
  label INTEGER NOT NULL REFERENCES articles(label) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  topic TEXT NOT NULL,
  PRIMARY KEY (label, position)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS article_topics_topic ON article_topics(topic);

CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  label INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('upsert', 'delete'))
);
CREATE INDEX IF NOT EXISTS changes_label ON changes(label);
${lexiconSchemaSql}${stagingSchemaSql}`;
