import { join } from "node:path";
import type { Logger } from "pino";
import type { ArticleStore, Change } from "../store/article-store.ts";
import { ExactVectorIndex } from "../vectors/exact-vector-index.ts";
import { type GraphLoadResult, loadGraph, nextGraphDir, removeNextGraph, saveGraph } from "../vectors/graph-files.ts";
import type { GraphManifest } from "../vectors/graph-manifest.ts";
import { type HnswParameters, HnswVectorIndex } from "../vectors/hnsw-vector-index.ts";
import { readGraphVectors } from "../vectors/read-graph-vectors.ts";
import { VectorStorage } from "../vectors/vector-storage.ts";
import { ArticleCatalog } from "./article-catalog.ts";
import type { DocumentIndex } from "./document-index.ts";
import { saveDocumentIndex } from "./document-index-file.ts";
import type { DenseSearch } from "./find-related-articles.ts";
import { type DocumentIndexSource, openDocumentIndex } from "./open-document-index.ts";

export interface LoadedIndexes {
  /** The model whose vectors these are, and their width. */
  modelId: string;
  dimensions: number;
  /** Null in pgvector mode, where PostgreSQL searches in its place (engine/pgvector-search.ts). */
  graph: HnswVectorIndex | null;
  exact: ExactVectorIndex;
  catalog: ArticleCatalog;
  /** The whole-document lexical channel, from the stored lexical profiles. */
  documents: DocumentIndex;
  embedHashes: Map<number, string>;
  /** The store change sequence number everything in memory reflects. */
  appliedSeq: number;
  /** What happened to the saved graph: loaded as is, replayed forward, or rebuilt. */
  graphSource: "loaded" | "replayed" | "rebuilt" | "empty";
  /** The same of the saved document index; it is saved with the graph (engine/document-index-file.ts). */
  documentsSource: DocumentIndexSource;
  /** Whether the document index's saved file is as of `appliedSeq` (nothing to save until the next change). */
  documentsSaved: boolean;
}

/**
 * Brings the in-memory indexes up to the store: the catalog is read from the store; the HNSW
 * graph is loaded from its files, the exact index filled from the vectors in the same file,
 * and the store's change log replayed onto both; or, when the graph is missing, unusable or
 * older than the retained log, the exact index is read from the store and the graph rebuilt
 * from it (never re-embedded).
 *
 * `modelId` is the model the store pins (open-engine.ts refuses to open a store pinned to
 * another model than the configured one). A saved graph of another model is what an
 * interrupted `kindred reindex` leaves when it stops after the store switched models but before
 * it saved the new graph in place: then the graph it built beside the old one
 * (`next-graph/`) is taken if it is of this model, and otherwise the graph is rebuilt from the
 * stored vectors, which are the truth.
 */
export function loadIndexes(
  store: ArticleStore,
  options: { dataDir: string; modelId: string; dimensions: number; hnsw: HnswParameters; logger: Logger; denseSearch?: DenseSearch | undefined },
): LoadedIndexes {
  // The dense search runs elsewhere (pgvector mode): no graph to hold.
  if (options.denseSearch !== undefined) return store.readSnapshot(() => loadWithoutGraph(store, options));
  // One snapshot for the catalog, the change log and the vectors: another process writing
  // meanwhile (kindred serve while kindred index opens) must not make them disagree.
  const { indexes, pruneThrough } = store.readSnapshot(() => loadFromSnapshot(store, options));
  // Pruning writes, so it waits until the snapshot is released.
  if (pruneThrough !== null) store.pruneChangesThrough(pruneThrough);
  return indexes;
}

/** The catalog, lexical channel and exact index only (pgvector mode): no graph to load, replay or build. */
function loadWithoutGraph(store: ArticleStore, options: { dataDir: string; modelId: string; dimensions: number; logger: Logger }): LoadedIndexes {
  const appliedSeq = store.latestSeq();
  const read = readCatalog(store, options);
  const exact = readExactFromStore(store, options.dimensions, read.catalog.size());
  return { modelId: options.modelId, dimensions: options.dimensions, graph: null, exact, ...read, appliedSeq, graphSource: "empty" };
}

/** The catalog from the store, and the document index from its saved file or the store (engine/open-document-index.ts). */
function readCatalog(
  store: ArticleStore,
  options: { dataDir: string; logger: Logger },
): Pick<LoadedIndexes, "catalog" | "embedHashes" | "documents" | "documentsSource" | "documentsSaved"> {
  const catalog = new ArticleCatalog();
  const embedHashes = new Map<number, string>();
  const labels: number[] = [];
  for (const article of store.listSummaries()) {
    catalog.upsert(article);
    embedHashes.set(article.label, article.embedHash);
    labels.push(article.label);
  }
  const { documents, source } = openDocumentIndex(store, labels, options);
  return { catalog, embedHashes, documents, documentsSource: source, documentsSaved: source === "loaded" };
}

function loadFromSnapshot(
  store: ArticleStore,
  options: { dataDir: string; modelId: string; dimensions: number; hnsw: HnswParameters; logger: Logger },
): { indexes: LoadedIndexes; pruneThrough: number | null } {
  const { dataDir, modelId, dimensions, hnsw, logger } = options;
  const appliedSeq = store.latestSeq();
  const read = readCatalog(store, { dataDir, logger });
  const { catalog } = read;

  let graphDir = dataDir;
  let saved = loadGraph(dataDir, hnsw);
  const savedModel = saved.status === "missing" ? null : saved.manifest;
  if (savedModel !== null && (savedModel.model_id !== modelId || savedModel.dimensions !== dimensions)) {
    const next = loadGraph(nextGraphDir(dataDir), hnsw);
    const reason = `the saved graph is of model "${savedModel.model_id}", the store holds vectors of "${modelId}"`;
    if (saved.status === "loaded") saved.index.retire();
    if (next.status === "loaded" && next.manifest.model_id === modelId && next.manifest.dimensions === dimensions) {
      logger.warn({ reason }, "taking the graph kindred reindex built beside it");
      graphDir = nextGraphDir(dataDir);
      saved = next;
    } else {
      if (next.status === "loaded") next.index.retire();
      saved = { status: "unusable", reason, manifest: null } satisfies GraphLoadResult;
    }
  }

  if (saved.status === "loaded" && saved.manifest.seq >= store.oldestReplayableSeq()) {
    const graph = saved.index;
    const changes = store.listChangesSince(saved.manifest.seq);
    // The graph file holds the vectors as of its sequence number; the change log brings both
    // indexes forward from there.
    const exact = readExactFromGraph(graphDir, saved.manifest, changes, store, logger) ?? readExactFromStore(store, dimensions, catalog.size());
    for (const change of changes) {
      const vector = change.kind === "upsert" ? store.getVector(change.label) : null;
      if (vector === null) {
        graph.remove(change.label);
        exact.remove(change.label);
      } else {
        graph.upsert(change.label, vector);
        exact.upsert(change.label, vector);
      }
    }
    if (graph.size() === exact.size() && exact.size() === catalog.size()) {
      logger.debug({ replayed: changes.length, count: graph.size() }, "graph loaded");
      if (graphDir !== dataDir) {
        // Put the new model's graph in place, so the next start loads it from there.
        if (saveGraphOrWarn(dataDir, graph, { modelId, seq: appliedSeq }, logger)) removeNextGraph(dataDir, modelId);
        return { indexes: { modelId, dimensions, graph, exact, ...read, appliedSeq, graphSource: "loaded" }, pruneThrough: null };
      }
      removeNextGraph(dataDir, modelId);
      const graphSource = changes.length > 0 ? "replayed" : "loaded";
      return { indexes: { modelId, dimensions, graph, exact, ...read, appliedSeq, graphSource }, pruneThrough: null };
    }
    logger.warn({ graph: graph.size(), store: catalog.size() }, "graph and store disagree after replay; rebuilding the graph");
  } else if (saved.status === "unusable") {
    logger.warn({ reason: saved.reason }, "saved graph unusable; rebuilding it from stored vectors");
  } else if (saved.status === "loaded") {
    logger.warn("saved graph is older than the retained change log; rebuilding it from stored vectors");
  }
  // A graph read and not used: its native memory goes back before the rebuild allocates another.
  if (saved.status === "loaded") saved.index.retire();

  const exact = readExactFromStore(store, dimensions, catalog.size());
  const graph = HnswVectorIndex.create(dimensions, hnsw, Math.max(1024, exact.size()));
  for (const label of exact.labels()) graph.upsert(label, exact.getVector(label)!);
  const rebuiltSaved = graph.size() > 0 && saveGraphOrWarn(dataDir, graph, { modelId, seq: appliedSeq }, logger);
  // The log is pruned to the graph just saved: the document index is saved with it, or its file would be older than the log.
  const documentsSaved = rebuiltSaved && saveDocumentsOrWarn(dataDir, read.documents, appliedSeq, logger);
  removeNextGraph(dataDir, modelId);
  const graphSource = graph.size() > 0 ? "rebuilt" : "empty";
  return {
    indexes: { modelId, dimensions, graph, exact, ...read, documentsSaved, appliedSeq, graphSource },
    pruneThrough: rebuiltSaved ? appliedSeq : null,
  };
}

/**
 * Saves the graph just loaded or rebuilt; a failure (a full disk) is logged, not thrown: the
 * indexes in memory are whole, and the next save or start tries again.
 */
function saveGraphOrWarn(dataDir: string, graph: HnswVectorIndex, info: { modelId: string; seq: number }, logger: Logger): boolean {
  try {
    saveGraph(dataDir, graph, info);
    return true;
  } catch (error) {
    logger.warn({ err: error }, "could not save the graph; serving from memory, the next save tries again");
    return false;
  }
}

/** Saves the document index as of `seq`; a failure is logged, not thrown (a later save or start tries again). */
export function saveDocumentsOrWarn(dataDir: string, documents: DocumentIndex, seq: number, logger: Logger): boolean {
  try {
    saveDocumentIndex(dataDir, documents, { seq, weighting: documents.weighting });
    return true;
  } catch (error) {
    logger.warn({ err: error }, "could not save the document index; the next save or start tries again");
    return false;
  }
}

function readExactFromStore(store: ArticleStore, dimensions: number, count: number): ExactVectorIndex {
  const exact = new ExactVectorIndex(dimensions, Math.max(1024, count));
  for (const { label, vector } of store.listVectors()) exact.upsert(label, vector);
  return exact;
}

/**
 * The exact index from the vectors inside the saved graph file (see read-graph-vectors.ts for
 * why), or null, logged, if the file cannot be read that way or disagrees with the store on a
 * few articles the change log does not touch, in which case the caller reads the store.
 */
function readExactFromGraph(
  dataDir: string,
  manifest: GraphManifest,
  changes: readonly Change[],
  store: ArticleStore,
  logger: Logger,
): ExactVectorIndex | null {
  try {
    // Read straight into the exact index's storage (its SIMD kernel's memory): no second copy of every vector.
    const storage = new VectorStorage(manifest.dimensions, 0);
    const { labels: nodes } = readGraphVectors(join(dataDir, manifest.graph_file), manifest.dimensions, new Set(manifest.deleted_labels), (floats) => {
      storage.resize(floats);
      return storage.floats;
    });
    const relabeled = new Map(manifest.relabeled_nodes);
    const labels = nodes.map((node) => relabeled.get(node) ?? node);
    const exact = ExactVectorIndex.fromStorage(labels, storage);
    const changed = new Set(changes.map((change) => change.label));
    const unchanged = labels.filter((label) => !changed.has(label));
    for (const label of [unchanged[0], unchanged[unchanged.length >> 1], unchanged[unchanged.length - 1]]) {
      if (label === undefined) continue;
      const stored = store.getVector(label);
      const loaded = exact.getVector(label)!;
      if (stored === null || stored.some((value, index) => value !== loaded[index])) throw new Error(`vector of label ${label} differs from the store's`);
    }
    return exact;
  } catch (error) {
    logger.warn({ reason: (error as Error).message }, "vectors not readable from the graph file; reading them from the store");
    return null;
  }
}
