import { join } from "node:path";
import Database from "better-sqlite3";
import { databaseFileName } from "./sqlite-article-store.ts";

const busyTimeoutMs = 5_000;

/** A stored article as one input record left it: the row's write sequence and embed hash then. */
export interface StoredVersion {
  seq: number;
  embedHash: string;
}

/**
 * Which input records the store already holds exactly, by the digest of each record's bytes:
 * `kindred index` remembers, for every article it wrote or found unchanged, the digest of the
 * JSON Lines record it read, under the pipeline that turned it into a row (model, passage plan,
 * kindred's version). A later record with the same bytes, under the same pipeline, would write
 * nothing while the article's row is untouched since: it is counted unchanged without being
 * decoded, validated or compared field by field. Triggers forget an article's entry whenever its
 * row changes (a new write sequence, a new embed hash from a model switch) or is deleted, and an
 * entry is written only if the row is still the version it was remembered at, so an entry can
 * be missing but never answer for a row its record did not produce. Its own connection and table
 * (`record_digests` and its triggers, created if missing); entries are written in `flush()`.
 *
 * @example
 *   const digests = SqliteRecordDigests.open(dataDir, "google/use-lite-int8 selected 0.1.0");
 *   digests.storedIdsOf(["q1w2..."]); // Map { "q1w2..." => "article-7" } when unchanged since
 */
export class SqliteRecordDigests {
  readonly #db: Database.Database;
  readonly #pipeline: string;
  readonly #storedIds: Database.Statement<[string, string], [string, string]>;
  readonly #remember: Database.Statement<[string, string, string, string, number]>;
  readonly #pending: { articleId: string; digest: string; version: StoredVersion }[] = [];

  private constructor(db: Database.Database, pipeline: string) {
    this.#db = db;
    this.#pipeline = pipeline;
    db.exec(`CREATE TABLE IF NOT EXISTS record_digests (
        article_id TEXT PRIMARY KEY,
        digest TEXT NOT NULL,
        pipeline TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS record_digests_lookup ON record_digests(digest, pipeline);
      DROP INDEX IF EXISTS record_digests_digest;
      CREATE TRIGGER IF NOT EXISTS record_digests_forget_changed AFTER UPDATE OF seq, embed_hash ON articles
        BEGIN DELETE FROM record_digests WHERE article_id = old.id; END;
      CREATE TRIGGER IF NOT EXISTS record_digests_forget_deleted AFTER DELETE ON articles
        BEGIN DELETE FROM record_digests WHERE article_id = old.id; END;`);
    // No join with the articles: the triggers keep every entry's row as remembered, and reading
    // each row (past its vector) was most of the lookup. The lookup index covers the query (it
    // carries the table's key, the article id), so the table itself is not read either; it
    // replaces an index on the digest alone.
    this.#storedIds = db
      .prepare<[string, string], [string, string]>(
        "SELECT digest, article_id FROM record_digests WHERE digest IN (SELECT value FROM json_each(?)) AND pipeline = ?",
      )
      .raw(true);
    // Only while the row is still the one remembered: a write in between (another process on
    // the directory) leaves the entry out rather than pointing it at a row it did not produce.
    this.#remember = db.prepare(
      `INSERT OR REPLACE INTO record_digests (article_id, digest, pipeline)
       SELECT a.id, ?, ? FROM articles a WHERE a.id = ? AND a.embed_hash = ? AND a.seq = ?`,
    );
  }

  /**
   * Opens the digests in the data directory's database (which must exist: open the store first);
   * `pipeline` names everything besides a record's bytes that decides its stored row.
   */
  static open(dataDir: string, pipeline: string): SqliteRecordDigests {
    const db = new Database(join(dataDir, databaseFileName));
    db.pragma("journal_mode = WAL");
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    return new SqliteRecordDigests(db, pipeline);
  }

  /** For the digests whose records the store holds unchanged since, the id of each one's article. */
  storedIdsOf(digests: readonly string[]): Map<string, string> {
    return new Map(this.#storedIds.all(JSON.stringify(digests), this.#pipeline));
  }

  /** Notes that the record with `digest` left `articleId` at `version` (written at the next flush). */
  remember(articleId: string, digest: string, version: StoredVersion): void {
    this.#pending.push({ articleId, digest, version });
  }

  /**
   * Writes the entries remembered since the last flush, in one transaction. `whenFree` (for a
   * flush in the middle of a run) writes only if the database's write lock is free at once:
   * the indexer's main thread must not wait while a bulk load's store writer holds it, and the
   * entries simply wait for the next flush.
   */
  flush(options: { whenFree?: boolean } = {}): void {
    if (this.#pending.length === 0) return;
    const write = this.#db.transaction(() => {
      for (const { articleId, digest, version } of this.#pending) {
        this.#remember.run(digest, this.#pipeline, articleId, version.embedHash, version.seq);
      }
    });
    if (options.whenFree !== true) write.immediate();
    else {
      this.#db.pragma("busy_timeout = 0");
      try {
        write.immediate();
      } catch (error) {
        if ((error as { code?: string }).code !== "SQLITE_BUSY") throw error;
        return;
      } finally {
        this.#db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      }
    }
    this.#pending.length = 0;
  }

  close(): void {
    this.flush();
    this.#db.close();
  }
}
