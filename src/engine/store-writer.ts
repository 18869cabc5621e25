import { Worker } from "node:worker_threads";
import type { Article } from "../core/article.ts";
import { hashArticleText } from "../core/content-hash.ts";
import type { PassagePlan } from "../core/embed-text.ts";
import { type ErrorCode, isKindredError, KindredError } from "../core/errors.ts";
import type { ArticleStore, ArticleWrite, WriteJournal, WriteOutcome } from "../store/article-store.ts";
import { workerBootstrapSource } from "../workers/worker-bootstrap.ts";
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

  async removeFromJournal(entries: readonly { id: string; throughSeq: number }[]): Promise<void> {
    journalOf(this.#store).remove(entries);
  }

  async close(): Promise<void> {}
}

/** Messages to and from the writer thread (store-writer-worker.ts). */
export type WriterRequest =
  | { id: number; kind: "prepare"; modelId: string; plan?: PassagePlan; articles: Article[] }
  | { id: number; kind: "write"; modelId: string; writes: ArticleWrite[] }
  | { id: number; kind: "delete"; ids: string[] }
  | { id: number; kind: "journal-append"; articles: Article[]; acceptedMs: number }
  | { id: number; kind: "journal-remove"; entries: { id: string; throughSeq: number }[] };
export type WriterResponse =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { id: number; result: unknown }
  | { id: number; error: { message: string; code?: ErrorCode; details?: Record<string, unknown> } };

const workerBootstrap = workerBootstrapSource(import.meta.url, "store-writer-worker");

/**
 * Runs prepare, write and delete on a worker thread holding its own SQLite connection to the
 * data directory (WAL: the main thread's reads go on meanwhile). The main thread only posts
 * the articles and awaits the outcome; it then replays the change log onto the in-memory
 * indexes, as it does for writes from another process.
 */
export class WorkerStoreWriter implements StoreWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #failure: Error | null = null;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on("message", (message: WriterResponse) => {
      if (!("id" in message)) return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (this.#pending.size === 0) worker.unref();
      if ("error" in message) {
        const { code, details, message: text } = message.error;
        pending.reject(code === undefined ? new Error(text) : new KindredError(code, text, details));
      } else {
        pending.resolve(message.result);
      }
    });
    const fail = (error: Error) => {
      this.#failure = error;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`The store writer thread exited (code ${code}).`)));
    worker.unref();
  }

  /** Starts the writer thread on `dataDir`'s database; resolves once it has opened it. */
  static async start(dataDir: string): Promise<WorkerStoreWriter> {
    const worker = new Worker(workerBootstrap, { eval: true, workerData: { dataDir } });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: WriterResponse) => {
        if (!("kind" in message)) return;
        worker.off("message", onMessage);
        if (message.kind === "ready") resolve();
        else reject(new Error(`The store writer thread failed to start: ${message.message}`));
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`The store writer thread exited with code ${code} before opening the store.`)));
    });
    worker.removeAllListeners("error");
    worker.removeAllListeners("exit");
    return new WorkerStoreWriter(worker);
  }

  prepare(modelId: string, articles: readonly Article[], plan?: PassagePlan): Promise<PreparedArticle[]> {
    return this.#call({ kind: "prepare", modelId, ...(plan === undefined ? {} : { plan }), articles: [...articles] }) as Promise<PreparedArticle[]>;
  }

  writeArticles(writes: readonly ArticleWrite[], modelId: string): Promise<WriteOutcome[]> {
    return this.#call({ kind: "write", modelId, writes: [...writes] }) as Promise<WriteOutcome[]>;
  }

  deleteArticles(ids: readonly string[]): Promise<{ id: string; label: number; seq: number }[]> {
    return this.#call({ kind: "delete", ids: [...ids] }) as Promise<{ id: string; label: number; seq: number }[]>;
  }

  appendToJournal(articles: readonly Article[], acceptedMs: number): Promise<number[]> {
    return this.#call({ kind: "journal-append", articles: [...articles], acceptedMs }) as Promise<number[]>;
  }

  async removeFromJournal(entries: readonly { id: string; throughSeq: number }[]): Promise<void> {
    await this.#call({ kind: "journal-remove", entries: [...entries] });
  }

  async close(): Promise<void> {
    this.#failure ??= new Error("The store writer is closed.");
    await this.#worker.terminate();
  }

  #call(request: WithoutId<WriterRequest>): Promise<unknown> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // Referenced while a request is out: awaiting the writer must keep the process alive (a
      // CLI run has nothing else pending); idle, it must not.
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }
}

/** The store's accepted-writes journal; a store without one cannot take writes before they are stored. */
export function journalOf(store: ArticleStore): WriteJournal {
  if (store.writeJournal === undefined) throw new Error("This store has no accepted-writes journal: its writes are answered once stored.");
  return store.writeJournal;
}

type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** The error as the writer thread sends it: a KindredError keeps its code, so it becomes the same problem. */
export function serialiseWriterError(error: unknown): Extract<WriterResponse, { error: unknown }>["error"] {
  if (isKindredError(error)) return { message: error.message, code: error.code, details: { ...error.details } };
  return { message: (error as Error)?.message ?? String(error) };
}
