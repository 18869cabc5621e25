import { hashArticleText, hashEmbedInput } from "../core/content-hash.ts";
import type { Article } from "../core/article.ts";
import { buildEmbedText } from "../core/embed-text.ts";
import { KindredError } from "../core/errors.ts";
import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import type { Embedder } from "../embed/embedder.ts";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore, ArticleWrite, StoredArticle, WriteOutcome } from "../store/article-store.ts";
import { createFilterPredicate } from "../core/related/related-filters.ts";
import { saveGraph } from "../vectors/graph-files.ts";
import type { HnswParameters } from "../vectors/hnsw-vector-index.ts";
import { loadIndexes, type LoadedIndexes } from "./load-indexes.ts";
import { applyStoreChanges } from "./apply-store-changes.ts";
import { compactGraph, needsCompaction, type CompactionReport } from "./compact-graph.ts";
import { findRelated, type RelatedAnswer, type RelatedRequest } from "./find-related.ts";
import { RelatedCache } from "./related-cache.ts";

export interface EngineOptions {
  dataDir: string;
  modelId: string;
  dimensions: number;
  hnsw: HnswParameters;
  exactScanMaxCandidates: number;
  logger: Logger;
  /** Related lists kept in memory (0: no cache); default 10,000. */
  relatedCacheEntries?: number;
  /** When to rebuild the graph without its tombstones; default 10% of slots and at least 1,000. */
  compaction?: { deletedFraction: number; minDeleted: number };
}

export type { CompactionReport, RelatedAnswer, RelatedRequest };

/** A related list by article id, as served (and cached). */
export type ArticleRelatedAnswer = RelatedAnswer & { article: CatalogEntry };

const defaultCompaction = { deletedFraction: 0.1, minDeleted: 1_000 };

/** Provides the embedder when first needed: serving by id never loads the model. */
export type EmbedderProvider = () => Promise<Embedder>;

/**
 * The application: the store (truth), the HNSW graph and exact index (derived), the catalog,
 * and the embedder, behind the verbs the HTTP service and the CLI use. Writes are serialised;
 * reads never wait for them (they see each article's old or new state, never half of one).
 */
export class KindredEngine {
  readonly options: Readonly<EngineOptions>;
  readonly store: ArticleStore;
  #indexes: LoadedIndexes;
  readonly #embedder: EmbedderProvider;
  #writeQueue: Promise<unknown> = Promise.resolve();
  #savedSeq: number;
  readonly #cache: RelatedCache<ArticleRelatedAnswer>;
  /** The running compaction, and the labels changed since its snapshot. */
  #compaction: { done: Promise<CompactionReport | null>; changedLabels: Set<number>; cancel: () => void } | null = null;
  #closed = false;

  constructor(store: ArticleStore, embedder: EmbedderProvider, options: EngineOptions) {
    this.options = Object.freeze({ ...options });
    this.store = store;
    this.#embedder = embedder;
    this.#indexes = loadIndexes(store, options);
    this.#savedSeq = this.#indexes.graphSource === "replayed" ? -1 : this.#indexes.appliedSeq;
    this.#cache = new RelatedCache(options.relatedCacheEntries ?? 10_000);
    this.#compactIfNeeded();
  }

  get graphSource(): LoadedIndexes["graphSource"] {
    return this.#indexes.graphSource;
  }

  get appliedSeq(): number {
    return this.#indexes.appliedSeq;
  }

  size(): number {
    return this.#indexes.catalog.size();
  }

  getEntry(id: string): CatalogEntry | undefined {
    const label = this.#indexes.catalog.labelOf(id);
    return label === undefined ? undefined : this.#indexes.catalog.get(label);
  }

  /** Some indexed article id (for examples), or undefined when empty. */
  anyArticleId(): string | undefined {
    return this.#indexes.catalog.entries().next().value?.id;
  }

  getArticle(id: string): StoredArticle | null {
    return this.store.findById(id);
  }

  /**
   * Related articles for a stored article: never itself, never a copy of its text. Answers
   * come from the result cache when no change since could have altered them
   * (engine/related-cache.ts); `options.cache: false` computes afresh.
   */
  findRelatedToArticle(id: string, request: RelatedRequest, options: { cache?: boolean } = {}): ArticleRelatedAnswer {
    const indexes = this.#indexes;
    const label = indexes.catalog.labelOf(id);
    const vector = label === undefined ? null : indexes.exact.getVector(label);
    if (label === undefined || vector === null) {
      throw new KindredError("article_not_found", `No article with id "${id}" is indexed.`, { id });
    }
    const useCache = options.cache !== false && this.#cache.maxEntries > 0;
    const key = useCache ? relatedCacheKey(id, request) : "";
    const cached = useCache ? this.#cache.get(key, this.#cacheState(indexes)) : undefined;
    if (cached !== undefined) return cached;
    const article = indexes.catalog.get(label)!;
    const exclusions = { labels: new Set([label]), textHashes: new Set([article.textHash]) };
    const answer = { ...findRelated(this.#searchIndexes(), vector, request, exclusions), article };
    if (useCache) {
      this.#cache.set(key, answer, {
        queryLabel: label,
        candidateLabels: new Set(answer.window.labels),
        floorScore: answer.window.floorScore,
        accept: createFilterPredicate(request.filters, exclusions),
      });
    }
    return answer;
  }

  /** Counts of the related-list cache, for /readyz and tests. */
  cacheStats() {
    return this.#cache.stats();
  }

  /** Live vectors and tombstoned slots of the graph, and whether a compaction is running. */
  graphStats(): { live: number; tombstones: number; compacting: boolean } {
    const { graph } = this.#indexes;
    return { live: graph.size(), tombstones: graph.tombstoneCount(), compacting: this.#compaction !== null };
  }

  /** Related articles for a text that is not stored (a draft, an analyst's query). */
  async findRelatedToText(input: { title?: string; text: string }, request: RelatedRequest): Promise<RelatedAnswer> {
    const embedder = await this.#embedder();
    const draft = { title: input.title ?? "", body: input.text };
    const [vector] = await embedder.embed([buildEmbedText(draft)], "query");
    return findRelated(this.#searchIndexes(), vector!, request, { labels: new Set(), textHashes: new Set([hashArticleText(draft)]) });
  }

  /**
   * Writes articles: embeds only those whose model input changed (content hash), stores all
   * in one transaction, then brings the indexes up to date. Resolves once durable.
   * Embedding runs outside the write lock, so the next batch embeds while this one is stored.
   */
  async writeArticles(articles: readonly Article[]): Promise<WriteOutcome[]> {
    const prepared = articles.map((article) => {
      const embedText = buildEmbedText(article);
      return { article, embedText, textHash: hashArticleText(article), embedHash: hashEmbedInput(this.options.modelId, embedText) };
    });
    const vectors = new Map<(typeof prepared)[number], Float32Array>();
    const embedStale = async () => {
      const stored = this.store.findEmbedHashes(prepared.map((item) => item.article.id));
      const stale = prepared.filter((item) => !vectors.has(item) && stored.get(item.article.id) !== item.embedHash);
      if (stale.length === 0) return;
      const embedded = await (await this.#embedder()).embed(stale.map((item) => item.embedText), "passage");
      stale.forEach((item, index) => vectors.set(item, embedded[index]!));
    };
    await embedStale();
    return this.#serialise(async () => {
      // A concurrent write may have changed an article's text since we looked.
      await embedStale();
      const writes: ArticleWrite[] = prepared.map((item) => ({
        article: item.article,
        textHash: item.textHash,
        embedHash: item.embedHash,
        vector: vectors.get(item) ?? null,
      }));
      const outcomes = this.store.writeArticles(writes);
      this.#applyChanges();
      return outcomes;
    });
  }

  /**
   * Changes an article's metadata (URL, topics, dates, language, source) without touching the
   * model. `update` runs with writes held off, on the article as stored at that moment, so a
   * concurrent write is never overwritten by a stale copy. Null when the article does not exist.
   */
  updateArticleMetadata(id: string, update: (current: StoredArticle) => Article): Promise<WriteOutcome | null> {
    return this.#serialise(async () => {
      const current = this.store.findById(id);
      if (current === null) return null;
      const next = update(current);
      const embedHash = hashEmbedInput(this.options.modelId, buildEmbedText(next));
      if (next.id !== id || embedHash !== current.embedHash || hashArticleText(next) !== current.textHash) {
        throw new KindredError("invalid_body", `A metadata update cannot change the text or id of "${id}"; send the whole article with PUT.`, { id });
      }
      const [outcome] = this.store.writeArticles([{ article: next, textHash: current.textHash, embedHash, vector: null }]);
      this.#applyChanges();
      return outcome!;
    });
  }

  /** Deletes an article; false when it did not exist. */
  async deleteArticle(id: string): Promise<boolean> {
    return (await this.deleteArticles([id])).length > 0;
  }

  /** Deletes articles in one transaction; returns the ids that existed. */
  deleteArticles(ids: readonly string[]): Promise<string[]> {
    return this.#serialise(async () => {
      const deleted = this.store.deleteArticles(ids);
      this.#applyChanges();
      return deleted.map((item) => item.id);
    });
  }

  /** Every indexed article id (for `kindred index --prune`). */
  listIds(): string[] {
    return [...this.#indexes.catalog.entries()].map((entry) => entry.id);
  }

  /**
   * Rebuilds the graph without tombstones in the background and swaps it in (see
   * engine/compact-graph.ts). Runs by itself once tombstones pass the threshold; calling it
   * starts one now, or joins the one running.
   */
  compactGraph(): Promise<CompactionReport | null> {
    if (this.#compaction !== null) return this.#compaction.done;
    const changedLabels = new Set<number>();
    const compaction = { changedLabels, cancel: () => {}, done: Promise.resolve<CompactionReport | null>(null) };
    this.#compaction = compaction;
    compaction.done = compactGraph({
      dataDir: this.options.dataDir,
      modelId: this.options.modelId,
      dimensions: this.options.dimensions,
      hnsw: this.options.hnsw,
      store: this.store,
      logger: this.options.logger,
      currentIndexes: () => this.#indexes,
      serialise: (work) => this.#serialise(work),
      changedLabels,
      markSaved: (seq) => (this.#savedSeq = seq ?? -1),
      isClosed: () => this.#closed,
      onCancel: (cancel) => (compaction.cancel = cancel),
    }).finally(() => {
      if (this.#compaction === compaction) this.#compaction = null;
    });
    return compaction.done;
  }

  /** Resolves when no compaction is running (for tests and orderly shutdown). */
  async waitForCompaction(): Promise<void> {
    while (this.#compaction !== null) await this.#compaction.done.catch(() => null);
  }

  /** Applies changes other processes committed to the store (e.g. `kindred index` while serving). */
  syncFromStore(): Promise<number> {
    return this.#serialise(async () => this.#applyChanges());
  }

  /** Saves the graph if it has changed since the last save. */
  saveGraph(): void {
    if (this.#savedSeq === this.#indexes.appliedSeq) return;
    saveGraph(this.options.dataDir, this.#indexes.graph, { modelId: this.options.modelId, seq: this.#indexes.appliedSeq });
    this.store.pruneChangesThrough(this.#indexes.appliedSeq);
    this.#savedSeq = this.#indexes.appliedSeq;
  }

  /** Stops a running compaction, saves the graph and closes the store. */
  close(): void {
    this.#closed = true;
    this.#compaction?.cancel();
    this.saveGraph();
    this.store.close();
  }

  /** Replays the store's change log onto the in-memory indexes; returns how many applied. */
  #applyChanges(): number {
    let applied: number;
    if (this.#indexes.appliedSeq < this.store.oldestReplayableSeq()) {
      // The log we would replay was pruned (another process saved a graph): reload everything.
      this.#indexes = loadIndexes(this.store, this.options);
      this.#cache.clear();
      applied = this.#indexes.catalog.size();
    } else {
      applied = applyStoreChanges(this.#indexes, this.store, (label) => {
        this.#cache.recordChange(label);
        this.#compaction?.changedLabels.add(label);
      });
    }
    this.#compactIfNeeded();
    return applied;
  }

  #compactIfNeeded(): void {
    if (this.#compaction !== null || this.#closed || !needsCompaction(this.#indexes.graph, this.options.compaction ?? defaultCompaction)) return;
    this.compactGraph().catch((error: unknown) => this.options.logger.error({ err: error }, "graph compaction failed"));
  }

  #cacheState(indexes: LoadedIndexes) {
    return {
      entry: (label: number) => indexes.catalog.get(label),
      // A vector gone since means the article is gone: treat as "could enter" (drop the list).
      score: (queryLabel: number, label: number) => indexes.exact.similarity(queryLabel, label) ?? Infinity,
    };
  }

  #searchIndexes() {
    return { ...this.#indexes, exactScanMaxCandidates: this.options.exactScanMaxCandidates };
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writeQueue.then(work, work);
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }
}

/** One cache key per distinct query: the article, k and the normalised filters. */
function relatedCacheKey(id: string, request: RelatedRequest): string {
  const { filters } = request;
  const sorted = (values: readonly string[]) => [...new Set(values)].sort();
  return JSON.stringify([id, request.k, sorted(filters.topics), sorted(filters.excludeTopics), filters.sinceMs, filters.untilMs, sorted(filters.excludeIds)]);
}
