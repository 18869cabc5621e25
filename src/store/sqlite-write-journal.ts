import { join } from "node:path";
import Database from "better-sqlite3";
import { z } from "zod";
import type { Article } from "../core/article.ts";
import { KindredError } from "../core/errors.ts";
import type { JournalEntry } from "./article-store.ts";

/** The journal's own database file in the data directory, beside `kindred.sqlite`. */
export const writeJournalFileName = "accepted-writes.sqlite";

/**
 * The accepted-writes journal: a write or delete acknowledged before it was applied to the
 * store (engine/accepted-writes.ts) waits here, durably, until it is. Start-up replays whatever
 * is left in acknowledgement order, so a `kill -9` between the answer and the embedding loses
 * nothing. Rows of one article are removed through the sequence number of the operation that
 * superseded or applied them, never a later one: a replay ends at the latest acknowledged
 * operation of each article. A row whose `article` is NULL is a delete.
 *
 * A file of its own, with its own connections: an append (what a write's answer waits for)
 * never waits behind the main database's write lock, which the store writer holds while it
 * commits a group of embedded articles. The two files are never committed together, so the
 * order of the steps carries the guarantees: an operation is applied to the store before its
 * rows leave the journal, and a crash between the two replays the rows onto a store that
 * already holds them (a write comes back "unchanged", a delete finds nothing to delete).
 */
const schemaSql = `
CREATE TABLE IF NOT EXISTS accepted_writes (
  ack_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  article_id TEXT NOT NULL,
  article TEXT,
  accepted_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS accepted_writes_article ON accepted_writes(article_id, ack_seq);
`;

const nullableString = z.string().nullable();
/** What a journal row's JSON must hold: the article as the write path validated it at the edge. */
const journalArticleSchema = z.object({
  id: z.string(),
  title: z.string(),
  body: z.string(),
  url: nullableString,
  topics: z.array(z.string()),
  publishedAt: nullableString,
  publishedMs: z.number().nullable(),
  lang: nullableString,
  source: nullableString,
  imageUrl: nullableString.optional(),
  section: nullableString.optional(),
  author: nullableString.optional(),
});

export class SqliteWriteJournal {
  readonly #db: Database.Database;
  readonly #insert;
  readonly #removeThrough;
  readonly #list;
  readonly #count;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare<[string, string | null, number], unknown>("INSERT INTO accepted_writes(article_id, article, accepted_ms) VALUES (?, ?, ?)");
    this.#removeThrough = db.prepare<[string, number], unknown>("DELETE FROM accepted_writes WHERE article_id = ? AND ack_seq <= ?");
    this.#list = db.prepare<[], { ack_seq: number; article_id: string; article: string | null; accepted_ms: number }>(
      "SELECT ack_seq, article_id, article, accepted_ms FROM accepted_writes ORDER BY ack_seq",
    );
    this.#count = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM accepted_writes");
  }

  /**
   * Opens (creating if needed) the journal of `dataDir`. With `storeDb`, the main database's
   * connection, rows an earlier kindred journaled in a table of the main database move here
   * first (see `moveJournalOutOfStore`).
   */
  static open(dataDir: string, storeDb?: Database.Database): SqliteWriteJournal {
    const db = new Database(join(dataDir, writeJournalFileName));
    db.pragma("journal_mode = WAL");
    // On disk when an append returns: the write's answer promises it.
    db.pragma("synchronous = FULL");
    db.pragma("busy_timeout = 5000");
    db.exec(schemaSql);
    if (storeDb !== undefined) moveJournalOutOfStore(storeDb, db);
    return new SqliteWriteJournal(db);
  }

  /** Journals the articles in one transaction (durable when it returns); their sequence numbers, in order. */
  append(articles: readonly Article[], acceptedMs: number): number[] {
    return this.#db.transaction(() => articles.map((article) => Number(this.#insert.run(article.id, JSON.stringify(article), acceptedMs).lastInsertRowid)))();
  }

  /** Journals deletes of the articles in one transaction (durable when it returns); their sequence numbers, in order. */
  appendDeletes(ids: readonly string[], acceptedMs: number): number[] {
    return this.#db.transaction(() => ids.map((id) => Number(this.#insert.run(id, null, acceptedMs).lastInsertRowid)))();
  }

  /** Removes each article's rows up to and including `throughSeq`, in one transaction. */
  remove(entries: readonly { id: string; throughSeq: number }[]): void {
    if (entries.length === 0) return;
    this.#db.transaction(() => {
      for (const entry of entries) this.#removeThrough.run(entry.id, entry.throughSeq);
    })();
  }

  /** Every waiting operation, in acknowledgement order. */
  list(): JournalEntry[] {
    return this.#list.all().map((row) => ({
      ackSeq: row.ack_seq,
      id: row.article_id,
      article: row.article === null ? null : parseJournalArticle(row.article, row.ack_seq),
      acceptedMs: row.accepted_ms,
    }));
  }

  count(): number {
    return this.#count.get()!.n;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * Moves rows journaled in the main database (`accepted_writes` of kindred.sqlite, where the
 * journal lived before it had a file of its own) into the journal's file, keeping their
 * sequence numbers. With the main database's write lock held throughout, so two processes
 * opening at once move them once; the copy commits before the originals go, and a crash
 * between the two leaves rows in both, which the next open copies again as no-ops.
 */
function moveJournalOutOfStore(storeDb: Database.Database, journalDb: Database.Database): void {
  const hasTable = () => storeDb.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'accepted_writes'").get() !== undefined;
  if (!hasTable()) return;
  storeDb
    .transaction(() => {
      // Another process may have moved them while this one waited for the lock.
      if (!hasTable()) return;
      const rows = storeDb
        .prepare<[], { ack_seq: number; article_id: string; article: string; accepted_ms: number }>(
          "SELECT ack_seq, article_id, article, accepted_ms FROM accepted_writes ORDER BY ack_seq",
        )
        .all();
      if (rows.length > 0) {
        const insert = journalDb.prepare("INSERT OR IGNORE INTO accepted_writes(ack_seq, article_id, article, accepted_ms) VALUES (?, ?, ?, ?)");
        journalDb.transaction(() => {
          for (const row of rows) insert.run(row.ack_seq, row.article_id, row.article, row.accepted_ms);
        })();
      }
      storeDb.exec("DROP TABLE accepted_writes");
    })
    .immediate();
}

function parseJournalArticle(json: string, ackSeq: number): Article {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new KindredError("index_corrupt", `accepted_writes row ${ackSeq}: field "article" is not JSON (${(error as Error).message})`);
  }
  const parsed = journalArticleSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KindredError("index_corrupt", `accepted_writes row ${ackSeq}: field "${issue.path.join(".")}" ${issue.message}`);
  }
  return parsed.data as Article;
}
