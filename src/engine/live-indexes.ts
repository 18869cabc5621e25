import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { fusionConstants } from "../core/related/ranking-options.ts";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { removeAbandonedGraphFiles, saveGraph, saveGraphInBackground } from "../vectors/graph-files.ts";
import type { HnswParameters } from "../vectors/hnsw-vector-index.ts";
import { adoptSavedGraph, manifestStamp } from "./adopt-saved-graph.ts";
import { applyStoreChanges } from "./apply-store-changes.ts";
import { type CompactionReport, compactGraph, needsCompaction } from "./compact-graph.ts";
import { saveDocumentIndexInBackground } from "./document-index-file.ts";
import type { DenseSearch, RankingEnvironment } from "./find-related-articles.ts";
import { keepNeighbourhoodOf, keepNeighbourhoodWith } from "./keep-neighbourhood.ts";
import { type LoadedIndexes, loadIndexes, saveDocumentsOrWarn } from "./load-indexes.ts";
import { VectorCentroid } from "./vector-centroid.ts";
import type { WriteQueue } from "./write-queue.ts";

/** A kept list's ranking reads no topics and no clock (no topic signal, no recency). */
const noTopics: ReadonlySet<string> = new Set();
const keptListOptions = { capacity: fusionConstants.sharedNeighbours, minScore: fusionConstants.sharedNeighbourMinScore };

/** Time the event loop is given up to replaying changes before it answers requests again. */
const applySliceMs = 8;

/** What `/readyz` says of the graph. */
export interface GraphStats {
  live: number;
  tombstones: number;
  compacting: boolean;
  /** Links per node: a saved graph keeps the M it was built with until `hnswM` asks for another (docs/tuning.md). */
  m: number | null;
}

export interface LiveIndexOptions {
  dataDir: string;
  modelId: string;
  dimensions: number;
  hnsw: HnswParameters;
  logger: Logger;
  /** Undefined: the planner's own limit (`autoExactScanLimit`). */
  exactScanMaxCandidates?: number | undefined;
  /** When to rebuild the graph without its tombstones. */
  compaction: { deletedFraction: number; minDeleted: number };
  /** A reader process: never saves or compacts the graph, takes the writer's compacted one (engine-options.ts). */
  follower?: boolean;
  /** Set in pgvector mode: the dense search runs elsewhere, so no graph is held (load-indexes.ts). */
  denseSearch?: DenseSearch | undefined;
}

/** Who hears of every change the indexes apply (the related-list cache). */
export interface ChangeListener {
  /** One article's label changed (written, edited or deleted). */
  recordChange(label: number): void;
  /** The indexes were replaced wholesale (reloaded, or another model's): forget everything. */
  clear(): void;
}

/**
 * The in-memory indexes (graph, exact index, catalog, document index) and what follows them:
 * the collection centroid, the sequence of the saved graph, the replay of the store's change
 * log, a model switch committed by `kindred reindex`, and the background compaction. The store
 * is the truth; everything here can be rebuilt from it.
 */
export class LiveIndexes {
  readonly #store: ArticleStore;
  readonly #options: LiveIndexOptions;
  readonly #queue: WriteQueue;
  readonly #listener: ChangeListener;
  #indexes: LoadedIndexes;
  #savedSeq: number;
  /** The change the document index's saved file is of (-1: none, or another than any applied). */
  #documentsSavedSeq: number;
  /** The mean vector the hybrid centres dense scores on, kept up to date as changes apply. */
  #centroid: VectorCentroid | null = null;
  /** The running compaction, and the labels changed since its snapshot. */
  #compaction: { done: Promise<CompactionReport | null>; changedLabels: Set<number>; cancel: () => void } | null = null;
  /** A follower taking the writer's compacted graph (adopt-saved-graph.ts), and the manifest it last looked at. */
  #adoption: Promise<unknown> | null = null;
  #manifestTried: number | null = null;
  #closed = false;
  /** Articles changed since the kept lists were last made (engine/keep-neighbourhood.ts). */
  readonly #listsToMake = new Set<number>();
  /** No kept list needs remaking until the collection holds more articles than this (`#makeKeptLists`). */
  #remakeAbove = 0;
  /** The lists a load found missing, made in the background (`#keepMissingLists`), and how many are left. */
  #missingLists: { done: Promise<void>; left: number } = { done: Promise.resolve(), left: 0 };

  constructor(store: ArticleStore, options: LiveIndexOptions, queue: WriteQueue, listener: ChangeListener) {
    this.#store = store;
    this.#options = options;
    this.#queue = queue;
    this.#listener = listener;
    const removed = removeAbandonedGraphFiles(options.dataDir);
    if (removed.length > 0) options.logger.info({ files: removed }, "removed graph files a killed save left behind");
    this.#indexes = loadIndexes(store, options);
    this.#savedSeq = this.#indexes.graphSource === "replayed" ? -1 : this.#indexes.appliedSeq;
    this.#documentsSavedSeq = this.#indexes.documentsSaved ? this.#indexes.appliedSeq : -1;
    this.#keepMissingLists();
    this.#compactIfNeeded();
  }

  /** The indexes now: a reader takes them once and uses that one object (a model switch replaces it whole). */
  get current(): LoadedIndexes {
    return this.#indexes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Live vectors and tombstoned slots of the graph, whether a compaction is running, and the links per node it was built with (null without a graph). */
  graphStats(): GraphStats {
    const { graph } = this.#indexes;
    return { live: graph?.size() ?? 0, tombstones: graph?.tombstoneCount() ?? 0, compacting: this.#compaction !== null, m: graph?.parameters.m ?? null };
  }

  /** What the ranking reads: the indexes, the lexical channel and the centroid, as they are now. */
  rankingEnvironment(noiseTopics: ReadonlySet<string>, nowMs: number): RankingEnvironment {
    const indexes = this.#indexes;
    if (this.#centroid?.exact !== indexes.exact) this.#centroid = new VectorCentroid(indexes.exact);
    return {
      // Without a graph (pgvector mode), a synchronous caller is answered exactly from memory.
      indexes: { ...indexes, graph: indexes.graph ?? indexes.exact, exactScanMaxCandidates: this.#options.exactScanMaxCandidates },
      documents: indexes.documents,
      lexicon: this.#store,
      noiseTopics,
      nowMs,
      centroid: this.#centroid.mean(),
    };
  }

  /**
   * Applies changes other processes committed to the store, and follows a model switch
   * `kindred reindex` committed: the new model's graph (built beside the old one) is loaded and
   * swapped in with one assignment, so queries are answered from the old graph until then and
   * from the new one after.
   */
  sync(): Promise<number> {
    return this.#queue.run(async () => {
      this.#followModelSwitch();
      return await this.applyChanges();
    });
  }

  /**
   * Replays the store's change log onto the in-memory indexes, in slices of a few milliseconds
   * with the event loop free in between (a big batch's graph insertions would otherwise hold up
   * every read); returns how many applied. Call with writes held off (the write queue).
   */
  async applyChanges(): Promise<number> {
    let applied = 0;
    for (;;) {
      const slice = this.#applyChangesSlice({ untilMs: performance.now() + applySliceMs });
      applied += slice;
      if (slice === 0 || this.#indexes.appliedSeq >= this.#store.latestSeq()) break;
      await yieldToEventLoop();
    }
    if (applied > 0 || this.#listsToMake.size > 0) await this.#makeKeptLists();
    this.#compactIfNeeded();
    return applied;
  }

  /**
   * Makes the kept lists (engine/keep-neighbourhood.ts) the applied changes call for: each
   * changed article's, once the whole batch is in (an article re-texted or deleted is first
   * taken out of the lists naming it: they were made from what it was); and each list made when
   * the collection held under half the articles it holds now
   * (a bulk load's first articles were ranked against a few others: remade as the collection
   * doubles, each list is made about twice). In slices, the event loop free in between.
   */
  async #makeKeptLists(): Promise<void> {
    const indexes = this.#indexes;
    const { documents } = indexes;
    const size = indexes.catalog.size();
    // A changed text or a new article has lost its list (the document index drops it with the
    // old text); a metadata change keeps its list, and its neighbours theirs.
    const labels = new Set([...this.#listsToMake].filter((label) => !documents.hasKeptList(label)));
    this.#listsToMake.clear();
    // A list naming an article since re-texted or deleted was made from what that article was: it names it no more.
    const dropped = documents.dropOutdatedMembers();
    for (const label of dropped) this.#listener.recordChange(label);
    if (dropped.length > 0) this.#documentsSavedSeq = -1;
    if (size > this.#remakeAbove) {
      // The first time the collection passes twice the size an existing list was made at. (A
      // list a load found missing is the background's to make: `#keepMissingLists`.)
      let oldest = size;
      for (const entry of indexes.catalog.entries()) {
        const madeAt = documents.keptListMadeAt(entry.label);
        if (madeAt === 0) continue;
        if (madeAt * 2 < size) labels.add(entry.label);
        else oldest = Math.min(oldest, madeAt);
      }
      this.#remakeAbove = 2 * oldest;
    }
    const order = [...labels].sort((a, b) => a - b);
    // The lists change under the saved file's change number: the next save writes them.
    if (order.length > 0) this.#documentsSavedSeq = -1;
    // Nothing applies changes meanwhile (this runs in the write queue), so one environment serves every slice.
    const environment = this.rankingEnvironment(noTopics, 0);
    let untilMs = performance.now() + applySliceMs;
    for (const label of order) {
      // Replaced meanwhile (a model switch: its own load made its lists), or closing.
      if (this.#indexes !== indexes || this.#closed) return;
      await this.#keepList(environment, label);
      if (performance.now() >= untilMs) {
        await yieldToEventLoop();
        untilMs = performance.now() + applySliceMs;
      }
    }
  }

  /**
   * Makes one article's kept list and tells the related-list cache of every list it changed.
   * In pgvector mode it is ranked with PostgreSQL's search: without a graph the in-memory search
   * is an exact scan of every vector, which would hold the event loop for as long on every list.
   * A list that cannot be made is logged and left out: it is a signal of the ranking, not part
   * of the write, which is applied already.
   */
  async #keepList(environment: RankingEnvironment, label: number): Promise<void> {
    const search = this.#options.denseSearch;
    try {
      const changed =
        search === undefined
          ? keepNeighbourhoodOf(environment, this.#indexes, this.#store, label, keptListOptions)
          : await keepNeighbourhoodWith(search, environment, this.#indexes, this.#store, label, keptListOptions);
      for (const neighbour of changed) this.#listener.recordChange(neighbour);
      this.#listener.recordChange(label);
    } catch (error) {
      // Closing stops the database under a search in flight: nothing to report.
      if (!this.#closed) this.#options.logger.error({ err: error, label }, "could not make an article's kept list");
    }
  }

  /** Whether `modelId` is the model the store pins (true while nothing is pinned). */
  isPinnedModel(modelId: string): boolean {
    return (this.#store.getModelPin()?.modelId ?? modelId) === modelId;
  }

  /**
   * Rebuilds the graph without tombstones in the background and swaps it in (see
   * engine/compact-graph.ts). Starts one now, or joins the one running.
   */
  compactGraph(options: { beforeSwap?: () => Promise<void> } = {}): Promise<CompactionReport | null> {
    if (this.#options.follower) return Promise.resolve(null);
    if (this.#compaction !== null) return this.#compaction.done;
    if (this.#indexes.graph === null) return Promise.resolve(null);
    const changedLabels = new Set<number>();
    const compaction = { changedLabels, cancel: () => {}, done: Promise.resolve<CompactionReport | null>(null) };
    this.#compaction = compaction;
    compaction.done = compactGraph({
      dataDir: this.#options.dataDir,
      modelId: this.#indexes.modelId,
      dimensions: this.#indexes.dimensions,
      hnsw: this.#options.hnsw,
      store: this.#store,
      logger: this.#options.logger,
      currentIndexes: () => this.#indexes,
      serialise: (work) => this.#queue.run(work),
      changedLabels,
      markSaved: (seq) => (this.#savedSeq = seq ?? -1),
      // A model switch makes the compacted graph one of the old model: drop it.
      isClosed: () => this.#closed || !this.isPinnedModel(this.#indexes.modelId),
      onCancel: (cancel) => (compaction.cancel = cancel),
      beforeSwap: options.beforeSwap,
    }).finally(() => {
      if (this.#compaction === compaction) this.#compaction = null;
    });
    return compaction.done;
  }

  /** Resolves when no compaction (or, in a follower, no taking of the writer's graph) is running (for tests and orderly shutdown). */
  async waitForCompaction(): Promise<void> {
    while (this.#compaction !== null || this.#adoption !== null) await (this.#compaction?.done ?? this.#adoption)?.catch(() => null);
  }

  /**
   * Saves the graph, and the document index beside it (engine/document-index-file.ts), if they
   * have changed since their last save (not after a model switch it has yet to follow).
   */
  saveGraph(): void {
    const { documents, appliedSeq } = this.#indexes;
    if (this.#options.follower || (this.#savedSeq === appliedSeq && this.#documentsSavedSeq === appliedSeq)) return;
    if (!this.isPinnedModel(this.#indexes.modelId)) return;
    if (this.#documentsSavedSeq !== appliedSeq && saveDocumentsOrWarn(this.#options.dataDir, documents, appliedSeq, this.#options.logger)) {
      this.#documentsSavedSeq = appliedSeq;
    }
    if (this.#savedSeq === this.#indexes.appliedSeq) return;
    // Without a graph (pgvector mode) a start reads the indexes from the store whole: no log to keep.
    if (this.#indexes.graph !== null) saveGraph(this.#options.dataDir, this.#indexes.graph, { modelId: this.#indexes.modelId, seq: this.#indexes.appliedSeq });
    this.#store.pruneChangesThrough(this.#indexes.appliedSeq);
    this.#savedSeq = this.#indexes.appliedSeq;
  }

  /**
   * `saveGraph` for a running server: the file is written and synced off the event loop, with
   * writes held off meanwhile (the graph must not change under hnswlib's writer) and reads going on.
   */
  saveGraphInBackground(): Promise<void> {
    if (this.#options.follower) return Promise.resolve();
    return this.#queue.run(async () => {
      const { graph, modelId, appliedSeq, documents } = this.#indexes;
      // Closed first: `close` saved already, and the store may be closed with it.
      if (this.#closed || !this.isPinnedModel(modelId)) return;
      if (this.#documentsSavedSeq !== appliedSeq) await this.#saveDocumentsInBackground(documents, appliedSeq);
      if (this.#savedSeq === appliedSeq || this.#closed) return;
      // Without a graph (pgvector mode) there is nothing to write: only the log to prune.
      if (graph !== null) {
        const saved = await saveGraphInBackground(this.#options.dataDir, graph, { modelId, seq: appliedSeq }, () => this.#closed);
        if (saved === null) return;
      }
      this.#store.pruneChangesThrough(appliedSeq);
      this.#savedSeq = appliedSeq;
    });
  }

  /** A failure is logged: the graph is saved all the same, and the next save tries again. */
  async #saveDocumentsInBackground(documents: LoadedIndexes["documents"], seq: number): Promise<void> {
    try {
      const info = { seq, weighting: documents.weighting };
      if (await saveDocumentIndexInBackground(this.#options.dataDir, documents, info, () => this.#closed)) this.#documentsSavedSeq = seq;
    } catch (error) {
      this.#options.logger.warn({ err: error }, "could not save the document index; the next save tries again");
    }
  }

  /** Stops a running compaction and saves the graph (the store is the caller's to close). */
  close(): void {
    this.#closed = true;
    this.#compaction?.cancel();
    this.saveGraph();
  }

  /** Loads the indexes of the model the store now pins, if `kindred reindex` switched it. */
  #followModelSwitch(): void {
    const pin = this.#store.getModelPin();
    if (pin === null || pin.modelId === this.#indexes.modelId) return;
    const started = performance.now();
    const previous = this.#indexes.modelId;
    this.#compaction?.cancel();
    this.#reload(pin.modelId, pin.dimensions);
    this.#options.logger.info(
      { from: previous, to: pin.modelId, graph: this.#indexes.graphSource, ms: Math.round(performance.now() - started) },
      "switched model",
    );
  }

  #reload(modelId: string, dimensions: number): void {
    this.#replaceIndexes(loadIndexes(this.#store, { ...this.#options, modelId, dimensions }));
    this.#savedSeq = this.#indexes.graphSource === "replayed" ? -1 : this.#indexes.appliedSeq;
    this.#keepMissingLists();
    this.#listener.clear();
  }

  /**
   * Starts making the kept list (engine/keep-neighbourhood.ts) of each article without one, in
   * label order: after a load, those the saved document index lacked (written since it was
   * saved, or all when it was rebuilt); after a model switch, all, since another model ranked
   * the old ones. They are made in the background, in slices between reads and writes: a
   * collection of 100k articles whose file lacks them would otherwise keep the index from
   * opening for minutes (longer in pgvector mode). Until its list is made, an article counts
   * in a query as a candidate with no neighbourhood; `settled` waits for them all.
   */
  #keepMissingLists(): void {
    const indexes = this.#indexes;
    const { documents } = indexes;
    this.#remakeAbove = 0;
    if (documents.keptModelId !== indexes.modelId) documents.forgetKeptLists();
    // Every list from here on is this model's (the file records it).
    documents.keptModelId = indexes.modelId;
    // Lists naming an article the load's replay re-texted or deleted name it no more.
    if (documents.dropOutdatedMembers().length > 0) this.#documentsSavedSeq = -1;
    const missing: number[] = [];
    for (const entry of indexes.catalog.entries()) if (!documents.hasKeptList(entry.label)) missing.push(entry.label);
    if (missing.length === 0) return;
    missing.sort((a, b) => a - b);
    const progress = { done: Promise.resolve(), left: missing.length };
    progress.done = this.#makeMissingLists(indexes, missing, progress).catch((error: unknown) =>
      this.#options.logger.error({ err: error }, "could not make the kept lists the saved document index lacked"),
    );
    this.#missingLists = progress;
  }

  async #makeMissingLists(indexes: LoadedIndexes, missing: readonly number[], progress: { left: number }): Promise<void> {
    const started = performance.now();
    let made = 0;
    for (let next = 0; next < missing.length; ) {
      // Not inside the constructor: the index opens first.
      await yieldToEventLoop();
      // Replaced meanwhile (a reload or a model switch starts its own), or closing.
      if (this.#indexes !== indexes || this.#closed) return;
      // Writes apply between slices: the environment is taken afresh for each.
      const environment = this.rankingEnvironment(noTopics, 0);
      const untilMs = performance.now() + applySliceMs;
      do {
        const label = missing[next++]!;
        progress.left--;
        // A write made it meanwhile, or deleted the article.
        if (indexes.documents.hasKeptList(label) || indexes.catalog.get(label) === undefined) continue;
        await this.#keepList(environment, label);
        made++;
      } while (next < missing.length && performance.now() < untilMs && this.#indexes === indexes && !this.#closed);
      // The saved file does not hold these lists: the next save writes them.
      this.#documentsSavedSeq = -1;
    }
    this.#options.logger.info({ articles: made, ms: Math.round(performance.now() - started) }, "made the kept lists the saved document index lacked");
  }

  /** Kept lists a load found missing and has yet to make (`#keepMissingLists`). */
  get keptListsPending(): number {
    return this.#missingLists.left;
  }

  /** Resolves once the lists a load found missing are made and the writes queued so far are applied. */
  async settled(): Promise<void> {
    for (;;) {
      const missing = this.#missingLists;
      await missing.done;
      await this.#queue.run(async () => {});
      if (this.#missingLists === missing) return;
    }
  }

  #applyChangesSlice(budget: { untilMs: number }): number {
    if (this.#indexes.appliedSeq < this.#store.oldestReplayableSeq()) {
      // The log we would replay was pruned (another process saved a graph): reload everything.
      this.#reloadAfterPrune();
      return this.#indexes.catalog.size();
    }
    // The centroid follows the vectors: out with each changed article's old one, in with its new.
    const centroid = this.#centroid?.exact === this.#indexes.exact ? this.#centroid : null;
    const changed: number[] = [];
    const applied = applyStoreChanges(
      this.#indexes,
      this.#store,
      (label) => {
        this.#listener.recordChange(label);
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
    for (const label of changed) this.#listsToMake.add(label);
    return applied;
  }

  /** Reloads the same model's indexes from the store; the saved graph's sequence stays as recorded. */
  #reloadAfterPrune(): void {
    this.#replaceIndexes(loadIndexes(this.#store, { ...this.#options, modelId: this.#indexes.modelId, dimensions: this.#indexes.dimensions }));
    this.#keepMissingLists();
    this.#listener.clear();
  }

  /** Swaps in indexes loaded whole; the replaced graph's native memory is released once no recall check holds it. */
  #replaceIndexes(next: LoadedIndexes): void {
    const replaced = this.#indexes.graph;
    this.#indexes = next;
    this.#documentsSavedSeq = next.documentsSaved ? next.appliedSeq : -1;
    if (replaced !== next.graph) replaced?.retire();
  }

  #compactIfNeeded(): void {
    const { graph } = this.#indexes;
    if (this.#compaction !== null || this.#closed || graph === null || !needsCompaction(graph, this.#options.compaction)) return;
    if (this.#options.follower) {
      this.#adoptIfSaved();
      return;
    }
    this.compactGraph().catch((error: unknown) => this.#options.logger.error({ err: error }, "graph compaction failed"));
  }

  /** A follower's compaction: take the graph the writer saved, once per new manifest, if it has fewer tombstones. */
  #adoptIfSaved(): void {
    const stamp = manifestStamp(this.#options.dataDir);
    if (this.#adoption !== null || stamp === null || stamp === this.#manifestTried) return;
    this.#manifestTried = stamp;
    const adoption = adoptSavedGraph({
      ...this.#options,
      modelId: this.#indexes.modelId,
      dimensions: this.#indexes.dimensions,
      store: this.#store,
      currentIndexes: () => this.#indexes,
      serialise: (work) => this.#queue.run(work),
      isClosed: () => this.#closed,
    })
      .catch((error: unknown) => this.#options.logger.error({ err: error }, "taking the writer's compacted graph failed"))
      .finally(() => {
        if (this.#adoption === adoption) this.#adoption = null;
      });
    this.#adoption = adoption;
  }
}
