import type { Article } from "../core/article.ts";
import { hashArticleText } from "../core/content-hash.ts";
import type { PassagePlan } from "../core/embed-text.ts";
import type { ArticleStore, ArticleWrite, WriteJournal, WriteOutcome } from "../store/article-store.ts";
import { workerBootstrapSource } from "../workers/worker-bootstrap.ts";
import { WorkerRequests } from "../workers/worker-requests.ts";
import { prepareEmbedInput } from "./embed-articles.ts";

/** What the write path needs to know of an article before embedding it. */
export interface PreparedArticle {
  textHash: string;
  embedHash: string;
  /** The texts the model embeds (core/embed-text.ts). */
  passages: string[];
}

/**
 * The costly part of a write: hashing and cutting the text into passages, and the store
 * transaction (which tokenises the text into the lexical index and signs it). For a long
 * article that is a second or more of CPU, which on the event loop would freeze every read
 * (docs/http-api.md, "Concurrency"); `WorkerStoreWriter` does it on a thread of its own, with its own
 * connection to the database. Writes still go one at a time (the engine's write queue).
 */
export interface StoreWriter {
  prepare(modelId: string, articles: readonly Article[], plan?: PassagePlan): Promise<PreparedArticle[]>;
  writeArticles(writes: readonly ArticleWrite[], modelId: string): Promise<WriteOutcome[]>;
  deleteArticles(ids: readonly string[]): Promise<{ id: string; label: number; seq: number }[]>;
  /** Journals accepted articles durably (store/sqlite-write-journal.ts); their sequence numbers. */
  appendToJournal(articles: readonly Article[], acceptedMs: number): Promise<number[]>;
  /** Journals accepted deletes durably; their sequence numbers. */
  appendDeletesToJournal(ids: readonly string[], acceptedMs: number): Promise<number[]>;
  /** Removes journal rows of each article up to `throughSeq`. */
  removeFromJournal(entries: readonly { id: string; throughSeq: number }[]): Promise<void>;
  close(): Promise<void>;
}

/** Prepares an article on the current thread (the worker runs this too). */
export function prepareArticle(modelId: string, article: Pick<Article, "title" | "body">, plan?: PassagePlan): PreparedArticle {
  return { textHash: hashArticleText(article), ...prepareEmbedInput(modelId, article, plan) };
}

/** Does the work on the calling thread, through the engine's own store (tests, the CLI, an in-memory store). */
export class InlineStoreWriter implements StoreWriter {
  readonly #store: ArticleStore;

  constructor(store: ArticleStore) {
    this.#store = store;
  }

  async prepare(modelId: string, articles: readonly Article[], plan?: PassagePlan): Promise<PreparedArticle[]> {
    return articles.map((article) => prepareArticle(modelId, article, plan));
  }

  async writeArticles(writes: readonly ArticleWrite[], modelId: string): Promise<WriteOutcome[]> {
    return this.#store.writeArticles(writes, modelId);
  }

  async deleteArticles(ids: readonly string[]): Promise<{ id: string; label: number; seq: number }[]> {
    return this.#store.deleteArticles(ids);
  }

  async appendToJournal(articles: readonly Article[], acceptedMs: number): Promise<number[]> {
    return journalOf(this.#store).append(articles, acceptedMs);
  }

  async appendDeletesToJournal(ids: readonly string[], acceptedMs: number): Promise<number[]> {
    return journalOf(this.#store).appendDeletes(ids, acceptedMs);
  }

  async removeFromJournal(entries: readonly { id: string; throughSeq: number }[]): Promise<void> {
    journalOf(this.#store).remove(entries);
  }

  async close(): Promise<void> {}
}

/** Requests to the store writer thread (store-writer-worker.ts). */
export type WriterRequest =
  | { kind: "prepare"; modelId: string; plan?: PassagePlan; articles: Article[] }
  | { kind: "write"; modelId: string; writes: ArticleWrite[] }
  | { kind: "delete"; ids: string[] };
/** Requests to the journal writer thread (journal-writer-worker.ts). */
export type JournalRequest =
  | { kind: "journal-append"; articles: Article[]; acceptedMs: number }
  | { kind: "journal-append-deletes"; ids: string[]; acceptedMs: number }
  | { kind: "journal-remove"; entries: { id: string; throughSeq: number }[] };

const writerBootstrap = workerBootstrapSource("engine/store-writer-worker");
const journalBootstrap = workerBootstrapSource("engine/journal-writer-worker");

/**
 * Runs prepare, write and delete on a worker thread holding its own SQLite connection to the
 * data directory (WAL: the main thread's reads go on meanwhile). The main thread only posts
 * the articles and awaits the outcome; it then replays the change log onto the in-memory
 * indexes, as it does for writes from another process. The accepted-writes journal has a
 * thread (and a database file) of its own: an acknowledgement, which waits for its append,
 * never waits behind a store transaction of articles embedded earlier.
 */
export class WorkerStoreWriter implements StoreWriter {
  readonly #store: WorkerRequests<WriterRequest>;
  readonly #journal: WorkerRequests<JournalRequest>;

  private constructor(store: WorkerRequests<WriterRequest>, journal: WorkerRequests<JournalRequest>) {
    this.#store = store;
    this.#journal = journal;
  }

  /** Starts the writer and journal threads on `dataDir`'s database; resolves once they have opened it. */
  static async start(dataDir: string): Promise<WorkerStoreWriter> {
    const store = await WorkerRequests.start<WriterRequest>(writerBootstrap, { dataDir }, "store writer");
    const journal = await WorkerRequests.start<JournalRequest>(journalBootstrap, { dataDir }, "journal writer").catch(async (error: unknown) => {
      await store.close();
      throw error;
    });
    return new WorkerStoreWriter(store, journal);
  }

  prepare(modelId: string, articles: readonly Article[], plan?: PassagePlan): Promise<PreparedArticle[]> {
    return this.#store.call({ kind: "prepare", modelId, ...(plan === undefined ? {} : { plan }), articles: [...articles] }) as Promise<PreparedArticle[]>;
  }

  writeArticles(writes: readonly ArticleWrite[], modelId: string): Promise<WriteOutcome[]> {
    return this.#store.call({ kind: "write", modelId, writes: [...writes] }) as Promise<WriteOutcome[]>;
  }

  deleteArticles(ids: readonly string[]): Promise<{ id: string; label: number; seq: number }[]> {
    return this.#store.call({ kind: "delete", ids: [...ids] }) as Promise<{ id: string; label: number; seq: number }[]>;
  }

  appendToJournal(articles: readonly Article[], acceptedMs: number): Promise<number[]> {
    return this.#journal.call({ kind: "journal-append", articles: [...articles], acceptedMs }) as Promise<number[]>;
  }

  appendDeletesToJournal(ids: readonly string[], acceptedMs: number): Promise<number[]> {
    return this.#journal.call({ kind: "journal-append-deletes", ids: [...ids], acceptedMs }) as Promise<number[]>;
  }

  async removeFromJournal(entries: readonly { id: string; throughSeq: number }[]): Promise<void> {
    await this.#journal.call({ kind: "journal-remove", entries: [...entries] });
  }

  async close(): Promise<void> {
    await Promise.all([this.#store.close(), this.#journal.close()]);
  }
}

/** The store's accepted-writes journal; a store without one cannot take writes before they are stored. */
export function journalOf(store: ArticleStore): WriteJournal {
  if (store.writeJournal === undefined) throw new Error("This store has no accepted-writes journal: its writes are answered once stored.");
  return store.writeJournal;
}
