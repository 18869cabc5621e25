import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { detectLanguage } from "../articles/detect-language.ts";
import type { Article } from "../core/article.ts";
import { hashArticleText } from "../core/content-hash.ts";
import { buildEmbedPassages, type PassagePlan } from "../core/embed-text.ts";
import { isKindredError, KindredError } from "../core/errors.ts";
import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { bodyWithoutTitle } from "../core/related/lexical-profile.ts";
import { judgeQueryText } from "../core/related/query-text.ts";
import type { RankingOptions } from "../core/related/ranking-options.ts";
import { createFilterPredicate } from "../core/related/related-filters.ts";
import { shingleSignature } from "../core/related/shingle-signature.ts";
import { normalizeTopics } from "../core/topics.ts";
import { dot } from "../core/vector-math.ts";
import type { Embedder } from "../embed/embedder.ts";
import { modelReadsLanguage } from "../embed/model-languages.ts";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore, ArticleWrite, StoredArticle, WriteOutcome } from "../store/article-store.ts";
import { removeAbandonedGraphFiles, saveGraph } from "../vectors/graph-files.ts";
import type { HnswParameters } from "../vectors/hnsw-vector-index.ts";
import { firstRelabeledNode } from "../vectors/hnsw-vector-index.ts";
import { applyStoreChanges } from "./apply-store-changes.ts";
import { estimateListBytes, SortedLabels } from "./cached-list.ts";
import { type CompactionReport, compactGraph, needsCompaction } from "./compact-graph.ts";
import { embedPassageGroups, prepareEmbedInput } from "./embed-articles.ts";
import { findRelatedArticles, type HybridAnswer, type HybridRequest, type RelatedQueryArticle } from "./find-related-articles.ts";
import { type GraphRecallReport, measureGraphRecall } from "./graph-recall.ts";
import { type LoadedIndexes, loadIndexes } from "./load-indexes.ts";
import { RelatedCache } from "./related-cache.ts";
import { InlineStoreWriter, type StoreWriter } from "./store-writer.ts";
import { findUrlConflicts, type UrlConflict } from "./url-conflicts.ts";
import { VectorCentroid } from "./vector-centroid.ts";

export interface EngineOptions {
  dataDir: string;
  modelId: string;
  dimensions: number;
  hnsw: HnswParameters;
  /** Undefined: the planner's own limit (`autoExactScanLimit`). */
  exactScanMaxCandidates?: number | undefined;
  logger: Logger;
  /** Related lists kept in memory (0: no cache); default 10,000. */
  relatedCacheEntries?: number;
  /** ...and at most this many bytes of them (estimated, engine/cached-list.ts); default 64 MiB. */
  relatedCacheBytes?: number;
  /** When to rebuild the graph without its tombstones; default 10% of slots and at least 1,000. */
  compaction?: { deletedFraction: number; minDeleted: number };
  /** Topics that are no relatedness signal (e.g. "featured", "sponsored"): they neither attract nor are shared. */
  noiseTopics?: readonly string[];
  /** The clock recency decay measures age against (tests fix it). */
  now?: () => number;
  /**
   * The graph's recall self-check (engine/graph-recall.ts): `queries` sampled articles (0: never
   * on open), recall@`k` against the exact index; below `floor` the graph is rebuilt in the
   * background. Runs once the indexes are loaded, and on demand.
   */
  recallCheck?: { queries: number; k: number; floor: number; onOpen?: boolean };
  /** Where writes are prepared and stored: a thread of its own (`WorkerStoreWriter`) in `kindred serve`; default the calling thread. */
  writer?: StoreWriter;
  /** Characters of title and text per store transaction within one write call (default 4 MiB worth). */
  writeChunkChars?: number;
  /** Which passages of a long article the model embeds (default `selected`; core/embed-text.ts). */
  passagePlan?: PassagePlan;
}

/** Time the event loop is given up to replaying changes before it answers requests again. */
const applySliceMs = 8;
/** How long a read waits for the indexes to catch up with an article's row before answering with the row as it is. */
const catchUpWaitMs = 5_000;
const defaultRelatedCacheBytes = 64 * 1024 * 1024;
const defaultWriteChunkChars = 4 * 1024 * 1024;

/** Consecutive runs of articles whose title and text together stay within `maxChars` (an article longer than that is a run of its own). */
function chunkByChars(articles: readonly Article[], maxChars: number): Article[][] {
  const chunks: Article[][] = [];
  let current: Article[] = [];
  let chars = 0;
  for (const article of articles) {
    const size = article.title.length + article.body.length;
    if (current.length > 0 && chars + size > maxChars) {
      chunks.push(current);
      current = [];
      chars = 0;
    }
    current.push(article);
    chars += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** What /readyz and `kindred check` report of the recall self-check. */
export type GraphRecallStatus = GraphRecallReport & { floor: number; below_floor: boolean; rebuild_started: boolean };

const defaultRecallCheck: NonNullable<EngineOptions["recallCheck"]> = { queries: 200, k: 10, floor: 0.95 };

export type { CompactionReport };

/**
 * A related query: k, filters, ranking options, and bounds relative to the query article's
 * publication time (`published_before=article`), which only a stored, dated article has.
 */
export interface RelatedRequest extends HybridRequest {
  relativeDates?: { beforeArticle: boolean; afterArticle: boolean };
}

export type RelatedAnswer = HybridAnswer;

/** A related list by article id, as served (and cached). */
export type ArticleRelatedAnswer = RelatedAnswer & { article: CatalogEntry };
/** A free text's answer: what it was ranked as, and why the list may be less than it seems. */
export type TextRelatedAnswer = RelatedAnswer & { warnings: string[]; language: { code: string | null; source: "given" | "detected" | null } };

const defaultCompaction = { deletedFraction: 0.1, minDeleted: 1_000 };

/**
 * Provides the embedder of a model when first needed: serving by id never loads the model. The
 * model is the one the store pins, which `kindred reindex` may switch while the engine runs.
 */
export type EmbedderProvider = (modelId: string) => Promise<Embedder>;

/** Attempts of a write that keeps meeting a model switch (one switch needs one retry). */
const modelSwitchAttempts = 3;

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
  readonly #noiseTopics: ReadonlySet<string>;
  /** The mean vector the hybrid centres dense scores on, kept up to date by #applyChanges. */
  #centroid: VectorCentroid | null = null;
  /** The running compaction, and the labels changed since its snapshot. */
  #compaction: { done: Promise<CompactionReport | null>; changedLabels: Set<number>; cancel: () => void } | null = null;
  #closed = false;
  #pendingWriteArticles = 0;
  readonly #writer: StoreWriter;
  /** Writes (and syncs) running under the write queue: while one is, a row may be ahead of the indexes. */
  #writesApplying = 0;
  #recall: GraphRecallStatus | null = null;
  #recallRun: Promise<GraphRecallStatus | null> | null = null;

  constructor(store: ArticleStore, embedder: EmbedderProvider, options: EngineOptions) {
    this.options = Object.freeze({ ...options });
    this.store = store;
    this.#embedder = embedder;
    this.#writer = options.writer ?? new InlineStoreWriter(store);
    const removed = removeAbandonedGraphFiles(options.dataDir);
    if (removed.length > 0) options.logger.info({ files: removed }, "removed graph files a killed save left behind");
    this.#indexes = loadIndexes(store, options);
    this.#savedSeq = this.#indexes.graphSource === "replayed" ? -1 : this.#indexes.appliedSeq;
    this.#cache = new RelatedCache(options.relatedCacheEntries ?? 10_000, undefined, options.relatedCacheBytes ?? defaultRelatedCacheBytes);
    this.#noiseTopics = new Set(normalizeTopics(options.noiseTopics ?? []));
    this.#compactIfNeeded();
    const recallCheck = options.recallCheck ?? defaultRecallCheck;
    if ((recallCheck.onOpen ?? recallCheck.queries > 0) && this.size() > 0) {
      // After the event loop turns, so opening returns at once; the check itself runs in slices.
      setImmediate(
        () => void this.checkGraphRecall("recovery").catch((error: unknown) => this.options.logger.error({ err: error }, "graph recall check failed")),
      );
    }
  }

  /** The last recall self-check, or null before the first has finished. */
  graphRecall(): GraphRecallStatus | null {
    return this.#recall;
  }

  /**
   * Measures the graph's recall@k against the exact index on a sample of articles, half of them
   * recently written (the newest labels, and those whose vector changed since the graph was
   * last built); below the floor, starts a rebuild of the graph in the background (the
   * compaction machinery: a worker builds from the stored vectors, then it is swapped in) and
   * measures again once it is in. Joins a check already running.
   */
  checkGraphRecall(reason: GraphRecallReport["reason"] = "on_demand"): Promise<GraphRecallStatus | null> {
    if (this.#recallRun !== null) return this.#recallRun;
    const run = this.#runRecallCheck(reason).finally(() => {
      if (this.#recallRun === run) this.#recallRun = null;
    });
    this.#recallRun = run;
    return run;
  }

  async #runRecallCheck(reason: GraphRecallReport["reason"]): Promise<GraphRecallStatus | null> {
    const settings = this.options.recallCheck ?? defaultRecallCheck;
    const { graph, exact } = this.#indexes;
    if (this.#closed || exact.size() === 0) return null;
    const report = await measureGraphRecall(graph, exact, {
      queries: settings.queries > 0 ? settings.queries : defaultRecallCheck.queries,
      k: settings.k,
      recentLabels: this.#recentLabels(),
      reason,
    });
    if (this.#closed) return null;
    const belowFloor = report.recall < settings.floor;
    const status: GraphRecallStatus = { ...report, floor: settings.floor, below_floor: belowFloor, rebuild_started: false };
    this.#recall = status;
    const log = { recall: Number(report.recall.toFixed(4)), k: report.k, queries: report.queries, floor: settings.floor, reason, ms: report.ms };
    if (!belowFloor) {
      this.options.logger.info(log, "graph recall checked");
      return status;
    }
    if (reason === "after_rebuild") {
      this.options.logger.warn(log, "graph recall still below the floor after a rebuild; raise hnswEfSearch or hnswM");
      return status;
    }
    this.options.logger.warn(log, "graph recall below the floor; rebuilding the graph in the background");
    status.rebuild_started = true;
    void this.compactGraph()
      .then((compacted) => (compacted === null || this.#closed ? null : this.checkGraphRecall("after_rebuild")))
      .catch((error: unknown) => this.options.logger.error({ err: error }, "graph rebuild after a recall check failed"));
    return status;
  }

  /** Labels written recently: the newest articles, and those whose vector changed since the graph was built. */
  #recentLabels(): number[] {
    const { graph, exact } = this.#indexes;
    const labels = [...exact.labels()].sort((a, b) => b - a).slice(0, 500);
    for (const [node, label] of graph.relabeledNodes()) if (node >= firstRelabeledNode) labels.push(label);
    return labels;
  }

  get graphSource(): LoadedIndexes["graphSource"] {
    return this.#indexes.graphSource;
  }

  get appliedSeq(): number {
    return this.#indexes.appliedSeq;
  }

  /** The model whose vectors the indexes hold: the store's pin, followed across `kindred reindex`. */
  get modelId(): string {
    return this.#indexes.modelId;
  }

  size(): number {
    return this.#indexes.catalog.size();
  }

  getEntry(id: string): CatalogEntry | undefined {
    const label = this.#indexes.catalog.labelOf(id);
    return label === undefined ? undefined : this.#indexes.catalog.get(label);
  }

  /**
   * Other stored articles with exactly this article's text (wire copies under other ids), which
   * related lists leave out and a story thread shows as copies. A scan of the in-memory catalog.
   */
  exactCopiesOf(id: string): CatalogEntry[] {
    const entry = this.getEntry(id);
    if (entry === undefined) return [];
    return [...this.#indexes.catalog.entries()].filter((other) => other.textHash === entry.textHash && other.id !== id);
  }

  /** Some indexed article id (for examples), or undefined when empty. */
  anyArticleId(): string | undefined {
    return this.#indexes.catalog.entries().next().value?.id;
  }

  getArticle(id: string): StoredArticle | null {
    return this.store.findById(id);
  }

  /** The id of the indexed article with this URL (both normalised), or undefined. */
  findIdByUrl(url: string): string | undefined {
    const id = this.store.findIdByUrl(url);
    return id === null || this.#indexes.catalog.labelOf(id) === undefined ? undefined : id;
  }

  /** The articles of a write whose URL another article has (engine/url-conflicts.ts). */
  findUrlConflicts(articles: readonly Article[]): UrlConflict[] {
    return findUrlConflicts(this.store, articles);
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
      const article = this.store.findById(id);
      // Only this process's own writes are replayed promptly; another process's wait for the next sync.
      if (article === null || article.seq <= this.#indexes.appliedSeq || this.#writesApplying === 0 || performance.now() > deadline) return article;
      await yieldToEventLoop();
    }
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
    // A recency decay moves with the clock, which no change log records: such lists are not cached.
    const useCache = options.cache !== false && this.#cache.maxEntries > 0 && request.ranking?.halfLifeDays == null;
    const key = useCache ? relatedCacheKey(id, request) : "";
    const cached = useCache ? this.#cache.get(key, this.#cacheState(indexes)) : undefined;
    if (cached !== undefined) return cached;
    const article = indexes.catalog.get(label)!;
    const exclusions = { labels: new Set([label]), textHashes: new Set([article.textHash]) };
    const filters = withRelativeDates(request, article);
    const query: RelatedQueryArticle = {
      label,
      vector,
      modelReadsIt: modelReadsLanguage(indexes.modelId, article.lang),
      profile: () => this.store.getLexicalProfile(label) ?? { terms: [], tokens: 0 },
      words: indexes.documents.wordsOf(label),
      documentTerms: indexes.documents.termsOf(label) ?? { terms: new Int32Array(0), weights: new Float32Array(0), words: 0 },
      publishedMs: article.publishedMs,
      topics: article.topics,
      textHash: article.textHash,
      signature: article.signature,
    };
    const lexicalVersion = this.store.lexicalVersion();
    const answer = { ...findRelatedArticles(this.#rankingEnvironment(), query, { ...request, filters }, exclusions), article };
    if (useCache) {
      const dependencies = {
        queryLabel: label,
        candidateLabels: new SortedLabels(answer.window.labels),
        floorScore: answer.window.floorScore,
        accept: createFilterPredicate(filters, exclusions),
        // Shared with the answer, not copied: the cached answer and its dependencies hold one of each.
        expandedProbe: answer.expandedProbe,
        lexicalTerms: answer.lexicalTerms,
        ...(answer.lexicalTerms === null ? {} : { lexicalVersion }),
      };
      this.#cache.set(key, answer, dependencies, estimateListBytes(key, answer, dependencies));
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

  /**
   * Related articles for a text that is not stored (a draft, an analyst's query). The text's
   * language is `input.lang` or detected; a language the model does not read, or a single
   * word, is ranked by words alone and the answer's `warnings` say so; a text with no word that
   * could tell one story from another is refused (core/related/query-text.ts).
   */
  async findRelatedToText(input: { title?: string; text: string; lang?: string | null }, request: RelatedRequest): Promise<TextRelatedAnswer> {
    if (request.relativeDates?.beforeArticle || request.relativeDates?.afterArticle) {
      throw new KindredError("invalid_parameter", 'A text has no publication date: "article" works as a date bound only for a stored article.', {
        parameter: "published_before",
      });
    }
    const draft = { title: input.title ?? "", body: input.text };
    const profile = this.store.analyzeText(draft.title, draft.body);
    const verdict = judgeQueryText(profile, this.store.getTermStatistics(profile.terms.map((term) => term.stem)));
    if (verdict.kind === "refuse") throw new KindredError("query_too_short", verdict.reason, { parameter: "text" });
    const given = input.lang == null ? null : input.lang.trim().toLowerCase();
    const lang = given ?? detectLanguage(`${draft.title}\n${draft.body}`);
    const language = { code: lang, source: given !== null ? ("given" as const) : lang !== null ? ("detected" as const) : null };
    const warnings: string[] = [];
    const readable = modelReadsLanguage(this.#indexes.modelId, lang);
    if (!readable) {
      warnings.push(
        `The model ${this.#indexes.modelId} does not read this text's language (${lang}, ${language.source}): it is ranked by shared words alone, and min_cosine is not applied.`,
      );
    }
    if (verdict.kind === "words_only") warnings.push(verdict.warning);
    const passages = buildEmbedPassages(draft, this.options.passagePlan);
    let vector: Float32Array;
    for (let attempt = 1; ; attempt++) {
      const modelId = this.#indexes.modelId;
      vector = (await embedPassageGroups(await this.#embedder(modelId), [passages], "query"))[0]!;
      // A model switch while embedding: the vector is of the old model, the indexes of the new.
      if (this.#indexes.modelId === modelId) break;
      if (attempt >= modelSwitchAttempts) throw modelSwitchedError(modelId, this.#indexes.modelId);
    }
    const textHash = hashArticleText(draft);
    const query: RelatedQueryArticle = {
      label: null,
      vector,
      modelReadsIt: readable && verdict.kind === "full",
      profile: () => profile,
      words: profile.tokens,
      documentTerms: this.#indexes.documents.termsOfProfile(profile),
      publishedMs: null,
      topics: [],
      textHash,
      signature: shingleSignature(bodyWithoutTitle(draft.title, draft.body) || draft.title),
    };
    const answer = findRelatedArticles(this.#rankingEnvironment(), query, request, { labels: new Set(), textHashes: new Set([textHash]) });
    return { ...answer, warnings, language };
  }

  /**
   * Writes articles: embeds only those whose model input changed (content hash), stores all
   * in one transaction, then brings the indexes up to date. Resolves once durable.
   * Embedding runs outside the write lock, so the next batch embeds while this one is stored.
   * If `kindred reindex` switches models meanwhile, the store refuses vectors of the old model
   * and the write is embedded again with the new one: it is delayed, never lost.
   */
  writeArticles(articles: readonly Article[]): Promise<WriteOutcome[]> {
    this.#pendingWriteArticles += articles.length;
    // Bounded by size as well as count: each chunk is one store transaction and one round of
    // model work, so a batch of long articles does not hold the write lock for all of them.
    const chunks = chunkByChars(articles, this.options.writeChunkChars ?? defaultWriteChunkChars);
    const written =
      chunks.length <= 1
        ? this.#retryOnModelSwitch(() => this.#writeArticlesWith(this.#indexes.modelId, articles))
        : (async () => {
            const outcomes: WriteOutcome[] = [];
            for (const chunk of chunks) outcomes.push(...(await this.#retryOnModelSwitch(() => this.#writeArticlesWith(this.#indexes.modelId, chunk))));
            return outcomes;
          })();
    return written.finally(() => (this.#pendingWriteArticles -= articles.length));
  }

  /** Articles given to writeArticles and not yet embedded and committed (the embedding queue, for /metrics). */
  get pendingWriteArticles(): number {
    return this.#pendingWriteArticles;
  }

  async #writeArticlesWith(modelId: string, articles: readonly Article[]): Promise<WriteOutcome[]> {
    const prepared = (await this.#writer.prepare(modelId, articles, this.options.passagePlan)).map((item, index) => ({ article: articles[index]!, ...item }));
    const vectors = new Map<(typeof prepared)[number], Float32Array>();
    const embedStale = async () => {
      const stored = this.store.findEmbedHashes(prepared.map((item) => item.article.id));
      const stale = prepared.filter((item) => !vectors.has(item) && stored.get(item.article.id) !== item.embedHash);
      if (stale.length === 0) return;
      // One call for every passage of every stale article (the pool batches them), then one mean each.
      const embedded = await embedPassageGroups(
        await this.#embedder(modelId),
        stale.map((item) => item.passages),
        "passage",
      );
      stale.forEach((item, index) => vectors.set(item, embedded[index]!));
    };
    await embedStale();
    return this.#serialise(async () => {
      // A concurrent write (here, or on another replica) may have changed an article's text since we looked.
      await this.store.catchUp?.();
      await embedStale();
      const writes: ArticleWrite[] = prepared.map((item) => ({
        article: item.article,
        textHash: item.textHash,
        embedHash: item.embedHash,
        vector: vectors.get(item) ?? null,
      }));
      const outcomes = await this.#writer.writeArticles(writes, modelId);
      await this.#applyChanges();
      return outcomes;
    });
  }

  /**
   * Changes an article's metadata (URL, topics, dates, language, source) without touching the
   * model. `update` runs with writes held off, on the article as stored at that moment, so a
   * concurrent write is never overwritten by a stale copy. Null when the article does not exist.
   */
  updateArticleMetadata(id: string, update: (current: StoredArticle) => Article): Promise<WriteOutcome | null> {
    return this.#retryOnModelSwitch(() =>
      this.#serialise(async () => {
        const modelId = this.#indexes.modelId;
        await this.store.catchUp?.();
        const current = this.store.findById(id);
        if (current === null) return null;
        const next = update(current);
        const { embedHash } = prepareEmbedInput(modelId, next, this.options.passagePlan);
        if (next.id !== id || embedHash !== current.embedHash || hashArticleText(next) !== current.textHash) {
          // The stored hash may be of a model `kindred reindex` has just switched to.
          const pinned = this.store.getModelPin()?.modelId ?? modelId;
          if (pinned !== modelId) throw modelSwitchedError(modelId, pinned);
          throw new KindredError("invalid_body", `A metadata update cannot change the text or id of "${id}"; send the whole article with PUT.`, { id });
        }
        const [outcome] = await this.store.writeArticles([{ article: next, textHash: current.textHash, embedHash, vector: null }], modelId);
        await this.#applyChanges();
        return outcome!;
      }),
    );
  }

  /** Deletes an article; false when it did not exist. */
  async deleteArticle(id: string): Promise<boolean> {
    return (await this.deleteArticles([id])).length > 0;
  }

  /** Deletes articles in one transaction; returns the ids that existed. */
  deleteArticles(ids: readonly string[]): Promise<string[]> {
    return this.#serialise(async () => {
      const deleted = await this.#writer.deleteArticles(ids);
      await this.#applyChanges();
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
      modelId: this.#indexes.modelId,
      dimensions: this.#indexes.dimensions,
      hnsw: this.options.hnsw,
      store: this.store,
      logger: this.options.logger,
      currentIndexes: () => this.#indexes,
      serialise: (work) => this.#serialise(work),
      changedLabels,
      markSaved: (seq) => (this.#savedSeq = seq ?? -1),
      // A model switch makes the compacted graph one of the old model: drop it.
      isClosed: () => this.#closed || !this.#isPinnedModel(this.#indexes.modelId),
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

  /**
   * Applies changes other processes committed to the store (e.g. `kindred index` while serving),
   * and follows a model switch `kindred reindex` committed: the new model's graph (built beside
   * the old one) is loaded and swapped in with one assignment, so queries are answered from the
   * old graph until then and from the new one after.
   */
  syncFromStore(): Promise<number> {
    return this.#serialise(async () => {
      this.#followModelSwitch();
      return await this.#applyChanges();
    });
  }

  /** Saves the graph if it has changed since the last save (not after a model switch it has yet to follow). */
  saveGraph(): void {
    if (this.#savedSeq === this.#indexes.appliedSeq || !this.#isPinnedModel(this.#indexes.modelId)) return;
    saveGraph(this.options.dataDir, this.#indexes.graph, { modelId: this.#indexes.modelId, seq: this.#indexes.appliedSeq });
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

  /** Loads the indexes of the model the store now pins, if `kindred reindex` switched it. */
  #followModelSwitch(): void {
    const pin = this.store.getModelPin();
    if (pin === null || pin.modelId === this.#indexes.modelId) return;
    const started = performance.now();
    const previous = this.#indexes.modelId;
    this.#compaction?.cancel();
    this.#indexes = loadIndexes(this.store, { ...this.options, modelId: pin.modelId, dimensions: pin.dimensions });
    this.#savedSeq = this.#indexes.graphSource === "replayed" ? -1 : this.#indexes.appliedSeq;
    this.#cache.clear();
    this.options.logger.info(
      { from: previous, to: pin.modelId, graph: this.#indexes.graphSource, ms: Math.round(performance.now() - started) },
      "switched model",
    );
  }

  #isPinnedModel(modelId: string): boolean {
    return (this.store.getModelPin()?.modelId ?? modelId) === modelId;
  }

  /** Runs a write again after following a model switch that refused it. */
  async #retryOnModelSwitch<T>(write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (error) {
        if (!isKindredError(error) || error.code !== "model_switched" || attempt >= modelSwitchAttempts) throw error;
        await this.syncFromStore();
      }
    }
  }

  /**
   * Replays the store's change log onto the in-memory indexes, in slices of a few milliseconds
   * with the event loop free in between (a big batch's graph insertions would otherwise hold up
   * every read); returns how many applied.
   */
  async #applyChanges(): Promise<number> {
    let applied = 0;
    for (;;) {
      const slice = this.#applyChangesSlice({ untilMs: performance.now() + applySliceMs });
      applied += slice;
      if (slice === 0 || this.#indexes.appliedSeq >= this.store.latestSeq()) break;
      await yieldToEventLoop();
    }
    this.#compactIfNeeded();
    return applied;
  }

  #applyChangesSlice(budget: { untilMs: number }): number {
    let applied: number;
    if (this.#indexes.appliedSeq < this.store.oldestReplayableSeq()) {
      // The log we would replay was pruned (another process saved a graph): reload everything.
      this.#indexes = loadIndexes(this.store, { ...this.options, modelId: this.#indexes.modelId, dimensions: this.#indexes.dimensions });
      this.#cache.clear();
      applied = this.#indexes.catalog.size();
    } else {
      // The centroid follows the vectors: out with each changed article's old one, in with its new.
      const centroid = this.#centroid?.exact === this.#indexes.exact ? this.#centroid : null;
      const changed: number[] = [];
      applied = applyStoreChanges(
        this.#indexes,
        this.store,
        (label) => {
          this.#cache.recordChange(label);
          this.#compaction?.changedLabels.add(label);
          const old = centroid === null ? null : this.#indexes.exact.getVector(label);
          if (old !== null) centroid!.remove(old);
          changed.push(label);
        },
        budget,
      );
      for (const label of centroid === null ? [] : changed) {
        const vector = this.#indexes.exact.getVector(label);
        if (vector !== null) centroid!.add(vector);
      }
    }
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
      probeScore: (vector: Float32Array, label: number) => {
        const stored = indexes.exact.getVector(label);
        return stored === null ? Infinity : dot(vector, stored);
      },
      // A profile gone since means the article is gone: treat as "could enter".
      holdsAnyTerm: (label: number, stems: ReadonlySet<string>) => this.store.getLexicalProfile(label)?.terms.some((term) => stems.has(term.stem)) ?? true,
      lexicalVersion: () => this.store.lexicalVersion(),
    };
  }

  #searchIndexes() {
    return { ...this.#indexes, exactScanMaxCandidates: this.options.exactScanMaxCandidates };
  }

  #rankingEnvironment() {
    const { exact } = this.#indexes;
    if (this.#centroid?.exact !== exact) this.#centroid = new VectorCentroid(exact);
    return {
      indexes: this.#searchIndexes(),
      documents: this.#indexes.documents,
      lexicon: this.store,
      noiseTopics: this.#noiseTopics,
      nowMs: (this.options.now ?? Date.now)(),
      centroid: this.#centroid.mean(),
    };
  }

  #serialise<T>(work: () => Promise<T>): Promise<T> {
    const counted = async () => {
      this.#writesApplying++;
      try {
        return await work();
      } finally {
        this.#writesApplying--;
      }
    };
    const run = this.#writeQueue.then(counted, counted);
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }
}

/** One cache key per distinct query: the article, k, the normalised filters and the ranking options. */
function relatedCacheKey(id: string, request: RelatedRequest): string {
  const { filters } = request;
  const sorted = (values: readonly string[]) => [...new Set(values)].sort();
  const ranking: Partial<RankingOptions> = request.ranking ?? {};
  return JSON.stringify([
    id,
    request.k,
    sorted(filters.topics),
    sorted(filters.excludeTopics),
    filters.sinceMs,
    filters.untilMs,
    sorted(filters.excludeIds),
    ranking.mode,
    ranking.foldDuplicates,
    ranking.diversity,
    ranking.halfLifeDays,
    sorted(ranking.boostTopics ?? []),
    ranking.minCosine,
    ranking.topicSignal,
    ranking.explain,
    request.relativeDates?.beforeArticle,
    request.relativeDates?.afterArticle,
  ]);
}

/** The filters with `published_before/after=article` applied as bounds at the article's publication time. */
function withRelativeDates(request: RelatedRequest, article: CatalogEntry): RelatedRequest["filters"] {
  const relative = request.relativeDates;
  if (relative === undefined || (!relative.beforeArticle && !relative.afterArticle)) return request.filters;
  if (article.publishedMs === null) {
    throw new KindredError("invalid_parameter", `Article "${article.id}" has no publication date, so "article" cannot bound dates; give a date instead.`, {
      parameter: relative.beforeArticle ? "published_before" : "published_after",
    });
  }
  const { sinceMs, untilMs } = request.filters;
  return {
    ...request.filters,
    sinceMs: relative.afterArticle ? Math.max(sinceMs ?? -Infinity, article.publishedMs) : sinceMs,
    untilMs: relative.beforeArticle ? Math.min(untilMs ?? Infinity, article.publishedMs) : untilMs,
  };
}

function modelSwitchedError(from: string, to: string): KindredError {
  return new KindredError("model_switched", `The index switched from model "${from}" to "${to}" while this request ran; retry it.`, { from, to });
}
