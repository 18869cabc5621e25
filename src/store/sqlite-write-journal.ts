import type Database from "better-sqlite3";
import { z } from "zod";
import type { Article } from "../core/article.ts";
import { KindredError } from "../core/errors.ts";

/**
 * The accepted-writes journal: an article a write was acknowledged for before it was embedded
 * and stored (engine/accepted-writes.ts) waits here, durably, until its write is stored. Start-up
 * replays whatever is left in acknowledgement order, so a `kill -9` between the answer and the
 * embedding loses nothing. Rows of one article are removed through the sequence number of the
 * write that superseded or stored them, never a later one: a replay ends at the latest
 * acknowledged write of each article.
 */
export const writeJournalSchemaSql = `
CREATE TABLE IF NOT EXISTS accepted_writes (
  ack_seq INTEGER PRIMARY KEY AUTOINCREMENT,
  article_id TEXT NOT NULL,
  article TEXT NOT NULL,
  accepted_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS accepted_writes_article ON accepted_writes(article_id, ack_seq);
`;

/** One accepted article waiting to be embedded and stored. */
export interface JournalEntry {
  ackSeq: number;
  article: Article;
  /** When it was acknowledged (epoch milliseconds). */
  acceptedMs: number;
}

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
  readonly #latestOf;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(writeJournalSchemaSql);
    this.#insert = db.prepare<[string, string, number], unknown>("INSERT INTO accepted_writes(article_id, article, accepted_ms) VALUES (?, ?, ?)");
    this.#removeThrough = db.prepare<[string, number], unknown>("DELETE FROM accepted_writes WHERE article_id = ? AND ack_seq <= ?");
    this.#list = db.prepare<[], { ack_seq: number; article: string; accepted_ms: number }>(
      "SELECT ack_seq, article, accepted_ms FROM accepted_writes ORDER BY ack_seq",
    );
    this.#count = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM accepted_writes");
    this.#latestOf = db.prepare<[string], { article: string }>("SELECT article FROM accepted_writes WHERE article_id = ? ORDER BY ack_seq DESC LIMIT 1");
  }

  /** Journals the articles in one transaction (durable when it returns); their sequence numbers, in order. */
  append(articles: readonly Article[], acceptedMs: number): number[] {
    return this.#db.transaction(() => articles.map((article) => Number(this.#insert.run(article.id, JSON.stringify(article), acceptedMs).lastInsertRowid)))();
  }

  /** Removes each article's rows up to and including `throughSeq`, in one transaction. */
  remove(entries: readonly { id: string; throughSeq: number }[]): void {
    if (entries.length === 0) return;
    this.#db.transaction(() => {
      for (const entry of entries) this.#removeThrough.run(entry.id, entry.throughSeq);
    })();
  }

  /** Every waiting article, in acknowledgement order. */
  list(): JournalEntry[] {
    return this.#list.all().map((row) => ({ ackSeq: row.ack_seq, article: parseJournalArticle(row.article, row.ack_seq), acceptedMs: row.accepted_ms }));
  }

  count(): number {
    return this.#count.get()!.n;
  }

  /** The latest accepted version of an article not stored yet, or null. */
  latest(id: string): Article | null {
    const row = this.#latestOf.get(id);
    return row === undefined ? null : parseJournalArticle(row.article, null);
  }
}

function parseJournalArticle(json: string, ackSeq: number | null): Article {
  const parsed = journalArticleSchema.safeParse(JSON.parse(json));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new KindredError("index_corrupt", `accepted_writes row ${ackSeq ?? "(latest)"}: field "${issue.path.join(".")}" ${issue.message}`);
  }
  return parsed.data as Article;
}
