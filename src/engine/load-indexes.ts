import type { Logger } from "pino";
import { KindredError } from "../core/errors.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { ExactVectorIndex } from "../vectors/exact-vector-index.ts";
import { loadGraph, saveGraph } from "../vectors/graph-files.ts";
import { HnswVectorIndex, type HnswParameters } from "../vectors/hnsw-vector-index.ts";
import { ArticleCatalog } from "./article-catalog.ts";

export interface LoadedIndexes {
  graph: HnswVectorIndex;
  exact: ExactVectorIndex;
  catalog: ArticleCatalog;
  embedHashes: Map<number, string>;
  /** The store change sequence number everything in memory reflects. */
  appliedSeq: number;
  /** What happened to the saved graph: loaded as is, replayed forward, or rebuilt. */
  graphSource: "loaded" | "replayed" | "rebuilt" | "empty";
}

/**
 * Brings the in-memory indexes up to the store: the catalog and the exact index are read from
 * the store; the HNSW graph is loaded from its files and the store's change log replayed onto
 * it, or rebuilt from stored vectors (never re-embedded) when it is missing, unusable or older
 * than the retained log. A graph for another model is refused, naming what to run.
 */
export function loadIndexes(
  store: ArticleStore,
  options: { dataDir: string; modelId: string; dimensions: number; hnsw: HnswParameters; logger: Logger },
): LoadedIndexes {
  const { dataDir, modelId, dimensions, hnsw, logger } = options;
  const appliedSeq = store.latestSeq();
  const catalog = new ArticleCatalog();
  const embedHashes = new Map<number, string>();
  for (const article of store.listArticles()) {
    catalog.upsert(article);
    embedHashes.set(article.label, article.embedHash);
  }
  const exact = new ExactVectorIndex(dimensions, Math.max(1024, catalog.size()));
  for (const { label, vector } of store.listVectors()) exact.upsert(label, vector);

  const saved = loadGraph(dataDir, hnsw);
  if (saved.status === "loaded" || (saved.status === "unusable" && saved.manifest !== null)) {
    const manifest = saved.status === "loaded" ? saved.manifest : saved.manifest!;
    if (manifest.model_id !== modelId || manifest.dimensions !== dimensions) {
      throw new KindredError(
        "index_model_mismatch",
        `The graph in ${dataDir} was built with model "${manifest.model_id}" (${manifest.dimensions} dimensions), ` +
          `but kindred is configured for "${modelId}" (${dimensions}). Start with --model ${manifest.model_id} ` +
          `(or KINDRED_MODEL=${manifest.model_id}), or re-embed everything with \`kindred reindex --model ${modelId}\`.`,
        { indexModel: manifest.model_id, configuredModel: modelId },
      );
    }
  }

  if (saved.status === "loaded" && saved.manifest.seq >= store.oldestReplayableSeq()) {
    const graph = saved.index;
    const changes = store.listChangesSince(saved.manifest.seq);
    for (const change of changes) {
      const vector = change.kind === "upsert" ? exact.getVector(change.label) : null;
      if (vector === null) graph.remove(change.label);
      else graph.upsert(change.label, vector);
    }
    if (graph.size() === exact.size()) {
      logger.debug({ replayed: changes.length, count: graph.size() }, "graph loaded");
      return { graph, exact, catalog, embedHashes, appliedSeq, graphSource: changes.length > 0 ? "replayed" : "loaded" };
    }
    logger.warn({ graph: graph.size(), store: exact.size() }, "graph and store disagree after replay; rebuilding the graph");
  } else if (saved.status === "unusable") {
    logger.warn({ reason: saved.reason }, "saved graph unusable; rebuilding it from stored vectors");
  } else if (saved.status === "loaded") {
    logger.warn("saved graph is older than the retained change log; rebuilding it from stored vectors");
  }

  const graph = HnswVectorIndex.create(dimensions, hnsw, Math.max(1024, exact.size()));
  for (const label of exact.labels()) graph.upsert(label, exact.getVector(label)!);
  if (graph.size() > 0) {
    saveGraph(dataDir, graph, { modelId, seq: appliedSeq });
    store.pruneChangesThrough(appliedSeq);
  }
  return { graph, exact, catalog, embedHashes, appliedSeq, graphSource: graph.size() > 0 ? "rebuilt" : "empty" };
}
