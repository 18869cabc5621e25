import { hashArticleText, hashEmbedInput } from "../core/content-hash.ts";
import type { Article } from "../core/article.ts";
import { buildEmbedText } from "../core/embed-text.ts";
import { KindredError } from "../core/errors.ts";
import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { createFilterPredicate, type RelatedFilters } from "../core/related/related-filters.ts";
import { rankRelated, type ScoredCandidate } from "../core/related/rank-related.ts";
import type { Embedder } from "../embed/embedder.ts";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore, ArticleWrite, StoredArticle, WriteOutcome } from "../store/article-store.ts";
import { saveGraph } from "../vectors/graph-files.ts";
import type { HnswParameters } from "../vectors/hnsw-vector-index.ts";
import { loadIndexes, type LoadedIndexes } from "./load-indexes.ts";
import { searchCandidates, type SearchPlan } from "./search-candidates.ts";

export interface EngineOptions {
  dataDir: string;
  modelId: string;
  dimensions: number;
  hnsw: HnswParameters;
  exactScanMaxCandidates: number;
  logger: Logger;
}

export interface RelatedRequest {
  k: number;
  filters: RelatedFilters;
}

export interface RelatedAnswer {
  results: ScoredCandidate[];
  foldedCopies: number;
  plan: SearchPlan;
}

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
    const answer = this.#findRelated(vector, request, { labels: new Set([label]), textHashes: new Set([article.textHash]) });
    return { ...answer, article };
  }

  /** Related articles for a text that is not stored (a draft, an analyst's query). */
  async findRelatedToText(input: { title?: string; text: string }, request: RelatedRequest): Promise<RelatedAnswer> {
    const embedder = await this.#embedder();
    const draft = { title: input.title ?? "", body: input.text };
    const [vector] = await embedder.embed([buildEmbedText(draft)], "query");
    return this.#findRelated(vector!, request, { labels: new Set(), textHashes: new Set([hashArticleText(draft)]) });
  }

  #findRelated(query: Float32Array, request: RelatedRequest, exclusions: { labels: Set<number>; textHashes: Set<string> }): RelatedAnswer {
    const { catalog } = this.#indexes;
    const accept = createFilterPredicate(request.filters, exclusions);
    // Copies of one text fold into one result; ask for a few more so k survive the folding,
    // and widen the search if they did not.
    let want = request.k + Math.min(10, request.k);
    for (;;) {
      const { neighbors, plan } = searchCandidates(
        { ...this.#indexes, exactScanMaxCandidates: this.options.exactScanMaxCandidates },
        { query, accept, filters: request.filters, want },
      );
      const candidates = neighbors.map(({ label, score }) => ({ entry: catalog.get(label)!, score }));
      const ranked = rankRelated(candidates, request.k);
      if (ranked.results.length >= request.k || neighbors.length < want) return { ...ranked, plan };
      want *= 2;
    }
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
    const indexes = this.#indexes;
    if (indexes.appliedSeq < this.store.oldestReplayableSeq()) {
      this.#indexes = loadIndexes(this.store, this.options);
      return this.#indexes.catalog.size();
    }
    const changes = this.store.listChangesSince(indexes.appliedSeq);
    for (const change of changes) {
      const article = change.kind === "upsert" ? this.store.findByLabel(change.label) : null;
      if (article === null) {
        indexes.catalog.remove(change.label);
        indexes.exact.remove(change.label);
        indexes.graph.remove(change.label);
        indexes.embedHashes.delete(change.label);
        continue;
      }
      if (indexes.embedHashes.get(change.label) !== article.embedHash || !indexes.graph.has(change.label)) {
        const vector = this.store.getVector(change.label)!;
        indexes.exact.upsert(change.label, vector);
        indexes.graph.upsert(change.label, vector);
        indexes.embedHashes.set(change.label, article.embedHash);
      }
      indexes.catalog.upsert(article);
    }
    // Changes come ordered by sequence number; SQLite serialises writers, so none can appear below it later.
    if (changes.length > 0) indexes.appliedSeq = Math.max(indexes.appliedSeq, changes[changes.length - 1]!.seq);
    return changes.length;
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#writeQueue.then(work, work);
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }
}
