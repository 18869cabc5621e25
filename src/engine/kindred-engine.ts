import { hashArticleText, hashEmbedInput } from "../core/content-hash.ts";
import type { Article } from "../core/article.ts";
import { buildEmbedText } from "../core/embed-text.ts";
import { KindredError } from "../core/errors.ts";
import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import type { Embedder } from "../embed/embedder.ts";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore, ArticleWrite, StoredArticle, WriteOutcome } from "../store/article-store.ts";
import { saveGraph } from "../vectors/graph-files.ts";
import type { HnswParameters } from "../vectors/hnsw-vector-index.ts";
import { loadIndexes, type LoadedIndexes } from "./load-indexes.ts";
import { applyStoreChanges } from "./apply-store-changes.ts";
import { findRelated, type RelatedAnswer, type RelatedRequest } from "./find-related.ts";

export interface EngineOptions {
  dataDir: string;
  modelId: string;
  dimensions: number;
  hnsw: HnswParameters;
  exactScanMaxCandidates: number;
  logger: Logger;
}

export type { RelatedAnswer, RelatedRequest };

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

  constructor(store: ArticleStore, embedder: EmbedderProvider, options: EngineOptions) {
    this.options = Object.freeze({ ...options });
    this.store = store;
    this.#embedder = embedder;
    this.#indexes = loadIndexes(store, options);
    this.#savedSeq = this.#indexes.graphSource === "replayed" ? -1 : this.#indexes.appliedSeq;
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

  /** Related articles for a stored article: never itself, never a copy of its text. */
  findRelatedToArticle(id: string, request: RelatedRequest): RelatedAnswer & { article: CatalogEntry } {
    const label = this.#indexes.catalog.labelOf(id);
    const vector = label === undefined ? null : this.#indexes.exact.getVector(label);
    if (label === undefined || vector === null) {
      throw new KindredError("article_not_found", `No article with id "${id}" is indexed.`, { id });
    }
    const article = this.#indexes.catalog.get(label)!;
    const answer = findRelated(this.#searchIndexes(), vector, request, { labels: new Set([label]), textHashes: new Set([article.textHash]) });
    return { ...answer, article };
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

  /** Deletes an article; false when it did not exist. */
  deleteArticle(id: string): Promise<boolean> {
    return this.#serialise(async () => {
      const deleted = this.store.deleteArticle(id);
      this.#applyChanges();
      return deleted !== null;
    });
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

  close(): void {
    this.saveGraph();
    this.store.close();
  }

  /** Replays the store's change log onto the in-memory indexes; returns how many applied. */
  #applyChanges(): number {
    if (this.#indexes.appliedSeq < this.store.oldestReplayableSeq()) {
      // The log we would replay was pruned (another process saved a graph): reload everything.
      this.#indexes = loadIndexes(this.store, this.options);
      return this.#indexes.catalog.size();
    }
    return applyStoreChanges(this.#indexes, this.store);
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
