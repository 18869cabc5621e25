import { join } from "node:path";
import Database from "better-sqlite3";
import type { Article } from "../core/article.ts";
import type { ArticleColumns } from "./article-columns.ts";
import { databaseFileName } from "./sqlite-article-store.ts";

/** A stored article as a re-index compares an input with it (store/unchanged-write.ts), and its write sequence. */
export type ComparableArticle = Article & { textHash: string; embedHash: string; seq: number };

/** A row as `.raw()` gives it, in the order of the SELECT below. */
type LookupRow = [
  id: string,
  title: string,
  body: string,
  url: string | null,
  publishedAt: string | null,
  publishedMs: number | null,
  lang: string | null,
  source: string | null,
  imageUrl: string | null,
  section: string | null,
  author: string | null,
  textHash: string,
  embedHash: string,
  seq: number,
  topics: string,
];

const columns: (keyof ArticleColumns)[] = ["id", "title", "body", "url", "published_at", "published_ms", "lang", "source", "image_url", "section", "author"];

/**
 * Stored articles by id, a batch of ids in one query, with only what deciding "unchanged" reads
 * (no lexicon row or signature): `kindred index` of a feed that did not change asks
 * this of every article, and one statement per article was most of its time. Its own read
 * connection to the data directory's database, like the language memo's.
 *
 * @example
 *   const lookup = SqliteArticleLookup.open(dataDir);
 *   lookup.findByIds(["a1", "a2"]).get("a1")?.textHash;
 */
export class SqliteArticleLookup {
  readonly #db: Database.Database;
  readonly #byIds: Database.Statement<[string], LookupRow>;

  private constructor(db: Database.Database) {
    this.#db = db;
    // Rows as arrays made into one object each (not a row object, then an article, then a
    // copy): a re-index reads every stored article, and those objects were half of the lookup.
    this.#byIds = db
      .prepare<[string], LookupRow>(
        `SELECT ${columns.map((column) => `a.${column}`).join(", ")}, a.text_hash, a.embed_hash, a.seq,
          (SELECT json_group_array(topic) FROM (SELECT topic FROM article_topics t WHERE t.label = a.label ORDER BY position)) AS topics
         FROM articles a WHERE a.id IN (SELECT value FROM json_each(?))`,
      )
      .raw(true);
  }

  /** Opens the lookup on the data directory's database (which must exist: open the store first). */
  static open(dataDir: string): SqliteArticleLookup {
    const db = new Database(join(dataDir, databaseFileName), { readonly: true });
    db.pragma("busy_timeout = 5000");
    // Pages read in place from the file's memory map rather than copied through SQLite's page
    // cache: a re-index reads nearly every row once, and each row (with its vector) fills most
    // of a page. Address space only, not memory held; beyond it SQLite reads as usual.
    db.pragma("mmap_size = 1073741824");
    return new SqliteArticleLookup(db);
  }

  /** The stored articles among `ids` (ids not stored are absent from the map). */
  findByIds(ids: readonly string[]): Map<string, ComparableArticle> {
    const found = new Map<string, ComparableArticle>();
    for (const [id, title, body, url, publishedAt, publishedMs, lang, source, imageUrl, section, author, textHash, embedHash, seq, topics] of this.#byIds.all(
      JSON.stringify(ids),
    )) {
      // Required<>: a field added to Article fails to compile here until it is read too.
      const stored: Required<ComparableArticle> = {
        id,
        title,
        body,
        url,
        topics: JSON.parse(topics) as string[],
        publishedAt,
        publishedMs,
        lang,
        source,
        imageUrl,
        section,
        author,
        textHash,
        embedHash,
        seq,
      };
      found.set(id, stored);
    }
    return found;
  }

  close(): void {
    this.#db.close();
  }
}
