import type Database from "better-sqlite3";
import { normalizeArticleUrl } from "../core/urls/normalize-article-url.ts";

/**
 * Columns added after schema version 2, on open and only when missing (so the schema version
 * stays 2 and older databases simply gain them): the display fields, and `url_key`, the
 * normalised URL (core/urls/normalize-article-url.ts) that lookups by URL and the uniqueness
 * check use. Its index is not UNIQUE because databases written before the rule may hold
 * duplicates; the rule is kept by the write transaction (writeArticles), which runs under the
 * database's write lock, so two processes cannot both take one URL.
 */
export function addDisplayColumns(db: Database.Database): void {
  const columns = new Set(
    db
      .prepare<[], { name: string }>("PRAGMA table_info(articles)")
      .all()
      .map((column) => column.name),
  );
  db.transaction(() => {
    for (const column of ["image_url", "section", "author", "url_key"]) {
      if (!columns.has(column)) db.exec(`ALTER TABLE articles ADD COLUMN ${column} TEXT`);
    }
    if (!columns.has("url_key")) {
      const setKey = db.prepare<[string | null, number]>("UPDATE articles SET url_key = ? WHERE label = ?");
      for (const row of db.prepare<[], { label: number; url: string }>("SELECT label, url FROM articles WHERE url IS NOT NULL").all()) {
        setKey.run(normalizeArticleUrl(row.url), row.label);
      }
    }
    db.exec("CREATE INDEX IF NOT EXISTS articles_url_key ON articles(url_key) WHERE url_key IS NOT NULL");
    // Covers what start-up reads of every article (listSummaries), so that scan reads this index
    // instead of the article rows, which bodies and vectors make many times larger: at 100k
    // articles it halves the time to load the catalog. It replaces articles_summary, which
    // lacked the display columns (dropped once, here).
    db.exec("DROP INDEX IF EXISTS articles_summary");
    db.exec(`CREATE INDEX IF NOT EXISTS articles_summary_display ON articles(label, id, title, url, published_at, published_ms, lang,
      image_url, section, author, text_hash, embed_hash, seq)`);
  }).immediate();
}
