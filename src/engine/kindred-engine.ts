import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Article } from "../core/article.ts";
import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { normalizeTopics } from "../core/topics.ts";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore, StoredArticle, WriteOutcome } from "../store/article-store.ts";
import { type Acceptance, AcceptedWrites } from "./accepted-writes.ts";
import { ArticleWrites } from "./article-writes.ts";
import type { CompactionReport } from "./compact-graph.ts";
import type { EmbedderProvider } from "./embed-articles.ts";
import { type EngineOptions, engineDefaults } from "./engine-options.ts";
import type { GraphRecallReport } from "./graph-recall.ts";
import { GraphRecallMonitor, type GraphRecallStatus } from "./graph-recall-monitor.ts";
import { type GraphStats, LiveIndexes } from "./live-indexes.ts";
import type { LoadedIndexes } from "./load-indexes.ts";
import { RelatedListCache } from "./related-list-cache.ts";
import { RelatedLists } from "./related-lists.ts";
import type { ArticleRelatedAnswer, RelatedRequest, TextRelatedAnswer } from "./related-request.ts";
import { InlineStoreWriter } from "./store-writer.ts";
import { findUrlConflicts, type UrlConflict } from "./url-conflicts.ts";
import { WriteQueue } from "./write-queue.ts";

export type { ArticleRelatedAnswer, RelatedAnswer, RelatedRequest, TextRelatedAnswer } from "./related-request.ts";
export type { CompactionReport, EmbedderProvider, EngineOptions, GraphRecallStatus };

/** How long a read waits for the indexes to catch up with an article's row before answering with the row as it is. */
const catchUpWaitMs = 5_000;

/**
 * The application: the store (truth), the live indexes (derived: engine/live-indexes.ts), the
 * related-list cache (engine/related-list-cache.ts), the related-list reads
 * (engine/related-lists.ts) and the write path (engine/article-writes.ts), behind the verbs the
 * HTTP service and the CLI use. Writes are serialised; reads never wait for
 * them (they see each article's old or new state, never half of one).
 */
export class KindredEngine {
  readonly #store: ArticleStore;
  readonly #logger: Logger;
  readonly #queue = new WriteQueue();
  readonly #cache: RelatedListCache;
  readonly #live: LiveIndexes;
  readonly #recall: GraphRecallMonitor;
  readonly #writes: ArticleWrites;
  /** Writes acknowledged once durable, where the store journals them (SQLite); null: answered once stored. */
  readonly #accepted: AcceptedWrites | null;
  readonly #related: RelatedLists;

  constructor(store: ArticleStore, embedder: EmbedderProvider, options: EngineOptions) {
    this.#store = store;
    this.#logger = options.logger;
    const passagePlan = options.passagePlan ?? "selected";
    this.#cache = new RelatedListCache(store, {
      entries: options.relatedCacheEntries ?? engineDefaults.relatedCacheEntries,
      bytes: options.relatedCacheBytes ?? engineDefaults.relatedCacheBytes,
    });
    this.#live = new LiveIndexes(store, { ...options, compaction: options.compaction ?? engineDefaults.compaction }, this.#queue, this.#cache);
    const writer = options.writer ?? new InlineStoreWriter(store);
    this.#writes = new ArticleWrites({
      store,
      writer,
      embedder,
      live: this.#live,
      queue: this.#queue,
      chunkChars: options.writeChunkChars ?? engineDefaults.writeChunkChars,
      passagePlan,
      ...(options.passageVectors === undefined ? {} : { passageVectors: options.passageVectors }),
      ...(options.embedSlices === undefined ? {} : { embedSlices: options.embedSlices }),
    });
    this.#accepted =
      store.writeJournal === undefined
        ? null
        : new AcceptedWrites({
            writes: this.#writes,
            writer,
            journal: store.writeJournal,
            onError: (error, ids) => this.#logger.error({ err: error, ids: ids.slice(0, 10) }, "an accepted write failed"),
          });
    this.#related = new RelatedLists({
      store,
      live: this.#live,
      cache: this.#cache,
      embedder,
      denseSearch: options.denseSearch,
      passagePlan,
      noiseTopics: new Set(normalizeTopics(options.noiseTopics ?? [])),
      now: options.now ?? Date.now,
    });
    this.#recall = new GraphRecallMonitor(this.#live, options.recallCheck ?? engineDefaults.recallCheck, options.logger);
    if (this.#recall.checksOnOpen && this.size() > 0) {
      // After the event loop turns, so opening returns at once; the check itself runs in slices.
      setImmediate(() => void this.checkGraphRecall("recovery").catch((error: unknown) => this.#logger.error({ err: error }, "graph recall check failed")));
    }
  }

  /** The last recall self-check, or null before the first has finished. */
  graphRecall(): GraphRecallStatus | null {
    return this.#recall.last;
  }

  /** The graph's recall self-check, rebuilding the graph below the floor (engine/graph-recall-monitor.ts). */
  checkGraphRecall(reason: GraphRecallReport["reason"] = "on_demand"): Promise<GraphRecallStatus | null> {
    return this.#recall.check(reason);
  }

  get graphSource(): LoadedIndexes["graphSource"] {
    return this.#live.current.graphSource;
  }

  /** The last change of the store's log the in-memory indexes hold (cli/serve-workers.ts waits on it). */
  get appliedSeq(): number {
    return this.#live.current.appliedSeq;
  }

  /** The model whose vectors the indexes hold: the store's pin, followed across `kindred reindex`. */
  get modelId(): string {
    return this.#live.current.modelId;
  }

  size(): number {
    return this.#live.current.catalog.size();
  }

  getEntry(id: string): CatalogEntry | undefined {
    const { catalog } = this.#live.current;
    const label = catalog.labelOf(id);
    return label === undefined ? undefined : catalog.get(label);
  }

  /**
   * Other stored articles with exactly this article's text (wire copies under other ids), which
   * related lists leave out and a story thread shows as copies. A scan of the in-memory catalog.
   */
  exactCopiesOf(id: string): CatalogEntry[] {
    const entry = this.getEntry(id);
    if (entry === undefined) return [];
    return [...this.#live.current.catalog.entries()].filter((other) => other.textHash === entry.textHash && other.id !== id);
  }

  /** Some indexed article id (for examples), or undefined when empty. */
  anyArticleId(): string | undefined {
    return this.#live.current.catalog.entries().next().value?.id;
  }

  getArticle(id: string): StoredArticle | null {
    return this.#store.findById(id);
  }

  /** The id of the indexed article with this URL (both normalised), or undefined. */
  findIdByUrl(url: string): string | undefined {
    const id = this.#store.findIdByUrl(url);
    return id === null || this.#live.current.catalog.labelOf(id) === undefined ? undefined : id;
  }

  /** The articles of a write whose URL another article has (engine/url-conflicts.ts). */
  findUrlConflicts(articles: readonly Article[]): UrlConflict[] {
    return findUrlConflicts(this.#store, articles);
  }

  /**
   * The stored article, once the in-memory indexes have caught up with it: a write is committed
   * by the store writer a moment before the indexes replay it, and a reader must not see the
   * new row beside a related list or catalog entry of the old one. Waits (milliseconds, rarely
   * more) only when this article's row is newer than what the indexes hold.
   */
  async readArticle(id: string): Promise<StoredArticle | null> {
    const deadline = performance.now() + catchUpWaitMs;
    for (;;) {
      const article = this.#store.findById(id);
      // Only this process's own writes are replayed promptly; another process's wait for the next sync.
      if (article === null || article.seq <= this.#live.current.appliedSeq || this.#queue.running === 0 || performance.now() > deadline) return article;
      await yieldToEventLoop();
    }
  }

  /**
   * Related articles for a stored article: never itself, never a copy of its text. Answers
   * come from the result cache when no change since could have altered them
   * (engine/related-cache.ts); `options.cache: false` computes afresh.
   */
  findRelatedToArticle(id: string, request: RelatedRequest, options: { cache?: boolean } = {}): ArticleRelatedAnswer {
    return this.#related.forArticle(id, request, options);
  }

  /**
   * The same list, its dense search made wherever this engine's runs: in PostgreSQL in pgvector
   * mode (`denseSearch`), else in memory as `findRelatedToArticle`. What the HTTP API, the CLI
   * and story threads call, so both modes serve them.
   */
  findRelatedToArticleAsync(id: string, request: RelatedRequest, options: { cache?: boolean } = {}): Promise<ArticleRelatedAnswer> {
    return this.#related.forArticleAsync(id, request, options);
  }

  /**
   * Whether the related-list cache keeps lists of this request, so that the answer object
   * `findRelatedToArticle` returns may be returned again (what a caller may memoise by it).
   */
  cachesRelatedLists(request: RelatedRequest): boolean {
    return this.#cache.keepsListsOf(request);
  }

  /** Counts of the related-list cache, for /readyz and tests. */
  cacheStats() {
    return this.#cache.stats();
  }

  /** Live vectors and tombstoned slots of the graph, whether a compaction is running, and its M. */
  graphStats(): GraphStats {
    return this.#live.graphStats();
  }

  /** Sizes that follow writes and should stay flat while the corpus does (for /metrics): graph nodes, live or tombstoned, and the lexical channel's terms. */
  indexStats(): { graphSlots: number; lexicalTerms: number } {
    const { graph, documents } = this.#live.current;
    return { graphSlots: graph?.slotCount() ?? 0, lexicalTerms: documents.termCount() };
  }

  /**
   * Related articles for a text that is not stored (a draft, an analyst's query). The text's
   * language is `input.lang` or detected; a language the model does not read, or a single
   * word, is ranked by words alone and the answer's `warnings` say so; a text with no word that
   * could tell one story from another is refused (core/related/query-text.ts).
   */
  findRelatedToText(input: { title?: string; text: string; lang?: string | null }, request: RelatedRequest): Promise<TextRelatedAnswer> {
    return this.#related.forText(input, request);
  }

  /**
   * Writes articles: embeds only those whose model input changed (content hash), stores all
   * in one transaction, then brings the indexes up to date. Resolves once durable.
   * Embedding runs outside the write lock, so the next batch embeds while this one is stored.
   * If `kindred reindex` switches models meanwhile, the store refuses vectors of the old model
   * and the write is embedded again with the new one: it is delayed, never lost.
   */
  writeArticles(articles: readonly Article[]): Promise<WriteOutcome[]> {
    return this.#writes.write(articles);
  }

  /** Articles given to writeArticles and not yet embedded and committed (the embedding queue, for /metrics). */
  get pendingWriteArticles(): number {
    return this.#writes.pendingArticles;
  }

  /**
   * Changes an article's metadata (URL, topics, dates, language, source) without touching the
   * model. `update` runs with writes held off, on the article as stored at that moment, so a
   * concurrent write is never overwritten by a stale copy. Null when the article does not exist.
   */
  async updateArticleMetadata(id: string, update: (current: StoredArticle) => Article): Promise<WriteOutcome | null> {
    // After the article's accepted writes (order per article), never behind another article's embedding.
    await this.#accepted?.settled(id);
    return this.#writes.updateMetadata(id, update);
  }

  /** Deletes an article; false when it did not exist. */
  async deleteArticle(id: string): Promise<boolean> {
    return (await this.deleteArticles([id])).length > 0;
  }

  /** Deletes articles in one transaction; returns the ids that existed. */
  deleteArticles(ids: readonly string[]): Promise<string[]> {
    // Any accepted write of these not yet stored is dropped: the later delete wins.
    if (this.#accepted !== null) return this.#accepted.delete(ids, (stored) => this.#writes.delete(stored));
    return this.#writes.delete(ids);
  }

  /**
   * Acknowledges a delete once durable (engine/accepted-writes.ts): null when the article does
   * not exist (neither stored nor accepted); otherwise its journal version, and `applied`, which
   * settles once the store and this process's indexes no longer hold it. Only where
   * `acceptsWritesBeforeIndexing`.
   */
  async acceptDelete(id: string): Promise<{ version: number; applied: Promise<string[]> } | null> {
    if (this.#accepted === null) throw new Error("This store cannot acknowledge deletes before they are applied.");
    const { ackSeqs, applied } = await this.#accepted.acceptDeletes([id], {
      isStored: (candidate) => this.#store.findEmbedHashes([candidate]).has(candidate),
      deleteStored: (ids, stillWanted) => this.#writes.delete(ids, stillWanted === undefined ? {} : { stillWanted }),
    });
    return ackSeqs.length === 0 ? null : { version: ackSeqs[0]!, applied };
  }

  /** Whether writes can be acknowledged once durable, before they are embedded (`acceptArticles`); false for a PostgreSQL store. */
  get acceptsWritesBeforeIndexing(): boolean {
    return this.#accepted !== null;
  }

  /**
   * Acknowledges a write once durable (engine/accepted-writes.ts): resolves once the articles
   * are journaled; `stored` settles once they are embedded, stored and in this process's
   * indexes. Only where `acceptsWritesBeforeIndexing`.
   */
  acceptArticles(articles: readonly Article[]): Promise<Acceptance> {
    if (this.#accepted === null) return Promise.reject(new Error("This store cannot acknowledge writes before they are stored."));
    return this.#accepted.accept(articles);
  }

  /** Queues the accepted writes and deletes a crash left in the journal; returns how many (the writer process calls it on start). */
  recoverAcceptedWrites(): number {
    return this.#accepted?.recover((ids, stillWanted) => this.#writes.delete(ids, stillWanted === undefined ? {} : { stillWanted })) ?? 0;
  }

  /** Accepted articles this process has not yet embedded, stored and indexed. */
  get pendingAcceptedArticles(): number {
    return this.#accepted?.pendingArticles ?? 0;
  }

  /** Journal rows: acknowledged articles not yet stored, as any process sees them (/readyz `pending_writes`). */
  journaledWriteCount(): number {
    return this.#store.writeJournal?.count() ?? 0;
  }

  /** Milliseconds from acknowledgement to every process holding a write, over the latest accepted writes, sorted. */
  writeFreshnessSamples(): number[] {
    return this.#accepted?.freshnessSamples() ?? [];
  }

  /** Run after each accepted write is in this process's indexes; resolves once every process holds it (the multi-process server's reader barrier). */
  set afterAcceptedWriteApplied(hook: () => Promise<void>) {
    if (this.#accepted !== null) this.#accepted.afterApplied = hook;
  }

  /** Every indexed article id (for `kindred index --prune`). */
  listIds(): string[] {
    return [...this.#live.current.catalog.entries()].map((entry) => entry.id);
  }

  /**
   * Rebuilds the graph without tombstones in the background and swaps it in (see
   * engine/compact-graph.ts). Runs by itself once tombstones pass the threshold; calling it
   * starts one now, or joins the one running. `beforeSwap` is awaited between the build and the
   * swap (tests use it to land writes that the swap must replay).
   */
  compactGraph(options: { beforeSwap?: () => Promise<void> } = {}): Promise<CompactionReport | null> {
    return this.#live.compactGraph(options);
  }

  /** Resolves when no compaction is running (for tests and orderly shutdown). */
  waitForCompaction(): Promise<void> {
    return this.#live.waitForCompaction();
  }

  /**
   * Applies changes other processes committed to the store (e.g. `kindred index` while serving),
   * and follows a model switch `kindred reindex` committed (engine/live-indexes.ts).
   */
  syncFromStore(): Promise<number> {
    return this.#live.sync();
  }

  /**
   * Resolves once the kept lists a load found missing are made (in the background, after the
   * index opened: engine/live-indexes.ts) and the writes queued so far are applied. A command
   * that reports rankings (an evaluation, a one-off list) waits for it; a server answers at once.
   */
  settled(): Promise<void> {
    return this.#live.settled();
  }

  /**
   * An article's kept list (engine/keep-neighbourhood.ts), best first with the fused score each
   * had in it; an id is null for an article deleted since. Null for an unknown id or a list
   * still to be made.
   */
  keptNeighbours(id: string): { id: string | null; score: number }[] | null {
    const { catalog, documents } = this.#live.current;
    const label = catalog.labelOf(id);
    if (label === undefined || !documents.hasKeptList(label)) return null;
    const { labels, scores } = documents.keptList(label);
    return Array.from(labels, (neighbour, index) => ({ id: catalog.get(neighbour)?.id ?? null, score: scores[index]! }));
  }

  /** Kept lists a load found missing and has yet to make. */
  keptListsPending(): number {
    return this.#live.keptListsPending;
  }

  /** Saves the graph if it has changed since the last save (not after a model switch it has yet to follow). */
  saveGraph(): void {
    this.#live.saveGraph();
  }

  /** `saveGraph` for a running server: the file is written off the event loop, reads go on (engine/live-indexes.ts). */
  saveGraphInBackground(): Promise<void> {
    return this.#live.saveGraphInBackground();
  }

  /** Stops a running compaction, saves the graph and closes the store. */
  close(): void {
    this.#live.close();
    this.#store.close();
  }
}
