import { join } from "node:path";
import Database from "better-sqlite3";
import type { PassageVectorCache } from "../embed/passage-vector-cache.ts";
import { databaseFileName } from "./sqlite-article-store.ts";
import { decodeVector, encodeTypedArray } from "./typed-array-blobs.ts";

/**
 * The passage-vector cache (embed/passage-vector-cache.ts) in the data directory's database:
 * table `passage_vectors` (created if missing, so older databases simply gain it), one row per
 * passage of an article. A trigger drops an article's rows when the article row is deleted, and
 * opening drops rows of articles that no longer exist (a write refused after its passages were
 * embedded), so the table never outgrows the articles' current passages. Its own connection,
 * like the language memo: the store writer thread keeps the article rows.
 *
 * @example
 *   const cache = SqlitePassageVectors.open(config.dataDir);
 */
export class SqlitePassageVectors implements PassageVectorCache {
  readonly #db: Database.Database;
  readonly #find: Database.Statement<[string], { vector: Buffer }>;
  readonly #forgetArticle: Database.Statement<[string]>;
  readonly #insert: Database.Statement<[string, string, string, Buffer]>;
  readonly #dropOtherModels: Database.Statement<[string]>;
  /** The model whose rows alone the table holds, once this connection has made sure of it. */
  #modelKept: string | null = null;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.transaction(() => {
      db.exec(`CREATE TABLE IF NOT EXISTS passage_vectors (
        article_id TEXT NOT NULL,
        passage_key TEXT NOT NULL,
        model TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (article_id, passage_key)
      ) WITHOUT ROWID`);
      db.exec("CREATE INDEX IF NOT EXISTS passage_vectors_key ON passage_vectors(passage_key)");
      db.exec(`CREATE TRIGGER IF NOT EXISTS passage_vectors_follow_delete AFTER DELETE ON articles
        BEGIN DELETE FROM passage_vectors WHERE article_id = OLD.id; END`);
      db.exec("DELETE FROM passage_vectors WHERE article_id NOT IN (SELECT id FROM articles)");
    }).immediate();
    this.#find = db.prepare("SELECT vector FROM passage_vectors WHERE passage_key = ? LIMIT 1");
    this.#forgetArticle = db.prepare("DELETE FROM passage_vectors WHERE article_id = ?");
    this.#insert = db.prepare("INSERT OR REPLACE INTO passage_vectors (article_id, passage_key, model, vector) VALUES (?, ?, ?, ?)");
    this.#dropOtherModels = db.prepare("DELETE FROM passage_vectors WHERE model <> ?");
  }

  /** Opens the cache in the data directory's database (which must exist: open the store first). */
  static open(dataDir: string): SqlitePassageVectors {
    const db = new Database(join(dataDir, databaseFileName));
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    return new SqlitePassageVectors(db);
  }

  find(keys: readonly string[]): Map<string, Float32Array> {
    const found = new Map<string, Float32Array>();
    for (const key of keys) {
      if (found.has(key)) continue;
      const row = this.#find.get(key);
      if (row !== undefined) found.set(key, decodeVector(row.vector));
    }
    return found;
  }

  remember(modelId: string, articles: readonly { articleId: string; passages: readonly { key: string; vector: Float32Array }[] }[]): void {
    if (articles.length === 0) return;
    this.#db.transaction(() => {
      if (this.#modelKept !== modelId) {
        this.#dropOtherModels.run(modelId);
        this.#modelKept = modelId;
      }
      for (const { articleId, passages } of articles) {
        this.#forgetArticle.run(articleId);
        for (const { key, vector } of passages) this.#insert.run(articleId, key, modelId, encodeTypedArray(vector));
      }
    })();
  }

  /** Rows held (for tests and the docs' size figures). */
  size(): number {
    return (this.#db.prepare("SELECT count(*) AS n FROM passage_vectors").get() as { n: number }).n;
  }

  close(): void {
    this.#db.close();
  }
}
