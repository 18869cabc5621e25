import { defaults } from "../config/defaults.ts";
import type { PassagePlan } from "../core/embed-text.ts";
import type { PassageVectorCache } from "../embed/passage-vector-cache.ts";
import type { Logger } from "../log/logger.ts";
import type { HnswParameters } from "../vectors/hnsw-vector-index.ts";
import type { EmbedSlices } from "./fair-embedding.ts";
import type { DenseSearch } from "./find-related-articles.ts";
import type { StoreWriter } from "./store-writer.ts";

export interface EngineOptions {
  dataDir: string;
  modelId: string;
  dimensions: number;
  hnsw: HnswParameters;
  /** Undefined: the planner's own limit (`autoExactScanLimit`). */
  exactScanMaxCandidates?: number | undefined;
  logger: Logger;
  /** Related lists kept in memory (0: no cache); default `engineDefaults.relatedCacheEntries`. */
  relatedCacheEntries?: number;
  /** ...and at most this many bytes of them (estimated, engine/cached-list.ts); default `engineDefaults.relatedCacheBytes`. */
  relatedCacheBytes?: number;
  /** When to rebuild the graph without its tombstones; default `engineDefaults.compaction`. */
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
  recallCheck?: RecallCheckSettings;
  /** Where writes are prepared and stored: a thread of its own (`WorkerStoreWriter`) in `kindred serve`; default the calling thread. */
  writer?: StoreWriter;
  /** Characters of title and text per store transaction within one write call (default `engineDefaults.writeChunkChars`). */
  writeChunkChars?: number;
  /**
   * A reader process of `kindred serve --http-workers` (cli/serve-workers.ts): it follows the
   * store's change log but never saves or rebuilds the graph, nor prunes the log; the writer
   * process does, and two processes doing it would race.
   */
  follower?: boolean;
  /**
   * Where the related path's dense search runs instead of the in-memory graph (pgvector mode,
   * engine/pgvector-search.ts); the graph is then not built. Used by the asynchronous queries
   * (`findRelatedToArticleAsync`, `findRelatedToText`).
   */
  denseSearch?: DenseSearch;
  /** Which passages of a long article the model embeds (default `selected`; core/embed-text.ts). */
  passagePlan?: PassagePlan;
  /** Passage vectors already computed, so writes never embed a passage twice (embed/passage-vector-cache.ts). */
  passageVectors?: PassageVectorCache;
  /** How writes share the model (engine/fair-embedding.ts): default slices of a few texts (a server); `bulkSlices` for `kindred index`. */
  embedSlices?: EmbedSlices;
}

/** `queries` sampled articles (0: never on open), recall@`k` against the exact index; below `floor` the graph is rebuilt. */
export interface RecallCheckSettings {
  queries: number;
  k: number;
  floor: number;
  onOpen?: boolean;
}

/** The engine's defaults: the configuration's (config/defaults.ts), for an engine opened without it (tests, benches). */
export const engineDefaults = Object.freeze({
  relatedCacheEntries: defaults.relatedCacheEntries,
  relatedCacheBytes: defaults.relatedCacheBytes,
  writeChunkChars: defaults.writeChunkChars,
  compaction: Object.freeze({ deletedFraction: defaults.compactDeletedFraction, minDeleted: defaults.compactMinDeleted }),
  recallCheck: Object.freeze<RecallCheckSettings>({ queries: defaults.recallCheckQueries, k: defaults.recallCheckK, floor: defaults.recallFloor }),
});
