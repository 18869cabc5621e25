import { join } from "node:path";
import Database from "better-sqlite3";
import type { PassageVectorCache } from "../embed/passage-vector-cache.ts";
import { databaseFileName } from "./sqlite-article-store.ts";
import { decodeVector, encodeTypedArray } from "./typed-array-blobs.ts";

/**
 * The passage-vector cache (embed/passage-vector-cache.ts) in the data directory's database:
 * table `passage_vectors` (created if missing, so older databases simply gain it), one row per
 * passage of an article, written once the article is stored. A trigger drops an article's rows
 * when the article row is deleted, so the table never outgrows the articles' current passages. Its own connection,
 * like the language memo: the store writer thread keeps the article rows. Remembering never
 * waits for the database's write lock (the caller is a server's event loop): while another
 * writer holds it, entries wait for the next call, at most `maxPendingArticles` of them.
 *
 * @example
 *   const cache = SqlitePassageVectors.open(config.dataDir);
 */
/** Articles whose passages may wait for the write lock before the oldest are forgotten. */
const maxPendingArticles = 1_000;

export class SqlitePassageVectors implements PassageVectorCache {
  readonly #db: Database.Database;
  readonly #find: Database.Statement<[string], { vector: Buffer }>;
  readonly #forgetArticle: Database.Statement<[string]>;
  readonly #insert: Database.Statement<[string, string, string, Buffer]>;
  readonly #dropOtherModels: Database.Statement<[string]>;
  /** The model whose rows alone the table holds, once this connection has made sure of it. */
  #modelKept: string | null = null;
  /** Articles' passages not yet written because the write lock was taken, by article id (latest wins). */
  readonly #pending = new Map<string, { modelId: string; passages: readonly { key: string; vector: Float32Array }[] }>();

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
      db.exec("CREATE INDEX IF NOT EXISTS passage_vectors_model ON passage_vectors(model)");
      db.exec(`CREATE TRIGGER IF NOT EXISTS passage_vectors_follow_delete AFTER DELETE ON articles
        BEGIN DELETE FROM passage_vectors WHERE article_id = OLD.id; END`);
    }).immediate();
    this.#find = db.prepare("SELECT vector FROM passage_vectors WHERE passage_key = ? LIMIT 1");
    this.#forgetArticle = db.prepare("DELETE FROM passage_vectors WHERE article_id = ?");
    this.#insert = db.prepare("INSERT OR REPLACE INTO passage_vectors (article_id, passage_key, model, vector) VALUES (?, ?, ?, ?)");
    this.#dropOtherModels = db.prepare("DELETE FROM passage_vectors WHERE model <> ?");
    // From here on a busy database is a skipped write of a cache, not a wait (see the class comment).
    db.pragma("busy_timeout = 0");
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
    for (const { articleId, passages } of articles) {
      this.#pending.delete(articleId);
      this.#pending.set(articleId, { modelId, passages });
    }
    try {
      this.#flush();
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
      // Oldest first out: a cache may forget; it must not grow without bound.
      for (const articleId of this.#pending.keys()) {
        if (this.#pending.size <= maxPendingArticles) break;
        this.#pending.delete(articleId);
      }
    }
  }

  #flush(): void {
    if (this.#pending.size === 0) return;
    let kept = this.#modelKept;
    this.#db
      .transaction(() => {
        for (const [articleId, { modelId, passages }] of this.#pending) {
          if (kept !== modelId) {
            this.#dropOtherModels.run(modelId);
            kept = modelId;
          }
          this.#forgetArticle.run(articleId);
          for (const { key, vector } of passages) this.#insert.run(articleId, key, modelId, encodeTypedArray(vector));
        }
      })
      .immediate();
    this.#modelKept = kept;
    this.#pending.clear();
  }

  /** Rows held (for tests and the docs' size figures). */
  size(): number {
    return (this.#db.prepare("SELECT count(*) AS n FROM passage_vectors").get() as { n: number }).n;
  }

  close(): void {
    // What waited for the lock is written now, waiting for it this once.
    this.#db.pragma("busy_timeout = 5000");
    this.#flush();
    this.#db.close();
  }
}
